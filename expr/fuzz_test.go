package expr

import (
	"encoding/json"
	"testing"

	"github.com/dynax/dynax/ddb"
)

// fuzzNames and fuzzValues are the placeholders every fuzzed expression may
// use; the seeds in testdata/fuzz/FuzzParse use them.
const (
	fuzzNames  = `{"#a":"a","#b":"b","#l":"l","#m":"m","#d":"a.b","#i":"[1]"}`
	fuzzValues = `{":s":{"S":"x"},":n":{"N":"1"},":z":{"N":"-2.5"},":b":{"B":"AQI="},":t":{"BOOL":true},":null":{"NULL":true},` +
		`":l":{"L":[{"N":"1"},{"S":"y"}]},":m":{"M":{"a":{"S":"x"}}},":ss":{"SS":["x","y"]},":ns":{"NS":["1","2"]},":bs":{"BS":["AQ=="]},":T":{"S":"SS"}}`
	fuzzItem = `{"a":{"S":"x"},"b":{"N":"1"},"c":{"B":"AQID"},"l":{"L":[{"N":"1"},{"M":{"a":{"S":"y"}}},{"L":[{"S":"z"}]}]},` +
		`"m":{"M":{"a":{"N":"2"},"l":{"L":[]},"m":{"M":{}}}},"ss":{"SS":["x"]},"ns":{"NS":["1"]},"bs":{"BS":["AQ=="]},"n":{"NULL":true},"t":{"BOOL":false}}`
)

// FuzzParse feeds arbitrary text to the three parsers. Parsing must never
// panic and may only fail with a ValidationException; whatever parses must
// evaluate, apply and project on a sample item without panicking, and
// applying must leave the item untouched.
func FuzzParse(f *testing.F) {
	var names map[string]string
	if err := json.Unmarshal([]byte(fuzzNames), &names); err != nil {
		f.Fatal(err)
	}
	values, err := ddb.DecodeItem([]byte(fuzzValues))
	if err != nil {
		f.Fatal(err)
	}
	item, err := ddb.DecodeItem([]byte(fuzzItem))
	if err != nil {
		f.Fatal(err)
	}
	itemJSON := showItem(item)
	for _, s := range []string{"a = :s", "SET a = :n", "a, l[1].a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		check := func(what string, err error) {
			t.Helper()
			e, ok := err.(*ddb.Error)
			if !ok || e.Name() != "ValidationException" {
				t.Fatalf("%s(%q): error %T %v is not a ValidationException", what, text, err, err)
			}
		}
		for _, which := range []string{"ConditionExpression", "FilterExpression"} {
			c, err := ParseCondition(text, which, NewAttrs(names, values))
			if err != nil {
				check("ParseCondition", err)
				continue
			}
			_ = c.String()
			Eval(c, item)
			Eval(c, nil)
		}
		if u, err := ParseUpdate(text, NewAttrs(names, values)); err != nil {
			check("ParseUpdate", err)
		} else {
			_ = u.String()
			for _, it := range []ddb.Item{item, nil} {
				out, err := u.Apply(it)
				if err != nil {
					check("Apply", err)
				} else if p := ddb.ItemProblem(out); p != "" {
					t.Fatalf("Apply(%q) made an invalid item: %s", text, p)
				}
				Project(out, u.Paths())
			}
			if got := showItem(item); got != itemJSON {
				t.Fatalf("Apply(%q) modified its input:\n%s\n%s", text, itemJSON, got)
			}
		}
		if ps, err := ParseProjection(text, NewAttrs(names, values)); err != nil {
			check("ParseProjection", err)
		} else {
			Project(item, ps)
			Project(nil, ps)
		}
	})
}
