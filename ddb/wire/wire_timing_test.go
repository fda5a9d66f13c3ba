package wire

import (
	"testing"

	"github.com/valyala/fasthttp"
)

func BenchmarkCheckAuth(b *testing.B) {
	var r fasthttp.Request
	r.SetRequestURI("http://127.0.0.1/")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000")
	r.Header.Set("X-Amz-Date", "20260101T000000Z")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := checkAuth(&r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewRequestID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if len(NewRequestID()) != 52 {
			b.Fatal("bad id")
		}
	}
}
