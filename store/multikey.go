package store

import (
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/expr"
	"github.com/dynax/dynax/partiql"
)

// Multi-attribute GSI keys (DynamoDB, November 2025): a global secondary
// index may have 1–4 HASH elements followed by 0–4 RANGE elements.
//
// The engine key stays one order-preserving composite key, so a Query is
// still a single range scan:
//
//	prefix + hash32(HASH tuple) + enc(h1) … enc(hN) + enc(r1) … enc(rM) + table key
//
// Every element encoding (appendKeyValue) is prefix-free, so the
// concatenation of a tuple sorts lexicographically, element by element,
// each in its own type's order. An equality prefix on r1 … rk is a key
// prefix, and one range condition on r(k+1) bounds the scan under it. A
// single-attribute index encodes exactly as before (one element each).
//
// The partition hash of a tuple of one element is the table's usual hash;
// for several elements, FNV tables hash the encoded tuple and DynamoDB-order
// tables take MD5 over each element's DynamoDB bytes, length-prefixed so
// that ("ab","c") and ("a","bc") land in different partitions.

// Limits of a multi-attribute GSI key schema.
const (
	maxIndexHashAttrs  = 4
	maxIndexRangeAttrs = 4
)

// indexKeyParts returns the HASH and RANGE elements of index ix in schema
// order, with their attribute types.
func (t *Table) indexKeyParts(ix *IndexDef) (hash, rng []qsKey) {
	for _, k := range ix.KeySchema {
		if k.AttributeName == nil || k.KeyType == nil {
			continue
		}
		q := qsKey{*k.AttributeName, t.attrType(*k.AttributeName)}
		if *k.KeyType == "HASH" {
			hash = append(hash, q)
		} else {
			rng = append(rng, q)
		}
	}
	return hash, rng
}

// appendKeyTuple appends the encodings of vs in order.
func appendKeyTuple(dst []byte, vs []ddb.Value) []byte {
	for _, v := range vs {
		dst = appendKeyValue(dst, v)
	}
	return dst
}

// partitionTuple returns the 32-bit partition hash of the HASH tuple vs
// (encoded as enc).
func (h keyHash) partitionTuple(enc []byte, vs []ddb.Value) uint32 {
	if len(vs) == 1 {
		return h.partition(enc, vs[0])
	}
	if h == keyHashFNV {
		return fnv32a(enc)
	}
	b := make([]byte, 0, 8+len(enc)+4*len(vs))
	b = append(b, "Outliers"...)
	for _, v := range vs {
		at := len(b)
		b = append(b, 0, 0)
		b = appendDynamoKeyBytes(b, v)
		binary.BigEndian.PutUint16(b[at:], uint16(len(b)-at-2))
	}
	sum := md5.Sum(b)
	return uint32(sum[0])<<24 | uint32(sum[1])<<16 | uint32(sum[2])<<8
}

// indexTupleKey reads the values of keys from item it: ok is false unless
// every one is present with its declared type and usable as a key, and the
// tuple's combined size is within max (DynamoDB's backfill leaves such
// items out; writes are refused earlier by itemCheckIndexKeys).
func indexTupleKey(it ddb.Item, keys []qsKey, max int) (vs []ddb.Value, ok bool) {
	vs = make([]ddb.Value, len(keys))
	size := 0
	for i, k := range keys {
		v, ok := it[k.name]
		if !ok || v.T != k.typ || !indexKeyUsable(v, max) {
			return nil, false
		}
		size += indexKeySize(v)
		vs[i] = v
	}
	return vs, size <= max
}

// keyValues returns the values in it of the target keys [from, to).
func (tg *qsTarget) keyValues(it ddb.Item, from, to int) []ddb.Value {
	vs := make([]ddb.Value, 0, to-from)
	for _, k := range tg.keys[from:to] {
		vs = append(vs, it[k.name])
	}
	return vs
}

// msgCondLength is DynamoDB's answer to a Query with too many or no key
// conditions on a single-attribute key.
const msgCondLength = "Conditions can be of length 1 or 2 only"

// Query texts for multi-attribute keys. DynamoDB's exact wording is not
// published; these reuse its single-key texts, naming the offending
// element (docs/compatibility.md).
const (
	msgMissedKeyElement = "Query condition missed key schema element: "
	msgKeyCondNotSupp   = "Query key condition not supported"
)

