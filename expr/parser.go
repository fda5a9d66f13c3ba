package expr

import (
	"sync"
)

// The parser mirrors DynamoDB's ANTLR grammar rule by rule:
//
//	projection : path (',' path)* EOF
//	condition  : operand comparator operand
//	           | operand IN '(' operand (',' operand)* ')'
//	           | operand BETWEEN operand AND operand
//	           | function
//	           | '(' condition ')'
//	           | NOT condition            (binds tighter than AND)
//	           | condition AND condition  (binds tighter than OR)
//	           | condition OR condition
//	update     : (SET set_action (',' set_action)* | ADD path :value (',' …)*
//	           |  DELETE path :value (',' …)* | REMOVE path (',' path)*)+ EOF
//	set_action : path '=' (operand | arithmetic)
//	arithmetic : operand ('+'|'-') operand | '(' arithmetic ')'
//	operand    : path | :value | function | '(' operand ')'
//	function   : ID '(' operand (',' operand)* ')'
//	path       : (ID | #name) ('.' (ID | #name | :value) | '[' INDEX ']')*
//
// Errors come out in DynamoDB's order, in three phases:
//
//  1. Parsing: the first syntax error, or "redundant parentheses" when a
//     parenthesised condition, operand or arithmetic is wrapped twice —
//     whichever DynamoDB's parser meets first. Lookahead (scan.go) decides
//     alternatives exactly where DynamoDB's does, so both are found in the
//     same order.
//  2. The tree walk DynamoDB does after parsing, in document order:
//     reserved words, unknown functions, functions in the wrong kind of
//     expression or position, list indexes out of range, repeated update
//     sections. The first one is remembered while parsing and reported
//     only when parsing succeeded.
//  3. Validation (validate.go): placeholders, operand types and counts,
//     path overlaps, limits.

// Alternatives of a condition primary, in the grammar's order.
const (
	altCmp = iota + 1
	altIn
	altBetween
	altFunc
	altGroup
	altNot
)

type mode uint8

const (
	modeCondition mode = iota
	modeUpdate
	modeProjection
)

// parseFail carries an error message through a panic to the entry point.
type parseFail struct{ msg string }

type parser struct {
	src  string
	toks []token
	pos  int
	mode mode

	nest    int    // DynamoDB's function nesting level
	walkErr string // first error of phase 2

	sections [4]bool // SET, ADD, DELETE, REMOVE seen
	actions  []action

	arena []PathElem // backing store for the paths of one parse

	groups   []groupScan
	groupBuf []groupScan
}

var parserPool = sync.Pool{New: func() any { return new(parser) }}

func getParser(src string, m mode) *parser {
	p := parserPool.Get().(*parser)
	p.src = src
	p.mode = m
	p.toks = lex(p.toks[:0], src)
	p.pos = 0
	p.nest = 0
	p.walkErr = ""
	p.sections = [4]bool{}
	p.actions = nil
	p.arena = nil
	p.groups = nil
	return p
}

func putParser(p *parser) {
	p.src = ""
	p.actions = nil
	p.arena = nil
	p.groups = nil
	if cap(p.toks) > 4096 {
		p.toks = nil
	}
	if cap(p.groupBuf) > 4096 {
		p.groupBuf = nil
	}
	parserPool.Put(p)
}

// checkText applies the checks DynamoDB makes before parsing.
func checkText(text, which string, withSize bool) error {
	if text == "" {
		return invalid(which, msgEmpty)
	}
	if len(text) > MaxExpressionSize {
		if n := utf16Len(text); n > MaxExpressionSize {
			if withSize {
				return invalid(which, msgSizeExceeded+" expression size: "+itoa(n))
			}
			return invalid(which, msgSizeExceeded)
		}
	}
	return nil
}

// run calls f, turning a parseFail panic into a ValidationException
// prefixed with "Invalid <which>: ".
func run(which string, f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			pf, ok := r.(parseFail)
			if !ok {
				panic(r)
			}
			err = invalid(which, pf.msg)
		}
	}()
	f()
	return nil
}

func (p *parser) tok() token { return p.toks[p.pos] }

func (p *parser) syntax(i int) {
	panic(parseFail{syntaxMessage(p.src, p.toks, i)})
}

