// Package superjson reads and writes the wire format of superjson
// (https://github.com/flightcontrolhq/superjson), the data transformer
// most tRPC servers are created with (initTRPC.create({transformer:
// superjson}), as create-t3-app does), so that a Go program can talk to
// them with package trpcws:
//
//	c, err := trpcws.NewClient(trpcws.Options{
//		URL:         "https://example.com/api/trpc",
//		Transformer: superjson.Transformer{},
//	})
//
// superjson sends a value as an envelope {"json": …, "meta": {"values":
// …}}: json is the value made JSON, and meta.values records where it held
// a type JSON lacks (a Date, a bigint, a Map, undefined, …). Deserialize
// walks those annotations and returns the plain JSON a Go program decodes
// with encoding/json, choosing for each type the JSON that fits Go (see
// Deserialize); Serialize wraps an input as the server's superjson expects
// it. The package has no dependencies beyond the standard library and does
// not import trpcws.
//
// It was written against superjson 2.2.6's output (meta.v 1, and the
// older paths without it).
package superjson

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Transformer is superjson as a trpcws.Transformer (Options.Transformer):
// inputs go through Serialize, and results, errors and subscription events
// through Deserialize. Its zero value is ready to use.
type Transformer struct{}

// Serialize calls the package's Serialize.
func (Transformer) Serialize(input json.RawMessage) (json.RawMessage, error) { return Serialize(input) }

// Deserialize calls the package's Deserialize.
func (Transformer) Deserialize(data json.RawMessage) (json.RawMessage, error) {
	return Deserialize(data)
}

// undefined is superjson's envelope of undefined: what the reference client
// sends for a call without input (a server with superjson rejects a call
// whose input is missing altogether).
var undefined = []byte(`{"json":null,"meta":{"values":["undefined"],"v":1}}`)

// Serialize wraps input, one JSON value, as superjson's envelope
// {"json":input}, which a superjson server reads back as the same value.
// nil (no input: JavaScript's undefined) becomes superjson's undefined, as
// the reference client sends it. JSON holds no Date, bigint, Map or Set,
// so none is sent: a time.Time marshalled by encoding/json reaches the
// server as its RFC 3339 string (a procedure whose input must be a Date
// wants z.coerce.date() or a string), a big integer as a number. input
// that is not valid JSON is an error.
func Serialize(input json.RawMessage) (json.RawMessage, error) {
	if input == nil {
		return bytes.Clone(undefined), nil
	}
	if !json.Valid(input) {
		return nil, errors.New("superjson: input is not valid JSON")
	}
	out := make([]byte, 0, len(input)+9)
	out = append(out, `{"json":`...)
	out = append(out, input...)
	return append(out, '}'), nil
}

// Deserialize reads superjson's envelope of one value and returns the
// value as plain JSON: nil when it was undefined, or when data is nil. An
// envelope without meta is its json member as it came. Otherwise each
// annotated value becomes:
//
//   - Date: its ISO 8601 string as JavaScript writes it (RFC 3339 in UTC,
//     e.g. "2024-05-01T12:00:00.000Z"), which decodes into a time.Time;
//   - bigint: a JSON number with every digit (decode it into an int64,
//     a *big.Int, or a json.Number, not a float64, to keep them all);
//   - undefined: left out of an object, null in an array, nil at the root;
//   - Map: an object when every key is a string or a number (a number key
//     as its text, so a map[int]T decodes it) and no two are alike;
//     otherwise the [key, value] pairs as superjson sends them;
//   - Set: an array of its values; a typed array: an array of numbers;
//   - NaN, Infinity and -Infinity: null, and -0: 0, as JSON.stringify
//     writes them;
//   - RegExp ("/x/g"), URL, and a symbol's description: the string;
//     Error: the object {name, message, …}; an instance of a registered
//     class or a custom transformer's value: the JSON superjson sent.
//
// The meta's referentialEqualities (which superjson writes when an object
// appears in more than one place) fill in the places superjson's dedupe
// option left null. Anything else in the meta that does not match the
// value (a path to nowhere, an unknown type, a bigint that is not an
// integer) is a *MetaError; data that is not a JSON object with a json
// member is an error too. Deserialize never panics, whatever data holds.
func Deserialize(data json.RawMessage) (json.RawMessage, error) {
	if data == nil {
		return nil, nil
	}
	env, err := parse(data)
	if err != nil {
		return nil, err
	}
	if env.kind != kindObject {
		return nil, errors.New("superjson: not an envelope (a JSON object with a \"json\" member)")
	}
	value := env.member("json")
	if value == nil {
		return nil, errors.New("superjson: not an envelope (no \"json\" member)")
	}
	meta := env.member("meta")
	if meta == nil || meta.isNull() {
		return bytes.Clone(data[value.start:value.end]), nil
	}
	if meta.kind != kindObject {
		return nil, &MetaError{Reason: "meta must be an object"}
	}
	d := decoder{root: value}
	if v := meta.member("v"); v != nil && !v.isNull() {
		if !v.isNumber() {
			return nil, &MetaError{Reason: "meta.v must be a number"}
		}
		d.legacy = string(v.raw) == "0" || v.raw[0] == '-'
	} else {
		d.legacy = true // superjson 1 wrote no v: its paths knew only "\."
	}
	if vals := meta.member("values"); vals != nil && !vals.isNull() {
		if err := d.applyValues(vals, nil); err != nil {
			return nil, err
		}
	}
	if eq := meta.member("referentialEqualities"); eq != nil && !eq.isNull() {
		if err := d.applyEqualities(eq); err != nil {
			return nil, err
		}
	}
	if d.root.absent {
		return nil, nil
	}
	w := writer{out: make([]byte, 0, len(data)), limit: max(len(data)*64, 1<<20)}
	if err := w.write(d.root, 0); err != nil {
		return nil, err
	}
	return w.out, nil
}

// MetaError reports an envelope whose meta does not fit its json value.
type MetaError struct {
	// Path is where in the value the meta pointed, its segments joined by
	// "." ("" for the value itself).
	Path string
	// Reason says what was wrong.
	Reason string
}

func (e *MetaError) Error() string {
	if e.Path == "" {
		return "superjson: bad meta: " + e.Reason
	}
	return "superjson: bad meta at " + e.Path + ": " + e.Reason
}

// decoder holds one Deserialize's tree.
type decoder struct {
	root   *node
	legacy bool // paths before meta.v 1: only "\." is an escape
}
