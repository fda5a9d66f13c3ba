package model

import (
	"strings"

	"github.com/dynax/dynax/ddb"
)

// Render writes a JSON value the way DynamoDB's validation messages show
// it: null bare, anything else quoted as Java's toString shows it —
// strings and numbers as they are, lists as [a, b], maps and structures
// as {k=v, …}.
func Render(v []byte) string {
	if v == nil || ddb.IsNull(v) {
		return "null"
	}
	var sb strings.Builder
	sb.WriteByte('\'')
	render(&sb, v)
	sb.WriteByte('\'')
	return sb.String()
}

func render(sb *strings.Builder, v []byte) {
	v = trim(v)
	switch jsonKind(v) {
	case '"':
		s, _ := ddb.Unquote(v)
		sb.WriteString(s)
	case '[':
		sb.WriteByte('[')
		it := ddb.NewArrIter(v)
		for first := true; it.Next(); first = false {
			if !first {
				sb.WriteString(", ")
			}
			render(sb, it.Val)
		}
		sb.WriteByte(']')
	case '{':
		sb.WriteByte('{')
		it := ddb.NewTrustedObjIter(v)
		for first := true; it.Next(); first = false {
			if !first {
				sb.WriteString(", ")
			}
			k, _ := ddb.Unquote(it.Key)
			sb.WriteString(k)
			sb.WriteByte('=')
			render(sb, it.Val)
		}
		sb.WriteByte('}')
	default:
		sb.Write(v)
	}
}
