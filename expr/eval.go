package expr

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/dynax/dynax/ddb"
)

// Eval evaluates a condition against an item (nil or empty for an item
// that does not exist). Like DynamoDB, it never fails: a missing attribute
// or a type mismatch makes a comparison false (and "<>" true), size() of a
// value without a size is missing. A nil Cond is true. Eval does not
// allocate except for size() results above 4095.
func Eval(c Cond, item ddb.Item) bool {
	if c == nil {
		return true
	}
	return c.eval(item)
}

func (c *andCond) eval(item ddb.Item) bool { return c.l.eval(item) && c.r.eval(item) }
func (c *orCond) eval(item ddb.Item) bool  { return c.l.eval(item) || c.r.eval(item) }
func (c *notCond) eval(item ddb.Item) bool { return !c.c.eval(item) }
func (trueCond) eval(ddb.Item) bool        { return true }

func (c *cmpCond) eval(item ddb.Item) bool {
	l, lok := c.l.get(item)
	r, rok := c.r.get(item)
	switch c.op {
	case opEQ:
		return lok && rok && equalValues(&l, &r)
	case opNE:
		return !(lok && rok && equalValues(&l, &r))
	}
	if !lok || !rok || l.T != r.T || orderedTypes&typeBit(l.T) == 0 {
		return false
	}
	n := compareOrdered(l, r)
	switch c.op {
	case opLT:
		return n < 0
	case opLE:
		return n <= 0
	case opGT:
		return n > 0
	}
	return n >= 0
}

func (c *betweenCond) eval(item ddb.Item) bool {
	x, ok := c.x.get(item)
	if !ok || orderedTypes&typeBit(x.T) == 0 {
		return false
	}
	lo, ok := c.lo.get(item)
	if !ok || lo.T != x.T {
		return false
	}
	hi, ok := c.hi.get(item)
	if !ok || hi.T != x.T {
		return false
	}
	return compareOrdered(x, lo) >= 0 && compareOrdered(x, hi) <= 0
}

func (c *inCond) eval(item ddb.Item) bool {
	x, ok := c.x.get(item)
	if !ok {
		return false
	}
	for i := range c.list {
		if v, ok := c.list[i].get(item); ok && equalValues(&x, &v) {
			return true
		}
	}
	return false
}

func (c *funcCond) eval(item ddb.Item) bool {
	switch c.fn {
	case fnAttributeExists:
		_, ok := resolve(item, c.args[0].path)
		return ok
	case fnAttributeNotExists:
		_, ok := resolve(item, c.args[0].path)
		return !ok
	case fnAttributeType:
		v, ok := c.args[0].get(item)
		t, tok := c.args[1].get(item)
		return ok && tok && t.T == ddb.TypeS && v.T.String() == t.S
	case fnBeginsWith:
		a, ok := c.args[0].get(item)
		b, bok := c.args[1].get(item)
		if !ok || !bok || a.T != b.T {
			return false
		}
		switch a.T {
		case ddb.TypeS:
			return strings.HasPrefix(a.S, b.S)
		case ddb.TypeB:
			return bytes.HasPrefix(a.B, b.B)
		}
		return false
	case fnContains:
		a, ok := c.args[0].get(item)
		b, bok := c.args[1].get(item)
		return ok && bok && contains(&a, &b)
	}
	return false
}

// contains is DynamoDB's contains(a, b): a substring of a string, a
// subsequence of a binary, a member of a set, or an element of a list.
func contains(a, b *ddb.Value) bool {
	switch a.T {
	case ddb.TypeS:
		return b.T == ddb.TypeS && strings.Contains(a.S, b.S)
	case ddb.TypeB:
		return b.T == ddb.TypeB && bytes.Contains(a.B, b.B)
	case ddb.TypeL:
		for i := range a.L {
			if equalValues(&a.L[i], b) {
				return true
			}
		}
	case ddb.TypeSS:
		if b.T == ddb.TypeS {
			for _, e := range a.SS {
				if e == b.S {
					return true
				}
			}
		}
	case ddb.TypeNS:
		if b.T == ddb.TypeN {
			for _, e := range a.SS {
				if compareNumbers(e, b.S) == 0 {
					return true
				}
			}
		}
	case ddb.TypeBS:
		if b.T == ddb.TypeB {
			for _, e := range a.BS {
				if bytes.Equal(e, b.B) {
					return true
				}
			}
		}
	}
	return false
}

// get evaluates an operand of a condition; ok is false when it is missing.
func (o *operand) get(item ddb.Item) (ddb.Value, bool) {
	switch o.kind {
	case kValue:
		return o.val, true
	case kPath:
		return resolve(item, o.path)
	case kFunc:
		if o.fn == fnSize {
			v, ok := o.args[0].get(item)
			if !ok {
				return ddb.Value{}, false
			}
			n := sizeOf(&v)
			if n < 0 {
				return ddb.Value{}, false
			}
			return ddb.Value{T: ddb.TypeN, S: smallInt(n)}, true
		}
	}
	return ddb.Value{}, false
}

// resolve finds the value a document path designates in an item.
func resolve(item ddb.Item, p Path) (ddb.Value, bool) {
	v, ok := item[p[0].Name]
	for i := 1; ok && i < len(p); i++ {
		e := &p[i]
		switch {
		case e.IsIndex:
			if v.T != ddb.TypeL || e.Index >= len(v.L) {
				return ddb.Value{}, false
			}
			v = v.L[e.Index]
		case v.T != ddb.TypeM || e.opaque:
			return ddb.Value{}, false
		default:
			v, ok = v.M[e.Name]
		}
	}
	return v, ok
}