// multi reports whether the target's key has more than one partition or
// sort element (a multi-attribute GSI).
func (tg *qsTarget) multi() bool { return tg.ix != nil && (tg.nhash > 1 || len(tg.keys) > 2) }

// multiKeyConds checks the key conditions (and ExclusiveStartKey) of a
// Query on a multi-attribute GSI: equality on every HASH element, then
// RANGE elements left to right, equalities first and at most one range
// condition, last. It returns the engine key prefix the equalities fix and
// the range condition (nil: none).
func (tg *qsTarget) multiKeyConds(r *queryRequest) ([]byte, *expr.KeyCond, error) {
	used := 0
	gap := ""
	var hashVals, eqVals []ddb.Value
	var last *expr.KeyCond
	for i, k := range tg.keys {
		isHash := i < tg.nhash
		if r.esk != nil {
			if _, ok := r.esk[k.name]; !ok {
				return nil, nil, ddb.Validation(qsMsgBadStartKey)
			}
			if _, err := keyPiece(r.esk, k.name, k.typ, true, isHash); err != nil {
				return nil, nil, err
			}
		}
		kc := r.cond(k.name)
		if kc == nil {
			if isHash {
				return nil, nil, ddb.Validation(msgMissedKeyElement + k.name)
			}
			if gap == "" {
				gap = k.name
			}
			continue
		}
		used++
		switch kc.Op {
		case "NULL", "NOT_NULL", "NE", "CONTAINS", "NOT_CONTAINS", "IN":
			return nil, nil, ddb.Validation("Attempted conditional constraint is not an indexable operation")
		}
		for _, v := range kc.Values {
			if v.T != k.typ {
				return nil, nil, ddb.Validation(itemMsgInvalidParams + "Condition parameter type does not match schema type")
			}
		}
		switch {
		case gap != "":
			// A later sort element is constrained while an earlier one is not.
			return nil, nil, ddb.Validation(msgMissedKeyElement + gap)
		case last != nil:
			// Only the last constrained sort element may take a range condition.
			return nil, nil, ddb.Validation(msgKeyCondNotSupp)
		case isHash && kc.Op != "EQ":
			return nil, nil, ddb.Validation(msgKeyCondNotSupp)
		case isHash:
			hashVals = append(hashVals, kc.Values[0])
		case kc.Op == "EQ":
			eqVals = append(eqVals, kc.Values[0])
		default:
			last = kc
		}
	}
	if used != len(r.conds) {
		// A condition on an attribute outside the index key.
		if gap != "" {
			return nil, nil, ddb.Validation(msgMissedKeyElement + gap)
		}
		return nil, nil, ddb.Validation(msgKeyCondNotSupp)
	}
	if r.esk != nil {
		if err := tg.checkStartTableKey(r.esk); err != nil {
			return nil, nil, err
		}
		for i, v := range hashVals {
			if !ddb.Equal(r.esk[tg.keys[i].name], v) {
				return nil, nil, ddb.Validation("The provided starting key is outside query boundaries based on provided conditions")
			}
		}
		for j, v := range eqVals {
			if !ddb.Equal(r.esk[tg.keys[tg.nhash+j].name], v) {
				return nil, nil, ddb.Validation("The provided starting key does not match the range key predicate")
			}
		}
		if last != nil && !qsMatch(last, r.esk[last.Name]) {
			return nil, nil, ddb.Validation("The provided starting key does not match the range key predicate")
		}
	}
	prefix := indexPartitionPrefix(indexPrefix(tg.t.ID, tg.ix.IndexName), tg.t.KeyHash, hashVals...)
	return appendKeyTuple(prefix, eqVals), last, nil
}

