package store

import (
	"context"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/expr"
)

func init() { register("GetItem", opGetItem) }

type getItemInput struct {
	TableName                *string           `json:"TableName"`
	Key                      *ddb.ItemJSON     `json:"Key"`
	AttributesToGet          []string          `json:"AttributesToGet"`
	ConsistentRead           *itemBool         `json:"ConsistentRead"`
	ProjectionExpression     *string           `json:"ProjectionExpression"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames"`
	ReturnConsumedCapacity   *string           `json:"ReturnConsumedCapacity"`
}

// getItemRequest is a validated GetItem.
type getItemRequest struct {
	in         getItemInput
	paths      []expr.Path // nil: the whole item
	consistent bool
}

// parseGetItem decodes and validates a GetItem body up to (not including)
// the table lookup.
func parseGetItem(body []byte) (*getItemRequest, error) {
	r := &getItemRequest{}
	in := &r.in
	if err := decode(body, in); err != nil {
		return nil, err
	}
	var c checker
	itemCheckReturnCapacity(&c, in.ReturnConsumedCapacity)
	if in.AttributesToGet != nil {
		if len(in.AttributesToGet) < 1 {
			c.fail(in.AttributesToGet, "attributesToGet", "Member must have length greater than or equal to 1")
		}
		if len(in.AttributesToGet) > 255 {
			c.fail(in.AttributesToGet, "attributesToGet", "Member must have length less than or equal to 255")
		}
	}
	c.checkTableName("tableName", in.TableName)
	if in.Key == nil {
		c.fail(nil, "key", cMustNotBeNull)
	}
	if err := c.err(); err != nil {
		return nil, err
	}

	proj := itemParam{"ProjectionExpression", in.ProjectionExpression != nil}
	if err := itemCheckExprParams(
		[]itemParam{proj},
		[]itemParam{{"AttributesToGet", in.AttributesToGet != nil}},
		nil, in.ExpressionAttributeNames != nil, false); err != nil {
		return nil, err
	}
	if err := itemValueProblem(in.Key.Item, ddb.LayerCurrent); err != nil {
		return nil, err
	}
	paths, err := expr.ReadProjection(in.ProjectionExpression, in.ExpressionAttributeNames, in.AttributesToGet)
	if err != nil {
		return nil, err
	}
	r.paths = paths
	r.consistent = in.ConsistentRead != nil && bool(*in.ConsistentRead)
	return r, nil
}

func opGetItem(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	r, err := parseGetItem(req.Body)
	if err != nil {
		return nil, err
	}
	t, err := n.itemTable(*r.in.TableName)
	if err != nil {
		return nil, err
	}
	pk, sk, err := t.keyValues(r.in.Key.Item, true)
	if err != nil {
		return nil, err
	}
	if t.ci != nil {
		t.ci.accessed(r.in.Key.Item)
	}
	if r.paths != nil && r.in.ProjectionExpression != nil {
		if err := t.itemCheckKeyPaths(r.paths); err != nil {
			return nil, err
		}
	}
	key := t.engineKey(pk, sk)
	if err := n.capRead(t, "", key); err != nil {
		t.ciThrottled(r.in.Key.Item, err)
		return nil, err
	}
	if r.consistent && t.strong() {
		if err := n.strongSync(t, key); err != nil { // global_strong.go
			return nil, err
		}
	}
	if r.paths == nil {
		return n.getItemWhole(t, key, r)
	}
	it, size, found, err := n.getItem(key)
	if err != nil {
		return nil, err
	}
	units := itemReadUnits(size, found, r.consistent) // charged and reported alike
	n.capChargeRead(t, "", key, units)
	o := newItemOut(64)
	if found {
		o.field("Item")
		o.b = ddb.AppendItem(o.b, expr.Project(it, r.paths))
	}
	o.capacity(r.in.ReturnConsumedCapacity, *r.in.TableName, units)
	return o.done(), nil
}

// getItemWhole answers an unprojected GetItem by copying the stored JSON
// into the response, without decoding it.
func (n *Node) getItemWhole(t *Table, key []byte, r *getItemRequest) ([]byte, error) {
	v, closer, err := n.db.Get(key)
	if err == pebble.ErrNotFound {
		units := itemReadUnits(0, false, r.consistent)
		n.capChargeRead(t, "", key, units)
		o := newItemOut(64)
		o.capacity(r.in.ReturnConsumedCapacity, *r.in.TableName, units)
		return o.done(), nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	size, js, err := splitStored(v)
	if err != nil {
		return nil, err
	}
	units := itemReadUnits(size, true, r.consistent)
	n.capChargeRead(t, "", key, units)
	extra := 0
	if r.in.ReturnConsumedCapacity != nil {
		extra = 96 + len(*r.in.TableName)
	}
	o := newItemOut(len(js) + 10 + extra)
	o.field("Item")
	o.b = append(o.b, js...)
	o.capacity(r.in.ReturnConsumedCapacity, *r.in.TableName, units)
	return o.done(), nil
}
