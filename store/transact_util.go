package store

// Pieces shared by the multi-item operations (BatchGetItem,
// BatchWriteItem, TransactWriteItems, TransactGetItems): the per-table
// ConsumedCapacity list, key validation in their message variants,
// cancellation reasons and item collection metrics.

import (
	"slices"
	"strconv"
	"strings"

	"github.com/dynax/dynax/ddb"
)

// multiCapacity accumulates consumed capacity per table, in order of first
// use; the multi-item operations answer ReturnConsumedCapacity with a list
// of one ConsumedCapacity per table.
type multiCapacity struct {
	tables []*multiTableUnits
}

type multiTableUnits struct {
	name    string
	units   float64
	indexes []itemIndexCost
}

// table returns the accumulator of table name, creating it.
func (c *multiCapacity) table(name string) *multiTableUnits {
	for _, t := range c.tables {
		if t.name == name {
			return t
		}
	}
	t := &multiTableUnits{name: name}
	c.tables = append(c.tables, t)
	return t
}

// add charges units to table name, and each index cost multiplied by factor.
func (c *multiCapacity) add(name string, units float64, factor float64, idx []itemIndexCost) {
	t := c.table(name)
	t.units += units
	for _, ic := range idx {
		found := false
		for i := range t.indexes {
			if t.indexes[i].name == ic.name && t.indexes[i].global == ic.global {
				t.indexes[i].units += ic.units * factor
				found = true
				break
			}
		}
		if !found {
			ic.units *= factor
			t.indexes = append(t.indexes, ic)
		}
	}
}

// Capacity kinds: which split field accompanies CapacityUnits.
const (
	capPlain = iota // CapacityUnits only (batches)
	capRead         // plus ReadCapacityUnits (transactional reads)
	capWrite        // plus WriteCapacityUnits (transactional writes)
)

// appendField appends "ConsumedCapacity":[…] to o when mode asks for it.
func (c *multiCapacity) appendField(o *itemOut, mode *string, kind int) {
	if !itemWantCapacity(mode) {
		return
	}
	o.field("ConsumedCapacity")
	o.b = append(o.b, '[')
	for i, t := range c.tables {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		total := t.units
		for _, ic := range t.indexes {
			total += ic.units
		}
		o.b = append(o.b, `{"TableName":`...)
		o.b = ddb.AppendString(o.b, t.name)
		o.b = appendUnitsFields(o.b, total, kind, true)
		if *mode == "INDEXES" {
			o.b = append(o.b, `,"Table":{`...)
			o.b = appendUnitsFields(o.b, t.units, kind, false)
			o.b = append(o.b, '}')
			for _, global := range [2]bool{true, false} {
				first := true
				for _, ic := range t.indexes {
					if ic.global != global {
						continue
					}
					if first {
						if global {
							o.b = append(o.b, `,"GlobalSecondaryIndexes":{`...)
						} else {
							o.b = append(o.b, `,"LocalSecondaryIndexes":{`...)
						}
						first = false
					} else {
						o.b = append(o.b, ',')
					}
					o.b = ddb.AppendString(o.b, ic.name)
					o.b = append(o.b, ":{"...)
					o.b = appendUnitsFields(o.b, ic.units, kind, false)
					o.b = append(o.b, '}')
				}
				if !first {
					o.b = append(o.b, '}')
				}
			}
		}
		o.b = append(o.b, '}')
	}
	o.b = append(o.b, ']')
}

// appendUnitsFields appends "CapacityUnits":u and the split field of kind,
// after a comma when comma is set.
func appendUnitsFields(b []byte, u float64, kind int, comma bool) []byte {
	if comma {
		b = append(b, ',')
	}
	b = append(b, `"CapacityUnits":`...)
	b = itemAppendUnits(b, u)
	switch kind {
	case capRead:
		b = append(b, `,"ReadCapacityUnits":`...)
		b = itemAppendUnits(b, u)
	case capWrite:
		b = append(b, `,"WriteCapacityUnits":`...)
		b = itemAppendUnits(b, u)
	}
	return b
}

// Key validation in the batch and transaction operations.
//
// The multi-item operations check keys with the single-item rules, but
// BatchWriteItem reports a missing or mistyped key of a put item as a
// plain schema mismatch.

const (
	msgMissingKey   = "One or more parameter values were invalid: Missing the key "
	msgKeyTypeMis   = "One or more parameter values were invalid: Type mismatch for key "
	msgIndexTypeMis = "One or more parameter values were invalid: Type mismatch for Index Key "
)

// multiKeyMismatch reports whether err says the key does not fit the
// table's key schema (missing attribute, wrong type, extra attributes), as
// opposed to a bad key value (empty, too long).
func multiKeyMismatch(err error) bool {
	e, ok := ddb.AsError(err)
	if !ok {
		return false
	}
	return e.Message == msgKeySchema || strings.HasPrefix(e.Message, msgMissingKey) ||
		strings.HasPrefix(e.Message, msgKeyTypeMis) || strings.HasPrefix(e.Message, msgIndexTypeMis)
}

// Transaction cancellation.

// txReason is one CancellationReason.
type txReason struct {
	code string // "" means "None"
	msg  string
	item ddb.Item // ConditionalCheckFailed with ReturnValuesOnConditionCheckFailure=ALL_OLD
}

