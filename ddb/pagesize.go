package ddb

// MaxPageBytes is the 1 MB a Query or Scan page may read: the page ends
// after the item that brings PageSize's running total to it (an exact fit
// included), with a LastEvaluatedKey.
const MaxPageBytes = 1 << 20

// PageSize returns what an item counts towards a Query or Scan page's 1 MB.
// DynamoDB does not count the item size of the 400 KB limit here but the
// size of its stored form, which dynalite reconstructed from recordings of
// DynamoDB's page boundaries (db/index.js itemSize with compress and
// addMetaSize) and which its recorded tests (scan and query "size limits":
// pages that end at exactly 1 MB) pin to the byte:
//
//   - each attribute other than the table's sort key: its value's stored
//     size plus one byte, whatever the name's length;
//   - a string: its bytes plus a 1-, 2- or 3-byte length (below 128, below
//     16384, above); a binary or a number: its size plus one; a set: its
//     elements plus one per element plus one; BOOL one byte, NULL none;
//     a list: three plus one per element plus the elements; a map: three
//     plus two per entry plus the values;
//   - the sort key is left out of that sum, and each 3 KB block of the
//     rest carries 18 bytes of overhead plus the sort key's plain size:
//     2 + sum + (1 + (sum+1)/3072) × (18 + sort key size).
//
// rangeKey is the table's sort key name ("" for a hash-only table); index
// entries count with the table's sort key too (dynalite; no recording of
// index pages exists). Strings count UTF-8 bytes.
func PageSize(it Item, rangeKey string) int {
	sum, rk := 0, 0
	for k, v := range it {
		if rangeKey != "" && k == rangeKey {
			rk = ValueSize(v)
			continue
		}
		sum += storedSize(v) + 1
	}
	return 2 + sum + (1+(sum+1)/3072)*(18+rk)
}

// storedSize is one value's size in DynamoDB's stored form (PageSize).
func storedSize(v Value) int {
	switch v.T {
	case TypeS:
		n := len(v.S)
		switch {
		case n < 128:
			return n + 1
		case n < 16384:
			return n + 2
		}
		return n + 3
	case TypeB:
		return len(v.B) + 1
	case TypeN:
		return numberSize(v.S) + 1
	case TypeSS, TypeNS, TypeBS:
		return ValueSize(v) + setLen(v) + 1
	case TypeBOOL:
		return 1
	case TypeNULL:
		return 0
	case TypeL:
		n := 3
		for _, e := range v.L {
			n += 1 + storedSize(e)
		}
		return n
	case TypeM:
		n := 3 + len(v.M)
		for _, e := range v.M {
			n += storedSize(e) + 1
		}
		return n
	}
	return 0
}

func setLen(v Value) int {
	if v.T == TypeBS {
		return len(v.BS)
	}
	return len(v.SS)
}
