package proxy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/auth"
)

// benchPolicyUsers is a typical principal: five statements, one of them
// with a dynamodb:LeadingKeys condition.
const benchPolicyUsers = `{"users":[{"accessKeyId":"AKIDBENCH","secretAccessKey":"bench-secret","arn":"arn:aws:iam::000000000000:user/bench","policies":[{
 "Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query","dynamodb:BatchGetItem"],"Resource":"arn:aws:dynamodb:*:*:table/bench",
   "Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["user#000042"]}}},
  {"Effect":"Allow","Action":"dynamodb:Describe*","Resource":"*"},
  {"Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:UpdateItem"],"Resource":"arn:aws:dynamodb:*:*:table/bench"},
  {"Effect":"Deny","Action":"dynamodb:DeleteTable","Resource":"*"},
  {"Effect":"Deny","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:*:*:table/secret"}]}]}]}`

// BenchmarkAuthHit serves a cached GetItem through the whole fasthttp
// handler with --auth off and with --auth sigv4 (signature verified,
// request authorized under benchPolicyUsers), for the ratio of the two.
// The signed request is made once and replayed (within its 5-minute
// window), so client signing is not measured.
func BenchmarkAuthHit(b *testing.B) {
	users, err := auth.ParseUsers([]byte(benchPolicyUsers))
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"off", "sigv4"} {
		b.Run(mode, func(b *testing.B) {
			p, _ := benchProxy(b, func(o *Options) {
				if mode == "sigv4" {
					o.Guard = &auth.Guard{Verifier: auth.NewVerifier(users, auth.Options{})}
				}
			})
			// Sign once with the SDK.
			hr, _ := http.NewRequest("POST", "http://127.0.0.1:8000/", strings.NewReader(benchGetBody))
			hr.Header.Set("Content-Type", "application/x-amz-json-1.0")
			hr.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
			sum := sha256.Sum256([]byte(benchGetBody))
			if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDBENCH", SecretAccessKey: "bench-secret"},
				hr, hex.EncodeToString(sum[:]), "dynamodb", "us-east-1", time.Now()); err != nil {
				b.Fatal(err)
			}
			h := p.Handler()
			var ctx fasthttp.RequestCtx
			setup := func() {
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.Header.SetMethod("POST")
				ctx.Request.SetRequestURI("/")
				ctx.Request.Header.SetHost("127.0.0.1:8000")
				for k, vs := range hr.Header {
					ctx.Request.Header.Set(k, vs[0])
				}
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
		})
	}
}
