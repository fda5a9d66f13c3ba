package expr

import (
	"strconv"
	"strings"

	"github.com/dynax/dynax/ddb"
)

// PathElem is one step of a document path: a map key or a list index.
type PathElem struct {
	// Name is the map key (attribute name) when IsIndex is false.
	Name string
	// Index is the list position when IsIndex is true.
	Index int
	// IsIndex tells a list index from a map key.
	IsIndex bool
	// opaque marks an element written as ".:value". DynamoDB accepts the
	// syntax but such an element never matches a map key or list position.
	opaque bool
}

// Path is a document path such as a.b[1].c. The first element is always a
// top-level attribute name.
type Path []PathElem

// String renders the path the way it is written in an expression, with
// names unquoted: a.b[1].c.
func (p Path) String() string {
	var b strings.Builder
	for i, e := range p {
		if e.IsIndex {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e.Index))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e.Name)
	}
	return b.String()
}

// docString renders the path as DynamoDB quotes it in messages: [a, b, [1]].
func (p Path) docString() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range p {
		if i > 0 {
			b.WriteString(", ")
		}
		if e.IsIndex {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e.Index))
			b.WriteByte(']')
		} else {
			b.WriteString(e.Name)
		}
	}
	b.WriteByte(']')
	return b.String()
}

// equal reports whether two resolved paths are the same.
func (p Path) equal(q Path) bool {
	if len(p) != len(q) {
		return false
	}
	for i := range p {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// opKind says what an operand is.
type opKind uint8

const (
	kPath opKind = iota
	kValue
	kFunc  // a function call; fn says which
	kPlus  // a + b (update values only)
	kMinus // a - b (update values only)
)

// funcID names the functions of the expression language.
type funcID uint8

const (
	fnNone funcID = iota
	fnAttributeExists
	fnAttributeNotExists
	fnAttributeType
	fnBeginsWith
	fnContains
	fnSize
	fnIfNotExists
	fnListAppend
)

// funcInfo describes a function: its name, arity, where it may be used and
// the types it accepts and returns (bit sets of ddb.Type).
type funcInfo struct {
	name     string
	nargs    int
	cond     bool // allowed in condition expressions
	value    bool // allowed in update expressions
	operands typeSet
	returns  typeSet
	distinct bool // the first operand, when a path, must differ from the others
}

var funcs = [...]funcInfo{
	fnAttributeExists:    {name: "attribute_exists", nargs: 1, cond: true, operands: allTypes, returns: boolType, distinct: true},
	fnAttributeNotExists: {name: "attribute_not_exists", nargs: 1, cond: true, operands: allTypes, returns: boolType, distinct: true},
	fnAttributeType:      {name: "attribute_type", nargs: 2, cond: true, operands: allTypes, returns: boolType, distinct: true},
	fnBeginsWith:         {name: "begins_with", nargs: 2, cond: true, operands: stringBinary, returns: boolType, distinct: true},
	fnContains:           {name: "contains", nargs: 2, cond: true, operands: allTypes, returns: boolType, distinct: true},
	fnSize:               {name: "size", nargs: 1, cond: true, operands: iterableTypes, returns: numberType, distinct: true},
	fnIfNotExists:        {name: "if_not_exists", nargs: 2, value: true, operands: allTypes, returns: allTypes, distinct: true},
	fnListAppend:         {name: "list_append", nargs: 2, value: true, operands: listType, returns: listType},
}

// lookupFunc finds a function by its exact (case-sensitive) name.
func lookupFunc(name string) funcID {
	for id := fnAttributeExists; id <= fnListAppend; id++ {
		if funcs[id].name == name {
			return id
		}
	}
	return fnNone
}

// typeSet is a set of ddb.Types, one bit per type.
type typeSet uint16

func typeBit(t ddb.Type) typeSet { return 1 << t }

const (
	allTypes      typeSet = 1<<ddb.TypeS | 1<<ddb.TypeN | 1<<ddb.TypeB | 1<<ddb.TypeBOOL | 1<<ddb.TypeNULL | 1<<ddb.TypeL | 1<<ddb.TypeM | 1<<ddb.TypeSS | 1<<ddb.TypeNS | 1<<ddb.TypeBS
	orderedTypes  typeSet = 1<<ddb.TypeS | 1<<ddb.TypeN | 1<<ddb.TypeB
	stringBinary  typeSet = 1<<ddb.TypeS | 1<<ddb.TypeB
	iterableTypes typeSet = 1<<ddb.TypeS | 1<<ddb.TypeB | 1<<ddb.TypeSS | 1<<ddb.TypeNS | 1<<ddb.TypeBS | 1<<ddb.TypeL | 1<<ddb.TypeM
	numberType    typeSet = 1 << ddb.TypeN
	boolType      typeSet = 1 << ddb.TypeBOOL
	listType      typeSet = 1 << ddb.TypeL
	setTypes      typeSet = 1<<ddb.TypeSS | 1<<ddb.TypeNS | 1<<ddb.TypeBS
	addTypes      typeSet = numberType | setTypes
)

// operand is a value-producing node: a document path, a :value, a function
// call or (in update expressions) an addition or subtraction.
type operand struct {
	kind opKind
	fn   funcID
	path Path
	val  ddb.Value
	name string // the :value placeholder of a kValue operand
	args []operand
}

// String renders the operand in expression syntax, values as wire JSON.
func (o *operand) String() string {
	switch o.kind {
	case kPath:
		return o.path.String()
	case kValue:
		if o.val.T == 0 {
			return o.name
		}
		return string(ddb.AppendValue(nil, o.val))
	case kPlus, kMinus:
		sym := " + "
		if o.kind == kMinus {
			sym = " - "
		}
		return o.args[0].String() + sym + o.args[1].String()
	}
	return callString(funcs[o.fn].name, o.args)
}

func callString(name string, args []operand) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('(')
	for i := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(args[i].String())
	}
	b.WriteByte(')')
	return b.String()
}

