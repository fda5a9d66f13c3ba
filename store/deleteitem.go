package store

import (
	"context"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/expr"
)

func init() { register("DeleteItem", opDeleteItem) }

type deleteItemInput struct {
	TableName *string       `json:"TableName"`
	Key       *ddb.ItemJSON `json:"Key"`
	condWriteInput
}

// deleteItemRequest is a validated DeleteItem.
type deleteItemRequest struct {
	in       deleteItemInput
	cond     expr.Cond
	allOld   bool
	oldOnErr bool
}

// parseDeleteItem decodes and validates a DeleteItem body up to (not
// including) the table lookup.
func parseDeleteItem(body []byte) (*deleteItemRequest, error) {
	r := &deleteItemRequest{}
	in := &r.in
	if err := decode(body, in); err != nil {
		return nil, err
	}
	var c checker
	itemCheckReturnCapacity(&c, in.ReturnConsumedCapacity)
	c.checkTableName("tableName", in.TableName)
	itemCheckReturnValues(&c, in.ReturnValues)
	itemCheckReturnMetrics(&c, in.ReturnItemCollectionMetrics)
	if in.Key == nil {
		c.fail(nil, "key", cMustNotBeNull)
	}
	itemCheckConditionalOp(&c, in.ConditionalOperator)
	itemCheckExpectedOps(&c, in.Expected)
	itemCheckReturnOnCondition(&c, in.ReturnValuesOnConditionCheckFailure)
	if err := c.err(); err != nil {
		return nil, err
	}

	if err := in.checkExprParams(); err != nil {
		return nil, err
	}
	if err := itemValueProblem(in.Key.Item, ddb.LayerCurrent); err != nil {
		return nil, err
	}
	if err := in.checkReturnValues(); err != nil {
		return nil, err
	}
	var err error
	if r.cond, err = in.condition(); err != nil {
		return nil, err
	}
	r.allOld, r.oldOnErr = in.returnOld()
	return r, nil
}

func opDeleteItem(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	r, err := parseDeleteItem(req.Body)
	if err != nil {
		return nil, itemEnvelope(err)
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
	var old ddb.Item
	var oldSize int
	write := n.mutate
	if r.cond == nil && !r.allOld && r.in.ReturnConsumedCapacity == nil {
		write = n.mutateBlind // nothing looks at the current item
	}
	key := t.engineKey(pk, sk)
	var idx []itemIndexCost
	err = write(t, key, CauseDelete, func(cur ddb.Item, curSize int) (mutation, error) {
		if r.cond != nil && !expr.Eval(r.cond, itemOrEmpty(cur)) {
			return mutation{}, itemConditionFailed(cur, r.oldOnErr)
		}
		old, oldSize = cur, curSize
		idx = t.itemIndexCosts(cur, nil)
		if err := n.capWrite(t, key, itemWriteUnits(curSize, 0), idx, true); err != nil {
			return mutation{}, err
		}
		return mutation{del: true}, nil
	})
	if err != nil {
		t.ciThrottled(r.in.Key.Item, err)
		return nil, err
	}
	o := newItemOut(64)
	if r.allOld {
		o.attributes(old)
	}
	if itemWantCapacity(r.in.ReturnConsumedCapacity) {
		o.capacity(r.in.ReturnConsumedCapacity, *r.in.TableName, itemWriteUnits(oldSize, 0), idx...)
	}
	t.itemCollectionMetrics(&o, r.in.ReturnItemCollectionMetrics, pk)
	return o.done(), nil
}
