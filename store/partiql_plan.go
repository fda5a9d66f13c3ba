package store

// Compilation of a parsed PartiQL statement (package partiql) into what
// the single-item operations and Query/Scan execute: the table, the key,
// a condition, an update, an item, projection paths. Conditions and
// updates are rendered as expression text with placeholders and parsed by
// package expr, so PartiQL statements evaluate exactly as the equivalent
// ConditionExpression / UpdateExpression would.

import (
	"strings"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/expr"
	"github.com/dynax/dynax/partiql"
)

// PartiQL messages, verbatim from DynamoDB.
const (
	pqlMsgExistsOnlyTxn  = "EXISTS can only be used in ExecuteTransaction write requests."
	pqlMsgExistsForm     = "EXISTS() must contain a single item read with additional condition"
	pqlMsgIndexOp        = "This operation is not supported on an index"
	pqlMsgGSIConsistent  = "Strongly consistent read is not supported on Global Secondary Indexes"
	pqlMsgMultiCondKey   = "Multiple conditions on same key %s. Only single item Update/Insert/Delete are supported"
	pqlMsgDuplicateItem  = "Duplicate primary key exists in table"
	pqlMsgTableName      = "Table name should be within the length [3, 255] and only contain 'a-z', 'A-Z', '0-9', '-', '_', '.'."
	pqlMsgTxnGetKey      = "Select statements within ExecuteTransaction must specify the primary key in the where clause."
	pqlMsgBatchGetKey    = "Select statements within BatchExecuteStatement must specify the primary key in the where clause."
	pqlMsgTxnIndex       = "Reads on indices are not supported within transactions."
	pqlMsgTxnIndexWrite  = "Operations on indices are not supported in transactions"
	pqlMsgDeleteReturn   = "Invalid returning clause: RETURNING %s. Only RETURNING ALL OLD * is allowed in DELETE statements."
	pqlMsgInvalidToken   = "Invalid NextToken"
	pqlMsgTokenMismatch  = "NextToken does not match request"
	pqlMsgUnsupportedFmt = "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement."
)

// pqlDuplicateItem is DuplicateItemException.
func pqlDuplicateItem() *ddb.Error {
	return &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "DuplicateItemException", Message: pqlMsgDuplicateItem}
}

// pqlPlan is a compiled statement.
type pqlPlan struct {
	st    *partiql.Statement
	t     *Table
	table string // the table name as written

	// Writes (and EXISTS): the item's key and engine key, the write's
	// condition (nil: none), the update, the inserted item.
	key      ddb.Item
	pk, sk   ddb.Value
	ekey     []byte
	cond     expr.Cond
	upd      *expr.Update
	item     ddb.Item
	size     int
	rv       string // ReturnValues of the RETURNING clause
	oldOnErr bool

	// Reads.
	index      *string
	paths      []expr.Path // nil: whole items
	filter     expr.Cond   // the whole WHERE (nil: none)
	filterHead []string
	hashVals   []ddb.Value // partitions to query; nil: scan
	hashFixed  bool        // a partition key condition was found (hashVals may be empty)
	hashTuple  bool        // hashVals is the one partition of a multi-attribute key
	fullKey    bool        // the WHERE fixes the table's whole primary key (GetItem form)
	consistent bool
}

// isRead reports whether the plan reads (SELECT).
func (pl *pqlPlan) isRead() bool { return pl.st.Kind == partiql.Select }

// pqlStripPrefix turns an expression error into PartiQL's wording: the
// message without the "Invalid ConditionExpression: " prefix.
func pqlStripPrefix(err error) error {
	de, ok := ddb.AsError(err)
	if !ok {
		return err
	}
	for _, p := range [...]string{"Invalid ConditionExpression: ", "Invalid UpdateExpression: ", "Invalid ProjectionExpression: "} {
		if m, ok := strings.CutPrefix(de.Message, p); ok {
			return ddb.Validation(m)
		}
	}
	return err
}

