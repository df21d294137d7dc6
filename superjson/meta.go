package superjson

import (
	"strconv"
	"strings"
)

// This file applies the two parts of an envelope's meta to the tree of its
// json value: values (type annotations) and referentialEqualities.
//
// meta.values is a tree. Either an object mapping paths to subtrees, or an
// array [type, children?]: the value at the current path has that type,
// and children (an object of paths to subtrees, relative to it) are
// applied first. A type is a name ("Date", "bigint", "map", …) or an array
// whose first element names it (["typed-array","Uint8Array"], ["class",
// name], ["symbol", name], ["custom", name]). A path is its segments joined
// by "." with "." and "\" escaped by "\" (meta.v 1; before that, only "\."
// was an escape). In the json value a Map is an array of [key, value]
// pairs and a Set an array, so a path walks the JSON as it is: the segment
// after a Map's row is 0 for the key and 1 for the value.

// applyValues applies the type annotations of tree at path (segments from
// root), rewriting the nodes in place; an annotation of the root itself
// replaces d.root (undefined, for one, marks it absent).
func (d *decoder) applyValues(tree *node, path []string) error {
	switch tree.kind {
	case kindObject:
		for i, k := range tree.keys {
			segs, err := d.parsePath(k.name)
			if err != nil {
				return err
			}
			if err := d.applyValues(tree.elems[i], append(path[:len(path):len(path)], segs...)); err != nil {
				return err
			}
		}
		return nil
	case kindArray:
		if len(tree.elems) == 0 || len(tree.elems) > 2 {
			return d.fail(path, "a meta.values entry must be [type] or [type, children]")
		}
		if len(tree.elems) == 2 {
			children := tree.elems[1]
			if children.kind != kindObject {
				return d.fail(path, "the children of a meta.values entry must be an object")
			}
			if err := d.applyValues(children, path); err != nil {
				return err
			}
		}
		return d.untransform(path, tree.elems[0])
	}
	return d.fail(path, "meta.values holds "+string(tree.raw)+", not a type annotation")
}

// untransform turns the value at path, annotated with typ, into the JSON a
// Go program wants (see Deserialize).
func (d *decoder) untransform(path []string, typ *node) error {
	name := ""
	switch {
	case typ.isString():
		name = typ.str()
	case typ.kind == kindArray && len(typ.elems) == 2 && typ.elems[0].isString() && typ.elems[1].isString():
		switch typ.elems[0].str() {
		case "class", "symbol", "custom", "typed-array":
			// A registered class's properties, a symbol's description, a
			// custom transformer's JSON, a typed array's numbers: kept.
			_, err := d.locate(path)
			return err
		}
		return d.fail(path, "unknown type annotation "+string(typ.elems[0].raw))
	default:
		return d.fail(path, "a type annotation must be a string or [kind, name]")
	}
	slot, err := d.locate(path)
	if err != nil {
		return err
	}
	v := *slot
	switch name {
	case "undefined":
		// Left out of an object, null in an array, nothing at the root.
		*slot = &node{raw: []byte("null"), absent: true}
	case "bigint":
		if !v.isString() || !decimal(v.str()) {
			return d.fail(path, "a bigint must be a decimal integer string")
		}
		*slot = &node{raw: []byte(v.str())}
	case "number":
		if !v.isString() {
			return d.fail(path, "a number annotation must be on a string")
		}
		switch v.str() {
		case "NaN", "Infinity", "-Infinity":
			*slot = &node{raw: []byte("null")} // as JSON.stringify writes them
		case "-0":
			*slot = &node{raw: []byte("0")}
		default:
			return d.fail(path, "a number annotation must be NaN, Infinity, -Infinity or -0")
		}
	case "Date", "regexp", "URL":
		if !v.isString() {
			return d.fail(path, "a "+name+" must be a string")
		}
	case "Error":
		if v.kind != kindObject {
			return d.fail(path, "an Error must be an object")
		}
	case "set":
		if v.kind != kindArray {
			return d.fail(path, "a set must be an array")
		}
	case "map":
		if v.kind != kindArray {
			return d.fail(path, "a map must be an array of [key, value] pairs")
		}
		for _, e := range v.elems {
			if e.kind != kindArray || len(e.elems) != 2 {
				return d.fail(path, "a map must be an array of [key, value] pairs")
			}
		}
		if obj := mapObject(v); obj != nil {
			*slot = obj
		}
	default:
		return d.fail(path, "unknown type annotation "+strconv.Quote(name))
	}
	return nil
}