// sizeOf is DynamoDB's size(): string length in UTF-16 code units, binary
// length in bytes, element count of sets, lists and maps; -1 otherwise.
func sizeOf(v *ddb.Value) int {
	switch v.T {
	case ddb.TypeS:
		return utf16Len(v.S)
	case ddb.TypeB:
		return len(v.B)
	case ddb.TypeSS, ddb.TypeNS:
		return len(v.SS)
	case ddb.TypeBS:
		return len(v.BS)
	case ddb.TypeL:
		return len(v.L)
	case ddb.TypeM:
		return len(v.M)
	}
	return -1
}

var smallInts = func() (s [4096]string) {
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	return
}()

func smallInt(n int) string {
	if n < len(smallInts) {
		return smallInts[n]
	}
	return strconv.Itoa(n)
}

// compareOrdered compares two values of the same ordered type (S, N, B).
// Strings compare by UTF-8 bytes, binaries as unsigned bytes.
func compareOrdered(a, b ddb.Value) int {
	switch a.T {
	case ddb.TypeN:
		return compareNumbers(a.S, b.S)
	case ddb.TypeB:
		return bytes.Compare(a.B, b.B)
	}
	return strings.Compare(a.S, b.S)
}

// equalValues is DynamoDB equality: same type and same value, numbers by
// value, sets in any order. It does not allocate for sets up to 64 elements.
func equalValues(a, b *ddb.Value) bool {
	if a.T != b.T {
		return false
	}
	switch a.T {
	case ddb.TypeS:
		return a.S == b.S
	case ddb.TypeN:
		return compareNumbers(a.S, b.S) == 0
	case ddb.TypeB:
		return bytes.Equal(a.B, b.B)
	case ddb.TypeBOOL:
		return a.Bool == b.Bool
	case ddb.TypeNULL:
		return true
	case ddb.TypeL:
		if len(a.L) != len(b.L) {
			return false
		}
		for i := range a.L {
			if !equalValues(&a.L[i], &b.L[i]) {
				return false
			}
		}
		return true
	case ddb.TypeM:
		if len(a.M) != len(b.M) {
			return false
		}
		for k, av := range a.M {
			bv, ok := b.M[k]
			if !ok || !equalValues(&av, &bv) {
				return false
			}
		}
		return true
	case ddb.TypeSS, ddb.TypeNS, ddb.TypeBS:
		if len(a.SS) != len(b.SS) || len(a.BS) != len(b.BS) {
			return false
		}
		if len(a.SS)+len(a.BS) > 64 {
			return ddb.Equal(*a, *b)
		}
		// Sets hold distinct elements, so equal sizes and every element of
		// a found in b means equal sets.
		for _, x := range a.SS {
			found := false
			for _, y := range b.SS {
				if x == y || a.T == ddb.TypeNS && compareNumbers(x, y) == 0 {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		for _, x := range a.BS {
			found := false
			for _, y := range b.BS {
				if bytes.Equal(x, y) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	return false
}

// compareNumbers compares two number texts by value without allocating
// when both are canonical (as ddb stores them); other forms go through
// ddb.CompareNumbers.
func compareNumbers(a, b string) int {
	if a == b {
		return 0
	}
	an, aInt, aFrac, ok1 := splitCanonical(a)
	bn, bInt, bFrac, ok2 := splitCanonical(b)
	if !ok1 || !ok2 {
		return ddb.CompareNumbers(a, b)
	}
	aZero := aInt == "0" && aFrac == ""
	bZero := bInt == "0" && bFrac == ""
	sa, sb := 1, 1
	switch {
	case aZero:
		sa = 0
	case an:
		sa = -1
	}
	switch {
	case bZero:
		sb = 0
	case bn:
		sb = -1
	}
	if sa != sb {
		if sa < sb {
			return -1
		}
		return 1
	}
	if sa == 0 {
		return 0
	}
	// Same sign: compare magnitudes. "0" integer parts count as empty.
	if aInt == "0" {
		aInt = ""
	}
	if bInt == "0" {
		bInt = ""
	}
	c := 0
	switch {
	case len(aInt) != len(bInt):
		c = -1
		if len(aInt) > len(bInt) {
			c = 1
		}
	default:
		c = strings.Compare(aInt, bInt)
		if c == 0 {
			c = strings.Compare(aFrac, bFrac)
		}
	}
	return c * sa
}

// splitCanonical splits canonical number text (-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?)
// into sign, integer digits and fraction digits; ok is false otherwise.
func splitCanonical(s string) (neg bool, intPart, frac string, ok bool) {
	if s != "" && s[0] == '-' {
		neg, s = true, s[1:]
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 1 && s[0] == '0' {
		return false, "", "", false
	}
	intPart = s[:i]
	if i == len(s) {
		return neg, intPart, "", true
	}
	if s[i] != '.' || i+1 == len(s) {
		return false, "", "", false
	}
	frac = s[i+1:]
	for j := 0; j < len(frac); j++ {
		if frac[j] < '0' || frac[j] > '9' {
			return false, "", "", false
		}
	}
	if frac[len(frac)-1] == '0' {
		return false, "", "", false
	}
	return neg, intPart, frac, true
}
