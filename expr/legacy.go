package expr

import (
	"github.com/dynax/dynax/ddb"
)

// This file converts the pre-expression request parameters into the same
// trees as expressions: Expected (LegacyCondition), QueryFilter and
// ScanFilter (LegacyFilter), AttributeUpdates (LegacyUpdate) and
// AttributesToGet (projection.go). The checks and messages are DynamoDB's.
// Map entries are checked in sorted key order so errors are deterministic.

// ExpectedAttr is one entry of the legacy Expected map.
type ExpectedAttr struct {
	Value              *ddb.Value
	Exists             *bool
	ComparisonOperator string
	AttributeValueList []ddb.Value
	// HasAttributeValueList is true when the request carried an
	// AttributeValueList, even an empty one.
	HasAttributeValueList bool
}

// FilterCond is one entry of the legacy QueryFilter or ScanFilter map.
type FilterCond struct {
	ComparisonOperator string
	AttributeValueList []ddb.Value
}

// AttributeUpdate is one entry of the legacy AttributeUpdates map.
type AttributeUpdate struct {
	// Action is PUT (also when empty), ADD or DELETE.
	Action string
	Value  *ddb.Value
}

const invalidParams = "One or more parameter values were invalid: "

const comparisonEnum = "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"

func enumError(value, at, set string) error {
	return ddb.Validation("1 validation error detected: Value '" + value + "' at '" + at +
		"' failed to satisfy constraint: Member must satisfy enum value set: " + set)
}

// legacyJoin combines conditions with ConditionalOperator ("" means AND).
func legacyJoin(conds []Cond, conditionalOperator string) (Cond, error) {
	or := false
	switch conditionalOperator {
	case "", "AND":
	case "OR":
		or = true
	default:
		return nil, enumError(conditionalOperator, "conditionalOperator", "[OR, AND]")
	}
	if len(conds) == 0 {
		return trueCond{}, nil
	}
	c := conds[0]
	for _, d := range conds[1:] {
		if or {
			c = &orCond{l: c, r: d}
		} else {
			c = &andCond{l: c, r: d}
		}
	}
	return c, nil
}

// argCountOK reports whether a comparison operator takes n values.
func argCountOK(op string, n int) bool {
	switch op {
	case "EQ", "NE", "LE", "LT", "GE", "GT", "CONTAINS", "NOT_CONTAINS", "BEGINS_WITH":
		return n == 1
	case "NULL", "NOT_NULL":
		return n == 0
	case "IN":
		return n > 0
	case "BETWEEN":
		return n == 2
	}
	return false
}

func knownOperator(op string) bool {
	switch op {
	case "EQ", "NE", "LE", "LT", "GE", "GT", "CONTAINS", "NOT_CONTAINS", "BEGINS_WITH", "NULL", "NOT_NULL", "IN", "BETWEEN":
		return true
	}
	return false
}

func valueProblem(vs []ddb.Value, l ddb.Layer) string {
	for i := range vs {
		if p := vs[i].ProblemIn(l); p != "" {
			return p
		}
	}
	return ""
}

func sameType(vs []ddb.Value) bool {
	for i := 1; i < len(vs); i++ {
		if vs[i].T != vs[0].T {
			return false
		}
	}
	return true
}

// betweenReversed reports whether BETWEEN bounds are in the wrong order.
func betweenReversed(vs []ddb.Value) bool {
	return len(vs) == 2 && vs[0].T == vs[1].T && orderedTypes&typeBit(vs[0].T) != 0 &&
		compareOrdered(vs[0], vs[1]) > 0
}

// comparison builds the condition "attribute <op> values".
func comparison(name, op string, vs []ddb.Value) Cond {
	path := operand{kind: kPath, path: Path{{Name: name}}}
	val := func(i int) operand { return operand{kind: kValue, val: vs[i]} }
	switch op {
	case "EQ", "NE", "LE", "LT", "GE", "GT":
		ops := map[string]cmpOp{"EQ": opEQ, "NE": opNE, "LE": opLE, "LT": opLT, "GE": opGE, "GT": opGT}
		return &cmpCond{op: ops[op], l: path, r: val(0)}
	case "NULL":
		return &funcCond{fn: fnAttributeNotExists, args: []operand{path}}
	case "NOT_NULL":
		return &funcCond{fn: fnAttributeExists, args: []operand{path}}
	case "CONTAINS":
		return &funcCond{fn: fnContains, args: []operand{path, val(0)}}
	case "NOT_CONTAINS":
		// A missing attribute fails NOT_CONTAINS, as in DynamoDB (issue 16).
		return &andCond{l: &funcCond{fn: fnAttributeExists, args: []operand{path}},
			r: &notCond{c: &funcCond{fn: fnContains, args: []operand{path, val(0)}}}}
	case "BEGINS_WITH":
		return &funcCond{fn: fnBeginsWith, args: []operand{path, val(0)}}
	case "IN":
		list := make([]operand, len(vs))
		for i := range vs {
			list[i] = val(i)
		}
		return &inCond{x: path, list: list}
	case "BETWEEN":
		return &betweenCond{x: path, lo: val(0), hi: val(1)}
	}
	return trueCond{}
}