func (n *Node) pqlCompileParsed(st *partiql.Statement, params []ddb.Value, consistent, oldOnErr bool) (*pqlPlan, error) {
	if len(params) < st.Params {
		return nil, ddb.Validation(partiql.MsgParamCount)
	}
	pl := &pqlPlan{st: st, table: st.Table, consistent: consistent, oldOnErr: oldOnErr}
	if !validName(st.Table) || javaLen(st.Table) < 3 || javaLen(st.Table) > 255 {
		return nil, ddb.Validation(pqlMsgTableName)
	}
	// Statement-level checks that need no table.
	switch st.Kind {
	case partiql.Update, partiql.Delete:
		if st.Where == nil {
			return nil, ddb.Validation(partiql.MsgIncompleteKey)
		}
		if st.Kind == partiql.Delete && st.Returning != partiql.ReturnNone && st.Returning != partiql.ReturnAllOld {
			return nil, ddb.Validationf(pqlMsgDeleteReturn, strings.TrimSuffix(st.Returning.String(), " *"))
		}
	case partiql.Insert:
		switch st.Value.(type) {
		case *partiql.Tuple, *partiql.Param:
		default:
			return nil, ddb.Validation(pqlMsgUnsupportedFmt)
		}
	}
	t, err := n.itemTable(st.Table)
	if err != nil {
		return nil, err
	}
	pl.t = t
	b := partiql.NewBuilder(params)
	switch st.Kind {
	case partiql.Select:
		err = pl.compileSelect(b)
	case partiql.Insert:
		err = pl.compileInsert(params)
	case partiql.Update, partiql.Delete, partiql.Exists:
		err = pl.compileKeyed(b)
	}
	if err != nil {
		return nil, err
	}
	pl.rv = st.Returning.ReturnValues()
	return pl, nil
}

// compileSelect prepares a SELECT: target, projection, filter and the
// partitions its WHERE fixes.
func (pl *pqlPlan) compileSelect(b *partiql.Builder) error {
	st, t := pl.st, pl.t
	if st.Index != "" {
		_, global, ok := t.Index(st.Index)
		if !ok {
			// ExecuteStatement does not name the index, unlike Query and
			// Scan (paritysuite/dynamodb-conformance error-messages/indexReads).
			return ddb.Validation(strings.TrimSuffix(qsMsgNoIndex, ": "))
		}
		if global && pl.consistent {
			return ddb.Validation(pqlMsgGSIConsistent)
		}
		pl.index = &st.Index
	}
	var projText, condText string
	if st.Projection != nil {
		parts := make([]string, len(st.Projection))
		for i, p := range st.Projection {
			parts[i] = b.Path(p)
		}
		projText = strings.Join(parts, ", ")
	}
	if st.Where != nil {
		var err error
		if condText, err = b.Cond(st.Where); err != nil {
			return err
		}
	}
	attrs := expr.NewAttrs(b.Names, b.Values)
	if projText != "" {
		paths, err := expr.ParseProjection(projText, attrs)
		if err != nil {
			return pqlStripPrefix(err)
		}
		pl.paths = paths
	}
	if condText != "" {
		c, err := expr.ParseCondition(condText, "ConditionExpression", attrs)
		if err != nil {
			return pqlStripPrefix(err)
		}
		pl.filter = c
		pl.filterHead = qsHeads(expr.CondPaths(c))
	}
	// The partition key of the target: = or IN in the top-level AND.
	tg, err := qsResolve(t, pl.index, false)
	if err != nil {
		return err
	}
	hk := tg.keys[0]
	conj := partiql.Conjuncts(st.Where)
	if tg.nhash > 1 {
		return pl.planTuple(tg, conj, b.Params)
	}
	for _, term := range conj {
		var vals []partiql.Expr
		if name, v, ok := partiql.Equality(term); ok && name == hk.name {
			vals = []partiql.Expr{v}
		} else if name, vs, ok := partiql.InList(term); ok && name == hk.name {
			vals = vs
		} else {
			continue
		}
		pl.hashFixed = true
		for _, ve := range vals {
			v, _, err := partiql.Value(ve, b.Params)
			if err != nil {
				return err
			}
			if v.T != hk.typ || v.T == ddb.TypeS && v.S == "" || v.T == ddb.TypeB && len(v.B) == 0 {
				continue // no item can match
			}
			dup := false
			for _, w := range pl.hashVals {
				dup = dup || ddb.Equal(v, w)
			}
			if !dup {
				pl.hashVals = append(pl.hashVals, v)
			}
		}
		break
	}
	// Whole primary key fixed by equalities (the form batches and
	// transactions read with).
	if pl.index == nil {
		if key, _, ok, err := pqlKeyOf(t, conj, b.Params); err == nil && ok {
			pl.key = key
			pl.fullKey = true
		}
	}
	return nil
}

