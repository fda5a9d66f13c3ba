package expr

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dynax/dynax/ddb"
)

// The data-driven tests live in testdata/*.txt. Each case is a block of
// "key: value" lines, a "----" line, and the expected output, ended by a
// blank line. Lines starting with "#" outside a case are comments.
//
//	item:    {"a":{"N":"1"}}          the item (wire JSON), optional
//	names:   {"#n":"b"}              ExpressionAttributeNames, optional
//	values:  {":v":{"N":"1"}}        ExpressionAttributeValues, optional
//	cond:    a = :v                  parse a ConditionExpression, evaluate it
//	filter:  …  / keycond: …         same, other parameter names
//	update:  SET a = :v              parse an UpdateExpression, apply it
//	proj:    a, b.c                  parse a ProjectionExpression, project
//	paths:   SET a = :v, b = :v      parse an update, print Paths()
//	validate:                        run Attrs.Validate
//	expected: {"a":{"Value":{…}}}    legacy Expected (then evaluate)
//	filtermap: {"a":{…}}             legacy ScanFilter (then evaluate)
//	attrupdates: {"a":{"Action":"ADD","Value":{…}}}   legacy AttributeUpdates
//	condop:  OR                      ConditionalOperator for the two above
//	unused:                          print Attrs.CheckUnused after the rest
//
// Operations run in the order written; each prints one line. Run with
// -rewrite to regenerate the expected outputs (then review the diff).

var rewrite = flag.Bool("rewrite", false, "rewrite testdata expectations")

type tcase struct {
	lines []string // input lines
	want  string
	start int // line number of the first input line
}

func parseTestFile(t *testing.T, data string) (cases []tcase, pre []string) {
	lines := strings.Split(data, "\n")
	i := 0
	for i < len(lines) {
		l := lines[i]
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			pre = append(pre, l)
			i++
			continue
		}
		var c tcase
		c.start = i + 1
		for i < len(lines) && lines[i] != "----" {
			c.lines = append(c.lines, lines[i])
			i++
		}
		if i == len(lines) {
			t.Fatalf("line %d: case without ----", c.start)
		}
		i++
		var out []string
		for i < len(lines) && lines[i] != "" {
			out = append(out, lines[i])
			i++
		}
		c.want = strings.Join(out, "\n")
		cases = append(cases, c)
		pre = append(pre, "\x00") // placeholder for the case
	}
	return cases, pre
}

func TestDataDriven(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatal("no testdata", err)
	}
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases, layout := parseTestFile(t, string(data))
		total += len(cases)
		var got []string
		for _, c := range cases {
			out := runCase(t, c)
			got = append(got, out)
			if !*rewrite && out != c.want {
				t.Errorf("%s:%d:\n%s\n got: %s\nwant: %s", f, c.start, strings.Join(c.lines, "\n"), out, c.want)
			}
		}
		if *rewrite {
			var b strings.Builder
			ci := 0
			for _, l := range layout {
				if l != "\x00" {
					b.WriteString(l)
					b.WriteByte('\n')
					continue
				}
				c := cases[ci]
				for _, in := range c.lines {
					b.WriteString(in + "\n")
				}
				b.WriteString("----\n" + got[ci] + "\n")
				ci++
			}
			s := strings.TrimRight(b.String(), "\n") + "\n"
			if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%d cases", total)
}

func runCase(t *testing.T, c tcase) string {
	var item ddb.Item
	var names map[string]string
	var values map[string]ddb.Value
	condOp := ""
	var ops [][2]string
	for _, l := range c.lines {
		k, v, _ := strings.Cut(l, ":")
		v = strings.TrimPrefix(v, " ")
		switch k {
		case "item":
			it, err := ddb.DecodeItem([]byte(v))
			if err != nil {
				t.Fatalf("line %d: item: %v", c.start, err)
			}
			item = it
		case "names":
			if err := json.Unmarshal([]byte(v), &names); err != nil {
				t.Fatalf("line %d: names: %v", c.start, err)
			}
		case "values":
			m, err := ddb.DecodeItem([]byte(v))
			if err != nil {
				t.Fatalf("line %d: values: %v", c.start, err)
			}
			values = m
		case "condop":
			condOp = v
		default:
			ops = append(ops, [2]string{k, v})
		}
	}
	a := NewAttrs(names, values)
	var out []string
	for _, op := range ops {
		out = append(out, runOp(t, c, op[0], op[1], a, item, condOp))
	}
	return strings.Join(out, "\n")
}

func errString(err error) string {
	e, ok := ddb.AsError(err)
	if !ok || e.Name() != "ValidationException" {
		return fmt.Sprintf("unexpected error %T %v", err, err)
	}
	return "error: " + e.Message
}

