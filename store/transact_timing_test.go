package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dynax/dynax/ddb/wire"
)

// Benchmarks of the transaction operations, in process through
// ServeDynamoDB (decode, validation, locking, engine commit, response).
//
//	go test -run=NONE -bench='Transact' -benchmem ./store

// txBenchNode opens a node with the "bench" table (pk S, sk N).
func txBenchNode(b *testing.B, noSync bool) *Node {
	b.Helper()
	n, err := Open(Options{Dir: b.TempDir(), NoSync: noSync, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	itemsServe(b, n, "CreateTable", `{"TableName":"bench","BillingMode":"PAY_PER_REQUEST",`+
		`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],`+
		`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}`)
	return n
}

// txBenchBodies returns count TransactWriteItems bodies of puts Put
// actions each, on distinct items (body i writes items i*puts…).
func txBenchBodies(count, puts int) [][]byte {
	out := make([][]byte, count)
	for i := range out {
		var sb strings.Builder
		sb.WriteString(`{"TransactItems":[`)
		for j := 0; j < puts; j++ {
			if j > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"Put":{"TableName":"bench","Item":{"pk":{"S":"user#%06d"},"sk":{"N":"%d"},`+
				`"name":{"S":"Jane Doe"},"age":{"N":"42"},"tags":{"SS":["a","b"]},"address":{"M":{"city":{"S":"Berlin"},"zip":{"S":"10115"}}}},`+
				`"ConditionExpression":"attribute_not_exists(pk) OR age < :max","ExpressionAttributeValues":{":max":{"N":"100"}}}}`, i*puts+j, j)
		}
		sb.WriteString(`]}`)
		out[i] = []byte(sb.String())
	}
	return out
}

func benchTransactWrite(b *testing.B, puts int, noSync, parallel bool) {
	n := txBenchNode(b, noSync)
	bodies := txBenchBodies(256, puts)
	ctx := context.Background()
	b.ReportAllocs()
	if parallel {
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1)
				req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "TransactWriteItems", Body: bodies[i%int64(len(bodies))], Region: "us-east-1"}
				if _, err := n.ServeDynamoDB(ctx, req); err != nil {
					b.Error(err)
					return
				}
			}
		})
		return
	}
	i := 0
	for b.Loop() {
		req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "TransactWriteItems", Body: bodies[i%len(bodies)], Region: "us-east-1"}
		if _, err := n.ServeDynamoDB(ctx, req); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkTransactWrite2Puts(b *testing.B)  { benchTransactWrite(b, 2, true, false) }
func BenchmarkTransactWrite10Puts(b *testing.B) { benchTransactWrite(b, 10, true, false) }

// The Sync variants commit with a synced WAL, as a production node does:
// one client is bound by fsync latency; concurrent clients share syncs.
func BenchmarkTransactWrite2PutsSync(b *testing.B)  { benchTransactWrite(b, 2, false, false) }
func BenchmarkTransactWrite10PutsSync(b *testing.B) { benchTransactWrite(b, 10, false, false) }
func BenchmarkTransactWrite2PutsSyncParallel(b *testing.B) {
	b.SetParallelism(8)
	benchTransactWrite(b, 2, false, true)
}

func BenchmarkTransactGet10(b *testing.B) {
	n := txBenchNode(b, true)
	for _, body := range txBenchBodies(1, 10) {
		itemsServe(b, n, "TransactWriteItems", string(body))
	}
	var sb strings.Builder
	sb.WriteString(`{"TransactItems":[`)
	for j := 0; j < 10; j++ {
		if j > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"Get":{"TableName":"bench","Key":{"pk":{"S":"user#%06d"},"sk":{"N":"%d"}}}}`, j, j)
	}
	sb.WriteString(`]}`)
	req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "TransactGetItems", Body: []byte(sb.String()), Region: "us-east-1"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.ServeDynamoDB(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
