package store

import (
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Backfill of a global secondary index added to a table that holds items.
//
// The index enters the catalog first (status CREATING, Backfilling), so
// every write from then on maintains it: mutate re-reads the table from
// the catalog after taking the item's lock. The backfill then walks the
// base table in chunks; for each chunk it takes the locks of all its items
// (in slot order, like every multi-item locker), re-reads them, writes their
// index entries and commits before unlocking. A concurrent write of an item
// is thus either before the backfill reads it (and the backfill sees the
// new version) or after (and maintains the entry itself): no stale entry
// can survive. When the walk ends, the index turns ACTIVE. A backfill
// interrupted by shutdown or crash starts again when the node opens
// (writing an entry twice is harmless).

type backfillID struct {
	table uint64
	index string
}

const backfillChunk = 128

// ttlBackfill is the backfill "index name" of the TTL indexing pass
// (not a valid index name, so it never collides with one).
const ttlBackfill = "\x00ttl"

// startBackfills starts a backfill for every Backfilling index of t that
// has none running. The caller holds c.mu.
func (c *catalog) startBackfills(t *Table) {
	if c.closed {
		return
	}
	if id := (backfillID{t.ID, ttlBackfill}); t.ttlEnabled() && !t.Desc.TTL.Indexed {
		if _, running := c.backfills[id]; !running {
			c.goBackfill(id, "ttl indexing", func() error { return c.n.indexTTL(t, c.bfStop) })
		}
	}
	for i := range t.Desc.GlobalIndexes {
		g := &t.Desc.GlobalIndexes[i]
		id := backfillID{t.ID, g.IndexName}
		if _, running := c.backfills[id]; !g.Backfilling || running {
			continue
		}
		c.goBackfill(id, "index backfill", func() error { c.backfill(t.Name, id); return nil })
	}
}

// goBackfill runs fn in the background as backfill id: registered in
// c.backfills while it runs, waited for by stop, its error logged and its
// panic recovered (the index then stays Backfilling and its backfill
// starts again at the next Open). The caller holds c.mu.
func (c *catalog) goBackfill(id backfillID, name string, fn func() error) {
	done := make(chan struct{})
	c.backfills[id] = done
	c.bfWG.Add(1)
	go func() {
		defer close(done)
		defer c.bfWG.Done()
		defer func() {
			c.mu.Lock()
			delete(c.backfills, id)
			c.mu.Unlock()
		}()
		c.n.safely(name, fn)
	}()
}

// waitBackfills waits up to timeout for the running backfills of table t.
// With no creation delay configured, a small table's new index is thus
// ACTIVE by the time UpdateTable answers, as tables are.
func (c *catalog) waitBackfills(t *Table, timeout time.Duration) {
	c.mu.RLock()
	var chans []chan struct{}
	for id, ch := range c.backfills {
		if id.table == t.ID {
			chans = append(chans, ch)
		}
	}
	c.mu.RUnlock()
	deadline := time.After(timeout)
	for _, ch := range chans {
		select {
		case <-ch:
		case <-deadline:
			return
		}
	}
}

func (c *catalog) backfill(table string, id backfillID) {
	n := c.n
	lo, hi := tableBounds(id.table)
	for {
		select {
		case <-c.bfStop:
			return
		default:
		}
		keys, err := n.scanKeys(lo, hi, backfillChunk)
		if err != nil {
			n.log.Error("index backfill", "table", table, "index", id.index, "err", err)
			return
		}
		if len(keys) == 0 {
			break
		}
		if done, err := c.backfillChunk(table, id, keys); err != nil || done {
			if err != nil {
				n.log.Error("index backfill", "table", table, "index", id.index, "err", err)
			}
			return
		}
		lo = append(keys[len(keys)-1], 0)
	}
	// Mark the index ACTIVE.
	controlMu.Lock()
	defer controlMu.Unlock()
	t, ok := c.get(table)
	if !ok || t.ID != id.table {
		return
	}
	nt := *t
	nt.Desc = t.Desc.clone()
	g, ok := nt.GlobalIndex(id.index)
	if !ok || !g.Backfilling {
		return
	}
	g.Backfilling = false
	if err := c.update(&nt); err != nil {
		n.log.Error("index backfill: cannot mark index active", "table", table, "index", id.index, "err", err)
	}
}

// scanKeys returns up to max keys in [lo, hi).
func (n *Node) scanKeys(lo, hi []byte, max int) ([][]byte, error) {
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var keys [][]byte
	for it.First(); it.Valid() && len(keys) < max; it.Next() {
		keys = append(keys, append([]byte(nil), it.Key()...))
	}
	return keys, it.Error()
}

// backfillChunk writes the index entries of the items at keys under their
// locks. done is true when the table or index went away.
func (c *catalog) backfillChunk(table string, id backfillID, keys [][]byte) (done bool, err error) {
	n := c.n
	unlock := n.locks.lockAll(keys)
	defer unlock()
	t, ok := c.get(table)
	if !ok || t.ID != id.table {
		return true, nil
	}
	g, ok := t.GlobalIndex(id.index)
	if !ok || !g.Backfilling {
		return true, nil
	}
	b := n.db.NewBatch()
	defer b.Close()
	for _, k := range keys {
		it, _, found, err := n.getItem(k)
		if err != nil {
			return false, err
		}
		if !found {
			continue
		}
		if e, ok := t.indexEntryOf(&g.IndexDef, it); ok {
			if err := b.Set(e.key, e.value, nil); err != nil {
				return false, err
			}
		}
	}
	return false, b.Commit(pebble.NoSync)
}

// lockAll takes the locks of all keys in slot order (so two multi-key
// lockers cannot deadlock) and returns the function that releases them.
func (l *lockTable) lockAll(keys [][]byte) (unlock func()) {
	slots := make([]int, 0, len(keys))
	for _, k := range keys {
		slots = append(slots, int(fnv32a(k)%uint32(len(l.mu))))
	}
	slices.Sort(slots)
	slots = slices.Compact(slots)
	for _, s := range slots {
		l.mu[s].Lock()
	}
	return func() {
		for i := len(slots) - 1; i >= 0; i-- {
			l.mu[slots[i]].Unlock()
		}
	}
}
