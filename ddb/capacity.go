package ddb

import (
	"math"
	"strconv"
)

// Capacity arithmetic and request limits, shared by the storage node (which
// charges them) and the proxy (which reports what the backend would have
// charged for a read it served from memory).

// Request limits of BatchGetItem.
const (
	// BatchGetMaxKeys is the number of keys one BatchGetItem may ask for,
	// over all its tables.
	BatchGetMaxKeys = 100
	// BatchGetMaxResponseBytes bounds the item data of one answer (the
	// rest is returned as UnprocessedKeys).
	BatchGetMaxResponseBytes = 16 << 20
	// MaxAttributesToGet is the length limit of AttributesToGet.
	MaxAttributesToGet = 255
)

// ReadUnits is the read capacity of reading one item of size bytes
// (found=false: the item does not exist): a unit per 4 KB, at least one,
// half of that for an eventually consistent read.
func ReadUnits(size int, found, consistent bool) float64 {
	u := 1.0
	if found {
		u = math.Ceil(float64(size) / 4096)
		if u < 1 {
			u = 1
		}
	}
	if !consistent {
		u /= 2
	}
	return u
}

// WriteUnits is the write capacity of a write that replaces an item of
// oldSize bytes by one of newSize bytes (0 for absent): a unit per KB of
// the larger, at least one.
func WriteUnits(oldSize, newSize int) float64 {
	u := math.Ceil(float64(max(oldSize, newSize)) / 1024)
	if u < 1 {
		u = 1
	}
	return u
}

// AppendUnits writes a capacity figure as DynamoDB does (a Java double:
// 1.0, 0.5, 12.0).
func AppendUnits(b []byte, u float64) []byte {
	b = strconv.AppendFloat(b, u, 'f', -1, 64)
	if u == math.Trunc(u) {
		b = append(b, '.', '0')
	}
	return b
}