func runOp(t *testing.T, c tcase, op, text string, a *Attrs, item ddb.Item, condOp string) string {
	switch op {
	case "cond", "filter", "keycond":
		which := map[string]string{"cond": "ConditionExpression", "filter": "FilterExpression", "keycond": "KeyConditionExpression"}[op]
		cnd, err := ParseCondition(text, which, a)
		if err != nil {
			return errString(err)
		}
		return fmt.Sprint(Eval(cnd, item))
	case "update":
		u, err := ParseUpdate(text, a)
		if err != nil {
			return errString(err)
		}
		return applyAndShow(t, u, item)
	case "paths":
		u, err := ParseUpdate(text, a)
		if err != nil {
			return errString(err)
		}
		var ps []string
		for _, p := range u.Paths() {
			ps = append(ps, p.String())
		}
		return strings.Join(ps, " ")
	case "proj":
		ps, err := ParseProjection(text, a)
		if err != nil {
			return errString(err)
		}
		return showItem(Project(item, ps))
	case "validate":
		if err := a.Validate(); err != nil {
			return errString(err)
		}
		return "ok"
	case "unused":
		if err := a.CheckUnused(); err != nil {
			return errString(err)
		}
		return "ok"
	case "expected":
		var raw map[string]struct {
			Value              *json.RawMessage
			Exists             *bool
			ComparisonOperator string
			AttributeValueList []json.RawMessage
		}
		if err := json.Unmarshal([]byte(text), &raw); err != nil {
			t.Fatalf("line %d: %v", c.start, err)
		}
		m := map[string]ExpectedAttr{}
		for k, r := range raw {
			e := ExpectedAttr{Exists: r.Exists, ComparisonOperator: r.ComparisonOperator}
			if r.Value != nil {
				v := decodeValue(t, *r.Value)
				e.Value = &v
			}
			if r.AttributeValueList != nil {
				e.HasAttributeValueList = true
				e.AttributeValueList = []ddb.Value{}
				for _, x := range r.AttributeValueList {
					e.AttributeValueList = append(e.AttributeValueList, decodeValue(t, x))
				}
			}
			m[k] = e
		}
		cnd, err := LegacyCondition(m, condOp)
		if err != nil {
			return errString(err)
		}
		return cnd.String() + " => " + fmt.Sprint(Eval(cnd, item))
	case "filtermap":
		var raw map[string]struct {
			ComparisonOperator string
			AttributeValueList []json.RawMessage
		}
		if err := json.Unmarshal([]byte(text), &raw); err != nil {
			t.Fatalf("line %d: %v", c.start, err)
		}
		m := map[string]FilterCond{}
		for k, r := range raw {
			f := FilterCond{ComparisonOperator: r.ComparisonOperator}
			for _, x := range r.AttributeValueList {
				f.AttributeValueList = append(f.AttributeValueList, decodeValue(t, x))
			}
			m[k] = f
		}
		cnd, err := LegacyFilter(m, condOp, "ScanFilter", ddb.LayerOlder)
		if err != nil {
			return errString(err)
		}
		return cnd.String() + " => " + fmt.Sprint(Eval(cnd, item))
	case "attrupdates":
		var raw map[string]struct {
			Action string
			Value  *json.RawMessage
		}
		if err := json.Unmarshal([]byte(text), &raw); err != nil {
			t.Fatalf("line %d: %v", c.start, err)
		}
		m := map[string]AttributeUpdate{}
		for k, r := range raw {
			up := AttributeUpdate{Action: r.Action}
			if r.Value != nil {
				v := decodeValue(t, *r.Value)
				up.Value = &v
			}
			m[k] = up
		}
		u, err := LegacyUpdate(m)
		if err != nil {
			return errString(err)
		}
		return applyAndShow(t, u, item)
	}
	t.Fatalf("line %d: unknown operation %q", c.start, op)
	return ""
}

func decodeValue(t *testing.T, b []byte) ddb.Value {
	var v ddb.Value
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("value %s: %v", b, err)
	}
	return v
}

// applyAndShow applies an update to a deep copy of item, checks that item
// was left untouched, and prints the result.
func applyAndShow(t *testing.T, u *Update, item ddb.Item) string {
	before := showItem(item)
	out, err := u.Apply(item)
	if after := showItem(item); after != before {
		t.Errorf("Apply modified its input:\nbefore %s\nafter  %s", before, after)
	}
	if err != nil {
		return errString(err)
	}
	return showItem(out)
}

// showItem renders an item as wire JSON with map keys sorted.
func showItem(it ddb.Item) string {
	if it == nil {
		return "{}"
	}
	var b bytes.Buffer
	writeMap(&b, it)
	return b.String()
}

func writeMap(b *bytes.Buffer, m map[string]ddb.Value) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(ddb.AppendString(nil, k))
		b.WriteByte(':')
		writeValue(b, m[k])
	}
	b.WriteByte('}')
}

func writeValue(b *bytes.Buffer, v ddb.Value) {
	switch v.T {
	case ddb.TypeM:
		b.WriteString(`{"M":`)
		writeMap(b, v.M)
		b.WriteByte('}')
	case ddb.TypeL:
		b.WriteString(`{"L":[`)
		for i, e := range v.L {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, e)
		}
		b.WriteString("]}")
	default:
		b.Write(ddb.AppendValue(nil, v))
	}
}
