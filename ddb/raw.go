package ddb

import "unicode/utf8"

// The raw reader: the same JSON rules as the AttributeValue decoder, over
// request and response bytes that are walked rather than decoded. The
// proxy's hit path uses it to read the few members it needs without
// allocating; the decoder's skip uses it for what it ignores. One grammar
// for both, so that the proxy never takes for valid what the decoder (and
// so the storage node) rejects, or the other way round:
//
//   - numbers follow RFC 8259 exactly (no leading zeros, no "1.", no "+1");
//   - strings hold no raw control characters, only the RFC's escapes, and
//     valid UTF-8;
//   - nesting deeper than MaxRawDepth is rejected;
//   - member names are compared exactly (KeyIs), never case-folded.

// MaxRawDepth bounds the nesting of arrays and objects the raw reader
// walks (the decoder's own limit for documents is MaxDepth; this one only
// keeps hostile input from exhausting the stack).
const MaxRawDepth = 512

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipWS returns the index of the first byte at or after i that is not
// JSON white space.
func SkipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// SkipValue returns the index just past the JSON value starting at b[i]
// (after optional white space), or -1 when it is not valid JSON by the
// rules above.
func SkipValue(b []byte, i int) int { return skipDepth(b, i, 0) }

func skipDepth(b []byte, i, depth int) int {
	i = SkipWS(b, i)
	if i >= len(b) || depth > MaxRawDepth {
		return -1
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{':
		i = SkipWS(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1
		}
		for {
			i = SkipWS(b, i)
			if i >= len(b) || b[i] != '"' {
				return -1
			}
			if i = skipString(b, i); i < 0 {
				return -1
			}
			i = SkipWS(b, i)
			if i >= len(b) || b[i] != ':' {
				return -1
			}
			if i = skipDepth(b, i+1, depth+1); i < 0 {
				return -1
			}
			i = SkipWS(b, i)
			if i >= len(b) {
				return -1
			}
			if b[i] == ',' {
				i++
				continue
			}
			if b[i] == '}' {
				return i + 1
			}
			return -1
		}
	case c == '[':
		i = SkipWS(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1
		}
		for {
			if i = skipDepth(b, i, depth+1); i < 0 {
				return -1
			}
			i = SkipWS(b, i)
			if i >= len(b) {
				return -1
			}
			if b[i] == ',' {
				i++
				continue
			}
			if b[i] == ']' {
				return i + 1
			}
			return -1
		}
	case c == 't':
		return skipLit(b, i, "true")
	case c == 'f':
		return skipLit(b, i, "false")
	case c == 'n':
		return skipLit(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(b, i)
	}
	return -1
}

func skipLit(b []byte, i int, w string) int {
	if len(b)-i < len(w) || string(b[i:i+len(w)]) != w {
		return -1
	}
	return i + len(w)
}

// skipNumber returns the index past the RFC 8259 number at b[i], or -1.
func skipNumber(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return -1
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return -1
		}
	}
	return i
}

// skipString returns the index past the string starting at b[i] == '"',
// or -1 for an invalid string (control characters, bad escapes, invalid
// UTF-8).
func skipString(b []byte, i int) int {
	i++
	start := i
	ascii := true
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			if !ascii && !utf8.Valid(b[start:i]) {
				return -1
			}
			return i + 1
		case c == '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex4(b[i+2:i+6]) {
					return -1
				}
				i += 6
			default:
				return -1
			}
		case c < 0x20:
			return -1
		default:
			if c >= utf8.RuneSelf {
				ascii = false
			}
			i++
		}
	}
	return -1
}

