package store

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

const testAuth = "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-central-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"

type rawResp struct {
	status int
	header http.Header
	body   []byte
}

// rawCall sends a hand-made request; hdr holds extra headers ("" values delete).
func rawCall(t *testing.T, url, method, target, body string, hdr map[string]string) rawResp {
	t.Helper()
	req, err := http.NewRequest(method, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	req.Header.Set("Authorization", testAuth)
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	tr := &http.Transport{DisableCompression: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResp{resp.StatusCode, resp.Header, b}
}

func TestProtocol(t *testing.T) {
	ts := newTestServer(t)
	f := func(name, method, target, body string, hdr map[string]string, wantStatus int, wantBody string) {
		t.Helper()
		r := rawCall(t, ts.URL, method, target, body, hdr)
		if r.status != wantStatus {
			t.Fatalf("%s: status %d, want %d (body %s)", name, r.status, wantStatus, r.body)
		}
		if wantBody != "" && string(r.body) != wantBody {
			t.Fatalf("%s: body\n%s\nwant\n%s", name, r.body, wantBody)
		}
		if id := r.header.Get("x-amzn-RequestId"); len(id) != 52 {
			t.Fatalf("%s: request id %q", name, id)
		}
		if r.header.Get("Content-Encoding") == "" && r.status != 413 {
			if got, want := r.header.Get("x-amz-crc32"), strconv.FormatUint(uint64(crc32.ChecksumIEEE(r.body)), 10); got != want {
				t.Fatalf("%s: crc32 %s, want %s", name, got, want)
			}
		}
	}
	const lt = "DynamoDB_20120810.ListTables"
	f("unknown operation", "POST", "DynamoDB_20120810.Nope", "{}", nil, 400, `{"__type":"com.amazon.coral.service#UnknownOperationException"}`)
	f("bad target", "POST", "Nope", "{}", nil, 400, `{"__type":"com.amazon.coral.service#UnknownOperationException"}`)
	f("malformed json", "POST", lt, "{", nil, 400, `{"__type":"com.amazon.coral.service#SerializationException"}`)
	f("empty body", "POST", lt, "", nil, 400, `{"__type":"com.amazon.coral.service#SerializationException"}`)
	f("missing auth", "POST", lt, "{}", map[string]string{"Authorization": ""}, 400,
		`{"__type":"com.amazon.coral.service#MissingAuthenticationTokenException","message":"Request is missing Authentication Token"}`)
	f("incomplete auth", "POST", lt, "{}", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Signature=x"}, 400,
		`{"__type":"com.amazon.coral.service#IncompleteSignatureException","message":"Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Signature=x"}`)
	f("wrong content type", "POST", lt, "{}", map[string]string{"Content-Type": "text/plain"}, 404, "<UnknownOperationException/>\n")
	f("not post", "PUT", lt, "{}", nil, 404, "<UnknownOperationException/>\n")
	f("application/json", "POST", lt, "{}", map[string]string{"Content-Type": "application/json"}, 200, "")
	f("list tables", "POST", lt, "{}", nil, 200, `{"TableNames":[]}`)

	r := rawCall(t, ts.URL, "GET", "", "", nil)
	if r.status != 200 || !strings.HasPrefix(string(r.body), "healthy: 127.0.0.1:") {
		t.Fatalf("health: %d %q", r.status, r.body)
	}

	r = rawCall(t, ts.URL, "OPTIONS", "", "", map[string]string{"Origin": "http://example.test", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-amz-target"})
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "*" || r.header.Get("Access-Control-Allow-Methods") != "POST" ||
		r.header.Get("Access-Control-Allow-Headers") != "x-amz-target" || r.header.Get("Access-Control-Max-Age") != "172800" {
		t.Fatalf("CORS preflight: %d %v", r.status, r.header)
	}

	big := `{"TableName":"` + strings.Repeat("a", 16<<20) + `"}`
	f("too large", "POST", lt, big, nil, 413, "")
}

func TestProtocolGzip(t *testing.T) {
	ts := newTestServer(t)
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	_, _ = zw.Write([]byte(`{"Limit":5}`))
	_ = zw.Close()
	r := rawCall(t, ts.URL, "POST", "DynamoDB_20120810.ListTables", zb.String(), map[string]string{"Content-Encoding": "gzip", "Accept-Encoding": "gzip"})
	// DynamoDB compresses only answers over 4 KB: this one goes out plain.
	if r.status != 200 || r.header.Get("Content-Encoding") != "" {
		t.Fatalf("gzip: %d %v", r.status, r.header)
	}
	var out map[string]any
	if err := json.Unmarshal(r.body, &out); err != nil || out["TableNames"] == nil {
		t.Fatalf("body %q: %v", r.body, err)
	}

	// A large answer is compressed, its CRC32 over the bytes sent.
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("%s%03d", strings.Repeat("t", 60), i)
		mk := rawCall(t, ts.URL, "POST", "DynamoDB_20120810.CreateTable",
			`{"TableName":"`+name+`","AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}`, nil)
		if mk.status != 200 {
			t.Fatalf("CreateTable: %d %s", mk.status, mk.body)
		}
	}
	r = rawCall(t, ts.URL, "POST", "DynamoDB_20120810.ListTables", `{}`, map[string]string{"Accept-Encoding": "gzip"})
	if r.status != 200 || r.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("large answer: %d %v", r.status, r.header)
	}
	if got, want := r.header.Get("x-amz-crc32"), strconv.FormatUint(uint64(crc32.ChecksumIEEE(r.body)), 10); got != want {
		t.Fatalf("crc32 of gzipped body: %s, want %s", got, want)
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	out = nil
	if err := json.Unmarshal(plain, &out); err != nil || out["TableNames"] == nil {
		t.Fatalf("gzipped body %q: %v", plain, err)
	}
}
