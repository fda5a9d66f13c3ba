package store

// BatchWriteItem: up to 25 PutRequests and DeleteRequests over any number
// of tables.
//
// Validation runs in DynamoDB's order: JSON shape; the enum members
// (reported alone when they fail); RequestItems (required, table names,
// 1 to 25 requests per table, 25 in all); the custom checks of each
// request (one of Put/Delete, attribute values, item size); then per table
// in name order: table lookup, key schema, duplicate keys. A key that does
// not fit the schema is "The provided key element does not match the
// schema" for put items too, unlike PutItem.
//
// Execution: every request is atomic, the batch is not required to be.
// dynax commits all writes of a batch in one engine batch under the locks
// of all its items (mutateMany with txn=false), so a batch is in fact
// applied at once and costs one WAL sync. A request whose item is held by
// an in-flight transaction is not applied: it comes back in
// UnprocessedItems, for the client to retry as it retries any unprocessed
// item (DynamoDB fails such item-level writes with a transaction conflict;
// BatchWriteItem has no per-item error channel other than UnprocessedItems).

import (
	"context"
	"strconv"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

func init() { register("BatchWriteItem", opBatchWriteItem) }

// batchWriteMax is the number of requests one batch may hold.
const batchWriteMax = 25

type batchWriteIn struct {
	RequestItems                map[string][]*batchWriteRequestIn `json:"RequestItems"`
	ReturnConsumedCapacity      *string                           `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics *string                           `json:"ReturnItemCollectionMetrics"`
}

type batchWriteRequestIn struct {
	PutRequest    *batchPutIn    `json:"PutRequest"`
	DeleteRequest *batchDeleteIn `json:"DeleteRequest"`
}

type batchPutIn struct {
	Item *ddb.ItemJSON `json:"Item"`
}

type batchDeleteIn struct {
	Key *ddb.ItemJSON `json:"Key"`
}

// batchWriteOp is one validated request.
type batchWriteOp struct {
	table *batchWriteTable
	in    *batchWriteRequestIn
	item  ddb.Item // put: the item; delete: nil
	size  int
	key   []byte
	pk    ddb.Value
	// outcome
	old     ddb.Item
	oldSize int
	skipped bool // in an in-flight transaction: unprocessed
}

type batchWriteTable struct {
	name string
	t    *Table
	ops  []*batchWriteOp
}

// parseBatchWrite decodes and validates a BatchWriteItem body up to (not
// including) the table lookups. Tables come back in name order.
func parseBatchWrite(body []byte) (*batchWriteIn, []*batchWriteTable, error) {
	in := &batchWriteIn{}
	if err := decode(body, in); err != nil {
		return nil, nil, err
	}
	var c checker
	itemCheckReturnCapacity(&c, in.ReturnConsumedCapacity)
	itemCheckReturnMetrics(&c, in.ReturnItemCollectionMetrics)
	if err := c.err(); err != nil {
		return nil, nil, err
	}
	if len(in.RequestItems) == 0 {
		return nil, nil, ddb.Validation("The requestItems parameter is required for BatchWriteItem")
	}
	names := itemSortedKeys(in.RequestItems)
	total := 0
	for _, name := range names {
		if !validTableKey(name) {
			c.failGeneric("RequestItems", "Map keys must satisfy constraint: [Member must have length less than or equal to 255, "+
				"Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: "+tableNamePattern+"]")
			break
		}
	}
	for _, name := range names {
		if n := len(in.RequestItems[name]); n == 0 || n > batchWriteMax {
			// The model's map-value constraint, reported once for the map.
			c.fail(renderAt(body, "RequestItems"), "requestItems", "Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
			break
		}
	}
	for _, name := range names {
		reqs := in.RequestItems[name]
		total += len(reqs)
		for i, r := range reqs {
			if r == nil {
				continue
			}
			if r.PutRequest != nil && r.PutRequest.Item == nil {
				c.fail(nil, "requestItems."+name+".member."+strconv.Itoa(i+1)+".member.putRequest.item", cMustNotBeNull)
			}
			if r.DeleteRequest != nil && r.DeleteRequest.Key == nil {
				c.fail(nil, "requestItems."+name+".member."+strconv.Itoa(i+1)+".member.deleteRequest.key", cMustNotBeNull)
			}
		}
	}
	if err := c.err(); err != nil {
		return nil, nil, err
	}
	if total > batchWriteMax {
		return nil, nil, ddb.Validation("Too many items requested for the BatchWriteItem call")
	}
	tables := make([]*batchWriteTable, 0, len(names))
	for _, name := range names {
		bt := &batchWriteTable{name: name}
		for _, r := range in.RequestItems[name] {
			if r == nil || (r.PutRequest == nil) == (r.DeleteRequest == nil) {
				return nil, nil, ddb.Validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
			op := &batchWriteOp{table: bt, in: r}
			if r.PutRequest != nil {
				op.item = r.PutRequest.Item.Item
				if err := itemValueProblem(op.item, ddb.LayerOlder); err != nil {
					return nil, nil, err
				}
				op.size = ddb.ItemSize(op.item)
				if op.size > ddb.MaxItemSize {
					return nil, nil, ddb.Validation(itemMsgItemTooLarge)
				}
			} else if err := itemValueProblem(r.DeleteRequest.Key.Item, ddb.LayerOlder); err != nil {
				return nil, nil, err
			}
			bt.ops = append(bt.ops, op)
		}
		tables = append(tables, bt)
	}
	return in, tables, nil
}

// resolve looks the table up and validates keys and index keys.
func (bt *batchWriteTable) resolve(n *Node) error {
	t, err := n.itemTable(bt.name)
	if err != nil {
		return err
	}
	bt.t = t
	for i, op := range bt.ops {
		var pk, sk ddb.Value
		if op.item != nil {
			pk, sk, err = t.keyValues(op.item, false)
		} else {
			pk, sk, err = t.keyValues(op.in.DeleteRequest.Key.Item, true)
		}
		if err != nil {
			if multiKeyMismatch(err) {
				return ddb.Validation(msgKeySchema)
			}
			return err
		}
		if op.item != nil {
			if err := t.itemCheckIndexKeys(op.item); err != nil {
				return err
			}
		}
		if t.ci != nil {
			if op.item != nil {
				t.ci.accessed(op.item)
			} else {
				t.ci.accessed(op.in.DeleteRequest.Key.Item)
			}
		}
		op.pk = pk
		op.key = t.engineKey(pk, sk)
		for _, prev := range bt.ops[:i] {
			if string(prev.key) == string(op.key) {
				return ddb.Validation(msgBatchDuplicates)
			}
		}
	}
	return nil
}

func opBatchWriteItem(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	in, tables, err := parseBatchWrite(req.Body)
	if err != nil {
		return nil, err
	}
	for _, bt := range tables {
		if err := bt.resolve(n); err != nil {
			return nil, err
		}
	}
	var ops []*batchWriteOp
	var targets []multiTarget
	for _, bt := range tables {
		for _, op := range bt.ops {
			if n.marks.marked(op.key) {
				// Held by an in-flight transaction: left unprocessed. (A
				// transaction that marks the key later waits for this
				// batch's locks, so the check needs no lock.)
				op.skipped = true
				continue
			}
			ops = append(ops, op)
			targets = append(targets, multiTarget{table: bt.t, key: op.key})
		}
	}
	if len(targets) > 0 {
		err = n.mutateMany(targets, false, CauseBatchWrite, func(cur []multiState) ([]mutation, error) {
			ms := make([]mutation, len(ops))
			throttled := 0
			var throttle error
			for i, op := range ops {
				op.old, op.oldSize = cur[i].item, cur[i].size
				// Items over the tables' capacity are left unprocessed;
				// all of them over it fail the call (capacity.go).
				if err := n.capWrite(op.table.t, op.key, itemWriteUnits(op.oldSize, op.size), op.table.t.itemIndexCosts(op.old, op.item), false); err != nil {
					op.skipped, throttled, throttle = true, throttled+1, err
					continue
				}
				if op.item != nil {
					ms[i] = mutation{put: op.item, putSize: op.size}
				} else {
					ms[i] = mutation{del: true}
				}
			}
			if throttled == len(ops) && len(ops) == len(targets) && n.capRefuseBatch(ops[0].table.t) {
				return nil, throttle
			}
			return ms, nil
		})
		if err != nil {
			return nil, err
		}
	}
	var caps multiCapacity
	var metrics multiMetrics
	o := newItemOut(128)
	o.field("UnprocessedItems")
	o.b = append(o.b, '{')
	firstTable := true
	for _, bt := range tables {
		units := 0.0
		var idx []itemIndexCost
		firstOp := true
		for _, op := range bt.ops {
			if !op.skipped {
				if itemWantCapacity(in.ReturnConsumedCapacity) {
					units += itemWriteUnits(op.oldSize, op.size)
					idx = append(idx, bt.t.itemIndexCosts(op.old, op.item)...)
				}
				metrics.add(in.ReturnItemCollectionMetrics, bt.name, bt.t, op.pk)
				continue
			}
			if firstOp {
				if !firstTable {
					o.b = append(o.b, ',')
				}
				firstTable = false
				o.b = ddb.AppendString(o.b, bt.name)
				o.b = append(o.b, ":["...)
			} else {
				o.b = append(o.b, ',')
			}
			firstOp = false
			if op.item != nil {
				o.b = append(o.b, `{"PutRequest":{"Item":`...)
				o.b = ddb.AppendItem(o.b, op.item)
			} else {
				o.b = append(o.b, `{"DeleteRequest":{"Key":`...)
				o.b = ddb.AppendItem(o.b, op.in.DeleteRequest.Key.Item)
			}
			o.b = append(o.b, "}}"...)
		}
		if !firstOp {
			o.b = append(o.b, ']')
		}
		caps.add(bt.name, units, 1, idx)
	}
	o.b = append(o.b, '}')
	caps.appendField(&o, in.ReturnConsumedCapacity, capPlain)
	metrics.appendField(&o)
	return o.done(), nil
}