func (p *parser) redundant() {
	panic(parseFail{msgRedundantParens})
}

func (p *parser) match(k tokKind) {
	if p.toks[p.pos].kind != k {
		p.syntax(p.pos)
	}
	p.pos++
}

func (p *parser) text(t token) string { return p.src[t.start:t.end] }

// walk records the first phase-2 error.
func (p *parser) walk(msg string) {
	if p.walkErr == "" {
		p.walkErr = msg
	}
}

// ---- conditions ----

// condition parses a condition whose operators bind at least as tightly as
// prec (0: OR and AND allowed, 1: after OR, 2: after AND, 3: after NOT). It
// reports whether the result is a parenthesised condition, for DynamoDB's
// redundant-parentheses rule.
func (p *parser) condition(prec int) (Cond, bool) {
	var c Cond
	parens := false
	switch p.predictPrimary() {
	case altNot:
		p.pos++
		inner, _ := p.condition(3)
		c = &notCond{c: inner}
	case altGroup:
		p.pos++
		inner, innerParens := p.condition(0)
		p.match(tkRParen)
		if innerParens {
			p.redundant()
		}
		c, parens = inner, true
	case altFunc:
		f, _ := p.function()
		c = &funcCond{fn: f.fn, args: f.args}
	case altCmp:
		p.nest++
		l, _ := p.operand()
		if !isCmp(p.tok().kind) {
			p.syntax(p.pos)
		}
		op := cmpOp(p.tok().kind - tkEQ)
		p.pos++
		r, _ := p.operand()
		p.nest--
		c = &cmpCond{op: op, l: l, r: r}
	case altIn:
		p.nest++
		x, _ := p.operand()
		p.match(tkIN)
		p.match(tkLParen)
		first, _ := p.operand()
		list := []operand{first}
		for p.tok().kind == tkComma {
			p.pos++
			o, _ := p.operand()
			list = append(list, o)
		}
		p.match(tkRParen)
		p.nest--
		c = &inCond{x: x, list: list}
	case altBetween:
		p.nest++
		x, _ := p.operand()
		p.match(tkBETWEEN)
		lo, _ := p.operand()
		p.match(tkAND)
		hi, _ := p.operand()
		p.nest--
		c = &betweenCond{x: x, lo: lo, hi: hi}
	}
	for {
		switch p.tok().kind {
		case tkAND:
			if prec > 2 {
				return c, parens
			}
			p.pos++
			r, _ := p.condition(2)
			c, parens = &andCond{l: c, r: r}, false
		case tkOR:
			if prec > 1 {
				return c, parens
			}
			p.pos++
			r, _ := p.condition(1)
			c, parens = &orCond{l: c, r: r}, false
		default:
			return c, parens
		}
	}
}

// predictPrimary picks the alternative for the condition primary at the
// current token, looking ahead as DynamoDB does, or fails with the syntax
// error that lookahead runs into.
func (p *parser) predictPrimary() int {
	i := p.pos
	var j int
	var ok bool
	switch p.kind(i) {
	case tkNOT:
		return altNot
	case tkLParen:
		return p.predictParen(i)
	case tkID:
		if p.kind(i+1) == tkLParen {
			j, ok = p.scanFunction(i)
			if !ok {
				p.syntax(j)
			}
			if a := cmpAlt(p.kind(j)); a != 0 {
				return a
			}
			return altFunc
		}
		j, ok = p.scanPath(i)
	case tkName:
		j, ok = p.scanPath(i)
	case tkValue:
		j, ok = i+1, true
	default:
		p.syntax(i)
	}
	if !ok {
		p.syntax(j)
	}
	if a := cmpAlt(p.kind(j)); a != 0 {
		return a
	}
	p.syntax(j)
	return 0
}

