package superjson_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/trpcws/trpcws/internal/testserver"
	"github.com/trpcws/trpcws/superjson"
)

// nodeAnswer is what testdata/superjson.mjs answers.
type nodeAnswer struct {
	Version     string   `json:"version"`
	Serialize   []string `json:"serialize"`
	Deserialize []string `json:"deserialize"`
}

// realSuperjson runs the real superjson (testserver's, as `make deps`
// installs it) in Node on req; a missing Node or npm install fails the test.
func realSuperjson(t *testing.T, req any) nodeAnswer {
	t.Helper()
	root, err := testserver.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	modules := filepath.Join(root, "testserver", "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "superjson", "package.json")); err != nil {
		t.Fatalf("superjson is not installed in testserver/node_modules: run `make deps` (%v)", err)
	}
	node := os.Getenv("TRPCWS_NODE")
	if node == "" {
		node = "node"
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("testdata", "superjson.mjs"), modules)
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node testdata/superjson.mjs: %v\n%s", err, stderr.Bytes())
	}
	var a nodeAnswer
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatalf("node answered %q: %v", out, err)
	}
	return a
}

// deserializeCases: a JavaScript value, and the JSON Deserialize must make
// of what the real superjson.stringify writes for it.
var deserializeCases = []struct{ js, want string }{
	{`undefined`, ``},
	{`null`, `null`},
	{`42`, `42`},
	{`"text"`, `"text"`},
	{`{a: 1, b: [true, null]}`, `{"a":1,"b":[true,null]}`},
	{`new Date(Date.UTC(2024, 4, 1, 12, 30, 15, 250))`, `"2024-05-01T12:30:15.250Z"`},
	{`{at: new Date(0), n: 1}`, `{"at":"1970-01-01T00:00:00.000Z","n":1}`},
	{`12345678901234567890123n`, `12345678901234567890123`},
	{`-5n`, `-5`},
	{`{id: 9007199254740993n}`, `{"id":9007199254740993}`},
	{`{a: undefined, b: 1}`, `{"b":1}`},
	{`[undefined, 1]`, `[null,1]`},
	{`new Map([["a", 1], ["b", new Date(1000)]])`, `{"a":1,"b":"1970-01-01T00:00:01.000Z"}`},
	{`new Map([[1, "one"], [2, "two"]])`, `{"1":"one","2":"two"}`},
	{`new Map([[new Date(0), 1]])`, `{"1970-01-01T00:00:00.000Z":1}`},
	{`new Map([[10n, "x"]])`, `{"10":"x"}`},
	{`new Map([[{k: 1}, "obj"]])`, `[[{"k":1},"obj"]]`},
	{`new Map([[1, "n"], ["1", "s"]])`, `[[1,"n"],["1","s"]]`},
	{`new Map([["k", undefined]])`, `{"k":null}`},
	{`new Map()`, `{}`},
	{`new Set([1, "x", new Date(0)])`, `[1,"x","1970-01-01T00:00:00.000Z"]`},
	{`{m: new Map([["s", new Set([1n, 2n])]])}`, `{"m":{"s":[1,2]}}`},
	{`{n: NaN, i: Infinity, j: -Infinity, z: -0}`, `{"n":null,"i":null,"j":null,"z":0}`},
	{`{re: /a.b/gi, u: new URL("https://x.test/p?q=1")}`, `{"re":"/a.b/gi","u":"https://x.test/p?q=1"}`},
	{`new Error("bad")`, `{"name":"Error","message":"bad"}`},
	{`new Uint8Array([1, 2, 255])`, `[1,2,255]`},
	{`{"a.b": new Date(0), "c\\d": {"e.f": 1n}}`, `{"a.b":"1970-01-01T00:00:00.000Z","c\\d":{"e.f":1}}`},
	{`{"": {"": 1n}}`, `{"":{"":1}}`},
	{`(() => { const o = {x: 1n}; return {a: o, b: o, c: [o]}; })()`, `{"a":{"x":1},"b":{"x":1},"c":[{"x":1}]}`},
	{`{s: "<&>\u2028é", d: new Date(0)}`, `{"s":"<&>` + "\u2028" + `é","d":"1970-01-01T00:00:00.000Z"}`}, // kept as it came
	{`{id: "1", data: {n: 1, at: new Date(86400000)}}`, `{"id":"1","data":{"n":1,"at":"1970-01-02T00:00:00.000Z"}}`},
}

