package partiql

import (
	"slices"
	"strconv"
	"strings"

	"github.com/dynax/dynax/ddb"
)

// Semantic messages, verbatim from DynamoDB.
const (
	MsgIncompleteKey      = "Where clause does not contain a mandatory equality on all key attributes"
	msgEmptyBag           = "Empty bags are not supported"
	msgBagType            = "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"
	msgMissingCompare     = "MISSING must be compared using IS operator"
	msgISOperand          = "The left hand side argument to IS must be a Variable Reference, Literal, or Path"
	msgISInUpdate         = "IS operator is not supported in update expressions"
	msgInOperator         = "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"
	msgWhereBoolean       = "WHERE clause must contain an expression that resolves to a boolean"
	msgNotOperand         = "The argument to NOT must be a Type or Expression"
	msgAndOrOperand       = "The arguments to AND/OR must be Expressions"
	msgUnsupportedItem    = "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement."
	msgUnsupportedISType  = "Unsupported data type for IS operator: %s. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"
	msgSetOpArgs          = "SET_%s must have exactly two arguments"
	msgSetOpFirst         = "The first argument to SET_%s must equal the assignment value"
	msgSetOpSecond        = "The second argument to SET_%s must be a value with type SET"
	msgUnsupportedCondOp  = "Unsupported operator in Condition Expression. Operator: "
	msgUnsupportedUpdOp   = "Unsupported operator in Update Expression. Operator: "
	msgUnrecognizedFunc   = "Unrecognized function: "
	msgUnsupportedType    = "Unsupported data type: "
	msgTupleKeyType       = "Tuple keys must be of type String. Actual type: "
	msgDuplicateTupleKeys = "Duplicate keys in tuple. Key: "
)

// at appends " at <pos>" as DynamoDB positions its messages.
func at(msg string, p Pos) *ddb.Error { return ddb.Validation(msg + " at " + p.String()) }

// ---- values ----

// Value converts a literal expression (scalar literal, parameter, tuple,
// list or bag) into an AttributeValue. missing reports the MISSING
// literal. Messages about the value name where it is: root, root.key,
// root[1].
func Value(e Expr, params []ddb.Value) (v ddb.Value, missing bool, err error) {
	return value(e, params, "root")
}

func value(e Expr, params []ddb.Value, where string) (ddb.Value, bool, error) {
	switch x := e.(type) {
	case *Lit:
		if x.Missing {
			return ddb.Value{}, true, nil
		}
		if x.V.T == ddb.TypeN {
			s, err := ddb.CanonicalNumber(x.V.S)
			if err != nil {
				de, _ := ddb.AsError(err)
				return ddb.Value{}, false, ddb.Validation(de.Message + " under " + where)
			}
			return ddb.N(s), false, nil
		}
		return x.V, false, nil
	case *Param:
		return BindParam(x, params)
	case *Tuple:
		m := make(map[string]ddb.Value, len(x.Keys))
		for i, k := range x.Keys {
			key, err := tupleKey(k, params, where)
			if err != nil {
				return ddb.Value{}, false, err
			}
			if _, dup := m[key]; dup {
				return ddb.Value{}, false, ddb.Validation(msgDuplicateTupleKeys + key + " under " + where)
			}
			v, miss, err := value(x.Vals[i], params, where+"."+key)
			if err != nil {
				return ddb.Value{}, false, err
			}
			if !miss {
				m[key] = v
			}
		}
		return ddb.M(m), false, nil
	case *List:
		l := make([]ddb.Value, 0, len(x.Elems))
		for i, el := range x.Elems {
			v, miss, err := value(el, params, where+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return ddb.Value{}, false, err
			}
			if !miss {
				l = append(l, v)
			}
		}
		return ddb.L(l...), false, nil
	case *Bag:
		return bag(x)
	case *Call:
		return ddb.Value{}, false, at(msgUnsupportedType+x.Name+" under key "+where, x.Pos)
	}
	return ddb.Value{}, false, at(msgUnsupportedType+exprKind(e)+" under key "+where, exprStart(e))
}

// BindParam returns the value bound to parameter x.
func BindParam(x *Param, params []ddb.Value) (ddb.Value, bool, error) {
	if x.N >= len(params) {
		return ddb.Value{}, false, ddb.Validation(MsgParamCount)
	}
	v := params[x.N]
	if p := v.Problem(); p != "" {
		return ddb.Value{}, false, ddb.Validation(p)
	}
	return v, false, nil
}