// predictParen decides between "( condition )" and a comparison whose first
// operand is parenthesised.
func (p *parser) predictParen(i int) int {
	g := p.group(i)
	const inf = 1 << 30
	dOp := int(g.opEnd)
	if g.opOK && cmpAlt(p.kind(dOp)) != 0 {
		dOp = inf
	}
	dCond := int(g.condEnd)
	if g.condOK {
		if k := p.kind(dCond); k == tkAND || k == tkOR {
			dCond = inf
		}
	}
	switch {
	case dOp < dCond:
		return altGroup
	case dCond < dOp:
		if !g.opOK {
			p.syntax(int(g.opEnd))
		}
		if a := cmpAlt(p.kind(int(g.opEnd))); a != 0 {
			return a
		}
		p.syntax(int(g.opEnd))
	}
	if g.condOK {
		return altGroup // completed "( condition )" wins the tie
	}
	p.syntax(dOp)
	return 0
}

// ---- operands ----

// operand parses path | :value | function | '(' operand ')' and reports
// whether it was parenthesised.
func (p *parser) operand() (operand, bool) {
	t := p.tok()
	switch t.kind {
	case tkID:
		if p.kind(p.pos+1) == tkLParen {
			return p.function()
		}
		return operand{kind: kPath, path: p.path()}, false
	case tkName:
		return operand{kind: kPath, path: p.path()}, false
	case tkValue:
		p.pos++
		return operand{kind: kValue, name: p.text(t)}, false
	case tkLParen:
		p.pos++
		inner, innerParens := p.operand()
		p.match(tkRParen)
		if innerParens {
			p.redundant()
		}
		return inner, true
	}
	p.syntax(p.pos)
	return operand{}, false
}

// function parses ID '(' operand (',' operand)* ')', checking the name and
// where the function is used as DynamoDB's tree walk does.
func (p *parser) function() (operand, bool) {
	name := p.text(p.tok())
	p.pos++
	fn := lookupFunc(name)
	p.checkFunction(name, fn)
	p.nest++
	p.match(tkLParen)
	first, _ := p.operand()
	args := []operand{first}
	for p.tok().kind == tkComma {
		p.pos++
		o, _ := p.operand()
		args = append(args, o)
	}
	p.match(tkRParen)
	p.nest--
	return operand{kind: kFunc, fn: fn, args: args}, false
}

func (p *parser) checkFunction(name string, fn funcID) {
	if fn == fnNone {
		p.walk(msgBadFunction + name)
		return
	}
	info := &funcs[fn]
	switch p.mode {
	case modeUpdate:
		switch {
		case !info.value:
			p.walk(msgUpdateFunction + name)
		case p.nest > 0 && fn != fnIfNotExists:
			p.walk(msgFunctionContext + name)
		}
	case modeCondition:
		switch {
		case !info.cond:
			p.walk(msgCondFunction + name)
		case p.nest == 0 && info.returns != boolType:
			p.walk(msgFunctionContext + name)
		case p.nest > 0 && fn != fnSize:
			p.walk(msgFunctionContext + name)
		}
	}
}

// path parses a document path. Placeholders stay unresolved (names starting
// with '#' or ':'); validation resolves them.
func (p *parser) path() Path {
	t := p.tok()
	if t.kind != tkID && t.kind != tkName {
		p.syntax(p.pos)
	}
	start := len(p.arena)
	p.arena = append(p.arena, PathElem{Name: p.id(t)})
	p.pos++
	for {
		switch p.tok().kind {
		case tkDot:
			t = p.toks[p.pos+1]
			switch t.kind {
			case tkID, tkName:
				p.arena = append(p.arena, PathElem{Name: p.id(t)})
			case tkValue:
				p.arena = append(p.arena, PathElem{Name: p.text(t)})
			default:
				p.syntax(p.pos + 1)
			}
			p.pos += 2
		case tkLBracket:
			p.pos++
			t = p.tok()
			if t.kind != tkIndex {
				p.syntax(p.pos)
			}
			p.pos++
			p.match(tkRBracket)
			digits := p.text(t)
			idx, ok := parseIndex(digits)
			if !ok {
				p.walk(msgListIndex + "[" + digits + "]")
			}
			p.arena = append(p.arena, PathElem{Index: idx, IsIndex: true})
		default:
			n := len(p.arena)
			return Path(p.arena[start:n:n])
		}
	}
}

// id returns the text of a name token, checking reserved words.
func (p *parser) id(t token) string {
	s := p.text(t)
	if t.kind == tkID && isReserved(s) {
		p.walk(msgReserved + s)
	}
	return s
}

