package model

import (
	"github.com/dynax/dynax/ddb"
)

// The binder phase: DynamoDB's front end binds the JSON body to the Java
// classes of its model before it validates anything, and a JSON value of
// the wrong kind fails there with a SerializationException named after the
// Java type it was meant for. Where the value stands matters: a structure
// or collection that is a structure's member ("field") fails differently
// from one that is a list element or map value ("value").

// position is where a JSON value stands in its parent.
type position uint8

const (
	field position = iota // a structure member (or the body itself)
	value                 // a list element or a map value
)

// castMsg is the binder's answer to a scalar where a collection that is
// itself a list element or map value belongs.
const castMsg = "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class are in module java.base of loader 'bootstrap')"

const msgStartOfStructure = "Start of structure or map found where not expected"

var errSyntax = &ddb.Error{Status: 400, Type: ddb.NSService + "SerializationException"}

func serr(msg string) *ddb.Error { return ddb.Serialization(msg) }

// jsonKind reports the kind of the JSON value at b[0] ('{', '[', '"', 't',
// 'f', 'n', '0' for an integer, '.' for a number with a fraction or
// exponent).
func jsonKind(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	switch c := b[0]; c {
	case '{', '[', '"', 't', 'f', 'n':
		return c
	}
	for _, c := range b {
		if c == '.' || c == 'e' || c == 'E' {
			return '.'
		}
	}
	return '0'
}

// scalarMismatch is the binder's text for a JSON value of kind k where a
// scalar of Java class javaName (String, Integer, …) belongs.
func scalarMismatch(k byte, javaName string) *ddb.Error {
	switch k {
	case 't':
		return serr("TRUE_VALUE cannot be converted to " + javaName)
	case 'f':
		return serr("FALSE_VALUE cannot be converted to " + javaName)
	case '0':
		return serr("NUMBER_VALUE cannot be converted to " + javaName)
	case '.':
		return serr("DECIMAL_VALUE cannot be converted to " + javaName)
	case '"':
		return serr("STRING_VALUE cannot be converted to " + javaName)
	case '[':
		return serr("Unrecognized collection type class java.lang." + javaName)
	case '{':
		return serr(msgStartOfStructure)
	}
	return errSyntax
}

// bind checks that the valid JSON value v (no surrounding space) binds to
// s standing at pos, and returns the binder's error if not.
func bind(s *Shape, v []byte, pos position) *ddb.Error {
	v = trim(v)
	k := jsonKind(v)
	if k == 'n' {
		return nil // null binds to anything: the member is absent
	}
	switch s.Kind {
	case String:
		if k == '"' {
			return nil
		}
		return scalarMismatch(k, "String")
	case Integer, Long, Double:
		if k == '0' || k == '.' {
			return nil
		}
		return scalarMismatch(k, javaShort(s.Kind))
	case Timestamp:
		if k == '0' || k == '.' || k == '"' {
			return nil
		}
		if k == '[' {
			return serr("Unrecognized collection type class java.util.Date")
		}
		return scalarMismatch(k, "Date")
	case Boolean:
		switch k {
		case 't', 'f':
			return nil
		case '"':
			text, ok := ddb.Unquote(v)
			if !ok {
				return nil // the decoder names the string's own fault
			}
			switch text {
			case "true", "TRUE", "True", "1", "yes", "YES", "Yes",
				"false", "FALSE", "False", "0", "no", "NO", "No":
				return nil
			}
			return serr("Unexpected token received from parser")
		}
		return scalarMismatch(k, "Boolean")
	case Blob:
		switch k {
		case '"':
			text, ok := ddb.Unquote(v)
			if !ok {
				return nil
			}
			if _, err := ddb.DecodeBase64(text); err != nil {
				de, _ := ddb.AsError(err)
				return de
			}
			return nil
		case 't', 'f', '0', '.':
			return serr("only base-64-encoded strings are convertible to bytes")
		case '[':
			return serr("Unrecognized collection type class java.nio.ByteBuffer")
		}
		return serr(msgStartOfStructure)
	case List:
		switch k {
		case '[':
			it := ddb.NewArrIter(v)
			for it.Next() {
				if err := bind(s.ElemShape(), it.Val, value); err != nil {
					return err
				}
			}
			return nil
		case '{':
			return serr(msgStartOfStructure)
		}
		if pos == value {
			return serr(castMsg)
		}
		return serr("Unexpected field type")
	case Map:
		switch k {
		case '{':
			it := ddb.NewTrustedObjIter(v)
			for it.Next() {
				if err := bind(s.ElemShape(), it.Val, value); err != nil {
					return err
				}
			}
			return nil
		case '[':
			return serr("Unrecognized collection type " + s.JavaType())
		}
		if pos == value {
			return serr(castMsg)
		}
		return serr("Unexpected field type")
	case Structure:
		switch k {
		case '{':
			it := ddb.NewTrustedObjIter(v)
			for it.Next() {
				m := memberOf(s, it.Key)
				if m == nil {
					continue // DynamoDB ignores members it does not know
				}
				if err := bind(m.MemberShape(), it.Val, field); err != nil {
					return err
				}
			}
			return nil
		case '[':
			return serr("Unrecognized collection type class " + s.JavaType())
		}
		if pos == value {
			return serr("Unexpected value type in payload")
		}
		return serr("Unexpected field type")
	}
	return nil
}

