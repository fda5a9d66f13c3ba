package partiql

import (
	"strconv"
	"strings"

	"github.com/dynax/dynax/ddb"
)

// Messages, verbatim from DynamoDB.
const (
	msgMalformed        = "Statement wasn't well formed, can't be processed: "
	MsgParamCount       = "Number of parameters in request and statement don't match."
	msgAliasing         = "Aliasing is not supported"
	msgStarAndOthers    = "Other attributes should not be present in the projection when '*' is used."
	msgValueOrPivot     = "Select projection doesn't support value or pivot keywords"
	msgSingleSource     = "Only select from a single table or index is supported."
	msgFromSource       = "Unexpected from source"
	msgFromComponents   = "A path may contain at most 2 components in the FROM clause"
	msgDMLFrom          = "FROM clause may only contain a single table name in data manipulation statements"
	msgReturningSyntax  = "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"
	msgReturningMany    = "Invalid syntax with multiple returning elements in RETURNING clause"
	msgReturningInsert  = "RETURNING is not supported in INSERT"
	msgUnpivotPath      = "Unpivot path component like a.*.b are not supported"
	msgWildcardPath     = "Wildcard path component like a[*].b are not supported"
	msgNestingExceeded  = "Nesting Levels have exceeded supported limits"
	msgUnexpectedTerm   = "Unexpected term"
	msgUnexpectedKw     = "Unexpected keyword"
	msgUnexpectedOp     = "Unexpected operator"
	msgLeftover         = "Unexpected token after expression"
	msgMissingRHS       = "Missing right-hand side expression of infix operator"
	msgExpectedDML      = "Expected data manipulation"
	msgExpectedPath     = "Expected identifier for simple path"
	msgExpectedType     = "Expected type name"
	msgInvalidDot       = "Invalid path dot component"
	msgInvalidComponent = "Invalid Path component"
)

// maxDepth bounds the nesting of expressions, so deep input cannot
// exhaust the stack.
const maxDepth = 200

// Malformed returns DynamoDB's error for a statement its parser cannot
// read, with detail after the colon.
func Malformed(detail string) *ddb.Error { return ddb.Validation(msgMalformed + detail) }

type parseFail struct{ err *ddb.Error }

type parser struct {
	toks    []token
	pos     int
	nparams int
	depth   int
}

// Parse parses one statement (an optional trailing semicolon allowed).
func Parse(src string) (st *Statement, err error) {
	toks, ok := lex(src)
	if !ok {
		return nil, Malformed("")
	}
	p := &parser{toks: toks}
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(parseFail)
			if !ok {
				panic(r)
			}
			st, err = nil, f.err
		}
	}()
	st = p.statement()
	if p.tok().is(";") {
		p.pos++
	}
	if p.tok().kind != tEOF {
		p.fail(msgLeftover)
	}
	st.Params = p.nparams
	return st, nil
}

func (p *parser) tok() token       { return p.toks[p.pos] }
func (p *parser) peek(n int) token { return p.toks[min(p.pos+n, len(p.toks)-1)] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if p.pos < len(p.toks)-1 {
		p.pos++
	}
	return t
}

// fail aborts with the malformed-statement error.
func (p *parser) fail(detail string) { panic(parseFail{Malformed(detail)}) }

// reject aborts with a ValidationException of its own text.
func (p *parser) reject(msg string) { panic(parseFail{ddb.Validation(msg)}) }

// isName reports whether t can name an attribute or table: a quoted
// identifier or a bare one that is not a keyword.
func isName(t token) bool { return t.kind == tQIdent || t.kind == tIdent && !t.kw }

