package expr

import (
	"strconv"
	"strings"

	"github.com/dynax/dynax/ddb"
)

// DynamoDB builds expression errors as "<message>;" followed by
// " key: value" pairs joined with ",", and prefixes them with the name of
// the request parameter ("Invalid UpdateExpression: …"). The messages below
// are DynamoDB's, word for word.
const (
	msgSyntax            = "Syntax error"
	msgRedundantParens   = "The expression has redundant parentheses;"
	msgEmpty             = "The expression can not be empty;"
	msgSizeExceeded      = "Expression size has exceeded the maximum allowed size;"
	msgReserved          = "Attribute name is a reserved keyword; reserved keyword: "
	msgBadFunction       = "Invalid function name; function: "
	msgCondFunction      = "The function is not allowed in a condition expression; function: "
	msgUpdateFunction    = "The function is not allowed in an update expression; function: "
	msgFunctionContext   = "The function is not allowed to be used this way in an expression; function: "
	msgListIndex         = "List index is not within the allowable range; index: "
	msgNameUndefined     = "An expression attribute name used in the document path is not defined; attribute name: "
	msgValueUndefined    = "An expression attribute value used in expression is not defined; attribute value: "
	msgPathTooDeep       = "The document path has too many nesting levels; nesting levels: "
	msgOverlap           = "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: "
	msgConflict          = "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: "
	msgOperandCount      = "Incorrect number of operands for operator or function; operator or function: "
	msgOperandType       = "Incorrect operand type for operator or function; operator or function: "
	msgActionOperandType = "Incorrect operand type for operator or function; operator: "
	msgNeedsPath         = "Operator or function requires a document path; operator or function: "
	msgDistinct          = "The first operand must be distinct from the remaining operands for this operator or function; operator: "
	msgBadTypeName       = "Invalid attribute type name found; type: "
	msgBetweenTypes      = "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: "
	msgBetweenOrder      = "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: "
	msgTooManyIn         = "The IN operator is provided with too many operands; number of operands: "
	msgTooManyOperators  = "The expression contains too many operators; operator count: "

	// Runtime errors of update expressions (no "Invalid UpdateExpression" prefix).
	msgNoAttribute    = "The provided expression refers to an attribute that does not exist in the item"
	msgBadOperandType = "An operand in the update expression has an incorrect data type"
	msgBadUpdatePath  = "The document path provided in the update expression is invalid for update"
	msgNestingLimit   = ddb.MsgNesting

	// Legacy AttributeUpdates runtime error.
	msgLegacyTypeMismatch = "Type mismatch for attribute to update"
)

// validTypeNames is the list attribute_type reports, in DynamoDB's order.
const validTypeNames = "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"

// anyTypeNames is how DynamoDB names "any type" (the possible types of a
// document path) in operand-type errors.
const anyTypeNames = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"

// Limits DynamoDB enforces on expressions.
const (
	// MaxExpressionSize is the longest expression, in UTF-16 code units.
	MaxExpressionSize = 4096
	// MaxPathDepth is the most elements a document path may have.
	MaxPathDepth = 32
	// MaxOperators is the most operators and functions one expression may use.
	MaxOperators = 300
	// MaxInOperands is the most values an IN list may hold.
	MaxInOperands = 100
	// MaxPlaceholderLength is the longest ExpressionAttributeNames or
	// ExpressionAttributeValues key.
	MaxPlaceholderLength = 255
)

// invalid returns "Invalid <which>: <msg>" as a ValidationException.
func invalid(which, msg string) *ddb.Error {
	return ddb.Validation("Invalid " + which + ": " + msg)
}

// syntaxMessage formats DynamoDB's syntax error for the token at index i:
// the offending token's text ("<EOF>" at the end) and the text from the
// previous token to the next one, whitespace included.
func syntaxMessage(src string, toks []token, i int) string {
	t := toks[i]
	tokText := "<EOF>"
	if t.kind != tkEOF {
		tokText = src[t.start:t.end]
	}
	from := 0
	if i > 0 {
		from = int(toks[i-1].start)
	}
	to := len(src)
	if t.kind != tkEOF && i+1 < len(toks) && toks[i+1].kind != tkEOF {
		to = int(toks[i+1].end)
	}
	var b strings.Builder
	b.Grow(len(msgSyntax) + len(tokText) + (to - from) + 24)
	b.WriteString(msgSyntax)
	b.WriteString("; token: \"")
	b.WriteString(tokText)
	b.WriteString("\", near: \"")
	b.WriteString(src[from:to])
	b.WriteString("\"")
	return b.String()
}

// typeName returns the short type name DynamoDB uses in operand errors.
func typeName(t ddb.Type) string { return t.String() }

// nodeTypeName returns the long type name DynamoDB uses for ADD and DELETE
// operand errors (its internal document node type).
func nodeTypeName(t ddb.Type) string {
	switch t {
	case ddb.TypeS:
		return "STRING"
	case ddb.TypeN:
		return "NUMBER"
	case ddb.TypeB:
		return "BINARY"
	case ddb.TypeBOOL:
		return "BOOLEAN"
	case ddb.TypeNULL:
		return "NULL"
	case ddb.TypeL:
		return "LIST"
	case ddb.TypeM:
		return "MAP"
	case ddb.TypeSS:
		return "STRING_SET"
	case ddb.TypeNS:
		return "NUMBER_SET"
	case ddb.TypeBS:
		return "BINARY_SET"
	}
	return "?"
}

// avString renders a value the way DynamoDB quotes BETWEEN bounds:
// "AttributeValue: {N:5}".
func avString(v ddb.Value) string {
	var s string
	switch v.T {
	case ddb.TypeS, ddb.TypeN:
		s = v.S
	case ddb.TypeB:
		s = string(ddb.AppendValue(nil, v))
		// {"B":"base64"} → base64
		s = s[6 : len(s)-2]
	default:
		s = string(ddb.AppendValue(nil, v))
	}
	return "AttributeValue: {" + v.T.String() + ":" + s + "}"
}

func itoa(n int) string { return strconv.Itoa(n) }
