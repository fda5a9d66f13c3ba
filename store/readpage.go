package store

// Shared machinery of Query and Scan: request pieces and their checks, the
// Select rules, the resolution of the table or index read, the checks of
// ExclusiveStartKey, and the page reader (iteration, filter, projection,
// Limit and the 1 MB page, LastEvaluatedKey and consumed capacity).
//
// Validation runs in DynamoDB's order, as for the single-item operations:
// JSON shape, member constraints, Select, the operation's custom checks and
// expressions, the table lookup, then the checks that need the schema.

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/expr"
)

// qsPageBytes is DynamoDB's page size: a page ends after the item whose
// page size (ddb.PageSize, not the item size) brings the total read
// (before any filter) to 1 MB, an exact fit included.
const qsPageBytes = ddb.MaxPageBytes

// Messages of Query and Scan, verbatim from DynamoDB.
const (
	qsMsgBadStartKey     = "The provided starting key is invalid"
	qsMsgStartKeyPrefix  = "The provided starting key is invalid: "
	qsMsgNoIndex         = "The table does not have the specified index: "
	qsMsgGSIConsistent   = "Consistent reads are not supported on global secondary indexes"
	qsMsgBackfilling     = "Cannot read from backfilling global secondary index: "
	qsMsgProjectedNoIdx  = "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
	qsMsgSpecificNeeds   = "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
	qsEnumSelect         = "Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
	qsEnumComparisonOp   = itemEnumComparisonOp
	qsMsgAllAttrsGSIPart = "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index "
)

// qsCondIn is one entry of KeyConditions, QueryFilter or ScanFilter.
type qsCondIn struct {
	AttributeValueList *itemAVList `json:"AttributeValueList"`
	ComparisonOperator *string     `json:"ComparisonOperator"`
}

// qsDropNil removes null entries of a condition map (DynamoDB's binder
// ignores them).
func qsDropNil(m map[string]*qsCondIn) {
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
}

// qsCheckConds records the ComparisonOperator constraints of a condition
// map at path (queryFilter, scanFilter, keyConditions).
func qsCheckConds(c *checker, m map[string]*qsCondIn, path string) {
	for _, k := range itemSortedKeys(m) {
		p := path + "." + k + ".member.comparisonOperator"
		op := m[k].ComparisonOperator
		if op == nil {
			c.fail(nil, p, cMustNotBeNull)
			continue
		}
		itemCheckEnum(c, op, p, qsEnumComparisonOp,
			"IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT", "NOT_NULL", "NE", "LE", "BEGINS_WITH", "GE", "CONTAINS")
	}
}

func qsCheckSelect(c *checker, v *string) {
	itemCheckEnum(c, v, "select", qsEnumSelect, "SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES")
}

func qsCheckIndexName(c *checker, v *string) {
	if v != nil {
		tblIndexName(c, v, "indexName")
	}
}

// qsCheckRange records a minimum (and optional maximum) of an integer member.
func qsCheckRange(c *checker, v *int32, path string, min, max int64) {
	if v == nil {
		return
	}
	x := int64(*v)
	if x < min {
		c.fail(x, path, "Member must have value greater than or equal to "+strconv.FormatInt(min, 10))
	} else if max > 0 && x > max {
		c.fail(x, path, "Member must have value less than or equal to "+strconv.FormatInt(max, 10))
	}
}

func qsCheckAttributesToGet(c *checker, names []string) {
	if names == nil {
		return
	}
	if len(names) < 1 {
		c.fail(names, "attributesToGet", "Member must have length greater than or equal to 1")
	}
	if len(names) > 255 {
		c.fail(names, "attributesToGet", "Member must have length less than or equal to 255")
	}
}

// qsCheckSelectRules applies DynamoDB's rules on combining Select with
// AttributesToGet / ProjectionExpression and IndexName. Query reports them
// with the "1 validation error detected: " prefix, Scan without.
func qsCheckSelectRules(sel *string, hasIndex, hasProjExpr, hasAttrsToGet bool, prefix string) error {
	if sel == nil {
		return nil
	}
	var what string
	switch *sel {
	case "SPECIFIC_ATTRIBUTES":
		if !hasProjExpr && !hasAttrsToGet {
			return ddb.Validation(prefix + qsMsgSpecificNeeds)
		}
		return nil
	case "ALL_PROJECTED_ATTRIBUTES":
		if !hasIndex {
			return ddb.Validation(prefix + qsMsgProjectedNoIdx)
		}
		what = "ALL_PROJECTED_ATTRIBUTES"
	case "ALL_ATTRIBUTES":
		what = "ALL_ATTRIBUTES"
	case "COUNT":
		what = "only the Count"
	default:
		return nil
	}
	switch {
	case hasProjExpr:
		return ddb.Validation(prefix + "Cannot specify the ProjectionExpression when choosing to get " + what)
	case hasAttrsToGet:
		return ddb.Validation(prefix + "Cannot specify the AttributesToGet when choosing to get " + what)
	}
	return nil
}