func tupleKey(k Expr, params []ddb.Value, where string) (string, error) {
	switch x := k.(type) {
	case *Lit:
		if x.V.T == ddb.TypeS {
			return x.V.S, nil
		}
	case *Param:
		v, _, err := BindParam(x, params)
		if err != nil {
			return "", err
		}
		if v.T == ddb.TypeS {
			return v.S, nil
		}
		return "", ddb.Validation(msgTupleKeyType + v.T.String() + " under " + where)
	}
	return "", ddb.Validation(msgTupleKeyType + exprKind(k) + " under " + where)
}

// exprKind names an expression's type in messages.
func exprKind(e Expr) string {
	switch x := e.(type) {
	case *Lit:
		switch {
		case x.Missing:
			return "MISSING"
		case x.V.T == ddb.TypeN:
			return "DECIMAL"
		case x.V.T == ddb.TypeS:
			return "STRING"
		case x.V.T == ddb.TypeBOOL:
			return "BOOL"
		}
		return "NULL"
	case *Path:
		return "VariableReference"
	case *Tuple:
		return "STRUCT"
	case *List:
		return "LIST"
	case *Bag:
		return "BAG"
	case *Call:
		return x.Name
	case *Binary:
		return x.Op
	case *Unary:
		return x.Op
	}
	return "UNKNOWN"
}

// bag converts <<…>> into a string or number set.
func bag(b *Bag) (ddb.Value, bool, error) {
	if len(b.Elems) == 0 {
		return ddb.Value{}, false, ddb.Validation(msgEmptyBag)
	}
	var t ddb.Type
	elems := make([]string, 0, len(b.Elems))
	for _, el := range b.Elems {
		l, ok := el.(*Lit)
		if !ok || l.Missing || l.V.T != ddb.TypeS && l.V.T != ddb.TypeN || t != 0 && l.V.T != t {
			return ddb.Value{}, false, ddb.Validation(msgBagType)
		}
		t = l.V.T
		s := l.V.S
		if t == ddb.TypeN {
			c, err := ddb.CanonicalNumber(s)
			if err != nil {
				return ddb.Value{}, false, err
			}
			s = c
		}
		elems = append(elems, s)
	}
	for i := range elems {
		if slices.Contains(elems[:i], elems[i]) {
			return ddb.Value{}, false, ddb.Validation("One or more parameter values were invalid: Input collection [" +
				strings.Join(elems, ", ") + "] contains duplicates.")
		}
	}
	if t == ddb.TypeN {
		return ddb.Value{T: ddb.TypeNS, SS: elems}, false, nil
	}
	return ddb.Value{T: ddb.TypeSS, SS: elems}, false, nil
}

// ---- key conditions ----

// Conjuncts flattens the top-level ANDs of a condition.
func Conjuncts(e Expr) []Expr {
	if b, ok := e.(*Binary); ok && b.Op == "AND" {
		return append(Conjuncts(b.L), Conjuncts(b.R)...)
	}
	if e == nil {
		return nil
	}
	return []Expr{e}
}

// Equality reports whether term is attr = v (either way round) with attr
// a top-level attribute name and v a literal or parameter; it returns the
// name and the value expression.
func Equality(term Expr) (name string, v Expr, ok bool) {
	b, isBin := term.(*Binary)
	if !isBin || b.Op != "=" {
		return "", nil, false
	}
	if n, ok := topName(b.L); ok && isValue(b.R) {
		return n, b.R, true
	}
	if n, ok := topName(b.R); ok && isValue(b.L) {
		return n, b.L, true
	}
	return "", nil, false
}

// InList reports whether term is attr IN […] with literal or parameter
// members; it returns the name and the members.
func InList(term Expr) (name string, vs []Expr, ok bool) {
	in, isIn := term.(*In)
	if !isIn || in.Not || len(in.List) == 0 {
		return "", nil, false
	}
	n, ok := topName(in.X)
	if !ok {
		return "", nil, false
	}
	for _, v := range in.List {
		if !isValue(v) {
			return "", nil, false
		}
	}
	return n, in.List, true
}

// Mentions reports whether e reads the top-level attribute name.
func Mentions(e Expr, name string) bool {
	found := false
	walk(e, func(x Expr) {
		if p, ok := x.(*Path); ok && p.Steps[0].Name == name {
			found = true
		}
	})
	return found
}

