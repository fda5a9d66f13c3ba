// Package ddb holds the DynamoDB data model and wire shapes shared by every
// part of dynax: AttributeValue (Value), exact decimal numbers, item sizes,
// the JSON codec for AttributeValues, and DynamoDB's error shapes.
//
// A Value is a tagged union. Numbers are kept as their canonical decimal text
// (see CanonicalNumber), so equal numbers have equal text and comparisons of
// numbers go through CompareNumbers. Binary values hold raw bytes, never
// base64. Sets keep the order the client sent (DynamoDB does not promise an
// order) but are validated for uniqueness.
package ddb

// Type is the AttributeValue type descriptor.
type Type uint8

// The ten DynamoDB types. The zero Type is invalid.
const (
	TypeS Type = iota + 1
	TypeN
	TypeB
	TypeBOOL
	TypeNULL
	TypeL
	TypeM
	TypeSS
	TypeNS
	TypeBS
)

var typeNames = [...]string{"", "S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"}

// String returns the wire descriptor ("S", "N", "SS", …).
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "?"
}

// TypeFromString maps a wire descriptor to a Type; ok is false for unknown names.
func TypeFromString(s string) (Type, bool) {
	for i, n := range typeNames {
		if i > 0 && n == s {
			return Type(i), true
		}
	}
	return 0, false
}

// IsSet reports whether t is SS, NS or BS.
func (t Type) IsSet() bool { return t == TypeSS || t == TypeNS || t == TypeBS }

// Value is one AttributeValue.
//
// Which fields are meaningful depends on T:
//
//	S    S (UTF-8 text)
//	N    S (canonical decimal text)
//	B    B (raw bytes)
//	BOOL Bool
//	NULL nothing (always true on the wire)
//	L    L
//	M    M
//	SS   SS
//	NS   SS (canonical decimal text of each element)
//	BS   BS
type Value struct {
	T    Type
	Bool bool
	S    string
	B    []byte
	L    []Value
	M    map[string]Value
	SS   []string
	BS   [][]byte
}

// Item is a whole item or a key: attribute name → value.
type Item = map[string]Value

// Convenience constructors, mostly for tests and internal use.

// S returns a string value.
func S(s string) Value { return Value{T: TypeS, S: s} }

// N returns a number value; s must already be canonical (see CanonicalNumber).
func N(s string) Value { return Value{T: TypeN, S: s} }

// B returns a binary value.
func B(b []byte) Value { return Value{T: TypeB, B: b} }

// Bool returns a BOOL value.
func Bool(b bool) Value { return Value{T: TypeBOOL, Bool: b} }

// Null returns the NULL value.
func Null() Value { return Value{T: TypeNULL} }

// L returns a list value.
func L(vs ...Value) Value {
	if vs == nil {
		vs = []Value{}
	}
	return Value{T: TypeL, L: vs}
}

// M returns a map value.
func M(m map[string]Value) Value {
	if m == nil {
		m = map[string]Value{}
	}
	return Value{T: TypeM, M: m}
}

// Equal reports whether a and b are the same AttributeValue. Sets are equal
// when they hold the same elements in any order; numbers compare by value.
func Equal(a, b Value) bool {
	if a.T != b.T {
		return false
	}
	switch a.T {
	case TypeS:
		return a.S == b.S
	case TypeN:
		return CompareNumbers(a.S, b.S) == 0
	case TypeB:
		return string(a.B) == string(b.B)
	case TypeBOOL:
		return a.Bool == b.Bool
	case TypeNULL:
		return true
	case TypeL:
		if len(a.L) != len(b.L) {
			return false
		}
		for i := range a.L {
			if !Equal(a.L[i], b.L[i]) {
				return false
			}
		}
		return true
	case TypeM:
		if len(a.M) != len(b.M) {
			return false
		}
		for k, av := range a.M {
			bv, ok := b.M[k]
			if !ok || !Equal(av, bv) {
				return false
			}
		}
		return true
	case TypeSS:
		return sameStringSet(a.SS, b.SS, false)
	case TypeNS:
		return sameStringSet(a.SS, b.SS, true)
	case TypeBS:
		if len(a.BS) != len(b.BS) {
			return false
		}
		set := make(map[string]struct{}, len(a.BS))
		for _, x := range a.BS {
			set[string(x)] = struct{}{}
		}
		for _, x := range b.BS {
			if _, ok := set[string(x)]; !ok {
				return false
			}
		}
		return true
	}
	return false
}

func sameStringSet(a, b []string, numeric bool) bool {
	if len(a) != len(b) {
		return false
	}
	set := make(map[string]struct{}, len(a))
	for _, x := range a {
		if numeric {
			x = numberKey(x)
		}
		set[x] = struct{}{}
	}
	for _, x := range b {
		if numeric {
			x = numberKey(x)
		}
		if _, ok := set[x]; !ok {
			return false
		}
	}
	return true
}

// numberKey returns a text that is equal for equal numbers. Canonical
// numbers already have that property; this guards against non-canonical input.
func numberKey(s string) string {
	if c, err := CanonicalNumber(s); err == nil {
		return c
	}
	return s
}

// Clone returns a deep copy of v.
func (v Value) Clone() Value {
	switch v.T {
	case TypeB:
		v.B = append([]byte(nil), v.B...)
	case TypeL:
		l := make([]Value, len(v.L))
		for i := range v.L {
			l[i] = v.L[i].Clone()
		}
		v.L = l
	case TypeM:
		v.M = CloneItem(v.M)
	case TypeSS, TypeNS:
		v.SS = append([]string(nil), v.SS...)
	case TypeBS:
		bs := make([][]byte, len(v.BS))
		for i := range v.BS {
			bs[i] = append([]byte(nil), v.BS[i]...)
		}
		v.BS = bs
	}
	return v
}

// CloneItem returns a deep copy of an item.
func CloneItem(it Item) Item {
	if it == nil {
		return nil
	}
	out := make(Item, len(it))
	for k, v := range it {
		out[k] = v.Clone()
	}
	return out
}
