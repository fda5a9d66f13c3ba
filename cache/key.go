package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"

	"github.com/dynax/dynax/ddb"
)

// Key encodings.
//
// An item key is the table name, a 0 byte, then each key attribute in
// key-schema order (hash, then range if the table has one), each encoded as
// one type byte (ddb.Type: S, N or B), the uvarint length of its content and
// the content (the string, the canonical number text, the raw bytes). The
// encoding is self-delimiting, so distinct keys never produce equal strings,
// and it does not depend on the JSON attribute order. Table names never
// contain a 0 byte, so TableOfKey can split the key.
//
// A missing key attribute is encoded as a lone 0 byte; key attributes of any
// other type (invalid in DynamoDB) as their type byte and empty content. The
// caller validates keys before using the caches.

// ItemKey builds the item-cache key of (table, primary key). rangeName is ""
// for a table without a sort key.
func ItemKey(table string, hashName string, rangeName string, key ddb.Item) string {
	hv, hok := key[hashName]
	var rv ddb.Value
	rok := false
	n := len(table) + 1 + encodedLen(hv, hok)
	if rangeName != "" {
		rv, rok = key[rangeName]
		n += encodedLen(rv, rok)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(table)
	b.WriteByte(0)
	writeValue(&b, hv, hok)
	if rangeName != "" {
		writeValue(&b, rv, rok)
	}
	return b.String()
}

// AppendItemKeyTable appends the start of an item key: the table name and
// its 0 byte. Follow it with AppendItemKeyPart for the hash attribute, then
// for the range attribute if the table has one: the result equals ItemKey's
// for the same values. It builds keys from raw request bytes without
// decoding them into a ddb.Item.
func AppendItemKeyTable(dst []byte, table string) []byte {
	dst = append(dst, table...)
	return append(dst, 0)
}

// AppendItemKeyPart appends one key attribute of type t (S, N or B) whose
// content is c: the string, the canonical number text, or the raw bytes.
func AppendItemKeyPart(dst []byte, t ddb.Type, c []byte) []byte {
	dst = append(dst, byte(t))
	dst = binary.AppendUvarint(dst, uint64(len(c)))
	return append(dst, c...)
}

// TableOfKey returns the table name of an item-cache key.
func TableOfKey(key string) string {
	if i := strings.IndexByte(key, 0); i >= 0 {
		return key[:i]
	}
	return key
}

// PartitionKey returns the canonical encoding of a hash-key value: the
// partition string that Generations.Bump and Dep.Partition expect. It is the
// same encoding ItemKey uses for the hash attribute.
func PartitionKey(v ddb.Value) string {
	var b strings.Builder
	b.Grow(encodedLen(v, true))
	writeValue(&b, v, true)
	return b.String()
}

// PartitionOfItemKey returns the partition (see PartitionKey) of an item-cache
// key built by ItemKey, without allocating: after a write to the item with
// key k, call Generations.Bump(TableOfKey(k), PartitionOfItemKey(k)).
func PartitionOfItemKey(key string) string {
	i := strings.IndexByte(key, 0)
	if i < 0 || i+1 >= len(key) {
		return ""
	}
	rest := key[i+1:]
	if rest[0] == 0 { // missing attribute
		return rest[:1]
	}
	n, w := uvarint(rest[1:])
	end := 1 + w + int(n)
	if w <= 0 || end > len(rest) || end < 0 {
		return rest
	}
	return rest[:end]
}

// contentLen is the length of a key value's content (see writeValue).
func contentLen(v ddb.Value) int {
	switch v.T {
	case ddb.TypeS, ddb.TypeN:
		return len(v.S)
	case ddb.TypeB:
		return len(v.B)
	}
	return 0
}

func encodedLen(v ddb.Value, ok bool) int {
	if !ok {
		return 1
	}
	c := contentLen(v)
	return 1 + uvarintLen(uint64(c)) + c
}

func writeValue(b *strings.Builder, v ddb.Value, ok bool) {
	if !ok {
		b.WriteByte(0)
		return
	}
	b.WriteByte(byte(v.T))
	var lb [binary.MaxVarintLen64]byte
	b.Write(lb[:binary.PutUvarint(lb[:], uint64(contentLen(v)))])
	switch v.T {
	case ddb.TypeS, ddb.TypeN:
		b.WriteString(v.S)
	case ddb.TypeB:
		b.Write(v.B)
	}
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// uvarint decodes a uvarint from a string (binary.Uvarint wants a []byte).
func uvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

// QueryKeySize is the length in bytes of a QueryKey.
const QueryKeySize = 16

// QueryKey hashes the canonical encodings of every result-affecting request
// parameter into a 128-bit key (SHA-256 truncated to 16 bytes, returned as a
// binary string). Each part is length-prefixed, so ("ab","c") and ("a","bc")
// differ; an absent parameter should be passed as an empty part so that
// positions stay fixed. A cryptographic hash keeps a client from crafting a
// request that collides with another client's cached response.
func QueryKey(parts ...[]byte) string {
	h := sha256.New()
	var lb [binary.MaxVarintLen64]byte
	for _, p := range parts {
		h.Write(lb[:binary.PutUvarint(lb[:], uint64(len(p)))])
		h.Write(p)
	}
	var sum [sha256.Size]byte
	return string(h.Sum(sum[:0])[:QueryKeySize])
}