// parseIndex converts list index digits, which must fit a signed 32-bit int.
func parseIndex(s string) (int, bool) {
	if len(s) > 10 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	if n > 1<<31-1 {
		return 0, false
	}
	return n, true
}

// ---- update expressions ----

func (p *parser) update() {
	if !isSection(p.tok().kind) {
		p.syntax(p.pos)
	}
	for isSection(p.tok().kind) {
		kw := p.tok().kind
		p.pos++
	actions:
		for {
			switch kw {
			case tkSET:
				path := p.path()
				p.match(tkEQ)
				v := p.setValue()
				p.actions = append(p.actions, action{kind: actSet, path: path, value: v})
			case tkREMOVE:
				path := p.path()
				p.actions = append(p.actions, action{kind: actRemove, path: path})
			default:
				path := p.path()
				t := p.tok()
				if t.kind != tkValue {
					p.syntax(p.pos)
				}
				p.pos++
				k := actAdd
				if kw == tkDELETE {
					k = actDelete
				}
				p.actions = append(p.actions, action{kind: k, path: path, value: operand{kind: kValue, name: p.text(t)}})
			}
			if p.tok().kind != tkComma {
				break actions
			}
			p.pos++
		}
		idx := int(kw - tkSET)
		if p.sections[idx] {
			p.walk(`The "` + sectionNames[idx] + `" section can only be used once in an update expression;`)
		}
		p.sections[idx] = true
	}
	p.match(tkEOF)
}

var sectionNames = [...]string{"SET", "ADD", "DELETE", "REMOVE"}

func isSection(k tokKind) bool { return k >= tkSET && k <= tkREMOVE }

// setValue parses operand | arithmetic, choosing as DynamoDB does.
func (p *parser) setValue() operand {
	i := p.pos
	oe, ook := p.scanOperand(i)
	ae, aok := p.scanArith(i)
	alt, errAt := choose(oe, ook, ae, aok)
	switch alt {
	case 1:
		o, _ := p.operand()
		return o
	case 2:
		o, _ := p.arithmetic()
		return o
	}
	p.syntax(errAt)
	return operand{}
}

// arithmetic parses operand ('+'|'-') operand | '(' arithmetic ')'.
func (p *parser) arithmetic() (operand, bool) {
	i := p.pos
	if p.kind(i) == tkLParen {
		pe, pok := p.scanPlusMinus(i)
		ae, aok := p.arithGroup(i)
		alt, errAt := choose(pe, pok, ae, aok)
		switch alt {
		case 0:
			p.syntax(errAt)
		case 2:
			p.pos++
			inner, innerParens := p.arithmetic()
			p.match(tkRParen)
			if innerParens {
				p.redundant()
			}
			return inner, true
		}
	}
	p.nest++
	l, _ := p.operand()
	k := p.tok().kind
	if k != tkPlus && k != tkMinus {
		p.syntax(p.pos)
	}
	p.pos++
	r, _ := p.operand()
	p.nest--
	kind := kPlus
	if k == tkMinus {
		kind = kMinus
	}
	return operand{kind: kind, args: []operand{l, r}}, false
}

// ---- projections ----

func (p *parser) projection() []Path {
	paths := []Path{p.path()}
	for p.tok().kind == tkComma {
		p.pos++
		paths = append(paths, p.path())
	}
	p.match(tkEOF)
	return paths
}

// ---- entry points ----

// ParseCondition parses a ConditionExpression, FilterExpression or
// KeyConditionExpression; which names the parameter and prefixes error
// messages ("Invalid <which>: …"). Placeholders are resolved against a,
// which records their use. Errors are ValidationExceptions with DynamoDB's
// text.
func ParseCondition(text, which string, a *Attrs) (Cond, error) {
	if err := checkText(text, which, true); err != nil {
		return nil, err
	}
	p := getParser(text, modeCondition)
	defer putParser(p)
	var c Cond
	err := run(which, func() {
		c, _ = p.condition(0)
		p.match(tkEOF)
		if p.walkErr != "" {
			panic(parseFail{p.walkErr})
		}
		v := validator{a: a}
		v.cond(c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
