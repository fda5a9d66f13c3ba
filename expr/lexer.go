package expr

// The lexer follows DynamoDB's token rules exactly, because syntax errors
// quote tokens and their neighbours:
//
//	WS        [ \t\r\n]+ (hidden: never a token, but kept in "near" text)
//	INDEX     0 | [1-9][0-9]*          (so "007" is three tokens)
//	ID        [A-Za-z][A-Za-z0-9_]*    (a whole word equal to a keyword,
//	                                    ignoring case, is that keyword)
//	#name     '#' [A-Za-z0-9_]+
//	:value    ':' [A-Za-z0-9_]+
//	symbols   , ( ) . [ ] = <> < <= > >= + -
//	UNKNOWN   any other single character
//
// The lexer never fails; anything unexpected becomes an UNKNOWN token that
// the parser rejects with its text.

type tokKind uint8

const (
	tkEOF tokKind = iota
	tkComma
	tkLParen
	tkRParen
	tkDot
	tkLBracket
	tkRBracket
	tkEQ
	tkNE
	tkLT
	tkLE
	tkGT
	tkGE
	tkPlus
	tkMinus
	tkIN
	tkBETWEEN
	tkNOT
	tkAND
	tkOR
	tkSET
	tkADD
	tkDELETE
	tkREMOVE
	tkIndex
	tkID
	tkName    // #name
	tkValue   // :value
	tkUnknown // any other character
)

// token is a span of the input. Whitespace is not a token: the text between
// two consecutive tokens is exactly the whitespace that separated them.
type token struct {
	kind       tokKind
	start, end int32
}

func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// keywordKind returns the keyword token for a word, or tkID.
func keywordKind(w string) tokKind {
	switch len(w) {
	case 2:
		if eqFold(w, "in") {
			return tkIN
		}
		if eqFold(w, "or") {
			return tkOR
		}
	case 3:
		switch {
		case eqFold(w, "and"):
			return tkAND
		case eqFold(w, "not"):
			return tkNOT
		case eqFold(w, "set"):
			return tkSET
		case eqFold(w, "add"):
			return tkADD
		}
	case 6:
		if eqFold(w, "delete") {
			return tkDELETE
		}
		if eqFold(w, "remove") {
			return tkREMOVE
		}
	case 7:
		if eqFold(w, "between") {
			return tkBETWEEN
		}
	}
	return tkID
}

// eqFold compares an ASCII word with a lower-case keyword, ignoring case.
func eqFold(w, lower string) bool {
	if len(w) != len(lower) {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// lex appends the tokens of s to dst and terminates them with an EOF token
// whose span is the end of the input.
func lex(dst []token, s string) []token {
	i := 0
	n := len(s)
	for i < n {
		c := s[i]
		start := i
		var k tokKind
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
			continue
		case c == ',':
			k, i = tkComma, i+1
		case c == '(':
			k, i = tkLParen, i+1
		case c == ')':
			k, i = tkRParen, i+1
		case c == '.':
			k, i = tkDot, i+1
		case c == '[':
			k, i = tkLBracket, i+1
		case c == ']':
			k, i = tkRBracket, i+1
		case c == '=':
			k, i = tkEQ, i+1
		case c == '+':
			k, i = tkPlus, i+1
		case c == '-':
			k, i = tkMinus, i+1
		case c == '<':
			k, i = tkLT, i+1
			if i < n && s[i] == '>' {
				k, i = tkNE, i+1
			} else if i < n && s[i] == '=' {
				k, i = tkLE, i+1
			}
		case c == '>':
			k, i = tkGT, i+1
			if i < n && s[i] == '=' {
				k, i = tkGE, i+1
			}
		case c == '0':
			k, i = tkIndex, i+1
		case c >= '1' && c <= '9':
			i++
			for i < n && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			k = tkIndex
		case isLetter(c):
			i++
			for i < n && isIDChar(s[i]) {
				i++
			}
			k = keywordKind(s[start:i])
		case c == '#' || c == ':':
			j := i + 1
			for j < n && isIDChar(s[j]) {
				j++
			}
			if j == i+1 {
				k, i = tkUnknown, i+1
			} else {
				k, i = tkName, j
				if c == ':' {
					k = tkValue
				}
			}
		default:
			// One UNKNOWN token per character: a whole UTF-8 sequence, or a
			// single byte when the input is not valid UTF-8.
			k = tkUnknown
			i += runeLen(s[i:])
		}
		dst = append(dst, token{kind: k, start: int32(start), end: int32(i)})
	}
	return append(dst, token{kind: tkEOF, start: int32(n), end: int32(n)})
}

// runeLen returns the length of the UTF-8 sequence at the start of s, or 1.
func runeLen(s string) int {
	c := s[0]
	var n int
	switch {
	case c < 0x80:
		return 1
	case c&0xE0 == 0xC0:
		n = 2
	case c&0xF0 == 0xE0:
		n = 3
	case c&0xF8 == 0xF0:
		n = 4
	default:
		return 1
	}
	if len(s) < n {
		return 1
	}
	for j := 1; j < n; j++ {
		if s[j]&0xC0 != 0x80 {
			return 1
		}
	}
	return n
}
