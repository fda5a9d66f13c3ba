package store

// TransactWriteItems: up to 100 Put, Update, Delete and ConditionCheck
// actions over any tables, applied all together or not at all.
//
// Validation runs in DynamoDB's order:
//
//  1. JSON shape (SerializationException).
//  2. Member constraints, reported together: ClientRequestToken (1..36),
//     ReturnConsumedCapacity, ReturnItemCollectionMetrics, TransactItems
//     (1..100), then each action's members (TableName, Key/Item, the
//     required expression, ReturnValuesOnConditionCheckFailure).
//  3. Per action in request order: exactly one of the four kinds, the
//     expression/placeholder rules, attribute values, item size, the
//     expressions themselves (syntax, undefined and unused placeholders).
//     So a bad expression in a later action wins over a missing table in
//     an earlier one.
//  4. The 4 MB aggregate size.
//  5. Per action in request order: table lookup (ResourceNotFoundException),
//     key values (an empty or too long key value is a ValidationException),
//     key paths of updates, and duplicate targets ("Transaction request
//     cannot include multiple operations on one item"). A key that does not
//     fit the schema (missing, mistyped, extra attributes) and a mistyped
//     index key of a Put are not request errors: they cancel the
//     transaction with a ValidationError reason for that action.
//  6. The ClientRequestToken (idempotency.go).
//  7. Execution under mutateMany(txn=true): the keys are marked as held by
//     the transaction (a key held by another transaction cancels it with a
//     TransactionConflict reason; single-item writes to a held key fail
//     with TransactionConflictException), locked, re-read; every condition
//     is evaluated and every update applied, and any failure cancels the
//     whole transaction with one reason per action in request order (None
//     for the actions that would have succeeded). Otherwise one engine
//     batch commits all writes and their index entries.
//
// Capacity: each action costs twice a normal write of its item (write
// units of the larger of the old and new item, index writes included);
// ConditionCheck is charged like a write of the item it reads. The
// figures come with WriteCapacityUnits (ReadCapacityUnits for an
// idempotent replay, which only reads).

import (
	"context"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/expr"
)

func init() { register("TransactWriteItems", opTransactWriteItems) }

const (
	// txMaxActions is the number of actions or gets of one transaction.
	txMaxActions = 100
	// txMaxBytes bounds the aggregate size of a transaction's items.
	txMaxBytes = 4 << 20
	// txFactor is the capacity multiplier of transactional reads and writes.
	txFactor = 2
)

type txWriteIn struct {
	TransactItems               []*txWriteItemIn `json:"TransactItems"`
	ClientRequestToken          *string          `json:"ClientRequestToken"`
	ReturnConsumedCapacity      *string          `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics *string          `json:"ReturnItemCollectionMetrics"`
}

type txWriteItemIn struct {
	ConditionCheck *txActionIn `json:"ConditionCheck"`
	Put            *txActionIn `json:"Put"`
	Delete         *txActionIn `json:"Delete"`
	Update         *txActionIn `json:"Update"`
}

// txActionIn holds the members of all four action shapes; each kind reads
// its own.
type txActionIn struct {
	TableName                           *string           `json:"TableName"`
	Key                                 *ddb.ItemJSON     `json:"Key"`
	Item                                *ddb.ItemJSON     `json:"Item"`
	UpdateExpression                    *string           `json:"UpdateExpression"`
	ConditionExpression                 *string           `json:"ConditionExpression"`
	ExpressionAttributeNames            map[string]string `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues           *ddb.ItemJSON     `json:"ExpressionAttributeValues"`
	ReturnValuesOnConditionCheckFailure *string           `json:"ReturnValuesOnConditionCheckFailure"`
}

// Action kinds.
const (
	txCheck byte = 'C'
	txPut   byte = 'P'
	txDel   byte = 'D'
	txUpd   byte = 'U'
)

// txAction is one validated action.
type txAction struct {
	kind     byte
	in       *txActionIn
	name     string // TableName as requested
	item     ddb.Item
	size     int
	key      ddb.Item // Update/Delete/ConditionCheck: the Key
	cond     expr.Cond
	upd      *expr.Update
	oldOnErr bool

	t      *Table
	pk     ddb.Value
	ekey   []byte
	reason txReason // set when the action cannot run (schema mismatch)

	// outcome
	old     ddb.Item
	oldSize int
	new     ddb.Item
	newSize int
}

// txWriteRequest is a validated TransactWriteItems.
type txWriteRequest struct {
	in      txWriteIn
	actions []*txAction
}

