package store

import (
	"encoding/binary"
	"errors"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynax/dynax/ddb"
)

// Stored item format: uvarint(DynamoDB item size), then pageMarker and
// uvarint(ddb.PageSize) (records of earlier builds lack these two), then
// the item's wire JSON (canonical numbers), sealed or not (sse.go).
// Keeping the wire form makes an unprojected GetItem a copy of stored
// bytes; the size prefix lets statistics be kept without decoding, and the
// page size lets a Query or Scan find DynamoDB's 1 MB page boundary
// without decoding either.

// pageMarker introduces the page size; JSON starts with '{' and a sealed
// record with sealMarker, so it cannot be mistaken for either.
const pageMarker = 0x02

// encodeItem returns the stored form of it, of item size size, in table t
// (whose sort key the page size leaves out).
func (t *Table) encodeItem(it ddb.Item, size int) []byte {
	rk, _ := t.RangeKey()
	b := make([]byte, 0, 24+size+size/4)
	b = binary.AppendUvarint(b, uint64(size))
	b = append(b, pageMarker)
	b = binary.AppendUvarint(b, uint64(ddb.PageSize(it, rk)))
	return ddb.AppendItem(b, it)
}

// storedHeader reads the plain header of a stored item: its size, its page
// size (-1 when the record has none) and the header's length.
func storedHeader(v []byte) (size, page, n int, err error) {
	sz, n := binary.Uvarint(v)
	if n <= 0 {
		return 0, 0, 0, errors.New("store: corrupt item record")
	}
	page = -1
	if len(v) > n && v[n] == pageMarker {
		pg, m := binary.Uvarint(v[n+1:])
		if m <= 0 {
			return 0, 0, 0, errors.New("store: corrupt item record")
		}
		page, n = int(pg), n+1+m
	}
	return int(sz), page, n, nil
}

// splitStored returns the size prefix and the JSON of a stored item,
// opening it when it is sealed (sse.go).
func splitStored(v []byte) (size int, js []byte, err error) {
	size, _, js, err = splitStoredPage(v)
	return size, js, err
}

// splitStoredPage is splitStored with the page size (-1: not recorded).
func splitStoredPage(v []byte) (size, page int, js []byte, err error) {
	size, page, n, err := storedHeader(v)
	if err != nil {
		return 0, 0, nil, err
	}
	if len(v) > n && v[n] == sealMarker {
		js, err := openSealed(v[n:])
		return size, page, js, err
	}
	return size, page, v[n:], nil
}

// Key validation messages.
const (
	msgKeySchema = "The provided key element does not match the schema"
)

// keyValues extracts and validates the primary key of table t. With
// exact=true key must hold exactly the key attributes (GetItem's Key);
// otherwise it is an item that must contain them (PutItem's Item). Checks
// run per key attribute, partition key first: presence and type, empty
// value, size; the messages differ between the two forms as DynamoDB's do.
func (t *Table) keyValues(key ddb.Item, exact bool) (pk, sk ddb.Value, err error) {
	hname, htype := t.HashKey()
	rname, rtype := t.RangeKey()
	if exact {
		want := 1
		if rname != "" {
			want = 2
		}
		if len(key) != want {
			return pk, sk, ddb.Validation(msgKeySchema)
		}
	}
	if pk, err = keyPiece(key, hname, htype, exact, true); err != nil {
		return pk, sk, err
	}
	if rname != "" {
		if sk, err = keyPiece(key, rname, rtype, exact, false); err != nil {
			return pk, sk, err
		}
	}
	return pk, sk, nil
}

