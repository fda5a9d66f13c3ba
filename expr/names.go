package expr

import "strings"

// TopLevelNames returns the top-level attribute names an expression
// (condition, filter, key condition, projection or update) mentions, each
// once in the order written, with #placeholders resolved through names
// (an unresolvable placeholder is left out). It reads the text lexically,
// without validating it: it serves policy evaluation
// (dynamodb:Attributes), which must describe a request before, and
// whatever, the operation's own checks decide. Keywords, function names,
// :values and the nested parts of paths (after '.' or '[') are skipped.
func TopLevelNames(text string, names map[string]string) []string {
	var out []string
	seen := map[string]bool{}
	emit := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	i := 0
	for i < len(text) {
		c := text[i]
		switch {
		case c == ':':
			i = wordEnd(text, i+1)
		case c == '#' || isWordStart(c):
			start := i
			i = wordEnd(text, i+1)
			word := text[start:i]
			j := i
			for j < len(text) && (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r') {
				j++
			}
			if c != '#' && (j < len(text) && text[j] == '(' || isKeyword(word)) {
				continue // a function or a keyword
			}
			if c == '#' {
				word = names[word]
			}
			emit(word)
			i = pathEnd(text, i)
		default:
			i++
		}
	}
	return out
}

func isWordStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func wordEnd(s string, i int) int {
	for i < len(s) && (isWordStart(s[i]) || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	return i
}

// pathEnd skips the nested part of a path: ".name", ".#name" and "[n]"
// steps, with blanks between them.
func pathEnd(s string, i int) int {
	for {
		j := i
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j >= len(s) {
			return i
		}
		switch s[j] {
		case '.':
			j++
			for j < len(s) && s[j] == ' ' {
				j++
			}
			if j < len(s) && s[j] == '#' {
				j++
			}
			i = wordEnd(s, j)
		case '[':
			k := strings.IndexByte(s[j:], ']')
			if k < 0 {
				return len(s)
			}
			i = j + k + 1
		default:
			return i
		}
	}
}

var keywords = map[string]bool{"AND": true, "OR": true, "NOT": true, "BETWEEN": true, "IN": true,
	"SET": true, "REMOVE": true, "ADD": true, "DELETE": true}

func isKeyword(w string) bool { return keywords[strings.ToUpper(w)] }
