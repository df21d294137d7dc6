package httpwire

import (
	"errors"
	"strings"
	"testing"
)

// feedSSE feeds s to a parser with limit in chunks of n bytes.
func feedSSE(limit int64, s string, n int) ([]SSEEvent, error) {
	p := SSEParser{Limit: limit}
	var evs []SSEEvent
	for len(s) > 0 {
		k := min(n, len(s))
		var err error
		if evs, err = p.Feed(evs, []byte(s[:k])); err != nil {
			return evs, err
		}
		s = s[k:]
	}
	return evs, nil
}

// An event's data and a line are bounded by Limit, an event of exactly
// Limit bytes passes, and the events before the one over it are kept; a
// line without end fails once it is past the limit, not at its end.
func TestSSELimit(t *testing.T) {
	t.Parallel()
	ten := strings.Repeat("x", 10)
	for _, tc := range []struct {
		name   string
		stream string
		events int    // delivered before the error (or in all)
		what   string // the LimitError's What, "" for none
	}{
		{"exactly the limit", "data: " + ten + "\n\n", 1, ""},
		{"two lines joined at the limit", "data: xxxx\ndata: xxxxx\n\n", 1, ""},
		{"one data line past the limit", "data: 1\n\ndata: " + ten + "x\n\n", 1, "SSE line"},
		{"lines joined past the limit", "data: 1\n\ndata: " + ten + "\ndata: " + ten + "\n\n", 1, "SSE event"},
		{"a line past the limit", "data: 1\n\n: " + ten + ten + "\n", 1, "SSE line"},
		{"a line without end", "data: 1\n\ndata: " + ten + ten, 1, "SSE line"},
	} {
		for _, n := range []int{1, 7, 1 << 10} {
			evs, err := feedSSE(16, tc.stream, n)
			var le *LimitError
			switch {
			case tc.what == "" && err != nil:
				t.Fatalf("%s (chunks of %d): %v", tc.name, n, err)
			case tc.what != "" && (!errors.As(err, &le) || le.What != tc.what || le.Limit != 16):
				t.Fatalf("%s (chunks of %d): %v, want a *LimitError for %s", tc.name, n, err, tc.what)
			case len(evs) != tc.events:
				t.Fatalf("%s (chunks of %d): %d events before, want %d", tc.name, n, len(evs), tc.events)
			}
		}
	}
	if _, err := feedSSE(0, "data: "+strings.Repeat("x", 1<<20)+"\n\n", 4096); err != nil {
		t.Fatalf("no limit: %v", err)
	}
	if err := (&LimitError{What: "SSE event", Limit: 16}).Error(); !strings.Contains(err, "ReadLimit (16 bytes)") {
		t.Fatalf("the message does not name the limit: %s", err)
	}
}

// A jsonl line is bounded by Limit (the head too); calls answered before
// the line over it keep their answer; a plain response is bounded as a
// whole.
func TestStreamDecoderLimit(t *testing.T) {
	t.Parallel()
	head := `{"0":[[0],[null,0,0]],"1":[[0],[null,0,1]]}` + "\n"
	ok := `[0,0,[[{"result":{"data":1}}]]]` + "\n"
	big := `[1,0,[[{"result":{"data":"` + strings.Repeat("x", 100) + `"}}]]]` + "\n"
	for _, tc := range []struct {
		name     string
		body     string
		limit    int64
		answered int
		what     string
	}{
		{"within", head + ok + big, int64(len(big)), 2, ""},
		{"a chunk over", head + ok + big, int64(len(big)) - 2, 1, "jsonl line"},
		{"a line without end", head + ok + strings.Repeat(" x", 200), 100, 1, "jsonl line"},
		{"the head over", head, 10, 0, "jsonl line"},
		{"a plain reply within", `[{"result":{"data":1}},` + "\n" + `{"result":{"data":2}}]`, 50, 2, ""},
		{"a plain reply over", `[{"result":{"data":1}},` + "\n" + `{"result":{"data":"` + strings.Repeat("x", 40) + `"}}]`, 50, 0, "response body"},
	} {
		for _, n := range []int{1, 9, 1 << 10} {
			d := NewStreamDecoder(2)
			d.Limit = tc.limit
			var rs []StreamResult
			var err error
			for b := tc.body; len(b) > 0 && err == nil; {
				k := min(n, len(b))
				rs, err = d.Feed(rs, []byte(b[:k]))
				b = b[k:]
			}
			if err == nil {
				rs, err = d.End(rs)
			}
			var le *LimitError
			switch {
			case tc.what == "" && err != nil:
				t.Fatalf("%s (chunks of %d): %v", tc.name, n, err)
			case tc.what != "" && (!errors.As(err, &le) || le.What != tc.what || le.Limit != tc.limit):
				t.Fatalf("%s (chunks of %d): %v, want a *LimitError for %s", tc.name, n, err, tc.what)
			case len(rs) != tc.answered:
				t.Fatalf("%s (chunks of %d): %d calls answered, want %d", tc.name, n, len(rs), tc.answered)
			}
		}
	}
}
