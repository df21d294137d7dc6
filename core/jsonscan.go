package core

import "unicode/utf8"

// scanner is a minimal, allocation-light JSON reader used by the frame
// decoder. It understands just enough JSON to walk an envelope object, read
// its strings and numbers, and step over any value it does not need to look
// inside (user payloads stay raw bytes). Every method reports failure through
// s.err instead of panicking, so arbitrary input is safe.
type scanner struct {
	buf []byte
	pos int
	err error
}

// depthLimit bounds nesting so that hostile input cannot exhaust the stack.
const depthLimit = 512

// fail records the first error. Not inlined (issue #25): an error path with
// 31 call sites.
//
//go:noinline
func (s *scanner) fail(msg string) {
	if s.err == nil {
		s.err = &FrameError{Offset: s.pos, Reason: msg}
	}
}

func (s *scanner) skipSpace() {
	// Most tokens follow each other without space: one test and out.
	if s.pos < len(s.buf) && s.buf[s.pos] > ' ' {
		return
	}
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without consuming it, or 0 at the end.
func (s *scanner) peek() byte {
	s.skipSpace()
	if s.pos >= len(s.buf) {
		return 0
	}
	return s.buf[s.pos]
}

// expect consumes c (after optional space) or fails.
func (s *scanner) expect(c byte) bool {
	if s.peek() != c {
		s.fail("expected '" + string(c) + "'")
		return false
	}
	s.pos++
	return true
}

// value skips one JSON value and returns its raw bytes.
func (s *scanner) value() []byte {
	s.skipSpace()
	start := s.pos
	s.skipValue(0)
	if s.err != nil {
		return nil
	}
	return s.buf[start:s.pos]
}

func (s *scanner) skipValue(depth int) {
	if depth > depthLimit {
		s.fail("nesting too deep")
		return
	}
	switch s.peek() {
	case '{':
		s.pos++
		if s.peek() == '}' {
			s.pos++
			return
		}
		for s.err == nil {
			if s.peek() != '"' {
				s.fail("expected object key")
				return
			}
			s.skipString()
			if !s.expect(':') {
				return
			}
			s.skipValue(depth + 1)
			switch s.peek() {
			case ',':
				s.pos++
			case '}':
				s.pos++
				return
			default:
				s.fail("expected ',' or '}'")
			}
		}
	case '[':
		s.pos++
		if s.peek() == ']' {
			s.pos++
			return
		}
		for s.err == nil {
			s.skipValue(depth + 1)
			switch s.peek() {
			case ',':
				s.pos++
			case ']':
				s.pos++
				return
			default:
				s.fail("expected ',' or ']'")
			}
		}
	case '"':
		s.skipString()
	case 't':
		s.literal("true")
	case 'f':
		s.literal("false")
	case 'n':
		s.literal("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		s.number()
	case 0:
		s.fail("unexpected end of input")
	default:
		s.fail("unexpected character")
	}
}

func (s *scanner) literal(word string) {
	if len(s.buf)-s.pos < len(word) || string(s.buf[s.pos:s.pos+len(word)]) != word {
		s.fail("invalid literal")
		return
	}
	s.pos += len(word)
}

// number consumes a JSON number and returns its text.
func (s *scanner) number() []byte {
	start := s.pos
	buf := s.buf
	i := s.pos
	if i < len(buf) && buf[i] == '-' {
		i++
	}
	if i < len(buf) && buf[i] == '0' {
		i++
	} else if j := digits(buf, i); j > i {
		i = j
	} else {
		s.pos = i
		s.fail("invalid number")
		return nil
	}
	if i < len(buf) && buf[i] == '.' {
		j := digits(buf, i+1)
		if j == i+1 {
			s.pos = j
			s.fail("invalid number")
			return nil
		}
		i = j
	}
	if i < len(buf) && (buf[i] == 'e' || buf[i] == 'E') {
		i++
		if i < len(buf) && (buf[i] == '+' || buf[i] == '-') {
			i++
		}
		j := digits(buf, i)
		if j == i {
			s.pos = j
			s.fail("invalid number")
			return nil
		}
		i = j
	}
	s.pos = i
	return buf[start:i]
}

// digits returns the index of the first non-digit at or after i.
func digits(buf []byte, i int) int {
	for i < len(buf) && buf[i]-'0' <= 9 {
		i++
	}
	return i
}

// Masks for plain8, which tests eight string bytes at once.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plain8 reports whether none of the eight bytes in w (read from a string
// body) needs a closer look: no '"', no '\\' and no control character. For
// each test the expression is non-zero exactly when some byte matches (a
// borrow can only add false bits above a true match), so a zero result
// is exact.
func plain8(w uint64) bool {
	quote := w ^ ('"' * ones)
	slash := w ^ ('\\' * ones)
	m := (w - 0x20*ones) &^ w // bytes < 0x20
	m |= (quote - ones) &^ quote
	m |= (slash - ones) &^ slash
	return m&highs == 0
}

// plainByte reports whether c stands for itself in a string body.
func plainByte(c byte) bool {
	return c >= 0x20 && c != '"' && c != '\\'
}

// load64 reads b[0:8] as a little-endian word (one load where the target
// allows unaligned loads, wasm included).
func load64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// skipString consumes a string token (the scanner is at its opening quote)
// and reports whether it contained escapes. Plain runs are stepped over
// eight bytes at a time; bytes of 0x80 and above pass unchecked, as in
// encoding/json's validation.
func (s *scanner) skipString() (escaped bool) {
	buf := s.buf
	i := s.pos + 1 // after the opening quote
	for {
		// Keys and short values end within a few bytes: look at those one
		// by one, and only step over longer runs a word at a time.
		stop := min(i+16, len(buf))
		for i < stop && plainByte(buf[i]) {
			i++
		}
		if i == stop {
			for len(buf)-i >= 8 && plain8(load64(buf[i:])) {
				i += 8
			}
			for i < len(buf) && plainByte(buf[i]) {
				i++
			}
		}
		if i >= len(buf) {
			s.pos = i
			s.fail("unterminated string")
			return
		}
		switch buf[i] {
		case '"':
			s.pos = i + 1
			return escaped
		case '\\':
			escaped = true
			i++
			if i >= len(buf) {
				s.pos = i
				s.fail("unterminated string")
				return
			}
			switch buf[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if len(buf)-i < 5 || !isHex4(buf[i+1:i+5]) {
					s.pos = i
					s.fail("invalid \\u escape")
					return
				}
				i += 5
			default:
				s.pos = i
				s.fail("invalid escape")
				return
			}
		default:
			s.pos = i
			s.fail("control character in string")
			return
		}
	}
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// rawStr reads a string token and returns its body as a slice of the
// frame, and whether it holds escapes (nil, false on error).
func (s *scanner) rawStr() (raw []byte, escaped bool) {
	if s.peek() != '"' {
		s.fail("expected string")
		return nil, false
	}
	start := s.pos
	escaped = s.skipString()
	if s.err != nil {
		return nil, false
	}
	return s.buf[start+1 : s.pos-1], escaped
}

// str reads a string token and returns its decoded value.
func (s *scanner) str() string {
	raw, escaped := s.rawStr()
	if escaped {
		return unescape(raw)
	}
	return string(raw)
}

// strBytes is str for a value that is only compared: an unescaped string
// comes back as a slice of the frame, without a copy.
func (s *scanner) strBytes() []byte {
	raw, escaped := s.rawStr()
	if escaped {
		return []byte(unescape(raw))
	}
	return raw
}

// unescape decodes the body of a well-formed JSON string (already validated
// by skipString).
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := rune(hexVal(raw[i+1 : i+5]))
			i += 4
			if r >= 0xD800 && r < 0xDC00 && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				lo := rune(hexVal(raw[i+3 : i+7]))
				if lo >= 0xDC00 && lo < 0xE000 {
					r = (r-0xD800)<<10 | (lo - 0xDC00) + 0x10000
					i += 6
				}
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, raw[i])
		}
	}
	return string(out)
}

