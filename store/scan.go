package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"strconv"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/expr"
)

func init() { register("Scan", opScan) }

type scanInput struct {
	TableName                 *string              `json:"TableName"`
	IndexName                 *string              `json:"IndexName"`
	Select                    *string              `json:"Select"`
	AttributesToGet           []string             `json:"AttributesToGet"`
	Limit                     *int32               `json:"Limit"`
	ConsistentRead            *itemBool            `json:"ConsistentRead"`
	ScanFilter                map[string]*qsCondIn `json:"ScanFilter"`
	ConditionalOperator       *string              `json:"ConditionalOperator"`
	ExclusiveStartKey         *ddb.ItemJSON        `json:"ExclusiveStartKey"`
	ReturnConsumedCapacity    *string              `json:"ReturnConsumedCapacity"`
	TotalSegments             *int32               `json:"TotalSegments"`
	Segment                   *int32               `json:"Segment"`
	ProjectionExpression      *string              `json:"ProjectionExpression"`
	FilterExpression          *string              `json:"FilterExpression"`
	ExpressionAttributeNames  map[string]string    `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues *ddb.ItemJSON        `json:"ExpressionAttributeValues"`
}

// scanRequest is a validated Scan, up to the table lookup.
type scanRequest struct {
	in         scanInput
	filter     expr.Cond
	filterHead []string
	paths      []expr.Path
	esk        ddb.Item
	consistent bool
}

// Parallel scan limits.
const (
	qsMaxTotalSegments = 1000000
	qsMaxSegment       = 999999
)

// parseScan decodes and validates a Scan body up to (not including) the
// table lookup.
func parseScan(body []byte) (*scanRequest, error) {
	r := &scanRequest{}
	in := &r.in
	if err := decode(body, in); err != nil {
		return nil, err
	}
	qsDropNil(in.ScanFilter)

	var c checker
	qsCheckSelect(&c, in.Select)
	qsCheckIndexName(&c, in.IndexName)
	qsCheckRange(&c, in.TotalSegments, "totalSegments", 1, qsMaxTotalSegments)
	itemCheckReturnCapacity(&c, in.ReturnConsumedCapacity)
	c.checkTableName("tableName", in.TableName)
	itemCheckConditionalOp(&c, in.ConditionalOperator)
	qsCheckConds(&c, in.ScanFilter, "scanFilter")
	qsCheckRange(&c, in.Segment, "segment", 0, qsMaxSegment)
	qsCheckAttributesToGet(&c, in.AttributesToGet)
	qsCheckRange(&c, in.Limit, "limit", 1, 0)
	if err := c.err(); err != nil {
		return nil, err
	}
	if err := qsCheckSelectRules(in.Select, in.IndexName != nil, in.ProjectionExpression != nil,
		in.AttributesToGet != nil, ""); err != nil {
		return nil, err
	}

	filterExpr := itemParam{"FilterExpression", in.FilterExpression != nil}
	if err := itemCheckExprParams(
		[]itemParam{{"ProjectionExpression", in.ProjectionExpression != nil}, filterExpr},
		[]itemParam{
			{"AttributesToGet", in.AttributesToGet != nil},
			{"ScanFilter", in.ScanFilter != nil},
			{"ConditionalOperator", in.ConditionalOperator != nil},
		},
		[]itemParam{filterExpr},
		in.ExpressionAttributeNames != nil, in.ExpressionAttributeValues != nil); err != nil {
		return nil, err
	}
	if len(in.AttributesToGet) > 1 {
		if d, ok := expr.Duplicate(in.AttributesToGet); ok {
			return nil, ddb.Validation(itemMsgInvalidParams + "Duplicate value in attribute name: " + d)
		}
	}
	if in.ScanFilter == nil && in.ConditionalOperator != nil {
		return nil, ddb.Validation(msgCondOpAlone)
	}
	if in.ConditionalOperator != nil && len(in.ScanFilter) < 2 {
		return nil, ddb.Validation(msgCondOpOne)
	}
	if in.ScanFilter != nil {
		f, err := qsLegacyFilter(in.ScanFilter, in.ConditionalOperator, "ScanFilter", ddb.LayerOlder)
		if err != nil {
			return nil, err
		}
		if len(in.ScanFilter) > 0 {
			r.filter = f
			r.filterHead = itemSortedKeys(in.ScanFilter)
		}
	}
	if in.ExclusiveStartKey != nil {
		r.esk = in.ExclusiveStartKey.Item
		if r.esk == nil {
			r.esk = ddb.Item{}
		}
		if err := qsStartKeyProblem(r.esk, ddb.LayerOlder); err != nil {
			return nil, err
		}
	}
	if in.Segment != nil && in.TotalSegments == nil {
		return nil, ddb.Validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
	}
	if in.TotalSegments != nil {
		if in.Segment == nil {
			return nil, ddb.Validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
		}
		if *in.Segment >= *in.TotalSegments {
			return nil, ddb.Validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: " +
				strconv.Itoa(int(*in.Segment)) + " is not less than TotalSegments: " + strconv.Itoa(int(*in.TotalSegments)))
		}
	}
	if in.FilterExpression != nil || in.ProjectionExpression != nil ||
		in.ExpressionAttributeNames != nil || in.ExpressionAttributeValues != nil {
		ex, err := qsParseExprs(in.ExpressionAttributeNames, in.ExpressionAttributeValues,
			nil, in.FilterExpression, in.ProjectionExpression, ddb.LayerOlder)
		if err != nil {
			return nil, err
		}
		if ex.filter != nil {
			r.filter = ex.filter
			r.filterHead = qsHeads(expr.CondPaths(ex.filter))
		}
		r.paths = ex.proj
	}
	if r.paths == nil && in.AttributesToGet != nil {
		r.paths = expr.AttributesToGet(in.AttributesToGet)
	}
	r.consistent = in.ConsistentRead != nil && bool(*in.ConsistentRead)
	return r, nil
}

func opScan(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	r, err := parseScan(req.Body)
	if err != nil {
		return nil, err
	}
	in := &r.in
	t, err := n.itemTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	tg, err := qsResolve(t, in.IndexName, r.consistent)
	if err != nil {
		return nil, err
	}
	if r.esk != nil && len(r.esk) != len(tg.keyNames) {
		if tg.ix != nil {
			return nil, ddb.Validation(qsMsgBadStartKey)
		}
		return nil, ddb.Validation(qsMsgStartKeyPrefix + msgKeySchema)
	}
	if tg.ix != nil && r.esk != nil {
		for i := range tg.keys {
			if err := tg.checkStartIndexKey(r.esk, i); err != nil {
				return nil, err
			}
		}
	}
	if err := tg.checkAllAttributes(in.Select, r.paths); err != nil {
		return nil, err
	}
	if r.esk != nil {
		if err := tg.checkStartTableKey(r.esk); err != nil {
			return nil, err
		}
	}

	prefix := tg.prefix()
	p := qsNewPage(ctx, n, tg, in.Select, r.paths, r.filter, r.filterHead, r.consistent, in.ReturnConsumedCapacity, *in.TableName, in.Limit)
	p.lo, p.hi = prefix, prefixEnd(prefix)
	if in.TotalSegments != nil && *in.TotalSegments > 1 {
		lo, hi := t.KeyHash.segment(int(*in.Segment), int(*in.TotalSegments))
		if lo > 1<<32-1 {
			p.lo = prefixEnd(prefix) // an empty segment
		} else {
			p.lo = binary.BigEndian.AppendUint32(append([]byte(nil), prefix...), uint32(lo))
		}
		if hi <= 1<<32-1 {
			p.hi = binary.BigEndian.AppendUint32(append([]byte(nil), prefix...), uint32(hi))
		}
		if r.esk != nil {
			if h := uint64(qsHash(tg.engineKey(r.esk), prefix)); h < lo || h >= hi {
				return nil, ddb.Validation(qsMsgStartKeyPrefix + "Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. " +
					"TotalSegments: " + strconv.Itoa(int(*in.TotalSegments)) + " Segment: " + strconv.Itoa(int(*in.Segment)))
			}
		}
	}
	if in.ProjectionExpression != nil {
		if err := t.itemCheckKeyPaths(r.paths); err != nil {
			return nil, err
		}
	}
	if in.FilterExpression != nil {
		if err := t.itemCheckKeyPaths(expr.CondPaths(r.filter)); err != nil {
			return nil, err
		}
	}
	if r.esk != nil {
		if after := qsAfter(tg.engineKey(r.esk)); bytes.Compare(after, p.lo) > 0 {
			p.lo = after
		}
	}
	return p.run()
}
