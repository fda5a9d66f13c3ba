package ddb

import (
	"encoding/json"
	"testing"
)

func TestDecodeValueRules(t *testing.T) {
	f := func(in, wantProblem string) {
		t.Helper()
		var v Value
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatalf("%s: unexpected decode error %v", in, err)
		}
		if got := v.Problem(); got != wantProblem {
			t.Fatalf("%s: problem %q, want %q", in, got, wantProblem)
		}
	}
	f(`{"S":"x"}`, "")
	f(`{}`, msgEmptyAV)
	f(`{"X":"y"}`, msgEmptyAV)
	f(`{"S":"a","N":"1"}`, msgMultiTypeAV)
	f(`{"S":"a","N":"b"}`, "The parameter cannot be converted to a numeric value: b")
	f(`{"NULL":false}`, msgNullNotTrue)
	f(`{"SS":[]}`, msgEmptySS)
	f(`{"NS":[]}`, msgEmptyNS)
	f(`{"BS":[]}`, msgEmptyBS)
	f(`{"SS":["a","a"]}`, "One or more parameter values were invalid: Input collection [a, a] contains duplicates.")
	f(`{"NS":["1","1.0"]}`, msgNSDuplicates)
	f(`{"BS":["Yg==","Yg=="]}`, "One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS contains duplicates.")
	f(`{"N":"1e126"}`, msgNumberOverflow)
	f(`{"L":[{"S":"ok"},{}]}`, msgEmptyAV)
	f(`{"M":{"a":{"N":"x"}}}`, "The parameter cannot be converted to a numeric value: x")
	f(`{"BOOL":"true"}`, "")
}

func TestDecodeShapeErrors(t *testing.T) {
	f := func(in, wantMsg string) {
		t.Helper()
		var v Value
		err := json.Unmarshal([]byte(in), &v)
		e, ok := AsError(err)
		if !ok || e.Name() != "SerializationException" || e.Message != wantMsg {
			t.Fatalf("%s: error %v, want SerializationException %q", in, err, wantMsg)
		}
	}
	f(`{"S":1}`, "NUMBER_VALUE cannot be converted to String")
	f(`{"S":1.5}`, "DECIMAL_VALUE cannot be converted to String")
	f(`{"S":true}`, "TRUE_VALUE cannot be converted to String")
	f(`{"S":[]}`, "Unrecognized collection type class java.lang.String")
	f(`{"S":{}}`, "Start of structure or map found where not expected")
	f(`{"B":"abc"}`, "Base64 encoded length is expected a multiple of 4 bytes but found: 3")
	f(`{"B":1}`, "only base-64-encoded strings are convertible to bytes")
	f(`{"BOOL":"maybe"}`, "Unexpected token received from parser")
	f(`{"SS":"a"}`, "Unexpected field type")
	f(`"x"`, "Unexpected value type in payload")
	f(`[]`, "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue")
}

func TestRoundTrip(t *testing.T) {
	in := `{"b":{"B":"AAEC"},"bs":{"BS":["AA==","AQ=="]},"f":{"BOOL":false},"l":{"L":[{"S":"x\"\n\u00e9"},{"NULL":true}]},"m":{"M":{"k":{"N":"-0.5"}}},"n":{"N":"1.50"},"ns":{"NS":["1","2"]},"ss":{"SS":["a","b"]}}`
	it, err := DecodeItem([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if p := ItemProblem(it); p != "" {
		t.Fatal(p)
	}
	if it["n"].S != "1.5" {
		t.Fatalf("number not canonical: %q", it["n"].S)
	}
	again, err := DecodeItem(AppendItem(nil, it))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range it {
		if !Equal(v, again[k]) {
			t.Fatalf("attribute %s changed in round trip: %+v vs %+v", k, v, again[k])
		}
	}
	if len(again) != len(it) {
		t.Fatal("attributes lost in round trip")
	}
}

func TestDepthLimit(t *testing.T) {
	deep := `{"S":"x"}`
	for i := 0; i < 40; i++ {
		deep = `{"L":[` + deep + `]}`
	}
	var v Value
	err := json.Unmarshal([]byte(deep), &v)
	if e, ok := AsError(err); !ok || e.Message != MsgNesting {
		t.Fatalf("deep nesting: %v", err)
	}
}

// FuzzDecodeItem checks the item decoder never panics, and that whatever it
// accepts as valid survives an encode/decode round trip unchanged.
func FuzzDecodeItem(f *testing.F) {
	for _, s := range []string{
		`{"a":{"S":"x"}}`, `{"a":{"N":"1.50"}}`, `{"a":{"B":"AAEC"}}`, `{"a":{"L":[{"M":{"b":{"NULL":true}}}]}}`,
		`{"a":{"SS":["x","y"]},"b":{"NS":["1","-2.5e3"]},"c":{"BS":["AA=="]}}`, `{"a":{"BOOL":true}}`, `{"a":{}}`,
		`{"a":{"S":"\u00e9\ud83d\ude00\n"}}`, `[1,2]`, `{"a":{"N":"1e126"}}`, `{`, `{"a":{"S":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := DecodeItem(b)
		if err != nil {
			if _, ok := AsError(err); !ok {
				t.Fatalf("non-DynamoDB error %v", err)
			}
			return
		}
		if ItemProblem(it) != "" {
			return
		}
		again, err := DecodeItem(AppendItem(nil, it))
		if err != nil {
			t.Fatalf("re-decode of %s: %v", AppendItem(nil, it), err)
		}
		for k, v := range it {
			if !Equal(v, again[k]) {
				t.Fatalf("round trip changed %q", k)
			}
		}
	})
}
