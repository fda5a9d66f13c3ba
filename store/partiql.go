package store

// ExecuteStatement: one PartiQL statement. SELECT runs as a Query of the
// partitions its WHERE fixes (partition key = or IN) on the table or the
// named index, otherwise as a Scan, with the whole WHERE as the filter;
// pages continue with an opaque NextToken. INSERT, UPDATE and DELETE run
// as the single-item writes do (see partiql_plan.go).

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"hash/fnv"
	"strconv"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/partiql"
)

func init() {
	register("ExecuteStatement", opExecuteStatement)
	register("BatchExecuteStatement", opBatchExecuteStatement)
	register("ExecuteTransaction", opExecuteTransaction)
}

// PartiQL request limits.
const (
	pqlMaxStatement = 8192
	pqlMaxToken     = 32768
	pqlMaxBatch     = 25
	pqlMaxTxn       = 100
)

type pqlExecuteIn struct {
	Statement                           *string     `json:"Statement"`
	Parameters                          *itemAVList `json:"Parameters"`
	ConsistentRead                      *itemBool   `json:"ConsistentRead"`
	NextToken                           *string     `json:"NextToken"`
	ReturnConsumedCapacity              *string     `json:"ReturnConsumedCapacity"`
	Limit                               *int32      `json:"Limit"`
	ReturnValuesOnConditionCheckFailure *string     `json:"ReturnValuesOnConditionCheckFailure"`
}

// pqlCheckStatement records the constraints of a Statement member.
func pqlCheckStatement(c *checker, s *string, path string) {
	switch {
	case s == nil:
		c.fail(nil, path, cMustNotBeNull)
	case *s == "":
		c.fail(s, path, cLenMin1)
	case javaLen(*s) > pqlMaxStatement:
		c.fail(s, path, "Member must have length less than or equal to 8192")
	}
}

func pqlCheckParams(c *checker, p *itemAVList, path string) {
	if p != nil && len(*p) == 0 {
		c.fail("[]", path, cLenMin1)
	}
}

func pqlParams(p *itemAVList) []ddb.Value {
	if p == nil {
		return nil
	}
	return []ddb.Value(*p)
}

func opExecuteStatement(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in pqlExecuteIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	pqlCheckStatement(&c, in.Statement, "statement")
	pqlCheckParams(&c, in.Parameters, "parameters")
	if t := in.NextToken; t != nil {
		if *t == "" {
			c.fail(t, "nextToken", cLenMin1)
		} else if len(*t) > pqlMaxToken {
			c.fail(t, "nextToken", "Member must have length less than or equal to 32768")
		}
	}
	itemCheckReturnCapacity(&c, in.ReturnConsumedCapacity)
	qsCheckRange(&c, in.Limit, "limit", 1, 0)
	itemCheckReturnOnCondition(&c, in.ReturnValuesOnConditionCheckFailure)
	if err := c.err(); err != nil {
		return nil, err
	}
	consistent := in.ConsistentRead != nil && bool(*in.ConsistentRead)
	oldOnErr := in.ReturnValuesOnConditionCheckFailure != nil && *in.ReturnValuesOnConditionCheckFailure == "ALL_OLD"
	st, err := partiql.Parse(*in.Statement)
	if err != nil {
		return nil, err
	}
	if st.Kind == partiql.Exists {
		return nil, ddb.Validation(pqlMsgExistsOnlyTxn)
	}
	pl, err := n.pqlCompileParsed(st, pqlParams(in.Parameters), consistent, oldOnErr)
	if err != nil {
		return nil, err
	}
	if pl.isRead() {
		return n.pqlSelect(ctx, pl, *in.Statement, in.NextToken, in.Limit, in.ReturnConsumedCapacity)
	}
	res, err := n.pqlWrite(pl)
	if err != nil {
		return nil, err
	}
	o := newItemOut(64)
	o.field("Items")
	o.b = append(o.b, '[')
	if len(res.ret) > 0 {
		o.b = ddb.AppendItem(o.b, res.ret)
	}
	o.b = append(o.b, ']')
	if itemWantCapacity(in.ReturnConsumedCapacity) {
		units, ix := pl.writeUnits(res)
		o.capacity(in.ReturnConsumedCapacity, pl.table, units, ix...)
	}
	return o.done(), nil
}

// pqlToken is the content of a NextToken: the statement it continues (a
// hash), the partition reached (an index into the plan's partitions) and
// the last key evaluated there.
type pqlToken struct {
	H string        `json:"h"`
	P int           `json:"p"`
	K *ddb.ItemJSON `json:"k,omitempty"`
}

func pqlStatementHash(stmt string) string {
	h := fnv.New64a()
	h.Write([]byte(stmt))
	return strconv.FormatUint(h.Sum64(), 36)
}

