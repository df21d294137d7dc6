//go:build !js

package trpcws_test

import (
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/trpcws/trpcws/core"
)

// go doc on the root package shows every field of the error types it takes
// from core (aliases: go doc shows only their comment), with its type.
func TestDocShowsAliasedFields(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]any{
		"TRPCError": core.TRPCError{}, "ClosedError": core.ClosedError{}, "FrameError": core.FrameError{},
		"TimeoutError": core.TimeoutError{}, "GaveUpError": core.GaveUpError{}, "URLError": core.URLError{},
	} {
		out, err := exec.Command("go", "doc", "github.com/trpcws/trpcws", name).CombinedOutput()
		if err != nil {
			t.Fatalf("go doc %s: %v\n%s", name, err, out)
		}
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			f := typ.Field(i)
			ft := strings.ReplaceAll(f.Type.String(), "uint8", "byte")
			if !regexp.MustCompile(`(?m)^\s+` + f.Name + `\s+` + regexp.QuoteMeta(ft) + `\b`).Match(out) {
				t.Errorf("go doc %s does not show the field %s %s:\n%s", name, f.Name, ft, out)
			}
		}
	}
}