func hexVal(b []byte) int {
	n := 0
	for _, c := range b {
		n <<= 4
		switch {
		case c >= '0' && c <= '9':
			n |= int(c - '0')
		case c >= 'a' && c <= 'f':
			n |= int(c-'a') + 10
		default:
			n |= int(c-'A') + 10
		}
	}
	return n
}

// object walks the members of an object, calling member for each key with
// the scanner positioned at the value; member must consume the value.
func (s *scanner) object(member func(key []byte)) {
	if !s.expect('{') {
		return
	}
	if s.peek() == '}' {
		s.pos++
		return
	}
	for s.err == nil {
		if s.peek() != '"' {
			s.fail("expected object key")
			return
		}
		start := s.pos
		escaped := s.skipString()
		if s.err != nil {
			return
		}
		key := s.buf[start+1 : s.pos-1]
		if escaped {
			key = []byte(unescape(key))
		}
		if !s.expect(':') {
			return
		}
		member(key)
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return
		default:
			s.fail("expected ',' or '}'")
		}
	}
}

// end fails unless only whitespace is left. (peek's 0 cannot tell the end
// from a NUL byte, so the position decides.)
func (s *scanner) end() {
	s.skipSpace()
	if s.pos < len(s.buf) {
		s.fail("trailing data after value")
	}
}

// Valid reports whether b is exactly one well-formed JSON value.
func Valid(b []byte) bool {
	s := scanner{buf: b}
	s.skipValue(0)
	s.end()
	return s.err == nil
}

// appendString appends s as a JSON string literal.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// parseInt parses a JSON number token that must be an integer. It gives
// what strconv.ParseInt(string(b), 10, 64) gives (the value, clamped on
// overflow, and whether it parsed), and is written out because strconv
// brings its error type, Quote and the IsPrint tables into the wasm module
// (about 8 KB gzip). FuzzParseInt holds it to strconv.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if len(b) > 0 && (neg || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var u uint64
	over := false // past 1<<64-1: strconv stops reading there
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if u > (1<<64-1-d)/10 {
			over = true
			break
		}
		u = u*10 + d
	}
	switch {
	case !neg && (over || u > 1<<63-1):
		return 1<<63 - 1, false
	case neg && (over || u > 1<<63):
		return -1 << 63, false
	case neg:
		return -int64(u), true
	}
	return int64(u), true
}
