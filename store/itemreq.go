package store

// Shared pieces of the single-item operations (PutItem, GetItem,
// DeleteItem, UpdateItem): request field types, the enum constraints,
// DynamoDB's custom checks on expression and legacy parameters, table
// resolution, capacity units and response building.
//
// Validation runs in DynamoDB's order: JSON shape (while decoding), member
// constraints ("N validation errors detected: …"), then the custom checks
// of each operation, then the table lookup, then the checks that need the
// table's schema, then the condition against the stored item.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/expr"
)

// Enum constraint texts, in the order DynamoDB lists them.
const (
	itemEnumReturnValues      = "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"
	itemEnumReturnCapacity    = "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"
	itemEnumReturnMetrics     = "Member must satisfy enum value set: [SIZE, NONE]"
	itemEnumConditionalOp     = "Member must satisfy enum value set: [OR, AND]"
	itemEnumComparisonOp      = "Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
	itemEnumReturnOnCondition = "Member must satisfy enum value set: [ALL_OLD, NONE]"
	itemEnumAction            = "Member must satisfy enum value set: [ADD, PUT, DELETE]"
)

// Messages of the custom checks.
const (
	itemMsgReturnValuesInvalid = "ReturnValues can only be ALL_OLD or NONE"
	itemMsgItemTooLarge        = "Item size has exceeded the maximum allowed size"
	itemMsgUpdateTooLarge      = "Item size to update has exceeded the maximum allowed size"
	itemMsgNotFound            = "Requested resource not found"
	itemMsgInvalidParams       = "One or more parameter values were invalid: "
)

// itemBool is a Boolean member: JSON true/false, or one of the strings
// DynamoDB's binder converts ("true", "1", "yes", … in any case).
type itemBool bool

func (b *itemBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true":
		*b = true
		return nil
	case "false", "null":
		*b = false
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return ddb.Serialization("Unexpected token received from parser")
		}
		switch strings.ToUpper(s) {
		case "TRUE", "1", "YES":
			*b = true
			return nil
		case "FALSE", "0", "NO":
			*b = false
			return nil
		}
		return ddb.Serialization("Unexpected token received from parser")
	}
	if len(data) > 0 && data[0] == '[' {
		return ddb.Serialization("Unrecognized collection type class java.lang.Boolean")
	}
	if len(data) > 0 && data[0] == '{' {
		return ddb.Serialization("Start of structure or map found where not expected")
	}
	if strings.ContainsAny(string(data), ".eE") {
		return ddb.Serialization("DECIMAL_VALUE cannot be converted to Boolean")
	}
	return ddb.Serialization("NUMBER_VALUE cannot be converted to Boolean")
}

// itemAVList is a List of AttributeValues; JSON nulls in it are dropped, as
// DynamoDB's binder does.
type itemAVList []ddb.Value

func (l *itemAVList) UnmarshalJSON(data []byte) error {
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		var te *json.UnmarshalTypeError
		if asTypeError(err, &te) {
			return ddb.Serialization(typeErrorText(te))
		}
		return err
	}
	out := make([]ddb.Value, 0, len(raws))
	for _, r := range raws {
		if string(r) == "null" {
			continue
		}
		var v ddb.Value
		if err := v.UnmarshalJSON(r); err != nil {
			return err
		}
		out = append(out, v)
	}
	*l = out
	return nil
}

func asTypeError(err error, te **json.UnmarshalTypeError) bool {
	t, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = t
	}
	return ok
}

// itemExpected is one entry of the legacy Expected map.
type itemExpected struct {
	AttributeValueList *itemAVList `json:"AttributeValueList"`
	ComparisonOperator *string     `json:"ComparisonOperator"`
	Exists             *itemBool   `json:"Exists"`
	Value              *ddb.Value  `json:"Value"`
}

// itemAttrUpdate is one entry of UpdateItem's legacy AttributeUpdates map.
type itemAttrUpdate struct {
	Action *string    `json:"Action"`
	Value  *ddb.Value `json:"Value"`
}

// itemSortedKeys returns the keys of m in byte order (messages that name
// one of several offending entries are then deterministic).
func itemSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// itemCheckEnum records an enum violation of an optional member.
func itemCheckEnum(c *checker, v *string, path, constraint string, allowed ...string) {
	if v == nil {
		return
	}
	for _, a := range allowed {
		if *v == a {
			return
		}
	}
	c.fail(v, path, constraint)
}

