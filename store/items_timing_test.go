package store

import (
	"context"
	"log/slog"
	"strconv"
	"testing"

	"github.com/dynax/dynax/ddb/wire"
)

// Benchmarks of the single-item hot paths, in process (no HTTP).

const (
	benchGetBody = `{"TableName":"bench","Key":{"pk":{"S":"user#000042"},"sk":{"N":"7"}}}`
	benchPutBody = `{"TableName":"bench","Item":{"pk":{"S":"user#000042"},"sk":{"N":"7"},` +
		`"name":{"S":"Ada Lovelace"},"email":{"S":"ada@example.com"},"age":{"N":"36"},"active":{"BOOL":true},` +
		`"tags":{"SS":["math","engines"]},"address":{"M":{"city":{"S":"London"},"zip":{"S":"W1"}}},` +
		`"scores":{"L":[{"N":"1"},{"N":"2.5"},{"N":"3"}]}}}`
	benchUpdateBody = `{"TableName":"bench","Key":{"pk":{"S":"user#000042"},"sk":{"N":"7"}},` +
		`"UpdateExpression":"SET age = age + :one","ExpressionAttributeValues":{":one":{"N":"1"}}}`
	benchProjBody = `{"TableName":"bench","Key":{"pk":{"S":"user#000042"},"sk":{"N":"7"}},"ProjectionExpression":"#n, address.city","ExpressionAttributeNames":{"#n":"name"}}`
)

func itemsBenchNode(b *testing.B) *Node {
	b.Helper()
	n, err := Open(Options{Dir: b.TempDir(), NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	itemsServe(b, n, "CreateTable", `{"TableName":"bench","BillingMode":"PAY_PER_REQUEST",`+
		`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],`+
		`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}`)
	itemsServe(b, n, "PutItem", benchPutBody)
	return n
}

func itemsServe(b *testing.B, n *Node, op, body string) []byte {
	b.Helper()
	out, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: op, Body: []byte(body), Region: "us-east-1"})
	if err != nil {
		b.Fatalf("%s: %v", op, err)
	}
	return out
}

func BenchmarkItemsDecodeGetItem(b *testing.B) {
	body := []byte(benchGetBody)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := parseGetItem(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkItemsDecodePutItem(b *testing.B) {
	body := []byte(benchPutBody)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := parsePutItem(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkItemsServeGetItem(b *testing.B) {
	n := itemsBenchNode(b)
	req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "GetItem", Body: []byte(benchGetBody), Region: "us-east-1"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := n.ServeDynamoDB(ctx, req)
		if err != nil || len(out) < 100 {
			b.Fatal(err, string(out))
		}
	}
}

func BenchmarkItemsServeGetItemProjection(b *testing.B) {
	n := itemsBenchNode(b)
	req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "GetItem", Body: []byte(benchProjBody), Region: "us-east-1"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.ServeDynamoDB(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkItemsServeGetItemMissing(b *testing.B) {
	n := itemsBenchNode(b)
	req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "GetItem", Region: "us-east-1",
		Body: []byte(`{"TableName":"bench","Key":{"pk":{"S":"nobody"},"sk":{"N":"7"}}}`)}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.ServeDynamoDB(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkItemsServePutItem(b *testing.B) {
	n := itemsBenchNode(b)
	req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "PutItem", Body: []byte(benchPutBody), Region: "us-east-1"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.ServeDynamoDB(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkItemsServePutItemNewKeys(b *testing.B) {
	n := itemsBenchNode(b)
	ctx := context.Background()
	bodies := make([][]byte, 1024)
	for i := range bodies {
		bodies[i] = []byte(`{"TableName":"bench","Item":{"pk":{"S":"user#` + strconv.Itoa(i) + `"},"sk":{"N":"1"},"v":{"S":"value"}}}`)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "PutItem", Body: bodies[i%len(bodies)], Region: "us-east-1"}
		if _, err := n.ServeDynamoDB(ctx, req); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkItemsServeUpdateItem(b *testing.B) {
	n := itemsBenchNode(b)
	req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "UpdateItem", Body: []byte(benchUpdateBody), Region: "us-east-1"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.ServeDynamoDB(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkItemsServeGetItemParallel(b *testing.B) {
	n := itemsBenchNode(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "GetItem", Body: []byte(benchGetBody), Region: "us-east-1"}
		for pb.Next() {
			if _, err := n.ServeDynamoDB(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
