package ddb

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// Request decoding. DynamoDB reads request members by their exact names
// (a member "item" is not "Item": it is ignored) and keeps the last of
// repeated members whole. encoding/json matches names without regard to
// case and merges a repeated member into the first one's value, so a body
// such as {"Item":A,"item":B} would be read differently by encoding/json,
// by the storage node and by a foreign backend. Unmarshal is the one way
// request bodies are decoded — by the storage node and by the proxy alike —
// so that every reader agrees with DynamoDB and with each other.

// errSyntax is the answer to a body that is not JSON (DynamoDB sends no
// message).
var errSyntax = &Error{Status: 400, Type: NSService + "SerializationException"}

// Unmarshal decodes the JSON body into v (a pointer) as DynamoDB does:
//
//   - the JSON follows the raw reader's rules (raw.go), else a
//     SerializationException;
//   - members of objects decoded into structs match field names exactly
//     (json tag or Go name); any other member is ignored;
//   - of repeated members the last one is kept, whole.
//
// Values of types that decode themselves (json.Unmarshaler, such as Value
// and ItemJSON) are passed to them untouched. Other errors are
// encoding/json's (map them with the caller's rules).
func Unmarshal(body []byte, v any) error {
	end := SkipValue(body, 0)
	if end < 0 || SkipWS(body, end) != len(body) {
		return errSyntax
	}
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return json.Unmarshal(body, v)
	}
	if needsNorm(body, t.Elem()) {
		body = appendNorm(make([]byte, 0, len(body)), body, t.Elem())
	}
	return json.Unmarshal(body, v)
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// structFields maps a struct type's JSON member names to their types.
type structFields map[string]reflect.Type

var fieldCache sync.Map // reflect.Type -> structFields

func fieldsOf(t reflect.Type) structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(structFields)
	}
	f := structFields{}
	addFields(f, t)
	fieldCache.Store(t, f)
	return f
}

func addFields(f structFields, t reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				addFields(f, et)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if _, dup := f[name]; !dup {
			f[name] = sf.Type
		}
	}
}

// opaque reports whether values of t are decoded by t itself (or are
// untyped), so that their members are not ours to check.
func opaque(t reflect.Type) bool {
	return t.Kind() == reflect.Interface || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType)
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// needsNorm reports whether the valid JSON value b, decoded into t, holds
// a struct object with a member that is not exactly a field name, or a
// repeated one.
func needsNorm(b []byte, t reflect.Type) bool {
	t = deref(t)
	if opaque(t) {
		return false
	}
	i := SkipWS(b, 0)
	if i >= len(b) {
		return false
	}
	switch {
	case b[i] == '{' && t.Kind() == reflect.Struct:
		fields := fieldsOf(t)
		var seen [16]string
		n := 0
		var more map[string]bool
		it := NewTrustedObjIter(b)
		for it.Next() {
			name, ok := memberName(it.Key)
			ft, known := fields[name]
			if !ok || !known || !KeyIs(it.Key, name) {
				return true
			}
			for _, s := range seen[:min(n, len(seen))] {
				if s == name {
					return true
				}
			}
			if more[name] {
				return true
			}
			if n < len(seen) {
				seen[n] = name
			} else {
				if more == nil {
					more = map[string]bool{}
				}
				more[name] = true
			}
			n++
			if needsNorm(it.Val, ft) {
				return true
			}
		}
	case b[i] == '{' && t.Kind() == reflect.Map:
		it := NewTrustedObjIter(b)
		for it.Next() {
			if needsNorm(it.Val, t.Elem()) {
				return true
			}
		}
	case b[i] == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		it := NewArrIter(b)
		for it.Next() {
			if needsNorm(it.Val, t.Elem()) {
				return true
			}
		}
	}
	return false
}

func memberName(k []byte) (string, bool) {
	if p, ok := PlainString(k); ok {
		return string(p), true
	}
	return UnquoteString(k)
}

// appendNorm appends the valid JSON value b, decoded into t, with every
// struct object reduced to its exactly named members, the last of each.
func appendNorm(dst, b []byte, t reflect.Type) []byte {
	t = deref(t)
	i := SkipWS(b, 0)
	if opaque(t) || i >= len(b) {
		return append(dst, b...)
	}
	switch {
	case b[i] == '{' && t.Kind() == reflect.Struct:
		fields := fieldsOf(t)
		type member struct {
			name     string
			key, val []byte
		}
		var kept []member
		it := NewTrustedObjIter(b)
		for it.Next() {
			name, ok := memberName(it.Key)
			if _, known := fields[name]; !ok || !known {
				continue
			}
			m := member{name, it.Key, it.Val}
			replaced := false
			for j := range kept {
				if kept[j].name == name {
					kept[j] = m
					replaced = true
				}
			}
			if !replaced {
				kept = append(kept, m)
			}
		}
		dst = append(dst, '{')
		for j, m := range kept {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, m.name)
			dst = append(dst, ':')
			dst = appendNorm(dst, m.val, fields[m.name])
		}
		return append(dst, '}')
	case b[i] == '{' && t.Kind() == reflect.Map:
		dst = append(dst, '{')
		it := NewTrustedObjIter(b)
		first := true
		for it.Next() {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, it.Key...)
			dst = append(dst, ':')
			dst = appendNorm(dst, it.Val, t.Elem())
		}
		return append(dst, '}')
	case b[i] == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		dst = append(dst, '[')
		it := NewArrIter(b)
		first := true
		for it.Next() {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendNorm(dst, it.Val, t.Elem())
		}
		return append(dst, ']')
	}
	return append(dst, b...)
}
