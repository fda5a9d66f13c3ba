package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestFastPathTakesSDKSignedRequests checks that requests signed by the
// AWS SDK (with and without extra signed headers, blanks in values,
// repeated headers) verify on the fast path, so the SDK signer is only
// the fallback; and that a wrong secret never matches on it.
func TestFastPathTakesSDKSignedRequests(t *testing.T) {
	v := NewVerifier(testUsers(t), Options{Now: func() time.Time { return testNow }})
	f := func(name string, mutate func(*http.Request)) {
		t.Helper()
		r := signed(t, "AKIDALICE", "alice-secret", "us-east-1", "dynamodb", testNow, mutate)
		s, err := parse(r)
		if err != nil {
			t.Fatal(err)
		}
		if !v.fastMatch(r, s, "alice-secret", "20261202", "us-east-1") {
			t.Errorf("%s: the fast path did not take an SDK-signed request", name)
		}
		if v.fastMatch(r, s, "other-secret", "20261202", "us-east-1") {
			t.Errorf("%s: the fast path matched under another secret", name)
		}
		if _, err := v.Verify(context.Background(), r); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	f("plain", nil)
}

// FuzzFastPath signs a request built from the fuzzer's headers and body
// with the SDK, mutates it, and checks that the fast path accepts only
// what the SDK's signer accepts: a fast-path match must equal the SDK's
// expected signature for the (mutated) request.
func FuzzFastPath(f *testing.F) {
	f.Add("x-amz-target", "DynamoDB_20120810.GetItem", `{"TableName":"t"}`, "", "", uint8(0))
	f.Add("x-custom", "  a   b ", `{}`, "x-custom", "a b", uint8(1))
	f.Add("content-type", "application/x-amz-json-1.0", ``, "X-Amz-Target", "x", uint8(2))
	v := NewVerifier(testUsers(f), Options{Now: func() time.Time { return testNow }})
	f.Fuzz(func(t *testing.T, hname, hval, body, mname, mval string, how uint8) {
		req, err := http.NewRequest("POST", "http://127.0.0.1:8000/", bytes.NewReader([]byte(body)))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		if hname != "" && validHeaderName(hname) {
			req.Header.Set(hname, hval)
		}
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDALICE", SecretAccessKey: "alice-secret"},
			req, hex.EncodeToString(sum[:]), "dynamodb", "us-east-1", testNow); err != nil {
			return
		}
		r := &Request{Method: req.Method, Path: req.URL.Path, Host: req.Host, Body: []byte(body)}
		for name, vs := range req.Header {
			for _, v := range vs {
				r.Headers = append(r.Headers, Header{name, v})
			}
		}
		switch how % 4 {
		case 1: // change or add a header
			if mname != "" {
				r.Headers = append(r.Headers, Header{mname, mval})
			}
		case 2: // change the body
			r.Body = append([]byte(mval), r.Body...)
		case 3: // change the host
			r.Host += mval
		}
		s, err := parse(r)
		if err != nil {
			return
		}
		if !v.fastMatch(r, s, "alice-secret", "20261202", "us-east-1") {
			return
		}
		t0, err := time.Parse(amzDate, s.date)
		if err != nil {
			t.Fatalf("fast path matched with date %q", s.date)
		}
		want, err := v.expected(context.Background(), r, s, "AKIDALICE", "alice-secret", "us-east-1", t0)
		if err != nil || want != s.sig {
			t.Fatalf("the fast path accepted a request the SDK signer refuses (%v): %+v", err, r)
		}
	})
}

func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
