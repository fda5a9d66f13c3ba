package proxy

import (
	"unicode/utf8"

	"github.com/dynax/dynax/ddb"
)

// A small strict JSON scanner over raw request and response bodies. The hit
// path never decodes a body into Go values: it walks the top-level members,
// keeps the raw bytes of the few it needs and skips (while validating) the
// rest. Anything it does not fully understand makes the caller fall back to
// the general path, so leniency here never changes an answer.

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value starting at b[i]
// (after optional white space), or -1 when it is not valid JSON.
func skipValue(b []byte, i int) int {
	return skipDepth(b, i, 0)
}

const maxJSONDepth = 512

func skipDepth(b []byte, i, depth int) int {
	i = skipWS(b, i)
	if i >= len(b) || depth > maxJSONDepth {
		return -1
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{':
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1
		}
		for {
			i = skipWS(b, i)
			if i >= len(b) || b[i] != '"' {
				return -1
			}
			if i = skipString(b, i); i < 0 {
				return -1
			}
			i = skipWS(b, i)
			if i >= len(b) || b[i] != ':' {
				return -1
			}
			if i = skipDepth(b, i+1, depth+1); i < 0 {
				return -1
			}
			i = skipWS(b, i)
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
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1
		}
		for {
			if i = skipDepth(b, i, depth+1); i < 0 {
				return -1
			}
			i = skipWS(b, i)
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
// or -1 for an invalid string (control characters, bad escapes).
func skipString(b []byte, i int) int {
	i++
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
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

// plainString returns the contents of the raw JSON string s (quotes
// included) when it has no escapes and is valid UTF-8.
func plainString(s []byte) ([]byte, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return nil, false
	}
	in := s[1 : len(s)-1]
	ascii := true
	for _, c := range in {
		if c == '\\' {
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

// unquote decodes the raw JSON string s (quotes included). ok is false for
// an invalid string or invalid UTF-8. Plain strings are sliced; others go
// through the AttributeValue decoder's string rules.
func unquote(s []byte) (string, bool) {
	if p, ok := plainString(s); ok {
		return string(p), true
	}
	return ddb.UnquoteString(s)
}

// objIter walks the members of one JSON object without allocating:
//
//	it := newObjIter(b)
//	for it.next() { use(it.key, it.val) }
//	if it.err { invalid }
//
// key is the raw member name with its quotes; val the raw value.
type objIter struct {
	b        []byte
	i        int
	key, val []byte
	err      bool
	done     bool
	trusted  bool // b is known to be valid JSON: skip values without checking them
}

// newObjIter starts on b, which must hold exactly one JSON object (white
// space around it allowed); anything else sets err.
func newObjIter(b []byte) objIter {
	it := objIter{b: b}
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		it.err, it.done = true, true
		return it
	}
	it.i = skipWS(b, i+1)
	if it.i < len(b) && b[it.i] == '}' {
		it.done = true
		it.checkEnd(it.i + 1)
	}
	return it
}

func (it *objIter) checkEnd(i int) {
	if skipWS(it.b, i) != len(it.b) {
		it.err = true
	}
}

func (it *objIter) next() bool {
	if it.done {
		return false
	}
	b, i := it.b, skipWS(it.b, it.i)
	if i >= len(b) || b[i] != '"' {
		return it.fail()
	}
	ks := i
	if i = skipString(b, i); i < 0 {
		return it.fail()
	}
	it.key = b[ks:i]
	i = skipWS(b, i)
	if i >= len(b) || b[i] != ':' {
		return it.fail()
	}
	vs := skipWS(b, i+1)
	if it.trusted {
		i = skipTrusted(b, vs)
	} else {
		i = skipValue(b, vs)
	}
	if i < 0 {
		return it.fail()
	}
	it.val = b[vs:i]
	i = skipWS(b, i)
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

func (it *objIter) fail() bool {
	it.err, it.done = true, true
	return false
}

// newTrustedObjIter is newObjIter for JSON known to be valid (the cache's
// own entries): values are skipped by bracket matching only.
func newTrustedObjIter(b []byte) objIter {
	it := newObjIter(b)
	it.trusted = true
	return it
}

// skipTrusted returns the index past the valid JSON value at b[i]
// (after white space), matching brackets without validating.
func skipTrusted(b []byte, i int) int {
	i = skipWS(b, i)
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

// arrIter walks the elements of one JSON array, like objIter.
type arrIter struct {
	b    []byte
	i    int
	val  []byte
	err  bool
	done bool
}

func newArrIter(b []byte) arrIter {
	it := arrIter{b: b}
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		it.err, it.done = true, true
		return it
	}
	it.i = skipWS(b, i+1)
	if it.i < len(b) && b[it.i] == ']' {
		it.done = true
		if skipWS(b, it.i+1) != len(b) {
			it.err = true
		}
	}
	return it
}

func (it *arrIter) next() bool {
	if it.done {
		return false
	}
	b := it.b
	vs := skipWS(b, it.i)
	i := skipValue(b, vs)
	if i < 0 {
		it.err, it.done = true, true
		return false
	}
	it.val = b[vs:i]
	i = skipWS(b, i)
	switch {
	case i < len(b) && b[i] == ',':
		it.i = i + 1
	case i < len(b) && b[i] == ']':
		it.done = true
		if skipWS(b, i+1) != len(b) {
			it.err = true
		}
	default:
		it.err, it.done = true, true
		return false
	}
	return true
}

// keyIs reports whether the raw member name k (quotes included) is name.
func keyIs(k []byte, name string) bool {
	return len(k) == len(name)+2 && string(k[1:len(k)-1]) == name
}

func isNull(v []byte) bool { return string(v) == "null" }

// member returns the raw value of the top-level member name of object b
// (the last one if repeated), or nil.
func member(b []byte, name string) []byte {
	var out []byte
	it := newObjIter(b)
	for it.next() {
		if keyIs(it.key, name) {
			out = it.val
		}
	}
	if it.err {
		return nil
	}
	return out
}

// withoutMembers returns object b without the named top-level members,
// appended to dst. ok is false when b is not a valid object.
func withoutMembers(dst, b []byte, names ...string) ([]byte, bool) {
	dst = append(dst, '{')
	first := true
	it := newObjIter(b)
outer:
	for it.next() {
		for _, n := range names {
			if keyIs(it.key, n) {
				continue outer
			}
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, it.key...)
		dst = append(dst, ':')
		dst = append(dst, it.val...)
	}
	if it.err {
		return nil, false
	}
	return append(dst, '}'), true
}