// pqlKeyOf finds the equalities on the table's key attributes among the
// top-level AND terms: the key item, the remaining terms, and whether all
// key attributes were found.
func pqlKeyOf(t *Table, conj []partiql.Expr, params []ddb.Value) (ddb.Item, []partiql.Expr, bool, error) {
	names := []string{}
	if hn, _ := t.HashKey(); hn != "" {
		names = append(names, hn)
	}
	if rn, _ := t.RangeKey(); rn != "" {
		names = append(names, rn)
	}
	key := ddb.Item{}
	var rest []partiql.Expr
	for _, term := range conj {
		name, ve, ok := partiql.Equality(term)
		isKey := false
		for _, k := range names {
			isKey = isKey || ok && k == name
		}
		if !isKey {
			rest = append(rest, term)
			continue
		}
		if _, dup := key[name]; dup {
			return nil, nil, false, ddb.Validationf(pqlMsgMultiCondKey, name)
		}
		v, _, err := partiql.Value(ve, params)
		if err != nil {
			return nil, nil, false, err
		}
		key[name] = v
	}
	return key, rest, len(key) == len(names), nil
}

// compileKeyed prepares an UPDATE, DELETE or EXISTS: the key from the
// WHERE's equalities, the rest of the WHERE as the write's condition.
func (pl *pqlPlan) compileKeyed(b *partiql.Builder) error {
	st, t := pl.st, pl.t
	if st.Kind == partiql.Exists && st.Index != "" {
		return ddb.Validation(pqlMsgTxnIndexWrite)
	}
	if st.Index != "" {
		// UPDATE and DELETE through "table"."index" (PS
		// executeStatementIndex: refused semantically, unlike INSERT).
		return ddb.Validation(pqlMsgIndexOp)
	}
	key, rest, ok, err := pqlKeyOf(t, partiql.Conjuncts(st.Where), b.Params)
	if err != nil {
		return err
	}
	if !ok {
		if st.Kind == partiql.Exists {
			return ddb.Validation(pqlMsgExistsForm)
		}
		return ddb.Validation(partiql.MsgIncompleteKey)
	}
	if st.Kind == partiql.Exists && len(rest) == 0 {
		return ddb.Validation(pqlMsgExistsForm)
	}
	hn, _ := t.HashKey()
	var condText, updText string
	if len(rest) > 0 {
		if condText, err = b.Cond(partiql.And(rest)); err != nil {
			return err
		}
	}
	switch st.Kind {
	case partiql.Update:
		if updText, err = b.Update(st.Actions); err != nil {
			return err
		}
		// An UPDATE changes an existing item only.
		exists := "attribute_exists(" + b.Path(&partiql.Path{Steps: []partiql.Step{{Name: hn}}}) + ")"
		if condText == "" {
			condText = exists
		} else {
			condText = exists + " AND " + condText
		}
	case partiql.Delete:
		// A DELETE of a missing item succeeds whatever the condition.
		if condText != "" {
			condText = "(attribute_not_exists(" + b.Path(&partiql.Path{Steps: []partiql.Step{{Name: hn}}}) + ") OR " + condText + ")"
		}
	}
	attrs := expr.NewAttrs(b.Names, b.Values)
	if updText != "" {
		if pl.upd, err = expr.ParseUpdate(updText, attrs); err != nil {
			return pqlStripPrefix(err)
		}
	}
	if condText != "" {
		if pl.cond, err = expr.ParseCondition(condText, "ConditionExpression", attrs); err != nil {
			return pqlStripPrefix(err)
		}
	}
	if err := itemValueProblem(key, ddb.LayerOlder); err != nil {
		return err
	}
	if pl.pk, pl.sk, err = t.keyValues(key, true); err != nil {
		return err
	}
	pl.key = key
	pl.ekey = t.engineKey(pl.pk, pl.sk)
	if pl.upd != nil {
		if err := t.itemCheckUpdatePaths(pl.upd.Paths()); err != nil {
			return err
		}
	}
	return nil
}

