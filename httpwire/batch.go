package httpwire

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/trpcws/trpcws/core"
)

// Call is one query or mutation of a batch. Input is its JSON, nil when the
// call has no input (left out, as undefined is by the reference).
type Call struct {
	Path  string
	Input []byte
}

// Request is one HTTP request to send: GET with no body for queries, POST
// with a JSON body for mutations.
type Request struct {
	Method string
	URL    string
	// Body is the JSON body, nil for a GET.
	Body []byte
}

// ContentType is the content type of a POST body.
const ContentType = "application/json"

// Limits bounds a batch as httpBatchLink's maxItems and maxURLLength do;
// 0 means no bound (the reference's default, Infinity).
type Limits struct {
	// MaxItems is the most calls in one request.
	MaxItems int
	// MaxURLLength is the longest URL a request may have, counted in bytes
	// of the whole URL string (for mutations too, as the reference does).
	MaxURLLength int
}

// ErrTooBig fails a call that breaks Limits on its own, as the reference's
// "Input is too big for a single dispatch".
var ErrTooBig = errors.New("httpwire: input is too big for a single dispatch")

// Build returns the request for calls, all queries (query true) or all
// mutations, as httpBatchLink sends them, a single call too: ?batch=1,
// the paths joined by ",", the inputs in one object keyed by index.
// base is the server's URL (e.g. http://host/api/trpc); its own query
// string is kept.
func Build(base string, query bool, calls []Call) Request {
	r := Request{Method: "POST"}
	if query {
		r.Method = "GET"
	}
	input := batchInput(calls)
	var b strings.Builder
	base, own, _ := strings.Cut(base, "?")
	b.WriteString(strings.TrimSuffix(base, "/"))
	b.WriteByte('/')
	for i, c := range calls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.Path)
	}
	sep := byte('?')
	part := func(s string) {
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(s)
	}
	if own != "" {
		part(own)
	}
	part("batch=1")
	if query {
		part("input=")
		appendURIComponent(&b, input)
	} else {
		r.Body = input
	}
	r.URL = b.String()
	return r
}

// batchInput is {"0":in0,"1":in1,…}, missing inputs left out.
func batchInput(calls []Call) []byte {
	out := []byte{'{'}
	for i, c := range calls {
		if c.Input == nil {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = strconv.AppendInt(out, int64(i), 10)
		out = append(out, '"', ':')
		out = append(out, c.Input...)
	}
	return append(out, '}')
}

// Group splits calls, in order, into the batches Limits allows, as the
// reference's data loader does: a call joins the current batch unless that
// would break a limit, then it starts the next one. A call too big alone is
// in tooBig (by index) and in no batch.
func Group(base string, query bool, calls []Call, lim Limits) (batches [][]int, tooBig []int) {
	fits := func(idx []int) bool {
		if lim.MaxItems > 0 && len(idx) > lim.MaxItems {
			return false
		}
		if lim.MaxURLLength <= 0 {
			return true
		}
		cs := make([]Call, len(idx))
		for i, j := range idx {
			cs[i] = calls[j]
		}
		return len(Build(base, query, cs).URL) <= lim.MaxURLLength
	}
	var cur []int
	for i := 0; i < len(calls); {
		next := append(cur[:len(cur):len(cur)], i)
		switch {
		case fits(next):
			cur = next
			i++
		case len(cur) == 0:
			tooBig = append(tooBig, i)
			i++
		default:
			batches = append(batches, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	return batches, tooBig
}

// Result is one call's outcome in a response.
type Result struct {
	// Data is result.data, nil when the procedure returned nothing.
	Data json.RawMessage
	// Err is the server's error for the call.
	Err *core.TRPCError
}

// Parse decodes the JSON body of a response to a batch of n calls: an
// array of n envelopes (a single envelope, as a server sends for an error
// of the whole request, is used for every call, as the reference does). An
// error means no call got an answer.
func Parse(body []byte, n int) ([]Result, error) {
	var arr []json.RawMessage
	trimmed := strings.TrimLeft(string(body[:min(len(body), 16)]), " \t\r\n")
	if strings.HasPrefix(trimmed, "[") {
		if err := json.Unmarshal(body, &arr); err != nil {
			return nil, errors.Join(errors.New("httpwire: response is not JSON"), err)
		}
		if len(arr) != n {
			return nil, errors.New("httpwire: response has " + strconv.Itoa(len(arr)) + " results for " + strconv.Itoa(n) + " calls")
		}
	} else {
		if !json.Valid(body) {
			return nil, errors.New("httpwire: response is not JSON")
		}
		arr = make([]json.RawMessage, n)
		for i := range arr {
			arr[i] = body
		}
	}
	out := make([]Result, n)
	for i, raw := range arr {
		r, err := parseEnvelope(raw)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

func parseEnvelope(raw []byte) (Result, error) {
	var env struct {
		Result *struct {
			Data json.RawMessage `json:"data"`
		} `json:"result"`
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return Result{}, errors.Join(errors.New("httpwire: bad response envelope"), err)
	}
	switch {
	case env.Error != nil && string(env.Error) != "null":
		return Result{Err: core.ParseError(env.Error)}, nil
	case env.Result != nil:
		return Result{Data: env.Result.Data}, nil
	}
	return Result{}, errors.New("httpwire: response envelope has neither result nor error")
}

// appendURIComponent writes s escaped as JavaScript's encodeURIComponent
// does: everything but A-Z a-z 0-9 - _ . ! ~ * ' ( ) as %XX of its UTF-8 bytes.
func appendURIComponent(b *strings.Builder, s []byte) {
	const hex = "0123456789ABCDEF"
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}
