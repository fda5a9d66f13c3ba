package store

import (
	"context"
	"log/slog"
	"testing"

	"github.com/dynax/dynax/ddb/wire"
)

// BenchmarkMetricsGetItem is the cost of the request metrics on the
// GetItem path, off against on in one run (docs/metrics.md):
//
//	go test -run '^$' -bench BenchmarkMetricsGetItem -benchtime 1s -count 3 ./store
func BenchmarkMetricsGetItem(b *testing.B) {
	for _, c := range []struct {
		name string
		off  bool
	}{{"off", true}, {"on", false}} {
		b.Run(c.name, func(b *testing.B) {
			n, err := Open(Options{Dir: b.TempDir(), NoSync: true, DisableRequestMetrics: c.off, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			defer n.Close()
			itemsServe(b, n, "CreateTable", `{"TableName":"bench","BillingMode":"PAY_PER_REQUEST",`+
				`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],`+
				`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}`)
			itemsServe(b, n, "PutItem", benchPutBody)
			req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "GetItem", Body: []byte(benchGetBody), Region: "us-east-1"}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				out, err := n.ServeDynamoDB(ctx, req)
				if err != nil || len(out) < 100 {
					b.Fatal(err, string(out))
				}
			}
		})
	}
}

// BenchmarkMetricsObserve is the request metrics' own work for one
// successful GetItem (table lookup, operation index, histogram).
func BenchmarkMetricsObserve(b *testing.B) {
	n := itemsBenchNode(b)
	body := []byte(benchGetBody)
	i := opIndexes["GetItem"]
	b.ReportAllocs()
	for b.Loop() {
		n.met.observe(i, "GetItem", body, nil, nil, 1500)
	}
}

// BenchmarkMetricsScrape is the cost of one GET /metrics of a node with
// one table (paid by the scraper, not by requests).
func BenchmarkMetricsScrape(b *testing.B) {
	n := itemsBenchNode(b)
	itemsServe(b, n, "GetItem", benchGetBody)
	var w discardCounter
	b.ReportAllocs()
	for b.Loop() {
		if err := n.WriteMetrics(&w); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w)/float64(b.N), "bytes/scrape")
}

type discardCounter int

func (d *discardCounter) Write(p []byte) (int, error) {
	*d += discardCounter(len(p))
	return len(p), nil
}