// qsLegacyFilter validates a QueryFilter, ScanFilter or KeyConditions map
// (values, argument counts, types, BETWEEN order) and converts it into a
// condition. param names the member.
func qsLegacyFilter(m map[string]*qsCondIn, condOp *string, param string, l ddb.Layer) (expr.Cond, error) {
	fc := make(map[string]expr.FilterCond, len(m))
	for k, v := range m {
		var f expr.FilterCond
		if v.ComparisonOperator != nil {
			f.ComparisonOperator = *v.ComparisonOperator
		}
		if v.AttributeValueList != nil {
			f.AttributeValueList = []ddb.Value(*v.AttributeValueList)
		}
		fc[k] = f
	}
	op := ""
	if condOp != nil {
		op = *condOp
	}
	return expr.LegacyFilter(fc, op, param, l)
}

// qsStartKeyProblem reports the first invalid value of ExclusiveStartKey.
// DynamoDB prefixes most of these messages with "The provided starting key
// is invalid: ", but not those about numbers and duplicates.
func qsStartKeyProblem(esk ddb.Item, l ddb.Layer) error {
	for _, k := range itemSortedKeys(esk) {
		v := esk[k]
		p := v.ProblemIn(l)
		if p == "" {
			continue
		}
		for _, s := range [...]string{"contains duplicates", "number set", "numeric value", "significant digits", "number with magnitude"} {
			if strings.Contains(p, s) {
				return ddb.Validation(p)
			}
		}
		return ddb.Validation(qsMsgStartKeyPrefix + p)
	}
	return nil
}

// qsExprs is the expression side of a Query or Scan.
type qsExprs struct {
	key    expr.Cond
	filter expr.Cond
	proj   []expr.Path
}

// qsParseExprs validates ExpressionAttributeNames/Values and parses the
// expressions in DynamoDB's order (key condition, filter, projection),
// then reports unused placeholders.
func qsParseExprs(names map[string]string, values *ddb.ItemJSON, keyCond, filter, proj *string, l ddb.Layer) (qsExprs, error) {
	var out qsExprs
	var vals ddb.Item
	if values != nil {
		vals = values.Item
		if vals == nil {
			vals = ddb.Item{}
		}
	}
	attrs := expr.NewAttrs(names, vals)
	attrs.Layer = l
	if names != nil || vals != nil {
		if err := attrs.Validate(); err != nil {
			return out, err
		}
	}
	var err error
	if keyCond != nil {
		if out.key, err = expr.ParseCondition(*keyCond, "KeyConditionExpression", attrs); err != nil {
			return out, err
		}
	}
	if filter != nil {
		if out.filter, err = expr.ParseCondition(*filter, "FilterExpression", attrs); err != nil {
			return out, err
		}
	}
	if proj != nil {
		if out.proj, err = expr.ParseProjection(*proj, attrs); err != nil {
			return out, err
		}
	}
	if err := attrs.CheckUnused(); err != nil {
		return out, err
	}
	return out, nil
}

// qsKey is one key attribute.
type qsKey struct {
	name string
	typ  ddb.Type
}

// qsTarget is what a Query or Scan reads: a table or one of its indexes.
type qsTarget struct {
	t      *Table
	ix     *IndexDef // nil: the table itself
	global bool
	// keys are the partition key and optional sort key of the target;
	// on a multi-attribute GSI, every HASH element then every RANGE one.
	keys []qsKey
	// nhash is how many of keys are partition key elements.
	nhash int
	// tkeys are the table's keys.
	tkeys []qsKey
	// keyNames are the attributes of LastEvaluatedKey: the table's keys,
	// then the index's keys that are not table keys.
	keyNames []string
}

