package cache

import (
	"sync"
	"sync/atomic"
)

// registry maps table names to per-table state. Reads are one atomic load and
// a map lookup (no lock); adding a table copies the map, which is fine for the
// few tables a proxy serves. Entries are never removed: the proxy only passes
// names of tables it knows (it needs their key schema), so the map stays small.
type registry[T any] struct {
	m  atomic.Pointer[map[string]*T]
	mu sync.Mutex
}

// get returns the state of table, creating it on first use.
func (r *registry[T]) get(table string) *T {
	if m := r.m.Load(); m != nil {
		if t := (*m)[table]; t != nil {
			return t
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.m.Load()
	var n int
	if old != nil {
		if t := (*old)[table]; t != nil {
			return t
		}
		n = len(*old)
	}
	m := make(map[string]*T, n+1)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	t := new(T)
	m[table] = t
	r.m.Store(&m)
	return t
}
