package store

// BatchGetItem: up to 100 keys over any number of tables, each table with
// its own projection and consistency.
//
// Validation runs in DynamoDB's order: JSON shape, member constraints
// (RequestItems, its table names and Keys lists, then
// ReturnConsumedCapacity, reported together), the per-table custom checks
// (expression/legacy mixing, AttributesToGet duplicates, the projection,
// the key values, the 100-key total), then per table in name order: table
// lookup, key schema, projection key paths, duplicate keys.
//
// Items are read one by one from the engine (no snapshot: DynamoDB only
// promises read-committed isolation for BatchGetItem against
// transactions). The response holds at most 16 MB of item data; keys whose
// items do not fit are returned in UnprocessedKeys, unread and uncharged.

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/expr"
)

func init() { register("BatchGetItem", opBatchGetItem) }

const (
	// batchGetMaxKeys is the number of keys one request may ask for.
	batchGetMaxKeys = ddb.BatchGetMaxKeys
	// batchGetMaxResponse bounds the item data of one response.
	batchGetMaxResponse = ddb.BatchGetMaxResponseBytes
)

type batchGetIn struct {
	RequestItems           map[string]*batchGetTableIn `json:"RequestItems"`
	ReturnConsumedCapacity *string                     `json:"ReturnConsumedCapacity"`
}

// batchGetTableIn is one KeysAndAttributes.
type batchGetTableIn struct {
	Keys                     []*ddb.ItemJSON   `json:"Keys"`
	AttributesToGet          []string          `json:"AttributesToGet"`
	ConsistentRead           *itemBool         `json:"ConsistentRead"`
	ProjectionExpression     *string           `json:"ProjectionExpression"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames"`
}

// batchGetTable is the validated request of one table.
type batchGetTable struct {
	name       string // as requested (name or ARN)
	in         *batchGetTableIn
	paths      []expr.Path // nil: whole items
	consistent bool
	t          *Table
	keys       [][]byte // engine keys, in request order
}

