//go:build !js

package trpcws_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/trpcws/trpcws"
)

type pair struct {
	A int `json:"a"`
	B int `json:"b"`
}

func TestTypedQueryAndMutation(t *testing.T) {
	c := newClient(t, trpcws.Options{})
	ctx := ctxT(t)

	p, err := trpcws.Query[pair](ctx, c, "echo", pair{A: 1, B: 2})
	if err != nil || p != (pair{1, 2}) {
		t.Fatalf("Query[pair] = %+v, %v", p, err)
	}
	s, err := trpcws.Query[string](ctx, c, "echo", "hi")
	if err != nil || s != "hi" {
		t.Fatalf("Query[string] = %q, %v", s, err)
	}
	sum, err := trpcws.Mutation[int](ctx, c, "add", pair{A: 2, B: 3})
	if err != nil || sum != 5 {
		t.Fatalf("Mutation[int] = %d, %v", sum, err)
	}
	// A void result is null: a pointer tells it apart.
	ptr, err := trpcws.Mutation[*int](ctx, c, "voidMutation", nil)
	if err != nil || ptr != nil {
		t.Fatalf("Mutation[*int] of a void result = %v, %v", ptr, err)
	}
	// A server error passes through untouched.
	_, err = trpcws.Query[string](ctx, c, "fail", map[string]string{"code": "NOT_FOUND"})
	var tErr *trpcws.TRPCError
	if !errors.As(err, &tErr) || tErr.Code != "NOT_FOUND" {
		t.Fatalf("Query of fail: %v", err)
	}
}

func TestTypedResultThatDoesNotDecode(t *testing.T) {
	c := newClient(t, trpcws.Options{})
	ctx := ctxT(t)

	n, err := trpcws.Query[int](ctx, c, "echo", map[string]string{"x": "y"})
	var dErr *trpcws.DecodeError
	if !errors.As(err, &dErr) {
		t.Fatalf("Query[int] of an object = %d, %v; want a *DecodeError", n, err)
	}
	if n != 0 || dErr.Path != "echo" || dErr.Type != reflect.TypeFor[int]() || string(dErr.Data) != `{"x":"y"}` {
		t.Fatalf("got %d and %+v", n, dErr)
	}
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) {
		t.Fatalf("the json error is not wrapped: %v", err)
	}
	for _, want := range []string{"echo", "int"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("%q does not name %q", err, want)
		}
	}

	// A partly decoded struct is not handed out either.
	p, err := trpcws.Mutation[pair](ctx, c, "add", pair{A: 1, B: 1})
	if !errors.As(err, &dErr) || p != (pair{}) || !strings.Contains(err.Error(), "trpcws_test.pair") {
		t.Fatalf("Mutation[pair] of a number = %+v, %v", p, err)
	}
}

func TestTypedEventsTracked(t *testing.T) {
	c := newClient(t, trpcws.Options{})
	ctx := ctxT(t)

	type tick struct {
		N int `json:"n"`
	}
	var got []trpcws.TypedEvent[tick]
	for ev, err := range trpcws.Events[tick](ctx, c, "events", map[string]int{"max": 5, "intervalMs": 1}, "2") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	want := []trpcws.TypedEvent[tick]{
		{Data: tick{3}, ID: "3", Tracked: true},
		{Data: tick{4}, ID: "4", Tracked: true},
		{Data: tick{5}, ID: "5", Tracked: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events = %+v, want %+v", got, want)
	}
}

func TestTypedEventsUntrackedDecodeErrorAndServerError(t *testing.T) {
	c := newClient(t, trpcws.Options{})
	ctx := ctxT(t)

	var ns []int
	for ev, err := range trpcws.Events[int](ctx, c, "counter", map[string]int{"count": 3, "intervalMs": 1}, "") {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Tracked || ev.ID != "" {
			t.Fatalf("untracked event reported as tracked: %+v", ev)
		}
		ns = append(ns, ev.Data)
	}
	if !reflect.DeepEqual(ns, []int{0, 1, 2}) {
		t.Fatalf("counter = %v", ns)
	}

	// Every event fails to decode; the subscription goes on while the loop does.
	var decodeErrs []string
	for ev, err := range trpcws.Events[string](ctx, c, "events", map[string]int{"max": 2, "intervalMs": 1}, "") {
		var dErr *trpcws.DecodeError
		if !errors.As(err, &dErr) {
			t.Fatalf("want a *DecodeError, got %+v, %v", ev, err)
		}
		if ev.Data != "" || ev.ID != dErr.EventID || dErr.Type != reflect.TypeFor[string]() || !strings.Contains(err.Error(), "event "+ev.ID) {
			t.Fatalf("got %+v, %v", ev, err)
		}
		decodeErrs = append(decodeErrs, dErr.EventID)
	}
	if !reflect.DeepEqual(decodeErrs, []string{"1", "2"}) {
		t.Fatalf("decode errors for %v", decodeErrs)
	}

	// A server error ends the iteration.
	var n int
	var last error
	for _, err := range trpcws.Events[int](ctx, c, "failingSub", map[string]int{"after": 2}, "") {
		n++
		last = err
	}
	var tErr *trpcws.TRPCError
	if n != 3 || !errors.As(last, &tErr) || tErr.Code != "BAD_REQUEST" {
		t.Fatalf("failingSub: %d items, last error %v", n, last)
	}
}
