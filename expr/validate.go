package expr

import (
	"github.com/dynax/dynax/ddb"
)

// validator is phase 3 of parsing: it resolves placeholders and checks
// operators in DynamoDB's order — a post-order walk of the tree, children
// left to right, so the first problem DynamoDB would report is the first
// one found here. It fails by panicking with parseFail, like the parser.
type validator struct {
	a   *Attrs
	ops int // operators and functions seen, for MaxOperators
}

func (v *validator) fail(msg string) { panic(parseFail{msg}) }

// resolvePath checks a path's depth and replaces #name placeholders by the
// names they stand for, in place.
func (v *validator) resolvePath(p Path) {
	if len(p) > MaxPathDepth {
		v.fail(msgPathTooDeep + itoa(len(p)))
	}
	for i := range p {
		e := &p[i]
		if e.IsIndex || e.Name == "" {
			continue
		}
		switch e.Name[0] {
		case '#':
			n, ok := v.a.name(e.Name)
			if !ok {
				v.fail(msgNameUndefined + e.Name)
			}
			e.Name = n
		case ':':
			if _, ok := v.a.value(e.Name); !ok {
				v.fail(msgNameUndefined + e.Name)
			}
			e.opaque = true
		}
	}
}

// operand validates an operand tree bottom-up.
func (v *validator) operand(o *operand) {
	switch o.kind {
	case kPath:
		v.resolvePath(o.path)
	case kValue:
		if o.val.T != 0 {
			return // given directly (legacy conversions)
		}
		val, ok := v.a.value(o.name)
		if !ok {
			v.fail(msgValueUndefined + o.name)
		}
		o.val = val
	case kFunc:
		for i := range o.args {
			v.operand(&o.args[i])
		}
		v.function(o.fn, o.args)
	case kPlus, kMinus:
		v.operand(&o.args[0])
		v.operand(&o.args[1])
		name := "+"
		if o.kind == kMinus {
			name = "-"
		}
		v.typeCheck(name, numberType, &o.args[0])
		v.typeCheck(name, numberType, &o.args[1])
		v.count()
	}
}

// function checks a function call whose arguments are already validated.
func (v *validator) function(fn funcID, args []operand) {
	info := &funcs[fn]
	if len(args) != info.nargs {
		v.fail(msgOperandCount + info.name + ", number of operands: " + itoa(len(args)))
	}
	for i := range args {
		v.typeCheck(info.name, info.operands, &args[i])
	}
	if info.distinct {
		for i := 1; i < len(args); i++ {
			v.distinct(info.name, &args[0], &args[i])
		}
	}
	switch fn {
	case fnAttributeExists, fnAttributeNotExists, fnIfNotExists:
		if args[0].kind != kPath {
			v.fail(msgNeedsPath + info.name)
		}
	case fnAttributeType:
		t := &args[1]
		if t.kind != kValue || t.val.T != ddb.TypeS {
			v.fail(msgOperandType + info.name + ", operand type: " + possibleTypes(t))
		}
		if _, ok := ddb.TypeFromString(t.val.S); !ok {
			v.fail(msgBadTypeName + t.val.S + ", valid types: " + validTypeNames)
		}
	}
	v.count()
}

// typeCheck fails when an operand can never have a type the operator accepts.
func (v *validator) typeCheck(name string, accepted typeSet, o *operand) {
	if !supports(o, accepted) {
		v.fail(msgOperandType + name + ", operand type: " + possibleTypes(o))
	}
}

// distinct fails when a later operand is the same document path as the first.
func (v *validator) distinct(name string, first, o *operand) {
	if first.kind == kPath && o.kind == kPath && first.path.equal(o.path) {
		v.fail(msgDistinct + name + ", first operand: " + first.path.docString())
	}
}

func (v *validator) count() {
	v.ops++
	if v.ops > MaxOperators {
		v.fail(msgTooManyOperators + itoa(v.ops))
	}
}

// supports reports whether o may produce a type in accepted.
func supports(o *operand, accepted typeSet) bool {
	switch o.kind {
	case kPath:
		return true
	case kValue:
		return accepted&typeBit(o.val.T) != 0
	case kPlus, kMinus:
		return accepted&numberType != 0
	}
	return accepted&funcs[o.fn].returns != 0
}

// possibleTypes names the types an operand may have, as DynamoDB does in
// operand-type errors.
func possibleTypes(o *operand) string {
	switch o.kind {
	case kPath:
		return anyTypeNames
	case kValue:
		return typeName(o.val.T)
	case kPlus, kMinus:
		return "N"
	}
	switch funcs[o.fn].returns {
	case numberType:
		return "N"
	case listType:
		return "L"
	case boolType:
		return "BOOL"
	}
	return anyTypeNames
}

