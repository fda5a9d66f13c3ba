package model

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/dynax/dynax/ddb"
)

// Constraint texts, DynamoDB's (Coral's) wording. For a value that breaks
// several, they come in this order: enum, maximum, minimum, pattern.

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// constraints lists all of s's constraints, in reporting order.
func (s *Shape) constraints() []string {
	var out []string
	what := "length"
	if s.Kind == Integer || s.Kind == Long || s.Kind == Double {
		what = "value"
	}
	if len(s.Enum) > 0 {
		out = append(out, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
	}
	if s.HasMax {
		out = append(out, "Member must have "+what+" less than or equal to "+num(s.Max))
	}
	if s.HasMin {
		out = append(out, "Member must have "+what+" greater than or equal to "+num(s.Min))
	}
	if s.Pattern != "" {
		out = append(out, "Member must satisfy regular expression pattern: "+s.Pattern)
	}
	return out
}

// violations lists the constraints of s that the JSON value v breaks.
func (s *Shape) violations(v []byte) []string {
	if ddb.IsNull(v) {
		return nil
	}
	var out []string
	var n float64
	measured := true
	switch s.Kind {
	case String:
		text, ok := ddb.Unquote(v)
		if !ok {
			return nil
		}
		if len(s.Enum) > 0 && !contains(s.Enum, text) {
			out = append(out, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
		}
		n = float64(javaLen(text))
		defer func() {
			if s.Pattern != "" && !s.matches(text) {
				out = append(out, "Member must satisfy regular expression pattern: "+s.Pattern)
			}
		}()
	case Blob:
		text, ok := ddb.Unquote(v)
		if !ok {
			return nil
		}
		b, err := ddb.DecodeBase64(text)
		if err != nil {
			return nil
		}
		n = float64(len(b))
	case List:
		it := ddb.NewArrIter(v)
		for it.Next() {
			n++
		}
	case Map:
		it := ddb.NewTrustedObjIter(v)
		for it.Next() {
			n++
		}
	case Integer, Long, Double:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return nil
		}
		n = f
	default:
		measured = false
	}
	if measured {
		what := "length"
		if s.Kind == Integer || s.Kind == Long || s.Kind == Double {
			what = "value"
		}
		if s.HasMax && n > s.Max {
			out = append(out, "Member must have "+what+" less than or equal to "+num(s.Max))
		}
		if s.HasMin && n < s.Min {
			out = append(out, "Member must have "+what+" greater than or equal to "+num(s.Min))
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// javaLen is a string's length as Java counts it (UTF-16 code units).
func javaLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

var patterns sync.Map // pattern -> *regexp.Regexp (nil: not expressible in Go)

// matches reports whether text matches s.Pattern as a whole. A pattern Go
// cannot compile is taken as matched.
func (s *Shape) matches(text string) bool {
	re, ok := patterns.Load(s.Pattern)
	if !ok {
		r, err := regexp.Compile(`^(?:` + s.Pattern + `)$`)
		if err != nil {
			r = nil
		}
		re, _ = patterns.LoadOrStore(s.Pattern, r)
	}
	r := re.(*regexp.Regexp)
	return r == nil || r.MatchString(text)
}