func itemCheckReturnValues(c *checker, v *string) {
	itemCheckEnum(c, v, "returnValues", itemEnumReturnValues, "ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW")
}

func itemCheckReturnCapacity(c *checker, v *string) {
	itemCheckEnum(c, v, "returnConsumedCapacity", itemEnumReturnCapacity, "INDEXES", "TOTAL", "NONE")
}

func itemCheckReturnMetrics(c *checker, v *string) {
	itemCheckEnum(c, v, "returnItemCollectionMetrics", itemEnumReturnMetrics, "SIZE", "NONE")
}

func itemCheckConditionalOp(c *checker, v *string) {
	itemCheckEnum(c, v, "conditionalOperator", itemEnumConditionalOp, "OR", "AND")
}

func itemCheckReturnOnCondition(c *checker, v *string) {
	itemCheckEnum(c, v, "returnValuesOnConditionCheckFailure", itemEnumReturnOnCondition, "ALL_OLD", "NONE")
}

// itemCheckExpectedOps checks the ComparisonOperator enum of every Expected entry.
func itemCheckExpectedOps(c *checker, expected map[string]*itemExpected) {
	if len(expected) == 0 {
		return
	}
	for _, k := range itemSortedKeys(expected) {
		if e := expected[k]; e != nil {
			itemCheckEnum(c, e.ComparisonOperator, "expected."+k+".member.comparisonOperator", itemEnumComparisonOp,
				"IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT", "NOT_NULL", "NE", "LE", "BEGINS_WITH", "GE", "CONTAINS")
		}
	}
}

// itemParam names a request member for the mixing checks; present tells
// whether the request carries it.
type itemParam struct {
	name    string
	present bool
}

// itemCheckExprParams applies DynamoDB's rules on mixing expression and
// non-expression parameters. exprs are the operation's expression members
// in DynamoDB's order, legacy its non-expression members; valueExprs are
// the expressions that can use ExpressionAttributeValues (empty when the
// operation has no such member).
func itemCheckExprParams(exprs, legacy []itemParam, valueExprs []itemParam, hasNames, hasValues bool) error {
	anyExpr := false
	for _, p := range exprs {
		anyExpr = anyExpr || p.present
	}
	if anyExpr {
		var used []string
		for _, p := range legacy {
			if p.present {
				used = append(used, p.name)
			}
		}
		if len(used) > 0 {
			var ex []string
			for _, p := range exprs {
				if p.present {
					ex = append(ex, p.name)
				}
			}
			return ddb.Validation("Can not use both expression and non-expression parameters in the same request: " +
				"Non-expression parameters: {" + strings.Join(used, ", ") + "} " +
				"Expression parameters: {" + strings.Join(ex, ", ") + "}")
		}
	}
	if hasNames && !anyExpr {
		return ddb.Validation("ExpressionAttributeNames can only be specified when using expressions")
	}
	if len(valueExprs) > 0 && hasValues {
		names := make([]string, 0, len(valueExprs))
		for _, p := range valueExprs {
			if p.present {
				return nil
			}
			names = append(names, p.name)
		}
		verb := "is"
		if len(names) > 1 {
			verb = "are"
		}
		return ddb.Validation(msgValuesWithoutExpr + ": " +
			strings.Join(names, " and ") + " " + verb + " null")
	}
	return nil
}

// itemEnvelope gives a ValidationException that PutItem, DeleteItem or
// UpdateItem raise before the table lookup the "1 validation error
// detected: " envelope of DynamoDB's newer request validator, which those
// three operations go through (every such refusal in the
// paritysuite/dynamodb-conformance captures of 2026-09/10, both regions it
// pins; GetItem, Query, Scan and the transactions still answer bare).
// That validator also drops the ": ConditionExpression is null" tail of
// the values-without-expression refusal. Refusals after the lookup (key
// schema, key attributes in an update) stay bare, as they do in DynamoDB.
func itemEnvelope(err error) error {
	e, ok := ddb.AsError(err)
	if !ok || !strings.HasSuffix(e.Type, "#ValidationException") || enveloped(e.Message) {
		return err
	}
	msg := e.Message
	if rest, ok := strings.CutPrefix(msg, msgValuesWithoutExpr); ok && strings.HasPrefix(rest, ": ") {
		msg = msgValuesWithoutExpr
	}
	out := *e
	out.Message = "1 validation error detected: " + msg
	return &out
}

