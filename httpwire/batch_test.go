package httpwire

import (
	"errors"
	"slices"
	"testing"
)

func TestBuildQueryBatch(t *testing.T) {
	t.Parallel()
	r := Build("http://h/trpc/?x=1", true, []Call{{Path: "a", Input: []byte(`{"n":"é &"}`)}, {Path: "b.c"}})
	want := `http://h/trpc/a,b.c?x=1&batch=1&input=%7B%220%22%3A%7B%22n%22%3A%22%C3%A9%20%26%22%7D%7D`
	if r.Method != "GET" || r.URL != want || r.Body != nil {
		t.Fatalf("got %s %s %q, want GET %s", r.Method, r.URL, r.Body, want)
	}
}

func TestBuildMutation(t *testing.T) {
	t.Parallel()
	r := Build("http://h/trpc", false, []Call{{Path: "add", Input: []byte(`{"a":1}`)}, {Path: "v"}, {Path: "add", Input: []byte(`2`)}})
	if r.Method != "POST" || r.URL != "http://h/trpc/add,v,add?batch=1" || string(r.Body) != `{"0":{"a":1},"2":2}` {
		t.Fatalf("got %s %s %s", r.Method, r.URL, r.Body)
	}
}

func TestBuildNoInput(t *testing.T) {
	t.Parallel()
	// The reference sends {} for a batch of calls without input.
	if r := Build("http://h", true, []Call{{Path: "p"}}); r.URL != "http://h/p?batch=1&input=%7B%7D" {
		t.Fatal(r.URL)
	}
}

func TestGroup(t *testing.T) {
	t.Parallel()
	// As the reference: a call too big alone still closed the batch before it.
	calls := []Call{{Path: "a"}, {Path: "b"}, {Path: "c"}, {Path: "d", Input: make([]byte, 500)}, {Path: "e"}}
	for i := range calls[3].Input {
		calls[3].Input[i] = '1'
	}
	b, big := Group("http://h", true, calls, Limits{MaxItems: 2, MaxURLLength: 100})
	if want := [][]int{{0, 1}, {2}, {4}}; !slices.EqualFunc(b, want, slices.Equal) || !slices.Equal(big, []int{3}) {
		t.Fatalf("batches %v too big %v", b, big)
	}
	if b, big := Group("http://h", false, calls, Limits{}); len(b) != 1 || len(b[0]) != 5 || big != nil {
		t.Fatalf("no limits: %v %v", b, big)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	rs, err := Parse([]byte(` [{"result":{"data":{"x":1}}},{"result":{}},{"error":{"message":"no","code":-32600,"data":{"code":"BAD_REQUEST","httpStatus":400,"path":"f"}}}]`), 3)
	if err != nil {
		t.Fatal(err)
	}
	if string(rs[0].Data) != `{"x":1}` || rs[0].Err != nil || rs[1].Data != nil || rs[1].Err != nil {
		t.Fatalf("results %+v", rs)
	}
	if e := rs[2].Err; e == nil || e.Code != "BAD_REQUEST" || e.Message != "no" || e.HTTPStatus != 400 || e.Path != "f" {
		t.Fatalf("error %+v", rs[2].Err)
	}
	// One envelope for the whole batch.
	rs, err = Parse([]byte(`{"error":{"message":"m","code":-32700,"data":{"code":"PARSE_ERROR"}}}`), 2)
	if err != nil || rs[0].Err == nil || rs[1].Err == nil || rs[1].Err.Code != "PARSE_ERROR" {
		t.Fatalf("%+v %v", rs, err)
	}
	for _, bad := range []string{`<html>`, `[{"result":{}}]`, `[1,2]`, `[{"x":1}]`} {
		if _, err := Parse([]byte(bad), 1+len(bad)%2); err == nil {
			t.Errorf("Parse(%s) succeeded", bad)
		}
	}
	if _, err := Parse([]byte(`[{}]`), 1); err == nil || errors.Is(err, ErrTooBig) {
		t.Fatal(err)
	}
}