func (p *parser) statement() *Statement {
	t := p.tok()
	switch {
	case t.isKw("select"):
		p.next()
		return p.selectRest()
	case t.isKw("insert"):
		p.next()
		if !p.tok().isKw("into") {
			p.unexpected()
		}
		p.next()
		st := &Statement{Kind: Insert}
		p.dmlTarget(st, false)
		if !p.tok().isKw("value") {
			if p.tok().kw {
				p.fail(msgUnexpectedKw)
			}
			p.fail(msgLeftover)
		}
		p.next()
		st.Value = p.expr()
		if p.tok().isKw("returning") {
			p.reject(msgReturningInsert)
		}
		return st
	case t.isKw("update"):
		p.next()
		st := &Statement{Kind: Update}
		p.dmlTarget(st, true)
		p.noAlias()
		p.dmlOps(st)
		if p.tok().isKw("where") {
			p.next()
			st.Where = p.expr()
		}
		st.Returning = p.returning()
		return st
	case t.isKw("delete"):
		p.next()
		if !p.tok().isKw("from") {
			p.fail(msgExpectedPath)
		}
		p.next()
		st := &Statement{Kind: Delete}
		p.dmlTarget(st, true)
		p.noAlias()
		if p.tok().isKw("where") {
			p.next()
			st.Where = p.expr()
		}
		st.Returning = p.returning()
		return st
	case t.isKw("from"):
		// The FROM-first form of UPDATE: FROM t [WHERE c] SET …
		p.next()
		st := &Statement{Kind: Update}
		p.dmlTarget(st, true)
		p.noAlias()
		if p.tok().isKw("where") {
			p.next()
			st.Where = p.expr()
		}
		p.dmlOps(st)
		st.Returning = p.returning()
		return st
	case t.isKw("exists") && p.peek(1).is("("):
		p.next()
		p.next()
		if !p.tok().isKw("select") {
			p.unexpected()
		}
		p.next()
		inner := p.selectRest()
		if !p.tok().is(")") {
			p.fail(msgLeftover)
		}
		p.next()
		return &Statement{Kind: Exists, Table: inner.Table, Index: inner.Index, TablePos: inner.TablePos, Inner: inner, Where: inner.Where}
	case t.kind == tEOF || t.is(";"):
		p.fail(msgUnexpectedTerm)
	}
	p.fail(msgExpectedDML)
	return nil
}

// selectRest parses a SELECT after its keyword.
func (p *parser) selectRest() *Statement {
	st := &Statement{Kind: Select}
	if p.tok().isKw("value") || p.tok().isKw("pivot") {
		p.reject(msgValueOrPivot)
	}
	if p.tok().is("*") {
		p.next()
		if p.tok().is(",") {
			p.reject(msgStarAndOthers)
		}
	} else {
		st.Projection = []*Path{}
		for {
			if p.tok().is("*") {
				p.reject(msgStarAndOthers)
			}
			e := p.expr()
			path, ok := e.(*Path)
			if !ok {
				p.reject("Unexpected path component at " + exprStart(e).String())
			}
			st.Projection = append(st.Projection, path)
			if p.tok().isKw("as") || isName(p.tok()) {
				p.reject(msgAliasing)
			}
			if !p.tok().is(",") {
				break
			}
			p.next()
		}
	}
	if !p.tok().isKw("from") {
		if p.tok().kind == tEOF {
			p.fail("Missing FROM after SELECT list")
		}
		p.fail(msgLeftover)
	}
	p.next()
	t := p.tok()
	switch {
	case isName(t):
		st.Table, st.TablePos = t.text, t.pos
		p.next()
		if p.tok().is(".") {
			p.next()
			if !isName(p.tok()) {
				p.fail(msgInvalidDot)
			}
			st.Index = p.next().text
			if p.tok().is(".") || p.tok().is("[") {
				p.reject(msgFromComponents)
			}
		}
	case t.kind == tEOF || t.is(";") || t.is(")"):
		p.fail(msgUnexpectedTerm)
	case t.kw && !isLiteralKw(t):
		p.fail(msgUnexpectedKw)
	default:
		p.expr()
		p.reject(msgFromSource)
	}
	if p.tok().is(",") {
		p.reject(msgSingleSource)
	}
	p.noAlias()
	if p.tok().isKw("where") {
		p.next()
		st.Where = p.expr()
	}
	return st
}

