package store

// The subset of Amazon Ion text that DynamoDB exports and imports use
// (no maintained Ion library for Go is available here):
//
//	$ion_1_0 {Item:{name:"text", n:12, d:1.5, e:15d3, b:{{AAE=}}, ok:true, no:null,
//	           l:["x", 1], m:{k:"v"}, ss:$dynamodb_SS::["a","b"], ns:$dynamodb_NS::[1,2],
//	           bs:$dynamodb_BS::[{{AA==}}]}}
//
// Strings are S, integers and decimals N, blobs B, booleans BOOL, null
// NULL, lists L, structs M; the three set types are lists annotated with
// $dynamodb_SS, $dynamodb_NS and $dynamodb_BS. Field names are symbols or
// quoted strings. Numbers are exact decimals ('d' or 'e' exponents); Ion
// floats (with 'e') are read as numbers too.

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dynax/dynax/ddb"
)

// appendIonItem appends `$ion_1_0 {Item:{…}}` for it.
func appendIonItem(dst []byte, it ddb.Item) []byte {
	dst = append(dst, "$ion_1_0 {Item:"...)
	dst = appendIonStruct(dst, it)
	return append(dst, '}')
}

func appendIonStruct(dst []byte, m map[string]ddb.Value) []byte {
	dst = append(dst, '{')
	i := 0
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		i++
		dst = appendIonString(dst, k)
		dst = append(dst, ':')
		dst = appendIonValue(dst, m[k])
	}
	return append(dst, '}')
}

func appendIonValue(dst []byte, v ddb.Value) []byte {
	switch v.T {
	case ddb.TypeS:
		return appendIonString(dst, v.S)
	case ddb.TypeN:
		return appendIonNumber(dst, v.S)
	case ddb.TypeB:
		return appendIonBlob(dst, v.B)
	case ddb.TypeBOOL:
		return strconv.AppendBool(dst, v.Bool)
	case ddb.TypeNULL:
		return append(dst, "null"...)
	case ddb.TypeL:
		dst = append(dst, '[')
		for i, e := range v.L {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendIonValue(dst, e)
		}
		return append(dst, ']')
	case ddb.TypeM:
		return appendIonStruct(dst, v.M)
	case ddb.TypeSS, ddb.TypeNS:
		ann := "$dynamodb_SS::["
		if v.T == ddb.TypeNS {
			ann = "$dynamodb_NS::["
		}
		dst = append(dst, ann...)
		for i, s := range v.SS {
			if i > 0 {
				dst = append(dst, ',')
			}
			if v.T == ddb.TypeNS {
				dst = appendIonNumber(dst, s)
			} else {
				dst = appendIonString(dst, s)
			}
		}
		return append(dst, ']')
	case ddb.TypeBS:
		dst = append(dst, "$dynamodb_BS::["...)
		for i, b := range v.BS {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendIonBlob(dst, b)
		}
		return append(dst, ']')
	}
	return append(dst, "null"...)
}

func appendIonString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r == '\n':
			dst = append(dst, '\\', 'n')
		case r < 0x20 || r == 0x7f:
			dst = fmt.Appendf(dst, `\x%02x`, r)
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return append(dst, '"')
}

// appendIonNumber writes a canonical DynamoDB number (never an exponent)
// as an Ion int or decimal: "12" → 12, "1.5" → 1.5.
func appendIonNumber(dst []byte, n string) []byte { return append(dst, n...) }

func appendIonBlob(dst []byte, b []byte) []byte {
	dst = append(dst, "{{"...)
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, "}}"...)
}

// ---------------------------------------------------------------------------
// Reading

// ionReader parses the subset above.
type ionReader struct {
	s   string
	pos int
}

// maxIonDepth bounds nesting (DynamoDB allows 32 levels).
const maxIonDepth = 64

