package ddb

import (
	"reflect"
	"testing"
)

func TestUnmarshalExactCase(t *testing.T) {
	type put struct {
		TableName string
		Item      ItemJSON
	}
	type inner struct {
		Key ItemJSON
		N   *int
	}
	type batch struct {
		RequestItems map[string][]struct{ DeleteRequest *inner }
		Tagged       string `json:"tagged"`
	}
	f := func(body string, v any, want any) {
		t.Helper()
		if err := Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if !reflect.DeepEqual(v, want) {
			t.Fatalf("%s: got %+v, want %+v", body, v, want)
		}
	}
	a := Item{"pk": {T: TypeS, S: "a"}}
	b := Item{"pk": {T: TypeS, S: "b"}}
	f(`{"TableName":"t","Item":{"pk":{"S":"a"}},"item":{"pk":{"S":"b"}}}`, &put{}, &put{"t", ItemJSON{a}})
	f(`{"item":{"pk":{"S":"b"}},"Item":{"pk":{"S":"a"}},"TABLENAME":"x"}`, &put{}, &put{"", ItemJSON{a}})
	f(`{"Item":{"pk":{"S":"b"}},"Item":{"pk":{"S":"a"}}}`, &put{}, &put{"", ItemJSON{a}})
	f(`{"\u0049tem":{"pk":{"S":"b"}}}`, &put{}, &put{"", ItemJSON{b}})
	one := 1
	// A repeated struct member is replaced whole, not merged.
	f(`{"RequestItems":{"t":[{"DeleteRequest":{"Key":{"pk":{"S":"a"}},"N":1},"DeleteRequest":{"key":{"pk":{"S":"b"}}}}]}}`,
		&batch{}, &batch{RequestItems: map[string][]struct{ DeleteRequest *inner }{"t": {{&inner{}}}}})
	f(`{"RequestItems":{"t":[{"DeleteRequest":{"Key":{"pk":{"S":"a"}},"N":1}}]},"Tagged":"x","tagged":"y"}`,
		&batch{}, &batch{RequestItems: map[string][]struct{ DeleteRequest *inner }{"t": {{&inner{Key: ItemJSON{a}, N: &one}}}}, Tagged: "y"})
}

func TestUnmarshalRejects(t *testing.T) {
	f := func(body string) {
		t.Helper()
		var v struct{ A any }
		err := Unmarshal([]byte(body), &v)
		de, ok := AsError(err)
		if !ok || de.Type != NSService+"SerializationException" {
			t.Fatalf("%q: %v, want a SerializationException", body, err)
		}
	}
	f(`{"A":01}`)
	f(`{"A":1.}`)
	f(`{"A":"\xff"}`)
	f(`{"A":1} x`)
	f(`{"A":[`)
}
