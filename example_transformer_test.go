//go:build !js

package trpcws_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/trpcws/trpcws"
	"github.com/trpcws/trpcws/superjson"
)

// A server created with initTRPC.create({ transformer: superjson }), as
// create-t3-app makes it: with the same transformer the client sends and
// receives plain JSON. Dates arrive as RFC 3339 strings, bigints as JSON
// numbers with every digit, Sets as arrays and Maps as objects (the guide's
// example in docs/go.md, run against the real server).
func ExampleOptions_transformer() {
	ctx := context.Background()
	client, err := trpcws.NewClient(trpcws.Options{
		URL:         sjServer().URL,
		Transformer: superjson.Transformer{},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close(ctx)

	type Values struct {
		At     time.Time      `json:"at"`     // a Date
		Big    int64          `json:"big"`    // a bigint
		Tags   []string       `json:"tags"`   // a Set
		Scores map[string]int `json:"scores"` // a Map
	}
	v, err := trpcws.Query[Values](ctx, client, "richValues", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.At.Format(time.RFC3339Nano), v.Big, v.Tags, v.Scores)
	// Output: 2024-05-01T12:30:00.25Z 9007199254740993 [a b] map[x:1 y:2]
}
