//go:build !js

package trpcws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/trpcws/trpcws"
)

// serverURL is where the examples find a tRPC server: TestMain points it at
// the project's real @trpc/server.
var serverURL = "ws://127.0.0.1:3001"

// The basics: a query, a mutation and a server error.
func Example() {
	ctx := context.Background()
	client, err := trpcws.NewClient(trpcws.Options{URL: serverURL})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close(ctx)

	greeting, err := client.Query(ctx, "echo", "hello")
	if err != nil {
		log.Fatal(err)
	}
	sum, err := client.Mutation(ctx, "add", map[string]int{"a": 1, "b": 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(greeting), string(sum))

	_, err = client.Query(ctx, "fail", map[string]string{"code": "NOT_FOUND", "message": "no such post"})
	var tErr *trpcws.TRPCError
	if errors.As(err, &tErr) {
		fmt.Println(tErr.Code, tErr.Message)
	}
	// Output:
	// "hello" 3
	// NOT_FOUND no such post
}

// Subscriptions as an iterator: tracked events carry an id, and a lost
// socket resumes after the last one delivered.
func ExampleClient_Events() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := trpcws.NewClient(trpcws.Options{URL: serverURL})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close(ctx)

	for ev, err := range client.Events(ctx, "events", map[string]int{"max": 3, "intervalMs": 1}, "") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.ID, string(ev.Data))
	}
	// Output:
	// 1 {"id":"1","data":{"n":1}}
	// 2 {"id":"2","data":{"n":2}}
	// 3 {"id":"3","data":{"n":3}}
}

// Subscriptions with callbacks, ended by Unsubscribe (or the context).
func ExampleClient_Subscribe() {
	ctx := context.Background()
	client, err := trpcws.NewClient(trpcws.Options{URL: serverURL, Lazy: trpcws.LazyOptions{Enabled: true}})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close(ctx)

	sub, err := client.Subscribe(ctx, "counter", map[string]int{"count": 2, "intervalMs": 1}, trpcws.SubscribeOptions{
		OnStarted:  func() { fmt.Println("started") },
		OnData:     func(ev trpcws.Event) { fmt.Println("data", string(ev.Data)) },
		OnComplete: func() { fmt.Println("complete") },
	})
	if err != nil {
		log.Fatal(err)
	}
	<-sub.Done()
	// Output:
	// started
	// data 0
	// data 1
	// complete
}

// Typed calls decode results with encoding/json into the type you name; a
// result that does not fit is a *trpcws.DecodeError, never a zero value.
func ExampleQuery() {
	ctx := context.Background()
	client, err := trpcws.NewClient(trpcws.Options{URL: serverURL})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close(ctx)

	type Point struct {
		X int `json:"x"`
		Y int `json:"y"`
	}
	p, err := trpcws.Query[Point](ctx, client, "echo", Point{X: 1, Y: 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", p)

	_, err = trpcws.Query[int](ctx, client, "echo", "not a number")
	var dErr *trpcws.DecodeError
	if errors.As(err, &dErr) {
		fmt.Println(dErr.Path, dErr.Type, string(dErr.Data))
	}
	// Output:
	// {X:1 Y:2}
	// echo int "not a number"
}

// Network hints: the program passes on what it hears from its host. The
// calls are shown one after the other; in a program each comes from its
// own notification (the OS says the network is down, then up again; the
// machine resumed from sleep).
func ExampleClient_Wake() {
	ctx := context.Background()
	client, err := trpcws.NewClient(trpcws.Options{
		URL:       serverURL,
		KeepAlive: trpcws.KeepAliveOptions{Enabled: true}, // lets Wake check the socket
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close(ctx)

	client.SetOnline(false) // the network is down: no attempt is made or counted
	client.SetOnline(true)  // it is back: a pending retry starts at once
	client.Wake()           // resumed from sleep: a PING checks the socket now

	res, err := client.Query(ctx, "echo", "still here")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(res))
	// Output:
	// "still here"
}

// A typed mutation.
func ExampleMutation() {
	ctx := context.Background()
	client, err := trpcws.NewClient(trpcws.Options{URL: serverURL})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close(ctx)

	sum, err := trpcws.Mutation[int](ctx, client, "add", map[string]int{"a": 40, "b": 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum + 1)
	// Output:
	// 43
}

// A typed subscription: a tracked event's value arrives without its id
// wrapper, and its id is kept to resume from later.
func ExampleEvents() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := trpcws.NewClient(trpcws.Options{URL: serverURL})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close(ctx)

	type Tick struct {
		N int `json:"n"`
	}
	lastID := "1" // resume after event 1
	for ev, err := range trpcws.Events[Tick](ctx, client, "events", map[string]int{"max": 3, "intervalMs": 1}, lastID) {
		if err != nil {
			log.Fatal(err)
		}
		lastID = ev.ID
		fmt.Println(ev.ID, ev.Data.N)
	}
	fmt.Println("last", lastID)
	// Output:
	// 2 2
	// 3 3
	// last 3
}

// Interceptors wrap every call: here one puts a fresh token on each HTTP
// request and logs every call's outcome, on either transport.
func ExampleInterceptor() {
	logCalls := trpcws.UnaryInterceptorFunc(func(next trpcws.UnaryFunc) trpcws.UnaryFunc {
		return func(ctx context.Context, req *trpcws.Request) (json.RawMessage, error) {
			out, err := next(ctx, req)
			fmt.Println(req.Type, req.Path, string(out), err)
			return out, err
		}
	})
	auth := trpcws.UnaryInterceptorFunc(func(next trpcws.UnaryFunc) trpcws.UnaryFunc {
		return func(ctx context.Context, req *trpcws.Request) (json.RawMessage, error) {
			req.Header.Set("Authorization", "Bearer "+newToken()) // sent on HTTP only
			return next(ctx, req)
		}
	})
	ctx := context.Background()
	client, err := trpcws.NewClient(trpcws.Options{URL: serverURL, Interceptors: []trpcws.Interceptor{auth, logCalls}})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close(ctx)
	client.Query(ctx, "echo", "hi")
	// Output: query echo "hi" <nil>
}

func newToken() string { return "t" }
