package httpwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/trpcws/trpcws/core"
)

// The streamed batch response of httpBatchStreamLink (docs/http.md): a
// request with the header TRPCAcceptHeader: JSONL is answered with JSON
// lines. The first is the head, {"0":v0,"1":v1,…}, one encoded value per
// call; later lines are chunks [chunkIndex, status, encodedValue] that
// fill in the promises the head left open, in any order, as the server's
// calls finish; a lone space between lines is a ping. An encoded value is
// [[value]] (or [[]] for undefined) followed by [key, kind, chunkIndex]
// for each of its parts still to come: key null for the value itself,
// else a property of the object value.

// The request header asking for the streamed response, and its value.
const (
	TRPCAcceptHeader = "trpc-accept"
	JSONL            = "application/jsonl"
)

// What chunks say (@trpc/server's jsonl.ts).
const (
	chunkPromise       = 0 // a part that resolves once
	chunkAsyncIterable = 1 // a part that yields (a streamed procedure result)
	statusFulfilled    = 0 // a promise's chunk: resolved
	statusRejected     = 1 // a promise's chunk: rejected with an error shape
)

// ErrAsyncIterable is a call's error when its procedure returned an async
// iterable (a streamed query), which this client does not read.
var ErrAsyncIterable = errors.New("httpwire: the procedure returned an async iterable (a streamed result), which is not supported")

// StreamResult is one call's result from a streamed batch response.
type StreamResult struct {
	Index int
	Result
	// Fail is why the call has no result when it is not the server's
	// error (ErrAsyncIterable, a broken value).
	Fail error
}

// StreamDecoder decodes a streamed batch response for n calls, fed in
// pieces as they arrive. A response that is not JSON lines (a server that
// ignores trpc-accept answers as httpBatchLink) is read whole and parsed
// as Parse does, at End.
type StreamDecoder struct {
	// Limit bounds a line, and a plain response as a whole, in bytes; 0
	// means no limit. Past it Feed returns a *LimitError.
	Limit int64

	n       int
	line    []byte
	head    bool // the head was read
	plain   bool // not JSON lines: buffered in all for Parse
	all     []byte
	waiting map[int64]func(status int64, data json.RawMessage)
	left    int // calls not yet answered
	out     []StreamResult
}

// NewStreamDecoder returns a decoder for a response to n calls.
func NewStreamDecoder(n int) *StreamDecoder {
	return &StreamDecoder{n: n, left: n, waiting: map[int64]func(int64, json.RawMessage){}}
}

// Feed takes the next bytes of the response and returns the calls that
// they completed, appended to dst. An error means the response is broken:
// the calls not yet answered fail with it.
func (d *StreamDecoder) Feed(dst []StreamResult, p []byte) ([]StreamResult, error) {
	if d.plain {
		return dst, d.appendAll(p)
	}
	d.out = dst
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			i = len(p)
		}
		if over(len(d.line)+i, d.Limit) {
			return d.out, &LimitError{What: "jsonl line", Limit: d.Limit}
		}
		d.line = append(d.line, p[:i]...)
		if i == len(p) {
			break
		}
		p = p[i+1:]
		if err := d.handle(d.line); err != nil {
			return d.out, err
		}
		d.line = d.line[:0]
		if d.plain {
			return d.out, d.appendAll(p)
		}
	}
	return d.out, nil
}

// appendAll buffers p of a plain response, within Limit.
func (d *StreamDecoder) appendAll(p []byte) error {
	if over(len(d.all)+len(p), d.Limit) {
		return &LimitError{What: "response body", Limit: d.Limit}
	}
	d.all = append(d.all, p...)
	return nil
}

// End is the end of the response: it returns the calls a plain response
// answered, or an error when calls are still unanswered.
func (d *StreamDecoder) End(dst []StreamResult) ([]StreamResult, error) {
	if !d.plain && len(bytes.TrimSpace(d.line)) > 0 {
		d.out = dst
		err := d.handle(d.line)
		d.line = nil
		if err != nil {
			return d.out, err
		}
		dst = d.out
	}
	if d.plain || !d.head {
		rs, err := Parse(append(d.all, d.line...), d.n)
		if err != nil {
			return dst, err
		}
		for i, r := range rs {
			dst = append(dst, StreamResult{Index: i, Result: r})
		}
		return dst, nil
	}
	if d.left > 0 {
		return dst, errors.New("httpwire: the streamed response ended with " + strconv.Itoa(d.left) + " calls unanswered")
	}
	return dst, nil
}

func (d *StreamDecoder) handle(line []byte) error {
	line = bytes.TrimLeft(line, " \t\r") // pings are spaces before a line
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	if !d.head {
		return d.handleHead(line)
	}
	var chunk []json.RawMessage
	if err := json.Unmarshal(line, &chunk); err != nil || len(chunk) < 2 {
		return errors.New("httpwire: bad chunk in the streamed response")
	}
	var idx, status int64
	if json.Unmarshal(chunk[0], &idx) != nil || json.Unmarshal(chunk[1], &status) != nil {
		return errors.New("httpwire: bad chunk in the streamed response")
	}
	f := d.waiting[idx]
	if f == nil {
		return nil // an async iterable's further chunks
	}
	delete(d.waiting, idx)
	var data json.RawMessage
	if len(chunk) > 2 {
		data = chunk[2]
	}
	f(status, data)
	return nil
}

