//go:build js && wasm

package jsbridge

import (
	"math"
	"strings"

	"github.com/hack-pad/safejs"
)

// Start connects the instance's bridge to the hooks web/index.js left on
// globalThis under the name given as a "--hooks=NAME" argument, and
// removes them from globalThis. The hooks object may have
// retryDelay(cid, attempt) → number: the client's retryDelayMs. Call it
// from main before blocking; it never panics.
func Start(args []string) error {
	name := ""
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--hooks="); ok {
			name = v
		}
	}
	if name == "" {
		return nil
	}
	global := safejs.Global()
	hooks, err := global.Get(name)
	if err != nil {
		return err
	}
	if err := global.Delete(name); err != nil {
		return err
	}
	if hooks.Type() != safejs.TypeObject {
		return bridgeError("trpcws: hooks " + name + " is not an object")
	}
	retry, err := hooks.Get("retryDelay")
	if err != nil {
		return err
	}
	if retry.Type() == safejs.TypeFunction {
		std.retry = RetryHook(retry)
	}
	return nil
}

// RetryHook adapts a JavaScript function (cid, attempt) → milliseconds to
// a retry hook. A throw or a value that is not a finite number gives
// ok=false (the default backoff is used).
func RetryHook(fn safejs.Value) func(cid int32, attempt int) (float64, bool) {
	return func(cid int32, attempt int) (float64, bool) {
		v, err := fn.Invoke(int(cid), attempt)
		if err != nil || v.Type() != safejs.TypeNumber {
			return 0, false
		}
		ms, err := v.Float()
		if err != nil || math.IsNaN(ms) || math.IsInf(ms, 0) {
			return 0, false
		}
		return ms, true
	}
}
