package expr

import (
	"strconv"

	"github.com/dynax/dynax/ddb"
)

// StatementSize is what a standalone UpdateItem charges against the 400 KB
// limit besides the finished item: not the item it stores but what the
// statement writes, with a fixed cost per clause. Measured against DynamoDB
// by bisection (paritysuite/dynamodb-conformance tests/tier3/limits/
// itemSizeBySurface, eu-west-2 2026-08…10; 22 of 33 regions, us-east-1
// among them, apply it, the other ten size the finished item alone):
//
//   - 3 for the update;
//   - SET target = v: 19, the target, and v; ADD target :v: 19, the target
//     and the members :v adds (a number: its size);
//   - REMOVE target, DELETE target :v: 1 and the target;
//   - a target costs its first name's bytes plus 4 and the element for
//     each later element (a name's bytes, a list index's digits);
//   - operands: a :value its size (at every use), a path 1 plus 14 and the
//     element for each element (the value read is free), x + y 34 and
//     x - y 37 plus both operands, if_not_exists 39 and list_append 37 plus
//     both arguments.
//
// old is the item before the update (nil: none), for ADD's members. ok is
// false for an update converted from AttributeUpdates, which DynamoDB sizes
// by the finished item alone.
func (u *Update) StatementSize(old ddb.Item) (n int, ok bool) {
	n = 3
	for i := range u.actions {
		a := &u.actions[i]
		switch a.kind {
		case actSet:
			n += 19 + targetCost(a.path) + operandCost(&a.value)
		case actAdd:
			n += 19 + targetCost(a.path) + addedSize(a.value.val, old, a.path)
		case actRemove, actDelete:
			n += 1 + targetCost(a.path)
		default:
			return 0, false
		}
	}
	return n, true
}

func elemBytes(e PathElem) int {
	if e.IsIndex {
		return len(strconv.Itoa(e.Index))
	}
	return len(e.Name)
}

func targetCost(p Path) int {
	if len(p) == 0 {
		return 0
	}
	n := elemBytes(p[0])
	for _, e := range p[1:] {
		n += 4 + elemBytes(e)
	}
	return n
}

func operandCost(o *operand) int {
	switch o.kind {
	case kValue:
		return ddb.ValueSize(o.val)
	case kPath:
		n := 1
		for _, e := range o.path {
			n += 14 + elemBytes(e)
		}
		return n
	case kPlus, kMinus:
		n := 34
		if o.kind == kMinus {
			n = 37
		}
		for i := range o.args {
			n += operandCost(&o.args[i])
		}
		return n
	case kFunc:
		n := 0
		switch o.fn {
		case fnIfNotExists:
			n = 39
		case fnListAppend:
			n = 37
		}
		for i := range o.args {
			n += operandCost(&o.args[i])
		}
		return n
	}
	return 0
}

// addedSize is what ADD path v writes: a number's size, or the size of
// the set members of v the attribute does not hold yet.
func addedSize(v ddb.Value, old ddb.Item, p Path) int {
	if !v.T.IsSet() {
		return ddb.ValueSize(v)
	}
	cur, found := resolve(old, p)
	if !found || cur.T != v.T {
		return ddb.ValueSize(v)
	}
	n := 0
	switch v.T {
	case ddb.TypeBS:
		for _, b := range v.BS {
			if !containsBytes(cur.BS, b) {
				n += len(b)
			}
		}
	default:
		for _, s := range v.SS {
			if !containsMember(cur, s) {
				n += ddb.ValueSize(ddb.Value{T: memberType(v.T), S: s})
			}
		}
	}
	return n
}

func memberType(t ddb.Type) ddb.Type {
	if t == ddb.TypeNS {
		return ddb.TypeN
	}
	return ddb.TypeS
}

func containsMember(set ddb.Value, s string) bool {
	for _, x := range set.SS {
		if x == s || set.T == ddb.TypeNS && ddb.CompareNumbers(x, s) == 0 {
			return true
		}
	}
	return false
}