// compileInsert prepares an INSERT: the item, validated as PutItem's.
func (pl *pqlPlan) compileInsert(params []ddb.Value) error {
	v, _, err := partiql.Value(pl.st.Value, params)
	if err != nil {
		return err
	}
	if v.T != ddb.TypeM {
		return ddb.Validation(pqlMsgUnsupportedFmt)
	}
	pl.item = v.M
	if err := itemValueProblem(pl.item, ddb.LayerOlder); err != nil {
		return err
	}
	if pl.pk, pl.sk, err = pl.t.keyValues(pl.item, false); err != nil {
		return err
	}
	if err := pl.t.itemCheckIndexKeys(pl.item); err != nil {
		return err
	}
	pl.size = ddb.ItemSize(pl.item)
	if pl.size > ddb.MaxItemSize {
		return ddb.Validation(itemMsgItemTooLarge)
	}
	pl.ekey = pl.t.engineKey(pl.pk, pl.sk)
	return nil
}

// pqlResult is what a write did.
type pqlResult struct {
	old, cur         ddb.Item
	oldSize, newSize int
	ret              ddb.Item // the RETURNING item (nil: none)
}

// decide applies a write (or checks an EXISTS) against the item's current
// state, as the equivalent single-item operation would.
func (pl *pqlPlan) decide(cur ddb.Item, curSize int) (mutation, pqlResult, error) {
	res := pqlResult{old: cur, oldSize: curSize, cur: cur, newSize: curSize}
	switch pl.st.Kind {
	case partiql.Insert:
		if cur != nil {
			return mutation{}, res, pqlDuplicateItem()
		}
		res.cur, res.newSize = pl.item, pl.size
		return mutation{put: pl.item, putSize: pl.size}, res, nil
	case partiql.Exists:
		if !expr.Eval(pl.cond, itemOrEmpty(cur)) {
			return mutation{}, res, itemConditionFailed(cur, pl.oldOnErr)
		}
		return mutation{}, res, nil
	case partiql.Delete:
		if pl.cond != nil && !expr.Eval(pl.cond, itemOrEmpty(cur)) {
			return mutation{}, res, itemConditionFailed(cur, pl.oldOnErr)
		}
		res.cur, res.newSize = nil, 0
		if pl.rv == "ALL_OLD" {
			res.ret = cur
		}
		return mutation{del: true}, res, nil
	}
	// UPDATE.
	if !expr.Eval(pl.cond, itemOrEmpty(cur)) {
		return mutation{}, res, itemConditionFailed(cur, pl.oldOnErr)
	}
	next, err := pl.upd.Apply(cur)
	if err != nil {
		return mutation{}, res, err
	}
	for k, v := range pl.key {
		next[k] = v
	}
	size := ddb.ItemSize(next)
	if size > ddb.MaxItemSize {
		return mutation{}, res, ddb.Validation(itemMsgUpdateTooLarge)
	}
	if err := pl.t.itemCheckIndexKeys(next); err != nil {
		return mutation{}, res, err
	}
	res.cur, res.newSize = next, size
	switch pl.rv {
	case "ALL_OLD":
		res.ret = cur
	case "ALL_NEW":
		res.ret = next
	case "UPDATED_OLD":
		res.ret = expr.Project(cur, pl.upd.Paths())
	case "UPDATED_NEW":
		res.ret = expr.Project(next, pl.upd.Paths())
	}
	return mutation{put: next, putSize: size}, res, nil
}

// write runs a write statement on its own.
func (n *Node) pqlWrite(pl *pqlPlan) (pqlResult, error) {
	var res pqlResult
	err := n.mutate(pl.t, pl.ekey, CausePartiQL, func(cur ddb.Item, curSize int) (mutation, error) {
		m, r, err := pl.decide(cur, curSize)
		res = r
		return m, err
	})
	return res, err
}

// writeUnits is the write capacity a write consumed.
func (pl *pqlPlan) writeUnits(res pqlResult) (float64, []itemIndexCost) {
	return itemWriteUnits(res.oldSize, res.newSize), pl.t.itemIndexCosts(res.old, res.cur)
}

// pqlEval evaluates a read's WHERE on an item.
func pqlEval(pl *pqlPlan, it ddb.Item) bool { return expr.Eval(pl.filter, it) }

// pqlProject applies a read's projection.
func pqlProject(it ddb.Item, pl *pqlPlan) ddb.Item { return expr.Project(it, pl.paths) }
