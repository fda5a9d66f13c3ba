package store

// Capacity: what each table and global secondary index consumes, and (with
// Options.Capacity "enforce" or the table tag dynax:capacity=enforce) the
// token buckets that throttle requests over their provisioned throughput,
// as DynamoDB does. See docs/capacity.md.
//
// Consumption is always counted, enforcement or not: the figures feed
// CapacityStats (and from there /metrics, `dynax top` and auto scaling).
// Counting costs one atomic add per request on counters that hang off the
// table's catalog entry (Table.capa, shared by every copy of the entry), so
// the data plane takes no lock and no map lookup for it.

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Capacity modes of Options.Capacity and of the dynax:capacity tag.
const (
	CapacityOff     = "off"
	CapacityEnforce = "enforce"
)

// CapacityTagKey is the tag that overrides Options.Capacity for one table:
// its value is "enforce" or "off" (any other value is ignored).
const CapacityTagKey = "dynax:capacity"

// CapacityStats are one table's or one of its GSIs' capacity figures.
type CapacityStats struct {
	Table, Index string // Index "" for the table itself
	OnDemand     bool
	// ProvisionedRead and ProvisionedWrite are the provisioned capacity
	// units (0 on demand).
	ProvisionedRead, ProvisionedWrite int64
	// ConsumedRead and ConsumedWrite are the units consumed since the node
	// started, counted whether or not enforcement is on.
	ConsumedRead, ConsumedWrite float64
	// ReadThrottleEvents and WriteThrottleEvents count the throttled
	// requests (or batch items) of this table or index, as CloudWatch
	// counts them.
	ReadThrottleEvents, WriteThrottleEvents uint64
	// ThrottledRequests counts the requests refused with a throttling
	// error (table rows only; batch items left unprocessed count in the
	// throttle events, not here).
	ThrottledRequests uint64
}

// capUnitScale is the fixed-point scale of the consumption counters:
// capacity figures are multiples of 0.5, so thousandths are exact.
const capUnitScale = 1000

// capCounters are the consumption and throttle counters of a table or a
// GSI.
type capCounters struct {
	read, write                   atomic.Int64 // units × capUnitScale
	readThrottles, writeThrottles atomic.Uint64
}

func (c *capCounters) addRead(u float64)  { c.read.Add(int64(u*capUnitScale + 0.5)) }
func (c *capCounters) addWrite(u float64) { c.write.Add(int64(u*capUnitScale + 0.5)) }

// tableCapacity is the live capacity state of one table (one table ID):
// counters and buckets. It is created with the table's catalog entry and
// carried by every later copy of it, so it lives as long as the table.
type tableCapacity struct {
	capCounters
	throttled atomic.Uint64

	// indexes holds the GSIs' state by index name (copy on write under
	// mu: indexes come and go with UpdateTable, rarely).
	indexes atomic.Pointer[map[string]*indexCapacity]
	mu      sync.Mutex

	enf enforcement // capacity_enforce.go
}

// indexCapacity is the live capacity state of one GSI.
type indexCapacity struct {
	capCounters
	enf indexEnforcement // capacity_enforce.go
}

func newTableCapacity() *tableCapacity {
	c := &tableCapacity{}
	m := map[string]*indexCapacity{}
	c.indexes.Store(&m)
	return c
}

// index returns the state of GSI name, creating it on first use.
func (c *tableCapacity) index(name string) *indexCapacity {
	if ix := (*c.indexes.Load())[name]; ix != nil {
		return ix
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := *c.indexes.Load()
	if ix := cur[name]; ix != nil {
		return ix
	}
	next := make(map[string]*indexCapacity, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	ix := &indexCapacity{}
	next[name] = ix
	c.indexes.Store(&next)
	return ix
}

// peekIndex returns the state of GSI name, nil if it never had any.
func (c *tableCapacity) peekIndex(name string) *indexCapacity {
	return (*c.indexes.Load())[name]
}

// capa returns t's capacity state; a table entry made outside the catalog
// (never the case for served tables) gets a throwaway one.
func (t *Table) capacity() *tableCapacity {
	if t.capa == nil {
		return newTableCapacity()
	}
	return t.capa
}

// CapacityStats returns the capacity figures of every table and of each
// of its global secondary indexes, sorted by table, then index (the table
// itself first).
func (n *Node) CapacityStats() []CapacityStats {
	var out []CapacityStats
	for _, name := range n.cat.names() {
		t, ok := n.cat.get(name)
		if !ok {
			continue
		}
		c := t.capa
		ppr := t.PayPerRequest()
		row := CapacityStats{Table: t.Name, OnDemand: ppr,
			ProvisionedRead: t.Desc.Throughput.Read, ProvisionedWrite: t.Desc.Throughput.Write}
		if ppr {
			row.ProvisionedRead, row.ProvisionedWrite = 0, 0
		}
		if c != nil {
			c.capCounters.fill(&row)
			row.ThrottledRequests = c.throttled.Load()
		}
		out = append(out, row)
		start := len(out)
		for i := range t.Desc.GlobalIndexes {
			g := &t.Desc.GlobalIndexes[i]
			row := CapacityStats{Table: t.Name, Index: g.IndexName, OnDemand: ppr,
				ProvisionedRead: g.Throughput.Read, ProvisionedWrite: g.Throughput.Write}
			if ppr {
				row.ProvisionedRead, row.ProvisionedWrite = 0, 0
			}
			if c != nil {
				if ix := c.peekIndex(g.IndexName); ix != nil {
					ix.capCounters.fill(&row)
				}
			}
			out = append(out, row)
		}
		slices.SortFunc(out[start:], func(a, b CapacityStats) int {
			switch {
			case a.Index < b.Index:
				return -1
			case a.Index > b.Index:
				return 1
			}
			return 0
		})
	}
	return out
}

func (c *capCounters) fill(row *CapacityStats) {
	row.ConsumedRead = float64(c.read.Load()) / capUnitScale
	row.ConsumedWrite = float64(c.write.Load()) / capUnitScale
	row.ReadThrottleEvents = c.readThrottles.Load()
	row.WriteThrottleEvents = c.writeThrottles.Load()
}
