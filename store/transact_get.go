package store

// TransactGetItems: up to 100 Gets over any tables, read as one consistent
// snapshot.
//
// Validation: JSON shape; member constraints (ReturnConsumedCapacity,
// TransactItems 1..100, each Get's TableName and Key); per Get in request
// order the placeholder rules, key values and the projection; then per Get
// the table lookup, key values (empty or too long: ValidationException),
// projection key paths and duplicate targets. A key that does not fit the
// schema cancels the request with a ValidationError reason for that Get.
//
// Execution: a Get whose item is held by an in-flight TransactWriteItems
// cancels the request with a TransactionConflict reason (DynamoDB fails
// the read, not the write). Otherwise all items are read from one engine
// snapshot: a transaction's writes are committed as one engine batch, so
// the snapshot holds all of them or none.

import (
	"context"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/expr"
)

func init() { register("TransactGetItems", opTransactGetItems) }

type txGetIn struct {
	TransactItems          []*txGetItemIn `json:"TransactItems"`
	ReturnConsumedCapacity *string        `json:"ReturnConsumedCapacity"`
}

type txGetItemIn struct {
	Get *txGetActionIn `json:"Get"`
}

type txGetActionIn struct {
	TableName                *string           `json:"TableName"`
	Key                      *ddb.ItemJSON     `json:"Key"`
	ProjectionExpression     *string           `json:"ProjectionExpression"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames"`
}

// txGet is one validated Get.
type txGet struct {
	in     *txGetActionIn
	paths  []expr.Path
	t      *Table
	ekey   []byte
	reason txReason
}

// parseTransactGet decodes and validates a TransactGetItems body up to
// (not including) the table lookups.
func parseTransactGet(body []byte) (*txGetIn, []*txGet, error) {
	in := &txGetIn{}
	if err := decode(body, in); err != nil {
		return nil, nil, err
	}
	var c checker
	itemCheckReturnCapacity(&c, in.ReturnConsumedCapacity)
	switch {
	case in.TransactItems == nil:
		c.fail(nil, "transactItems", cMustNotBeNull)
	case len(in.TransactItems) == 0:
		c.fail("[]", "transactItems", "Member must have length greater than or equal to 1")
	case len(in.TransactItems) > txMaxActions:
		c.fail(renderAt(body, "TransactItems"), "transactItems", "Member must have length less than or equal to 100")
	default:
		for i, it := range in.TransactItems {
			if it == nil || it.Get == nil {
				c.fail(nil, memberPath("transactItems", i, "get"), cMustNotBeNull)
				continue
			}
			c.checkTableName(memberPath("transactItems", i, "get", "tableName"), it.Get.TableName)
			if it.Get.Key == nil {
				c.fail(nil, memberPath("transactItems", i, "get", "key"), cMustNotBeNull)
			}
		}
	}
	if err := c.err(); err != nil {
		return nil, nil, err
	}
	gets := make([]*txGet, len(in.TransactItems))
	for i, it := range in.TransactItems {
		a := it.Get
		if err := itemCheckExprParams(
			[]itemParam{{"ProjectionExpression", a.ProjectionExpression != nil}},
			nil, nil, a.ExpressionAttributeNames != nil, false); err != nil {
			return nil, nil, err
		}
		if err := itemValueProblem(a.Key.Item, ddb.LayerOlder); err != nil {
			return nil, nil, err
		}
		g := &txGet{in: a}
		paths, err := expr.ReadProjection(a.ProjectionExpression, a.ExpressionAttributeNames, nil)
		if err != nil {
			return nil, nil, err
		}
		g.paths = paths
		gets[i] = g
	}
	return in, gets, nil
}

// resolve looks the tables up and validates the keys.
func (n *Node) resolveTxGets(gets []*txGet) error {
	for i, g := range gets {
		t, err := n.itemTable(*g.in.TableName)
		if err != nil {
			return err
		}
		if err := errStrongTxn(t); err != nil {
			return err
		}
		g.t = t
		pk, sk, err := t.keyValues(g.in.Key.Item, true)
		if err == nil && t.ci != nil {
			t.ci.accessed(g.in.Key.Item)
		}
		if err != nil {
			if multiKeyMismatch(err) {
				g.reason = txReason{code: txCodeValidation, msg: err.(*ddb.Error).Message}
				continue
			}
			return err
		}
		if g.paths != nil {
			if err := t.itemCheckKeyPaths(g.paths); err != nil {
				return err
			}
		}
		g.ekey = t.engineKey(pk, sk)
		for _, prev := range gets[:i] {
			if prev.ekey != nil && string(prev.ekey) == string(g.ekey) {
				return txDuplicate()
			}
		}
	}
	return nil
}

func opTransactGetItems(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	in, gets, err := parseTransactGet(req.Body)
	if err != nil {
		return nil, err
	}
	if err := n.resolveTxGets(gets); err != nil {
		return nil, err
	}
	reasons := make([]txReason, len(gets))
	for i, g := range gets {
		reasons[i] = g.reason
	}
	if anyReason(reasons) {
		return nil, txCanceled(reasons)
	}
	for i, g := range gets {
		if n.marks.marked(g.ekey) {
			reasons[i] = txReason{code: txCodeConflict, msg: msgTxnOngoing}
		}
	}
	if anyReason(reasons) {
		return nil, txCanceled(reasons)
	}
	if err := n.capTxAdmitReads(gets, reasons); err != nil {
		return nil, err
	}
	snap := n.db.NewSnapshot()
	defer snap.Close()
	var caps multiCapacity
	o := newItemOut(256)
	o.field("Responses")
	o.b = append(o.b, '[')
	for i, g := range gets {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		size, found, err := appendTxGet(&o.b, snap, g)
		if err != nil {
			return nil, err
		}
		units := txFactor * itemReadUnits(size, found, true)
		caps.add(*g.in.TableName, units, 1, nil)
		n.capChargeRead(g.t, "", g.ekey, units)
	}
	o.b = append(o.b, ']')
	caps.appendField(&o, in.ReturnConsumedCapacity, capRead)
	return o.done(), nil
}

// appendTxGet appends the ItemResponse of g read from snap: {"Item":…}, or
// {} when the item does not exist.
func appendTxGet(b *[]byte, snap *pebble.Snapshot, g *txGet) (size int, found bool, err error) {
	v, closer, err := snap.Get(g.ekey)
	if err == pebble.ErrNotFound {
		*b = append(*b, "{}"...)
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer closer.Close()
	size, js, err := splitStored(v)
	if err != nil {
		return 0, false, err
	}
	*b = append(*b, `{"Item":`...)
	if g.paths == nil {
		*b = append(*b, js...)
	} else {
		it, err := ddb.DecodeItem(js)
		if err != nil {
			return 0, false, err
		}
		*b = ddb.AppendItem(*b, expr.Project(it, g.paths))
	}
	*b = append(*b, '}')
	return size, true, nil
}
