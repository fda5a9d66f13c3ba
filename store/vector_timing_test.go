package store

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dynax/dynax/ddb/wire"
)

// BenchmarkSearchVectors measures the exact vector search on vectorBenchN
// random vectors of 768 dimensions: the writes that build the table
// ("build", per vector), and SearchVectors with TopK 10 at concurrency 1
// and 8 (p50 latency reported as p50-ms; QPS is 1e9/ns-op).
func BenchmarkSearchVectors(b *testing.B) {
	const dims, vectorBenchN = 768, 2000
	n, err := Open(Options{Dir: b.TempDir(), NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	qsServe(b, n, "CreateTable", `{"TableName":"vbench","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],`+
		`"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"VectorIndexes":[{"IndexName":"emb","VectorAttribute":{"AttributeName":"v"},`+
		`"Dimensions":768,"DistanceFunction":"COSINE","Projection":{"ProjectionType":"KEYS_ONLY"}}]}`)
	rng := rand.New(rand.NewPCG(5, 6))
	vec := func() []byte {
		out := []byte(`[`)
		for j := 0; j < dims; j++ {
			if j > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"N":"`...)
			out = strconv.AppendFloat(out, rng.NormFloat64(), 'f', 5, 32)
			out = append(out, `"}`...)
		}
		return append(out, ']')
	}
	start := time.Now()
	for i := 0; i < vectorBenchN; i++ {
		qsServe(b, n, "PutItem", `{"TableName":"vbench","Item":{"id":{"S":"`+strconv.Itoa(i)+`"},"v":{"L":`+string(vec())+`}}}`)
	}
	b.Logf("build: %d vectors in %v (%v per vector)", vectorBenchN, time.Since(start), time.Since(start)/vectorBenchN)
	body := []byte(`{"TableName":"vbench","IndexName":"emb","TopK":10,"SearchVector":` + string(vec()) + `}`)
	req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "SearchVectors", Body: body, Region: "us-east-1"}
	for _, conc := range []int{1, 8} {
		b.Run("c"+strconv.Itoa(conc), func(b *testing.B) {
			b.ReportAllocs()
			// conc workers share b.N searches.
			lat := make([]time.Duration, b.N)
			var next sync.Mutex
			i := 0
			var wg sync.WaitGroup
			for w := 0; w < conc; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						next.Lock()
						k := i
						i++
						next.Unlock()
						if k >= b.N {
							return
						}
						t0 := time.Now()
						if _, err := n.ServeDynamoDB(context.Background(), req); err != nil {
							b.Error(err)
							return
						}
						lat[k] = time.Since(t0)
					}
				}()
			}
			wg.Wait()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			}
		})
	}
}
