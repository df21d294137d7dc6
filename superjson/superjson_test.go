package superjson_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/trpcws/trpcws/superjson"
)

func TestDeserializeWithoutMeta(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"json":{"a" : [1, 2]}}`:          `{"a" : [1, 2]}`, // as it came
		`{"json":12345678901234567890}`:    `12345678901234567890`,
		`{"json":null,"meta":null}`:        `null`,
		` { "meta" : {} , "json" : "x" } `: `"x"`,
	} {
		got, err := superjson.Deserialize(json.RawMessage(in))
		if err != nil || string(got) != want {
			t.Errorf("Deserialize(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	if got, err := superjson.Deserialize(nil); got != nil || err != nil {
		t.Errorf("Deserialize(nil) = %s, %v", got, err)
	}
}

// TestDeserializeLegacyPaths: superjson 1 wrote no meta.v, and its paths
// escaped only ".".
func TestDeserializeLegacyPaths(t *testing.T) {
	t.Parallel()
	got, err := superjson.Deserialize(json.RawMessage(`{"json":{"a\\b":{"c.d":"1"}},"meta":{"values":{"a\\b.c\\.d":["bigint"]}}}`))
	if err != nil || string(got) != `{"a\\b":{"c.d":1}}` {
		t.Fatalf("legacy = %s, %v", got, err)
	}
}

// TestDeserializeRejects: a meta that does not fit its value is an error
// naming where, never a panic or a half-decoded value.
func TestDeserializeRejects(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`not json`:                    "not valid JSON",
		`[1]`:                         "not an envelope",
		`{"meta":{}}`:                 "no \"json\" member",
		`{"json":1,"meta":[]}`:        "meta must be an object",
		`{"json":1,"meta":{"v":"1"}}`: "meta.v must be a number",
		`{"json":"x","meta":{"values":["Temporal"],"v":1}}`:                              `unknown type annotation "Temporal"`,
		`{"json":"x","meta":{"values":[["class"]],"v":1}}`:                               "a type annotation must be",
		`{"json":"x","meta":{"values":[["weird","y"]],"v":1}}`:                           "unknown type annotation",
		`{"json":"1.5","meta":{"values":["bigint"],"v":1}}`:                              "a bigint must be a decimal integer string",
		`{"json":"01","meta":{"values":["bigint"],"v":1}}`:                               "a bigint must be",
		`{"json":1,"meta":{"values":["bigint"],"v":1}}`:                                  "a bigint must be",
		`{"json":{"a":1},"meta":{"values":{"b":["Date"]},"v":1}}`:                        "bad meta at b: no such member",
		`{"json":[1],"meta":{"values":{"1":["Date"]},"v":1}}`:                            "bad meta at 1: no such element",
		`{"json":[1],"meta":{"values":{"-1":["Date"]},"v":1}}`:                           "no such element",
		`{"json":[1],"meta":{"values":{"00":["Date"]},"v":1}}`:                           "no such element",
		`{"json":{"a":1},"meta":{"values":{"a.b":["Date"]},"v":1}}`:                      "bad meta at a.b: the path goes through a scalar",
		`{"json":{"a":null},"meta":{"values":{"a":["undefined"],"a.b":["Date"]},"v":1}}`: "the path goes through an undefined value",
		`{"json":1,"meta":{"values":["Date"],"v":1}}`:                                    "a Date must be a string",
		`{"json":[1],"meta":{"values":["map"],"v":1}}`:                                   "a map must be an array of [key, value] pairs",
		`{"json":{},"meta":{"values":["set"],"v":1}}`:                                    "a set must be an array",
		`{"json":"x","meta":{"values":["number"],"v":1}}`:                                "a number annotation must be NaN",
		`{"json":"x","meta":{"values":[],"v":1}}`:                                        "must be [type] or [type, children]",
		`{"json":"x","meta":{"values":["Date",[],1],"v":1}}`:                             "must be [type] or [type, children]",
		`{"json":"x","meta":{"values":["Date",[]],"v":1}}`:                               "children of a meta.values entry must be an object",
		`{"json":"x","meta":{"values":7,"v":1}}`:                                         "not a type annotation",
		`{"json":{"a":1},"meta":{"values":{"a\\b":["Date"]},"v":1}}`:                     "invalid path",
		`{"json":{"a":{}},"meta":{"referentialEqualities":{"a":"b"},"v":1}}`:             "lists paths in an array",
		`{"json":{"a":{}},"meta":{"referentialEqualities":{"a":[1]},"v":1}}`:             "lists paths as strings",
		`{"json":{"a":{}},"meta":{"referentialEqualities":{"x":["a"]},"v":1}}`:           "no such member",
		`{"json":{"a":{}},"meta":{"referentialEqualities":7,"v":1}}`:                     "must be an object or",
	}
	for in, want := range cases {
		got, err := superjson.Deserialize(json.RawMessage(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Deserialize(%s) = %s, %v; want an error with %q", in, got, err, want)
		}
		var me *superjson.MetaError
		if strings.Contains(in, `"meta"`) && !strings.HasPrefix(in, `{"meta"`) && !errors.As(err, &me) {
			t.Errorf("Deserialize(%s): %v is not a *MetaError", in, err)
		}
	}
}

// TestDeserializeSelfReference: an object that repeats itself below stays
// null (JSON cannot hold a cycle), and references that would expand the
// value without bound end with an error.
func TestDeserializeSelfReference(t *testing.T) {
	t.Parallel()
	got, err := superjson.Deserialize(json.RawMessage(`{"json":{"a":{"self":null}},"meta":{"referentialEqualities":{"a":["a.self"]},"v":1}}`))
	if err != nil || string(got) != `{"a":{"self":null}}` {
		t.Fatalf("self = %s, %v", got, err)
	}
	// a.x is b and b.y is a: a cycle through two entries.
	got, err = superjson.Deserialize(json.RawMessage(`{"json":{"a":{"x":null},"b":{"y":null}},"meta":{"referentialEqualities":{"a":["b.y"],"b":["a.x"]},"v":1}}`))
	if err == nil {
		t.Fatalf("cycle = %s, want an error", got)
	}
	// 30 doublings: 2^30 copies of a leaf.
	var b strings.Builder
	b.WriteString(`{"json":{`)
	for i := range 30 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + `":[null,null]`)
	}
	b.WriteString(`},"meta":{"referentialEqualities":{`)
	name := func(i int) string { return "k" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) }
	for i := 1; i < 30; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + name(i-1) + `":["` + name(i) + `.0","` + name(i) + `.1"]`)
	}
	b.WriteString(`},"v":1}}`)
	if got, err := superjson.Deserialize(json.RawMessage(b.String())); err == nil {
		t.Fatalf("doublings decoded to %d bytes, want an error", len(got))
	}
}

