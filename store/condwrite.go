package store

import (
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/expr"
)

// condWriteInput holds the members PutItem and DeleteItem share: the
// write's condition (expression or legacy Expected) and what to return.
type condWriteInput struct {
	ConditionExpression                 *string                  `json:"ConditionExpression"`
	ExpressionAttributeNames            map[string]string        `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues           *ddb.ItemJSON            `json:"ExpressionAttributeValues"`
	Expected                            map[string]*itemExpected `json:"Expected"`
	ConditionalOperator                 *string                  `json:"ConditionalOperator"`
	ReturnValues                        *string                  `json:"ReturnValues"`
	ReturnConsumedCapacity              *string                  `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics         *string                  `json:"ReturnItemCollectionMetrics"`
	ReturnValuesOnConditionCheckFailure *string                  `json:"ReturnValuesOnConditionCheckFailure"`
}

// checkExprParams applies the rules on mixing expression and legacy
// parameters.
func (in *condWriteInput) checkExprParams() error {
	cond := itemParam{"ConditionExpression", in.ConditionExpression != nil}
	return itemCheckExprParams(
		[]itemParam{cond},
		[]itemParam{{"Expected", in.Expected != nil}},
		[]itemParam{cond},
		in.ExpressionAttributeNames != nil, in.ExpressionAttributeValues != nil)
}

// checkReturnValues rejects the ReturnValues a Put or Delete cannot take.
func (in *condWriteInput) checkReturnValues() error {
	if rv := in.ReturnValues; rv != nil && *rv != "NONE" && *rv != "ALL_OLD" {
		return ddb.Validation(itemMsgReturnValuesInvalid)
	}
	return nil
}

// condition parses the write's condition; nil when it has none.
func (in *condWriteInput) condition() (expr.Cond, error) {
	cond, err := itemLegacyCondition(in.Expected, in.ConditionalOperator)
	if err != nil {
		return nil, err
	}
	if in.ConditionExpression != nil || in.ExpressionAttributeNames != nil || in.ExpressionAttributeValues != nil {
		ex, err := itemParseExprs(in.ExpressionAttributeNames, itemJSONItem(in.ExpressionAttributeValues), in.ExpressionAttributeValues != nil, ddb.LayerCurrent,
			itemExprText{"ConditionExpression", in.ConditionExpression})
		if err != nil {
			return nil, err
		}
		if ex.cond != nil {
			cond = ex.cond
		}
	}
	return cond, nil
}

// returnOld reports ReturnValues=ALL_OLD and
// ReturnValuesOnConditionCheckFailure=ALL_OLD.
func (in *condWriteInput) returnOld() (allOld, oldOnErr bool) {
	return in.ReturnValues != nil && *in.ReturnValues == "ALL_OLD",
		in.ReturnValuesOnConditionCheckFailure != nil && *in.ReturnValuesOnConditionCheckFailure == "ALL_OLD"
}