// enveloped reports whether msg already starts "N validation error(s)
// detected: ".
func enveloped(msg string) bool {
	n := 0
	for n < len(msg) && msg[n] >= '0' && msg[n] <= '9' {
		n++
	}
	return n > 0 && (strings.HasPrefix(msg[n:], " validation error detected: ") ||
		strings.HasPrefix(msg[n:], " validation errors detected: "))
}

const msgValuesWithoutExpr = "ExpressionAttributeValues can only be specified when using expressions"

// msgCondOpAlone answers a ConditionalOperator given without Expected,
// QueryFilter or ScanFilter (measured against DynamoDB: ExtendDB#213).
const msgCondOpAlone = "ConditionalOperator cannot be used without Filter or Expected"

// msgCondOpOne answers a ConditionalOperator with a one-entry Expected,
// QueryFilter or ScanFilter (DynamoDB; a test suite run against it and
// DynamoDB Local's validator agree).
const msgCondOpOne = "ConditionalOperator can only be used when Filter or Expected has two or more elements"

// itemValueProblem reports the first invalid AttributeValue of an item or
// key, in the wording of the operation's value layer.
func itemValueProblem(it ddb.Item, l ddb.Layer) error {
	if p := ddb.ItemProblemIn(it, l); p != "" {
		return ddb.Validation(p)
	}
	for k, v := range it {
		if len(k) > expr.MaxNameSize || expr.HasLongName(&v) {
			return expr.ErrNameTooLarge
		}
	}
	return nil
}

// itemJSONItem returns the item of an optional ItemJSON member.
func itemJSONItem(j *ddb.ItemJSON) ddb.Item {
	if j == nil {
		return nil
	}
	return j.Item
}

// itemExprSet is the expression side of a request: placeholders and the
// parsed expressions.
type itemExprSet struct {
	attrs *expr.Attrs
	cond  expr.Cond
	upd   *expr.Update
	proj  []expr.Path
}

// itemExprText is one expression member to parse.
type itemExprText struct {
	kind string // "UpdateExpression", "ConditionExpression", "ProjectionExpression"
	text *string
}

// itemParseExprs validates ExpressionAttributeNames/Values and parses the
// expressions (in the order given, which is DynamoDB's: update, condition,
// projection), then reports unused placeholders.
func itemParseExprs(names map[string]string, values ddb.Item, hasValues bool, l ddb.Layer, texts ...itemExprText) (itemExprSet, error) {
	var out itemExprSet
	if !hasValues {
		values = nil
	} else if values == nil {
		values = ddb.Item{}
	}
	out.attrs = expr.NewAttrs(names, values)
	out.attrs.Layer = l
	if names != nil || values != nil {
		if err := out.attrs.Validate(); err != nil {
			return out, err
		}
	}
	for _, t := range texts {
		if t.text == nil {
			continue
		}
		var err error
		switch t.kind {
		case "UpdateExpression":
			out.upd, err = expr.ParseUpdate(*t.text, out.attrs)
		case "ConditionExpression":
			out.cond, err = expr.ParseCondition(*t.text, t.kind, out.attrs)
		case "ProjectionExpression":
			out.proj, err = expr.ParseProjection(*t.text, out.attrs)
		}
		if err != nil {
			return out, err
		}
	}
	if err := out.attrs.CheckUnused(); err != nil {
		return out, err
	}
	return out, nil
}

// itemLegacyCondition validates the legacy Expected map and builds its
// condition (nil when expected is empty).
func itemLegacyCondition(expected map[string]*itemExpected, op *string) (expr.Cond, error) {
	if expected == nil {
		if op != nil {
			return nil, ddb.Validation(msgCondOpAlone)
		}
		return nil, nil
	}
	if op != nil && len(expected) < 2 {
		return nil, ddb.Validation(msgCondOpOne)
	}
	m := make(map[string]expr.ExpectedAttr, len(expected))
	for k, e := range expected {
		if e == nil {
			continue
		}
		var ea expr.ExpectedAttr
		ea.Value = e.Value
		if e.Exists != nil {
			b := bool(*e.Exists)
			ea.Exists = &b
		}
		if e.ComparisonOperator != nil {
			ea.ComparisonOperator = *e.ComparisonOperator
		}
		if e.AttributeValueList != nil {
			ea.AttributeValueList = []ddb.Value(*e.AttributeValueList)
			ea.HasAttributeValueList = true
		}
		m[k] = ea
	}
	cop := ""
	if op != nil {
		cop = *op
	}
	return expr.LegacyCondition(m, cop)
}

