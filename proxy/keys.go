package proxy

import (
	"github.com/dynax/dynax/cache"
	"github.com/dynax/dynax/ddb"
)

// Item keys. The proxy builds the item-cache key of a request straight from
// the raw JSON of its Key with the cache's own builders
// (cache.AppendItemKeyTable, cache.AppendItemKeyPart: the layout is the
// cache's), without decoding the key into a ddb.Item. Only keys that are exactly the
// table's key schema are accepted — one member per key attribute, each an
// AttributeValue of the declared type and nothing else — so a key the
// backend would reject is never looked up; the caller passes such requests
// through unchanged.

// appendKeyValue appends the encoding of one raw AttributeValue av (an
// object like {"S":"x"}) of type t. ok is false when av is not exactly one
// non-empty value of type t.
func appendKeyValue(dst []byte, av []byte, t ddb.Type) ([]byte, bool) {
	it := ddb.NewObjIter(av)
	if !it.Next() {
		return dst, false
	}
	k, v := it.Key, it.Val
	if it.Next() || it.Err {
		return dst, false
	}
	if len(k) != 3 || k[1] != t.String()[0] || len(v) < 2 || v[0] != '"' {
		return dst, false
	}
	switch t {
	case ddb.TypeS:
		if s, ok := ddb.PlainString(v); ok {
			if len(s) == 0 {
				return dst, false
			}
			return cache.AppendItemKeyPart(dst, t, s), true
		}
		s, ok := ddb.Unquote(v)
		if !ok || s == "" {
			return dst, false
		}
		return cache.AppendItemKeyPart(dst, t, []byte(s)), true
	case ddb.TypeN:
		s, ok := ddb.PlainString(v)
		if !ok {
			return dst, false
		}
		if canonicalInt(s) {
			return cache.AppendItemKeyPart(dst, t, s), true
		}
		c, err := ddb.CanonicalNumber(string(s))
		if err != nil {
			return dst, false
		}
		return cache.AppendItemKeyPart(dst, t, []byte(c)), true
	case ddb.TypeB:
		s, ok := ddb.PlainString(v)
		if !ok || len(s) == 0 {
			return dst, false
		}
		raw, err := ddb.DecodeBase64(string(s))
		if err != nil || len(raw) == 0 {
			return dst, false
		}
		return cache.AppendItemKeyPart(dst, t, raw), true
	}
	return dst, false
}

// canonicalInt reports whether s is an integer already in canonical form
// ("0", or an optional '-' and up to 38 digits without leading zeros).
func canonicalInt(s []byte) bool {
	if len(s) == 1 && s[0] == '0' {
		return true
	}
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 38 || s[0] < '1' || s[0] > '9' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// appendItemKey appends the item-cache key of the raw Key object rawKey of
// table s. ok is false when rawKey is not exactly s's primary key.
func appendItemKey(dst []byte, s *schema, rawKey []byte) ([]byte, bool) {
	var hv, rv []byte
	n := 0
	it := ddb.NewObjIter(rawKey)
	for it.Next() {
		n++
		name, ok := ddb.PlainString(it.Key)
		if !ok {
			return dst, false
		}
		switch {
		case string(name) == s.hash && hv == nil:
			hv = it.Val
		case s.rng != "" && string(name) == s.rng && rv == nil:
			rv = it.Val
		default:
			return dst, false
		}
	}
	want := 1
	if s.rng != "" {
		want = 2
	}
	if it.Err || n != want || hv == nil || (s.rng != "" && rv == nil) {
		return dst, false
	}
	dst = cache.AppendItemKeyTable(dst, s.table)
	var ok bool
	if dst, ok = appendKeyValue(dst, hv, s.hashT); !ok {
		return dst, false
	}
	if s.rng != "" {
		if dst, ok = appendKeyValue(dst, rv, s.rngT); !ok {
			return dst, false
		}
	}
	return dst, true
}

// itemKeyOf returns the item-cache key of a decoded key or item (extra
// attributes of an item are ignored). ok is false when a key attribute is
// missing, of the wrong type, or empty.
func itemKeyOf(s *schema, it ddb.Item) (string, bool) {
	hv, ok := it[s.hash]
	if !ok || !validKeyValue(hv, s.hashT) {
		return "", false
	}
	if s.rng != "" {
		rv, ok := it[s.rng]
		if !ok || !validKeyValue(rv, s.rngT) {
			return "", false
		}
	}
	return cache.ItemKey(s.table, s.hash, s.rng, it), true
}

func validKeyValue(v ddb.Value, t ddb.Type) bool {
	if v.T != t {
		return false
	}
	switch t {
	case ddb.TypeS:
		return v.S != ""
	case ddb.TypeB:
		return len(v.B) > 0
	}
	return true
}

// partitionOf returns the query-cache partition of an item-cache key.
func partitionOf(key string) string { return cache.PartitionOfItemKey(key) }
