package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/trpcws/trpcws/core"
)

// TestGeneratedUpToDate fails when a file in web/lib is not what this
// generator writes: run `go generate ./jsbridge`.
func TestGeneratedUpToDate(t *testing.T) {
	for name, render := range files {
		path := filepath.Join("..", "..", "web", "lib", name)
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, render()) {
			t.Errorf("%s is stale: run go generate ./jsbridge", path)
		}
	}
}

// TestIDPattern holds IDPattern to core.Decode: an id it matches is read
// by core as the same integer, and JavaScript's number for it is exact.
func TestIDPattern(t *testing.T) {
	re := regexp.MustCompile(IDPattern)
	for _, tc := range []struct {
		text  string
		match bool
	}{
		{"1", true}, {"42", true}, {"999999999999999", true},
		{"0", false}, {"01", false}, {"-1", false}, {"1.0", false}, {"1e0", false}, {"1E2", false},
		{"9999999999999999", false}, {"12345678901234567890", false}, {`"1"`, false}, {"null", false},
	} {
		if re.MatchString(tc.text) != tc.match {
			t.Errorf("%s: pattern match %v, want %v", tc.text, !tc.match, tc.match)
		}
		if !tc.match {
			continue
		}
		r, err := core.Decode([]byte(`{"id":` + tc.text + `,"result":{"type":"data"}}`))
		if err != nil || !r.HasID || r.ID < 1 || r.ID > 1<<53 {
			t.Errorf("%s: core reads id %d (%v)", tc.text, r.ID, err)
		}
	}
}

// TestTemplates checks that the request templates rebuild core's frames.
func TestTemplates(t *testing.T) {
	for v, tmpl := range requestTemplates() {
		r := core.Request{WireID: 7, Method: core.Subscription, Path: "a\"b\x08"}
		vals := map[string]string{"id": "7", "method": "subscription", "path": quoted(r.Path)}
		if v&1 != 0 {
			r.Input = []byte(`{"x":[1]}`)
			vals["input"] = string(r.Input)
		}
		if v&2 != 0 {
			r.LastEventID, r.HasLastEventID = "e\n1", true
			vals["lastEventId"] = quoted(r.LastEventID)
		}
		got := ""
		for i, p := range tmpl {
			if i%2 == 0 {
				got += p
			} else {
				got += vals[p]
			}
		}
		if want := string(core.AppendRequest(nil, &r)); got != want {
			t.Errorf("template %d gives %s, core %s", v, got, want)
		}
	}
}