// LegacyCondition converts the legacy Expected map and ConditionalOperator
// of PutItem, UpdateItem and DeleteItem into a condition, after DynamoDB's
// checks of each entry. An empty map is a condition that always holds.
// Those operations run DynamoDB's current value layer (ddb.Layer).
func LegacyCondition(expected map[string]ExpectedAttr, conditionalOperator string) (Cond, error) {
	keys := sortedKeys(expected)
	conds := make([]Cond, 0, len(keys))
	for _, k := range keys {
		e := expected[k]
		hasList := e.HasAttributeValueList || e.AttributeValueList != nil
		if hasList && e.Value != nil {
			return nil, ddb.Validation(invalidParams + "Value and AttributeValueList cannot be used together for Attribute: " + k)
		}
		if e.ComparisonOperator != "" {
			op := e.ComparisonOperator
			if !knownOperator(op) {
				return nil, enumError(op, "expected."+k+".member.comparisonOperator", comparisonEnum)
			}
			if e.Exists != nil {
				return nil, ddb.Validation(invalidParams + "Exists and ComparisonOperator cannot be used together for Attribute: " + k)
			}
			if op != "NULL" && op != "NOT_NULL" && !hasList && e.Value == nil {
				return nil, ddb.Validation(invalidParams + "Value or AttributeValueList must be used with ComparisonOperator: " + op + " for Attribute: " + k)
			}
			vs := e.AttributeValueList
			if !hasList && e.Value != nil {
				vs = []ddb.Value{*e.Value}
			}
			if !argCountOK(op, len(vs)) {
				return nil, ddb.Validation(invalidParams + "Invalid number of argument(s) for the " + op + " ComparisonOperator")
			}
			if p := valueProblem(vs, ddb.LayerCurrent); p != "" {
				return nil, ddb.Validation(p)
			}
			if !sameType(vs) {
				return nil, ddb.Validation(invalidParams + "AttributeValues inside AttributeValueList must be of same type")
			}
			// Operands of a type the operator cannot compare are a
			// request error, not a failed condition (issue 16).
			if err := checkFilterTypes(op, vs); err != nil {
				return nil, err
			}
			if op == "BETWEEN" && betweenReversed(vs) {
				return nil, ddb.Validation("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
			}
			conds = append(conds, comparison(k, op, vs))
			continue
		}
		if hasList {
			return nil, ddb.Validation(invalidParams + "AttributeValueList can only be used with a ComparisonOperator for Attribute: " + k)
		}
		exists := e.Exists == nil || *e.Exists
		if exists && e.Value == nil {
			state := "null"
			if e.Exists != nil {
				state = "true"
			}
			return nil, ddb.Validation(invalidParams + "Value must be provided when Exists is " + state + " for Attribute: " + k)
		}
		if !exists && e.Value != nil {
			return nil, ddb.Validation(invalidParams + "Value cannot be used when Exists is false for Attribute: " + k)
		}
		if e.Value != nil {
			if p := e.Value.ProblemIn(ddb.LayerCurrent); p != "" {
				return nil, ddb.Validation(p)
			}
			conds = append(conds, comparison(k, "EQ", []ddb.Value{*e.Value}))
		} else {
			conds = append(conds, comparison(k, "NULL", nil))
		}
	}
	return legacyJoin(conds, conditionalOperator)
}

// checkFilterTypes rejects operands of a type op does not accept.
func checkFilterTypes(op string, vs []ddb.Value) error {
	allowed := filterTypes(op)
	for i := range vs {
		if allowed&typeBit(vs[i].T) == 0 {
			return ddb.Validation(invalidParams + "ComparisonOperator " + op + " is not valid for " + vs[i].T.String() + " AttributeValue type")
		}
	}
	return nil
}

// filterTypes lists the value types each operator accepts in Expected,
// QueryFilter and ScanFilter. EQ and NE take any type, lists, maps and
// booleans included, as current DynamoDB does (issue 16; dynalite's older
// recording refused L, M and BOOL).
func filterTypes(op string) typeSet {
	switch op {
	case "EQ", "NE":
		return allTypes
	case "BEGINS_WITH":
		return stringBinary
	case "NULL", "NOT_NULL":
		return allTypes
	}
	return orderedTypes
}

// LegacyFilter converts a legacy QueryFilter or ScanFilter map and
// ConditionalOperator into a condition, after DynamoDB's checks of each
// entry. param is "QueryFilter" or "ScanFilter" (used in enum errors).
func LegacyFilter(conds map[string]FilterCond, conditionalOperator, param string, layer ddb.Layer) (Cond, error) {
	keys := sortedKeys(conds)
	out := make([]Cond, 0, len(keys))
	at := string(param[0]|0x20) + param[1:]
	for _, k := range keys {
		c := conds[k]
		op := c.ComparisonOperator
		if !knownOperator(op) {
			return nil, enumError(op, at+"."+k+".member.comparisonOperator", comparisonEnum)
		}
		vs := c.AttributeValueList
		if p := valueProblem(vs, layer); p != "" {
			return nil, ddb.Validation(p)
		}
		if !argCountOK(op, len(vs)) {
			return nil, ddb.Validation(invalidParams + "Invalid number of argument(s) for the " + op + " ComparisonOperator")
		}
		if !sameType(vs) {
			return nil, ddb.Validation(invalidParams + "AttributeValues inside AttributeValueList must be of same type")
		}
		if err := checkFilterTypes(op, vs); err != nil {
			return nil, err
		}
		if op == "BETWEEN" && betweenReversed(vs) {
			return nil, ddb.Validation("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
		}
		out = append(out, comparison(k, op, vs))
	}
	return legacyJoin(out, conditionalOperator)
}

// LegacyUpdate converts a legacy AttributeUpdates map into an Update with
// AttributeUpdates semantics: PUT replaces; ADD adds to a number, adds
// elements to a set or appends to a list, creating the attribute when
// missing; DELETE without a value removes the attribute, and with a set
// removes those elements (removing the attribute when none are left).
// Type mismatches found when applying are "Type mismatch for attribute to
// update". Whether an attribute is part of the key is for the caller to
// check. UpdateItem runs DynamoDB's current value layer (ddb.Layer).
func LegacyUpdate(updates map[string]AttributeUpdate) (*Update, error) {
	keys := sortedKeys(updates)
	u := &Update{root: &pathNode{}, actions: make([]action, 0, len(keys))}
	for _, k := range keys {
		up := updates[k]
		var a action
		a.path = Path{{Name: k}}
		switch up.Action {
		case "", "PUT":
			a.kind = actPut
		case "ADD":
			a.kind = actLegacyAdd
		case "DELETE":
			a.kind = actLegacyDelete
		default:
			return nil, enumError(up.Action, "attributeUpdates."+k+".member.action", "[ADD, PUT, DELETE]")
		}
		if up.Value != nil {
			if p := up.Value.ProblemIn(ddb.LayerCurrent); p != "" {
				return nil, ddb.Validation(p)
			}
			a.value = operand{kind: kValue, val: *up.Value}
		}
		t := ddb.Type(0)
		if up.Value != nil {
			t = up.Value.T
		}
		switch {
		case up.Value == nil && a.kind != actLegacyDelete:
			return nil, ddb.Validation(invalidParams + "Only DELETE action is allowed when no attribute value is specified")
		case up.Value == nil:
			a.noVal = true
		case a.kind == actLegacyDelete && !t.IsSet():
			return nil, ddb.Validation(invalidParams + "DELETE action with value is not supported for the type " + t.String())
		case a.kind == actLegacyAdd && t != ddb.TypeN && t != ddb.TypeL && !t.IsSet():
			return nil, ddb.Validation(invalidParams + "ADD action is not supported for the type " + t.String())
		}
		u.actions = append(u.actions, a)
	}
	for i := range u.actions {
		u.root.insert(u.actions[i].path, &u.actions[i])
	}
	return u, nil
}