// exprStart returns the position of the first token of e.
func exprStart(e Expr) Pos {
	switch x := e.(type) {
	case *Binary:
		return exprStart(x.L)
	case *Between:
		return exprStart(x.X)
	case *In:
		return exprStart(x.X)
	case *Is:
		return exprStart(x.X)
	}
	return e.At()
}

// noAlias rejects a table alias (t, AS t).
func (p *parser) noAlias() {
	if p.tok().isKw("as") || isName(p.tok()) {
		p.reject(msgAliasing)
	}
}

// dmlTarget parses the table of an INSERT, UPDATE or DELETE. UPDATE and
// DELETE take an index qualifier ("t"."i") grammatically and are refused
// later, semantically; on INSERT it is a parse error (DynamoDB, PS
// executeStatementIndex "write statements reject the qualifier").
func (p *parser) dmlTarget(st *Statement, indexOK bool) {
	t := p.tok()
	if !isName(t) {
		p.fail(msgExpectedPath)
	}
	p.next()
	st.Table, st.TablePos = t.text, t.pos
	if indexOK && p.tok().is(".") && isName(p.peek(1)) {
		p.next()
		st.Index = p.next().text
	}
	if p.tok().is(".") || p.tok().is("[") {
		p.reject(msgDMLFrom)
	}
}

// dmlOps parses the SET and REMOVE clauses of an UPDATE.
func (p *parser) dmlOps(st *Statement) {
	for {
		switch {
		case p.tok().isKw("set"):
			p.next()
			for {
				target := p.assignTarget()
				if !p.tok().is("=") {
					p.fail("Expected SET assignment")
				}
				p.next()
				st.Actions = append(st.Actions, Action{Path: target, Value: p.rhs(p.expr)})
				if !p.tok().is(",") {
					break
				}
				p.next()
			}
		case p.tok().isKw("remove"):
			p.next()
			for {
				st.Actions = append(st.Actions, Action{Remove: true, Path: p.assignTarget()})
				if !p.tok().is(",") {
					break
				}
				p.next()
			}
		default:
			if len(st.Actions) == 0 {
				p.fail(msgExpectedDML)
			}
			return
		}
	}
}

// assignTarget parses the path a SET or REMOVE applies to.
func (p *parser) assignTarget() *Path {
	t := p.tok()
	if !isName(t) {
		p.unexpected()
	}
	p.next()
	return p.pathRest(t)
}

// returning parses an optional RETURNING clause.
func (p *parser) returning() Returning {
	if !p.tok().isKw("returning") {
		return ReturnNone
	}
	p.next()
	a, b := p.tok(), p.peek(1)
	all := strings.EqualFold(a.text, "all")
	if a.kind != tIdent || !all && !strings.EqualFold(a.text, "modified") ||
		b.kind != tIdent || !strings.EqualFold(b.text, "old") && !strings.EqualFold(b.text, "new") {
		p.reject(msgReturningSyntax)
	}
	p.next()
	p.next()
	if !p.tok().is("*") {
		p.reject(msgReturningSyntax)
	}
	p.next()
	if p.tok().is(",") {
		p.reject(msgReturningMany)
	}
	old := strings.EqualFold(b.text, "old")
	switch {
	case all && old:
		return ReturnAllOld
	case all:
		return ReturnAllNew
	case old:
		return ReturnModifiedOld
	}
	return ReturnModifiedNew
}

// unexpected fails on the current token where a term should start.
func (p *parser) unexpected() {
	t := p.tok()
	switch {
	case t.kind == tEOF || t.kind == tPunct && termEnds[t.text]:
		p.fail(msgUnexpectedTerm)
	case t.kind == tPunct:
		p.fail(msgUnexpectedOp)
	case t.kw && isOperatorKw(t):
		p.fail(msgUnexpectedOp)
	case t.kw:
		p.fail(msgUnexpectedKw)
	}
	p.fail(msgUnexpectedTerm)
}

// termEnds are punctuation that ends a term rather than being an operator.
var termEnds = map[string]bool{";": true, ",": true, ")": true, "]": true, "}": true, ">>": true, ":": true, ".": true}