func (d *StreamDecoder) handleHead(line []byte) error {
	d.head = true
	if line[0] == '[' {
		d.plain = true // httpBatchLink's array
		d.all = append(d.all, line...)
		d.all = append(d.all, '\n')
		return nil
	}
	var head map[string]json.RawMessage
	if err := json.Unmarshal(line, &head); err != nil {
		return errors.Join(errors.New("httpwire: the streamed response's head is not JSON"), err)
	}
	if _, ok := head["result"]; ok || head["error"] != nil {
		d.plain = true // one call's plain envelope
		d.all = append(d.all, line...)
		return nil
	}
	for i := range d.n {
		enc, ok := head[strconv.Itoa(i)]
		if !ok {
			return errors.New("httpwire: the streamed response's head has no call " + strconv.Itoa(i))
		}
		d.decode(enc, func(v json.RawMessage, err error) {
			d.left--
			sr := StreamResult{Index: i}
			if err == nil {
				sr.Result, err = parseEnvelope(v)
			}
			var te *core.TRPCError
			if errors.As(err, &te) {
				sr.Result = Result{Err: te}
			} else if err != nil {
				sr.Fail = err
			}
			d.out = append(d.out, sr)
		})
	}
	return nil
}

// decode rebuilds an encoded value, calling done once it is whole (v nil
// for undefined).
func (d *StreamDecoder) decode(enc json.RawMessage, done func(v json.RawMessage, err error)) {
	var parts []json.RawMessage
	if err := json.Unmarshal(enc, &parts); err != nil || len(parts) == 0 {
		done(nil, errors.New("httpwire: bad value in the streamed response"))
		return
	}
	var first []json.RawMessage
	if err := json.Unmarshal(parts[0], &first); err != nil {
		done(nil, errors.New("httpwire: bad value in the streamed response"))
		return
	}
	if len(first) == 0 {
		done(nil, nil)
		return
	}
	if len(parts) == 1 {
		done(first[0], nil)
		return
	}
	type part struct {
		key  *string
		kind int64
		idx  int64
	}
	ps := make([]part, 0, len(parts)-1)
	for _, raw := range parts[1:] {
		var def []json.RawMessage
		var p part
		if json.Unmarshal(raw, &def) != nil || len(def) != 3 || json.Unmarshal(def[0], &p.key) != nil ||
			json.Unmarshal(def[1], &p.kind) != nil || json.Unmarshal(def[2], &p.idx) != nil {
			done(nil, errors.New("httpwire: bad value in the streamed response"))
			return
		}
		if p.key == nil { // the whole value comes later
			d.await(p.kind, p.idx, done)
			return
		}
		ps = append(ps, p)
	}
	obj, keys, err := orderedObject(first[0])
	if err != nil {
		done(nil, err)
		return
	}
	left := len(ps)
	var firstErr error
	for _, p := range ps {
		key := *p.key
		d.await(p.kind, p.idx, func(v json.RawMessage, err error) {
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if v == nil {
				delete(obj, key)
			} else {
				obj[key] = v
			}
			if left--; left == 0 {
				if firstErr != nil {
					done(nil, firstErr)
					return
				}
				done(assemble(obj, keys), nil)
			}
		})
	}
}

// await waits for chunk idx and decodes it into done.
func (d *StreamDecoder) await(kind, idx int64, done func(json.RawMessage, error)) {
	if kind == chunkAsyncIterable {
		done(nil, ErrAsyncIterable)
		return
	}
	if kind != chunkPromise {
		done(nil, errors.New("httpwire: unknown part kind in the streamed response"))
		return
	}
	d.waiting[idx] = func(status int64, data json.RawMessage) {
		if status == statusRejected {
			r, err := parseEnvelope(append(append([]byte(`{"error":`), data...), '}'))
			if err == nil && r.Err != nil {
				err = r.Err
			}
			done(nil, err)
			return
		}
		d.decode(data, done)
	}
}

// orderedObject splits a JSON object into its members, keeping their order.
func orderedObject(raw json.RawMessage) (map[string]json.RawMessage, []string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, errors.New("httpwire: a value with parts is not an object")
	}
	obj := map[string]json.RawMessage{}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		if _, dup := obj[k]; !dup {
			keys = append(keys, k)
		}
		obj[k] = v
	}
	return obj, keys, nil
}

func assemble(obj map[string]json.RawMessage, keys []string) json.RawMessage {
	b := []byte{'{'}
	for _, k := range keys {
		v, ok := obj[k]
		if !ok {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		kb, _ := json.Marshal(k)
		b = append(append(append(b, kb...), ':'), v...)
	}
	return append(b, '}')
}