// Cond is a parsed condition (ConditionExpression, FilterExpression,
// KeyConditionExpression, or a converted legacy Expected/QueryFilter/
// ScanFilter). Evaluate it with Eval. String renders it in expression
// syntax with values inlined as wire JSON, for logs and tests.
type Cond interface {
	eval(item ddb.Item) bool
	String() string
}

// cmpOp is a comparison operator.
type cmpOp uint8

const (
	opEQ cmpOp = iota
	opNE
	opLT
	opLE
	opGT
	opGE
)

var cmpNames = [...]string{opEQ: "=", opNE: "<>", opLT: "<", opLE: "<=", opGT: ">", opGE: ">="}

type andCond struct{ l, r Cond }
type orCond struct{ l, r Cond }
type notCond struct{ c Cond }

// cmpCond is a comparison of two operands.
type cmpCond struct {
	op   cmpOp
	l, r operand
}

// betweenCond is x BETWEEN lo AND hi.
type betweenCond struct{ x, lo, hi operand }

// inCond is x IN (list...).
type inCond struct {
	x    operand
	list []operand
}

// funcCond is a boolean function used as a condition.
type funcCond struct {
	fn   funcID
	args []operand
}

// trueCond is the condition of an empty legacy Expected map.
type trueCond struct{}

func (c *andCond) String() string  { return "(" + c.l.String() + " AND " + c.r.String() + ")" }
func (c *orCond) String() string   { return "(" + c.l.String() + " OR " + c.r.String() + ")" }
func (c *notCond) String() string  { return "NOT " + c.c.String() }
func (c *cmpCond) String() string  { return c.l.String() + " " + cmpNames[c.op] + " " + c.r.String() }
func (c *funcCond) String() string { return callString(funcs[c.fn].name, c.args) }
func (trueCond) String() string    { return "TRUE" }
func (c *betweenCond) String() string {
	return c.x.String() + " BETWEEN " + c.lo.String() + " AND " + c.hi.String()
}
func (c *inCond) String() string {
	var b strings.Builder
	b.WriteString(c.x.String())
	b.WriteString(" IN (")
	for i := range c.list {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.list[i].String())
	}
	b.WriteByte(')')
	return b.String()
}
