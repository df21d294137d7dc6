package jsbridge

import (
	"errors"
	"fmt"
	"testing"
)

// isTarget and isOther are sentinels like core's.
var (
	isTarget = errors.New("target")
	isOther  = errors.New("other")
)

// matcher has an Is method that matches one sentinel.
type matcher struct{ of error }

func (m matcher) Error() string        { return "matcher" }
func (m matcher) Is(target error) bool { return target == m.of }

// uncomparable is an error type == cannot compare (a slice field): errors.Is
// must not panic on it, nor may isError.
type uncomparable struct{ parts []error }

func (u uncomparable) Error() string   { return "uncomparable" }
func (u uncomparable) Unwrap() []error { return u.parts }

// buildError turns program into an error tree: each byte wraps what was built
// so far (or starts over), the way errors reach appendError.
func buildError(program []byte) error {
	var err error
	for _, b := range program {
		switch b % 8 {
		case 0:
			err = isTarget
		case 1:
			err = isOther
		case 2:
			err = fmt.Errorf("wrapped: %w", err)
		case 3:
			err = errors.Join(err, isOther)
		case 4:
			err = matcher{of: isTarget}
		case 5:
			err = matcher{of: isOther}
		case 6:
			err = uncomparable{parts: []error{isOther, err}}
		case 7:
			err = fmt.Errorf("%w and %w", isOther, err)
		}
	}
	return err
}

func FuzzIsError(f *testing.F) {
	for _, s := range []string{"", "\x00", "\x01", "\x00\x02", "\x01\x02", "\x00\x03", "\x04", "\x05\x02",
		"\x00\x06", "\x01\x06\x02", "\x00\x07", "\x02", "\x00\x02\x03\x06\x07"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, program []byte) {
		err := buildError(program)
		for _, target := range []error{isTarget, isOther} {
			if got, want := isError(err, target), errors.Is(err, target); got != want {
				t.Fatalf("isError(%v, %v) = %v, errors.Is gives %v", err, target, got, want)
			}
		}
	})
}
