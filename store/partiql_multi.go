package store

// BatchExecuteStatement (independent statements, an error per statement)
// and ExecuteTransaction (all statements or none, through mutateMany).

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/partiql"
)

// Messages of the multi-statement operations.
const (
	pqlMsgTxnMixed      = "ExecuteTransaction API does not support both read and write operations in the same request."
	pqlMsgBatchMixed    = "BatchExecuteStatement API does not support both read and write operations in the same request."
	pqlMsgTxnSameItem   = "Transaction request cannot include multiple operations on one item"
	pqlMsgTxnReturning  = "RETURNING is not supported in transactions"
	pqlMsgTxnValidation = "Validation failed in TransactStatements[%d]: %s"
)

type pqlBatchStatementIn struct {
	Statement                           *string     `json:"Statement"`
	Parameters                          *itemAVList `json:"Parameters"`
	ConsistentRead                      *itemBool   `json:"ConsistentRead"`
	ReturnValuesOnConditionCheckFailure *string     `json:"ReturnValuesOnConditionCheckFailure"`
}

type pqlBatchIn struct {
	Statements             []pqlBatchStatementIn `json:"Statements"`
	ReturnConsumedCapacity *string               `json:"ReturnConsumedCapacity"`
}

type pqlTxnStatementIn struct {
	Statement                           *string     `json:"Statement"`
	Parameters                          *itemAVList `json:"Parameters"`
	ReturnValuesOnConditionCheckFailure *string     `json:"ReturnValuesOnConditionCheckFailure"`
}

type pqlTxnIn struct {
	TransactStatements     []pqlTxnStatementIn `json:"TransactStatements"`
	ClientRequestToken     *string             `json:"ClientRequestToken"`
	ReturnConsumedCapacity *string             `json:"ReturnConsumedCapacity"`
}