// pqlPageOut is the part of a Query/Scan page response a SELECT uses.
type pqlPageOut struct {
	Items            []json.RawMessage `json:"Items"`
	ScannedCount     int               `json:"ScannedCount"`
	LastEvaluatedKey *ddb.ItemJSON     `json:"LastEvaluatedKey"`
	ConsumedCapacity *struct {
		CapacityUnits float64 `json:"CapacityUnits"`
	} `json:"ConsumedCapacity"`
}

// pqlSelect runs a SELECT page by page: the fixed partitions in order
// (or one scan), up to Limit items evaluated or 1 MB read.
func (n *Node) pqlSelect(ctx context.Context, pl *pqlPlan, stmt string, next *string, limit *int32, capacity *string) ([]byte, error) {
	tg, err := qsResolve(pl.t, pl.index, false)
	if err != nil {
		return nil, err
	}
	// A global index cannot reach outside its projection: the columns it
	// does not project are refused as Query refuses them, in statement
	// order (DynamoDB, PS executeStatementIndex).
	if err := tg.checkAllAttributes(nil, pl.paths); err != nil {
		return nil, err
	}
	hash := pqlStatementHash(stmt)
	part := 0
	var esk ddb.Item
	if next != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*next)
		var tok pqlToken
		if err != nil || json.Unmarshal(raw, &tok) != nil || tok.P < 0 {
			return nil, ddb.Validation(pqlMsgInvalidToken)
		}
		if tok.H != hash {
			return nil, ddb.Validation(pqlMsgTokenMismatch)
		}
		part = tok.P
		if tok.K != nil {
			esk = tok.K.Item
			if len(esk) != len(tg.keyNames) {
				return nil, ddb.Validation(pqlMsgInvalidToken)
			}
			for _, k := range tg.keyNames {
				if _, ok := esk[k]; !ok {
					return nil, ddb.Validation(pqlMsgInvalidToken)
				}
			}
		}
	}
	parts := 1
	if pl.hashFixed {
		parts = len(pl.hashVals)
		if pl.hashTuple {
			parts = 1
		}
	}
	remaining := int32(0)
	if limit != nil {
		remaining = *limit
	}
	out := []byte(`{"Items":[`)
	count := 0
	var units float64
	var lek ddb.Item
	for ; part < parts; part++ {
		var lo, hi []byte
		if pl.hashFixed {
			var prefix []byte
			if tg.ix == nil {
				prefix = partitionPrefix(pl.t.ID, pl.t.KeyHash, pl.hashVals[part])
			} else if pl.hashTuple {
				prefix = indexPartitionPrefix(indexPrefix(pl.t.ID, tg.ix.IndexName), pl.t.KeyHash, pl.hashVals...)
			} else {
				prefix = indexPartitionPrefix(indexPrefix(pl.t.ID, tg.ix.IndexName), pl.t.KeyHash, pl.hashVals[part])
			}
			lo, hi = qsQueryBounds(prefix, nil)
		} else {
			prefix := tg.prefix()
			lo, hi = prefix, prefixEnd(prefix)
		}
		if esk != nil {
			if after := qsAfter(tg.engineKey(esk)); string(after) > string(lo) {
				lo = after
			}
			esk = nil
		}
		var lim *int32
		if limit != nil {
			lim = &remaining
		}
		p := qsNewPage(ctx, n, tg, nil, pl.paths, pl.filter, pl.filterHead, pl.consistent, capacity, pl.table, lim)
		p.lo, p.hi = lo, hi
		body, err := p.run()
		if err != nil {
			return nil, err
		}
		var page pqlPageOut
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			if count > 0 {
				out = append(out, ',')
			}
			out = append(out, it...)
			count++
		}
		if page.ConsumedCapacity != nil {
			units += page.ConsumedCapacity.CapacityUnits
		}
		if page.LastEvaluatedKey != nil {
			lek = page.LastEvaluatedKey.Item
			break
		}
		if limit != nil {
			remaining -= int32(page.ScannedCount)
		}
	}
	out = append(out, ']')
	if lek != nil {
		tok, _ := json.Marshal(pqlToken{H: hash, P: part, K: &ddb.ItemJSON{Item: lek}})
		out = append(out, `,"NextToken":`...)
		out = ddb.AppendString(out, base64.RawURLEncoding.EncodeToString(tok))
		out = append(out, `,"LastEvaluatedKey":`...)
		out = ddb.AppendItem(out, lek)
	}
	if itemWantCapacity(capacity) {
		out = pqlAppendReadCapacity(out, capacity, pl.table, units)
	}
	return append(out, '}'), nil
}

// pqlAppendReadCapacity appends the ConsumedCapacity of a read.
func pqlAppendReadCapacity(out []byte, mode *string, table string, units float64) []byte {
	out = append(out, `,"ConsumedCapacity":{"TableName":`...)
	out = ddb.AppendString(out, table)
	out = append(out, `,"CapacityUnits":`...)
	out = itemAppendUnits(out, units)
	if *mode == "INDEXES" {
		out = append(out, `,"Table":{"CapacityUnits":`...)
		out = itemAppendUnits(out, units)
		out = append(out, '}')
	}
	return append(out, '}')
}
