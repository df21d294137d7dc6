package superjson_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/trpcws/trpcws/superjson"
)

// FuzzDeserialize: whatever the envelope holds, Deserialize returns (no
// panic, no hang) with an error or with nil or valid JSON, the same twice.
// The seeds are real superjson output (node_test.go's cases) and hostile
// metas.
func FuzzDeserialize(f *testing.F) {
	for _, s := range []string{
		`{"json":null,"meta":{"values":["undefined"],"v":1}}`,
		`{"json":"1970-01-01T00:00:00.000Z","meta":{"values":["Date"],"v":1}}`,
		`{"json":"12345678901234567890","meta":{"values":["bigint"],"v":1}}`,
		`{"json":[["a",1],[2,"1970-01-01T00:00:00.000Z"]],"meta":{"values":["map",{"1.1":["Date"]}],"v":1}}`,
		`{"json":[1,"x","1970-01-01T00:00:00.001Z"],"meta":{"values":["set",{"2":["Date"]}],"v":1}}`,
		`{"json":{"a":null,"b":[null,1],"d":"1970-01-01T00:00:00.005Z","a.b":"1970-01-01T00:00:00.006Z","n":"NaN","z":"-0","re":"/x/gi","err":{"name":"Error","message":"e"},"u":"http://x/"},"meta":{"values":{"a":["undefined"],"b.0":["undefined"],"d":["Date"],"a\\.b":["Date"],"n":["number"],"z":["number"],"re":["regexp"],"err":["Error"],"u":["URL"]},"v":1}}`,
		`{"json":{"m":[[{"k":1},["1"]]]},"meta":{"values":{"m":["map",{"0.1":["set",{"0":["bigint"]}]}]},"v":1}}`,
		`{"json":{"a":{"x":1},"b":null},"meta":{"referentialEqualities":{"a":["b"]},"v":1}}`,
		`{"json":{"a":{"x":null}},"meta":{"referentialEqualities":[["a.x"],{"a":["a.x"]}],"v":1}}`,
		`{"json":[1,2],"meta":{"values":[["typed-array","Uint8Array"]],"v":1}}`,
		`{"json":{"a\\b":{"c.d":"1"}},"meta":{"values":{"a\\b.c\\.d":["bigint"]}}}`,
		`{"json":{"a":1},"meta":{"values":{"a.b.c":["Date"]},"v":1}}`,
		`{"json":[[1,2],[1,3]],"meta":{"values":["map",{"0.0":["undefined"]}],"v":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := superjson.Deserialize(data)
		if err != nil {
			if out != nil {
				t.Fatalf("error %v with output %s", err, out)
			}
			return
		}
		if out != nil && !json.Valid(out) {
			t.Fatalf("Deserialize(%s) = %s: not JSON", data, out)
		}
		again, err := superjson.Deserialize(data)
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("Deserialize(%s) twice: %s then %s, %v", data, out, again, err)
		}
	})
}
