package proxy

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// Benchmarks of the proxy's hot paths, handler-level and in process: the
// proxy's ServeDynamoDB in front of the in-process storage node.

const (
	benchGetBody = `{"TableName":"bench","Key":{"pk":{"S":"user#000042"},"sk":{"N":"7"}}}`
	benchPutBody = `{"TableName":"bench","Item":{"pk":{"S":"user#000042"},"sk":{"N":"7"},` +
		`"name":{"S":"Ada Lovelace"},"email":{"S":"ada@example.com"},"age":{"N":"36"},"active":{"BOOL":true},` +
		`"tags":{"SS":["math","engines"]},"address":{"M":{"city":{"S":"London"},"zip":{"S":"W1"}}},` +
		`"scores":{"L":[{"N":"1"},{"N":"2.5"},{"N":"3"}]}}}`
	benchProjBody    = `{"TableName":"bench","Key":{"pk":{"S":"user#000042"},"sk":{"N":"7"}},"ProjectionExpression":"#n, email","ExpressionAttributeNames":{"#n":"name"}}`
	benchNestedBody  = `{"TableName":"bench","Key":{"pk":{"S":"user#000042"},"sk":{"N":"7"}},"ProjectionExpression":"#n, address.city","ExpressionAttributeNames":{"#n":"name"}}`
	benchQueryBody   = `{"TableName":"bench","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"user#000042"}}}`
	benchCreateTable = `{"TableName":"bench","BillingMode":"PAY_PER_REQUEST",` +
		`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],` +
		`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}`
)

func benchProxy(b *testing.B, mut func(*Options)) (*Proxy, *store.Node) {
	b.Helper()
	log := slog.New(slog.DiscardHandler)
	n, err := store.Open(store.Options{Dir: b.TempDir(), NoSync: true, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	opts := Options{Backend: &StoreBackend{Node: n, Logger: log}, ItemTTL: DefaultTTL, QueryTTL: DefaultTTL, Logger: log}
	if mut != nil {
		mut(&opts)
	}
	p, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	benchServe(b, p, "CreateTable", benchCreateTable)
	benchServe(b, p, "PutItem", benchPutBody)
	return p, n
}

func benchServe(b *testing.B, p *Proxy, op, body string) []byte {
	b.Helper()
	out, err := p.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: op, Body: []byte(body), Region: "us-east-1"})
	if err != nil {
		b.Fatalf("%s: %v", op, err)
	}
	return out
}

// benchHit measures repeated cache hits of one request body.
func benchHit(b *testing.B, op, body string) {
	p, _ := benchProxy(b, nil)
	var hdr fasthttp.ResponseHeader
	hdr.DisableNormalizing()
	req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: op, Body: []byte(body), Region: "us-east-1", RespHeader: &hdr}
	ctx := context.Background()
	for i := 0; i < 2; i++ { // fill, then check the hit
		if _, err := p.ServeDynamoDB(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	if string(hdr.Peek(hdrCache)) != cacheHit {
		b.Fatalf("not a hit: %q", hdr.Peek(hdrCache))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out, err := p.ServeDynamoDB(ctx, req)
		if err != nil || len(out) < 20 {
			b.Fatal(err, string(out))
		}
	}
}

// BenchmarkGetItemHit is the product: a cached, unprojected GetItem.
func BenchmarkGetItemHit(b *testing.B) { benchHit(b, "GetItem", benchGetBody) }

// BenchmarkGetItemHitProjected is a hit with a top-level projection.
func BenchmarkGetItemHitProjected(b *testing.B) { benchHit(b, "GetItem", benchProjBody) }

// BenchmarkGetItemHitNested is a hit with a nested projection (decodes the item).
func BenchmarkGetItemHitNested(b *testing.B) { benchHit(b, "GetItem", benchNestedBody) }

// BenchmarkQueryHit is a cached Query.
func BenchmarkQueryHit(b *testing.B) { benchHit(b, "Query", benchQueryBody) }

// BenchmarkGetItemMiss measures misses: every GetItem reads through to the
// in-process store (the item cache is invalidated between iterations by a
// tiny TTL on an advancing clock).
func BenchmarkGetItemMiss(b *testing.B) {
	var now time.Time
	clock := func() time.Time { now = now.Add(time.Second); return now }
	p, _ := benchProxy(b, func(o *Options) { o.ItemTTL = time.Millisecond; o.Now = clock })
	req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "GetItem", Body: []byte(benchGetBody), Region: "us-east-1"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := p.ServeDynamoDB(ctx, req)
		if err != nil || len(out) < 100 {
			b.Fatal(err, string(out))
		}
	}
	if p.m.itemHits.Load() != 0 {
		b.Fatalf("%d hits", p.m.itemHits.Load())
	}
}

// BenchmarkGetItemStore is the same read straight from the store, for
// comparison with the miss path.
func BenchmarkGetItemStore(b *testing.B) {
	_, n := benchProxy(b, nil)
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

// BenchmarkPutItem measures a write-through PutItem.
func BenchmarkPutItem(b *testing.B) {
	p, _ := benchProxy(b, nil)
	req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "PutItem", Body: []byte(benchPutBody), Region: "us-east-1"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.ServeDynamoDB(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetItemHitParallel runs hits on many keys from all cores.
func BenchmarkGetItemHitParallel(b *testing.B) {
	p, _ := benchProxy(b, nil)
	const keys = 1024
	bodies := make([][]byte, keys)
	for i := range bodies {
		k := `{"pk":{"S":"user#` + strconv.Itoa(i) + `"},"sk":{"N":"1"}}`
		benchServe(b, p, "PutItem", `{"TableName":"bench","Item":`+k[:len(k)-1]+`,"v":{"S":"value"}}}`)
		bodies[i] = []byte(`{"TableName":"bench","Key":` + k + `}`)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			req := wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "GetItem", Body: bodies[i%keys], Region: "us-east-1"}
			if _, err := p.ServeDynamoDB(ctx, &req); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkGetItemHitFastHTTP serves a cached GetItem through the whole
// fasthttp handler (wire's checks, request id, CRC), without a network.
func BenchmarkGetItemHitFastHTTP(b *testing.B) {
	p, _ := benchProxy(b, nil)
	h := p.Handler()
	var ctx fasthttp.RequestCtx
	setup := func() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.SetRequestURI("/")
		ctx.Request.Header.SetContentType("application/x-amz-json-1.0")
		ctx.Request.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
		ctx.Request.Header.Set("X-Amz-Date", "20260101T000000Z")
		ctx.Request.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=abc")
		ctx.Request.SetBodyString(benchGetBody)
	}
	for i := 0; i < 2; i++ {
		setup()
		h(&ctx)
	}
	if string(ctx.Response.Header.Peek(hdrCache)) != cacheHit {
		b.Fatalf("not a hit: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		setup()
		h(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatal(string(ctx.Response.Body()))
		}
	}
}