// qsResolve finds the target of a read of table t, optionally on index name.
func qsResolve(t *Table, index *string, consistent bool) (*qsTarget, error) {
	tg := &qsTarget{t: t}
	hn, ht := t.HashKey()
	tg.tkeys = append(tg.tkeys, qsKey{hn, ht})
	tg.nhash = 1
	if rn, rt := t.RangeKey(); rn != "" {
		tg.tkeys = append(tg.tkeys, qsKey{rn, rt})
	}
	for _, k := range tg.tkeys {
		tg.keyNames = append(tg.keyNames, k.name)
	}
	if index == nil {
		tg.keys = tg.tkeys
		return tg, nil
	}
	ix, global, ok := t.Index(*index)
	if !ok {
		return nil, ddb.Validation(qsMsgNoIndex + *index)
	}
	if global && consistent {
		return nil, ddb.Validation(qsMsgGSIConsistent)
	}
	if g, ok := t.GlobalIndex(*index); ok && g.Backfilling {
		return nil, ddb.Validation(qsMsgBackfilling + *index)
	}
	tg.ix, tg.global = ix, global
	hk, rk := t.indexKeyParts(ix)
	tg.keys = append(hk, rk...)
	tg.nhash = len(hk)
	for _, k := range tg.keys {
		dup := false
		for _, n := range tg.keyNames {
			dup = dup || n == k.name
		}
		if !dup {
			tg.keyNames = append(tg.keyNames, k.name)
		}
	}
	return tg, nil
}

// projectsAll reports whether every attribute is available in the target.
func (tg *qsTarget) projectsAll() bool {
	if tg.ix == nil {
		return true
	}
	p := tg.ix.Projection.ProjectionType
	return p != nil && *p == "ALL"
}

// prefix returns the key prefix of all entries of the target.
func (tg *qsTarget) prefix() []byte {
	if tg.ix == nil {
		lo, _ := tableBounds(tg.t.ID)
		return lo
	}
	return indexPrefix(tg.t.ID, tg.ix.IndexName)
}

// engineKey returns the engine key of the entry of item it in the target.
func (tg *qsTarget) engineKey(it ddb.Item) []byte {
	var pk, sk ddb.Value
	pk = it[tg.tkeys[0].name]
	if len(tg.tkeys) > 1 {
		sk = it[tg.tkeys[1].name]
	}
	if tg.ix == nil {
		return tg.t.engineKey(pk, sk)
	}
	return indexKey(indexPrefix(tg.t.ID, tg.ix.IndexName), tg.t.KeyHash, tg.keyValues(it, 0, tg.nhash), tg.keyValues(it, tg.nhash, len(tg.keys)), pk, sk)
}

// checkAllAttributes rejects, on a global secondary index that does not
// project every attribute, Select=ALL_ATTRIBUTES and a projection naming
// attributes outside the index ("Global secondary index x does not project
// [a, b]": DynamoDB's text, localstack#478). Local indexes read such
// attributes from the table instead.
func (tg *qsTarget) checkAllAttributes(sel *string, paths []expr.Path) error {
	if !tg.global || tg.projectsAll() {
		return nil
	}
	if sel != nil && *sel == "ALL_ATTRIBUTES" {
		return ddb.Validation(qsMsgAllAttrsGSIPart + tg.ix.IndexName + " because its projection type is not ALL")
	}
	var missing []string
	for _, h := range qsHeads(paths) {
		if !tg.t.IndexProjects(tg.ix, h) && !slices.Contains(missing, h) {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		return ddb.Validation(itemMsgInvalidParams + "Global secondary index " + tg.ix.IndexName + " does not project [" + strings.Join(missing, ", ") + "]")
	}
	return nil
}

// checkStartTableKey validates the table key part of ExclusiveStartKey.
func (tg *qsTarget) checkStartTableKey(esk ddb.Item) error {
	for i, k := range tg.tkeys {
		if _, err := keyPiece(esk, k.name, k.typ, true, i == 0); err != nil {
			if de, ok := ddb.AsError(err); ok {
				return ddb.Validation(qsMsgStartKeyPrefix + de.Message)
			}
			return err
		}
	}
	return nil
}

// checkStartIndexKey validates the target key part of ExclusiveStartKey
// for an index read: each key present, of its type, not empty, not too long.
func (tg *qsTarget) checkStartIndexKey(esk ddb.Item, i int) error {
	k := tg.keys[i]
	if _, ok := esk[k.name]; !ok {
		return ddb.Validation(qsMsgBadStartKey)
	}
	_, err := keyPiece(esk, k.name, k.typ, true, i == 0)
	return err
}

// qsHeads returns the top-level attribute names of paths.
func qsHeads(paths []expr.Path) []string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if len(p) > 0 && !p[0].IsIndex {
			out = append(out, p[0].Name)
		}
	}
	return out
}