// kindOf returns the single action of it, or ok=false when it holds none
// or several.
func (it *txWriteItemIn) kindOf() (byte, *txActionIn, string, bool) {
	var kind byte
	var a *txActionIn
	var member string
	n := 0
	if it.ConditionCheck != nil {
		kind, a, member = txCheck, it.ConditionCheck, "conditionCheck"
		n++
	}
	if it.Put != nil {
		kind, a, member = txPut, it.Put, "put"
		n++
	}
	if it.Delete != nil {
		kind, a, member = txDel, it.Delete, "delete"
		n++
	}
	if it.Update != nil {
		kind, a, member = txUpd, it.Update, "update"
		n++
	}
	return kind, a, member, n == 1
}

// parseTransactWrite decodes and validates a TransactWriteItems body up to
// (not including) the table lookups.
func parseTransactWrite(body []byte) (*txWriteRequest, error) {
	r := &txWriteRequest{}
	in := &r.in
	if err := decode(body, in); err != nil {
		return nil, err
	}
	var c checker
	if tok := in.ClientRequestToken; tok != nil {
		if javaLen(*tok) < 1 {
			c.fail(tok, "clientRequestToken", "Member must have length greater than or equal to 1")
		}
		if javaLen(*tok) > 36 {
			c.fail(tok, "clientRequestToken", "Member must have length less than or equal to 36")
		}
	}
	itemCheckReturnCapacity(&c, in.ReturnConsumedCapacity)
	itemCheckReturnMetrics(&c, in.ReturnItemCollectionMetrics)
	switch {
	case in.TransactItems == nil:
		c.fail(nil, "transactItems", cMustNotBeNull)
	case len(in.TransactItems) == 0:
		c.fail("[]", "transactItems", "Member must have length greater than or equal to 1")
	case len(in.TransactItems) > txMaxActions:
		c.fail(renderAt(body, "TransactItems"), "transactItems", "Member must have length less than or equal to 100")
	default:
		for i, it := range in.TransactItems {
			if it == nil {
				c.fail(nil, memberPath("transactItems", i), cMustNotBeNull)
				continue
			}
			kind, a, member, ok := it.kindOf()
			if !ok {
				continue // reported by the custom checks
			}
			c.checkTableName(memberPath("transactItems", i, member, "tableName"), a.TableName)
			switch kind {
			case txPut:
				if a.Item == nil {
					c.fail(nil, memberPath("transactItems", i, member, "item"), cMustNotBeNull)
				}
			default:
				if a.Key == nil {
					c.fail(nil, memberPath("transactItems", i, member, "key"), cMustNotBeNull)
				}
			}
			switch kind {
			case txCheck:
				if a.ConditionExpression == nil {
					c.fail(nil, memberPath("transactItems", i, member, "conditionExpression"), cMustNotBeNull)
				}
			case txUpd:
				if a.UpdateExpression == nil {
					c.fail(nil, memberPath("transactItems", i, member, "updateExpression"), cMustNotBeNull)
				}
			}
			itemCheckEnum(&c, a.ReturnValuesOnConditionCheckFailure,
				memberPath("transactItems", i, member, "returnValuesOnConditionCheckFailure"), itemEnumReturnOnCondition, "ALL_OLD", "NONE")
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}

	r.actions = make([]*txAction, len(in.TransactItems))
	total := 0
	for i, it := range in.TransactItems {
		kind, a, _, ok := it.kindOf()
		if !ok {
			return nil, ddb.Validation("TransactItems can only contain one of Check, Put, Update or Delete")
		}
		act, err := parseTxAction(kind, a)
		if err != nil {
			return nil, err
		}
		r.actions[i] = act
		if kind == txPut {
			total += act.size
		} else {
			total += ddb.ItemSize(act.key)
		}
	}
	if total > txMaxBytes {
		return nil, ddb.Validation("Collection size of items exceeded, which can also be caused by the aggregate size of the items in the transaction exceeding the 4MB limit")
	}
	return r, nil
}

// parseTxAction applies the custom checks of one action and parses its
// expressions.
func parseTxAction(kind byte, a *txActionIn) (*txAction, error) {
	act := &txAction{kind: kind, in: a, name: *a.TableName}
	cond := itemParam{"ConditionExpression", a.ConditionExpression != nil}
	exprs := []itemParam{cond}
	if kind == txUpd {
		exprs = []itemParam{{"UpdateExpression", a.UpdateExpression != nil}, cond}
	}
	if err := itemCheckExprParams(exprs, nil, exprs, a.ExpressionAttributeNames != nil, a.ExpressionAttributeValues != nil); err != nil {
		return nil, err
	}
	if kind == txPut {
		act.item = a.Item.Item
		if err := itemValueProblem(act.item, ddb.LayerOlder); err != nil {
			return nil, err
		}
		act.size = ddb.ItemSize(act.item)
		if act.size > ddb.MaxItemSize {
			return nil, ddb.Validation(itemMsgItemTooLarge)
		}
	} else {
		act.key = a.Key.Item
		if err := itemValueProblem(act.key, ddb.LayerOlder); err != nil {
			return nil, err
		}
	}
	if a.ConditionExpression != nil || a.UpdateExpression != nil || a.ExpressionAttributeNames != nil || a.ExpressionAttributeValues != nil {
		var upd *string
		if kind == txUpd {
			upd = a.UpdateExpression
		}
		ex, err := itemParseExprs(a.ExpressionAttributeNames, itemJSONItem(a.ExpressionAttributeValues), a.ExpressionAttributeValues != nil, ddb.LayerOlder,
			itemExprText{"UpdateExpression", upd},
			itemExprText{"ConditionExpression", a.ConditionExpression})
		if err != nil {
			return nil, err
		}
		act.cond, act.upd = ex.cond, ex.upd
	}
	act.oldOnErr = a.ReturnValuesOnConditionCheckFailure != nil && *a.ReturnValuesOnConditionCheckFailure == "ALL_OLD"
	return act, nil
}

// resolveTx looks the tables up and validates keys; it returns the
// request-level error, if any. Schema mismatches are left in the actions'
// reasons.
func (n *Node) resolveTx(actions []*txAction) error {
	for i, act := range actions {
		t, err := n.itemTable(act.name)
		if err != nil {
			return err
		}
		if err := errStrongTxn(t); err != nil {
			return err
		}
		act.t = t
		var pk, sk ddb.Value
		if act.kind == txPut {
			pk, sk, err = t.keyValues(act.item, false)
			if err == nil {
				err = t.itemCheckIndexKeys(act.item)
			}
			if err == nil && t.ci != nil {
				t.ci.accessed(act.item)
			}
		} else {
			pk, sk, err = t.keyValues(act.key, true)
			if err == nil && t.ci != nil {
				t.ci.accessed(act.key)
			}
		}
		if err != nil {
			if multiKeyMismatch(err) {
				act.reason = txReason{code: txCodeValidation, msg: err.(*ddb.Error).Message}
				continue
			}
			return err
		}
		if act.upd != nil {
			if err := t.itemCheckUpdatePaths(act.upd.Paths()); err != nil {
				return err
			}
		}
		act.pk = pk
		act.ekey = t.engineKey(pk, sk)
		for _, prev := range actions[:i] {
			if prev.ekey != nil && string(prev.ekey) == string(act.ekey) {
				return txDuplicate()
			}
		}
	}
	return nil
}

// digest returns the digest of the parameters the token covers.
func (r *txWriteRequest) digest() [32]byte {
	d := newDigester()
	for _, act := range r.actions {
		a := act.in
		d.byte(act.kind)
		d.str(act.name)
		d.item(act.item)
		d.item(act.key)
		if act.kind == txUpd {
			d.optStr(a.UpdateExpression)
		}
		d.optStr(a.ConditionExpression)
		d.names(a.ExpressionAttributeNames)
		d.item(itemJSONItem(a.ExpressionAttributeValues))
		d.optStr(a.ReturnValuesOnConditionCheckFailure)
	}
	return d.sum()
}

func opTransactWriteItems(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	r, err := parseTransactWrite(req.Body)
	if err != nil {
		return nil, err
	}
	if err := n.resolveTx(r.actions); err != nil {
		return nil, err
	}
	reasons := make([]txReason, len(r.actions))
	for i, act := range r.actions {
		reasons[i] = act.reason
	}
	if anyReason(reasons) {
		return nil, txCanceled(reasons)
	}
	if tok := r.in.ClientRequestToken; tok != nil {
		st := n.idempotency()
		switch st.begin(*tok, r.digest(), n.opts.Now()) {
		case idemReplay:
			return n.txReplay(r)
		case idemMismatch:
			return nil, errIdempotentMismatch()
		case idemInProgress:
			return nil, errTransactionInProgress()
		}
		ok := false
		defer func() { st.finish(*tok, ok, n.opts.Now()) }()
		if err := n.txApply(r.actions, reasons); err != nil {
			return nil, err
		}
		ok = true
	} else if err := n.txApply(r.actions, reasons); err != nil {
		return nil, err
	}
	var caps multiCapacity
	var metrics multiMetrics
	want := itemWantCapacity(r.in.ReturnConsumedCapacity)
	for _, act := range r.actions {
		if want {
			var units float64
			var idx []itemIndexCost
			if act.kind == txCheck {
				units = itemWriteUnits(act.oldSize, 0)
			} else {
				units = itemWriteUnits(act.oldSize, act.newSize)
				idx = act.t.itemIndexCosts(act.old, act.new)
			}
			caps.add(act.name, txFactor*units, txFactor, idx)
		}
		if act.kind != txCheck {
			metrics.add(r.in.ReturnItemCollectionMetrics, act.name, act.t, act.pk)
		}
	}
	o := newItemOut(64)
	caps.appendField(&o, r.in.ReturnConsumedCapacity, capWrite)
	metrics.appendField(&o)
	return o.done(), nil
}

// txApply runs the actions as one transaction. reasons has one (empty)
// slot per action.
func (n *Node) txApply(actions []*txAction, reasons []txReason) error {
	targets := make([]multiTarget, len(actions))
	for i, act := range actions {
		targets[i] = multiTarget{table: act.t, key: act.ekey}
	}
	err := n.mutateMany(targets, true, CauseTransactWrite, func(cur []multiState) ([]mutation, error) {
		ms := make([]mutation, len(actions))
		failed := false
		for i, act := range actions {
			old := cur[i].item
			act.old, act.oldSize = old, cur[i].size
			if act.cond != nil && !expr.Eval(act.cond, itemOrEmpty(old)) {
				reasons[i] = txReason{code: txCodeCondition, msg: txMsgCondition}
				if act.oldOnErr && old != nil {
					reasons[i].item = old
				}
				failed = true
				continue
			}
			m, err := act.decide(old)
			if err != nil {
				reason, ok := reasonOf(err)
				if !ok {
					return nil, err
				}
				// Every failing condition is reported (DynamoDB answers
				// [ConditionalCheckFailed, ConditionalCheckFailed, …]), but
				// an action that cannot be applied ends the evaluation:
				// the actions after it are None (issue 16).
				reasons[i] = reason
				failed = true
				break
			}
			ms[i] = m
		}
		if failed {
			return nil, txCanceled(reasons)
		}
		if err := n.capTxWrite(actions, reasons); err != nil {
			return nil, err
		}
		return ms, nil
	})
	if ce, ok := err.(*conflictError); ok {
		reasons[ce.index] = txReason{code: txCodeConflict, msg: msgTxnOngoing}
		return txCanceled(reasons)
	}
	return err
}

// decide returns the write of one action on the current item old (nil:
// absent), after its condition passed.
func (act *txAction) decide(old ddb.Item) (mutation, error) {
	switch act.kind {
	case txPut:
		act.new, act.newSize = act.item, act.size
		return mutation{put: act.item, putSize: act.size}, nil
	case txDel:
		return mutation{del: true}, nil
	case txUpd:
		next, write, err := applyUpdate(act.upd, old, act.key)
		if err != nil {
			return mutation{}, err
		}
		if !write {
			act.new, act.newSize = old, act.oldSize
			return mutation{}, nil
		}
		size := ddb.ItemSize(next)
		if size > ddb.MaxItemSize {
			return mutation{}, ddb.Validation(itemMsgUpdateTooLarge)
		}
		if err := act.t.itemCheckIndexKeys(next); err != nil {
			return mutation{}, err
		}
		act.new, act.newSize = next, size
		return mutation{put: next, putSize: size}, nil
	}
	return mutation{}, nil // ConditionCheck writes nothing
}

// txReplay answers a repeated request with a known token: nothing is
// applied; the capacity reported is that of reading the items.
func (n *Node) txReplay(r *txWriteRequest) ([]byte, error) {
	var caps multiCapacity
	var metrics multiMetrics
	for _, act := range r.actions {
		if itemWantCapacity(r.in.ReturnConsumedCapacity) {
			size, found, err := n.storedSize(act.ekey)
			if err != nil {
				return nil, err
			}
			caps.add(act.name, txFactor*itemReadUnits(size, found, true), 1, nil)
		}
		if act.kind != txCheck {
			metrics.add(r.in.ReturnItemCollectionMetrics, act.name, act.t, act.pk)
		}
	}
	o := newItemOut(64)
	caps.appendField(&o, r.in.ReturnConsumedCapacity, capRead)
	metrics.appendField(&o)
	return o.done(), nil
}
