package cache

import (
	"errors"
	"hash/maphash"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// ItemOptions configures an ItemCache. Zero values select defaults.
type ItemOptions struct {
	MaxBytes    int64            // byte budget of the item cache (entries cost len(key)+len(JSON)+ItemEntryOverhead); default 256 MiB
	TTL         time.Duration    // entry lifetime, restarted by every Set; 0 = no time expiry (DAX's item-ttl 0). The proxy passes 5m by default
	NegativeTTL time.Duration    // lifetime of "not found" entries; 0 = same as TTL; < 0 = negative entries are not kept
	Now         func() time.Time // default time.Now. Expiry is always enforced by ristretto on the wall clock; an injected clock (tests) is checked on Get as well

	// FillTimeout bounds how long the record of a fill or write in flight is
	// kept when its Complete/Abandon never comes (a caller bug); such a late
	// Complete installs nothing. Default 1 minute.
	FillTimeout time.Duration
	// Counters is ristretto's NumCounters (admission-frequency counters,
	// about 3 bytes each). Default: 10 per 512 bytes of MaxBytes, at least
	// 1024 and at most 1<<24.
	Counters int64
}

// Item-cache defaults.
const (
	DefaultItemMaxBytes = 256 << 20
	DefaultFillTimeout  = time.Minute
)

// ItemEntryOverhead is the fixed cost in bytes charged per item-cache entry
// besides its key and JSON: the entry struct, ristretto's map slot, policy
// and expiry-bucket records.
const ItemEntryOverhead = 160

// Item is a cached GetItem answer. The cache keeps the JSON slice it is
// given and hands the same slice to every hit: nobody may modify it.
type Item struct {
	JSON     []byte // the full item's wire JSON ({"a":{"S":"x"},…}); nil for a negative entry
	Negative bool   // true: the item does not exist
}

// ItemStats are the item cache's counters.
type ItemStats struct {
	Hits               uint64 // Get hits, negative ones included
	Misses             uint64 // Get misses (absent, expired, evicted or invalidated)
	NegativeHits       uint64 // Get hits on negative entries
	Sets               uint64 // write-through Sets (and CompleteWrites that installed)
	Fills              uint64 // Completes that installed
	Superseded         uint64 // Completes refused because a write came first
	Invalidations      uint64 // key invalidations (Invalidate, AbortWrite, overlapping writes)
	TableInvalidations uint64 // InvalidateTable calls
	EvictedBytes       uint64 // bytes evicted to stay within MaxBytes
	EvictedCount       uint64 // entries evicted to stay within MaxBytes
	Expired            uint64 // entries removed by ristretto's TTL clean-up
	Rejected           uint64 // entries the admission policy declined (or larger than MaxBytes)
	SizeBytes          uint64 // bytes charged by the entries held
	Entries            uint64 // entries held (including expired ones not yet cleaned up and entries of invalidated tables)
}

// tableEpoch is a table's InvalidateTable counter.
type tableEpoch struct{ epoch atomic.Uint64 }

// entry is the value stored in ristretto. It is immutable once stored.
type entry struct {
	item    Item
	tbl     *tableEpoch
	epoch   uint64 // tbl.epoch when the value was read (fill) or written (Set)
	expires int64  // unix nanoseconds by the cache's clock; 0 = never
	slot    uint32 // stats slot
}

// statSlots stripes the hit/miss counters so that parallel hits on
// different keys do not contend on one cache line.
const statSlots = 32

type statSlot struct {
	hits, negHits, misses atomic.Uint64
	_                     [40]byte
}

// ItemCache is the item cache. Safe for concurrent use; Close must not run
// concurrently with other calls (later calls miss and install nothing).
type ItemCache struct {
	rc       *ristretto.Cache[string, *entry]
	ttl      time.Duration
	negTTL   time.Duration
	now      func() time.Time
	ownClock bool // Now was injected: check expiry against it on Get
	seed     maphash.Seed
	tables   registry[tableEpoch]

	stripes     [fillStripes]fillStripe
	fillTimeout int64 // nanoseconds
	sweepAt     int   // pending records in a stripe before a sweep

	stats                                  [statSlots]statSlot
	sets, fills, superseded, invalidations atomic.Uint64
	tableInvalidations, evictedBytes       atomic.Uint64
	evictedCount, expired, rejected        atomic.Uint64
	entries                                atomic.Int64
	closed                                 atomic.Bool
}

// NewItemCache returns an item cache.
func NewItemCache(o ItemOptions) (*ItemCache, error) {
	if o.MaxBytes < 0 || o.TTL < 0 || o.FillTimeout < 0 || o.Counters < 0 {
		return nil, errors.New("cache: negative ItemOptions")
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultItemMaxBytes
	}
	if o.NegativeTTL == 0 {
		o.NegativeTTL = o.TTL
	}
	if o.FillTimeout == 0 {
		o.FillTimeout = DefaultFillTimeout
	}
	if o.Counters == 0 {
		o.Counters = min(max(o.MaxBytes/512*10, 1024), 1<<24)
	}
	c := &ItemCache{
		ttl:         o.TTL,
		negTTL:      o.NegativeTTL,
		now:         o.Now,
		ownClock:    o.Now != nil,
		seed:        maphash.MakeSeed(),
		fillTimeout: int64(o.FillTimeout),
		sweepAt:     64,
	}
	if c.now == nil {
		c.now = time.Now
	}
	rc, err := ristretto.NewCache(&ristretto.Config[string, *entry]{
		NumCounters:        o.Counters,
		MaxCost:            o.MaxBytes,
		BufferItems:        64,
		IgnoreInternalCost: true, // the cost we pass is the whole budget
		OnEvict:            c.onEvict,
		OnReject:           func(*ristretto.Item[*entry]) { c.rejected.Add(1) },
		OnExit:             c.onExit,
	})
	if err != nil {
		return nil, err
	}
	c.rc = rc
	return c, nil
}

// onEvict runs for capacity evictions (no expiration recorded on the
// victim) and for TTL clean-up (expiration set).
func (c *ItemCache) onEvict(it *ristretto.Item[*entry]) {
	if c.closed.Load() {
		return
	}
	if it.Expiration.IsZero() {
		c.evictedCount.Add(1)
		if it.Cost > 0 {
			c.evictedBytes.Add(uint64(it.Cost))
		}
		return
	}
	c.expired.Add(1)
}

// onExit runs whenever a value leaves ristretto's map, or is rejected before
// entering it; each accepted Set counted one in.
func (c *ItemCache) onExit(e *entry) {
	if e != nil {
		c.entries.Add(-1)
	}
}

func (c *ItemCache) hash(key string) uint64 { return maphash.String(c.seed, key) }

func slotOf(h uint64) uint32 { return uint32(h>>32) % statSlots }

// Get returns the cached answer for key: a hit (possibly Negative) unless the
// entry is absent, expired, evicted or its table was invalidated after it was
// read. Item.JSON is shared: callers must not modify it. A hit costs one
// ristretto Get (which reads the clock for entries with a TTL) and an epoch
// compare, and allocates nothing.
func (c *ItemCache) Get(key string) (Item, bool) {
	e, ok := c.rc.Get(key)
	if !ok || e == nil || e.tbl.epoch.Load() != e.epoch ||
		(c.ownClock && e.expires != 0 && c.now().UnixNano() >= e.expires) {
		// ristretto itself checks expiry against the wall clock.
		c.stats[slotOf(c.hash(key))].misses.Add(1)
		return Item{}, false
	}
	s := &c.stats[e.slot]
	s.hits.Add(1)
	if e.item.Negative {
		s.negHits.Add(1)
	}
	return e.item, true
}

// install stores it under key. The caller holds key's stripe lock, so no
// other install or delete of key is in ristretto's buffers: after Wait the
// value is either stored or was declined, and GetTTL tells which.
func (c *ItemCache) install(key string, h uint64, it Item, tbl *tableEpoch, epoch uint64) bool {
	ttl := c.ttl
	if it.Negative {
		it.JSON = nil
		ttl = c.negTTL
		if ttl < 0 { // negative caching off: just drop what was there
			c.rc.Del(key)
			c.rc.Wait()
			return false
		}
	}
	e := &entry{item: it, tbl: tbl, epoch: epoch, slot: slotOf(h)}
	if ttl > 0 {
		e.expires = c.now().Add(ttl).UnixNano()
	}
	cost := int64(len(key)+len(it.JSON)) + ItemEntryOverhead
	if !c.rc.SetWithTTL(key, e, cost, ttl) {
		// Dropped by a full buffer. Only new keys are dropped (an existing
		// key is updated in place), so no older value remains.
		return false
	}
	c.entries.Add(1)
	c.rc.Wait()
	_, ok := c.rc.GetTTL(key)
	return ok
}

// Set installs the new image of key (or a Negative entry after a delete)
// after a successful write, restarting its TTL, and supersedes fills of key
// in flight: their Complete will not install.
func (c *ItemCache) Set(key string, it Item) {
	if c.closed.Load() {
		return
	}
	h := c.hash(key)
	tbl := c.tables.get(TableOfKey(key), nil)
	s := c.stripe(h)
	s.mu.Lock()
	s.supersede(key)
	c.install(key, h, it, tbl, tbl.epoch.Load())
	s.mu.Unlock()
	c.sets.Add(1)
}

// Invalidate drops key and supersedes fills of key in flight. Use it when a
// write's outcome is unknown.
func (c *ItemCache) Invalidate(key string) {
	if c.closed.Load() {
		return
	}
	s := c.stripe(c.hash(key))
	s.mu.Lock()
	s.supersede(key)
	c.rc.Del(key)
	c.rc.Wait()
	s.mu.Unlock()
	c.invalidations.Add(1)
}

// InvalidateTable drops every entry of table in O(1): it bumps the table's
// epoch, which every entry and every fill in flight recorded. The entries'
// memory is reclaimed by eviction or expiry.
func (c *ItemCache) InvalidateTable(table string) {
	c.tables.get(table, nil).epoch.Add(1)
	c.tableInvalidations.Add(1)
}

// ForgetTable is InvalidateTable for a table that was deleted: it also
// frees the table's state, so that tables created and deleted over time do
// not accumulate. A later use of the name starts afresh (entries and fills
// of the old table stay stale: they hold the old state).
func (c *ItemCache) ForgetTable(table string) {
	if t := c.tables.forget(table); t != nil {
		t.epoch.Add(1)
	}
	c.tableInvalidations.Add(1)
}

// TableCount returns the number of tables whose state the cache holds.
func (c *ItemCache) TableCount() int { return c.tables.len() }

// Stats returns the counters.
func (c *ItemCache) Stats() ItemStats {
	s := ItemStats{
		Sets:               c.sets.Load(),
		Fills:              c.fills.Load(),
		Superseded:         c.superseded.Load(),
		Invalidations:      c.invalidations.Load(),
		TableInvalidations: c.tableInvalidations.Load(),
		EvictedBytes:       c.evictedBytes.Load(),
		EvictedCount:       c.evictedCount.Load(),
		Expired:            c.expired.Load(),
		Rejected:           c.rejected.Load(),
	}
	for i := range c.stats {
		st := &c.stats[i]
		s.Hits += st.hits.Load()
		s.NegativeHits += st.negHits.Load()
		s.Misses += st.misses.Load()
	}
	if n := c.entries.Load(); n > 0 {
		s.Entries = uint64(n)
	}
	if !c.closed.Load() {
		if used := c.rc.MaxCost() - c.rc.RemainingCost(); used > 0 {
			s.SizeBytes = uint64(used)
		}
	}
	return s
}

// Close stops ristretto's goroutines and drops every entry. Later calls
// miss and install nothing.
func (c *ItemCache) Close() {
	if c.closed.Swap(true) {
		return
	}
	c.rc.Close()
}