// parseIonItem parses one `$ion_1_0 {Item:{…}}` line (the version marker
// is optional) into an item.
func parseIonItem(line string) (ddb.Item, error) {
	if !utf8.ValidString(line) {
		return nil, errors.New("ion: the line is not valid UTF-8")
	}
	r := &ionReader{s: line}
	r.ws()
	if strings.HasPrefix(r.s[r.pos:], "$ion_1_0") {
		r.pos += len("$ion_1_0")
	}
	r.ws()
	v, err := r.value(0)
	if err != nil {
		return nil, err
	}
	r.ws()
	if r.pos != len(r.s) {
		return nil, r.errf("unexpected text after the value")
	}
	if v.T != ddb.TypeM {
		return nil, r.errf("a line must be a struct {Item:{…}}")
	}
	item, ok := v.M["Item"]
	if !ok || item.T != ddb.TypeM || len(v.M) != 1 {
		return nil, r.errf("a line must be a struct with the one field Item")
	}
	return item.M, nil
}

func (r *ionReader) errf(format string, args ...any) error {
	return fmt.Errorf("ion: at offset %d: %s", r.pos, fmt.Sprintf(format, args...))
}

func (r *ionReader) ws() {
	for r.pos < len(r.s) {
		switch r.s[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

func (r *ionReader) peek() byte {
	if r.pos < len(r.s) {
		return r.s[r.pos]
	}
	return 0
}

func isSymbolByte(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (r *ionReader) symbol() string {
	start := r.pos
	for r.pos < len(r.s) && isSymbolByte(r.s[r.pos]) {
		r.pos++
	}
	return r.s[start:r.pos]
}

func (r *ionReader) value(depth int) (ddb.Value, error) {
	if depth > maxIonDepth {
		return ddb.Value{}, r.errf("nested too deeply")
	}
	r.ws()
	c := r.peek()
	switch {
	case c == '{' && strings.HasPrefix(r.s[r.pos:], "{{"):
		b, err := r.blob()
		return ddb.Value{T: ddb.TypeB, B: b}, err
	case c == '{':
		return r.structValue(depth)
	case c == '[':
		l, err := r.list(depth)
		return ddb.Value{T: ddb.TypeL, L: l}, err
	case c == '"':
		s, err := r.str()
		return ddb.Value{T: ddb.TypeS, S: s}, err
	case c == '-' || c == '+' || (c >= '0' && c <= '9'):
		n, err := r.number()
		return ddb.Value{T: ddb.TypeN, S: n}, err
	case c == '$' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
		sym := r.symbol()
		r.ws()
		if strings.HasPrefix(r.s[r.pos:], "::") {
			r.pos += 2
			return r.annotated(sym, depth)
		}
		switch sym {
		case "true", "false":
			return ddb.Value{T: ddb.TypeBOOL, Bool: sym == "true"}, nil
		case "null":
			return ddb.Null(), nil
		}
		return ddb.Value{}, r.errf("unexpected symbol %q", sym)
	}
	return ddb.Value{}, r.errf("unexpected %q", string(c))
}

func (r *ionReader) annotated(ann string, depth int) (ddb.Value, error) {
	r.ws()
	if r.peek() != '[' {
		return ddb.Value{}, r.errf("annotation %s must precede a list", ann)
	}
	l, err := r.list(depth)
	if err != nil {
		return ddb.Value{}, err
	}
	var v ddb.Value
	switch ann {
	case "$dynamodb_SS":
		v.T = ddb.TypeSS
	case "$dynamodb_NS":
		v.T = ddb.TypeNS
	case "$dynamodb_BS":
		v.T = ddb.TypeBS
	default:
		return ddb.Value{}, r.errf("unknown annotation %s", ann)
	}
	for _, e := range l {
		switch {
		case v.T == ddb.TypeSS && e.T == ddb.TypeS, v.T == ddb.TypeNS && e.T == ddb.TypeN:
			v.SS = append(v.SS, e.S)
		case v.T == ddb.TypeBS && e.T == ddb.TypeB:
			v.BS = append(v.BS, e.B)
		default:
			return ddb.Value{}, r.errf("%s holds a %s", ann, e.T)
		}
	}
	return v, nil
}

func (r *ionReader) structValue(depth int) (ddb.Value, error) {
	r.pos++ // {
	m := map[string]ddb.Value{}
	for {
		r.ws()
		if r.peek() == '}' {
			r.pos++
			return ddb.Value{T: ddb.TypeM, M: m}, nil
		}
		var name string
		var err error
		switch c := r.peek(); {
		case c == '"':
			name, err = r.str()
		case c == '\'':
			name, err = r.quotedSymbol()
		case isSymbolByte(c):
			name = r.symbol()
		default:
			return ddb.Value{}, r.errf("expected a field name")
		}
		if err != nil {
			return ddb.Value{}, err
		}
		r.ws()
		if r.peek() != ':' {
			return ddb.Value{}, r.errf("expected ':' after field %q", name)
		}
		r.pos++
		v, err := r.value(depth + 1)
		if err != nil {
			return ddb.Value{}, err
		}
		m[name] = v
		r.ws()
		switch r.peek() {
		case ',':
			r.pos++
		case '}':
		default:
			return ddb.Value{}, r.errf("expected ',' or '}'")
		}
	}
}

func (r *ionReader) list(depth int) ([]ddb.Value, error) {
	r.pos++ // [
	l := []ddb.Value{}
	for {
		r.ws()
		if r.peek() == ']' {
			r.pos++
			return l, nil
		}
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		l = append(l, v)
		r.ws()
		switch r.peek() {
		case ',':
			r.pos++
		case ']':
		default:
			return nil, r.errf("expected ',' or ']'")
		}
	}
}

func (r *ionReader) str() (string, error) {
	return r.quoted('"')
}

func (r *ionReader) quotedSymbol() (string, error) {
	return r.quoted('\'')
}

func (r *ionReader) quoted(q byte) (string, error) {
	r.pos++
	var b strings.Builder
	for r.pos < len(r.s) {
		c := r.s[r.pos]
		switch {
		case c == q:
			r.pos++
			return b.String(), nil
		case c == '\\':
			if r.pos+1 >= len(r.s) {
				return "", r.errf("unterminated escape")
			}
			e := r.s[r.pos+1]
			r.pos += 2
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case '"', '\'', '\\', '/':
				b.WriteByte(e)
			case 'x', 'u', 'U':
				width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
				if r.pos+width > len(r.s) {
					return "", r.errf("short \\%c escape", e)
				}
				n, err := strconv.ParseUint(r.s[r.pos:r.pos+width], 16, 32)
				if err != nil || n > utf8.MaxRune {
					return "", r.errf("bad \\%c escape", e)
				}
				b.WriteRune(rune(n))
				r.pos += width
			default:
				return "", r.errf("unknown escape \\%c", e)
			}
		default:
			b.WriteByte(c)
			r.pos++
		}
	}
	return "", r.errf("unterminated string")
}

func (r *ionReader) blob() ([]byte, error) {
	r.pos += 2
	end := strings.Index(r.s[r.pos:], "}}")
	if end < 0 {
		return nil, r.errf("unterminated blob")
	}
	text := strings.Map(func(c rune) rune {
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			return -1
		}
		return c
	}, r.s[r.pos:r.pos+end])
	r.pos += end + 2
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, r.errf("bad blob: %v", err)
	}
	return b, nil
}

// number reads an Ion int, decimal or float and returns it as a DynamoDB
// number string (validated and canonical).
func (r *ionReader) number() (string, error) {
	start := r.pos
	for r.pos < len(r.s) {
		c := r.s[r.pos]
		if (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'd' || c == 'D' || c == 'e' || c == 'E' || c == '_' {
			r.pos++
			continue
		}
		break
	}
	text := strings.ReplaceAll(r.s[start:r.pos], "_", "")
	text = strings.NewReplacer("d", "E", "D", "E").Replace(text)
	n, err := ddb.CanonicalNumber(text)
	if err != nil {
		return "", r.errf("bad number %q", r.s[start:r.pos])
	}
	return n, nil
}
