package store

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dynax/dynax/ddb/wire"
)

// BenchmarkCapacity measures what enforcement costs on the GetItem and
// PutItem paths, in process: the same node setup with Options.Capacity
// "off" and "enforce". The clock is the real one plus a millisecond per
// call, so the buckets (40,000 units a second, partitions 3,000/1,000)
// never run dry and every request takes the full admit-and-debit path.
func BenchmarkCapacity(b *testing.B) {
	for _, op := range []struct{ name, body string }{{"GetItem", benchGetBody}, {"PutItem", benchPutBody}} {
		for _, mode := range []string{CapacityOff, CapacityEnforce} {
			b.Run(op.name+"/"+mode, func(b *testing.B) {
				var tick atomic.Int64
				n, err := Open(Options{Dir: b.TempDir(), NoSync: true, Logger: slog.New(slog.DiscardHandler), Capacity: mode,
					Now: func() time.Time { return time.Now().Add(time.Duration(tick.Add(1)) * time.Millisecond) }})
				if err != nil {
					b.Fatal(err)
				}
				defer n.Close()
				itemsServe(b, n, "CreateTable", `{"TableName":"bench","ProvisionedThroughput":{"ReadCapacityUnits":40000,"WriteCapacityUnits":40000},`+
					`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],`+
					`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}`)
				itemsServe(b, n, "PutItem", benchPutBody)
				req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: op.name, Body: []byte(op.body), Region: "us-east-1"}
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					if _, err := n.ServeDynamoDB(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
				if st := n.CapacityStats()[0]; st.ReadThrottleEvents+st.WriteThrottleEvents > 0 {
					b.Fatalf("throttled: %+v", st)
				}
			})
		}
	}
}

// BenchmarkCapacityHooks measures the capacity hooks alone, as a GetItem
// (admit, then debit half a unit) and a PutItem (admit and debit one
// unit) run them: the absolute cost enforcement adds to a request,
// without the noise of the rest of the path.
func BenchmarkCapacityHooks(b *testing.B) {
	for _, mode := range []string{CapacityOff, CapacityEnforce} {
		var tick atomic.Int64
		n, err := Open(Options{Dir: b.TempDir(), NoSync: true, Logger: slog.New(slog.DiscardHandler), Capacity: mode,
			Now: func() time.Time { return time.Now().Add(time.Duration(tick.Add(1)) * time.Millisecond) }})
		if err != nil {
			b.Fatal(err)
		}
		itemsServe(b, n, "CreateTable", `{"TableName":"bench","ProvisionedThroughput":{"ReadCapacityUnits":40000,"WriteCapacityUnits":40000},`+
			`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],`+
			`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}`)
		t, _ := n.cat.get("bench")
		key := append([]byte{tagItem, 0, 0, 0, 0, 0, 0, 0, 1}, 1, 2, 3, 4, 's')
		b.Run("read/"+mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := n.capRead(t, "", key); err != nil {
					b.Fatal(err)
				}
				n.capChargeRead(t, "", key, 0.5)
			}
		})
		b.Run("write/"+mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := n.capWrite(t, key, 1, nil, true); err != nil {
					b.Fatal(err)
				}
			}
		})
		n.Close()
	}
}
