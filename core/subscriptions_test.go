package core

import (
	"errors"
	"testing"
)

func TestSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	id := h.subscribe("onMessage")
	h.recv(s, started(id))
	h.recv(s, data(id, `{"hi":1}`))
	h.recv(s, `{"id":1,"result":{"type":"data"}}`)
	h.recv(s, tracked(id, "42", `{"n":1}`))
	h.recv(s, stopped(id))
	h.recv(s, data(id, `"late"`))
	eq(t, "outputs", renderAll(h.of(id)), []string{
		"started 1",
		`event 1 {"hi":1}`,
		"event 1 ",
		`event 1 #42 {"id":"42","data":{"n":1}}`,
		"complete 1",
	})
	if ev := h.of(id, OutEvent)[1]; ev.Data != nil || ev.HasEventID {
		t.Errorf("void event: %+v", ev)
	}
	eq(t, "frames", h.frames(s), []string{sub(id, "onMessage")})
}

func TestSubscriptionErrorEndsIt(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	id := h.subscribe("s")
	h.recv(s, started(id))
	h.recv(s, `{"id":1,"error":{"message":"boom","code":-32603,"data":{"code":"INTERNAL_SERVER_ERROR"}}}`)
	h.recv(s, stopped(id)) // the server's stopped after an iteration error
	o := h.outcome(id)
	var te *TRPCError
	if o.Kind != OutError || !errors.As(o.Err, &te) || te.Code != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("outcome %s", render(o))
	}
	eq(t, "outputs", renderAll(h.of(id)), []string{"started 1", "error 1 trpc: INTERNAL_SERVER_ERROR"})
	// It is not re-sent after a reconnect.
	h.lose(s, 1006)
	s2 := h.connect()
	eq(t, "frames on new socket", h.frames(s2), nil)
}

func TestSubscriptionStartedWithLastEventID(t *testing.T) {
	t.Parallel()
	h, s := connected(t, Config{})
	id := h.startResume("s", `{"room":"a"}`, "7")
	h.drain()
	eq(t, "frames", h.frames(s), []string{`{"id":1,"method":"subscription","params":{"input":{"room":"a"},"path":"s","lastEventId":"7"}}`})
	// Lost before any event: the resubscription keeps the given id.
	h.lose(s, 1006)
	s2 := h.connect()
	eq(t, "resubscribe", h.frames(s2), []string{`{"id":1,"method":"subscription","params":{"input":{"room":"a"},"path":"s","lastEventId":"7"}}`})
	_ = id
}

func TestResubscribeAfterLostSocket(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{})
	a := h.subscribe("a")
	b := h.subscribe("b")
	qid := h.query("q")
	h.recv(s1, started(a))
	h.recv(s1, started(b))
	h.recv(s1, tracked(a, "41", `1`))
	h.recv(s1, tracked(b, "x", `1`))
	h.recv(s1, data(b, `2`)) // an id-less event clears lastEventId
	h.take()

	h.lose(s1, 1006)
	out := h.takeKinds()
	eq(t, "outputs on loss", out, []string{"error 3 closed: WebSocket closed", "state connecting: WebSocket closed", "dial 2"})
	o := h.outcome(qid)
	var ce *ClosedError
	if !errors.As(o.Err, &ce) || ce.Code != 1006 || !errors.Is(o.Err, ErrConnectionClosed) {
		t.Errorf("query error %v", o.Err)
	}
	if !h.pending(a) || !h.pending(b) {
		t.Fatal("subscriptions ended with the socket")
	}

	s2 := h.lastDial()
	h.open(s2)
	eq(t, "resubscribe", h.frames(s2), []string{batch(subAfter(a, "a", "41"), sub(b, "b"))})
	eq(t, "states", h.states(), []string{"pending", "connecting: WebSocket closed", "pending"})

	// onStarted fires again, then events flow on.
	h.recv(s2, started(a))
	h.recv(s2, tracked(a, "42", `2`))
	eq(t, "outputs", renderAll(h.of(a)), []string{
		"started 1", `event 1 #41 {"id":"41","data":1}`, "started 1", `event 1 #42 {"id":"42","data":2}`,
	})
	// A second loss resends with the newest id.
	h.lose(s2, 1001)
	s3 := h.connect()
	eq(t, "second resubscribe", h.frames(s3), []string{batch(subAfter(a, "a", "42"), sub(b, "b"))})
}

func TestResubscribeSingleIsBareObjectAndQueuedAfter(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{})
	a := h.subscribe("a")
	h.recv(s1, started(a))
	h.lose(s1, 1006)
	qid := h.query("q") // queued while reconnecting
	s2 := h.connect()
	eq(t, "frames", h.frames(s2), []string{sub(a, "a"), q(qid, "q")})
}

func TestResubscribeAfterLossWithParams(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{})
	a := h.subscribe("a")
	h.openParams(1, `{"t":"1"}`)
	h.lose(1, 1006)
	h.openParams(2, `{"t":"2"}`)
	eq(t, "frames", h.frames(2), []string{`{"method":"connectionParams","data":{"t":"2"}}`, sub(a, "a")})
}

func TestCancelSubscriptionWhileReconnecting(t *testing.T) {
	t.Parallel()
	h, s1 := connected(t, Config{})
	a := h.subscribe("a")
	h.recv(s1, started(a))
	h.lose(s1, 1006)
	h.cancel(a)
	s2 := h.connect()
	eq(t, "frames", h.frames(s2), nil)
	eq(t, "outputs", renderAll(h.of(a)), []string{"started 1"})
}