// cond validates a condition tree bottom-up.
func (v *validator) cond(c Cond) {
	switch c := c.(type) {
	case *andCond:
		v.cond(c.l)
		v.cond(c.r)
		v.count()
	case *orCond:
		v.cond(c.l)
		v.cond(c.r)
		v.count()
	case *notCond:
		v.cond(c.c)
		v.count()
	case *cmpCond:
		v.operand(&c.l)
		v.operand(&c.r)
		name := cmpNames[c.op]
		accepted := allTypes
		if c.op >= opLT {
			accepted = orderedTypes
		}
		v.typeCheck(name, accepted, &c.l)
		v.typeCheck(name, accepted, &c.r)
		v.distinct(name, &c.l, &c.r)
		v.count()
	case *betweenCond:
		v.operand(&c.x)
		v.operand(&c.lo)
		v.operand(&c.hi)
		v.typeCheck("BETWEEN", orderedTypes, &c.x)
		v.typeCheck("BETWEEN", orderedTypes, &c.lo)
		v.typeCheck("BETWEEN", orderedTypes, &c.hi)
		v.distinct("BETWEEN", &c.x, &c.lo)
		v.distinct("BETWEEN", &c.x, &c.hi)
		if c.lo.kind == kValue && c.hi.kind == kValue {
			lo, hi := c.lo.val, c.hi.val
			if lo.T != hi.T {
				v.fail(msgBetweenTypes + avString(lo) + ", upper bound operand: " + avString(hi))
			}
			if compareOrdered(lo, hi) > 0 {
				v.fail(msgBetweenOrder + avString(lo) + ", upper bound operand: " + avString(hi))
			}
		}
		v.count()
	case *inCond:
		v.operand(&c.x)
		for i := range c.list {
			v.operand(&c.list[i])
		}
		for i := range c.list {
			v.distinct("IN", &c.x, &c.list[i])
		}
		if len(c.list) > MaxInOperands {
			v.fail(msgTooManyIn + itoa(len(c.list)))
		}
		v.count()
	case *funcCond:
		for i := range c.args {
			v.operand(&c.args[i])
		}
		v.function(c.fn, c.args)
	}
}

// pathNode is a node of the tree DynamoDB builds from the paths of an
// update or projection expression to find overlapping and conflicting
// paths. For updates, the node where a path ends holds its action.
type pathNode struct {
	elem PathElem
	kids []*pathNode
	leaf bool    // a path ends here
	act  *action // the update action of that path
}

func (n *pathNode) find(e PathElem) *pathNode {
	for _, k := range n.kids {
		if k.elem == e {
			return k
		}
	}
	return nil
}

// insert adds a path to the tree, or returns DynamoDB's overlap or
// conflict message. As in DynamoDB, the second path of the message is
// found by following, from the node where the paths meet, the first child
// in the iteration order of DynamoDB's tree (see firstKid).
func (n *pathNode) insert(p Path, act *action) string {
	for depth := range p {
		e := p[depth]
		child := n.find(e)
		if child == nil {
			if len(n.kids) > 0 && collection(n.kids[0].elem) != collection(e) {
				return msgConflict + p.docString() + ", path two: " + leafPath(p[:depth], n).docString()
			}
			for ; depth < len(p); depth++ {
				c := &pathNode{elem: p[depth]}
				n.kids = append(n.kids, c)
				n = c
			}
			n.leaf, n.act = true, act
			return ""
		}
		if child.leaf || depth == len(p)-1 {
			return msgOverlap + p.docString() + ", path two: " + leafPath(p[:depth], n).docString()
		}
		n = child
	}
	return ""
}

// collection is the kind of document an element steps into: 0 for a map
// key, 1 for a list index, 2 for a ".:value" element.
func collection(e PathElem) int {
	switch {
	case e.IsIndex:
		return 1
	case e.opaque:
		return 2
	}
	return 0
}

// leafPath returns prefix followed by the first branch of the tree below n.
func leafPath(prefix Path, n *pathNode) Path {
	out := append(Path{}, prefix...)
	for len(n.kids) > 0 {
		n = n.firstKid()
		out = append(out, n.elem)
		if n.leaf {
			break
		}
	}
	return out
}

// firstKid returns the child DynamoDB's tree lists first. DynamoDB keeps
// the children of a node in a java.util.HashMap, so the first is the one in
// the lowest hash bucket (ties go to the earliest inserted); the table has
// 16 buckets, doubled whenever it is more than three quarters full.
func (n *pathNode) firstKid() *pathNode {
	buckets := javaBuckets(len(n.kids))
	var best *pathNode
	var bestBucket uint32
	for _, k := range n.kids {
		if b := javaBucket(k.elem, buckets); best == nil || b < bestBucket {
			best, bestBucket = k, b
		}
	}
	return best
}

// javaBuckets is the table size of a java.util.HashMap holding n entries.
func javaBuckets(n int) uint32 {
	buckets := uint32(16)
	for uint32(n) > buckets/4*3 {
		buckets *= 2
	}
	return buckets
}

// javaBucket is the bucket of e in a java.util.HashMap of the given size.
func javaBucket(e PathElem, buckets uint32) uint32 {
	h := uint32(javaHash(e))
	return (h ^ h>>16) & (buckets - 1)
}

// javaHash is the hashCode of DynamoDB's document path element:
// HashCodeBuilder(8191, 127) over the key's String.hashCode (UTF-16 code
// units) or the list index.
func javaHash(e PathElem) int32 {
	const seed = 8191 * 127
	if e.IsIndex {
		return seed + int32(e.Index)
	}
	var h int32
	for _, r := range e.Name {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return seed + h
}

// sortJava puts the children of every node of the tree in the order
// DynamoDB visits them when it applies an update (the iteration order of
// its HashMap), so that of several run-time errors the one DynamoDB meets
// first is the one reported.
func (n *pathNode) sortJava() {
	if len(n.kids) > 1 {
		buckets := javaBuckets(len(n.kids))
		b := make([]uint32, len(n.kids))
		for i, k := range n.kids {
			b[i] = javaBucket(k.elem, buckets)
		}
		// Stable insertion sort by bucket: within a bucket, HashMap keeps
		// insertion order.
		for i := 1; i < len(n.kids); i++ {
			for j := i; j > 0 && b[j] < b[j-1]; j-- {
				n.kids[j], n.kids[j-1] = n.kids[j-1], n.kids[j]
				b[j], b[j-1] = b[j-1], b[j]
			}
		}
	}
	for _, k := range n.kids {
		k.sortJava()
	}
}
