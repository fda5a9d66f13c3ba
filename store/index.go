package store

import (
	"encoding/binary"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynax/dynax/ddb"
)

// Secondary indexes live in their own key space, maintained in the same
// engine batch as the base item:
//
//	'x' + tableID(8) + len(indexName)(1) + indexName
//	    + hash32(enc(ipk)) + enc(ipk) [+ enc(isk)] + enc(pk) [+ enc(sk)]
//
// where ipk and isk may be tuples of several attributes (multikey.go).
//	→ the projected item in the stored item format (items.go)
//
// An index partition is contiguous and ordered by the index sort key, then
// by the table's primary key (so equal index keys are allowed and ordered
// stably). An item lacking an index key attribute, or holding it with
// another type, has no entry: indexes are sparse. The value is the item as
// projected into the index, so Query on an index never reads the base
// table.

const tagIndex = 'x'

// indexPrefix returns the key prefix of all entries of index name of table id.
func indexPrefix(id uint64, name string) []byte {
	b := make([]byte, 0, 10+len(name))
	b = append(b, tagIndex)
	b = binary.BigEndian.AppendUint64(b, id)
	b = append(b, byte(len(name)))
	return append(b, name...)
}

// indexTableBounds returns the key range of all index entries of table id.
func indexTableBounds(id uint64) (lo, hi []byte) {
	lo = binary.BigEndian.AppendUint64([]byte{tagIndex}, id)
	hi = binary.BigEndian.AppendUint64([]byte{tagIndex}, id+1)
	return lo, hi
}

// indexKey builds the engine key of an index entry.
// Entries with equal index keys sort by h's tie hash of the table key
// (keyHashDynamo: DynamoDB's order), then by the table key.
func indexKey(prefix []byte, h keyHash, ipk, isk []ddb.Value, pk, sk ddb.Value) []byte {
	b := make([]byte, 0, len(prefix)+52)
	b = append(b, prefix...)
	hashAt := len(b)
	b = append(b, 0, 0, 0, 0)
	at := len(b)
	b = appendKeyTuple(b, ipk)
	binary.BigEndian.PutUint32(b[hashAt:], h.partitionTuple(b[at:], ipk))
	b = appendKeyTuple(b, isk)
	if h != keyHashFNV {
		b = binary.BigEndian.AppendUint32(b, h.tie(pk, sk))
	}
	b = appendKeyValue(b, pk)
	if sk.T != 0 {
		b = appendKeyValue(b, sk)
	}
	return b
}

// indexPartitionPrefix returns the prefix shared by all entries of one
// index partition (index partition key values ipk).
func indexPartitionPrefix(prefix []byte, h keyHash, ipk ...ddb.Value) []byte {
	b := make([]byte, 0, len(prefix)+24)
	b = append(b, prefix...)
	hashAt := len(b)
	b = append(b, 0, 0, 0, 0)
	at := len(b)
	b = appendKeyTuple(b, ipk)
	binary.BigEndian.PutUint32(b[hashAt:], h.partitionTuple(b[at:], ipk))
	return b
}

// indexDefs returns every secondary index of t (local first).
func (t *Table) indexDefs() []*IndexDef {
	n := len(t.Desc.LocalIndexes) + len(t.Desc.GlobalIndexes)
	if n == 0 {
		return nil
	}
	out := make([]*IndexDef, 0, n)
	for i := range t.Desc.LocalIndexes {
		out = append(out, &t.Desc.LocalIndexes[i].IndexDef)
	}
	for i := range t.Desc.GlobalIndexes {
		out = append(out, &t.Desc.GlobalIndexes[i].IndexDef)
	}
	return out
}

// indexEntry is one index row derived from an item.
type indexEntry struct {
	key   []byte
	value []byte
}

// indexEntryOf returns the entry of item it in index ix, or ok=false when
// the item is not in the index (sparse).
func (t *Table) indexEntryOf(ix *IndexDef, it ddb.Item) (e indexEntry, ok bool) {
	hkeys, rkeys := t.indexKeyParts(ix)
	ipk, ok := indexTupleKey(it, hkeys, maxHashKeySize)
	if !ok {
		return e, false
	}
	isk, ok := indexTupleKey(it, rkeys, maxRangeKeySize)
	if !ok {
		return e, false
	}
	tpk, _ := t.HashKey()
	tsk, _ := t.RangeKey()
	var sk ddb.Value
	if tsk != "" {
		sk = it[tsk]
	}
	proj := it
	if ix.Projection.ProjectionType == nil || *ix.Projection.ProjectionType != "ALL" {
		proj = make(ddb.Item, 4)
		for k, v := range it {
			if t.IndexProjects(ix, k) {
				proj[k] = v
			}
		}
	}
	e.key = indexKey(indexPrefix(t.ID, ix.IndexName), t.KeyHash, ipk, isk, it[tpk], sk)
	v, err := t.seal(t.encodeItem(proj, ddb.ItemSize(proj)))
	if err != nil {
		return e, false
	}
	e.value = v
	return e, true
}

// indexKeyUsable reports whether v can be an index key value: writes
// reject empty and oversized ones, but items written before the index was
// added may hold them, and DynamoDB's backfill leaves those items out of the
// index (GSI.OnlineOps.ViolationDetection).
func indexKeyUsable(v ddb.Value, max int) bool {
	switch v.T {
	case ddb.TypeS:
		return v.S != "" && len(v.S) <= max
	case ddb.TypeB:
		return len(v.B) != 0 && len(v.B) <= max
	}
	return true
}

// writeIndexes adds to b the index changes of replacing item old by item
// new (either may be nil).
func (t *Table) writeIndexes(b *pebble.Batch, old, new ddb.Item) error {
	for _, ix := range t.indexDefs() {
		var oldKey []byte
		if old != nil {
			if e, ok := t.indexEntryOf(ix, old); ok {
				oldKey = e.key
			}
		}
		if new != nil {
			if e, ok := t.indexEntryOf(ix, new); ok {
				if err := b.Set(e.key, e.value, nil); err != nil {
					return err
				}
				if oldKey != nil && string(oldKey) == string(e.key) {
					oldKey = nil // overwritten in place
				}
			}
		}
		if oldKey != nil {
			if err := b.Delete(oldKey, nil); err != nil {
				return err
			}
		}
	}
	return nil
}