// itemTable resolves a TableName member (a name or a table ARN) to an
// ACTIVE or UPDATING table; anything else (missing, CREATING, DELETING) is
// ResourceNotFoundException, as for DynamoDB's item operations.
func (n *Node) itemTable(name string) (*Table, error) {
	t, ok := n.cat.get(n.resolveTableName(name))
	if !ok || (t.Status != "ACTIVE" && t.Status != "UPDATING") || n.isWitness(t) {
		return nil, ddb.ResourceNotFound(itemMsgNotFound)
	}
	return t, nil
}

// Capacity units.

// itemReadUnits is the read capacity of a GetItem of an item of size bytes
// (found=false: the item does not exist).
func itemReadUnits(size int, found, consistent bool) float64 {
	return ddb.ReadUnits(size, found, consistent)
}

// itemWriteUnits is the write capacity of a write that replaces an item of
// oldSize bytes by one of newSize bytes (0 for absent).
func itemWriteUnits(oldSize, newSize int) float64 { return ddb.WriteUnits(oldSize, newSize) }

// itemOut builds a response object member by member.
type itemOut struct {
	b []byte
	n int
}

func (o *itemOut) field(name string) {
	if o.n == 0 {
		o.b = append(o.b, '"')
	} else {
		o.b = append(o.b, ',', '"')
	}
	o.n++
	o.b = append(o.b, name...)
	o.b = append(o.b, '"', ':')
}

