package proxy

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynax/dynax/ddb/wire"
)

// TestMemoryBounded churns tables and sends huge unique expressions
// through the proxy, and checks that what clients can make it remember is
// freed or bounded: per-table state goes with the table, the projection
// memo keeps neither invalid nor one-off projections, and the heap comes
// back near where it started.
func TestMemoryBounded(t *testing.T) {
	tables, huge, hugeSize := 10000, 1000, 8<<10
	if testing.Short() {
		tables, huge = 1000, 100
	}
	e := newEnv(t, envOpts{mut: func(o *Options) { o.CacheBytes = 8 << 20 }})
	ctx := context.Background()
	call := func(op, body string) []byte {
		req := wire.Request{Prefix: wire.PrefixDynamoDB, Operation: op, Body: []byte(body), Region: wire.DefaultRegion}
		out, err := e.p.ServeDynamoDB(ctx, &req)
		if err != nil {
			t.Errorf("%s %.200s: %v", op, body, err)
		}
		return out
	}
	e.createTable("mem", "", "")
	e.ok("PutItem", `{"TableName":"mem","Item":{"pk":{"S":"a"},"v":{"S":"x"}}}`)

	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	// Two clients at a time (the test machine has two cores).
	parallel := func(from, n int, f func(i int)) {
		var wg sync.WaitGroup
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := from + w; i < from+n; i += 2 {
					f(i)
				}
			}()
		}
		wg.Wait()
	}
	churn := func(from, n int) {
		parallel(from, n, func(i int) {
			name := fmt.Sprintf("churn%05d", i)
			call("CreateTable", `{"TableName":"`+name+`","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`)
			// The write makes the proxy learn the schema and keep state
			// for the table in both caches. Its condition does not parse,
			// so the store refuses it before reading anything: a store
			// read slows down with each deleted table's range tombstone
			// still in Pebble's memtable, which would make this test
			// slow for reasons that are not the proxy's.
			req := wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "PutItem", Region: wire.DefaultRegion,
				Body: []byte(`{"TableName":"` + name + `","Item":{"pk":{"S":"a"}},"ConditionExpression":"attribute_not_exists("}`)}
			if _, err := e.p.ServeDynamoDB(ctx, &req); err == nil {
				t.Error("a PutItem with a broken condition was accepted")
			}
			call("DeleteTable", `{"TableName":"`+name+`"}`)
		})
	}
	hugeGets := func(from, n int) {
		parallel(from, n, func(i int) {
			// Huge names, one of them used: invalid (the backend answers).
			var names strings.Builder
			names.WriteString(`{"#n0":"v"`)
			for j := 1; names.Len() < hugeSize; j++ {
				fmt.Fprintf(&names, `,"#n%d":"attr_%d_%d"`, j, i, j)
			}
			names.WriteString("}")
			req := wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "GetItem", Region: wire.DefaultRegion,
				Body: []byte(`{"TableName":"mem","Key":{"pk":{"S":"a"}},"ProjectionExpression":"#n0","ExpressionAttributeNames":` + names.String() + `}`)}
			if _, err := e.p.ServeDynamoDB(ctx, &req); err == nil {
				t.Error("a projection with unused names was accepted")
			}
			// A valid projection used once.
			call("GetItem", fmt.Sprintf(`{"TableName":"mem","Key":{"pk":{"S":"a"}},"ProjectionExpression":"#n0","ExpressionAttributeNames":{"#n0":"attr_%d"}}`, i))
		})
	}
	// Warm up (pools, first allocations), then measure.
	churn(0, 50)
	hugeGets(0, 5)
	base := heap()
	start := time.Now()
	churn(50, tables)
	mid := time.Now()
	hugeGets(5, huge)
	t.Logf("churn %v, expressions %v", mid.Sub(start), time.Since(mid))
	after := heap()
	held, seen := e.p.schemas.counts()
	if held != 1 || seen != 1 {
		t.Errorf("after churning %d tables the proxy holds %d schemas and remembers %d tables, want 1 and 1", tables, held, seen)
	}
	if n := e.p.items.TableCount(); n > 1 {
		t.Errorf("the item cache holds the state of %d tables, want at most 1", n)
	}
	if n := e.p.gens.TableCount(); n > 1 {
		t.Errorf("the generations hold counters of %d tables, want at most 1", n)
	}
	if n, b := e.p.projs.size(); b > projMemoMaxBytes || n > 0 {
		t.Errorf("the projection memo holds %d entries (%d bytes) of one-off projections", n, b)
	}
	const slack = 24 << 20
	t.Logf("heap %d MB before, %d MB after %d tables and %d expressions of %d KB", base>>20, after>>20, tables, 2*huge, hugeSize>>10)
	if after > base+slack {
		t.Errorf("heap grew from %d MB to %d MB", base>>20, after>>20)
	}
}
