package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Key space tags (see the package comment).
const (
	tagCatalog = 'm'
	tagCounter = 'c'
	tagItem    = 'i'
)

// catalog is the set of tables: an in-memory map mirrored in the engine.
type catalog struct {
	n      *Node
	mu     sync.RWMutex
	tables map[string]*Table
	stats  map[uint64]*tableStats
	nextID uint64
	closed bool

	// pending are the delayed status changes, by table ID (pending.go);
	// retryBase and retryMax bound the backoff of their retries.
	pending   map[uint64]*pendingChange
	retryBase time.Duration
	retryMax  time.Duration

	// backfills are the running index backfills, by table ID and index name.
	backfills map[backfillID]chan struct{}
	bfWG      sync.WaitGroup
	bfStop    chan struct{}
}

// tableStats are live ItemCount and TableSizeBytes figures.
type tableStats struct {
	items atomic.Int64
	bytes atomic.Int64
}

func catalogKey(name string) []byte { return append([]byte{tagCatalog}, name...) }

func loadCatalog(n *Node) (*catalog, error) {
	c := &catalog{n: n, tables: map[string]*Table{}, stats: map[uint64]*tableStats{}, nextID: 1,
		backfills: map[backfillID]chan struct{}{}, bfStop: make(chan struct{}),
		pending: map[uint64]*pendingChange{}, retryBase: retryBaseDefault, retryMax: retryMaxDefault}
	if v, closer, err := n.db.Get([]byte{tagCounter}); err == nil {
		c.nextID = binary.BigEndian.Uint64(v)
		closer.Close()
	} else if err != pebble.ErrNotFound {
		return nil, err
	}
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagCatalog}, UpperBound: []byte{tagCatalog + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		var t Table
		if err := json.Unmarshal(it.Value(), &t); err != nil {
			return nil, fmt.Errorf("catalog entry %q: %w", it.Key()[1:], err)
		}
		switch {
		case t.Status == "CREATING" && t.filling():
			// A restore or import the restart interrupted: it stays
			// CREATING until it has been filled again (resumeRestores,
			// resumeImports).
		case t.Status == "CREATING" || t.Status == "UPDATING":
			t.Status = "ACTIVE"
		case t.Status == "DELETING":
			// The node stopped during a delayed delete: finish it.
			if err := c.dropData(&t); err != nil {
				return nil, err
			}
			continue
		}
		t.capa = newTableCapacity()
		t.ci = insightsFor(nil, &t)
		c.tables[t.Name] = &t
		c.startBackfills(&t)
		st, err := c.countItems(t.ID)
		if err != nil {
			return nil, err
		}
		c.stats[t.ID] = st
	}
	return c, nil
}

// countItems scans a table's items once at start-up to seed its statistics.
func (c *catalog) countItems(id uint64) (*tableStats, error) {
	lo, hi := tableBounds(id)
	it, err := c.n.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	st := &tableStats{}
	for it.First(); it.Valid(); it.Next() {
		st.items.Add(1)
		sz, _ := binary.Uvarint(it.Value())
		st.bytes.Add(int64(sz))
	}
	return st, it.Error()
}

// tableBounds returns the key range holding all items of table id.
func tableBounds(id uint64) (lo, hi []byte) {
	lo = make([]byte, 9)
	lo[0] = tagItem
	binary.BigEndian.PutUint64(lo[1:], id)
	hi = make([]byte, 9)
	hi[0] = tagItem
	binary.BigEndian.PutUint64(hi[1:], id+1)
	return lo, hi
}

// get returns the table called name.
func (c *catalog) get(name string) (*Table, bool) {
	c.mu.RLock()
	t, ok := c.tables[name]
	c.mu.RUnlock()
	return t, ok
}

// statsOf returns the live statistics of table t.
func (c *catalog) statsOf(t *Table) *tableStats {
	c.mu.RLock()
	st := c.stats[t.ID]
	c.mu.RUnlock()
	if st == nil {
		st = &tableStats{}
	}
	return st
}

// names returns all table names in byte order.
func (c *catalog) names() []string {
	c.mu.RLock()
	out := make([]string, 0, len(c.tables))
	for k := range c.tables {
		out = append(out, k)
	}
	c.mu.RUnlock()
	slices.Sort(out)
	return out
}

// create adds t under a fresh ID. It returns false if a table of that name
// already exists. t.Status is set to ACTIVE, or CREATING for
// Options.CreateDelay.
func (c *catalog) create(t *Table) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.tables[t.Name]; ok {
		return false, nil
	}
	t.ID = c.nextID
	t.Status = "ACTIVE"
	restoring := t.filling()
	if c.n.opts.CreateDelay > 0 || restoring {
		t.Status = "CREATING"
	}
	b := c.n.db.NewBatch()
	defer b.Close()
	var ctr [8]byte
	binary.BigEndian.PutUint64(ctr[:], t.ID+1)
	_ = b.Set([]byte{tagCounter}, ctr[:], nil)
	if err := setTable(b, t); err != nil {
		return false, err
	}
	if err := c.commitChange(b, nil, t); err != nil {
		return false, err
	}
	c.nextID++
	t.capa = newTableCapacity()
	t.ci = insightsFor(nil, t)
	c.tables[t.Name] = t
	c.stats[t.ID] = &tableStats{}
	if t.Status == "CREATING" && !restoring { // a restore or import turns ACTIVE when filled
		c.schedule(t, "ACTIVE", func(cur *Table) error { return c.setStatusLocked(cur, "ACTIVE") })
	}
	return true, nil
}

func setTable(b *pebble.Batch, t *Table) error {
	v, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return b.Set(catalogKey(t.Name), v, nil)
}

