package httpwire

import "strconv"

// LimitError is why a response was not read further: one part of it is
// longer than the reader's limit (the client's ReadLimit).
type LimitError struct {
	// What is the part: "response body" (a plain batch response, read
	// whole), "jsonl line" (one line of a streamed batch response), "SSE
	// event" (one event's data) or "SSE line" (one line of an event
	// stream, also one that never ends).
	What string
	// Limit is the limit, in bytes.
	Limit int64
}

func (e *LimitError) Error() string {
	return "httpwire: " + e.What + " longer than ReadLimit (" + strconv.FormatInt(e.Limit, 10) + " bytes)"
}

// over tells whether n bytes break limit (0: no limit).
func over(n int, limit int64) bool { return limit > 0 && int64(n) > limit }