func isOperatorKw(t token) bool {
	switch strings.ToLower(t.text) {
	case "and", "or", "is", "in", "like", "between":
		return true
	}
	return false
}

func isLiteralKw(t token) bool {
	switch strings.ToLower(t.text) {
	case "true", "false", "null", "missing":
		return true
	}
	return false
}

// ---- expressions ----

func (p *parser) expr() Expr { return p.or() }

// rhs parses the right operand of an infix operator.
func (p *parser) rhs(f func() Expr) Expr {
	if p.tok().kind == tEOF {
		p.fail(msgMissingRHS)
	}
	return f()
}

func (p *parser) or() Expr {
	l := p.and()
	for p.tok().isKw("or") {
		op := p.next()
		l = &Binary{Op: "OR", L: l, R: p.rhs(p.and), Pos: op.pos}
	}
	return l
}

func (p *parser) and() Expr {
	l := p.not()
	for p.tok().isKw("and") {
		op := p.next()
		l = &Binary{Op: "AND", L: l, R: p.rhs(p.not), Pos: op.pos}
	}
	return l
}

func (p *parser) not() Expr {
	if p.tok().isKw("not") {
		op := p.next()
		p.enter()
		x := p.not()
		p.depth--
		return &Unary{Op: "NOT", X: x, Pos: op.pos}
	}
	return p.cmp()
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.reject(msgNestingExceeded)
	}
}

var cmpOps = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

func (p *parser) cmp() Expr {
	l := p.concat()
	for {
		t := p.tok()
		switch {
		case t.kind == tPunct && cmpOps[t.text]:
			p.next()
			l = &Binary{Op: t.text, L: l, R: p.rhs(p.concat), Pos: t.pos}
		case t.isKw("is"):
			p.next()
			is := &Is{X: l, Pos: t.pos}
			if p.tok().isKw("not") {
				p.next()
				is.Not = true
			}
			is.Type = p.typeName()
			l = is
		case t.isKw("not") && (p.peek(1).isKw("in") || p.peek(1).isKw("between") || p.peek(1).isKw("like")):
			p.next()
			l = p.cmpKeyword(l, true)
		case t.isKw("in") || t.isKw("between") || t.isKw("like"):
			l = p.cmpKeyword(l, false)
		default:
			return l
		}
	}
}

// cmpKeyword parses IN, BETWEEN or LIKE after its left operand.
func (p *parser) cmpKeyword(l Expr, not bool) Expr {
	t := p.next()
	switch strings.ToLower(t.text) {
	case "in":
		rhs := p.rhs(p.concat)
		in := &In{X: l, RHS: rhs, Not: not, Pos: t.pos}
		switch r := rhs.(type) {
		case *List:
			in.List = r.Elems
		case *Bag:
			in.List = r.Elems
		}
		return in
	case "between":
		lo := p.rhs(p.concat)
		if !p.tok().isKw("and") {
			p.unexpected()
		}
		p.next()
		hi := p.rhs(p.concat)
		return &Between{X: l, Lo: lo, Hi: hi, Not: not, Pos: t.pos}
	}
	r := p.rhs(p.concat)
	if p.tok().isKw("escape") {
		p.next()
		p.rhs(p.concat)
	}
	var e Expr = &Binary{Op: "LIKE", L: l, R: r, Pos: t.pos}
	if not {
		e = &Unary{Op: "NOT", X: e, Pos: t.pos}
	}
	return e
}

// typeNames maps the type names IS accepts to their canonical spelling.
var typeNames = map[string]string{
	"missing": "MISSING", "null": "NULL", "bool": "BOOL", "boolean": "BOOLEAN", "string": "STRING",
	"varchar": "VARCHAR", "char": "CHAR", "character": "CHARACTER", "symbol": "SYMBOL", "numeric": "NUMERIC",
	"int": "INT", "integer": "INTEGER", "int4": "INT4", "int8": "INT8", "smallint": "SMALLINT",
	"decimal": "DECIMAL", "dec": "DECIMAL", "float": "FLOAT", "real": "REAL", "double": "DOUBLE PRECISION",
	"blob": "BLOB", "clob": "CLOB", "list": "LIST", "sexp": "SEXP", "struct": "STRUCT", "tuple": "TUPLE",
	"bag": "BAG", "timestamp": "TIMESTAMP", "date": "DATE", "time": "TIME",
}

