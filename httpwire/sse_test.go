package httpwire

import (
	"testing"
)

// The bytes @trpc/server 11.25.2's sseStreamProducer writes.
const stream = "event: connected\ndata: {\"reconnectAfterInactivityMs\":3000}\n\n\n" +
	"data: {\"n\":1}\nid: 1\n\n\n" +
	"event: ping\ndata: \n\n\n" +
	"data: 5\nid: \n\n\n" +
	"event: restore-id\ndata: \nid: 1\n\n\n" +
	": comment\r\n" +
	"event: serialized-error\r\ndata: {\"message\":\"sub failed\",\"code\":-32600,\"data\":{\"code\":\"BAD_REQUEST\"}}\r\n\r\n" +
	"event: return\rdata: \r\r"

func TestSSEChunking(t *testing.T) {
	t.Parallel()
	var whole SSEParser
	want, _ := whole.Feed(nil, []byte(stream))
	if len(want) != 7 {
		t.Fatalf("%d events: %+v", len(want), want)
	}
	// Byte by byte gives the same events.
	var p SSEParser
	var got []SSEEvent
	for i := range len(stream) {
		got, _ = p.Feed(got, []byte{stream[i]})
	}
	if len(got) != len(want) {
		t.Fatalf("byte by byte: %d events", len(got))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("event %d: %+v != %+v", i, got[i], want[i])
		}
	}
	if p.LastEventID() != "1" {
		t.Fatal(p.LastEventID())
	}
}

func TestInterpret(t *testing.T) {
	t.Parallel()
	var p SSEParser
	evs, _ := p.Feed(nil, []byte(stream))
	var ms []Message
	for _, ev := range evs {
		m, err := Interpret(ev)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	if ms[0].Kind != KindStarted || ms[0].InactivityMs != 3000 {
		t.Fatalf("connected: %+v", ms[0])
	}
	if ms[1].Kind != KindData || !ms[1].Tracked || ms[1].ID != "1" || string(ms[1].Data) != `{"id":"1","data":{"n":1}}` {
		t.Fatalf("tracked: %+v %s", ms[1], ms[1].Data)
	}
	if ms[2].Kind != KindPing {
		t.Fatal(ms[2])
	}
	if ms[3].Kind != KindData || ms[3].Tracked || string(ms[3].Data) != "5" {
		t.Fatalf("untracked: %+v", ms[3])
	}
	if ms[4].Kind != KindIgnore {
		t.Fatal(ms[4])
	}
	if ms[5].Kind != KindError || ms[5].Retry || ms[5].Err.Code != "BAD_REQUEST" || ms[5].Err.Message != "sub failed" {
		t.Fatalf("error: %+v", ms[5])
	}
	if ms[6].Kind != KindDone {
		t.Fatal(ms[6])
	}
	m, _ := Interpret(SSEEvent{Type: EventSerializedError, Data: `{"message":"x","code":-32603,"data":{"code":"INTERNAL_SERVER_ERROR"}}`})
	if !m.Retry {
		t.Fatal("INTERNAL_SERVER_ERROR is retried by the reference")
	}
	for _, bad := range []SSEEvent{{Type: EventMessage, Data: "{"}, {Type: EventConnected, Data: "x"}, {Type: EventSerializedError, Data: ""}} {
		if _, err := Interpret(bad); err == nil {
			t.Errorf("Interpret(%+v) succeeded", bad)
		}
	}
}

func TestSubscriptionURL(t *testing.T) {
	t.Parallel()
	u, err := SubscriptionURL("http://h/trpc?k=v", "events", []byte(`{"max":3}`), "7", []byte(`{"t":1}`))
	want := "http://h/trpc/events?k=v&connectionParams=%7B%22t%22%3A1%7D&input=%7B%22lastEventId%22%3A%227%22%2C%22max%22%3A3%7D"
	if err != nil || u != want {
		t.Fatalf("%s %v", u, err)
	}
	if u, _ := SubscriptionURL("http://h/", "s", nil, "", nil); u != "http://h/s" {
		t.Fatal(u)
	}
	if _, err := SubscriptionURL("http://h", "s", []byte(`3`), "1", nil); err == nil {
		t.Fatal("a number input cannot carry lastEventId")
	}
}