// pqlStatementList renders statements as DynamoDB quotes a list member.
func pqlStatementList(stmts []*string) string {
	parts := make([]string, len(stmts))
	for i, s := range stmts {
		parts[i] = strOrNull(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// pqlErrorCode maps an operation error to a BatchStatementError code.
func pqlErrorCode(e *ddb.Error) string {
	switch e.Name() {
	case "ValidationException":
		return "ValidationError"
	case "ConditionalCheckFailedException":
		return "ConditionalCheckFailed"
	case "DuplicateItemException":
		return "DuplicateItem"
	case "ResourceNotFoundException":
		return "ResourceNotFound"
	case "TransactionConflictException":
		return "TransactionConflict"
	case "ItemCollectionSizeLimitExceededException":
		return "ItemCollectionSizeLimitExceeded"
	case "ProvisionedThroughputExceededException":
		return "ProvisionedThroughputExceeded"
	case "RequestLimitExceeded":
		return "RequestLimitExceeded"
	case "ThrottlingException":
		return "ThrottlingError"
	case "AccessDeniedException":
		return "AccessDenied"
	}
	return "InternalServerError"
}

// pqlCapacity adds up consumed capacity by table.
type pqlCapacity map[string]float64

func (c pqlCapacity) append(out []byte, mode *string) []byte {
	names := make([]string, 0, len(c))
	for k := range c {
		names = append(names, k)
	}
	sort.Strings(names)
	out = append(out, `,"ConsumedCapacity":[`...)
	for i, name := range names {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"TableName":`...)
		out = ddb.AppendString(out, name)
		out = append(out, `,"CapacityUnits":`...)
		out = itemAppendUnits(out, c[name])
		if *mode == "INDEXES" {
			out = append(out, `,"Table":{"CapacityUnits":`...)
			out = itemAppendUnits(out, c[name])
			out = append(out, '}')
		}
		out = append(out, '}')
	}
	return append(out, ']')
}

// ---------------------------------------------------------------------------
// BatchExecuteStatement

func opBatchExecuteStatement(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in pqlBatchIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	stmts := make([]*string, len(in.Statements))
	for i := range in.Statements {
		stmts[i] = in.Statements[i].Statement
	}
	switch {
	case in.Statements == nil:
		c.fail(nil, "statements", cMustNotBeNull)
	case len(in.Statements) < 1:
		c.fail(pqlStatementList(stmts), "statements", cLenMin1)
	case len(in.Statements) > pqlMaxBatch:
		c.fail(pqlStatementList(stmts), "statements", "Member must have length less than or equal to 25")
	}
	for i := range in.Statements {
		s := &in.Statements[i]
		p := "statements." + strconv.Itoa(i+1) + ".member"
		pqlCheckStatement(&c, s.Statement, p+".statement")
		pqlCheckParams(&c, s.Parameters, p+".parameters")
		itemCheckEnum(&c, s.ReturnValuesOnConditionCheckFailure, p+".returnValuesOnConditionCheckFailure", itemEnumReturnOnCondition, "ALL_OLD", "NONE")
	}
	itemCheckReturnCapacity(&c, in.ReturnConsumedCapacity)
	if err := c.err(); err != nil {
		return nil, err
	}

	type entry struct {
		pl  *pqlPlan
		err error
	}
	entries := make([]entry, len(in.Statements))
	reads, writes := 0, 0
	for i := range in.Statements {
		s := &in.Statements[i]
		consistent := s.ConsistentRead != nil && bool(*s.ConsistentRead)
		oldOnErr := s.ReturnValuesOnConditionCheckFailure != nil && *s.ReturnValuesOnConditionCheckFailure == "ALL_OLD"
		st, err := partiql.Parse(*s.Statement)
		if err == nil && st.Kind == partiql.Exists {
			err = ddb.Validation(pqlMsgExistsOnlyTxn)
		}
		if err != nil {
			entries[i].err = err
			continue
		}
		if st.Kind == partiql.Select {
			reads++
		} else {
			writes++
		}
		pl, err := n.pqlCompileParsed(st, pqlParams(s.Parameters), consistent, oldOnErr)
		if err == nil && pl.isRead() && !pl.fullKey {
			err = ddb.Validation(pqlMsgBatchGetKey)
		}
		entries[i] = entry{pl: pl, err: err}
	}
	if reads > 0 && writes > 0 {
		return nil, ddb.Validation(pqlMsgBatchMixed)
	}
	caps := pqlCapacity{}
	out := []byte(`{"Responses":[`)
	for i, e := range entries {
		if i > 0 {
			out = append(out, ',')
		}
		var item ddb.Item
		err := e.err
		if err == nil {
			if e.pl.isRead() {
				var size int
				var found bool
				item, size, found, err = n.pqlGet(e.pl)
				if err == nil {
					caps[e.pl.table] += itemReadUnits(size, found, e.pl.consistent)
				}
			} else {
				var res pqlResult
				res, err = n.pqlWrite(e.pl)
				if err == nil {
					item = res.ret // RETURNING is honoured in a batch too (issue 16)
					units, ix := e.pl.writeUnits(res)
					for _, x := range ix {
						units += x.units
					}
					caps[e.pl.table] += units
				}
			}
		}
		out = append(out, '{')
		switch {
		case err != nil:
			de, ok := ddb.AsError(err)
			if !ok {
				return nil, err
			}
			out = append(out, `"Error":{"Code":`...)
			out = ddb.AppendString(out, pqlErrorCode(de))
			out = append(out, `,"Message":`...)
			out = ddb.AppendString(out, de.Message)
			for _, f := range de.Extra {
				if f.Name == "Item" {
					out = append(out, `,"Item":`...)
					out = append(out, f.JSON...)
				}
			}
			out = append(out, '}')
			// A statement refused before it ran (e.err) names no table;
			// one that failed while running does (issue 16).
			if e.pl != nil && e.err == nil {
				out = append(out, `,"TableName":`...)
				out = ddb.AppendString(out, e.pl.table)
			}
		case item != nil:
			out = append(out, `"TableName":`...)
			out = ddb.AppendString(out, e.pl.table)
			out = append(out, `,"Item":`...)
			out = ddb.AppendItem(out, item)
		default:
			out = append(out, `"TableName":`...)
			out = ddb.AppendString(out, e.pl.table)
		}
		out = append(out, '}')
	}
	out = append(out, ']')
	if itemWantCapacity(in.ReturnConsumedCapacity) {
		out = caps.append(out, in.ReturnConsumedCapacity)
	}
	return append(out, '}'), nil
}

// pqlGet reads the item a full-key SELECT names, filtered by its WHERE
// and projected. item is nil when there is none (or it does not match).
func (n *Node) pqlGet(pl *pqlPlan) (item ddb.Item, size int, found bool, err error) {
	pk, sk, err := pl.t.keyValues(pl.key, true)
	if err != nil {
		return nil, 0, false, err
	}
	it, size, found, err := n.getItem(pl.t.engineKey(pk, sk))
	if err != nil || !found {
		return nil, size, found, err
	}
	if pl.filter != nil && !pqlEval(pl, it) {
		return nil, size, found, nil
	}
	if pl.paths != nil {
		it = pqlProject(it, pl)
	}
	return it, size, found, nil
}

// ---------------------------------------------------------------------------
// ExecuteTransaction

// pqlTxnStatementError prefixes a statement's validation error with its
// position, as DynamoDB reports them.
func pqlTxnStatementError(i int, err error) error {
	de, ok := ddb.AsError(err)
	if !ok || de.Name() != "ValidationException" {
		return err
	}
	return ddb.Validationf(pqlMsgTxnValidation, i, de.Message)
}

func opExecuteTransaction(n *Node, ctx context.Context, req *wire.Request) (out []byte, err error) {
	var in pqlTxnIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	stmts := make([]*string, len(in.TransactStatements))
	for i := range in.TransactStatements {
		stmts[i] = in.TransactStatements[i].Statement
	}
	switch {
	case in.TransactStatements == nil:
		c.fail(nil, "transactStatements", cMustNotBeNull)
	case len(in.TransactStatements) < 1:
		c.fail(pqlStatementList(stmts), "transactStatements", cLenMin1)
	case len(in.TransactStatements) > pqlMaxTxn:
		c.fail(pqlStatementList(stmts), "transactStatements", "Member must have length less than or equal to 100")
	}
	for i := range in.TransactStatements {
		s := &in.TransactStatements[i]
		p := "transactStatements." + strconv.Itoa(i+1) + ".member"
		pqlCheckStatement(&c, s.Statement, p+".statement")
		pqlCheckParams(&c, s.Parameters, p+".parameters")
		itemCheckEnum(&c, s.ReturnValuesOnConditionCheckFailure, p+".returnValuesOnConditionCheckFailure", itemEnumReturnOnCondition, "ALL_OLD", "NONE")
	}
	if t := in.ClientRequestToken; t != nil {
		if *t == "" {
			c.fail(t, "clientRequestToken", cLenMin1)
		} else if len(*t) > 36 {
			c.fail(t, "clientRequestToken", "Member must have length less than or equal to 36")
		}
	}
	itemCheckReturnCapacity(&c, in.ReturnConsumedCapacity)
	if err := c.err(); err != nil {
		return nil, err
	}

	// Parse everything first, then compile: syntax errors come before
	// anything that needs the tables.
	sts := make([]*partiql.Statement, len(in.TransactStatements))
	reads, writes := 0, 0
	for i := range in.TransactStatements {
		st, err := partiql.Parse(*in.TransactStatements[i].Statement)
		if err != nil {
			return nil, pqlTxnStatementError(i, err)
		}
		if st.Returning != partiql.ReturnNone {
			return nil, ddb.Validationf(pqlMsgTxnValidation, i, pqlMsgTxnReturning)
		}
		if st.Kind == partiql.Select {
			reads++
		} else {
			writes++
		}
		sts[i] = st
	}
	if reads > 0 && writes > 0 {
		return nil, ddb.Validation(pqlMsgTxnMixed)
	}
	plans := make([]*pqlPlan, len(sts))
	for i, st := range sts {
		s := &in.TransactStatements[i]
		oldOnErr := s.ReturnValuesOnConditionCheckFailure != nil && *s.ReturnValuesOnConditionCheckFailure == "ALL_OLD"
		if st.Kind == partiql.Select && st.Index != "" {
			return nil, ddb.Validationf(pqlMsgTxnValidation, i, pqlMsgTxnIndex)
		}
		pl, err := n.pqlCompileParsed(st, pqlParams(s.Parameters), true, oldOnErr)
		if err != nil {
			return nil, pqlTxnStatementError(i, err)
		}
		if pl.isRead() && !pl.fullKey {
			return nil, ddb.Validationf(pqlMsgTxnValidation, i, pqlMsgTxnGetKey)
		}
		plans[i] = pl
	}
	if reads > 0 {
		return n.pqlTxnRead(plans, in.ReturnConsumedCapacity)
	}
	tok := in.ClientRequestToken
	if tok == nil {
		return n.pqlTxnWrite(plans, in.ReturnConsumedCapacity)
	}
	// ClientRequestToken: the idempotency of TransactWriteItems.
	d := newDigester()
	for i := range in.TransactStatements {
		s := &in.TransactStatements[i]
		d.str(*s.Statement)
		params := pqlParams(s.Parameters)
		d.count(len(params))
		for _, v := range params {
			d.value(v)
		}
		d.optStr(s.ReturnValuesOnConditionCheckFailure)
	}
	idem := n.idempotency()
	switch idem.begin(*tok, d.sum(), n.opts.Now()) {
	case idemReplay:
		return []byte(`{"Responses":[]}`), nil
	case idemMismatch:
		return nil, errIdempotentMismatch()
	case idemInProgress:
		return nil, errTransactionInProgress()
	}
	out, err = n.pqlTxnWrite(plans, in.ReturnConsumedCapacity)
	idem.finish(*tok, err == nil, n.opts.Now())
	return out, err
}

// pqlTxnRead reads every item of a read transaction under the items'
// locks, so the reads see one consistent state.
func (n *Node) pqlTxnRead(plans []*pqlPlan, capacity *string) ([]byte, error) {
	keys := make([][]byte, len(plans))
	for i, pl := range plans {
		pk, sk, err := pl.t.keyValues(pl.key, true)
		if err != nil {
			return nil, pqlTxnStatementError(i, err)
		}
		keys[i] = pl.t.engineKey(pk, sk)
	}
	for i, k := range keys {
		if n.marks.marked(k) {
			reasons := make([]txReason, len(plans))
			reasons[i] = txReason{code: txCodeConflict, msg: msgTxnOngoing}
			return nil, txCanceled(reasons)
		}
	}
	unlock := n.locks.lockAll(keys)
	defer unlock()
	caps := pqlCapacity{}
	out := []byte(`{"Responses":[`)
	for i, pl := range plans {
		if i > 0 {
			out = append(out, ',')
		}
		it, size, found, err := n.getItem(keys[i])
		if err != nil {
			return nil, err
		}
		caps[pl.table] += 2 * itemReadUnits(size, found, true)
		if found && (pl.filter == nil || pqlEval(pl, it)) {
			if pl.paths != nil {
				it = pqlProject(it, pl)
			}
			out = append(out, `{"Item":`...)
			out = ddb.AppendItem(out, it)
			out = append(out, '}')
		} else {
			out = append(out, "{}"...)
		}
	}
	out = append(out, ']')
	if itemWantCapacity(capacity) {
		out = caps.append(out, capacity)
	}
	return append(out, '}'), nil
}

// pqlTxnWrite applies a write transaction atomically.
func (n *Node) pqlTxnWrite(plans []*pqlPlan, capacity *string) ([]byte, error) {
	targets := make([]multiTarget, len(plans))
	seen := map[string]bool{}
	for i, pl := range plans {
		if seen[string(pl.ekey)] {
			return nil, ddb.Validation(pqlMsgTxnSameItem)
		}
		seen[string(pl.ekey)] = true
		targets[i] = multiTarget{table: pl.t, key: pl.ekey}
	}
	results := make([]pqlResult, len(plans))
	reasons := make([]txReason, len(plans))
	err := n.mutateMany(targets, true, CausePartiQL, func(cur []multiState) ([]mutation, error) {
		ms := make([]mutation, len(plans))
		for i, pl := range plans {
			m, res, err := pl.decide(cur[i].item, cur[i].size)
			if err == nil {
				ms[i], results[i] = m, res
				continue
			}
			de, ok := ddb.AsError(err)
			if !ok {
				return nil, err
			}
			switch de.Name() {
			case "ConditionalCheckFailedException":
				reasons[i] = txReason{code: txCodeCondition, msg: txMsgCondition}
				if pl.oldOnErr && cur[i].item != nil {
					reasons[i].item = cur[i].item
				}
			case "DuplicateItemException":
				reasons[i] = txReason{code: "DuplicateItem", msg: pqlMsgDuplicateItem}
			default:
				r, ok := reasonOf(err)
				if !ok {
					return nil, err
				}
				reasons[i] = r
			}
		}
		if anyReason(reasons) {
			return nil, txCanceled(reasons)
		}
		return ms, nil
	})
	if err != nil {
		var ce *conflictError
		if errors.As(err, &ce) {
			reasons[ce.index] = txReason{code: txCodeConflict, msg: msgTxnOngoing}
			return nil, txCanceled(reasons)
		}
		return nil, err
	}
	out := []byte(`{"Responses":[]`)
	if itemWantCapacity(capacity) {
		caps := pqlCapacity{}
		for i, pl := range plans {
			units, ix := pl.writeUnits(results[i])
			if pl.st.Kind == partiql.Exists {
				units = itemReadUnits(results[i].oldSize, results[i].old != nil, true)
				ix = nil
			}
			for _, x := range ix {
				units += x.units
			}
			caps[pl.table] += 2 * units
		}
		out = caps.append(out, capacity)
	}
	return append(out, '}'), nil
}