// Cancellation reason codes and messages.
const (
	txCodeCondition  = "ConditionalCheckFailed"
	txCodeConflict   = "TransactionConflict"
	txCodeValidation = "ValidationError"
	txMsgCondition   = "The conditional request failed"
)

// reasonOf turns a runtime error of one action into its reason:
// ValidationException becomes ValidationError with the same message.
func reasonOf(err error) (txReason, bool) {
	if e, ok := ddb.AsError(err); ok && e.Name() == "ValidationException" {
		return txReason{code: txCodeValidation, msg: e.Message}, true
	}
	return txReason{}, false
}

// txCanceled builds the TransactionCanceledException for reasons (one per
// action, in request order).
func txCanceled(reasons []txReason) *ddb.Error {
	msg := make([]byte, 0, 96+12*len(reasons))
	msg = append(msg, "Transaction cancelled, please refer cancellation reasons for specific reasons ["...)
	js := make([]byte, 0, 16*len(reasons)+2)
	js = append(js, '[')
	for i, r := range reasons {
		code := r.code
		if code == "" {
			code = "None"
		}
		if i > 0 {
			msg = append(msg, ", "...)
			js = append(js, ',')
		}
		msg = append(msg, code...)
		js = append(js, `{"Code":`...)
		js = ddb.AppendString(js, code)
		if r.item != nil {
			js = append(js, `,"Item":`...)
			js = ddb.AppendItem(js, r.item)
		}
		if r.msg != "" {
			js = append(js, `,"Message":`...)
			js = ddb.AppendString(js, r.msg)
		}
		js = append(js, '}')
	}
	msg = append(msg, ']')
	js = append(js, ']')
	return &ddb.Error{
		Status:         400,
		Type:           ddb.NSDynamoDB + "TransactionCanceledException",
		Message:        string(msg),
		CapitalMessage: true,
		Extra:          []ddb.Field{{Name: "CancellationReasons", JSON: js}},
	}
}

// anyReason reports whether some reason is not "None".
func anyReason(reasons []txReason) bool {
	for _, r := range reasons {
		if r.code != "" {
			return true
		}
	}
	return false
}

// txDuplicate is the answer to two actions on one item.
func txDuplicate() error {
	return ddb.Validation("Transaction request cannot include multiple operations on one item")
}

// multiMetrics collects ItemCollectionMetrics per table for
// ReturnItemCollectionMetrics=SIZE: one entry per item collection
// (partition key value) written, for tables with local secondary indexes.
type multiMetrics struct {
	tables []*multiTableMetrics
}

type multiTableMetrics struct {
	name string
	hash string
	pks  []ddb.Value
}

// add records a write to partition pk of table t (requested as name).
func (m *multiMetrics) add(mode *string, name string, t *Table, pk ddb.Value) {
	if mode == nil || *mode != "SIZE" || !t.itemHasLSI() {
		return
	}
	var tm *multiTableMetrics
	for _, x := range m.tables {
		if x.name == name {
			tm = x
			break
		}
	}
	if tm == nil {
		hname, _ := t.HashKey()
		tm = &multiTableMetrics{name: name, hash: hname}
		m.tables = append(m.tables, tm)
	}
	if slices.ContainsFunc(tm.pks, func(v ddb.Value) bool { return ddb.Equal(v, pk) }) {
		return
	}
	tm.pks = append(tm.pks, pk)
}

// appendField appends "ItemCollectionMetrics":{…} unless nothing was recorded.
func (m *multiMetrics) appendField(o *itemOut) {
	if len(m.tables) == 0 {
		return
	}
	o.field("ItemCollectionMetrics")
	o.b = append(o.b, '{')
	for i, tm := range m.tables {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = ddb.AppendString(o.b, tm.name)
		o.b = append(o.b, ":["...)
		for j, pk := range tm.pks {
			if j > 0 {
				o.b = append(o.b, ',')
			}
			o.b = append(o.b, `{"ItemCollectionKey":{`...)
			o.b = ddb.AppendString(o.b, tm.hash)
			o.b = append(o.b, ':')
			o.b = ddb.AppendValue(o.b, pk)
			o.b = append(o.b, `},"SizeEstimateRangeGB":[0.0,1.0]}`...)
		}
		o.b = append(o.b, ']')
	}
	o.b = append(o.b, '}')
}

// memberPath builds a nested member path of the constraint messages, as
// DynamoDB names list members: transactItems.3.member.put.tableName.
func memberPath(list string, i int, rest ...string) string {
	p := list + "." + strconv.Itoa(i+1) + ".member"
	for _, r := range rest {
		p += "." + r
	}
	return p
}

// validTableKey reports whether a RequestItems key is a valid table name
// or a table ARN.
func validTableKey(name string) bool {
	if len(name) > 4 && name[:4] == "arn:" {
		return len(name) <= 1024
	}
	l := javaLen(name)
	return l >= 3 && l <= 255 && validName(name)
}

// failGeneric records a constraint violation in the wording of DynamoDB's
// newer validation framework, which names the member without echoing its
// value ("Value at 'RequestItems.t.member.Keys' failed to satisfy …"); used
// where the older wording would echo a Java rendering of the request.
func (c *checker) failGeneric(path, constraint string) {
	if len(c.errs) >= 10 {
		return
	}
	c.errs = append(c.errs, "Value at '"+path+"' failed to satisfy constraint: "+constraint)
}