func (p *parser) typeName() string {
	t := p.tok()
	if t.kind != tIdent {
		p.fail(msgExpectedType)
	}
	name, ok := typeNames[strings.ToLower(t.text)]
	if !ok {
		p.fail(msgExpectedType)
	}
	p.next()
	switch name {
	case "DOUBLE PRECISION":
		if !strings.EqualFold(p.tok().text, "precision") {
			p.fail(msgExpectedType)
		}
		p.next()
	case "CHARACTER":
		if strings.EqualFold(p.tok().text, "varying") {
			p.next()
			name = "CHARACTER VARYING"
		}
	}
	return name
}

func (p *parser) concat() Expr {
	l := p.additive()
	for p.tok().is("||") {
		op := p.next()
		l = &Binary{Op: "||", L: l, R: p.rhs(p.additive), Pos: op.pos}
	}
	return l
}

func (p *parser) additive() Expr {
	l := p.multiplicative()
	for p.tok().is("+") || p.tok().is("-") {
		op := p.next()
		l = &Binary{Op: op.text, L: l, R: p.rhs(p.multiplicative), Pos: op.pos}
	}
	return l
}

func (p *parser) multiplicative() Expr {
	l := p.unary()
	for p.tok().is("*") || p.tok().is("/") || p.tok().is("%") {
		op := p.next()
		l = &Binary{Op: op.text, L: l, R: p.rhs(p.unary), Pos: op.pos}
	}
	return l
}

func (p *parser) unary() Expr {
	t := p.tok()
	if t.is("-") || t.is("+") {
		p.next()
		if n := p.tok(); n.kind == tNumber {
			p.next()
			text := n.text
			if t.text == "-" {
				text = "-" + text
			}
			pos := t.pos
			pos.Len = n.pos.Col + n.pos.Len - t.pos.Col
			return &Lit{V: ddb.Value{T: ddb.TypeN, S: text}, Pos: pos}
		}
		p.enter()
		x := p.unary()
		p.depth--
		return &Unary{Op: t.text, X: x, Pos: t.pos}
	}
	return p.primary()
}

// callableKw are keywords that may name a function.
var callableKw = map[string]bool{"size": true, "exists": true, "count": true, "cast": true, "substring": true,
	"trim": true, "lower": true, "upper": true, "coalesce": true, "nullif": true, "extract": true}

func (p *parser) primary() Expr {
	t := p.tok()
	switch t.kind {
	case tNumber:
		p.next()
		return &Lit{V: ddb.Value{T: ddb.TypeN, S: t.text}, Pos: t.pos}
	case tString:
		p.next()
		return &Lit{V: ddb.S(t.text), Pos: t.pos}
	case tParam:
		p.next()
		p.nparams++
		return &Param{N: p.nparams - 1, Pos: t.pos}
	case tQIdent:
		p.next()
		return p.pathRest(t)
	case tIdent:
		if p.peek(1).is("(") && (!t.kw || callableKw[strings.ToLower(t.text)]) {
			return p.call()
		}
		if !t.kw {
			p.next()
			return p.pathRest(t)
		}
		switch strings.ToLower(t.text) {
		case "true", "false":
			p.next()
			return &Lit{V: ddb.Bool(strings.EqualFold(t.text, "true")), Pos: t.pos}
		case "null":
			p.next()
			return &Lit{V: ddb.Null(), Pos: t.pos}
		case "missing":
			p.next()
			return &Lit{Missing: true, Pos: t.pos}
		}
	case tPunct:
		switch t.text {
		case "(":
			p.next()
			p.enter()
			e := p.expr()
			if p.tok().is(",") {
				l := &List{Elems: []Expr{e}, Pos: t.pos}
				for p.tok().is(",") {
					p.next()
					l.Elems = append(l.Elems, p.expr())
				}
				e = l
			}
			p.closing(")")
			p.depth--
			return e
		case "{":
			p.next()
			p.enter()
			tu := &Tuple{Pos: t.pos}
			if !p.tok().is("}") {
				for {
					k := p.expr()
					if !p.tok().is(":") {
						p.fail("Expected ':'")
					}
					p.next()
					tu.Keys = append(tu.Keys, k)
					tu.Vals = append(tu.Vals, p.expr())
					if !p.tok().is(",") {
						break
					}
					p.next()
				}
			}
			p.closing("}")
			p.depth--
			return tu
		case "[":
			p.next()
			p.enter()
			l := &List{Pos: t.pos, Elems: p.sequence("]")}
			p.depth--
			return l
		case "<<":
			p.next()
			p.enter()
			b := &Bag{Pos: t.pos, Elems: p.sequence(">>")}
			p.depth--
			return b
		}
	}
	p.unexpected()
	return nil
}

