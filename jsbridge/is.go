package jsbridge

// isError reports what errors.Is(err, target) reports, for a target of a
// comparable type (core's sentinels, made by errors.New). It exists for
// size: errors.Is links internal/reflectlite to ask whether target is
// comparable, about 1.5 KB brotli of the wasm module for two uses in
// appendError. FuzzIsError holds it to errors.Is.
func isError(err, target error) bool {
	for err != nil {
		if err == target {
			return true
		}
		if x, ok := err.(interface{ Is(error) bool }); ok && x.Is(target) {
			return true
		}
		switch x := err.(type) {
		case interface{ Unwrap() error }:
			err = x.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				if isError(e, target) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}
