package expr

import (
	"testing"

	"github.com/dynax/dynax/ddb"
)

// The benchmarks use a typical item and typical expressions: a conditional
// write guard, a counter-and-list update and a nested projection.

const benchItem = `{"pk":{"S":"user#42"},"sk":{"S":"profile"},"status":{"S":"active"},"version":{"N":"7"},` +
	`"score":{"N":"1234.5"},"tags":{"SS":["a","b","c"]},"history":{"L":[{"N":"1"},{"N":"2"},{"N":"3"}]},` +
	`"address":{"M":{"city":{"S":"Paris"},"zip":{"S":"75001"},"street":{"L":[{"S":"1 rue"},{"S":"bis"}]}}}}`

const (
	benchCond = "attribute_exists(pk) AND #st = :active AND version = :v AND (size(tags) > :zero OR contains(tags, :tag)) AND address.city IN (:c1, :c2)"
	benchUpd  = "SET version = version + :one, #st = :active, history = list_append(history, :h), address.zip = if_not_exists(address.zip, :zip) REMOVE address.street[1] ADD tags :newtags"
	benchProj = "pk, #st, address.city, address.street[0], history[2]"
)

func benchAttrs(b *testing.B) (map[string]string, map[string]ddb.Value) {
	values, err := ddb.DecodeItem([]byte(`{":active":{"S":"active"},":v":{"N":"7"},":zero":{"N":"0"},":tag":{"S":"b"},` +
		`":c1":{"S":"Lyon"},":c2":{"S":"Paris"},":one":{"N":"1"},":h":{"L":[{"N":"4"}]},":zip":{"S":"00000"},":newtags":{"SS":["d"]}}`))
	if err != nil {
		b.Fatal(err)
	}
	return map[string]string{"#st": "status"}, values
}

func benchItemValue(b *testing.B) ddb.Item {
	it, err := ddb.DecodeItem([]byte(benchItem))
	if err != nil {
		b.Fatal(err)
	}
	return it
}

func BenchmarkParseCondition(b *testing.B) {
	names, values := benchAttrs(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCondition(benchCond, "ConditionExpression", NewAttrs(names, values)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEval(b *testing.B) {
	names, values := benchAttrs(b)
	c, err := ParseCondition(benchCond, "ConditionExpression", NewAttrs(names, values))
	if err != nil {
		b.Fatal(err)
	}
	item := benchItemValue(b)
	if !Eval(c, item) {
		b.Fatal("condition should hold")
	}
	b.ReportAllocs()
	for b.Loop() {
		Eval(c, item)
	}
}

func BenchmarkParseUpdateApply(b *testing.B) {
	names, values := benchAttrs(b)
	item := benchItemValue(b)
	b.ReportAllocs()
	for b.Loop() {
		u, err := ParseUpdate(benchUpd, NewAttrs(names, values))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := u.Apply(item); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkApply(b *testing.B) {
	names, values := benchAttrs(b)
	item := benchItemValue(b)
	u, err := ParseUpdate(benchUpd, NewAttrs(names, values))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := u.Apply(item); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseProjectionProject(b *testing.B) {
	names, _ := benchAttrs(b)
	item := benchItemValue(b)
	b.ReportAllocs()
	for b.Loop() {
		ps, err := ParseProjection(benchProj, NewAttrs(names, nil))
		if err != nil {
			b.Fatal(err)
		}
		if len(Project(item, ps)) != 4 {
			b.Fatal("bad projection")
		}
	}
}
