package store

import (
	"context"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/expr"
)

func init() { register("UpdateItem", opUpdateItem) }

type updateItemInput struct {
	TableName                           *string                    `json:"TableName"`
	Key                                 *ddb.ItemJSON              `json:"Key"`
	UpdateExpression                    *string                    `json:"UpdateExpression"`
	ConditionExpression                 *string                    `json:"ConditionExpression"`
	ExpressionAttributeNames            map[string]string          `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues           *ddb.ItemJSON              `json:"ExpressionAttributeValues"`
	AttributeUpdates                    map[string]*itemAttrUpdate `json:"AttributeUpdates"`
	Expected                            map[string]*itemExpected   `json:"Expected"`
	ConditionalOperator                 *string                    `json:"ConditionalOperator"`
	ReturnValues                        *string                    `json:"ReturnValues"`
	ReturnConsumedCapacity              *string                    `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics         *string                    `json:"ReturnItemCollectionMetrics"`
	ReturnValuesOnConditionCheckFailure *string                    `json:"ReturnValuesOnConditionCheckFailure"`
}

// updateItemRequest is a validated UpdateItem.
type updateItemRequest struct {
	in       updateItemInput
	upd      *expr.Update // nil: no update (the item is only created if absent)
	cond     expr.Cond
	rv       string // ReturnValues, "NONE" when absent
	oldOnErr bool
}

// parseUpdateItem decodes and validates an UpdateItem body up to (not
// including) the table lookup.
func parseUpdateItem(body []byte) (*updateItemRequest, error) {
	r := &updateItemRequest{rv: "NONE"}
	in := &r.in
	if err := decode(body, in); err != nil {
		return nil, err
	}
	var c checker
	itemCheckReturnCapacity(&c, in.ReturnConsumedCapacity)
	c.checkTableName("tableName", in.TableName)
	itemCheckReturnMetrics(&c, in.ReturnItemCollectionMetrics)
	itemCheckReturnValues(&c, in.ReturnValues)
	// DynamoDB reports conditionalOperator ahead of a missing key
	// (paritysuite/dynamodb-conformance, validation-ordering/updateItem).
	itemCheckConditionalOp(&c, in.ConditionalOperator)
	if in.Key == nil {
		c.fail(nil, "key", cMustNotBeNull)
	}
	itemCheckExpectedOps(&c, in.Expected)
	if len(in.AttributeUpdates) > 0 {
		for _, k := range itemSortedKeys(in.AttributeUpdates) {
			if u := in.AttributeUpdates[k]; u != nil {
				itemCheckEnum(&c, u.Action, "attributeUpdates."+k+".member.action", itemEnumAction, "ADD", "PUT", "DELETE")
			}
		}
	}
	itemCheckReturnOnCondition(&c, in.ReturnValuesOnConditionCheckFailure)
	if err := c.err(); err != nil {
		return nil, err
	}

	upd := itemParam{"UpdateExpression", in.UpdateExpression != nil}
	cond := itemParam{"ConditionExpression", in.ConditionExpression != nil}
	if err := itemCheckExprParams(
		[]itemParam{upd, cond},
		[]itemParam{{"AttributeUpdates", in.AttributeUpdates != nil}, {"Expected", in.Expected != nil}},
		[]itemParam{upd, cond},
		in.ExpressionAttributeNames != nil, in.ExpressionAttributeValues != nil); err != nil {
		return nil, err
	}
	if err := itemValueProblem(in.Key.Item, ddb.LayerCurrent); err != nil {
		return nil, err
	}
	var err error
	if in.AttributeUpdates != nil {
		m := make(map[string]expr.AttributeUpdate, len(in.AttributeUpdates))
		for k, u := range in.AttributeUpdates {
			if u == nil {
				continue
			}
			if len(k) > expr.MaxNameSize || u.Value != nil && expr.HasLongName(u.Value) {
				return nil, expr.ErrNameTooLarge
			}
			au := expr.AttributeUpdate{Value: u.Value}
			if u.Action != nil {
				au.Action = *u.Action
			}
			m[k] = au
		}
		if r.upd, err = expr.LegacyUpdate(m); err != nil {
			return nil, err
		}
	}
	if r.cond, err = itemLegacyCondition(in.Expected, in.ConditionalOperator); err != nil {
		return nil, err
	}
	if in.UpdateExpression != nil || in.ConditionExpression != nil || in.ExpressionAttributeNames != nil || in.ExpressionAttributeValues != nil {
		ex, err := itemParseExprs(in.ExpressionAttributeNames, itemJSONItem(in.ExpressionAttributeValues), in.ExpressionAttributeValues != nil, ddb.LayerCurrent,
			itemExprText{"UpdateExpression", in.UpdateExpression},
			itemExprText{"ConditionExpression", in.ConditionExpression})
		if err != nil {
			return nil, err
		}
		if ex.cond != nil {
			r.cond = ex.cond
		}
		if ex.upd != nil {
			r.upd = ex.upd
		}
	}
	if in.ReturnValues != nil {
		r.rv = *in.ReturnValues
	}
	r.oldOnErr = in.ReturnValuesOnConditionCheckFailure != nil && *in.ReturnValuesOnConditionCheckFailure == "ALL_OLD"
	return r, nil
}

