package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/dynax/dynax/ddb"
)

var testNow = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func testUsers(t testing.TB) *Users {
	t.Helper()
	u, err := ParseUsers([]byte(`{"users":[{"accessKeyId":"AKIDALICE","secretAccessKey":"alice-secret","arn":"arn:aws:iam::111122223333:user/alice"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// signed builds a GetItem request signed by the AWS SDK as a client would.
func signed(t testing.TB, key, secret, region, service string, at time.Time, mutate func(*http.Request)) *Request {
	t.Helper()
	body := []byte(`{"TableName":"t","Key":{"pk":{"S":"a"}}}`)
	req, _ := http.NewRequest("POST", "http://127.0.0.1:8000/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, req,
		hex.EncodeToString(sum[:]), service, region, at); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(req)
	}
	r := &Request{Method: req.Method, Path: req.URL.Path, RawQuery: req.URL.RawQuery, Host: req.Host, Body: body}
	for name, vs := range req.Header {
		for _, v := range vs {
			r.Headers = append(r.Headers, Header{name, v})
		}
	}
	return r
}

func TestVerify(t *testing.T) {
	v := NewVerifier(testUsers(t), Options{Now: func() time.Time { return testNow }})
	f := func(name string, r *Request, wantType, wantMsg string) {
		t.Helper()
		p, err := v.Verify(context.Background(), r)
		if wantType == "" {
			if err != nil || p == nil || p.ARN != "arn:aws:iam::111122223333:user/alice" {
				t.Errorf("%s: %v %v", name, p, err)
			}
			return
		}
		e, ok := ddb.AsError(err)
		if !ok || e.Name() != wantType || e.Message != wantMsg || e.Status != 400 {
			t.Errorf("%s:\n got %v\nwant %s: %s", name, err, wantType, wantMsg)
		}
	}
	ok := func() *Request { return signed(t, "AKIDALICE", "alice-secret", "us-east-1", "dynamodb", testNow, nil) }
	f("valid", ok(), "", "")
	f("valid, 4 minutes old", signed(t, "AKIDALICE", "alice-secret", "eu-west-1", "dynamodb", testNow.Add(-4*time.Minute), nil), "", "")
	f("wrong secret", signed(t, "AKIDALICE", "wrong", "us-east-1", "dynamodb", testNow, nil), "InvalidSignatureException", msgBadSig)
	f("unknown key", signed(t, "AKIDNOBODY", "x", "us-east-1", "dynamodb", testNow, nil), "UnrecognizedClientException", msgBadKey)
	f("expired", signed(t, "AKIDALICE", "alice-secret", "us-east-1", "dynamodb", testNow.Add(-6*time.Minute), nil), "InvalidSignatureException",
		"Signature expired: 20261202T115400Z is now earlier than 20261202T115500Z (20261202T120000Z - 5 min.)")
	f("future", signed(t, "AKIDALICE", "alice-secret", "us-east-1", "dynamodb", testNow.Add(6*time.Minute), nil), "InvalidSignatureException",
		"Signature not yet current: 20261202T120600Z is still later than 20261202T120500Z (20261202T120000Z + 5 min.)")
	f("wrong service", signed(t, "AKIDALICE", "alice-secret", "us-east-1", "s3", testNow, nil), "InvalidSignatureException",
		"Credential should be scoped to correct service: 'dynamodb'.")
	f("tampered body", func() *Request { r := ok(); r.Body = []byte(`{"TableName":"other"}`); return r }(), "InvalidSignatureException", msgBadSig)
	f("tampered target", func() *Request {
		r := ok()
		for i := range r.Headers {
			if r.Headers[i].Name == "X-Amz-Target" {
				r.Headers[i].Value = "DynamoDB_20120810.DeleteItem"
			}
		}
		return r
	}(), "InvalidSignatureException", msgBadSig)
	f("no authorization", func() *Request { r := ok(); r.Headers = without(r.Headers, "Authorization"); return r }(),
		"MissingAuthenticationTokenException", msgNoToken)
	f("not AWS4", func() *Request { r := ok(); set(r, "Authorization", "Basic abc"); return r }(), "MissingAuthenticationTokenException", msgNoToken)
	f("incomplete", func() *Request {
		r := ok()
		r.Headers = without(r.Headers, "X-Amz-Date")
		set(r, "Authorization", "AWS4-HMAC-SHA256 Signature=abc")
		return r
	}(), "IncompleteSignatureException", "Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' parameter. "+
		"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Signature=abc")
	f("host not signed", func() *Request {
		r := ok()
		set(r, "Authorization", strings.Replace(r.header("Authorization"), "SignedHeaders=content-length;content-type;host;", "SignedHeaders=content-length;content-type;", 1))
		return r
	}(), "InvalidSignatureException", "'Host' must be a 'SignedHeader' in the AWS Authorization.")
	f("bad date", func() *Request { r := ok(); set(r, "X-Amz-Date", "201"); return r }(), "IncompleteSignatureException",
		"Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601")
	f("short credential", func() *Request {
		r := ok()
		a := r.header("Authorization")
		i, j := strings.Index(a, "Credential="), strings.Index(a, ",")
		set(r, "Authorization", a[:i]+"Credential=AKIDALICE/20261202/us-east-1"+a[j:])
		return r
	}(), "IncompleteSignatureException", "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDALICE/20261202/us-east-1'")
}

func without(hs []Header, name string) []Header {
	var out []Header
	for _, h := range hs {
		if !strings.EqualFold(h.Name, name) {
			out = append(out, h)
		}
	}
	return out
}

func set(r *Request, name, value string) {
	r.Headers = append(without(r.Headers, name), Header{name, value})
}

// TestVerifyPresigned checks a query-string signed request.
func TestVerifyPresigned(t *testing.T) {
	v := NewVerifier(testUsers(t), Options{Now: func() time.Time { return testNow.Add(time.Minute) }})
	req, _ := http.NewRequest("POST", "http://127.0.0.1:8000/?X-Amz-Expires=300", nil)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDALICE", SecretAccessKey: "alice-secret"}, req,
		"UNSIGNED-PAYLOAD", "dynamodb", "us-east-1", testNow)
	if err != nil {
		t.Fatal(err)
	}
	q := u[strings.Index(u, "?")+1:]
	r := &Request{Method: "POST", Path: "/", RawQuery: q, Host: "127.0.0.1:8000"}
	if _, err := v.Verify(context.Background(), r); err != nil {
		t.Fatalf("presigned: %v", err)
	}
	r.RawQuery = strings.Replace(q, "X-Amz-Signature=", "X-Amz-Signature=0", 1)
	if _, err := v.Verify(context.Background(), r); err == nil {
		t.Fatal("a tampered presigned signature passed")
	}
	late := NewVerifier(testUsers(t), Options{Now: func() time.Time { return testNow.Add(10 * time.Minute) }})
	r.RawQuery = q
	if _, err := late.Verify(context.Background(), r); err == nil || !strings.Contains(err.Error(), "Signature expired") {
		t.Fatalf("expired presigned URL: %v", err)
	}
}

// FuzzVerify feeds arbitrary Authorization headers, dates and queries: no
// panic, and nothing but a valid signature authenticates.
func FuzzVerify(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDALICE/20261202/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc", "20261202T120000Z", "")
	f.Add("AWS4-", "", "X-Amz-Signature=1&X-Amz-Algorithm=AWS4-HMAC-SHA256")
	f.Add("AWS4-HMAC-SHA256 Credential=/////,", "2026", "")
	f.Add("", "", "X-Amz-Signature=&X-Amz-Credential=a%2Fb")
	v := NewVerifier(testUsers(f), Options{Now: func() time.Time { return testNow }})
	f.Fuzz(func(t *testing.T, auth, date, query string) {
		r := &Request{Method: "POST", Path: "/", RawQuery: query, Host: "127.0.0.1:8000", Body: []byte(`{}`),
			Headers: []Header{{"Authorization", auth}, {"X-Amz-Date", date}}}
		if p, err := v.Verify(context.Background(), r); err == nil {
			t.Fatalf("authenticated %v with Authorization %q, date %q, query %q", p, auth, date, query)
		} else if _, ok := ddb.AsError(err); !ok {
			t.Fatalf("not a DynamoDB error: %v", err)
		}
	})
}

// BenchmarkVerify measures one verification (the proxy's hit path pays it).
func BenchmarkVerify(b *testing.B) {
	v := NewVerifier(testUsers(b), Options{Now: func() time.Time { return testNow }})
	r := signed(b, "AKIDALICE", "alice-secret", "us-east-1", "dynamodb", testNow, nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.Verify(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
