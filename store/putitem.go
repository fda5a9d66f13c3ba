package store

import (
	"context"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/expr"
)

func init() { register("PutItem", opPutItem) }

type putItemInput struct {
	TableName *string       `json:"TableName"`
	Item      *ddb.ItemJSON `json:"Item"`
	condWriteInput
}

// putItemRequest is a validated PutItem.
type putItemRequest struct {
	in       putItemInput
	item     ddb.Item
	size     int
	cond     expr.Cond
	allOld   bool
	oldOnErr bool
}

// parsePutItem decodes and validates a PutItem body up to (not including)
// the table lookup.
func parsePutItem(body []byte) (*putItemRequest, error) {
	r := &putItemRequest{}
	in := &r.in
	if err := decode(body, in); err != nil {
		return nil, err
	}
	var c checker
	itemCheckReturnCapacity(&c, in.ReturnConsumedCapacity)
	c.checkTableName("tableName", in.TableName)
	if in.Item == nil {
		c.fail(nil, "item", cMustNotBeNull)
	}
	itemCheckConditionalOp(&c, in.ConditionalOperator)
	itemCheckExpectedOps(&c, in.Expected)
	itemCheckReturnValues(&c, in.ReturnValues)
	itemCheckReturnMetrics(&c, in.ReturnItemCollectionMetrics)
	itemCheckReturnOnCondition(&c, in.ReturnValuesOnConditionCheckFailure)
	if err := c.err(); err != nil {
		return nil, err
	}

	if err := in.checkExprParams(); err != nil {
		return nil, err
	}
	r.item = in.Item.Item
	if err := itemValueProblem(r.item, ddb.LayerCurrent); err != nil {
		return nil, err
	}
	if err := in.checkReturnValues(); err != nil {
		return nil, err
	}
	r.size = ddb.ItemSize(r.item)
	if r.size > ddb.MaxItemSize {
		return nil, ddb.Validation(itemMsgItemTooLarge)
	}
	var err error
	if r.cond, err = in.condition(); err != nil {
		return nil, err
	}
	r.allOld, r.oldOnErr = in.returnOld()
	return r, nil
}

func opPutItem(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	r, err := parsePutItem(req.Body)
	if err != nil {
		return nil, itemEnvelope(err)
	}
	t, err := n.itemTable(*r.in.TableName)
	if err != nil {
		return nil, err
	}
	pk, sk, err := t.keyValues(r.item, false)
	if err != nil {
		return nil, err
	}
	if t.ci != nil {
		t.ci.accessed(r.item)
	}
	if err := t.itemCheckIndexKeys(r.item); err != nil {
		return nil, err
	}
	var old ddb.Item
	var oldSize int
	write := n.mutate
	if r.cond == nil && !r.allOld && r.in.ReturnConsumedCapacity == nil {
		write = n.mutateBlind // nothing looks at the current item
	}
	key := t.engineKey(pk, sk)
	var idx []itemIndexCost
	err = write(t, key, CausePut, func(cur ddb.Item, curSize int) (mutation, error) {
		if r.cond != nil && !expr.Eval(r.cond, itemOrEmpty(cur)) {
			return mutation{}, itemConditionFailed(cur, r.oldOnErr)
		}
		old, oldSize = cur, curSize
		idx = t.itemIndexCosts(cur, r.item)
		if err := n.capWrite(t, key, itemWriteUnits(curSize, r.size), idx, true); err != nil {
			return mutation{}, err
		}
		return mutation{put: r.item, putSize: r.size}, nil
	})
	if err != nil {
		t.ciThrottled(r.item, err)
		return nil, err
	}
	o := newItemOut(64)
	if r.allOld {
		o.attributes(old)
	}
	if itemWantCapacity(r.in.ReturnConsumedCapacity) {
		o.capacity(r.in.ReturnConsumedCapacity, *r.in.TableName, itemWriteUnits(oldSize, r.size), idx...)
	}
	t.itemCollectionMetrics(&o, r.in.ReturnItemCollectionMetrics, pk)
	return o.done(), nil
}

// itemOrEmpty returns it, or an empty item for a missing one (conditions
// are evaluated against an empty item then).
func itemOrEmpty(it ddb.Item) ddb.Item {
	if it == nil {
		return ddb.Item{}
	}
	return it
}

// itemConditionFailed is the ConditionalCheckFailedException of a write,
// carrying the existing item when ReturnValuesOnConditionCheckFailure=ALL_OLD.
func itemConditionFailed(cur ddb.Item, withItem bool) error {
	if withItem && cur != nil {
		return ddb.ConditionalCheckFailed(ddb.AppendItem(nil, cur))
	}
	return ddb.ConditionalCheckFailed(nil)
}
