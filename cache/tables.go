package cache

import (
	"hash/maphash"
	"sync"
)

// registry maps table names to per-table state. It is sharded so that
// adding a table costs one shard's lock and one map insert (never a copy
// of the whole map), and tables are removed with forget when they are
// deleted, so its size follows the live tables, however many are created
// and deleted over time.
//
// Removing a table's state is safe at any time after its counters were
// advanced: every entry, fill and stamp holds a pointer to the state it
// was made under, so it stays stale; the table's next state is a new one.
type registry[T any] struct {
	seed   maphash.Seed
	once   sync.Once
	shards [registryShards]registryShard[T]
}

const registryShards = 64

type registryShard[T any] struct {
	mu sync.RWMutex
	m  map[string]*T
	_  [32]byte
}

func (r *registry[T]) shard(table string) *registryShard[T] {
	r.once.Do(func() { r.seed = maphash.MakeSeed() })
	return &r.shards[maphash.String(r.seed, table)%registryShards]
}

// get returns the state of table, creating it (with init, when not nil) on
// first use.
func (r *registry[T]) get(table string, init func(*T)) *T {
	s := r.shard(table)
	s.mu.RLock()
	t := s.m[table]
	s.mu.RUnlock()
	if t != nil {
		return t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t = s.m[table]; t != nil {
		return t
	}
	if s.m == nil {
		s.m = map[string]*T{}
	}
	t = new(T)
	if init != nil {
		init(t)
	}
	s.m[table] = t
	return t
}

// forget removes table's state and returns it (nil when there was none).
func (r *registry[T]) forget(table string) *T {
	s := r.shard(table)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.m[table]
	delete(s.m, table)
	return t
}

// len returns the number of tables held.
func (r *registry[T]) len() int {
	n := 0
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}
