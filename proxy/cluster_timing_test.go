package proxy

import (
	"context"
	"fmt"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/ddb/wire"
)

// BenchmarkClusterGetItem compares, in one run, a GetItem hit served by
// the node that owns the key with one forwarded to the owner over the peer
// protocol (handler level: ServeDynamoDB on the receiving node).
func BenchmarkClusterGetItem(b *testing.B) {
	ce := newClusterEnv(b, 2)
	ce.createTable("bench")
	a := ce.nodes[0]
	var local, remote string
	for i := 0; local == "" || remote == ""; i++ {
		pk := fmt.Sprintf("k%d", i)
		ce.post(a, "PutItem", `{"TableName":"bench","Item":{"pk":{"S":"`+pk+`"},"v":{"S":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}}`)
		body := `{"TableName":"bench","Key":{"pk":{"S":"` + pk + `"}}}`
		ce.post(a, "GetItem", body)
		if ce.owner(itemKey("bench", pk)) == a {
			if local == "" {
				local = body
			}
		} else if remote == "" {
			remote = body
		}
	}
	for _, c := range []struct{ name, body string }{{"LocalHit", local}, {"ForwardedHit", remote}} {
		b.Run(c.name, func(b *testing.B) {
			req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "GetItem", Body: []byte(c.body), Region: "us-east-1"}
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := a.p.ServeDynamoDB(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	hc := &fasthttp.HostClient{Addr: a.url[len("http://"):]}
	for _, c := range []struct{ name, body string }{{"HTTPLocalHit", local}, {"HTTPForwardedHit", remote}} {
		b.Run(c.name, func(b *testing.B) {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			req.SetRequestURI(a.url + "/")
			req.Header.SetMethod("POST")
			req.Header.SetContentType("application/x-amz-json-1.0")
			req.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
			req.Header.Set("X-Amz-Date", "20260101T000000Z")
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=abc")
			req.SetBodyString(c.body)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := hc.Do(req, resp); err != nil || resp.StatusCode() != 200 || string(resp.Header.Peek(hdrCache)) != cacheHit {
					b.Fatal(err, resp.StatusCode(), string(resp.Body()))
				}
			}
		})
	}
}
