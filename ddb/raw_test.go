package ddb

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzObjIter checks the raw reader against encoding/json's grammar, both
// ways: it never panics, whatever it walks to the end without error is
// valid JSON, and valid JSON objects (with valid UTF-8 strings, not nested
// beyond MaxRawDepth) are walked to the end. Leniency would let the proxy
// answer requests the backend rejects; strictness would bypass the cache.
func FuzzObjIter(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, `{"TableName":"t","Key":{"pk":{"S":"x"}}}`, `{"a":[1,{"b":null}],"c":"\u00e9\n"}`,
		`{"a":1,}`, `{"a" 1}`, `{"a":01}`, `{"a":"\x"}`, ` { "a" : true } `, `{"a":1}x`, `[1]`, `{"a":-0.5e+3}`,
		`{"a":1.}`, `{"a":.5}`, `{"a":+1}`, `{"a":"\xff"}`, `{"a":1e}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		it := NewObjIter(b)
		n := 0
		for it.Next() {
			n++
		}
		valid := json.Valid(b) && validUTF8Strings(b) && bytes.Count(b, []byte("[")) < MaxRawDepth && bytes.Count(b, []byte("{")) < MaxRawDepth
		isObj := len(bytes.TrimSpace(b)) > 0 && bytes.TrimSpace(b)[0] == '{'
		switch {
		case !it.Err && !json.Valid(b):
			t.Fatalf("the raw reader accepted invalid JSON %q", b)
		case it.Err && valid && isObj:
			t.Fatalf("the raw reader rejected valid JSON %q after %d members", b, n)
		}
		if j := SkipValue(b, 0); j >= 0 && !json.Valid(b[:j]) {
			t.Fatalf("SkipValue took invalid JSON %q", b[:j])
		}
	})
}

// validUTF8Strings reports whether the raw bytes of b are valid UTF-8
// (encoding/json replaces invalid bytes in strings; DynamoDB refuses them).
func validUTF8Strings(b []byte) bool { return utf8.Valid(b) }

// FuzzUnmarshal checks the request decoder: it never panics, accepts only
// valid JSON, and decodes a body exactly as encoding/json decodes the body
// reduced to its exactly named, last-of-each members.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"TableName":"t","Item":{"pk":{"S":"a"}}}`, `{"TableName":"t","tablename":"u"}`, `{"Item":{"a":{"N":"1"}},"Item":null}`,
		`{"\u0054ableName":"t"}`, `{"Keys":[{"pk":{"S":"a"}}],"Keys":[]}`, `{"Nested":{"TableName":"x","TableName":"y"}}`, `{"a":01}`,
	} {
		f.Add([]byte(s))
	}
	type nested struct{ TableName string }
	type req struct {
		TableName string
		Item      *ItemJSON
		Keys      []ItemJSON
		Nested    *nested
		List      []nested
		ByName    map[string]nested
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got req
		err := Unmarshal(b, &got)
		if err != nil {
			return
		}
		if !json.Valid(b) {
			t.Fatalf("Unmarshal accepted invalid JSON %q", b)
		}
		var want req
		norm := appendNorm(nil, b, reflect.TypeFor[req]())
		if err := json.Unmarshal(norm, &want); err != nil {
			t.Fatalf("normalized %q to %q, which encoding/json rejects: %v", b, norm, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %+v, want %+v", b, got, want)
		}
		if strings.Contains(string(norm), `"tablename"`) {
			t.Fatalf("%q: normalized form %q keeps a member of another case", b, norm)
		}
	})
}