// checkTupleSizes applies the key size limits to the combined partition
// and sort keys of the multi-attribute GSIs item it is in: 2048 bytes for
// the HASH elements together, 1024 for the RANGE elements together.
func (t *Table) checkTupleSizes(it ddb.Item) error {
	for i := range t.Desc.GlobalIndexes {
		ix := &t.Desc.GlobalIndexes[i].IndexDef
		if len(ix.KeySchema) <= 2 {
			continue
		}
		hk, rk := t.indexKeyParts(ix)
		if len(hk) < 2 && len(rk) < 2 {
			continue
		}
		if size := tupleSize(it, hk); size > maxHashKeySize {
			names := make([]string, len(hk))
			for j, k := range hk {
				names[j] = k.name
			}
			return ddb.Validation(fmt.Sprintf("%sSize limit exceeded for Index Key %s Actual Size: %d bytes Max Size: %d bytes IndexName: %s",
				itemMsgInvalidParams, strings.Join(names, ", "), size, maxHashKeySize, ix.IndexName))
		}
		if tupleSize(it, rk) > maxRangeKeySize {
			return ddb.Validation(itemMsgInvalidParams + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
		}
	}
	return nil
}

// tupleSize is the combined key size of the keys item it holds.
func tupleSize(it ddb.Item, keys []qsKey) int {
	n := 0
	for _, k := range keys {
		if v, ok := it[k.name]; ok {
			n += indexKeySize(v)
		}
	}
	return n
}

// GSI key schema texts (DynamoDB's; docs/compatibility.md).
const (
	msgHashBeforeRange = msgInvalid + "All HASH key attributes must precede RANGE key attributes in the KeySchema"
	msgTooManyHash     = msgInvalid + "The KeySchema exceeds the maximum allowed number of HASH key attributes"
	msgTooManyRange    = msgInvalid + "The KeySchema exceeds the maximum allowed number of RANGE key attributes"
	msgDupKeyAttr      = "The KeySchema contains multiple key attributes with the same name"
)

// tblGSIKeySchema is tblKeySchema for a GSI: up to 4 HASH and 4 RANGE
// elements.
func tblGSIKeySchema(c *checker, ks []KeySchemaElement, path string) {
	tblKeySchemaMax(c, ks, path, false, maxIndexHashAttrs+maxIndexRangeAttrs,
		"Member must have length less than or equal to 8")
}

// checkGSIKeySchema applies DynamoDB's rules to a GSI key schema: every
// key defined, distinct names, 1–4 HASH elements first, then 0–4 RANGE
// elements. A classic schema (HASH, or HASH and RANGE) keeps the checks
// and texts of checkIndexKeySchema.
func checkGSIKeySchema(ks []KeySchemaElement, defns []string) string {
	if len(ks) <= 2 && (len(ks) < 2 || *ks[1].KeyType != "HASH") {
		return checkIndexKeySchema(ks, defns)
	}
	keys := keyNames(ks)
	for _, k := range keys {
		if !slices.Contains(defns, k) {
			return checkIndexKeySchema(ks, defns) // its text for undefined keys
		}
	}
	for i, k := range keys {
		if slices.Contains(keys[:i], k) {
			if len(keys) == 2 {
				return checkIndexKeySchema(ks, defns) // "Both the Hash Key and the Range Key …"
			}
			return msgDupKeyAttr
		}
	}
	if *ks[0].KeyType != "HASH" {
		return "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
	}
	nh, nr := 0, 0
	for _, k := range ks {
		switch *k.KeyType {
		case "HASH":
			if nr > 0 {
				return msgHashBeforeRange
			}
			nh++
		case "RANGE":
			nr++
		default:
			// Neither HASH nor RANGE: DynamoDB's text for the classic
			// position, whatever the position.
			return "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"
		}
	}
	if nh > maxIndexHashAttrs {
		return msgTooManyHash
	}
	if nr > maxIndexRangeAttrs {
		return msgTooManyRange
	}
	return ""
}

// planTuple plans a PartiQL SELECT on a multi-attribute GSI: with an
// equality on every HASH element in the WHERE's top-level AND, one
// partition is read; otherwise the index is scanned (and the WHERE
// filters). A value of the wrong type, or an empty string or binary,
// matches nothing.
func (pl *pqlPlan) planTuple(tg *qsTarget, conj []partiql.Expr, params []ddb.Value) error {
	vals := make([]ddb.Value, tg.nhash)
	for i, k := range tg.keys[:tg.nhash] {
		found := false
		for _, term := range conj {
			name, ve, ok := partiql.Equality(term)
			if !ok || name != k.name {
				continue
			}
			v, _, err := partiql.Value(ve, params)
			if err != nil {
				return err
			}
			vals[i], found = v, true
			break
		}
		if !found {
			return nil
		}
	}
	pl.hashFixed = true
	for i, v := range vals {
		if v.T != tg.keys[i].typ || v.T == ddb.TypeS && v.S == "" || v.T == ddb.TypeB && len(v.B) == 0 {
			return nil // no item can match
		}
	}
	pl.hashVals, pl.hashTuple = vals, true
	return nil
}