func isHex4(h []byte) bool {
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// PlainString returns the contents of the raw JSON string s (quotes
// included) when it has no escapes and is valid UTF-8.
func PlainString(s []byte) ([]byte, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return nil, false
	}
	in := s[1 : len(s)-1]
	ascii := true
	for _, c := range in {
		if c == '\\' || c == '"' || c < 0x20 {
			return nil, false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(in) {
		return nil, false
	}
	return in, true
}

// Unquote decodes the raw JSON string s (quotes included) with the
// decoder's rules. ok is false for an invalid string. Plain strings are
// copied without unescaping.
func Unquote(s []byte) (string, bool) {
	if p, ok := PlainString(s); ok {
		return string(p), true
	}
	return UnquoteString(s)
}

// ObjIter walks the members of one JSON object without allocating:
//
//	it := ddb.NewObjIter(b)
//	for it.Next() { use(it.Key, it.Val) }
//	if it.Err { invalid }
//
// Key is the raw member name with its quotes; Val the raw value. Members
// come in document order, repeated names included (DynamoDB keeps the
// last: callers that look for a member should too).
type ObjIter struct {
	b        []byte
	i        int
	Key, Val []byte
	Err      bool
	done     bool
	trusted  bool // b is known to be valid JSON: skip values without checking them
}

// NewObjIter starts on b, which must hold exactly one JSON object (white
// space around it allowed); anything else sets Err.
func NewObjIter(b []byte) ObjIter {
	it := ObjIter{b: b}
	i := SkipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		it.Err, it.done = true, true
		return it
	}
	it.i = SkipWS(b, i+1)
	if it.i < len(b) && b[it.i] == '}' {
		it.done = true
		it.checkEnd(it.i + 1)
	}
	return it
}

// NewTrustedObjIter is NewObjIter for JSON known to be valid (written by
// AppendItem, or already walked by an ObjIter): values are skipped by
// bracket matching only.
func NewTrustedObjIter(b []byte) ObjIter {
	it := NewObjIter(b)
	it.trusted = true
	return it
}

func (it *ObjIter) checkEnd(i int) {
	if SkipWS(it.b, i) != len(it.b) {
		it.Err = true
	}
}

// Next advances to the next member; false at the end or on an error.
func (it *ObjIter) Next() bool {
	if it.done {
		return false
	}
	b, i := it.b, SkipWS(it.b, it.i)
	if i >= len(b) || b[i] != '"' {
		return it.fail()
	}
	ks := i
	if i = skipString(b, i); i < 0 {
		return it.fail()
	}
	it.Key = b[ks:i]
	i = SkipWS(b, i)
	if i >= len(b) || b[i] != ':' {
		return it.fail()
	}
	vs := SkipWS(b, i+1)
	if it.trusted {
		i = skipTrusted(b, vs)
	} else {
		i = SkipValue(b, vs)
	}
	if i < 0 {
		return it.fail()
	}
	it.Val = b[vs:i]
	i = SkipWS(b, i)
	switch {
	case i < len(b) && b[i] == ',':
		it.i = i + 1
	case i < len(b) && b[i] == '}':
		it.done = true
		it.checkEnd(i + 1)
	default:
		return it.fail()
	}
	return true
}

func (it *ObjIter) fail() bool {
	it.Err, it.done = true, true
	return false
}

// skipTrusted returns the index past the valid JSON value at b[i]
// (after white space), matching brackets without validating.
func skipTrusted(b []byte, i int) int {
	i = SkipWS(b, i)
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return endOfString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = endOfString(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && !isWS(b[i]) {
		i++
	}
	return i
}

// endOfString returns the index past the string starting at b[i] == '"'.
func endOfString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// ArrIter walks the elements of one JSON array, like ObjIter.
type ArrIter struct {
	b    []byte
	i    int
	Val  []byte
	Err  bool
	done bool
}

// NewArrIter starts on b, which must hold exactly one JSON array.
func NewArrIter(b []byte) ArrIter {
	it := ArrIter{b: b}
	i := SkipWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		it.Err, it.done = true, true
		return it
	}
	it.i = SkipWS(b, i+1)
	if it.i < len(b) && b[it.i] == ']' {
		it.done = true
		if SkipWS(b, it.i+1) != len(b) {
			it.Err = true
		}
	}
	return it
}

// Next advances to the next element; false at the end or on an error.
func (it *ArrIter) Next() bool {
	if it.done {
		return false
	}
	b := it.b
	vs := SkipWS(b, it.i)
	i := SkipValue(b, vs)
	if i < 0 {
		it.Err, it.done = true, true
		return false
	}
	it.Val = b[vs:i]
	i = SkipWS(b, i)
	switch {
	case i < len(b) && b[i] == ',':
		it.i = i + 1
	case i < len(b) && b[i] == ']':
		it.done = true
		if SkipWS(b, i+1) != len(b) {
			it.Err = true
		}
	default:
		it.Err, it.done = true, true
		return false
	}
	return true
}

// KeyIs reports whether the raw member name k (quotes included) is
// exactly name. A name written with escapes ("\u0049tem") is not matched:
// callers that must not miss it check NameIs.
func KeyIs(k []byte, name string) bool {
	return len(k) == len(name)+2 && string(k[1:len(k)-1]) == name
}

// NameIs reports whether the raw member name k (quotes included) decodes
// to exactly name, escapes included.
func NameIs(k []byte, name string) bool {
	if KeyIs(k, name) {
		return true
	}
	if _, plain := PlainString(k); plain {
		return false
	}
	s, ok := UnquoteString(k)
	return ok && s == name
}

// IsNull reports whether the raw value v is JSON null.
func IsNull(v []byte) bool { return string(v) == "null" }

// Member returns the raw value of the top-level member name of object b
// (the last one if repeated, escaped spellings included), or nil when
// absent or when b is not a valid object.
func Member(b []byte, name string) []byte {
	var out []byte
	it := NewObjIter(b)
	for it.Next() {
		if NameIs(it.Key, name) {
			out = it.Val
		}
	}
	if it.Err {
		return nil
	}
	return out
}

// WithoutMembers returns object b without the named top-level members
// (escaped spellings included), appended to dst. ok is false when b is not
// a valid object.
func WithoutMembers(dst, b []byte, names ...string) ([]byte, bool) {
	dst = append(dst, '{')
	first := true
	it := NewObjIter(b)
outer:
	for it.Next() {
		for _, n := range names {
			if NameIs(it.Key, n) {
				continue outer
			}
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, it.Key...)
		dst = append(dst, ':')
		dst = append(dst, it.Val...)
	}
	if it.Err {
		return nil, false
	}
	return append(dst, '}'), true
}
