package httpwire

import (
	"strings"
	"testing"
)

// What @trpc/server 11.25.2 answered to slow,echo,fail with trpc-accept:
// application/jsonl (captured with curl; the stack shortened), and to a
// void mutation.
const (
	streamed = `{"0":[[0],[null,0,0]],"1":[[0],[null,0,1]],"2":[[0],[null,0,2]]}
[2,0,[[{"error":{"message":"failed","code":-32004,"data":{"code":"NOT_FOUND","httpStatus":404,"stack":"x","path":"fail"}}}]]]
[1,0,[[{"result":0}],["result",0,3]]]
[3,0,[[{"data":0}],["data",0,4]]]
[4,0,[[{"a":1}]]]
 [0,0,[[{"result":0}],["result",0,5]]]
[5,0,[[{"data":0}],["data",0,6]]]
[6,0,[[7]]]
`
	streamedVoid = `{"0":[[0],[null,0,0]]}
[0,0,[[{"result":0}],["result",0,1]]]
[1,0,[[{"data":0}],["data",0,2]]]
[2,0,[[]]]
`
)

// feed gives the decoder body in pieces of size n and returns what it
// answered, in order, with End's error.
func feed(t *testing.T, calls int, body string, n int) ([]StreamResult, error) {
	t.Helper()
	d := NewStreamDecoder(calls)
	var out []StreamResult
	for len(body) > 0 {
		k := min(n, len(body))
		var err error
		out, err = d.Feed(out, []byte(body[:k]))
		if err != nil {
			return out, err
		}
		body = body[k:]
	}
	return d.End(out)
}

func TestStreamDecoder(t *testing.T) {
	for _, n := range []int{1, 3, 7, 64, 1 << 20} {
		out, err := feed(t, 3, streamed, n)
		if err != nil {
			t.Fatal(err)
		}
		// In the order the server finished them: fail, echo, slow.
		if len(out) != 3 || out[0].Index != 2 || out[1].Index != 1 || out[2].Index != 0 {
			t.Fatalf("piece %d: %+v", n, out)
		}
		if out[0].Err == nil || out[0].Err.Code != "NOT_FOUND" || string(out[1].Data) != `{"a":1}` || string(out[2].Data) != "7" {
			t.Fatalf("piece %d: %+v", n, out)
		}
	}
	out, err := feed(t, 1, streamedVoid, 5)
	if err != nil || len(out) != 1 || out[0].Data != nil || out[0].Err != nil || out[0].Fail != nil {
		t.Fatalf("void: %+v %v", out, err)
	}
}

func TestStreamDecoderPlainAndBroken(t *testing.T) {
	// A server that ignores trpc-accept answers as httpBatchLink.
	out, err := feed(t, 2, `[{"result":{"data":1}},{"result":{"data":2}}]`, 4)
	if err != nil || len(out) != 2 || string(out[1].Data) != "2" {
		t.Fatalf("plain: %+v %v", out, err)
	}
	out, err = feed(t, 1, `{"error":{"message":"m","code":-32600,"data":{"code":"BAD_REQUEST"}}}`, 4)
	if err != nil || len(out) != 1 || out[0].Err == nil || out[0].Err.Code != "BAD_REQUEST" {
		t.Fatalf("plain error: %+v %v", out, err)
	}
	// Cut before the last chunk: the call is unanswered.
	cut := streamed[:strings.LastIndex(streamed[:len(streamed)-1], "\n")+1]
	out, err = feed(t, 3, cut, 9)
	if err == nil || len(out) != 2 {
		t.Fatalf("cut: %+v %v", out, err)
	}
	// A streamed (async iterable) result fails its call only.
	out, err = feed(t, 2, `{"0":[[0],[null,0,0]],"1":[[0],[null,0,1]]}
[0,0,[[{"result":0}],["result",0,2]]]
[2,0,[[{"data":0}],["data",1,3]]]
[3,1,[[1]]]
[1,0,[[{"result":0}],["result",0,4]]]
[4,0,[[{"data":0}],["data",0,5]]]
[5,0,[["ok"]]]
[3,0,[[]]]
`, 11)
	if err != nil || len(out) != 2 || out[0].Fail != ErrAsyncIterable || string(out[1].Data) != `"ok"` {
		t.Fatalf("async iterable: %+v %v", out, err)
	}
	// A rejected promise is the call's error.
	out, err = feed(t, 1, `{"0":[[0],[null,0,0]]}
[0,1,{"message":"x","code":-32603,"data":{"code":"INTERNAL_SERVER_ERROR"}}]
`, 100)
	if err != nil || len(out) != 1 || out[0].Err == nil || out[0].Err.Code != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("rejected: %+v %v", out, err)
	}
	if _, err := feed(t, 1, "{\"0\":[[0],[null,0,0]]}\nnot json\n", 100); err == nil {
		t.Fatal("a broken chunk: no error")
	}
}
