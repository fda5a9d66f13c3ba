package store

import (
	"encoding/json"
	"testing"

	"github.com/dynax/dynax/ddb"
)

func TestIonParse(t *testing.T) {
	f := func(line, wantJSON, wantErr string) {
		t.Helper()
		it, err := parseIonItem(line)
		if wantErr != "" {
			if err == nil {
				t.Errorf("%s: parsed as %s, want an error containing %q", line, ddb.AppendItem(nil, it), wantErr)
			} else if !contains(err.Error(), wantErr) {
				t.Errorf("%s: error %q, want %q", line, err, wantErr)
			}
			return
		}
		if err != nil {
			t.Errorf("%s: %v", line, err)
			return
		}
		if got := sortedJSON(ddb.AppendItem(nil, it)); got != sortedJSON([]byte(wantJSON)) {
			t.Errorf("%s:\n got %s\nwant %s", line, got, wantJSON)
		}
	}
	f(`$ion_1_0 {Item:{pk:"a"}}`, `{"pk":{"S":"a"}}`, "")
	f(`{Item:{n:12}}`, `{"n":{"N":"12"}}`, "")
	f(`{Item:{n:-1.50, e:15d3, f:1.5e2, u:1_000}}`, `{"e":{"N":"15000"},"f":{"N":"150"},"n":{"N":"-1.5"},"u":{"N":"1000"}}`, "")
	f(`{Item:{b:{{AAH/}}, t:true, x:null}}`, `{"b":{"B":"AAH/"},"t":{"BOOL":true},"x":{"NULL":true}}`, "")
	f(`{Item:{'quoted sym':"v", "str key":"w"}}`, `{"quoted sym":{"S":"v"},"str key":{"S":"w"}}`, "")
	f(`{Item:{l:["x", 1, [true]], m:{k:{z:"y"}}}}`, `{"l":{"L":[{"S":"x"},{"N":"1"},{"L":[{"BOOL":true}]}]},"m":{"M":{"k":{"M":{"z":{"S":"y"}}}}}}`, "")
	f(`{Item:{ss:$dynamodb_SS::["a","b"], ns:$dynamodb_NS::[1,2.5], bs:$dynamodb_BS::[{{AQ==}}]}}`, `{"bs":{"BS":["AQ=="]},"ns":{"NS":["1","2.5"]},"ss":{"SS":["a","b"]}}`, "")
	f(`{Item:{s:"tab\there \"q\" \u00e9 \x41"}}`, `{"s":{"S":"tab\there \"q\" é A"}}`, "")
	f(`{Item:{pk:"a"}} trailing`, "", "unexpected text")
	f(`{Other:{pk:"a"}}`, "", "the one field Item")
	f(`{Item:{pk:"a"`, "", "expected")
	f(`{Item:{ss:$dynamodb_SS::[1]}}`, "", "holds a N")
	f(`{Item:{x:$other::[1]}}`, "", "unknown annotation")
	f(`{Item:{n:1.2.3}}`, "", "bad number")
	f(`{Item:{b:{{!!}}}}`, "", "bad blob")
	f(`{Item:{s:"unterminated}}`, "", "unterminated string")
	f(`{Item:{s:"\q"}}`, "", "unknown escape")
}

// sortedJSON re-renders JSON with sorted object keys.
func sortedJSON(b []byte) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "invalid JSON: " + string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestIonRoundTrip writes items of every type as Ion and reads them back.
func TestIonRoundTrip(t *testing.T) {
	for _, js := range []string{
		`{"pk":{"S":"a\"b\\c\nd\u0001"},"n":{"N":"-0.000125"},"big":{"N":"123456789012345678901234567890"},"b":{"B":"AAH/"}}`,
		`{"m":{"M":{"odd key":{"L":[{"NULL":true},{"BOOL":false},{"SS":["x","y"]},{"NS":["1","-2"]},{"BS":["AA==","AQ=="]}]}}}}`,
	} {
		it, err := ddb.DecodeItem([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		line := appendIonItem(nil, it)
		back, err := parseIonItem(string(line))
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if !itemsEqual(it, back) {
			t.Errorf("round trip of %s via %s gave %s", js, line, ddb.AppendItem(nil, back))
		}
	}
}

// FuzzIonItem checks that parsing never panics and that whatever parses
// round-trips through the writer.
func FuzzIonItem(f *testing.F) {
	for _, s := range []string{`$ion_1_0 {Item:{pk:"a",n:1.5}}`, `{Item:{l:[{{AA==}},null,true],m:{k:$dynamodb_NS::[1]}}}`,
		`{Item:{'k':"\u00e9\x41"}}`, `{Item:{e:1d-3}}`, `{Item:{`, `[`, `$dynamodb_SS::`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		it, err := parseIonItem(line)
		if err != nil {
			return
		}
		if ddb.ItemProblem(it) != "" {
			return // parses, but DynamoDB would refuse the item (the import counts it as an error)
		}
		back, err := parseIonItem(string(appendIonItem(nil, it)))
		if err != nil {
			t.Fatalf("%q: written back as %q, which does not parse: %v", line, appendIonItem(nil, it), err)
		}
		if !itemsEqual(it, back) {
			t.Fatalf("%q: round trip changed the item", line)
		}
	})
}