// sequence parses comma-separated expressions up to the closing token.
func (p *parser) sequence(close string) []Expr {
	elems := []Expr{}
	if p.tok().is(close) {
		p.next()
		return elems
	}
	for {
		elems = append(elems, p.expr())
		if !p.tok().is(",") {
			break
		}
		p.next()
	}
	p.closing(close)
	return elems
}

func (p *parser) closing(c string) {
	if !p.tok().is(c) {
		if p.tok().kind == tEOF {
			p.fail(msgUnexpectedTerm)
		}
		p.fail("Expected " + map[string]string{")": "right parenthesis", "]": "right bracket", "}": "right curly brace", ">>": "right double angle bracket"}[c])
	}
	p.next()
}

// call parses name(args).
func (p *parser) call() Expr {
	t := p.next()
	p.next() // (
	p.enter()
	c := &Call{Name: strings.ToLower(t.text), Pos: t.pos, Args: []Expr{}}
	if p.tok().is("*") {
		p.fail("function call, other than COUNT, with (*) as parameter is not supported")
	}
	if !p.tok().is(")") {
		for {
			c.Args = append(c.Args, p.expr())
			if !p.tok().is(",") {
				break
			}
			p.next()
		}
	}
	if !p.tok().is(")") {
		if p.tok().kind == tEOF {
			p.fail(msgUnexpectedTerm)
		}
		p.fail("Expected argument delimiter")
	}
	p.next()
	p.depth--
	return c
}

// pathRest parses the steps of a path after its first name t.
func (p *parser) pathRest(t token) *Path {
	path := &Path{Steps: []Step{{Name: t.text}}, Pos: t.pos}
	for {
		switch {
		case p.tok().is("."):
			p.next()
			n := p.tok()
			switch {
			case n.is("*"):
				p.reject(msgUnpivotPath)
			case !isName(n):
				p.fail(msgInvalidDot)
			}
			p.next()
			path.Steps = append(path.Steps, Step{Name: n.text})
		case p.tok().is("["):
			p.next()
			n := p.tok()
			switch {
			case n.is("*"):
				p.reject(msgWildcardPath)
			case n.kind == tString:
				path.Steps = append(path.Steps, Step{Name: n.text})
			case n.kind == tNumber:
				i, err := strconv.Atoi(n.text)
				if err != nil || i < 0 {
					p.reject("List index is not within the allowable range; index: [" + n.text + "]")
				}
				path.Steps = append(path.Steps, Step{Index: i, IsIndex: true})
			default:
				p.fail(msgInvalidComponent)
			}
			p.next()
			if !p.tok().is("]") {
				p.fail(msgInvalidComponent)
			}
			p.next()
		default:
			if last := p.toks[p.pos-1]; last.pos.Line == t.pos.Line {
				path.Pos.Len = last.pos.Col + last.pos.Len - t.pos.Col
			}
			return path
		}
	}
}