func TestSerialize(t *testing.T) {
	t.Parallel()
	if got, err := superjson.Serialize(nil); err != nil || string(got) != `{"json":null,"meta":{"values":["undefined"],"v":1}}` {
		t.Fatalf("Serialize(nil) = %s, %v", got, err)
	}
	if got, err := superjson.Serialize(json.RawMessage(`{"a":1}`)); err != nil || string(got) != `{"json":{"a":1}}` {
		t.Fatalf("Serialize = %s, %v", got, err)
	}
	if _, err := superjson.Serialize(json.RawMessage(`{`)); err == nil {
		t.Fatal("Serialize took invalid JSON")
	}
	// Deserialize reads back what Serialize wrote.
	for _, in := range []string{`null`, `{"a":[1,"x",{"b":true}]}`, `"s"`} {
		env, _ := superjson.Serialize(json.RawMessage(in))
		if back, err := superjson.Deserialize(env); err != nil || string(back) != in {
			t.Errorf("round trip of %s: %s, %v", in, back, err)
		}
	}
	if back, err := superjson.Deserialize(mustSerialize(t, nil)); back != nil || err != nil {
		t.Errorf("round trip of nil: %s, %v", back, err)
	}
}

func mustSerialize(t *testing.T, in json.RawMessage) json.RawMessage {
	t.Helper()
	out, err := superjson.Serialize(in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
