package store

// Time to Live: UpdateTimeToLive, DescribeTimeToLive and the expirer.
//
// While TTL is enabled on a table, every write keeps a TTL index in the
// same batch as the item:
//
//	'e' + tableID(8) + expiry(8, Unix seconds) + item key suffix → empty
//
// so the expirer finds due items with one range scan instead of scanning
// the table. Items that exist when TTL is enabled are indexed by a
// background pass; if a write races with it, the pass may leave an entry
// that no longer matches its item. The expirer therefore trusts nothing
// it reads from the index: it takes the item's lock, re-reads the item and
// deletes it only if the item's own TTL attribute is due; otherwise it
// drops the stale entry. A renewed item is thus never deleted.
//
// The rules are DynamoDB's: the attribute must be a top-level Number of
// epoch seconds; anything else is ignored, as are values more than five
// years in the past. A deletion is an ordinary delete (indexes, statistics,
// a change record with CauseTTL, shown in streams with the service's
// userIdentity). Expired items that are not yet deleted are still read,
// as in DynamoDB.

import (
	"context"
	"encoding/binary"
	"math"
	"strconv"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

func init() {
	register("UpdateTimeToLive", opUpdateTimeToLive)
	register("DescribeTimeToLive", opDescribeTimeToLive)
}

const tagTTL = 'e'

// ttlMaxAge: TTL values further in the past than this are ignored.
const ttlMaxAge = 5 * 365 * 24 * time.Hour

// TTLState is a table's Time to Live setting (part of TableExtra).
type TTLState struct {
	// Attribute is the TTL attribute name.
	Attribute string `json:"attribute"`
	// Enabled is the setting; false with Attribute set is a disabled TTL.
	Enabled bool `json:"enabled"`
	// Changed is when it was last changed (Unix seconds): the status reads
	// ENABLING or DISABLING until Changed + Options.CreateDelay.
	Changed float64 `json:"changed"`
	// Indexed is set once the items present when TTL was enabled are in
	// the TTL index.
	Indexed bool `json:"indexed,omitempty"`
}

// ttlEnabled reports whether writes maintain the TTL index.
func (t *Table) ttlEnabled() bool { return t.Desc.TTL != nil && t.Desc.TTL.Enabled }

// needsOldImage reports whether a write must decode the item it replaces:
// index and TTL entries of the old image are deleted.
func (t *Table) needsOldImage() bool { return len(t.indexDefs()) > 0 || t.ttlEnabled() }

// ttlStatus returns TimeToLiveStatus at now.
func (t *Table) ttlStatus(now time.Time, delay time.Duration) string {
	s := t.Desc.TTL
	if s == nil {
		return "DISABLED"
	}
	settling := unixSeconds(now) < s.Changed+delay.Seconds()
	switch {
	case s.Enabled && settling:
		return "ENABLING"
	case s.Enabled:
		return "ENABLED"
	case settling:
		return "DISABLING"
	}
	return "DISABLED"
}

// ttlExpiry returns the expiry (Unix seconds) of it under attribute attr;
// ok is false when it has none DynamoDB would honour at all.
func ttlExpiry(it ddb.Item, attr string) (int64, bool) {
	v, ok := it[attr]
	if !ok || v.T != ddb.TypeN {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.S, 64)
	if err != nil || f < 0 || f >= math.MaxInt64/2 {
		return 0, false
	}
	return int64(f), true
}

func ttlPrefix(id uint64) []byte {
	k := make([]byte, 9, 17)
	k[0] = tagTTL
	binary.BigEndian.PutUint64(k[1:], id)
	return k
}

// ttlKey is the TTL index entry of the item at engine key ikey.
func ttlKey(id uint64, exp int64, ikey []byte) []byte {
	k := append(ttlPrefix(id), make([]byte, 8)...)
	binary.BigEndian.PutUint64(k[9:], uint64(exp))
	return append(k, ikey[9:]...)
}

// ttlEntryOf returns the TTL index key of it (stored at ikey), or nil.
func (t *Table) ttlEntryOf(it ddb.Item, ikey []byte) []byte {
	if it == nil {
		return nil
	}
	exp, ok := ttlExpiry(it, t.Desc.TTL.Attribute)
	if !ok {
		return nil
	}
	return ttlKey(t.ID, exp, ikey)
}

// writeTTLEntry maintains the TTL index for a change of the item at ikey
// from old to new (nil: absent).
func (t *Table) writeTTLEntry(b *pebble.Batch, ikey []byte, old, new ddb.Item) error {
	if !t.ttlEnabled() {
		return nil
	}
	ok, nk := t.ttlEntryOf(old, ikey), t.ttlEntryOf(new, ikey)
	if string(ok) == string(nk) {
		return nil
	}
	if ok != nil {
		if err := b.Delete(ok, nil); err != nil {
			return err
		}
	}
	if nk != nil {
		return b.Set(nk, nil, nil)
	}
	return nil
}

// ---------------------------------------------------------------------------
// UpdateTimeToLive / DescribeTimeToLive

type ttlSpecIn struct {
	Enabled       *bool   `json:"Enabled"`
	AttributeName *string `json:"AttributeName"`
}

type updateTTLIn struct {
	TableName               *string    `json:"TableName"`
	TimeToLiveSpecification *ttlSpecIn `json:"TimeToLiveSpecification"`
}

const (
	msgTTLAlreadyEnabled  = "TimeToLive is already enabled"
	msgTTLAlreadyDisabled = "TimeToLive is already disabled"
	msgTTLTooOften        = "Time to live has been modified multiple times within a fixed interval"
)

func opUpdateTimeToLive(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in updateTTLIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	c.checkTableName("tableName", in.TableName)
	if s := in.TimeToLiveSpecification; s == nil {
		c.fail(nil, "timeToLiveSpecification", cMustNotBeNull)
	} else {
		if s.Enabled == nil {
			c.fail(nil, "timeToLiveSpecification.enabled", cMustNotBeNull)
		}
		switch {
		case s.AttributeName == nil:
			c.fail(nil, "timeToLiveSpecification.attributeName", cMustNotBeNull)
		case len(*s.AttributeName) < 1:
			c.fail(s.AttributeName, "timeToLiveSpecification.attributeName", "Member must have length greater than or equal to 1")
		case len(*s.AttributeName) > 255:
			c.fail(s.AttributeName, "timeToLiveSpecification.attributeName", "Member must have length less than or equal to 255")
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	spec := in.TimeToLiveSpecification
	t, err := n.lookupTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	if t.strong() && *spec.Enabled {
		return nil, ddb.Validation(msgMRSCTTL) // global_strong.go
	}
	now := n.opts.Now()
	switch st := t.ttlStatus(now, n.opts.CreateDelay); {
	case st == "ENABLING" || st == "DISABLING":
		return nil, ddb.Validation(msgTTLTooOften)
	case *spec.Enabled && st == "ENABLED":
		return nil, ddb.Validation(msgTTLAlreadyEnabled)
	case !*spec.Enabled && st == "DISABLED":
		return nil, ddb.Validation(msgTTLAlreadyDisabled)
	}
	nt := *t
	nt.Desc = t.Desc.clone()
	nt.Desc.TTL = &TTLState{Attribute: *spec.AttributeName, Enabled: *spec.Enabled, Changed: unixSeconds(now)}
	if !*spec.Enabled && t.Desc.TTL != nil {
		nt.Desc.TTL.Attribute = t.Desc.TTL.Attribute // DISABLING shows the attribute being disabled
	}
	if err := n.cat.update(&nt); err != nil {
		return nil, err
	}
	b := append(make([]byte, 0, 96), `{"TimeToLiveSpecification":{"AttributeName":`...)
	b = ddb.AppendString(b, *spec.AttributeName)
	b = append(b, `,"Enabled":`...)
	b = strconv.AppendBool(b, *spec.Enabled)
	return append(b, "}}"...), nil
}

func opDescribeTimeToLive(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	t, err := n.tableFromNameRequest(req)
	if err != nil {
		return nil, err
	}
	st := t.ttlStatus(n.opts.Now(), n.opts.CreateDelay)
	b := append(make([]byte, 0, 96), `{"TimeToLiveDescription":{`...)
	if st != "DISABLED" {
		b = append(b, `"AttributeName":`...)
		b = ddb.AppendString(b, t.Desc.TTL.Attribute)
		b = append(b, ',')
	}
	b = append(b, `"TimeToLiveStatus":"`...)
	b = append(b, st...)
	return append(b, `"}}`...), nil
}

// ---------------------------------------------------------------------------
// Indexing the items present when TTL is enabled

// ttlIndexChunk is how many items one batch of the indexing pass covers.
const ttlIndexChunk = 512

// indexTTL writes TTL entries for the existing items of the table (TTL
// just enabled), then marks the TTL state Indexed. Writes made meanwhile
// maintain their own entries; see the comment at the top of ttl.go for why
// a racing pass is harmless. If TTL is disabled and enabled again during
// the pass, the pass starts over.
func (n *Node) indexTTL(t *Table, stop <-chan struct{}) error {
	for {
		cur, ok := n.cat.get(t.Name)
		if !ok || cur.ID != t.ID || !cur.ttlEnabled() || cur.Desc.TTL.Indexed {
			return nil
		}
		changed := cur.Desc.TTL.Changed
		lo, hi := tableBounds(t.ID)
		for lo != nil {
			select {
			case <-stop:
				return nil
			default:
			}
			var err error
			if lo, err = n.indexTTLChunk(cur, lo, hi); err != nil {
				return err
			}
		}
		done := false
		err := n.cat.modify(t.Name, t.ID, func(nt *Table) bool {
			if !nt.ttlEnabled() || nt.Desc.TTL.Changed != changed {
				return false
			}
			s := *nt.Desc.TTL
			s.Indexed = true
			nt.Desc.TTL = &s
			done = true
			return true
		})
		if err != nil || done {
			return err
		}
	}
}

// indexTTLChunk indexes up to ttlIndexChunk items from lo and returns where
// to continue (nil: done).
func (n *Node) indexTTLChunk(t *Table, lo, hi []byte) ([]byte, error) {
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	b := n.db.NewBatch()
	defer b.Close()
	count := 0
	var next []byte
	for it.First(); it.Valid(); it.Next() {
		if count == ttlIndexChunk {
			next = append([]byte(nil), it.Key()...)
			break
		}
		count++
		_, js, err := splitStored(it.Value())
		if err != nil {
			return nil, err
		}
		item, err := ddb.DecodeItem(js)
		if err != nil {
			return nil, err
		}
		if k := t.ttlEntryOf(item, it.Key()); k != nil {
			if err := b.Set(k, nil, nil); err != nil {
				return nil, err
			}
		}
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	// Not synced: the final catalog update (synced) makes the entries
	// durable, and a crash before it restarts the pass.
	return next, b.Commit(pebble.NoSync)
}

// ---------------------------------------------------------------------------
// The expirer

// ttlBatch is how many due entries one expirer commit handles.
const ttlBatch = 128

// expireDue deletes the due items of every table with TTL ENABLED and
// returns how many it deleted.
func (n *Node) expireDue() (int, error) {
	now := n.opts.Now()
	total := 0
	for _, name := range n.cat.names() {
		t, ok := n.cat.get(name)
		if !ok || t.ttlStatus(now, n.opts.CreateDelay) != "ENABLED" || t.Status == "DELETING" {
			continue
		}
		for {
			deleted, more, err := n.expireTableBatch(t, now)
			total += deleted
			n.met.ttlDeletedItems(name, deleted)
			if err != nil {
				return total, err
			}
			if !more {
				break
			}
		}
	}
	return total, nil
}

// dueEntry is one TTL index entry found due.
type dueEntry struct {
	entry []byte // TTL index key
	item  []byte // engine key of the item
}

// expireTableBatch handles up to ttlBatch due entries of t; more reports
// that there may be further due entries.
func (n *Node) expireTableBatch(t *Table, now time.Time) (deleted int, more bool, err error) {
	lo := ttlPrefix(t.ID)
	hi := append(ttlPrefix(t.ID), make([]byte, 8)...)
	binary.BigEndian.PutUint64(hi[9:], uint64(now.Unix()+1))
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return 0, false, err
	}
	var due []dueEntry
	seen := map[string]bool{}
	for it.First(); it.Valid() && len(due) < ttlBatch; it.Next() {
		e := append([]byte(nil), it.Key()...)
		ikey := append(tableKeyPrefix(t.ID), e[17:]...)
		if seen[string(ikey)] {
			continue // another entry of the same item: the next round sees it
		}
		seen[string(ikey)] = true
		due = append(due, dueEntry{entry: e, item: ikey})
	}
	more = it.Valid()
	if err := it.Error(); err != nil {
		it.Close()
		return 0, false, err
	}
	it.Close()
	if len(due) == 0 {
		return 0, false, nil
	}
	deleted, err = n.expireEntries(t, due, now)
	return deleted, more, err
}

// tableKeyPrefix is the engine key prefix of table id's items.
func tableKeyPrefix(id uint64) []byte {
	lo, _ := tableBounds(id)
	return lo
}

// expireEntries deletes, under their locks, the items of due whose own TTL
// attribute is due, and drops the entries that turned out stale.
func (n *Node) expireEntries(t *Table, due []dueEntry, now time.Time) (int, error) {
	keys := make([][]byte, len(due))
	for i, d := range due {
		keys[i] = d.item
	}
	unlock := n.locks.lockAll(keys)
	defer unlock()
	cur, ok := n.cat.get(t.Name)
	if !ok || cur.ID != t.ID || !cur.ttlEnabled() {
		return 0, nil
	}
	t = cur
	b := n.db.NewBatch()
	defer b.Close()
	var changes []itemChange
	var removed []currentItem
	lt := n.clog.table(t)
	for _, d := range due {
		old, err := n.readCurrent(d.item, true)
		if err != nil {
			return 0, err
		}
		exp, ok := int64(0), false
		if old.item != nil {
			exp, ok = ttlExpiry(old.item, t.Desc.TTL.Attribute)
		}
		curEntry := t.ttlEntryOf(old.item, d.item)
		if string(curEntry) != string(d.entry) || !ok || exp > now.Unix() || now.Sub(time.Unix(exp, 0)) > ttlMaxAge {
			// A stale entry (the item was renewed, changed or deleted
			// since), or a value DynamoDB ignores: drop the entry only.
			if err := b.Delete(d.entry, nil); err != nil {
				return 0, err
			}
			continue
		}
		if _, _, err := t.addMutation(b, d.item, old, mutation{del: true}); err != nil {
			return 0, err
		}
		changes = append(changes, itemChange{lt: lt, old: old.stored, key: d.item})
		removed = append(removed, old)
	}
	if b.Empty() {
		return 0, nil
	}
	tk, err := n.clog.append(b, CauseTTL, changes)
	if err == nil {
		err = b.Commit(n.wopts)
	}
	n.clog.done(tk, err)
	if err != nil {
		return 0, err
	}
	st := n.cat.statsOf(t)
	for _, old := range removed {
		st.record(true, old.size, mutation{del: true})
	}
	return len(removed), nil
}
