package wire

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// echo is a Handler that answers every DynamoDB call with a body of the
// size asked for ({"n": N}), counting the calls it ran.
type echo struct{ calls atomic.Int64 }

func (e *echo) Known(prefix, op string) bool { return prefix == PrefixDynamoDB }

func (e *echo) ServeDynamoDB(_ context.Context, req *Request) ([]byte, error) {
	e.calls.Add(1)
	if bytes.Contains(req.Body, []byte(`"big"`)) {
		return []byte(`{"x":"` + strings.Repeat("a", 5000) + `"}`), nil
	}
	return []byte(`{}`), nil
}

func startEcho(t *testing.T) (string, *echo) {
	t.Helper()
	h := &echo{}
	srv := NewServer(h, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String(), h
}

const authHdr = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"

func call(t *testing.T, method, url string, body []byte, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	req.Header.Set("Authorization", authHdr)
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	for k, vs := range hdr {
		req.Header.Del(k)
		for _, v := range vs {
			if v != "" {
				req.Header.Add(k, v)
			}
		}
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

func zl(b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

func TestRequestCodings(t *testing.T) {
	url, h := startEcho(t)
	f := func(name, enc string, body []byte, wantStatus int, wantRun bool) {
		t.Helper()
		before := h.calls.Load()
		resp, b := call(t, "POST", url+"/", body, http.Header{"Content-Encoding": {enc}})
		ran := h.calls.Load() > before
		if resp.StatusCode != wantStatus || ran != wantRun {
			t.Errorf("%s: status %d ran %v body %s, want %d ran %v", name, resp.StatusCode, ran, b, wantStatus, wantRun)
		}
	}
	f("gzip", "gzip", gz([]byte(`{}`)), 200, true)
	f("gzip members", "gzip", append(gz([]byte(`{"a":`)), gz([]byte(`1}`))...), 200, true)
	f("gzip trailing junk", "gzip", append(gz([]byte(`{}`)), "junk"...), 200, true)
	f("deflate", "deflate", zl([]byte(`{}`)), 200, true)
	f("identity", "identity", []byte(`{}`), 200, true)
	f("corrupt gzip", "gzip", []byte("not gzip at all"), 500, false)
	f("truncated gzip", "gzip", gz([]byte(`{"a":"bbbbbbbbbbbbbbbb"}`))[:12], 500, false)
	f("concatenated deflate", "deflate", append(zl([]byte(`{}`)), zl([]byte(`{}`))...), 500, false)
	f("corrupt deflate", "deflate", []byte("xx"), 500, false)
	f("unknown coding", "br", []byte(`{}`), 500, false)
}

func TestResponseCoding(t *testing.T) {
	f := func(accept, want string) {
		t.Helper()
		if got := responseCoding([]byte(accept)); got != want {
			t.Errorf("responseCoding(%q) = %q, want %q", accept, got, want)
		}
	}
	f("", "")
	f("identity", "")
	f("br", "")
	f("zstd", "")
	f("x-gzip", "")
	f("gzip", "gzip")
	f("deflate", "deflate")
	f("gzip, deflate", "gzip")
	f("deflate, gzip", "deflate")
	f("br, identity, deflate, gzip", "deflate")
	f("gzip;q=0", "")
	f("*", "gzip")
	f("*, deflate", "deflate")
	f("*, gzip;q=0.5", "deflate")
	f("gzip;q=0.5, deflate;q=0.8", "deflate")
	f("gzip;q=2, deflate", "gzip")
	f("gzip;q=0.2;q=0.9, deflate;q=0.5", "deflate")
}

func TestResponseCompression(t *testing.T) {
	url, _ := startEcho(t)
	f := func(name string, body string, accept []string, wantEnc string) {
		t.Helper()
		resp, b := call(t, "POST", url+"/", []byte(body), http.Header{"Accept-Encoding": accept})
		if got := resp.Header.Get("Content-Encoding"); got != wantEnc {
			t.Errorf("%s: Content-Encoding %q, want %q", name, got, wantEnc)
		}
		var r io.Reader = bytes.NewReader(b)
		switch wantEnc {
		case "gzip":
			zr, err := gzip.NewReader(r)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			r = zr
		case "deflate":
			zr, err := zlib.NewReader(r)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			r = zr
		}
		plain, err := io.ReadAll(r)
		if err != nil || !bytes.HasPrefix(plain, []byte(`{`)) {
			t.Errorf("%s: body %q (%v)", name, plain, err)
		}
	}
	f("small gzip", `{}`, []string{"gzip"}, "")
	f("big gzip", `{"big":1}`, []string{"gzip"}, "gzip")
	f("big deflate", `{"big":1}`, []string{"deflate"}, "deflate")
	f("first line only", `{"big":1}`, []string{"identity", "gzip"}, "")
	f("first listed", `{"big":1}`, []string{"deflate, gzip"}, "deflate")
}

func TestHTTPEdges(t *testing.T) {
	url, _ := startEcho(t)

	resp, b := call(t, "GET", url+"/", nil, nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "healthy: ") {
		t.Errorf("GET /: %d %q", resp.StatusCode, b)
	}
	resp, b = call(t, "GET", url+"/other", nil, nil)
	if resp.StatusCode != 404 || string(b) != "<UnknownOperationException/>\n" {
		t.Errorf("GET /other: %d %q", resp.StatusCode, b)
	}

	// Error Content-Type follows the request's.
	ct := func(reqCT, target, wantCT string) {
		t.Helper()
		resp, _ := call(t, "POST", url+"/", nil, http.Header{"Content-Type": {reqCT}, "X-Amz-Target": {target}})
		if got := resp.Header.Get("Content-Type"); got != wantCT {
			t.Errorf("request Content-Type %q: answer %q, want %q", reqCT, got, wantCT)
		}
	}
	ct("application/x-amz-json-1.0", "Bogus.Op", "application/x-amz-json-1.0")
	ct("application/json", "Bogus.Op", "application/json")
	ct("", "Bogus.Op", "application/json")

	// CORS preflight.
	resp, _ = call(t, "OPTIONS", url+"/", nil, http.Header{"Origin": {"http://x"}, "Access-Control-Request-Method": {"POST"}})
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Expose-Headers") == "" || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestTooLargeAnyContentType(t *testing.T) {
	url, h := startEcho(t)
	body := bytes.Repeat([]byte(" "), MaxBodyBytes+1)
	for _, ct := range []string{"application/x-amz-json-1.0", "text/plain", ""} {
		resp, b := call(t, "POST", url+"/", body, http.Header{"Content-Type": {ct}})
		if resp.StatusCode != 413 || len(b) != 0 {
			t.Errorf("Content-Type %q: %d %q, want 413 and no body", ct, resp.StatusCode, b)
		}
	}
	if h.calls.Load() != 0 {
		t.Error("an oversized request ran")
	}
}

// TestOversizedHeaders: headers past fasthttp's read buffer get a
// DynamoDB-shaped JSON error, never fasthttp's plain text.
func TestOversizedHeaders(t *testing.T) {
	url, h := startEcho(t)
	resp, b := call(t, "POST", url+"/", []byte(`{}`), http.Header{"X-Big": {strings.Repeat("a", 64<<10)}})
	if resp.StatusCode != 400 || !bytes.HasPrefix(b, []byte(`{"__type":"com.amazon.coral.service#`)) {
		t.Errorf("oversized headers: %d %q", resp.StatusCode, b)
	}
	if h.calls.Load() != 0 {
		t.Error("a request with oversized headers ran")
	}
}