// setStatusLocked stores table t with a new status. The caller holds c.mu.
func (c *catalog) setStatusLocked(t *Table, status string) error {
	nt := *t
	nt.Status = status
	b := c.n.db.NewBatch()
	defer b.Close()
	if err := setTable(b, &nt); err != nil {
		return err
	}
	if err := c.commitChange(b, t, &nt); err != nil {
		return fmt.Errorf("set table %q %s: %w", t.Name, status, err)
	}
	c.tables[t.Name] = &nt
	return nil
}

// update replaces the stored metadata of a table with t (same Name and ID).
func (c *catalog) update(t *Table) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.updateLocked(t)
}

// updateLocked is update with c.mu held.
func (c *catalog) updateLocked(t *Table) error {
	cur, ok := c.tables[t.Name]
	if !ok || cur.ID != t.ID {
		return fmt.Errorf("update table %q: table changed concurrently", t.Name)
	}
	b := c.n.db.NewBatch()
	defer b.Close()
	if err := setTable(b, t); err != nil {
		return err
	}
	// Entries of indexes the update drops go in the same batch, and so
	// does the TTL index when TTL is disabled.
	for _, ix := range cur.indexDefs() {
		if _, _, ok := t.Index(ix.IndexName); !ok {
			p := indexPrefix(t.ID, ix.IndexName)
			if err := b.DeleteRange(p, prefixEnd(p), nil); err != nil {
				return err
			}
		}
	}
	if cur.ttlEnabled() && !t.ttlEnabled() {
		p := ttlPrefix(t.ID)
		if err := b.DeleteRange(p, prefixEnd(p), nil); err != nil {
			return err
		}
	}
	if err := c.commitChange(b, cur, t); err != nil {
		return err
	}
	t.ci = insightsFor(cur, t)
	c.tables[t.Name] = t
	c.startBackfills(t)
	return nil
}

// prefixEnd returns the smallest key greater than every key starting with p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// remove deletes table t and all its items. With Options.CreateDelay the
// table stays visible as DELETING for that long. It returns the table as
// it was described at the moment of deletion (status DELETING).
func (c *catalog) remove(t *Table) (*Table, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, ok := c.tables[t.Name]
	if !ok || cur.ID != t.ID {
		return nil, fmt.Errorf("delete table %q: table changed concurrently", t.Name)
	}
	dt := *cur
	dt.Status = "DELETING"
	if c.n.opts.CreateDelay > 0 {
		b := c.n.db.NewBatch()
		defer b.Close()
		if err := setTable(b, &dt); err != nil {
			return nil, err
		}
		if err := c.commitChange(b, cur, &dt); err != nil {
			return nil, err
		}
		c.tables[t.Name] = &dt
		c.schedule(&dt, "DELETED", c.dropLocked)
		return &dt, nil
	}
	if err := c.dropLocked(&dt); err != nil {
		return nil, err
	}
	return &dt, nil
}

// dropLocked deletes table t's data and forgets it. The caller holds c.mu.
func (c *catalog) dropLocked(t *Table) error {
	if err := c.dropData(t); err != nil {
		return fmt.Errorf("drop table %q: %w", t.Name, err)
	}
	delete(c.tables, t.Name)
	delete(c.stats, t.ID)
	if p := c.pending[t.ID]; p != nil {
		p.timer.Stop()
		delete(c.pending, t.ID)
	}
	return nil
}

// dropData deletes a table's catalog entry, items, index and TTL entries
// in one batch, which also closes its stream and ends its change log with
// a drop record (the log itself is reclaimed later, see retention.go).
func (c *catalog) dropData(t *Table) error {
	b := c.n.db.NewBatch()
	defer b.Close()
	lo, hi := tableBounds(t.ID)
	if err := b.DeleteRange(lo, hi, nil); err != nil {
		return err
	}
	lo, hi = indexTableBounds(t.ID)
	if err := b.DeleteRange(lo, hi, nil); err != nil {
		return err
	}
	p := ttlPrefix(t.ID)
	if err := b.DeleteRange(p, prefixEnd(p), nil); err != nil {
		return err
	}
	if err := b.Delete(catalogKey(t.Name), nil); err != nil {
		return err
	}
	tk, lt, err := c.n.clog.addDrop(b, t)
	committed := false
	// Deferred, so that a commit that panics (Pebble's Fatalf) still ends
	// the ticket.
	defer func() {
		if !committed && err == nil {
			err = errors.New("commit did not return")
		}
		c.n.clog.done(tk, err)
	}()
	if err == nil {
		err = c.commitChange(b, t, nil)
	}
	if err == nil {
		committed = true
		lt.dropped.Store(true)
	}
	return err
}

// commitChange commits b, which changes table old into new (nil: created
// or deleted), together with the stream changes that implies.
func (c *catalog) commitChange(b *pebble.Batch, old, new *Table) error {
	finish, err := c.n.streams.prepare(b, old, new)
	if err != nil {
		return err
	}
	// finish is deferred: it releases the stream registry's lock, which a
	// commit that panics (Pebble's Fatalf) must not leave held.
	ok := false
	defer func() { finish(ok) }()
	if err = b.Commit(c.n.wopts); err != nil {
		return err
	}
	ok = true
	return nil
}

// modify applies fn to a copy of table name (if it still has id) and
// stores the result when fn returns true.
func (c *catalog) modify(name string, id uint64, fn func(*Table) bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tables[name]
	if !ok || t.ID != id || c.closed {
		return nil
	}
	nt := *t
	nt.Desc = t.Desc.clone()
	if !fn(&nt) {
		return nil
	}
	return c.updateLocked(&nt)
}

func (c *catalog) stop() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.stopPending()
	close(c.bfStop)
	c.mu.Unlock()
	c.bfWG.Wait()
}