// needsBase reports whether reading attributes heads from a local
// secondary index needs the table's items (some are not projected).
func (tg *qsTarget) needsBase(heads []string) bool {
	if tg.ix == nil || tg.global || tg.projectsAll() {
		return false
	}
	for _, h := range heads {
		if !tg.t.IndexProjects(tg.ix, h) {
			return true
		}
	}
	return false
}

// qsPage is one page read.
type qsPage struct {
	ctx context.Context
	n   *Node
	tg  *qsTarget
	// lo and hi bound the engine keys read; reverse iterates downwards.
	lo, hi  []byte
	reverse bool
	// limit is the Limit (0: none).
	limit  int
	filter expr.Cond
	// paths is the projection (nil: whole items).
	paths []expr.Path
	// count: Select=COUNT, no Items.
	count bool
	// fetchBase reads each index entry's table item (local indexes);
	// outBase returns those whole items (Select=ALL_ATTRIBUTES).
	fetchBase, outBase bool
	consistent         bool
	capacity           *string
	tableName          string
	// part is the engine key prefix of the partition a Query of the
	// table reads (its capacity limit applies); nil otherwise.
	part []byte
}

// run reads the page and returns the response body.
func (p *qsPage) run() ([]byte, error) {
	if err := p.n.capRead(p.tg.t, p.capIndex(), p.part); err != nil {
		return nil, err
	}
	var reader pebble.Reader = p.n.db
	if p.fetchBase {
		snap := p.n.db.NewSnapshot()
		defer snap.Close()
		reader = snap
	}
	out := make([]byte, 0, 512)
	out = append(out, '{')
	if !p.count {
		out = append(out, `"Items":[`...)
	}
	var scanned, matched, readBytes, baseBytes, pageBytes int
	var lek ddb.Item
	rangeKey, _ := p.tg.t.RangeKey()
	if p.hi == nil || bytes.Compare(p.lo, p.hi) < 0 {
		it, err := reader.NewIter(&pebble.IterOptions{LowerBound: p.lo, UpperBound: p.hi})
		if err != nil {
			return nil, err
		}
		defer it.Close()
		decodeAll := p.filter != nil || p.paths != nil || p.fetchBase
		var ok bool
		if p.reverse {
			ok = it.Last()
		} else {
			ok = it.First()
		}
		for ; ok; ok = qsStep(it, p.reverse) {
			v, err := it.ValueAndErr()
			if err != nil {
				return nil, err
			}
			size, page, js, err := splitStoredPage(v)
			if err != nil {
				return nil, err
			}
			var item ddb.Item
			if page < 0 {
				// A record of an earlier build: no page size stored.
				if item, err = ddb.DecodeItem(js); err != nil {
					return nil, err
				}
				page = ddb.PageSize(item, rangeKey)
			}
			scanned++
			readBytes += size
			pageBytes += page
			if scanned&1023 == 0 {
				if err := p.ctx.Err(); err != nil {
					return nil, err
				}
			}
			stop := (p.limit > 0 && scanned >= p.limit) || pageBytes >= qsPageBytes
			if item == nil && (decodeAll || stop) {
				if item, err = ddb.DecodeItem(js); err != nil {
					return nil, err
				}
			}
			if stop {
				lek = make(ddb.Item, len(p.tg.keyNames))
				for _, k := range p.tg.keyNames {
					lek[k] = item[k]
				}
			}
			src := item
			if p.fetchBase {
				base, bsize, found, err := qsGetItem(reader, p.tg.t.engineKey(item[p.tg.tkeys[0].name], p.qsSortKey(item)))
				if err != nil {
					return nil, err
				}
				if found {
					baseBytes += bsize
					src = base
				}
			}
			if p.filter == nil || expr.Eval(p.filter, src) {
				matched++
				if !p.count {
					// Grow by doubling: append's gentler growth for large
					// slices would copy a big page many times.
					if need := len(js) + 1; cap(out)-len(out) < need {
						out = slices.Grow(out, max(need, len(out)))
					}
					if matched > 1 {
						out = append(out, ',')
					}
					switch {
					case p.paths != nil:
						out = ddb.AppendItem(out, expr.Project(src, p.paths))
					case p.outBase:
						out = ddb.AppendItem(out, src)
					default:
						out = append(out, js...)
					}
				}
			}
			if stop {
				break
			}
		}
		if err := it.Error(); err != nil {
			return nil, err
		}
	}
	if !p.count {
		out = append(out, "],"...)
	}
	out = append(out, `"Count":`...)
	out = strconv.AppendInt(out, int64(matched), 10)
	out = append(out, `,"ScannedCount":`...)
	out = strconv.AppendInt(out, int64(scanned), 10)
	if lek != nil {
		out = append(out, `,"LastEvaluatedKey":`...)
		out = ddb.AppendItem(out, lek)
	}
	p.capCharge(readBytes, baseBytes)
	out = p.appendCapacity(out, readBytes, baseBytes)
	return append(out, '}'), nil
}