func opUpdateItem(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	r, err := parseUpdateItem(req.Body)
	if err != nil {
		return nil, itemEnvelope(err)
	}
	t, err := n.itemTable(*r.in.TableName)
	if err != nil {
		return nil, err
	}
	key := r.in.Key.Item
	pk, sk, err := t.keyValues(key, true)
	if err != nil {
		return nil, err
	}
	if t.ci != nil {
		t.ci.accessed(key)
	}
	if r.upd != nil {
		if err := t.itemCheckUpdatePaths(r.upd.Paths()); err != nil {
			return nil, err
		}
	}
	var old, cur ddb.Item
	var oldSize, newSize int
	ekey := t.engineKey(pk, sk)
	var idx []itemIndexCost
	err = n.mutate(t, ekey, CauseUpdate, func(o ddb.Item, oSize int) (mutation, error) {
		// UpdateItem charges what its statement writes as well as the
		// finished item, before the condition (expr.StatementSize);
		// transactions, PartiQL and AttributeUpdates size the item alone.
		if r.upd != nil {
			if sz, ok := r.upd.StatementSize(o); ok && sz > ddb.MaxItemSize {
				return mutation{}, ddb.Validation(itemMsgUpdateTooLarge)
			}
		}
		if r.cond != nil && !expr.Eval(r.cond, itemOrEmpty(o)) {
			return mutation{}, itemConditionFailed(o, r.oldOnErr)
		}
		next, write, err := applyUpdate(r.upd, o, key)
		if err != nil {
			return mutation{}, err
		}
		if !write {
			// Nothing to change: the item stays as it is (or absent).
			old, oldSize, cur, newSize = o, oSize, o, oSize
			return mutation{}, n.capWrite(t, ekey, itemWriteUnits(oSize, oSize), nil, true)
		}
		size := ddb.ItemSize(next)
		if size > ddb.MaxItemSize {
			return mutation{}, ddb.Validation(itemMsgUpdateTooLarge)
		}
		if err := t.itemCheckIndexKeys(next); err != nil {
			return mutation{}, err
		}
		old, oldSize, cur, newSize = o, oSize, next, size
		idx = t.itemIndexCosts(o, next)
		if err := n.capWrite(t, ekey, itemWriteUnits(oSize, size), idx, true); err != nil {
			return mutation{}, err
		}
		return mutation{put: next, putSize: size}, nil
	})
	if err != nil {
		t.ciThrottled(key, err)
		return nil, err
	}
	out := newItemOut(64)
	switch r.rv {
	case "ALL_OLD":
		out.attributes(old)
	case "ALL_NEW":
		out.attributes(cur)
	case "UPDATED_OLD":
		if old != nil && r.upd != nil {
			out.attributes(expr.Project(old, r.upd.Paths()))
		}
	case "UPDATED_NEW":
		if r.upd != nil {
			out.attributes(expr.Project(cur, r.upd.Paths()))
		}
	}
	if itemWantCapacity(r.in.ReturnConsumedCapacity) {
		out.capacity(r.in.ReturnConsumedCapacity, *r.in.TableName, itemWriteUnits(oldSize, newSize), idx...)
	}
	t.itemCollectionMetrics(&out, r.in.ReturnItemCollectionMetrics, pk)
	return out.done(), nil
}

// applyUpdate returns the item upd (nil: no update) makes of old (nil: the
// item does not exist) whose primary key is key. write is false when there
// is nothing to write: no update of an existing item, or an update of a
// missing item that only removes (DynamoDB creates no item then). A new
// item starts as its key, so the update's expressions see the key
// attributes (SET b = if_not_exists(b, pk)), as in DynamoDB.
func applyUpdate(upd *expr.Update, old, key ddb.Item) (next ddb.Item, write bool, err error) {
	if old != nil {
		if upd == nil {
			return old, false, nil
		}
		next, err = upd.Apply(old)
		return next, err == nil, err
	}
	if upd == nil {
		next = make(ddb.Item, len(key))
		for k, v := range key {
			next[k] = v
		}
		return next, true, nil
	}
	if upd.CreatesNothing() {
		return nil, false, nil
	}
	if next, err = upd.Apply(key); err != nil {
		return nil, false, err
	}
	return next, true, nil
}
