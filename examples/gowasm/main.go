//go:build js && wasm

// Command gowasm is a Go program compiled to WebAssembly (GOOS=js
// GOARCH=wasm) that uses the trpcws Go API in a web page: the same
// NewClient, Query, Mutation, Events and Close as a native Go program,
// over the browser's WebSocket. e2e/run.sh builds it and drives the page
// in Chromium (e2e/gowasm-chromium.mjs).
//
//	GOOS=js GOARCH=wasm go build -o main.wasm ./examples/gowasm
//	cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" examples/gowasm/index.html .
//
// The page connects to the server that served it (ws://HOST/), which must
// be a tRPC server with this repository's test procedures, such as
// `node testserver/server.mjs --port 3000 --static DIR`.
package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall/js"
	"time"

	"github.com/trpcws/trpcws"
)

type tick struct {
	N int `json:"n"`
}

func main() {
	out := js.Global().Get("document").Call("getElementById", "out")
	status := js.Global().Get("document").Call("getElementById", "status")
	say := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		out.Set("textContent", out.Get("textContent").String()+line+"\n")
	}
	if err := run(say); err != nil {
		say("error: %v", err)
		status.Set("textContent", "FAIL: "+err.Error())
		return
	}
	status.Set("textContent", "done")
}

func run(say func(string, ...any)) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	url := "ws://" + js.Global().Get("location").Get("host").String() + "/"
	client, err := trpcws.NewClient(trpcws.Options{
		URL:        url,
		RetryDelay: func(int) time.Duration { return 100 * time.Millisecond },
		OnStateChange: func(s trpcws.ConnectionState) {
			say("state %s", s.State)
		},
	})
	if err != nil {
		return err
	}
	defer client.Close(ctx)

	echo, err := client.Query(ctx, "echo", map[string]string{"from": "go wasm"})
	if err != nil {
		return err
	}
	say("echo %s", echo)
	sum, err := trpcws.Mutation[int](ctx, client, "add", map[string]int{"a": 20, "b": 22})
	if err != nil {
		return err
	}
	say("add %d", sum)
	_, err = client.Query(ctx, "nope", nil)
	var tErr *trpcws.TRPCError
	if !errors.As(err, &tErr) {
		return fmt.Errorf("want a server error, got %v", err)
	}
	say("error %s %d", tErr.Code, tErr.HTTPStatus)

	// A tracked subscription, ended by the loop after event 8. With ?drop in
	// the page's URL (the e2e test), the test server drops every socket
	// after event 3: the subscription resumes after the last id it saw.
	dropAt3 := strings.Contains(js.Global().Get("location").Get("search").String(), "drop")
	for ev, err := range trpcws.Events[tick](ctx, client, "events", map[string]int{"intervalMs": 20}, "") {
		if err != nil {
			return err
		}
		say("event %s %d", ev.ID, ev.Data.N)
		if ev.ID == "3" && dropAt3 {
			if err := fetch("/control/drop"); err != nil {
				return err
			}
		}
		if ev.ID == "8" {
			break
		}
	}
	if err := client.Close(ctx); err != nil {
		return err
	}
	say("closed %s", client.State().State)
	return nil
}

// fetch GETs url with the browser's fetch and waits for the response; the
// JavaScript callbacks only hand the outcome to this goroutine.
func fetch(url string) error {
	done := make(chan error, 1)
	ok := js.FuncOf(func(js.Value, []js.Value) any { done <- nil; return nil })
	defer ok.Release()
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		done <- errors.New("fetch " + url + ": " + args[0].Call("toString").String())
		return nil
	})
	defer fail.Release()
	js.Global().Call("fetch", url).Call("then", ok, fail)
	return <-done
}