func (p *qsPage) qsSortKey(it ddb.Item) ddb.Value {
	if len(p.tg.tkeys) > 1 {
		return it[p.tg.tkeys[1].name]
	}
	return ddb.Value{}
}

func qsStep(it *pebble.Iterator, reverse bool) bool {
	if reverse {
		return it.Prev()
	}
	return it.Next()
}

// qsGetItem reads and decodes an item through reader.
func qsGetItem(reader pebble.Reader, key []byte) (ddb.Item, int, bool, error) {
	v, closer, err := reader.Get(key)
	if err == pebble.ErrNotFound {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	defer closer.Close()
	size, js, err := splitStored(v)
	if err != nil {
		return nil, 0, false, err
	}
	it, err := ddb.DecodeItem(js)
	if err != nil {
		return nil, 0, false, err
	}
	return it, size, true, nil
}

// qsUnits converts bytes read into read capacity units: the sizes are
// summed and rounded up to 4 KB once; the structure iterated costs at
// least one unit; eventually consistent reads cost half.
func qsUnits(n int, atLeastOne, consistent bool) float64 {
	u := math.Ceil(float64(n) / 4096)
	if atLeastOne && u < 1 {
		u = 1
	}
	if !consistent {
		u /= 2
	}
	return u
}

// appendCapacity appends ConsumedCapacity when the request asks for it.
func (p *qsPage) appendCapacity(out []byte, readBytes, baseBytes int) []byte {
	mode := p.capacity
	if mode == nil || (*mode != "TOTAL" && *mode != "INDEXES") {
		return out
	}
	var tableUnits, indexUnits float64
	if p.tg.ix == nil {
		tableUnits = qsUnits(readBytes, true, p.consistent)
	} else {
		indexUnits = qsUnits(readBytes, true, p.consistent)
		tableUnits = qsUnits(baseBytes, false, p.consistent)
	}
	out = append(out, `,"ConsumedCapacity":{"TableName":`...)
	out = ddb.AppendString(out, p.tableName)
	out = append(out, `,"CapacityUnits":`...)
	out = itemAppendUnits(out, tableUnits+indexUnits)
	if *mode == "INDEXES" {
		out = append(out, `,"Table":{"CapacityUnits":`...)
		out = itemAppendUnits(out, tableUnits)
		out = append(out, '}')
		if p.tg.ix != nil {
			if p.tg.global {
				out = append(out, `,"GlobalSecondaryIndexes":{`...)
			} else {
				out = append(out, `,"LocalSecondaryIndexes":{`...)
			}
			out = ddb.AppendString(out, p.tg.ix.IndexName)
			out = append(out, `:{"CapacityUnits":`...)
			out = itemAppendUnits(out, indexUnits)
			out = append(out, "}}"...)
		}
	}
	return append(out, '}')
}

// qsAfter returns the smallest key greater than k.
func qsAfter(k []byte) []byte {
	out := make([]byte, len(k)+1)
	copy(out, k)
	return out
}

// qsHash returns the partition hash that follows prefix in key k.
func qsHash(k, prefix []byte) uint32 {
	if len(k) < len(prefix)+4 {
		return 0
	}
	return binary.BigEndian.Uint32(k[len(prefix):])
}
