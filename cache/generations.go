package cache

import (
	"fmt"
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// InvalidationMode selects what a write invalidates in the query cache.
type InvalidationMode uint8

const (
	// ModePartition (the default): a write to an item invalidates the
	// base-table Queries of its partition and every Scan and index Query of
	// its table.
	ModePartition InvalidationMode = iota
	// ModeTable: a write invalidates every query-cache entry of its table.
	ModeTable
	// ModeNone: writes invalidate nothing; entries live until TTL or eviction
	// (DAX's behaviour).
	ModeNone
)

var modeNames = [...]string{"partition", "table", "none"}

// String returns the mode's name as ParseInvalidationMode accepts it.
func (m InvalidationMode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("InvalidationMode(%d)", uint8(m))
}

// ParseInvalidationMode parses "partition", "table" or "none" (any case;
// "" is "partition").
func ParseInvalidationMode(s string) (InvalidationMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "partition", "":
		return ModePartition, nil
	case "table":
		return ModeTable, nil
	case "none":
		return ModeNone, nil
	}
	return 0, fmt.Errorf("cache: unknown invalidation mode %q (want partition, table or none)", s)
}

// PartitionSlots is the number of partition counters. Partitions hash into
// this fixed array, so memory stays bounded (8 bytes a slot) however many
// partitions are written; two partitions sharing a slot only invalidate each
// other's entries (extra misses), never revive a stale one.
const PartitionSlots = 1 << 16

// tableGen holds a table's counters.
type tableGen struct {
	// any advances on every write to the table (Bump and BumpTable): Scans,
	// index Queries and table-mode entries depend on it.
	any atomic.Uint64
	// all advances only on BumpTable (a write whose partitions are unknown):
	// partition-mode entries depend on it besides their partition's counter.
	all atomic.Uint64
}

// Generations are the invalidation counters shared by the query cache and the
// writers. Counters only ever increase, so an equal value means "no write
// since". Safe for concurrent use.
type Generations struct {
	mode   InvalidationMode
	seed   maphash.Seed
	tables registry[tableGen]
	slots  []atomic.Uint64 // len is a power of two
	mask   uint64
}

// NewGenerations returns the counters for the given mode.
func NewGenerations(mode InvalidationMode) *Generations {
	return newGenerations(mode, PartitionSlots)
}

// newGenerations takes the number of partition slots (a power of two), so
// that tests can force collisions.
func newGenerations(mode InvalidationMode, slots int) *Generations {
	return &Generations{
		mode:  mode,
		seed:  maphash.MakeSeed(),
		slots: make([]atomic.Uint64, slots),
		mask:  uint64(slots - 1),
	}
}

// Mode returns the invalidation mode.
func (g *Generations) Mode() InvalidationMode { return g.mode }

func (g *Generations) slot(table, partition string) uint32 {
	var h maphash.Hash
	h.SetSeed(g.seed)
	h.WriteString(table)
	h.WriteByte(0)
	h.WriteString(partition)
	return uint32(h.Sum64() & g.mask)
}

// Bump records a write to an item of partition (the canonical hash-key
// encoding, see PartitionKey) of table: it advances the partition's counter
// and the table's. In ModeNone it does nothing.
func (g *Generations) Bump(table, partition string) {
	if g.mode == ModeNone {
		return
	}
	g.slots[g.slot(table, partition)].Add(1)
	g.tables.get(table, nil).any.Add(1)
}

// BumpTable records a write to table whose partitions are unknown (PartiQL,
// ambiguous failures, table deletion): every entry of the table becomes stale.
// In ModeNone it does nothing.
func (g *Generations) BumpTable(table string) {
	if g.mode == ModeNone {
		return
	}
	t := g.tables.get(table, nil)
	t.all.Add(1)
	t.any.Add(1)
}

// ForgetTable is BumpTable for a table that was deleted: it also frees the
// table's counters (entries stamped under them stay stale; a later use of
// the name starts new counters).
func (g *Generations) ForgetTable(table string) {
	if t := g.tables.forget(table); t != nil {
		t.all.Add(1)
		t.any.Add(1)
	}
}

// TableCount returns the number of tables whose counters are held.
func (g *Generations) TableCount() int { return g.tables.len() }

// Dep is what a query-cache entry depends on. Table is the base table, also
// for index queries. HasPartition is true only for a Query on the base table,
// with Partition its hash-key value (see PartitionKey); Scans and index
// Queries leave it false.
type Dep struct {
	Table        string
	Partition    string
	HasPartition bool
}

// Stamp is the set of counter values an entry depends on, read before the
// backend was asked. The zero Stamp depends on nothing.
type Stamp struct {
	tbl  *tableGen // nil: depends on nothing
	tgen uint64    // tbl.any (table-wide) or tbl.all (partition) at Snapshot
	sgen uint64    // partition counter at Snapshot
	slot uint32
	part bool
}

// Snapshot reads the counters that an entry for d depends on. Call it before
// asking the backend.
func (g *Generations) Snapshot(d Dep) Stamp {
	switch g.mode {
	case ModeNone:
		return Stamp{}
	case ModePartition:
		if d.HasPartition {
			t := g.tables.get(d.Table, nil)
			s := Stamp{tbl: t, part: true, slot: g.slot(d.Table, d.Partition)}
			// Read order does not matter: a Bump concurrent with Snapshot
			// happens after its write committed, which the fetch then sees.
			s.tgen = t.all.Load()
			s.sgen = g.slots[s.slot].Load()
			return s
		}
	}
	t := g.tables.get(d.Table, nil)
	return Stamp{tbl: t, tgen: t.any.Load()}
}

// Current reports whether no write that s depends on happened since it was
// taken.
func (g *Generations) Current(s Stamp) bool {
	if s.tbl == nil {
		return true
	}
	if s.part {
		return s.tbl.all.Load() == s.tgen && g.slots[s.slot].Load() == s.sgen
	}
	return s.tbl.any.Load() == s.tgen
}