// TestDeserializeRealSuperjson decodes what the real superjson writes.
func TestDeserializeRealSuperjson(t *testing.T) {
	t.Parallel()
	exprs := make([]string, len(deserializeCases))
	for i, c := range deserializeCases {
		exprs[i] = c.js
	}
	a := realSuperjson(t, map[string]any{"serialize": exprs})
	if a.Version == "" || len(a.Serialize) != len(exprs) {
		t.Fatalf("node answered %+v", a)
	}
	t.Logf("superjson %s", a.Version)
	for i, c := range deserializeCases {
		got, err := superjson.Deserialize(json.RawMessage(a.Serialize[i]))
		if err != nil {
			t.Errorf("%s: Deserialize(%s): %v", c.js, a.Serialize[i], err)
			continue
		}
		if !jsonEqual(got, c.want) {
			t.Errorf("%s: Deserialize(%s) = %s, want %s", c.js, a.Serialize[i], got, c.want)
		}
	}
}

// TestDedupeRealSuperjson decodes superjson's dedupe output, where a
// repeated object is null but for its first place.
func TestDedupeRealSuperjson(t *testing.T) {
	t.Parallel()
	const want = `{"a":{"x":"1970-01-01T00:00:00.000Z"},"b":{"x":"1970-01-01T00:00:00.000Z"},"c":[{"x":"1970-01-01T00:00:00.000Z"}]}`
	a := realSuperjson(t, map[string]any{"serialize": []string{
		`(() => { const o = {x: new Date(0)}; return new SuperJSON({dedupe: true}).serialize({a: o, b: o, c: [o]}); })()`,
	}})
	// The expression returns the serialized envelope; stringify wrapped it
	// once more: unwrap that.
	env, err := superjson.Deserialize(json.RawMessage(a.Serialize[0]))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(env, []byte(`null`)) {
		t.Fatalf("dedupe wrote no null: %s", env)
	}
	got, err := superjson.Deserialize(env)
	if err != nil || !jsonEqual(got, want) {
		t.Fatalf("Deserialize(%s) = %s, %v; want %s", env, got, err, want)
	}
}

// TestSerializeRealSuperjson sends inputs through the real superjson.parse:
// the server sees the same values, and no input is undefined.
func TestSerializeRealSuperjson(t *testing.T) {
	t.Parallel()
	cases := []struct {
		input json.RawMessage
		want  string
	}{
		{nil, `undefined`},
		{json.RawMessage(`null`), `null`},
		{json.RawMessage(`{"a":1,"b":[true,"x"],"c":{"d":null}}`), `{"a":1,"b":[true,"x"],"c":{"d":null}}`},
		{json.RawMessage(` "2024-05-01T12:00:00Z" `), `"2024-05-01T12:00:00Z"`},
		{json.RawMessage(`[1.5,-0,1e3]`), `[1.5,-0,1000]`},
		{json.RawMessage(`{"json":1,"meta":{"values":["bigint"]}}`), `{"json":1,"meta":{"values":["bigint"]}}`},
	}
	var texts []string
	for _, c := range cases {
		env, err := superjson.Serialize(c.input)
		if err != nil {
			t.Fatalf("Serialize(%s): %v", c.input, err)
		}
		texts = append(texts, string(env))
	}
	a := realSuperjson(t, map[string]any{"deserialize": texts})
	for i, c := range cases {
		if a.Deserialize[i] != c.want {
			t.Errorf("Serialize(%s) = %s: superjson.parse gives %s, want %s", c.input, texts[i], a.Deserialize[i], c.want)
		}
	}
}

// jsonEqual compares JSON texts, their whitespace aside ("" is nil): key
// order and every digit count.
func jsonEqual(got json.RawMessage, want string) bool {
	if want == "" || got == nil {
		return want == "" && got == nil
	}
	var g, w bytes.Buffer
	if json.Compact(&g, got) != nil || json.Compact(&w, []byte(want)) != nil {
		return false
	}
	return bytes.Equal(g.Bytes(), w.Bytes())
}
