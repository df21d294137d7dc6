package superjson

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// A node is one JSON value of the document being decoded. Scalars keep
// their text as it came (numbers keep every digit); objects keep their
// members in order. The meta's annotations rewrite nodes in place, then
// the tree is written out again.
type node struct {
	kind  kind
	raw   []byte  // kindScalar: the value's JSON text
	keys  []key   // kindObject: the members' keys, in order
	elems []*node // kindObject: the members' values; kindArray: the elements
	// absent marks an object member that was undefined: it is left out
	// when the tree is written.
	absent bool
	// start and end delimit the value's text in the parsed document.
	start, end int
}

type kind uint8

const (
	kindScalar kind = iota // string, number, true, false, null
	kindObject
	kindArray
)

// key is an object member's key: its JSON text and its decoded value.
type key struct {
	raw  []byte
	name string
}

func (n *node) isNull() bool { return n.kind == kindScalar && string(n.raw) == "null" }

func (n *node) isString() bool { return n.kind == kindScalar && len(n.raw) > 0 && n.raw[0] == '"' }

func (n *node) isNumber() bool {
	if n.kind != kindScalar || len(n.raw) == 0 {
		return false
	}
	c := n.raw[0]
	return c == '-' || c >= '0' && c <= '9'
}

// str is a string node's decoded value.
func (n *node) str() string { return unquote(n.raw) }

// member returns the value of the object member named name, the last one
// when the key repeats (as JSON.parse keeps it), or nil.
func (n *node) member(name string) *node {
	for i := len(n.keys) - 1; i >= 0; i-- {
		if n.keys[i].name == name {
			return n.elems[i]
		}
	}
	return nil
}

// parser builds a tree from JSON that json.Valid accepted, so it checks
// nothing but the structure it walks; encoding/json's own nesting limit
// bounds its recursion.
type parser struct {
	buf []byte
	pos int
}

// parse returns the tree of data, which must be one JSON value.
func parse(data []byte) (*node, error) {
	if !json.Valid(data) {
		return nil, errors.New("superjson: not valid JSON")
	}
	p := parser{buf: data}
	return p.value(), nil
}

func (p *parser) space() {
	for p.pos < len(p.buf) {
		switch p.buf[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() *node {
	p.space()
	start := p.pos
	n := p.bare()
	n.start, n.end = start, p.pos
	return n
}

func (p *parser) bare() *node {
	switch p.buf[p.pos] {
	case '{':
		p.pos++
		n := &node{kind: kindObject}
		p.space()
		if p.buf[p.pos] == '}' {
			p.pos++
			return n
		}
		for {
			p.space()
			raw := p.string()
			p.space()
			p.pos++ // ':'
			n.keys = append(n.keys, key{raw: raw, name: unquote(raw)})
			n.elems = append(n.elems, p.value())
			p.space()
			c := p.buf[p.pos]
			p.pos++
			if c == '}' {
				return n
			}
		}
	case '[':
		p.pos++
		n := &node{kind: kindArray}
		p.space()
		if p.buf[p.pos] == ']' {
			p.pos++
			return n
		}
		for {
			n.elems = append(n.elems, p.value())
			p.space()
			c := p.buf[p.pos]
			p.pos++
			if c == ']' {
				return n
			}
		}
	case '"':
		return &node{raw: p.string()}
	}
	start := p.pos
	for p.pos < len(p.buf) {
		switch c := p.buf[p.pos]; {
		case c == ',' || c == ']' || c == '}' || c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return &node{raw: p.buf[start:p.pos]}
		}
		p.pos++
	}
	return &node{raw: p.buf[start:p.pos]}
}

// string returns the text of the string starting at pos, quotes included.
func (p *parser) string() []byte {
	start := p.pos
	p.pos++
	for {
		switch p.buf[p.pos] {
		case '\\':
			p.pos += 2
		case '"':
			p.pos++
			return p.buf[start:p.pos]
		default:
			p.pos++
		}
	}
}

// unquote decodes a JSON string's text.
func unquote(raw []byte) string {
	inner := raw[1 : len(raw)-1]
	plain := true
	for _, c := range inner {
		if c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return string(inner)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return string(inner) // cannot happen: the text was validated
	}
	return s
}

// quote returns s as JSON text.
func quote(s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}

// writer writes a tree back to JSON, within a budget: nodes shared by
// referential equalities are written once per place, so a hostile meta
// could otherwise make the output explode, or loop.
type writer struct {
	out   []byte
	limit int // the output may not grow past this many bytes
}

// maxDepth bounds the nesting written, as encoding/json bounds what it reads.
const maxDepth = 10000

var errTooLarge = errors.New("superjson: the decoded value would be too large (referentialEqualities expand it too far)")

func (w *writer) write(n *node, depth int) error {
	if depth > maxDepth {
		return errTooLarge
	}
	switch n.kind {
	case kindScalar:
		w.out = append(w.out, n.raw...)
	case kindArray:
		w.out = append(w.out, '[')
		for i, e := range n.elems {
			if i > 0 {
				w.out = append(w.out, ',')
			}
			if e.absent {
				w.out = append(w.out, "null"...)
				continue
			}
			if err := w.write(e, depth+1); err != nil {
				return err
			}
		}
		w.out = append(w.out, ']')
	case kindObject:
		w.out = append(w.out, '{')
		first := true
		for i, e := range n.elems {
			if e.absent {
				continue
			}
			if !first {
				w.out = append(w.out, ',')
			}
			first = false
			w.out = append(w.out, n.keys[i].raw...)
			w.out = append(w.out, ':')
			if err := w.write(e, depth+1); err != nil {
				return err
			}
		}
		w.out = append(w.out, '}')
	}
	if len(w.out) > w.limit {
		return errTooLarge
	}
	return nil
}

// index parses an array index as superjson writes one (decimal, no sign,
// no leading zero), or returns -1.
func index(seg string) int {
	if seg == "" || len(seg) > 1 && seg[0] == '0' {
		return -1
	}
	i, err := strconv.Atoi(seg)
	if err != nil || i < 0 || seg[0] == '+' {
		return -1
	}
	return i
}