func keyPiece(key ddb.Item, name string, typ ddb.Type, exact, isHash bool) (ddb.Value, error) {
	v, ok := key[name]
	if !ok {
		if exact {
			return v, ddb.Validation(msgKeySchema)
		}
		return v, ddb.Validation("One or more parameter values were invalid: Missing the key " + name + " in the item")
	}
	if v.T != typ {
		if exact {
			return v, ddb.Validation(msgKeySchema)
		}
		return v, ddb.Validationf("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", name, typ, v.T)
	}
	if (v.T == ddb.TypeS && v.S == "") || (v.T == ddb.TypeB && len(v.B) == 0) {
		kind := "string"
		if v.T == ddb.TypeB {
			kind = "binary"
		}
		// Lookup keys and items alike: current DynamoDB (captures of
		// GetItem, DeleteItem, UpdateItem and TransactWriteItems keys in
		// paritysuite/dynamodb-conformance, 2026-09) words both this way.
		return v, ddb.Validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty " + kind + " value. Key: " + name)
	}
	if v.T != ddb.TypeN {
		size := ddb.ValueSize(v)
		if isHash && size > 2048 {
			return v, ddb.Validation("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
		}
		if !isHash && size > 1024 {
			return v, ddb.Validation("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
		}
	}
	return v, nil
}

// engineKey returns the engine key of the item with primary key (pk, sk).
func (t *Table) engineKey(pk, sk ddb.Value) []byte {
	return itemKey(make([]byte, 0, 32+len(pk.S)+len(pk.B)+len(sk.S)+len(sk.B)), t.ID, t.KeyHash, pk, sk)
}

// getStored returns a private copy of the stored value at key (size
// prefix + JSON); found is false when absent.
func (n *Node) getStored(key []byte) (stored []byte, found bool, err error) {
	v, closer, err := n.db.Get(key)
	if err == pebble.ErrNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	return append([]byte(nil), v...), true, nil
}

// getRaw reads the stored JSON of an item; found is false when absent.
// The returned slice is a private copy.
func (n *Node) getRaw(key []byte) (js []byte, size int, found bool, err error) {
	stored, found, err := n.getStored(key)
	if err != nil || !found {
		return nil, 0, false, err
	}
	size, js, err = splitStored(stored)
	if err != nil {
		return nil, 0, false, err
	}
	return js, size, true, nil
}

// getItem reads and decodes an item.
func (n *Node) getItem(key []byte) (ddb.Item, int, bool, error) {
	js, size, found, err := n.getRaw(key)
	if err != nil || !found {
		return nil, 0, found, err
	}
	it, err := ddb.DecodeItem(js)
	if err != nil {
		return nil, 0, false, err
	}
	return it, size, true, nil
}

// storedSize returns the size of a stored item without decoding it.
func (n *Node) storedSize(key []byte) (size int, found bool, err error) {
	v, closer, err := n.db.Get(key)
	if err == pebble.ErrNotFound {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer closer.Close()
	size, _, err = splitStored(v)
	return size, err == nil, err
}

// currentItem is an item as read under its lock before a mutation.
type currentItem struct {
	stored []byte   // stored form; nil when absent
	item   ddb.Item // decoded; nil when absent or not decoded
	size   int
}

// readCurrent reads the item at key, decoding it when decode is true.
func (n *Node) readCurrent(key []byte, decode bool) (currentItem, error) {
	stored, found, err := n.getStored(key)
	if err != nil || !found {
		return currentItem{}, err
	}
	size, js, err := splitStored(stored)
	if err != nil {
		return currentItem{}, err
	}
	cur := currentItem{stored: stored, size: size}
	if decode {
		if cur.item, err = ddb.DecodeItem(js); err != nil {
			return currentItem{}, err
		}
	}
	return cur, nil
}

// Mutation is the outcome of a mutate callback.
type mutation struct {
	// put is the new item (nil with del=false: leave the item unchanged).
	put ddb.Item
	// putSize is ddb.ItemSize(put).
	putSize int
	// del deletes the item.
	del bool
}

// mutate runs fn on the current state of one item while holding that
// item's write lock and commits what fn decides, durably, with its change
// record. old is nil when the item does not exist. An error from fn aborts
// without writing.
func (n *Node) mutate(t *Table, key []byte, cause Cause, fn func(old ddb.Item, oldSize int) (mutation, error)) error {
	if t.strong() {
		return n.strongMutate(t, key, cause, true, fn) // global_strong.go
	}
	return n.mutateItem(t, key, cause, true, 0, fn)
}

// mutateBlind is mutate for writes that never look at the current item (no
// condition, no old image returned): the item is then read but decoded only
// if an index or TTL of the table needs the old image. fn receives a nil
// item even when one exists.
func (n *Node) mutateBlind(t *Table, key []byte, cause Cause, fn func(old ddb.Item, oldSize int) (mutation, error)) error {
	if t.strong() {
		return n.strongMutate(t, key, cause, false, fn)
	}
	return n.mutateItem(t, key, cause, false, 0, fn)
}

// mutateItem is mutate; stamp, when not 0, is the version a STRONG write
// was granted (global_strong.go).
func (n *Node) mutateItem(t *Table, key []byte, cause Cause, needOld bool, stamp int64, fn func(old ddb.Item, oldSize int) (mutation, error)) error {
	if n.marks.marked(key) {
		return ddb.TransactionConflict(msgTxnOngoing)
	}
	mu := n.locks.slot(key)
	mu.Lock()
	defer mu.Unlock()
	// Re-read the table under the lock, so index changes made since the
	// request looked it up (an index being added and backfilled) apply.
	cur, ok := n.cat.get(t.Name)
	if !ok || cur.ID != t.ID {
		return ddb.ResourceNotFound("Requested resource not found")
	}
	t = cur
	old, err := n.readCurrent(key, needOld || t.needsOldImage())
	if err != nil {
		return err
	}
	m, err := fn(old.item, old.size)
	if err != nil {
		return err
	}
	b := n.db.NewBatch()
	defer b.Close()
	newStored, changed, err := t.addMutation(b, key, old, m)
	if err != nil || !changed {
		return err
	}
	var tk logTicket
	if !unchanged(old, newStored, m.put) {
		if tk, err = n.clog.append(b, cause, []itemChange{{lt: n.clog.table(t), old: old.stored, new: newStored, key: key, stamp: stamp}}); err != nil {
			n.clog.done(tk, err)
			return err
		}
	}
	err = b.Commit(n.wopts)
	n.clog.done(tk, err)
	if err != nil {
		return err
	}
	n.cat.statsOf(t).record(old.stored != nil, old.size, m)
	if t.ci != nil && len(t.ci.gsi) > 0 {
		if m.del {
			t.ci.indexWrite(old.item)
		} else {
			t.ci.indexWrite(m.put)
		}
	}
	return nil
}

// unchanged reports whether putting the item newStored (decoded: put) over
// old changes nothing, in which case no change record is written, as
// DynamoDB Streams writes none.
func unchanged(old currentItem, newStored []byte, put ddb.Item) bool {
	if old.stored == nil || newStored == nil {
		return false
	}
	if string(old.stored) == string(newStored) {
		return true
	}
	newSize, _ := binary.Uvarint(newStored)
	if int(newSize) != old.size {
		return false
	}
	it := old.item
	if it == nil {
		_, js, err := splitStored(old.stored)
		if err != nil {
			return false
		}
		if it, err = ddb.DecodeItem(js); err != nil {
			return false
		}
	}
	return itemsEqual(it, put)
}

// itemsEqual reports whether a and b hold the same attributes and values.
func itemsEqual(a, b ddb.Item) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok || !ddb.Equal(av, bv) {
			return false
		}
	}
	return true
}

// addMutation adds m, applied to the item at key (currently old), to b with
// its index and TTL entries. It returns the new stored item (nil for a
// delete); changed is false when m changes nothing.
func (t *Table) addMutation(b *pebble.Batch, key []byte, old currentItem, m mutation) (newStored []byte, changed bool, err error) {
	switch {
	case m.del:
		if old.stored == nil {
			return nil, false, nil
		}
		err = b.Delete(key, nil)
	case m.put != nil:
		if newStored, err = t.seal(t.encodeItem(m.put, m.putSize)); err != nil {
			return nil, false, err
		}
		err = b.Set(key, newStored, nil)
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var newItem ddb.Item
	if !m.del {
		newItem = m.put
	}
	if err := t.writeIndexes(b, old.item, newItem); err != nil {
		return nil, false, err
	}
	return newStored, true, t.writeTTLEntry(b, key, old.item, newItem)
}

// record updates the statistics after a committed mutation of an item
// that existed (found) with oldSize bytes.
func (st *tableStats) record(found bool, oldSize int, m mutation) {
	switch {
	case m.del && found:
		st.items.Add(-1)
		st.bytes.Add(int64(-oldSize))
	case m.put != nil && !m.del:
		if !found {
			st.items.Add(1)
		}
		st.bytes.Add(int64(m.putSize - oldSize))
	}
}