func walk(e Expr, fn func(Expr)) {
	if e == nil {
		return
	}
	fn(e)
	switch x := e.(type) {
	case *Binary:
		walk(x.L, fn)
		walk(x.R, fn)
	case *Unary:
		walk(x.X, fn)
	case *Between:
		walk(x.X, fn)
		walk(x.Lo, fn)
		walk(x.Hi, fn)
	case *In:
		walk(x.X, fn)
		walk(x.RHS, fn)
	case *Is:
		walk(x.X, fn)
	case *Call:
		for _, a := range x.Args {
			walk(a, fn)
		}
	case *Tuple:
		for i := range x.Keys {
			walk(x.Keys[i], fn)
			walk(x.Vals[i], fn)
		}
	case *List:
		for _, a := range x.Elems {
			walk(a, fn)
		}
	case *Bag:
		for _, a := range x.Elems {
			walk(a, fn)
		}
	}
}

func topName(e Expr) (string, bool) {
	p, ok := e.(*Path)
	if !ok || len(p.Steps) != 1 {
		return "", false
	}
	return p.Steps[0].Name, true
}

func isValue(e Expr) bool {
	switch x := e.(type) {
	case *Param, *Tuple, *List, *Bag:
		return true
	case *Lit:
		return !x.Missing
	}
	return false
}

// And joins conditions with AND (nil for none).
func And(terms []Expr) Expr {
	var out Expr
	for _, t := range terms {
		if out == nil {
			out = t
		} else {
			out = &Binary{Op: "AND", L: out, R: t, Pos: t.At()}
		}
	}
	return out
}

// ---- expression text ----

// Builder renders conditions and updates as DynamoDB expression text with
// #n name and :v value placeholders, collected in Names and Values.
type Builder struct {
	Names  map[string]string
	Values map[string]ddb.Value
	Params []ddb.Value

	byName map[string]string
}

// NewBuilder returns a Builder binding ? to params.
func NewBuilder(params []ddb.Value) *Builder {
	return &Builder{Names: map[string]string{}, Values: map[string]ddb.Value{}, Params: params, byName: map[string]string{}}
}

func (b *Builder) name(n string) string {
	if ph, ok := b.byName[n]; ok {
		return ph
	}
	ph := "#n" + strconv.Itoa(len(b.byName))
	b.byName[n] = ph
	b.Names[ph] = n
	return ph
}

func (b *Builder) value(v ddb.Value) string {
	ph := ":v" + strconv.Itoa(len(b.Values))
	b.Values[ph] = v
	return ph
}

// Path renders a document path.
func (b *Builder) Path(p *Path) string {
	var s strings.Builder
	for i, st := range p.Steps {
		if st.IsIndex {
			s.WriteString("[" + strconv.Itoa(st.Index) + "]")
			continue
		}
		if i > 0 {
			s.WriteByte('.')
		}
		s.WriteString(b.name(st.Name))
	}
	return s.String()
}

// condFuncs are the functions a condition may call.
var condFuncs = map[string]bool{"begins_with": true, "contains": true, "attribute_type": true,
	"attribute_exists": true, "attribute_not_exists": true}

// Cond renders a WHERE condition as a ConditionExpression.
func (b *Builder) Cond(e Expr) (string, error) {
	switch x := e.(type) {
	case *Binary:
		switch x.Op {
		case "AND", "OR":
			if !isCondition(x.L) || !isCondition(x.R) {
				return "", ddb.Validation(msgAndOrOperand)
			}
			l, err := b.Cond(x.L)
			if err != nil {
				return "", err
			}
			r, err := b.Cond(x.R)
			if err != nil {
				return "", err
			}
			return "(" + l + " " + x.Op + " " + r + ")", nil
		case "=", "<>", "<", "<=", ">", ">=":
			// f(…) = true / false: the function's truth.
			for _, side := range [2][2]Expr{{x.L, x.R}, {x.R, x.L}} {
				if c, ok := side[0].(*Call); ok && condFuncs[c.Name] {
					if lit, ok := side[1].(*Lit); ok && lit.V.T == ddb.TypeBOOL && (x.Op == "=" || x.Op == "<>") {
						s, err := b.Cond(c)
						if err != nil || lit.V.Bool == (x.Op == "=") {
							return s, err
						}
						return "NOT " + s, nil
					}
				}
			}
			l, err := b.operand(x.L)
			if err != nil {
				return "", err
			}
			r, err := b.operand(x.R)
			if err != nil {
				return "", err
			}
			return l + " " + x.Op + " " + r, nil
		}
		return "", ddb.Validation(msgUnsupportedCondOp + x.Op)
	case *Unary:
		if x.Op != "NOT" {
			return "", ddb.Validation(msgUnsupportedCondOp + x.Op)
		}
		if !isCondition(x.X) {
			return "", ddb.Validation(msgNotOperand)
		}
		s, err := b.Cond(x.X)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(s, "(") {
			return "NOT " + s, nil
		}
		return "NOT (" + s + ")", nil
	case *Between:
		v, err := b.operand(x.X)
		if err != nil {
			return "", err
		}
		lo, err := b.operand(x.Lo)
		if err != nil {
			return "", err
		}
		hi, err := b.operand(x.Hi)
		if err != nil {
			return "", err
		}
		s := v + " BETWEEN " + lo + " AND " + hi
		if x.Not {
			return "NOT (" + s + ")", nil
		}
		return s, nil
	case *In:
		if _, ok := x.X.(*Path); !ok || len(x.List) == 0 {
			return "", ddb.Validation(msgInOperator)
		}
		v, err := b.operand(x.X)
		if err != nil {
			return "", err
		}
		list := make([]string, len(x.List))
		for i, el := range x.List {
			if list[i], err = b.operand(el); err != nil {
				return "", err
			}
		}
		s := v + " IN (" + strings.Join(list, ", ") + ")"
		if x.Not {
			return "NOT (" + s + ")", nil
		}
		return s, nil
	case *Is:
		return b.is(x)
	case *Call:
		if !condFuncs[x.Name] {
			if x.Name == "size" {
				return "", ddb.Validation(msgWhereBoolean)
			}
			return "", at(msgUnrecognizedFunc+x.Name, x.Pos)
		}
		return renderCall(x, b.operand)
	case *Lit:
		if x.Missing {
			return "", ddb.Validation(msgMissingCompare)
		}
	}
	return "", ddb.Validation(msgWhereBoolean)
}