// parseBatchGet decodes and validates a BatchGetItem body up to (not
// including) the table lookups. Tables come back in name order.
func parseBatchGet(body []byte) (*batchGetIn, []*batchGetTable, error) {
	in := &batchGetIn{}
	if err := decode(body, in); err != nil {
		return nil, nil, err
	}
	// DynamoDB's own checks, before the model's constraints. BatchGetItem
	// has moved to the newer validation framework for an empty map and the
	// Keys lengths (every region but one by 2026-09,
	// paritysuite/dynamodb-conformance error-messages/batchGetItem); an
	// absent map keeps the bespoke sentence (no recording of the newer one).
	if in.RequestItems == nil {
		return nil, nil, ddb.Validation("The requestItems parameter is required for BatchGetItem")
	}
	if len(in.RequestItems) == 0 {
		return nil, nil, ddb.Validation("1 validation error detected: Value at 'RequestItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	names := itemSortedKeys(in.RequestItems)
	var c checker
	{
		for _, name := range names {
			if !validTableKey(name) {
				c.fail(batchEcho(body), "requestItems", "Map keys must satisfy constraint: [Member must have length less than or equal to 255, "+
					"Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: "+tableNamePattern+"]")
				break
			}
		}
		for _, name := range names {
			ti := in.RequestItems[name]
			path := "requestItems." + name + ".member"
			if ti == nil {
				c.fail(nil, path, cMustNotBeNull)
				continue
			}
			switch {
			case ti.Keys == nil:
				c.fail(nil, path+".keys", cMustNotBeNull)
			case len(ti.Keys) < 1:
				c.failGeneric("RequestItems."+name+".member.Keys", "Member must have length greater than or equal to 1")
			case len(ti.Keys) > batchGetMaxKeys:
				c.failGeneric("RequestItems."+name+".member.Keys", "Member must have length less than or equal to 100")
			}
			if ti.AttributesToGet != nil {
				if len(ti.AttributesToGet) < 1 {
					c.fail(ti.AttributesToGet, path+".attributesToGet", "Member must have length greater than or equal to 1")
				}
				if len(ti.AttributesToGet) > 255 {
					c.fail(ti.AttributesToGet, path+".attributesToGet", "Member must have length less than or equal to 255")
				}
			}
		}
	}
	itemCheckReturnCapacity(&c, in.ReturnConsumedCapacity)
	if err := c.err(); err != nil {
		return nil, nil, err
	}

	// Mixing expression and legacy projections across tables is refused
	// like mixing them within one table.
	var usesExpr, usesLegacy bool
	for _, name := range names {
		ti := in.RequestItems[name]
		usesExpr = usesExpr || ti.ProjectionExpression != nil
		usesLegacy = usesLegacy || ti.AttributesToGet != nil
	}
	if usesExpr && usesLegacy {
		return nil, nil, ddb.Validation("Can not use both expression and non-expression parameters in the same request: " +
			"Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}")
	}
	tables := make([]*batchGetTable, 0, len(names))
	count := 0
	for _, name := range names {
		ti := in.RequestItems[name]
		if err := itemCheckExprParams(
			[]itemParam{{"ProjectionExpression", ti.ProjectionExpression != nil}},
			[]itemParam{{"AttributesToGet", ti.AttributesToGet != nil}},
			nil, ti.ExpressionAttributeNames != nil, false); err != nil {
			return nil, nil, err
		}
		bt := &batchGetTable{name: name, in: ti, consistent: ti.ConsistentRead != nil && bool(*ti.ConsistentRead)}
		paths, err := expr.ReadProjection(ti.ProjectionExpression, ti.ExpressionAttributeNames, ti.AttributesToGet)
		if err != nil {
			return nil, nil, err
		}
		bt.paths = paths
		seen := make(map[string]bool, len(ti.Keys))
		for _, k := range ti.Keys {
			if k != nil {
				if err := itemValueProblem(k.Item, ddb.LayerCurrent); err != nil {
					return nil, nil, err
				}
				// Identical keys are refused before any table is looked
				// up, as DynamoDB does; keys that differ only in what the
				// schema ignores are caught after the lookup (resolve).
				ck := canonicalItem(k.Item)
				if seen[ck] {
					return nil, nil, ddb.Validation(msgBatchDuplicates)
				}
				seen[ck] = true
			}
			count++
			if count > batchGetMaxKeys {
				return nil, nil, ddb.Validation("Too many items requested for the BatchGetItem call")
			}
		}
		tables = append(tables, bt)
	}
	return in, tables, nil
}

// canonicalItem is the wire JSON of it with its attributes in name order: two
// items with the same attributes and values have the same canonical form.
func canonicalItem(it ddb.Item) string {
	names := make([]string, 0, len(it))
	for k := range it {
		names = append(names, k)
	}
	sort.Strings(names)
	var b []byte
	for _, k := range names {
		b = ddb.AppendString(b, k)
		b = ddb.AppendValue(b, it[k])
	}
	return string(b)
}

// batchEcho returns the RequestItems member of body as compact JSON, the
// way DynamoDB echoes it in a constraint message about its map keys.
func batchEcho(body []byte) string {
	var raw struct {
		RequestItems json.RawMessage `json:"RequestItems"`
	}
	if json.Unmarshal(body, &raw) != nil {
		return ""
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw.RequestItems) != nil {
		return ""
	}
	return buf.String()
}

// resolve looks the tables up and validates the keys against their schemas.
func (bt *batchGetTable) resolve(n *Node) error {
	t, err := n.itemTable(bt.name)
	if err != nil {
		return err
	}
	bt.t = t
	bt.keys = make([][]byte, 0, len(bt.in.Keys))
	for _, k := range bt.in.Keys {
		var key ddb.Item
		if k != nil {
			key = k.Item
		}
		pk, sk, err := t.keyValues(key, true)
		if err != nil {
			return err
		}
		if t.ci != nil {
			t.ci.accessed(key)
		}
		bt.keys = append(bt.keys, t.engineKey(pk, sk))
	}
	if bt.paths != nil && bt.in.ProjectionExpression != nil {
		if err := t.itemCheckKeyPaths(bt.paths); err != nil {
			return err
		}
	}
	for i := 1; i < len(bt.keys); i++ {
		for j := 0; j < i; j++ {
			if string(bt.keys[i]) == string(bt.keys[j]) {
				return ddb.Validation(msgBatchDuplicates)
			}
		}
	}
	return nil
}

// msgBatchDuplicates answers two requests for one item in a batch.
const msgBatchDuplicates = "Provided list of item keys contains duplicates"

func opBatchGetItem(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	in, tables, err := parseBatchGet(req.Body)
	if err != nil {
		return nil, err
	}
	for _, bt := range tables {
		if err := bt.resolve(n); err != nil {
			return nil, err
		}
	}
	var caps multiCapacity
	o := newItemOut(256)
	o.field("Responses")
	o.b = append(o.b, '{')
	total := 0
	unprocessed := make([][]int, len(tables)) // indexes of unprocessed keys per table
	throttled, keys := 0, 0
	var throttle error
	for ti, bt := range tables {
		if ti > 0 {
			o.b = append(o.b, ',')
		}
		o.b = ddb.AppendString(o.b, bt.name)
		o.b = append(o.b, ":["...)
		first := true
		units := 0.0
		for ki, key := range bt.keys {
			// Keys over the table's capacity are left unprocessed; all of
			// them over it fail the call (capacity.go).
			if err := n.capAdmitRead(bt.t, "", key); err != nil {
				unprocessed[ti] = append(unprocessed[ti], ki)
				throttled, throttle = throttled+1, err
				continue
			}
			before := units
			fits, err := n.batchGetOne(&o.b, key, bt, &first, &units, &total)
			if err != nil {
				return nil, err
			}
			n.capChargeRead(bt.t, "", key, units-before)
			if !fits {
				unprocessed[ti] = append(unprocessed[ti], ki)
			}
		}
		o.b = append(o.b, ']')
		caps.add(bt.name, units, 1, nil)
		keys += len(bt.keys)
	}
	if throttled > 0 && throttled == keys && n.capRefuseBatch(tables[0].t) {
		return nil, throttle
	}
	o.b = append(o.b, '}')
	o.field("UnprocessedKeys")
	o.b = append(o.b, '{')
	firstTable := true
	for ti, bt := range tables {
		if len(unprocessed[ti]) == 0 {
			continue
		}
		if !firstTable {
			o.b = append(o.b, ',')
		}
		firstTable = false
		o.b = ddb.AppendString(o.b, bt.name)
		o.b = append(o.b, `:{"Keys":[`...)
		for j, ki := range unprocessed[ti] {
			if j > 0 {
				o.b = append(o.b, ',')
			}
			o.b = ddb.AppendItem(o.b, bt.in.Keys[ki].Item)
		}
		o.b = append(o.b, ']')
		o.b = bt.appendAttributes(o.b)
		o.b = append(o.b, '}')
	}
	o.b = append(o.b, '}')
	caps.appendField(&o, in.ReturnConsumedCapacity, capPlain)
	return o.done(), nil
}

// batchGetOne reads one item and appends it (projected) to the table's
// response list, unless it would take the response over its size limit
// (fits=false: the key is unprocessed). Missing items are charged the
// minimum read and add nothing.
func (n *Node) batchGetOne(b *[]byte, key []byte, bt *batchGetTable, first *bool, units *float64, total *int) (fits bool, err error) {
	v, closer, err := n.db.Get(key)
	if err == pebble.ErrNotFound {
		*units += itemReadUnits(0, false, bt.consistent)
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer closer.Close()
	size, js, err := splitStored(v)
	if err != nil {
		return false, err
	}
	if *total+size > batchGetMaxResponse {
		return false, nil
	}
	*total += size
	*units += itemReadUnits(size, true, bt.consistent)
	if !*first {
		*b = append(*b, ',')
	}
	*first = false
	if bt.paths == nil {
		*b = append(*b, js...)
		return true, nil
	}
	it, err := ddb.DecodeItem(js)
	if err != nil {
		return false, err
	}
	*b = ddb.AppendItem(*b, expr.Project(it, bt.paths))
	return true, nil
}

// appendAttributes appends the members of the table's KeysAndAttributes
// other than Keys, as UnprocessedKeys repeats them.
func (bt *batchGetTable) appendAttributes(b []byte) []byte {
	in := bt.in
	if in.AttributesToGet != nil {
		b = append(b, `,"AttributesToGet":[`...)
		for i, a := range in.AttributesToGet {
			if i > 0 {
				b = append(b, ',')
			}
			b = ddb.AppendString(b, a)
		}
		b = append(b, ']')
	}
	if in.ConsistentRead != nil {
		if *in.ConsistentRead {
			b = append(b, `,"ConsistentRead":true`...)
		} else {
			b = append(b, `,"ConsistentRead":false`...)
		}
	}
	if in.ProjectionExpression != nil {
		b = append(b, `,"ProjectionExpression":`...)
		b = ddb.AppendString(b, *in.ProjectionExpression)
	}
	if in.ExpressionAttributeNames != nil {
		b = append(b, `,"ExpressionAttributeNames":{`...)
		keys := itemSortedKeys(in.ExpressionAttributeNames)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = ddb.AppendString(b, k)
			b = append(b, ':')
			b = ddb.AppendString(b, in.ExpressionAttributeNames[k])
		}
		b = append(b, '}')
	}
	return b
}