// mapObject returns a Map's pairs as a JSON object when every key is a
// string or a number (a number key becomes its text, which encoding/json
// decodes into a map with integer keys) and no two are the same; nil
// otherwise, and the pairs stay.
func mapObject(v *node) *node {
	obj := &node{kind: kindObject, keys: make([]key, 0, len(v.elems)), elems: make([]*node, 0, len(v.elems))}
	seen := make(map[string]bool, len(v.elems))
	for _, pair := range v.elems {
		k, val := pair.elems[0], pair.elems[1]
		var name string
		switch {
		case k.absent:
			return nil
		case k.isString():
			name = k.str()
		case k.isNumber():
			name = string(k.raw)
		default:
			return nil
		}
		if seen[name] {
			return nil
		}
		seen[name] = true
		if val.absent {
			val = &node{raw: []byte("null")} // a Map's key is there, with undefined
		}
		obj.keys = append(obj.keys, key{raw: quote(name), name: name})
		obj.elems = append(obj.elems, val)
	}
	return obj
}

// decimal reports whether s is an integer as BigInt's toString writes it.
func decimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// locate returns the slot holding the value at path: a pointer into its
// parent, or to the root.
func (d *decoder) locate(path []string) (**node, error) {
	slot := &d.root
	for i, seg := range path {
		n := *slot
		switch {
		case n.absent:
			return nil, d.fail(path[:i+1], "the path goes through an undefined value")
		case n.kind == kindObject:
			j := -1
			for k := len(n.keys) - 1; k >= 0; k-- {
				if n.keys[k].name == seg {
					j = k
					break
				}
			}
			if j < 0 {
				return nil, d.fail(path[:i+1], "no such member")
			}
			slot = &n.elems[j]
		case n.kind == kindArray:
			j := index(seg)
			if j < 0 || j >= len(n.elems) {
				return nil, d.fail(path[:i+1], "no such element")
			}
			slot = &n.elems[j]
		default:
			return nil, d.fail(path[:i+1], "the path goes through a scalar")
		}
	}
	return slot, nil
}

// parsePath splits a meta path into its segments.
func (d *decoder) parsePath(s string) ([]string, error) {
	var segs []string
	var seg strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && (s[i+1] == '.' || s[i+1] == '\\' && !d.legacy) {
			seg.WriteByte(s[i+1])
			i++
			continue
		}
		if c == '\\' && !d.legacy {
			return nil, &MetaError{Reason: "invalid path " + strconv.Quote(s) + ` ("\" escapes only "." and "\")`}
		}
		if c == '.' {
			segs = append(segs, seg.String())
			seg.Reset()
			continue
		}
		seg.WriteByte(c)
	}
	return append(segs, seg.String()), nil
}

// applyEqualities applies meta.referentialEqualities: {path: [paths…]}
// says the value at each of paths is the same object as the one at path;
// [[paths…], {…}?] adds paths that are the root itself. superjson writes
// the object in full at every place unless it was made with dedupe, which
// writes null at all but the first: those nulls are filled in. A path that
// is the root, or lies inside the object it repeats, would make the value
// contain itself, which JSON cannot: it stays as it is.
func (d *decoder) applyEqualities(eq *node) error {
	switch eq.kind {
	case kindArray:
		if len(eq.elems) == 0 || len(eq.elems) > 2 || eq.elems[0].kind != kindArray {
			return d.fail(nil, "meta.referentialEqualities must be an object or [[paths], {…}]")
		}
		if len(eq.elems) == 2 {
			return d.applyEqualities(eq.elems[1])
		}
		return nil
	case kindObject:
	default:
		return d.fail(nil, "meta.referentialEqualities must be an object or [[paths], {…}]")
	}
	for i, k := range eq.keys {
		from, err := d.parsePath(k.name)
		if err != nil {
			return err
		}
		src, err := d.locate(from)
		if err != nil {
			return err
		}
		paths := eq.elems[i]
		if paths.kind != kindArray {
			return d.fail(from, "meta.referentialEqualities lists paths in an array")
		}
		for _, p := range paths.elems {
			if !p.isString() {
				return d.fail(from, "meta.referentialEqualities lists paths as strings")
			}
			to, err := d.parsePath(p.str())
			if err != nil {
				return err
			}
			if within(to, from) {
				continue
			}
			dst, err := d.locate(to)
			if err != nil {
				return err
			}
			if (*dst).isNull() && !(*dst).absent {
				*dst = *src
			}
		}
	}
	return nil
}

// within reports whether path p is at or below path q.
func within(p, q []string) bool {
	if len(p) < len(q) {
		return false
	}
	for i := range q {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// fail is an error about the value at path.
func (d *decoder) fail(path []string, what string) error {
	return &MetaError{Path: strings.Join(path, "."), Reason: what}
}