// isCondition reports whether e is a boolean expression.
func isCondition(e Expr) bool {
	switch x := e.(type) {
	case *Binary:
		switch x.Op {
		case "+", "-", "*", "/", "%", "||":
			return false
		}
		return true
	case *Unary:
		return x.Op == "NOT"
	case *Between, *In, *Is, *Call:
		return true
	}
	return false
}

// ioTypes maps IS type names to the DynamoDB types they accept.
var isTypes = map[string][]string{
	"NULL": {"NULL"}, "BOOL": {"BOOL"}, "BOOLEAN": {"BOOL"},
	"STRING": {"S"}, "VARCHAR": {"S"}, "CHAR": {"S"}, "CHARACTER": {"S"}, "CHARACTER VARYING": {"S"}, "SYMBOL": {"S"},
	"NUMERIC": {"N"}, "INT": {"N"}, "INTEGER": {"N"}, "INT4": {"N"}, "INT8": {"N"}, "SMALLINT": {"N"},
	"DECIMAL": {"N"}, "FLOAT": {"N"}, "REAL": {"N"}, "DOUBLE PRECISION": {"N"},
	"BLOB": {"B"}, "LIST": {"L"}, "SEXP": {"L"}, "STRUCT": {"M"}, "TUPLE": {"M"}, "BAG": {"SS", "NS", "BS"},
}

func (b *Builder) is(x *Is) (string, error) {
	p, ok := x.X.(*Path)
	if !ok {
		return "", ddb.Validation(msgISOperand)
	}
	path := b.Path(p)
	var s string
	switch x.Type {
	case "MISSING":
		if x.Not {
			return "attribute_exists(" + path + ")", nil
		}
		return "attribute_not_exists(" + path + ")", nil
	case "NULL":
		// PartiQL: MISSING IS NULL too.
		s = "(attribute_not_exists(" + path + ") OR attribute_type(" + path + ", " + b.value(ddb.S("NULL")) + "))"
	default:
		types, ok := isTypes[x.Type]
		if !ok {
			return "", ddb.Validationf(msgUnsupportedISType, x.Type)
		}
		parts := make([]string, len(types))
		for i, t := range types {
			parts[i] = "attribute_type(" + path + ", " + b.value(ddb.S(t)) + ")"
		}
		s = strings.Join(parts, " OR ")
		if len(parts) > 1 {
			s = "(" + s + ")"
		}
	}
	if x.Not {
		if strings.HasPrefix(s, "(") {
			return "NOT " + s, nil
		}
		return "NOT (" + s + ")", nil
	}
	return s, nil
}

// operand renders a value-producing expression of a condition.
func (b *Builder) operand(e Expr) (string, error) {
	switch x := e.(type) {
	case *Path:
		return b.Path(x), nil
	case *Lit:
		if x.Missing {
			return "", ddb.Validation(msgMissingCompare)
		}
	case *Call:
		if x.Name == "size" || condFuncs[x.Name] {
			return renderCall(x, b.operand)
		}
		return "", at(msgUnrecognizedFunc+x.Name, x.Pos)
	case *Binary:
		return "", ddb.Validation(msgUnsupportedCondOp + x.Op)
	case *Unary:
		return "", ddb.Validation(msgUnsupportedCondOp + x.Op)
	case *Is:
		return "", ddb.Validation(msgWhereBoolean)
	case *Between, *In:
		return "", ddb.Validation(msgWhereBoolean)
	}
	v, _, err := value(e, b.Params, "root")
	if err != nil {
		return "", err
	}
	return b.value(v), nil
}

