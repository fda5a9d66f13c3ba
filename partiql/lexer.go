package partiql

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of a token.
type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // a bare identifier or keyword
	tQIdent         // a "quoted identifier"
	tString         // a 'string literal'
	tNumber         // a number literal
	tParam          // ?
	tPunct          // operators and punctuation: ( ) [ ] { } , . : ; * + - / % = <> != < <= > >= << >> ||
)

// token is one lexeme. text is the identifier or string value (quotes
// removed, escapes resolved), the number text, or the punctuation.
type token struct {
	kind tokKind
	text string
	pos  Pos
	kw   bool // a bare identifier that is a reserved keyword
}

// is reports whether t is the punctuation p.
func (t token) is(p string) bool { return t.kind == tPunct && t.text == p }

// isKw reports whether t is the keyword w (lower case).
func (t token) isKw(w string) bool { return t.kind == tIdent && t.kw && strings.EqualFold(t.text, w) }

// lex splits a statement into tokens. Comments (-- to the end of the line,
// /* … */) are skipped. It fails on characters outside the language,
// unterminated strings, quoted names or comments, and numbers whose
// exponent or scale does not fit a 32-bit integer (as Java's BigDecimal).
func lex(src string) ([]token, bool) {
	var toks []token
	line, col := 1, 1 // position of src[i]
	i := 0
	advance := func(n int) {
		for k := 0; k < n && i < len(src); {
			r, sz := utf8.DecodeRuneInString(src[i:])
			if r == '\n' {
				line++
				col = 1
			} else {
				col++
			}
			i += sz
			k += sz
		}
	}
	for {
		// Whitespace and comments.
		for i < len(src) {
			c := src[i]
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
				advance(1)
				continue
			case c == '-' && i+1 < len(src) && src[i+1] == '-':
				for i < len(src) && src[i] != '\n' {
					advance(1)
				}
				continue
			case c == '/' && i+1 < len(src) && src[i+1] == '*':
				end := strings.Index(src[i+2:], "*/")
				if end < 0 {
					return nil, false
				}
				advance(end + 4)
				continue
			}
			break
		}
		start := Pos{Line: line, Col: col}
		if i >= len(src) {
			toks = append(toks, token{kind: tEOF, pos: start})
			return toks, true
		}
		c := src[i]
		from := i
		emit := func(k tokKind, text string) {
			start.Len = utf8.RuneCountInString(src[from:i])
			t := token{kind: k, text: text, pos: start}
			if k == tIdent {
				t.kw = keywords[strings.ToLower(text)]
			}
			toks = append(toks, t)
		}
		switch {
		case isIdentStart(c):
			for i < len(src) && isIdentChar(src[i]) {
				advance(1)
			}
			emit(tIdent, src[from:i])
		case c >= 0x80:
			r, _ := utf8.DecodeRuneInString(src[i:])
			if !isLetterRune(r) {
				return nil, false
			}
			for i < len(src) {
				if src[i] < 0x80 {
					if !isIdentChar(src[i]) {
						break
					}
					advance(1)
					continue
				}
				r, _ := utf8.DecodeRuneInString(src[i:])
				if !isLetterRune(r) {
					break
				}
				advance(1)
			}
			emit(tIdent, src[from:i])
		case c == '"' || c == '\'':
			q := c
			var b strings.Builder
			advance(1)
			closed := false
			for i < len(src) {
				if src[i] == q {
					if i+1 < len(src) && src[i+1] == q {
						b.WriteByte(q)
						advance(2)
						continue
					}
					advance(1)
					closed = true
					break
				}
				r, sz := utf8.DecodeRuneInString(src[i:])
				if r == utf8.RuneError && sz == 1 {
					return nil, false
				}
				b.WriteString(src[i : i+sz])
				advance(sz)
			}
			if !closed {
				return nil, false
			}
			if q == '"' {
				emit(tQIdent, b.String())
			} else {
				emit(tString, b.String())
			}
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			n, ok := lexNumber(src[i:])
			if !ok {
				return nil, false
			}
			advance(n)
			emit(tNumber, src[from:i])
		case c == '?':
			advance(1)
			emit(tParam, "?")
		default:
			p := ""
			for _, cand := range [...]string{"<>", "!=", "<=", ">=", "<<", ">>", "||"} {
				if strings.HasPrefix(src[i:], cand) {
					p = cand
					break
				}
			}
			if p == "" {
				if !strings.ContainsRune("()[]{},.:;*+-/%=<>", rune(c)) {
					return nil, false
				}
				p = src[i : i+1]
			}
			advance(len(p))
			if p == "!=" {
				p = "<>"
			}
			emit(tPunct, p)
		}
	}
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func isLetterRune(r rune) bool { return r != utf8.RuneError && unicode.IsLetter(r) }

// lexNumber returns the length of the number at the start of s. The
// exponent and the resulting scale must fit a 32-bit integer.
func lexNumber(s string) (int, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	frac := 0
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			frac++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			exp, err := strconv.ParseInt(s[i+1:k], 10, 32)
			if err != nil {
				return 0, false
			}
			if scale := int64(frac) - exp; scale > 1<<31-1 || scale < -1<<31 {
				return 0, false
			}
			i = k
		}
	}
	return i, true
}

// keywords are PartiQL's reserved words (SQL-92's and PartiQL's own). A
// bare identifier that is one of them cannot name an attribute: quote it.
var keywords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`absolute action add all allocate alter and any are as asc assertion at
		authorization avg bag begin between bit bit_length blob bool boolean both by cascade cascaded case cast
		catalog char char_length character character_length check clob close coalesce collate collation column
		commit connect connection constraint constraints continue convert corresponding count create cross
		current current_date current_time current_timestamp current_user cursor date day deallocate dec decimal
		declare default deferrable deferred delete desc describe descriptor diagnostics disconnect distinct
		domain double drop else end end-exec escape except exception exec execute exists external extract false
		fetch first float for foreign found from full get global go goto grant group having hour identity
		immediate in indicator initially inner input insensitive insert int integer intersect interval into is
		isolation join key language last leading left let level like limit list local lower match max min minute
		missing module month names national natural nchar next no not null nullif numeric octet_length of offset
		on only open option or order outer output overlaps pad partial pivot position precision prepare preserve
		primary prior privileges procedure public read real references relative remove restrict returning revoke
		right rollback rows schema scroll second section select session session_user set sexp size smallint some
		space sql sqlcode sqlerror sqlstate string struct substring sum symbol system_user table temporary then
		time timestamp to trailing transaction translate translation trim true tuple union unique unknown
		unpivot update upper usage user using value values varchar varying view when whenever where with work
		write year zone`) {
		keywords[w] = true
	}
}
