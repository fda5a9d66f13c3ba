package cache

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// QueryOptions configures a QueryCache. Zero values select defaults.
type QueryOptions struct {
	MaxEntries int              // entry budget; default 100000
	MaxBytes   int64            // byte budget (entries cost len(key)+len(body)+QueryEntryOverhead), least recently used evicted beyond it; default 64 MiB
	TTL        time.Duration    // entry lifetime; 0 disables the query cache entirely (DAX's query-ttl 0): Get always misses, Put stores nothing
	Now        func() time.Time // default time.Now (tests inject a clock)
}

// Query-cache defaults.
const (
	DefaultQueryMaxEntries = 100000
	DefaultQueryMaxBytes   = 64 << 20
)

// QueryEntryOverhead is the fixed cost in bytes charged per query-cache entry
// besides its key and body: the entry, its LRU list element and map slot.
const QueryEntryOverhead = 160

// queryShards is the number of independently locked LRUs. Keys are hashes,
// so they spread evenly.
const queryShards = 16

// QueryStats are the query cache's counters.
type QueryStats struct {
	Hits      uint64 // Get found a current entry
	Misses    uint64 // Get found nothing usable (includes Stale and Expired)
	Stale     uint64 // Get found an entry invalidated by a write
	Expired   uint64 // Get found an entry past its TTL
	Puts      uint64 // entries installed
	StalePuts uint64 // Puts dropped because a write happened since Snapshot
	Evictions uint64 // entries evicted for room (entry or byte budget)
	SizeBytes uint64 // bytes charged by the entries held
	Entries   uint64 // entries held
}

// QueryCache caches serialized Query and Scan responses. Safe for concurrent
// use; it starts no goroutines.
//
// The LRUs are golang-lru's simplelru under one mutex per shard rather than
// its expirable package: expirable.LRU (v2.0.7) starts a clean-up goroutine
// that can never be stopped and reads the wall clock, while this cache checks
// expiry against an injectable clock on Get and lets LRU order and the byte
// budget reclaim expired entries.
type QueryCache struct {
	g      *Generations
	ttl    time.Duration
	now    func() time.Time
	shards [queryShards]queryShard

	hits, misses, stale, expired, puts, stalePuts atomic.Uint64
	closed                                        atomic.Bool
}

type queryShard struct {
	mu       sync.Mutex
	lru      *simplelru.LRU[string, *queryEntry]
	bytes    int64 // guarded by mu
	maxBytes int64
	evicted  atomic.Uint64
	_        [32]byte
}

type queryEntry struct {
	body    []byte
	stamp   Stamp
	expires int64 // unix nanoseconds by the cache's clock
	cost    int64
}

// NewQueryCache returns a query cache whose entries are checked against g.
func NewQueryCache(o QueryOptions, g *Generations) (*QueryCache, error) {
	if g == nil {
		return nil, errors.New("cache: NewQueryCache needs Generations")
	}
	if o.MaxEntries < 0 || o.MaxBytes < 0 || o.TTL < 0 {
		return nil, errors.New("cache: negative QueryOptions")
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = DefaultQueryMaxEntries
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultQueryMaxBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &QueryCache{g: g, ttl: o.TTL, now: o.Now}
	perEntries := max(o.MaxEntries/queryShards, 1)
	perBytes := max(o.MaxBytes/queryShards, 1)
	for i := range c.shards {
		sh := &c.shards[i]
		sh.maxBytes = perBytes
		// The callback runs inside LRU calls made with sh.mu held.
		lru, err := simplelru.NewLRU(perEntries, func(_ string, e *queryEntry) {
			sh.bytes -= e.cost
		})
		if err != nil {
			return nil, err
		}
		sh.lru = lru
	}
	return c, nil
}

func (c *QueryCache) shard(key string) *queryShard {
	if key == "" {
		return &c.shards[0]
	}
	return &c.shards[key[0]%queryShards]
}

// Enabled reports whether the cache stores anything (TTL > 0).
func (c *QueryCache) Enabled() bool { return c.ttl > 0 }

// Get returns the cached response body for key. It hits only if the entry is
// unexpired and every generation it recorded is still current. The body is
// shared: callers must not modify it.
func (c *QueryCache) Get(key string) ([]byte, bool) {
	if c.ttl <= 0 || c.closed.Load() {
		c.misses.Add(1)
		return nil, false
	}
	sh := c.shard(key)
	sh.mu.Lock()
	e, ok := sh.lru.Get(key)
	sh.mu.Unlock()
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	if !c.g.Current(e.stamp) {
		sh.drop(key, e)
		c.stale.Add(1)
		c.misses.Add(1)
		return nil, false
	}
	if c.now().UnixNano() >= e.expires {
		sh.drop(key, e)
		c.expired.Add(1)
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	return e.body, true
}

// drop removes key if it still maps to e.
func (sh *queryShard) drop(key string, e *queryEntry) {
	sh.mu.Lock()
	if cur, ok := sh.lru.Peek(key); ok && cur == e {
		sh.lru.Remove(key)
	}
	sh.mu.Unlock()
}

// Snapshot records the current generations of what an entry for d depends
// on. Call it before asking the backend and pass the result to Put.
func (c *QueryCache) Snapshot(d Dep) Stamp {
	if c.ttl <= 0 {
		return Stamp{}
	}
	return c.g.Snapshot(d)
}

// Put installs body under key with stamp s (from Snapshot). An entry whose
// stamp is already stale is dropped, and so is one larger than a shard's byte
// budget. The cache keeps body: callers must not modify it afterwards.
func (c *QueryCache) Put(key string, s Stamp, body []byte) {
	if c.ttl <= 0 || c.closed.Load() {
		return
	}
	if !c.g.Current(s) {
		c.stalePuts.Add(1)
		return
	}
	e := &queryEntry{
		body:    body,
		stamp:   s,
		expires: c.now().Add(c.ttl).UnixNano(),
		cost:    int64(len(key)+len(body)) + QueryEntryOverhead,
	}
	sh := c.shard(key)
	if e.cost > sh.maxBytes {
		return
	}
	sh.mu.Lock()
	sh.lru.Remove(key) // a replaced value would otherwise skip the callback
	if sh.lru.Add(key, e) {
		sh.evicted.Add(1)
	}
	sh.bytes += e.cost
	for sh.bytes > sh.maxBytes {
		if _, _, ok := sh.lru.RemoveOldest(); !ok {
			break
		}
		sh.evicted.Add(1)
	}
	sh.mu.Unlock()
	c.puts.Add(1)
	// A write between the check above and the Add leaves an entry that Get
	// will find stale: it is never served.
}

// Close drops every entry; later Gets miss and Puts store nothing. The
// cache has no goroutines, so Close is optional.
func (c *QueryCache) Close() {
	c.closed.Store(true)
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		sh.lru.Purge()
		sh.mu.Unlock()
	}
}

// Len returns the number of entries held (expired and stale ones included
// until they are looked up or evicted).
func (c *QueryCache) Len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += sh.lru.Len()
		sh.mu.Unlock()
	}
	return n
}

// Stats returns the counters.
func (c *QueryCache) Stats() QueryStats {
	s := QueryStats{
		Hits:      c.hits.Load(),
		Misses:    c.misses.Load(),
		Stale:     c.stale.Load(),
		Expired:   c.expired.Load(),
		Puts:      c.puts.Load(),
		StalePuts: c.stalePuts.Load(),
	}
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		s.Entries += uint64(sh.lru.Len())
		s.SizeBytes += uint64(sh.bytes)
		sh.mu.Unlock()
		s.Evictions += sh.evicted.Load()
	}
	return s
}
