package core

// table holds requests by id (call id or wire id), sorted by id. It stands
// in for a map: without any map in core and jsbridge the module links no
// map code at all (about 7.5 KB gzip of runtime). Lookups are a binary
// search; ids mostly arrive in increasing order, so set appends.
type table struct {
	ids []int64
	rs  []*request
}

// find returns where id is, or would go, and whether it is there.
func (t *table) find(id int64) (int, bool) {
	lo, hi := 0, len(t.ids)
	if hi > 0 && t.ids[hi-1] < id {
		return hi, false // the common case: a new, higher id
	}
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.ids[m] < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(t.ids) && t.ids[lo] == id
}

// get returns the request under id, or nil.
func (t *table) get(id int64) *request {
	if i, ok := t.find(id); ok {
		return t.rs[i]
	}
	return nil
}

// set puts r under id, replacing what was there.
func (t *table) set(id int64, r *request) {
	i, ok := t.find(id)
	if ok {
		t.rs[i] = r
		return
	}
	t.ids = append(t.ids, 0)
	t.rs = append(t.rs, nil)
	copy(t.ids[i+1:], t.ids[i:])
	copy(t.rs[i+1:], t.rs[i:])
	t.ids[i], t.rs[i] = id, r
}

// del removes what is under id.
func (t *table) del(id int64) {
	i, ok := t.find(id)
	if !ok {
		return
	}
	n := len(t.ids) - 1
	copy(t.ids[i:], t.ids[i+1:])
	copy(t.rs[i:], t.rs[i+1:])
	t.rs[n] = nil
	t.ids, t.rs = t.ids[:n], t.rs[:n]
}

// len returns how many requests t holds.
func (t *table) len() int { return len(t.ids) }

// all returns t's requests by id. The slice is t's own: a loop that changes
// t while it runs must use it backwards by index, or copy it.
func (t *table) all() []*request { return t.rs }

// clear empties t.
func (t *table) clear() {
	clear(t.rs)
	t.ids, t.rs = t.ids[:0], t.rs[:0]
}
