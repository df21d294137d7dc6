package superjson_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/trpcws/trpcws/superjson"
)

// What a superjson server sends for {at: new Date(0), id: 2n ** 64n,
// tags: new Set(["a"]), note: undefined}, and how Go reads it.
func ExampleDeserialize() {
	env := json.RawMessage(`{"json":{"at":"1970-01-01T00:00:00.000Z","id":"18446744073709551616","tags":["a"],"note":null},` +
		`"meta":{"values":{"at":["Date"],"id":["bigint"],"tags":["set"],"note":["undefined"]},"v":1}}`)
	plain, err := superjson.Deserialize(env)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(plain))
	var v struct {
		At   time.Time   `json:"at"`
		ID   json.Number `json:"id"`
		Tags []string    `json:"tags"`
	}
	if err := json.Unmarshal(plain, &v); err != nil {
		panic(err)
	}
	fmt.Println(v.At.Unix(), v.ID, v.Tags)
	// Output:
	// {"at":"1970-01-01T00:00:00.000Z","id":18446744073709551616,"tags":["a"]}
	// 0 18446744073709551616 [a]
}

func ExampleSerialize() {
	in, _ := superjson.Serialize(json.RawMessage(`{"id":1}`))
	none, _ := superjson.Serialize(nil)
	fmt.Println(string(in))
	fmt.Println(string(none))
	// Output:
	// {"json":{"id":1}}
	// {"json":null,"meta":{"values":["undefined"],"v":1}}
}
