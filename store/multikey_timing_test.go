package store

import (
	"fmt"
	"log/slog"
	"testing"
)

// mkBenchNode holds the same 3×100 items indexed twice: by a classic GSI on
// the concatenated strings (gp = "tenant#region", gs = "cat#000042") and by
// a multi-attribute GSI on the native attributes (tenant, reg; cat, n).
func mkBenchNode(b *testing.B) *Node {
	b.Helper()
	n, err := Open(Options{Dir: b.TempDir(), NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	qsServe(b, n, "CreateTable", `{"TableName":"bench","BillingMode":"PAY_PER_REQUEST",`+
		`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],`+
		`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"gp","AttributeType":"S"},{"AttributeName":"gs","AttributeType":"S"},`+
		`{"AttributeName":"tenant","AttributeType":"S"},{"AttributeName":"reg","AttributeType":"S"},{"AttributeName":"cat","AttributeType":"S"},{"AttributeName":"n","AttributeType":"N"}],`+
		`"GlobalSecondaryIndexes":[{"IndexName":"single","KeySchema":[{"AttributeName":"gp","KeyType":"HASH"},{"AttributeName":"gs","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}},`+
		`{"IndexName":"multi","KeySchema":[{"AttributeName":"tenant","KeyType":"HASH"},{"AttributeName":"reg","KeyType":"HASH"},{"AttributeName":"cat","KeyType":"RANGE"},{"AttributeName":"n","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}]}`)
	for p := 0; p < 3; p++ {
		for s := 0; s < 100; s++ {
			qsServe(b, n, "PutItem", fmt.Sprintf(`{"TableName":"bench","Item":{"pk":{"S":"item#%d#%d"},"gp":{"S":"t%d#eu"},"gs":{"S":"books#%06d"},`+
				`"tenant":{"S":"t%d"},"reg":{"S":"eu"},"cat":{"S":"books"},"n":{"N":"%d"},"name":{"S":"Ada Lovelace"},"age":{"N":"36"}}}`, p, s, p, s, p, s))
		}
	}
	return n
}

// BenchmarkMultiKeyQuery compares a Query of 50 items on a multi-attribute
// GSI (two HASH equalities, a sort equality and a range condition) with the
// equivalent Query on a single-attribute GSI over concatenated keys.
func BenchmarkMultiKeyQuery(b *testing.B) {
	n := mkBenchNode(b)
	b.Run("single", func(b *testing.B) {
		qsBench(b, n, "Query", `{"TableName":"bench","IndexName":"single","KeyConditionExpression":"gp = :p AND gs BETWEEN :lo AND :hi",`+
			`"ExpressionAttributeValues":{":p":{"S":"t1#eu"},":lo":{"S":"books#000025"},":hi":{"S":"books#000074"}}}`, 50*100)
	})
	b.Run("multi", func(b *testing.B) {
		qsBench(b, n, "Query", `{"TableName":"bench","IndexName":"multi","KeyConditionExpression":"tenant = :t AND reg = :r AND cat = :c AND n BETWEEN :lo AND :hi",`+
			`"ExpressionAttributeValues":{":t":{"S":"t1"},":r":{"S":"eu"},":c":{"S":"books"},":lo":{"N":"25"},":hi":{"N":"74"}}}`, 50*100)
	})
}
