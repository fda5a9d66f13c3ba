// Package partiql parses the subset of PartiQL that DynamoDB accepts in
// ExecuteStatement, BatchExecuteStatement and ExecuteTransaction:
//
//	SELECT <* | path, …> FROM "table"[."index"] [WHERE <cond>]
//	INSERT INTO "table" VALUE {<tuple>}
//	UPDATE "table" (SET path = value | REMOVE path)… WHERE <cond> [RETURNING (ALL|MODIFIED) (OLD|NEW) *]
//	DELETE FROM "table" WHERE <cond> [RETURNING ALL OLD *]
//	EXISTS(SELECT * FROM "table" WHERE <cond>)      (ExecuteTransaction only)
//
// Identifiers are bare or "double quoted"; literals are 'strings',
// numbers, TRUE, FALSE, NULL, MISSING, tuples {…}, lists […] and bags
// <<…>>; ? is a positional parameter. Conditions combine comparisons,
// BETWEEN, IN, IS [NOT] MISSING/NULL/<type>, AND, OR, NOT and the
// functions begins_with, contains, attribute_type, attribute_exists,
// attribute_not_exists and size.
//
// Parse returns the statement's syntax tree; errors are *ddb.Error
// ValidationExceptions with DynamoDB's texts ("Statement wasn't well
// formed, can't be processed: …"). The helpers in build.go turn a tree
// into DynamoDB condition and update expression text with placeholders,
// and literals into AttributeValues, for the storage layer to execute
// with its expression engine.
package partiql

import (
	"strconv"
	"strings"

	"github.com/dynax/dynax/ddb"
)

// Pos locates a token: line and column (from 1, in characters) and its
// length in characters. DynamoDB quotes it as line:column:length.
type Pos struct {
	Line, Col, Len int
}

func (p Pos) String() string {
	return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col) + ":" + strconv.Itoa(p.Len)
}

// Kind is the kind of a statement.
type Kind uint8

// Statement kinds.
const (
	Select Kind = iota + 1
	Insert
	Update
	Delete
	Exists
)

func (k Kind) String() string {
	switch k {
	case Select:
		return "SELECT"
	case Insert:
		return "INSERT"
	case Update:
		return "UPDATE"
	case Delete:
		return "DELETE"
	case Exists:
		return "EXISTS"
	}
	return "?"
}

// Returning is the RETURNING clause of an UPDATE or DELETE.
type Returning uint8

// RETURNING variants.
const (
	ReturnNone Returning = iota
	ReturnAllOld
	ReturnModifiedOld
	ReturnAllNew
	ReturnModifiedNew
)

// ReturnValues is the ReturnValues setting the variant corresponds to.
func (r Returning) ReturnValues() string {
	switch r {
	case ReturnAllOld:
		return "ALL_OLD"
	case ReturnModifiedOld:
		return "UPDATED_OLD"
	case ReturnAllNew:
		return "ALL_NEW"
	case ReturnModifiedNew:
		return "UPDATED_NEW"
	}
	return "NONE"
}

func (r Returning) String() string {
	switch r {
	case ReturnAllOld:
		return "ALL OLD *"
	case ReturnModifiedOld:
		return "MODIFIED OLD *"
	case ReturnAllNew:
		return "ALL NEW *"
	case ReturnModifiedNew:
		return "MODIFIED NEW *"
	}
	return ""
}

// Statement is a parsed statement.
type Statement struct {
	Kind Kind
	// Table is the table name; Index the index name of a SELECT, UPDATE
	// or DELETE on "table"."index" ("" for the table itself).
	Table, Index string
	TablePos     Pos
	// Projection lists the selected paths; nil for SELECT *.
	Projection []*Path
	// Where is the WHERE condition (nil when absent).
	Where Expr
	// Value is the item of an INSERT.
	Value Expr
	// Actions are the SET and REMOVE actions of an UPDATE, in order.
	Actions []Action
	// Returning is the RETURNING clause of an UPDATE or DELETE.
	Returning Returning
	// Inner is the SELECT of an EXISTS statement.
	Inner *Statement
	// Params is the number of ? parameters in the statement.
	Params int
}

// Action is one SET or REMOVE of an UPDATE.
type Action struct {
	Remove bool
	Path   *Path
	Value  Expr // SET only
}

// Expr is an expression node: *Path, *Lit, *Param, *Tuple, *List, *Bag,
// *Binary, *Unary, *Between, *In, *Is or *Call.
type Expr interface {
	At() Pos
}

// Step is one step of a path: a name or a list index.
type Step struct {
	Name    string
	Index   int
	IsIndex bool
}

// Path is a document path: a top-level name and further steps.
type Path struct {
	Steps []Step
	Pos   Pos
}

// String renders the path as a.b[1].
func (p *Path) String() string {
	var b strings.Builder
	for i, s := range p.Steps {
		if s.IsIndex {
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.Name)
	}
	return b.String()
}

// Equal reports whether p and q are the same path.
func (p *Path) Equal(q *Path) bool {
	if len(p.Steps) != len(q.Steps) {
		return false
	}
	for i := range p.Steps {
		if p.Steps[i] != q.Steps[i] {
			return false
		}
	}
	return true
}

// Lit is a scalar literal: a string, a number (N, as written), TRUE,
// FALSE, NULL or MISSING (Missing set, V zero).
type Lit struct {
	V       ddb.Value
	Missing bool
	Pos     Pos
}

// Param is the N-th (from 0) ? of the statement.
type Param struct {
	N   int
	Pos Pos
}

// Tuple is {k: v, …}.
type Tuple struct {
	Keys, Vals []Expr
	Pos        Pos
}

// List is […].
type List struct {
	Elems []Expr
	Pos   Pos
}

// Bag is <<…>>.
type Bag struct {
	Elems []Expr
	Pos   Pos
}

// Binary is L Op R with Op one of AND OR = <> < <= > >= + - * / % || LIKE.
type Binary struct {
	Op   string
	L, R Expr
	Pos  Pos // the operator's
}

// Unary is Op X with Op NOT, + or -.
type Unary struct {
	Op  string
	X   Expr
	Pos Pos
}

// Between is X [NOT] BETWEEN Lo AND Hi.
type Between struct {
	X, Lo, Hi Expr
	Not       bool
	Pos       Pos
}

// In is X [NOT] IN <list>. RHS is the list expression as written; List
// holds its elements when it is a list, bag or parenthesized sequence.
type In struct {
	X    Expr
	RHS  Expr
	List []Expr
	Not  bool
	Pos  Pos
}

// Is is X IS [NOT] Type, Type in upper case (MISSING, NULL, BOOL, …).
type Is struct {
	X    Expr
	Type string
	Not  bool
	Pos  Pos
}

// Call is a function call; Name is lower case.
type Call struct {
	Name string
	Args []Expr
	Pos  Pos // the function name's
}

func (e *Path) At() Pos    { return e.Pos }
func (e *Lit) At() Pos     { return e.Pos }
func (e *Param) At() Pos   { return e.Pos }
func (e *Tuple) At() Pos   { return e.Pos }
func (e *List) At() Pos    { return e.Pos }
func (e *Bag) At() Pos     { return e.Pos }
func (e *Binary) At() Pos  { return e.Pos }
func (e *Unary) At() Pos   { return e.Pos }
func (e *Between) At() Pos { return e.Pos }
func (e *In) At() Pos      { return e.Pos }
func (e *Is) At() Pos      { return e.Pos }
func (e *Call) At() Pos    { return e.Pos }
