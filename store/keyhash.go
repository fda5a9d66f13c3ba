package store

import (
	"crypto/md5"
	"strconv"
	"strings"

	"github.com/dynax/dynax/ddb"
)

// keyHash is how a table spreads its partitions over the key space. Scan
// visits items in this order and parallel-scan segments are ranges of it,
// so it decides the order clients see.
//
// keyHashDynamo follows DynamoDB, as dynalite reproduces it (db/index.js):
// the first 24 bits of MD5("Outliers" ‖ the partition key's bytes), bytes
// being the UTF-8 of a string, a binary's raw bytes, or DynamoDB's own
// encoding of a number. Ties sort by key. Index entries with equal index
// keys sort by the same hash of the table's primary key (partition and sort
// key bytes), then by that key. Segment s of T covers the 12-bit buckets
// ceil(4096·s/T) … ceil(4096·(s+1)/T)−1, so with more than 4096 segments
// some are empty, as in dynalite.
//
// keyHashFNV is the layout of tables created before dynax followed that
// order (FNV-1a of the encoded partition key, index ties by key); they keep
// it, since their stored keys are built with it.
type keyHash uint8

const (
	keyHashFNV keyHash = iota
	keyHashDynamo
)

// partition returns the 32-bit hash placed before the encoded partition
// key encodedPK (value pk).
func (h keyHash) partition(encodedPK []byte, pk ddb.Value) uint32 {
	if h == keyHashFNV {
		return fnv32a(encodedPK)
	}
	return dynamoHash(pk, ddb.Value{})
}

// dynamoHash returns dynalite's hash prefix of a key (sk.T == 0: partition
// key only) in the top 24 bits of the result.
func dynamoHash(pk, sk ddb.Value) uint32 {
	var buf [160]byte
	b := append(buf[:0], "Outliers"...)
	b = appendDynamoKeyBytes(b, pk)
	if sk.T != 0 {
		b = appendDynamoKeyBytes(b, sk)
	}
	sum := md5.Sum(b)
	return uint32(sum[0])<<24 | uint32(sum[1])<<16 | uint32(sum[2])<<8
}

// appendDynamoKeyBytes appends the bytes DynamoDB hashes for a key value.
func appendDynamoKeyBytes(dst []byte, v ddb.Value) []byte {
	switch v.T {
	case ddb.TypeS:
		return append(dst, v.S...)
	case ddb.TypeB:
		return append(dst, v.B...)
	case ddb.TypeN:
		return append(dst, dynamoNumberBytes(v.S)...)
	}
	return dst
}

// dynamoNumberBytes is DynamoDB's binary form of a number (dynalite's
// numToBuffer): an exponent byte, then base-100 digit pairs offset by one
// (negatives: complemented exponent, pairs 101−x, and a 102 terminator when
// short), zero as the single byte 0x80.
func dynamoNumberBytes(s string) []byte {
	neg, digits, exp := numberParts(s)
	if digits == "" {
		return []byte{0x80}
	}
	// exponent is the power of ten just above the first digit (Big.js's
	// e+1); an odd one gets a leading zero digit so that digit pairs sit
	// on even powers.
	exponent := exp + 1
	if exponent%2 != 0 {
		digits = "0" + digits
		exponent++
	}
	pairs := (len(digits) + 1) / 2
	out := make([]byte, 1, pairs+2)
	e := exponent/2 - 64 // exponent is even here
	if neg {
		e = ^e
	}
	out[0] = byte(e)
	for j := 0; j < len(digits); j += 2 {
		b := int(digits[j]-'0') * 10
		if j+1 < len(digits) {
			b += int(digits[j+1] - '0')
		}
		if neg {
			b = 101 - b
		} else {
			b++
		}
		out = append(out, byte(b))
	}
	if neg && pairs < 20 {
		out = append(out, 102)
	}
	return out
}

// numberParts splits a DynamoDB number string into its sign, significant
// digits (no leading or trailing zeros; "" for zero) and the decimal
// exponent of the first digit.
func numberParts(s string) (neg bool, digits string, exp int) {
	mant := s
	if i := strings.IndexAny(mant, "eE"); i >= 0 {
		exp, _ = strconv.Atoi(strings.TrimPrefix(mant[i+1:], "+"))
		mant = mant[:i]
	}
	neg = strings.HasPrefix(mant, "-")
	mant = strings.TrimLeft(mant, "+-")
	intPart, frac, _ := strings.Cut(mant, ".")
	all := intPart + frac
	trimmed := strings.TrimLeft(all, "0")
	digits = strings.TrimRight(trimmed, "0")
	if digits == "" {
		return false, "", 0
	}
	// The first significant digit is at position len(all)-len(trimmed) of
	// intPart+frac, whose power of ten is len(intPart)-1 minus that.
	exp += len(intPart) - 1 - (len(all) - len(trimmed))
	return neg, digits, exp
}

// tieHash is the hash that orders index entries with equal index keys:
// dynalite's hash of the table's primary key, or 0 for keyHashFNV tables.
func (h keyHash) tie(pk, sk ddb.Value) uint32 {
	if h == keyHashFNV {
		return 0
	}
	return dynamoHash(pk, sk)
}

// segment returns the partition hash range [lo, hi) of segment s of a
// parallel scan in total segments, the same on every page, so every item
// is in exactly one segment.
func (h keyHash) segment(s, total int) (lo, hi uint64) {
	if h == keyHashFNV {
		return uint64(s) << 32 / uint64(total), uint64(s+1) << 32 / uint64(total)
	}
	bucket := func(s int) uint64 { return (4096*uint64(s) + uint64(total) - 1) / uint64(total) }
	return bucket(s) << 20, bucket(s+1) << 20
}
