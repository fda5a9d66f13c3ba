package expr

import (
	"github.com/dynax/dynax/ddb"
)

// KeyCond is one condition of a Query's key condition, in the form of the
// legacy KeyConditions parameter: the attribute, a ComparisonOperator
// (EQ, LT, LE, GT, GE, BETWEEN or BEGINS_WITH) and its values.
type KeyCond struct {
	Name   string
	Op     string
	Values []ddb.Value
}

// Key condition messages, verbatim from DynamoDB.
const (
	msgKeyInvalidOperator = "Invalid operator used in KeyConditionExpression: "
	msgKeyNested          = "KeyConditionExpressions cannot contain nested operations"
	msgKeyFirstOperand    = " operator must have the key attribute as its first operand"
	msgKeyMultipleNames   = "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"
	msgKeyNestedAttr      = "KeyConditionExpressions cannot have conditions on nested attributes"
	msgKeyNoAttribute     = "Invalid condition in KeyConditionExpression: No key attribute specified"
	msgKeyOnePerKey       = "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key" // paritysuite/dynamodb-conformance queryKeyConditionOperands
)

// KeyConditions converts a parsed KeyConditionExpression (from
// ParseCondition with which "KeyConditionExpression") into its conditions,
// one per attribute, in the order written. It reports DynamoDB's structural
// errors: operators other than AND, =, <, <=, >, >=, BETWEEN and
// begins_with, nested operations and attributes, conditions naming no key
// attribute or two, and two conditions on one attribute. A comparison
// written value-first (":v < sk") is turned around ("sk > :v"). Whether
// the attributes are the keys of the table or index queried, and the number
// of conditions, are for the caller to check.
func KeyConditions(c Cond) ([]KeyCond, error) {
	var out []KeyCond
	if err := keyConds(c, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func keyConds(c Cond, out *[]KeyCond) error {
	var args []operand
	var op string
	switch c := c.(type) {
	case *andCond:
		if err := keyConds(c.l, out); err != nil {
			return err
		}
		return keyConds(c.r, out)
	case *orCond:
		return ddb.Validation(msgKeyInvalidOperator + "OR")
	case *notCond:
		return ddb.Validation(msgKeyInvalidOperator + "NOT")
	case *inCond:
		return ddb.Validation(msgKeyInvalidOperator + "IN")
	case *cmpCond:
		switch c.op {
		case opEQ:
			op = "EQ"
		case opLT:
			op = "LT"
		case opLE:
			op = "LE"
		case opGT:
			op = "GT"
		case opGE:
			op = "GE"
		default:
			return ddb.Validation(msgKeyInvalidOperator + cmpNames[c.op])
		}
		args = []operand{c.l, c.r}
	case *betweenCond:
		if c.x.kind != kPath {
			return ddb.Validation("Invalid condition in KeyConditionExpression: BETWEEN" + msgKeyFirstOperand)
		}
		op = "BETWEEN"
		args = []operand{c.x, c.lo, c.hi}
	case *funcCond:
		switch c.fn {
		case fnBeginsWith:
			if len(c.args) == 0 || c.args[0].kind != kPath {
				return ddb.Validation("Invalid condition in KeyConditionExpression: begins_with" + msgKeyFirstOperand)
			}
			op = "BEGINS_WITH"
			args = c.args
		case fnSize:
			return ddb.Validation(msgKeyNested)
		default:
			return ddb.Validation(msgKeyInvalidOperator + funcs[c.fn].name)
		}
	default:
		return ddb.Validation(msgKeyNoAttribute)
	}
	name, at := "", 0
	for i := range args {
		switch args[i].kind {
		case kPath:
			if name != "" {
				return ddb.Validation(msgKeyMultipleNames)
			}
			if len(args[i].path) > 1 {
				return ddb.Validation(msgKeyNestedAttr)
			}
			name, at = args[i].path[0].Name, i
		case kFunc, kPlus, kMinus:
			return ddb.Validation(msgKeyNested)
		}
	}
	if name == "" {
		return ddb.Validation(msgKeyNoAttribute)
	}
	for _, k := range *out {
		if k.Name == name {
			return ddb.Validation(msgKeyOnePerKey)
		}
	}
	vals := make([]ddb.Value, 0, len(args)-1)
	for i := range args {
		if i != at {
			vals = append(vals, args[i].val)
		}
	}
	if at != 0 {
		switch op {
		case "LT":
			op = "GT"
		case "LE":
			op = "GE"
		case "GT":
			op = "LT"
		case "GE":
			op = "LE"
		}
	}
	*out = append(*out, KeyCond{Name: name, Op: op, Values: vals})
	return nil
}

// CondPaths returns every document path a condition reads, in the order
// written (function arguments and operands of size included).
func CondPaths(c Cond) []Path {
	var out []Path
	condPaths(c, &out)
	return out
}

func condPaths(c Cond, out *[]Path) {
	switch c := c.(type) {
	case *andCond:
		condPaths(c.l, out)
		condPaths(c.r, out)
	case *orCond:
		condPaths(c.l, out)
		condPaths(c.r, out)
	case *notCond:
		condPaths(c.c, out)
	case *cmpCond:
		operandPaths(&c.l, out)
		operandPaths(&c.r, out)
	case *betweenCond:
		operandPaths(&c.x, out)
		operandPaths(&c.lo, out)
		operandPaths(&c.hi, out)
	case *inCond:
		operandPaths(&c.x, out)
		for i := range c.list {
			operandPaths(&c.list[i], out)
		}
	case *funcCond:
		for i := range c.args {
			operandPaths(&c.args[i], out)
		}
	}
}

func operandPaths(o *operand, out *[]Path) {
	switch o.kind {
	case kPath:
		*out = append(*out, o.path)
	case kFunc, kPlus, kMinus:
		for i := range o.args {
			operandPaths(&o.args[i], out)
		}
	}
}
