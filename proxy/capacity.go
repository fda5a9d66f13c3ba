package proxy

import (
	"github.com/dynax/dynax/ddb"
)

// ConsumedCapacity of answers served from the cache. A hit reports what the
// backend would have charged for the same read, so an application that
// tracks capacity sees the same figures with or without the proxy (and the
// storage node's own test suite passes through it); the proxy's metrics
// tell how many reads were hits. GetItem and BatchGetItem hits are priced
// from the cached item's size, with DynamoDB's rule for eventually
// consistent reads (half a unit per 4 KB, at least half a unit, also for a
// missing item). Query and Scan entries keep the capacity the backend
// reported when they were filled (the proxy always asks for it).

// readUnits prices an eventually consistent read of one cached item.
func readUnits(itemJSON []byte, negative bool) float64 {
	if negative {
		return ddb.ReadUnits(0, false, false)
	}
	it, err := ddb.DecodeItem(itemJSON)
	if err != nil {
		return ddb.ReadUnits(0, false, false)
	}
	return ddb.ReadUnits(ddb.ItemSize(it), true, false)
}

// appendUnits appends capacity units as DynamoDB writes them (1.0, 0.5).
func appendUnits(b []byte, u float64) []byte { return ddb.AppendUnits(b, u) }

// appendCapacity appends a ConsumedCapacity object of a single-table read
// for mode TOTAL or INDEXES.
func appendCapacity(dst, tableRaw, mode []byte, units float64) []byte {
	dst = append(dst, `{"TableName":`...)
	dst = append(dst, tableRaw...)
	dst = append(dst, `,"CapacityUnits":`...)
	dst = appendUnits(dst, units)
	if string(mode) == "INDEXES" {
		dst = append(dst, `,"Table":{"CapacityUnits":`...)
		dst = appendUnits(dst, units)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// capacityFor returns the backend's ConsumedCapacity object cc (INDEXES
// form) in the form mode asks for: as is for INDEXES, without the
// per-table and per-index breakdown for TOTAL.
func capacityFor(cc, mode []byte) []byte {
	if string(mode) == "INDEXES" {
		return cc
	}
	out, ok := ddb.WithoutMembers(nil, cc, "Table", "GlobalSecondaryIndexes", "LocalSecondaryIndexes")
	if !ok {
		return cc
	}
	return out
}

// addUnits adds u to a backend's per-table capacity entry (a BatchGetItem
// answer that mixes hits and misses of one table).
func addUnits(entry []byte, tableRaw, mode []byte, u float64) []byte {
	var c struct {
		CapacityUnits float64
		Table         *struct{ CapacityUnits float64 }
	}
	if ddb.Unmarshal(entry, &c) != nil {
		return entry
	}
	b := append([]byte(nil), `{"TableName":`...)
	b = append(b, tableRaw...)
	b = append(b, `,"CapacityUnits":`...)
	b = appendUnits(b, c.CapacityUnits+u)
	if string(mode) == "INDEXES" {
		tu := u
		if c.Table != nil {
			tu += c.Table.CapacityUnits
		}
		b = append(b, `,"Table":{"CapacityUnits":`...)
		b = appendUnits(b, tu)
		b = append(b, '}')
	}
	return append(b, '}')
}