// memberOf returns the member of s named exactly by the raw JSON key k.
func memberOf(s *Shape, k []byte) *Member {
	if p, ok := ddb.PlainString(k); ok {
		return s.Member(string(p))
	}
	name, ok := ddb.Unquote(k)
	if !ok {
		return nil
	}
	return s.Member(name)
}

func javaShort(k Kind) string {
	switch k {
	case Integer:
		return "Integer"
	case Long:
		return "Long"
	case Double:
		return "Double"
	}
	return "String"
}

// walk binds the value at b[i] (no space before it) to s standing at pos
// in one pass, and returns the index just past the value. b must be JSON
// that ddb.SkipValue accepted: its structure is trusted here.
func walk(s *Shape, b []byte, i int, pos position) (int, *ddb.Error) {
	c := b[i]
	open := (c == '{' && (s.Kind == Structure || s.Kind == Map)) || (c == '[' && s.Kind == List)
	if !open {
		end := skipTrusted(b, i)
		return end, bind(s, b[i:end], pos)
	}
	j := ddb.SkipWS(b, i+1)
	if c == '[' {
		if b[j] == ']' {
			return j + 1, nil
		}
		el := s.ElemShape()
		for {
			end, err := walk(el, b, j, value)
			if err != nil {
				return 0, err
			}
			j = ddb.SkipWS(b, end)
			if b[j] == ']' {
				return j + 1, nil
			}
			j = ddb.SkipWS(b, j+1) // past ','
		}
	}
	if b[j] == '}' {
		return j + 1, nil
	}
	for {
		kend := skipTrusted(b, j)
		key := b[j:kend]
		j = ddb.SkipWS(b, kend)
		j = ddb.SkipWS(b, j+1) // past ':'
		var end int
		var err *ddb.Error
		switch {
		case s.Kind == Map:
			end, err = walk(s.ElemShape(), b, j, value)
		default:
			if m := memberOf(s, key); m != nil {
				end, err = walk(m.MemberShape(), b, j, field)
			} else {
				end = skipTrusted(b, j) // DynamoDB ignores members it does not know
			}
		}
		if err != nil {
			return 0, err
		}
		j = ddb.SkipWS(b, end)
		if b[j] == '}' {
			return j + 1, nil
		}
		j = ddb.SkipWS(b, j+1) // past ','
	}
}

// skipTrusted returns the index just past the valid JSON value at b[i].
func skipTrusted(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
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
		return len(b)
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}
