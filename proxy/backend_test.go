package proxy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/dynax/dynax/ddb/wire"
)

// recorder is an HTTP server that records requests and answers {}.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.body = append(r.body, b)
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_, _ = w.Write([]byte(`{}`))
}

func (r *recorder) last() (*http.Request, []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs[len(r.reqs)-1], r.body[len(r.body)-1]
}

// TestSignedBackend checks that requests to a signing backend carry a
// SigV4 signature that verifies with the proxy's credentials.
func TestSignedBackend(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	creds := credentials.NewStaticCredentialsProvider("AKIDPROXY", "proxysecret", "sessiontoken")
	b, err := NewHTTPBackend(HTTPOptions{URL: srv.URL, Credentials: creds, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	body := `{"TableName":"t"}`
	status, out, err := b.Do(context.Background(), &Call{Prefix: wire.PrefixDynamoDB, Operation: "DescribeTable", Body: []byte(body), Region: "us-east-1", AccessKey: "CALLER"})
	if err != nil || status != 200 || string(out) != "{}" {
		t.Fatalf("%d %s %v", status, out, err)
	}
	req, got := rec.last()
	if string(got) != body || req.Header.Get("X-Amz-Target") != "DynamoDB_20120810.DescribeTable" {
		t.Fatalf("forwarded %q %q", got, req.Header.Get("X-Amz-Target"))
	}
	auth := req.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDPROXY/") || !strings.Contains(auth, "/eu-west-1/dynamodb/aws4_request") ||
		req.Header.Get("X-Amz-Security-Token") != "sessiontoken" {
		t.Fatalf("Authorization %q token %q", auth, req.Header.Get("X-Amz-Security-Token"))
	}
	// Re-sign what the server received with the same time: same signature.
	when, err := time.Parse("20060102T150405Z", req.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatal(err)
	}
	check, _ := http.NewRequest("POST", srv.URL+"/", nil)
	check.Host = req.Host
	check.Header.Set("Content-Type", req.Header.Get("Content-Type"))
	check.Header.Set("X-Amz-Target", req.Header.Get("X-Amz-Target"))
	sum := sha256.Sum256(got)
	c, _ := creds.Retrieve(context.Background())
	if err := v4.NewSigner().SignHTTP(context.Background(), c, check, hex.EncodeToString(sum[:]), "dynamodb", "eu-west-1", when); err != nil {
		t.Fatal(err)
	}
	if check.Header.Get("Authorization") != auth {
		t.Fatalf("signature does not verify:\n got %s\nwant %s", auth, check.Header.Get("Authorization"))
	}
}

// TestUnsignedBackend: a loopback backend gets a well-formed signature in
// the caller's credential scope.
func TestUnsignedBackend(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	streams := &recorder{}
	ssrv := httptest.NewServer(streams)
	defer ssrv.Close()
	b, err := NewHTTPBackend(HTTPOptions{URL: srv.URL, StreamsURL: ssrv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, _, err := b.Do(context.Background(), &Call{Prefix: wire.PrefixDynamoDB, Operation: "ListTables", Body: []byte(`{}`), Region: "ap-south-1", AccessKey: "CALLER"}); err != nil {
		t.Fatal(err)
	}
	req, _ := rec.last()
	auth := req.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=CALLER/") || !strings.Contains(auth, "/ap-south-1/dynamodb/aws4_request, SignedHeaders=") ||
		!strings.Contains(auth, "Signature=") || len(req.Header.Get("X-Amz-Date")) != 16 {
		t.Fatalf("Authorization %q, X-Amz-Date %q", auth, req.Header.Get("X-Amz-Date"))
	}
	if _, _, err := b.Do(context.Background(), &Call{Prefix: wire.PrefixStreams, Operation: "ListStreams", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if req, _ := streams.last(); req.Header.Get("X-Amz-Target") != "DynamoDBStreams_20120810.ListStreams" {
		t.Fatalf("streams call: %q", req.Header.Get("X-Amz-Target"))
	}
	if !IsLoopback(srv.URL) || IsLoopback("https://dynamodb.eu-west-1.amazonaws.com") {
		t.Fatal("IsLoopback")
	}
	for in, want := range map[string]string{
		"https://dynamodb.eu-west-1.amazonaws.com":     "https://streams.dynamodb.eu-west-1.amazonaws.com",
		"https://dynamodb.cn-north-1.amazonaws.com.cn": "https://streams.dynamodb.cn-north-1.amazonaws.com.cn",
		"http://127.0.0.1:8001":                        "",
	} {
		if got := awsStreamsURL(in); got != want {
			t.Errorf("awsStreamsURL(%s) = %q, want %q", in, got, want)
		}
	}
}