// Update renders the SET and REMOVE actions of an UPDATE as an
// UpdateExpression. SET p = set_add(p, <<…>>) and set_delete become ADD
// and DELETE.
func (b *Builder) Update(actions []Action) (string, error) {
	var set, remove, add, del []string
	for _, a := range actions {
		path := b.Path(a.Path)
		if a.Remove {
			remove = append(remove, path)
			continue
		}
		if c, ok := a.Value.(*Call); ok && (c.Name == "set_add" || c.Name == "set_delete") {
			op := strings.ToUpper(strings.TrimPrefix(c.Name, "set_"))
			if len(c.Args) != 2 {
				return "", at(strings.Replace(msgSetOpArgs, "%s", op, 1), c.Pos)
			}
			if p, ok := c.Args[0].(*Path); !ok || !p.Equal(a.Path) {
				return "", at(strings.Replace(msgSetOpFirst, "%s", op, 1), c.Pos)
			}
			switch c.Args[1].(type) {
			case *Bag, *Param:
			default:
				return "", at(strings.Replace(msgSetOpSecond, "%s", op, 1), c.Args[0].At())
			}
			v, _, err := value(c.Args[1], b.Params, "root")
			if err != nil {
				return "", err
			}
			if !v.T.IsSet() {
				return "", at(strings.Replace(msgSetOpSecond, "%s", op, 1), c.Args[0].At())
			}
			if op == "ADD" {
				add = append(add, path+" "+b.value(v))
			} else {
				del = append(del, path+" "+b.value(v))
			}
			continue
		}
		v, err := b.updValue(a.Value)
		if err != nil {
			return "", err
		}
		set = append(set, path+" = "+v)
	}
	var out []string
	for _, sec := range []struct {
		kw    string
		items []string
	}{{"SET", set}, {"REMOVE", remove}, {"ADD", add}, {"DELETE", del}} {
		if len(sec.items) > 0 {
			out = append(out, sec.kw+" "+strings.Join(sec.items, ", "))
		}
	}
	return strings.Join(out, " "), nil
}

// updValue renders the value of a SET.
func (b *Builder) updValue(e Expr) (string, error) {
	switch x := e.(type) {
	case *Path:
		return b.Path(x), nil
	case *Binary:
		if x.Op != "+" && x.Op != "-" {
			return "", ddb.Validation(msgUnsupportedUpdOp + x.Op)
		}
		l, err := b.updOperand(x.L)
		if err != nil {
			return "", err
		}
		r, err := b.updOperand(x.R)
		if err != nil {
			return "", err
		}
		return l + " " + x.Op + " " + r, nil
	case *Call:
		switch x.Name {
		case "list_append", "if_not_exists":
			return renderCall(x, b.updOperand)
		}
		return "", at(msgUnrecognizedFunc+x.Name, x.Pos)
	case *Is:
		return "", ddb.Validation(msgISInUpdate)
	case *Unary:
		return "", ddb.Validation(msgUnsupportedUpdOp + x.Op)
	case *Between:
		return "", ddb.Validation(msgUnsupportedUpdOp + "BETWEEN")
	case *In:
		return "", ddb.Validation(msgUnsupportedUpdOp + "IN")
	case *Lit:
		if x.Missing {
			return "", ddb.Validation(msgMissingCompare)
		}
	}
	v, _, err := value(e, b.Params, "root")
	if err != nil {
		return "", err
	}
	return b.value(v), nil
}

// updOperand renders an operand of + - list_append if_not_exists.
func (b *Builder) updOperand(e Expr) (string, error) {
	switch x := e.(type) {
	case *Binary:
		return "", ddb.Validation(msgUnsupportedUpdOp + x.Op)
	case *Call:
		return b.updValue(x)
	}
	return b.updValue(e)
}

// renderCall renders function call x with each argument rendered by arg.
func renderCall(x *Call, arg func(Expr) (string, error)) (string, error) {
	args := make([]string, len(x.Args))
	for i, a := range x.Args {
		var err error
		if args[i], err = arg(a); err != nil {
			return "", err
		}
	}
	return x.Name + "(" + strings.Join(args, ", ") + ")", nil
}
