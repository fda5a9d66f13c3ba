package expr

import (
	"sort"
	"strings"

	"github.com/dynax/dynax/ddb"
)

// Attrs carries the ExpressionAttributeNames and ExpressionAttributeValues
// of one request and records which of them the request's expressions used.
// Parse every expression of the request with the same Attrs, then call
// CheckUnused. An Attrs is not safe for concurrent use.
type Attrs struct {
	// Names maps "#name" placeholders to attribute names.
	Names map[string]string
	// Values maps ":value" placeholders to values.
	Values map[string]ddb.Value

	// Layer is the value validator of the request's operation: the
	// current one reports a bad value bare, the older one inside
	// "ExpressionAttributeValues contains invalid value: … for key :k".
	Layer ddb.Layer

	usedNames  map[string]struct{}
	usedValues map[string]struct{}
}

// NewAttrs returns an Attrs for the given maps; either may be nil.
func NewAttrs(names map[string]string, values map[string]ddb.Value) *Attrs {
	return &Attrs{Names: names, Values: values}
}

func (a *Attrs) name(key string) (string, bool) {
	if a == nil {
		return "", false
	}
	n, ok := a.Names[key]
	if ok {
		if a.usedNames == nil {
			a.usedNames = make(map[string]struct{}, len(a.Names))
		}
		a.usedNames[key] = struct{}{}
	}
	return n, ok
}

func (a *Attrs) value(key string) (ddb.Value, bool) {
	if a == nil {
		return ddb.Value{}, false
	}
	v, ok := a.Values[key]
	if ok {
		if a.usedValues == nil {
			a.usedValues = make(map[string]struct{}, len(a.Values))
		}
		a.usedValues[key] = struct{}{}
	}
	return v, ok
}

// Validate checks the two maps themselves, as DynamoDB does before parsing
// any expression: a map given but empty, keys that are not #name / :value
// placeholders, names that are empty, and values that are invalid. Call it
// once per request, when the maps are present; it is separate from parsing
// because DynamoDB checks whether expressions are present first. Keys are
// checked in sorted order.
func (a *Attrs) Validate() error {
	if a.Names != nil {
		if len(a.Names) == 0 {
			return ddb.Validation("ExpressionAttributeNames must not be empty")
		}
		for _, k := range sortedKeys(a.Names) {
			if msg := placeholderKeyProblem(k, '#', true); msg != "" {
				return ddb.Validation("ExpressionAttributeNames contains invalid key: " + msg)
			}
		}
		for _, k := range sortedKeys(a.Names) {
			if a.Names[k] == "" {
				return ddb.Validation("ExpressionAttributeNames contains invalid value: Empty attribute name for key " + k)
			}
		}
		for _, k := range sortedKeys(a.Names) {
			if len(a.Names[k]) > MaxNameSize {
				return ErrNameTooLarge
			}
		}
	}
	if a.Values != nil {
		if len(a.Values) == 0 {
			return ddb.Validation("ExpressionAttributeValues must not be empty")
		}
		keys := sortedKeys(a.Values)
		for _, k := range keys {
			if msg := placeholderKeyProblem(k, ':', false); msg != "" {
				return ddb.Validation("ExpressionAttributeValues contains invalid key: " + msg)
			}
		}
		for _, k := range keys {
			v := a.Values[k]
			if p := v.ProblemIn(a.Layer); p != "" {
				if a.Layer == ddb.LayerCurrent {
					return ddb.Validation(p)
				}
				return ddb.Validation("ExpressionAttributeValues contains invalid value: " + p + " for key " + k)
			}
		}
		for _, k := range keys {
			if v := a.Values[k]; HasLongName(&v) {
				return ErrNameTooLarge
			}
		}
	}
	return nil
}

// placeholderKeyProblem returns DynamoDB's message for an invalid map key.
func placeholderKeyProblem(k string, sigil byte, sizeParam bool) string {
	if k == "" {
		return "The expression attribute map contains an empty key;"
	}
	if len(k) > MaxPlaceholderLength {
		if sizeParam {
			return "The expression attribute map contains a key that is too long; size of key: " + itoa(utf16Len(k))
		}
		return "The expression attribute map contains a key that is too long;"
	}
	ok := len(k) > 1 && k[0] == sigil
	for i := 1; ok && i < len(k); i++ {
		ok = isIDChar(k[i])
	}
	if !ok {
		return "Syntax error; key: \"" + k + "\""
	}
	return ""
}

// CheckUnused reports DynamoDB's error for names or values that were given
// but used by none of the request's expressions. Keys are listed sorted.
func (a *Attrs) CheckUnused() error {
	if a == nil {
		return nil
	}
	var unused []string
	for k := range a.Names {
		if _, ok := a.usedNames[k]; !ok {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return ddb.Validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {" + strings.Join(unused, ", ") + "}")
	}
	for k := range a.Values {
		if _, ok := a.usedValues[k]; !ok {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return ddb.Validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {" + strings.Join(unused, ", ") + "}")
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// utf16Len is the length of s in UTF-16 code units, the unit DynamoDB uses
// for expression sizes and string sizes.
func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			n++
			i++
			continue
		}
		l := runeLen(s[i:])
		if l == 4 {
			n += 2
		} else {
			n++
		}
		i += l
	}
	return n
}

// MaxNameSize is the longest attribute name DynamoDB stores, in bytes
// (the documented "64 KB" less one: alternator's test_limits.py).
const MaxNameSize = 65535

// ErrNameTooLarge is DynamoDB's answer to an attribute name over
// MaxNameSize, in an item, a value or ExpressionAttributeNames (measured
// against the service: ExtendDB issue #365).
var ErrNameTooLarge = ddb.Validation("1 validation error detected: Attribute name is too large, must be less than 65536 bytes")

// HasLongName reports whether v holds a map key longer than MaxNameSize at
// any depth.
func HasLongName(v *ddb.Value) bool {
	switch v.T {
	case ddb.TypeM:
		for k, e := range v.M {
			if len(k) > MaxNameSize || HasLongName(&e) {
				return true
			}
		}
	case ddb.TypeL:
		for i := range v.L {
			if HasLongName(&v.L[i]) {
				return true
			}
		}
	}
	return false
}
