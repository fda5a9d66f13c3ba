package model

import (
	"strings"
	"testing"

	"github.com/dynax/dynax/ddb"
)

// putBody is a PutItem of a 1 KB item with nested values.
var putBody = []byte(`{"TableName":"bench","Item":{"pk":{"S":"user#1"},"sk":{"N":"42"},"name":{"S":"` +
	strings.Repeat("x", 900) + `"},"tags":{"SS":["a","b","c"]},"m":{"M":{"l":{"L":[{"N":"1"},{"BOOL":true},{"NULL":true}]}}}},` +
	`"ConditionExpression":"attribute_not_exists(pk)","ReturnValues":"NONE"}`)

// BenchmarkBind measures the binder pass the store runs before every
// operation, next to the decode the operation does anyway (run both in
// one invocation to compare: go test -bench 'Bind|Decode' ./ddb/model).
func BenchmarkBind(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(putBody)))
	for i := 0; i < b.N; i++ {
		if err := Bind("PutItem", putBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePutItem(b *testing.B) {
	type putIn struct {
		TableName           *string       `json:"TableName"`
		Item                *ddb.ItemJSON `json:"Item"`
		ConditionExpression *string       `json:"ConditionExpression"`
		ReturnValues        *string       `json:"ReturnValues"`
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(putBody)))
	for i := 0; i < b.N; i++ {
		var in putIn
		if err := ddb.Unmarshal(putBody, &in); err != nil {
			b.Fatal(err)
		}
	}
}
