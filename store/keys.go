package store

import (
	"encoding/binary"
	"sync"

	"github.com/dynax/dynax/ddb"
)

// Order-preserving encoding of key attribute values.
//
// S and B: the bytes with 0x00 escaped as 0x00 0xFF, then the terminator
// 0x00 0x01, so byte order of encodings is byte order of values and no
// encoding is a prefix of another.
//
// N: a sign class byte (0x01 negative, 0x02 zero, 0x03 positive), then for
// positives the exponent of the first digit biased by 0x8000 (2 bytes, big
// endian) and the significant digits as bytes 0x01..0x0A, closed by 0x00;
// negatives use the bitwise complement of the exponent and digits and close
// with 0xFF. Digits carry no trailing zeros, so a shorter digit string is a
// smaller magnitude exactly when it is a prefix, as the terminators make it.

// appendKeyValue appends the order-preserving encoding of a key value.
func appendKeyValue(dst []byte, v ddb.Value) []byte {
	switch v.T {
	case ddb.TypeS:
		return appendEscaped(dst, v.S)
	case ddb.TypeB:
		return appendEscaped(dst, string(v.B))
	case ddb.TypeN:
		neg, digits, exp, _ := ddb.NumberDigits(v.S)
		if digits == "" {
			return append(dst, 0x02)
		}
		e := uint16(exp + 0x8000)
		if !neg {
			dst = append(dst, 0x03, byte(e>>8), byte(e))
			for i := 0; i < len(digits); i++ {
				dst = append(dst, digits[i]-'0'+1)
			}
			return append(dst, 0x00)
		}
		e = ^e
		dst = append(dst, 0x01, byte(e>>8), byte(e))
		for i := 0; i < len(digits); i++ {
			dst = append(dst, ^(digits[i] - '0' + 1))
		}
		return append(dst, 0xFF)
	}
	return dst
}

func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			dst = append(dst, 0x00, 0xFF)
			continue
		}
		dst = append(dst, c)
	}
	return append(dst, 0x00, 0x01)
}

// fnv32a is FNV-1a, inlined to avoid hash.Hash allocations on hot paths.
func fnv32a(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

// itemKey builds the engine key of an item of table id from its partition
// key value and optional sort key value (T == 0 when absent).
func itemKey(dst []byte, id uint64, h keyHash, pk, sk ddb.Value) []byte {
	dst = append(dst, tagItem)
	dst = binary.BigEndian.AppendUint64(dst, id)
	hashAt := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	pkAt := len(dst)
	dst = appendKeyValue(dst, pk)
	binary.BigEndian.PutUint32(dst[hashAt:], h.partition(dst[pkAt:], pk))
	if sk.T != 0 {
		dst = appendKeyValue(dst, sk)
	}
	return dst
}

// partitionPrefix returns the key prefix shared by all items of one partition.
func partitionPrefix(id uint64, h keyHash, pk ddb.Value) []byte {
	return itemKey(nil, id, h, pk, ddb.Value{})
}

// lockTable serializes writers of the same item: a fixed array of mutexes
// indexed by a hash of the item key. Whoever holds several locks at once
// takes them in slot order (lockAll).
type lockTable struct {
	mu [4096]sync.Mutex
}

func (l *lockTable) slot(key []byte) *sync.Mutex {
	return &l.mu[fnv32a(key)%uint32(len(l.mu))]
}