// capacity appends ConsumedCapacity when mode asks for it: units for the
// table, plus, for writes, what the secondary indexes consumed (folded into
// the total; listed per index under INDEXES).
func (o *itemOut) capacity(mode *string, table string, units float64, indexes ...itemIndexCost) {
	if !itemWantCapacity(mode) {
		return
	}
	total := units
	for _, c := range indexes {
		total += c.units
	}
	o.field("ConsumedCapacity")
	o.b = append(o.b, `{"TableName":`...)
	o.b = ddb.AppendString(o.b, table)
	o.b = append(o.b, `,"CapacityUnits":`...)
	o.b = itemAppendUnits(o.b, total)
	if *mode == "INDEXES" {
		o.b = append(o.b, `,"Table":{"CapacityUnits":`...)
		o.b = itemAppendUnits(o.b, units)
		o.b = append(o.b, '}')
		for _, global := range [2]bool{true, false} {
			first := true
			for _, c := range indexes {
				if c.global != global {
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
				o.b = ddb.AppendString(o.b, c.name)
				o.b = append(o.b, `:{"CapacityUnits":`...)
				o.b = itemAppendUnits(o.b, c.units)
				o.b = append(o.b, '}')
			}
			if !first {
				o.b = append(o.b, '}')
			}
		}
	}
	o.b = append(o.b, '}')
}

// itemWantCapacity reports whether ReturnConsumedCapacity asks for figures.
func itemWantCapacity(mode *string) bool {
	return mode != nil && (*mode == "TOTAL" || *mode == "INDEXES")
}

// itemIndexCost is the write capacity one secondary index consumed.
type itemIndexCost struct {
	name   string
	global bool
	units  float64
}

// itemIndexCosts returns the write capacity each secondary index consumes
// when item old (nil: absent) becomes new (nil: deleted), as DynamoDB
// charges it: nothing when the index holds neither version or its stored
// view does not change; one write to add, remove or rewrite an entry; two
// (delete plus insert) when the entry's index key changes. Each write
// costs the entry's size rounded up to 1 KB. Indexes that cost nothing
// are left out.
func (t *Table) itemIndexCosts(old, new ddb.Item) []itemIndexCost {
	if len(t.Desc.GlobalIndexes) == 0 && len(t.Desc.LocalIndexes) == 0 {
		return nil
	}
	var out []itemIndexCost
	add := func(ix *IndexDef, global bool) {
		oldIn, newIn := t.itemInIndex(ix, old), t.itemInIndex(ix, new)
		var u float64
		switch {
		case oldIn && newIn:
			if !t.itemIndexKeysEqual(ix, old, new) {
				u = itemWriteUnits(t.itemIndexEntrySize(ix, old), 0) + itemWriteUnits(t.itemIndexEntrySize(ix, new), 0)
			} else if t.itemIndexViewChanged(ix, old, new) {
				u = itemWriteUnits(t.itemIndexEntrySize(ix, old), t.itemIndexEntrySize(ix, new))
			}
		case oldIn:
			u = itemWriteUnits(t.itemIndexEntrySize(ix, old), 0)
		case newIn:
			u = itemWriteUnits(t.itemIndexEntrySize(ix, new), 0)
		}
		if u > 0 {
			out = append(out, itemIndexCost{ix.IndexName, global, u})
		}
	}
	for i := range t.Desc.GlobalIndexes {
		add(&t.Desc.GlobalIndexes[i].IndexDef, true)
	}
	for i := range t.Desc.LocalIndexes {
		add(&t.Desc.LocalIndexes[i].IndexDef, false)
	}
	return out
}

// itemInIndex reports whether item has all key attributes of index ix.
func (t *Table) itemInIndex(ix *IndexDef, it ddb.Item) bool {
	if it == nil {
		return false
	}
	for _, k := range ix.KeySchema {
		if k.AttributeName == nil {
			continue
		}
		if _, ok := it[*k.AttributeName]; !ok {
			return false
		}
	}
	return true
}

func (t *Table) itemIndexKeysEqual(ix *IndexDef, a, b ddb.Item) bool {
	for _, k := range ix.KeySchema {
		if k.AttributeName != nil && !ddb.Equal(a[*k.AttributeName], b[*k.AttributeName]) {
			return false
		}
	}
	return true
}

// itemIndexViewChanged reports whether the attributes index ix stores
// differ between a and b.
func (t *Table) itemIndexViewChanged(ix *IndexDef, a, b ddb.Item) bool {
	for name, av := range a {
		if !t.IndexProjects(ix, name) {
			continue
		}
		if bv, ok := b[name]; !ok || !ddb.Equal(av, bv) {
			return true
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok && t.IndexProjects(ix, name) {
			return true
		}
	}
	return false
}

// itemIndexEntrySize is the size of the index entry of item it.
func (t *Table) itemIndexEntrySize(ix *IndexDef, it ddb.Item) int {
	n := 0
	for name, v := range it {
		if t.IndexProjects(ix, name) {
			n += len(name) + ddb.ValueSize(v)
		}
	}
	return n
}

// itemAppendUnits writes a capacity figure as DynamoDB does.
func itemAppendUnits(b []byte, u float64) []byte { return ddb.AppendUnits(b, u) }

// attributes appends "Attributes" unless it is empty.
func (o *itemOut) attributes(it ddb.Item) {
	if len(it) == 0 {
		return
	}
	o.field("Attributes")
	o.b = ddb.AppendItem(o.b, it)
}

func (o *itemOut) done() []byte { return append(o.b, '}') }

func newItemOut(capHint int) itemOut {
	b := make([]byte, 1, capHint+2)
	b[0] = '{'
	return itemOut{b: b}
}

// Schema checks that involve the key and index attributes.

// itemIndexKey is one key attribute of a secondary index.
type itemIndexKey struct {
	index string
	attr  string
	typ   ddb.Type
	local bool
	rng   bool // the index's sort key (1024-byte limit; partition keys 2048)
}

// itemIndexKeys lists the key attributes of the table's secondary
// indexes: global ones first, then local ones (their sort keys only, the
// partition key being the table's).
func (t *Table) itemIndexKeys() []itemIndexKey {
	if len(t.Desc.GlobalIndexes) == 0 && len(t.Desc.LocalIndexes) == 0 {
		return nil
	}
	var out []itemIndexKey
	for i := range t.Desc.GlobalIndexes {
		ix := &t.Desc.GlobalIndexes[i].IndexDef
		hk, rk := t.indexKeyParts(ix)
		for _, k := range hk {
			out = append(out, itemIndexKey{ix.IndexName, k.name, k.typ, false, false})
		}
		for _, k := range rk {
			out = append(out, itemIndexKey{ix.IndexName, k.name, k.typ, false, true})
		}
	}
	for i := range t.Desc.LocalIndexes {
		ix := &t.Desc.LocalIndexes[i].IndexDef
		if name, typ := t.IndexRangeKey(ix); name != "" {
			out = append(out, itemIndexKey{ix.IndexName, name, typ, true, true})
		}
	}
	return out
}

// itemHasLSI reports whether the table has local secondary indexes.
func (t *Table) itemHasLSI() bool { return len(t.Desc.LocalIndexes) > 0 }

// itemCheckIndexKeys checks the index key attributes an item carries:
// their type must be the index's, and strings and binaries must not be empty.
func (t *Table) itemCheckIndexKeys(it ddb.Item) error {
	for _, k := range t.itemIndexKeys() {
		v, ok := it[k.attr]
		if !ok {
			continue
		}
		if v.T != k.typ {
			return ddb.Validation(itemMsgInvalidParams + "Type mismatch for Index Key " + k.attr + " Expected: " + k.typ.String() +
				" Actual: " + v.T.String() + " IndexName: " + k.index)
		}
		if (v.T == ddb.TypeS && v.S == "") || (v.T == ddb.TypeB && len(v.B) == 0) {
			kind := "string"
			if v.T == ddb.TypeB {
				kind = "binary"
			}
			return ddb.Validation("One or more parameter values are not valid. A value specified for a secondary index key is not supported. " +
				"The AttributeValue for a key attribute cannot contain an empty " + kind + " value. IndexName: " + k.index + ", IndexKey: " + k.attr)
		}
		if size := indexKeySize(v); k.rng && size > maxRangeKeySize {
			// DynamoDB words this as for the table's own sort key (moto's
			// test_put_long_string_gsi_range_key_exception, from AWS).
			return ddb.Validation(itemMsgInvalidParams + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
		} else if !k.rng && size > maxHashKeySize {
			// Verbatim from DynamoDB (dynalite#35, wellcomecollection#2285).
			return ddb.Validation(fmt.Sprintf("%sSize limit exceeded for Index Key %s Actual Size: %d bytes Max Size: %d bytes IndexName: %s",
				itemMsgInvalidParams, k.attr, size, maxHashKeySize, k.index))
		}
	}
	return t.checkTupleSizes(it)
}

// DynamoDB's key size limits, for table and index keys alike.
const (
	maxHashKeySize  = 2048
	maxRangeKeySize = 1024
)

// indexKeySize is the size a key value counts against the key size
// limits: the bytes of a string or binary (numbers always fit).
func indexKeySize(v ddb.Value) int {
	if v.T == ddb.TypeN {
		return 0
	}
	return ddb.ValueSize(v)
}

// itemCheckUpdatePaths rejects updates of key attributes and nested
// updates of index key attributes.
func (t *Table) itemCheckUpdatePaths(paths []expr.Path) error {
	hname, _ := t.HashKey()
	rname, _ := t.RangeKey()
	for _, name := range [2]string{hname, rname} {
		if name == "" {
			continue
		}
		for _, p := range paths {
			if len(p) > 0 && p[0].Name == name && !p[0].IsIndex {
				return ddb.Validation(itemMsgInvalidParams + "Cannot update attribute " + name + ". This attribute is part of the key")
			}
		}
	}
	return t.itemCheckIndexPaths(paths)
}

// itemCheckKeyPaths rejects projections of nested paths inside key or
// index key attributes.
func (t *Table) itemCheckKeyPaths(paths []expr.Path) error {
	hname, _ := t.HashKey()
	rname, _ := t.RangeKey()
	return expr.CheckKeyPaths(paths, []string{hname, rname}, t.itemIndexKeyNames())
}

func (t *Table) itemCheckIndexPaths(paths []expr.Path) error {
	return expr.CheckKeyPaths(paths, nil, t.itemIndexKeyNames())
}

// itemIndexKeyNames lists the key attributes of the table's indexes.
func (t *Table) itemIndexKeyNames() []string {
	keys := t.itemIndexKeys()
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.attr
	}
	return names
}

// itemCollectionMetrics appends ItemCollectionMetrics for
// ReturnItemCollectionMetrics=SIZE on a table with local secondary indexes
// (DynamoDB returns nothing for other tables).
func (t *Table) itemCollectionMetrics(o *itemOut, mode *string, pk ddb.Value) {
	if mode == nil || *mode != "SIZE" || !t.itemHasLSI() {
		return
	}
	hname, _ := t.HashKey()
	o.field("ItemCollectionMetrics")
	o.b = append(o.b, `{"ItemCollectionKey":{`...)
	o.b = ddb.AppendString(o.b, hname)
	o.b = append(o.b, ':')
	o.b = ddb.AppendValue(o.b, pk)
	o.b = append(o.b, `},"SizeEstimateRangeGB":[0.0,1.0]}`...)
}
