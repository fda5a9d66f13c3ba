package store

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/dynax/dynax/ddb/wire"
)

// Benchmarks of Query and Scan, in process (no HTTP).

func qsBenchNode(b *testing.B, partitions, perPartition int) *Node {
	b.Helper()
	n, err := Open(Options{Dir: b.TempDir(), NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	qsServe(b, n, "CreateTable", `{"TableName":"bench","BillingMode":"PAY_PER_REQUEST",`+
		`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],`+
		`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}`)
	for p := 0; p < partitions; p++ {
		for s := 0; s < perPartition; s++ {
			qsServe(b, n, "PutItem", fmt.Sprintf(`{"TableName":"bench","Item":{"pk":{"S":"user#%06d"},"sk":{"N":"%d"},`+
				`"name":{"S":"Ada Lovelace"},"age":{"N":"36"},"active":{"BOOL":true},"tags":{"SS":["math","engines"]}}}`, p, s))
		}
	}
	return n
}

func qsServe(b *testing.B, n *Node, op, body string) []byte {
	b.Helper()
	out, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: op, Body: []byte(body), Region: "us-east-1"})
	if err != nil {
		b.Fatalf("%s: %v", op, err)
	}
	return out
}

func qsBench(b *testing.B, n *Node, op, body string, minLen int) {
	req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: op, Body: []byte(body), Region: "us-east-1"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := n.ServeDynamoDB(ctx, req)
		if err != nil || len(out) < minLen {
			b.Fatal(err, len(out))
		}
	}
}

// BenchmarkQuery100 reads one partition of 100 small items.
func BenchmarkQuery100(b *testing.B) {
	n := qsBenchNode(b, 3, 100)
	qsBench(b, n, "Query", `{"TableName":"bench","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"user#000001"}}}`, 100*100)
}

// BenchmarkQuery100Filtered is the same query with a filter and a projection.
func BenchmarkQuery100Filtered(b *testing.B) {
	n := qsBenchNode(b, 3, 100)
	qsBench(b, n, "Query", `{"TableName":"bench","KeyConditionExpression":"pk = :p AND sk >= :s","FilterExpression":"age = :a",`+
		`"ProjectionExpression":"sk, #n","ExpressionAttributeNames":{"#n":"name"},`+
		`"ExpressionAttributeValues":{":p":{"S":"user#000001"},":s":{"N":"0"},":a":{"N":"36"}}}`, 100*20)
}

// BenchmarkScan10k reads a page of 10,000 small items.
func BenchmarkScan10k(b *testing.B) {
	n := qsBenchNode(b, 1000, 10)
	qsBench(b, n, "Scan", `{"TableName":"bench","ReturnConsumedCapacity":"TOTAL"}`, 10000*100)
}
