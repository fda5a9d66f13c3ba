package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// testEnv is a real storage node served on a loopback port, and a real
// proxy in front of it (in process, or over HTTP) on another loopback port,
// with AWS SDK clients for both.
type testEnv struct {
	t        testing.TB
	node     *store.Node
	p        *Proxy
	storeURL string
	proxyURL string
	c        *dynamodb.Client // through the proxy
	direct   *dynamodb.Client // straight to the store
	clock    *testClock
}

type envOpts struct {
	remote bool                  // the proxy reaches the store over HTTP
	mut    func(*Options)        // adjusts the proxy's options
	wrap   func(Backend) Backend // wraps the backend (fault injection)
	clock  bool                  // inject a manual clock
	store  func(*store.Options)  // adjusts the store's options
	// http adjusts the remote backend's options.
	http func(*HTTPOptions)
	// storeServer adjusts the store's listener (e.g. its Verifier).
	storeServer func(*wire.Server, *store.Node)
}

// testClock is a manual clock for TTL tests.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var quiet = slog.New(slog.DiscardHandler)

func newEnv(t testing.TB, eo envOpts) *testEnv {
	t.Helper()
	so := store.Options{Dir: t.TempDir(), NoSync: true, Logger: quiet}
	if eo.store != nil {
		eo.store(&so)
	}
	n, err := store.Open(so)
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, node: n}
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ssrv := wire.NewServer(n, quiet)
	if eo.storeServer != nil {
		eo.storeServer(ssrv, n)
	}
	go func() { _ = ssrv.Serve(sln) }()
	e.storeURL = "http://" + sln.Addr().String()

	var be Backend = &StoreBackend{Node: n, Logger: quiet}
	var hb *HTTPBackend
	if eo.remote {
		ho := HTTPOptions{URL: e.storeURL, Timeout: 5 * time.Second}
		if eo.http != nil {
			eo.http(&ho)
		}
		if hb, err = NewHTTPBackend(ho); err != nil {
			t.Fatal(err)
		}
		be = hb
	}
	if eo.wrap != nil {
		be = eo.wrap(be)
	}
	opts := Options{Backend: be, ItemTTL: DefaultTTL, QueryTTL: DefaultTTL, Logger: quiet}
	if eo.clock {
		e.clock = &testClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		opts.Now = e.clock.Now
	}
	if eo.mut != nil {
		eo.mut(&opts)
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.p = p
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	psrv := p.Server()
	go func() { _ = psrv.Serve(pln) }()
	e.proxyURL = "http://" + pln.Addr().String()
	var ptr, str *http.Transport
	e.c, ptr = newClient(e.proxyURL)
	e.direct, str = newClient(e.storeURL)
	t.Cleanup(func() {
		ptr.CloseIdleConnections()
		str.CloseIdleConnections()
		rawTransport.CloseIdleConnections()
		_ = psrv.Shutdown()
		_ = ssrv.Shutdown()
		if hb != nil {
			hb.Close()
		}
		p.Close()
		_ = n.Close()
	})
	return e
}

// newClient returns an SDK client for url (static credentials, no retries).
func newClient(url string) (*dynamodb.Client, *http.Transport) {
	tr := &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	return dynamodb.New(dynamodb.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: ownBody{tr}},
	}), tr
}

// ownBody hands the transport a private copy of each request body (see
// store/harness_test.go: aws-sdk-go-v2#2737).
type ownBody struct{ rt http.RoundTripper }

func (o ownBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	return o.rt.RoundTrip(r)
}

var rawTransport = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
var rawClient = &http.Client{Transport: rawTransport, Timeout: 30 * time.Second}

// rawResp is an HTTP answer.
type rawResp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r rawResp) cache() string { return r.Header.Get("x-dynax-cache") }

// post sends a DynamoDB call to url and checks the answer's x-amz-crc32.
func post(t testing.TB, url, op, body string) rawResp {
	t.Helper()
	target := wire.PrefixDynamoDB + "." + op
	if strings.Contains(op, ".") {
		target = op
	}
	req, err := http.NewRequest("POST", url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=abc")
	resp, err := rawClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if crc := resp.Header.Get("x-amz-crc32"); crc != strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10) {
		t.Fatalf("%s: x-amz-crc32 %s does not match the body %s", op, crc, b)
	}
	return rawResp{resp.StatusCode, resp.Header, b}
}

// ok posts through the proxy and fails the test on an error answer.
func (e *testEnv) ok(op, body string) rawResp {
	e.t.Helper()
	r := post(e.t, e.proxyURL, op, body)
	if r.Status != 200 {
		e.t.Fatalf("%s %s: %d %s", op, body, r.Status, r.Body)
	}
	return r
}

// storeOK posts straight to the store.
func (e *testEnv) storeOK(op, body string) rawResp {
	e.t.Helper()
	r := post(e.t, e.storeURL, op, body)
	if r.Status != 200 {
		e.t.Fatalf("store %s %s: %d %s", op, body, r.Status, r.Body)
	}
	return r
}

// createTable creates a table with a string hash key pk and, when rng is
// not "", a range key of that name and type.
func (e *testEnv) createTable(name, rng, rngType string) {
	e.t.Helper()
	ks := `[{"AttributeName":"pk","KeyType":"HASH"}`
	ad := `[{"AttributeName":"pk","AttributeType":"S"}`
	if rng != "" {
		ks += `,{"AttributeName":"` + rng + `","KeyType":"RANGE"}`
		ad += `,{"AttributeName":"` + rng + `","AttributeType":"` + rngType + `"}`
	}
	e.ok("CreateTable", `{"TableName":"`+name+`","BillingMode":"PAY_PER_REQUEST","KeySchema":`+ks+`],"AttributeDefinitions":`+ad+`]}`)
}

// item decodes the Item member of a GetItem answer (nil when absent).
func itemOf(t testing.TB, body []byte) ddb.Item {
	t.Helper()
	var out struct{ Item *ddb.ItemJSON }
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("bad answer %s: %v", body, err)
	}
	if out.Item == nil {
		return nil
	}
	return out.Item.Item
}

// mustItem decodes item JSON.
func mustItem(t testing.TB, js string) ddb.Item {
	t.Helper()
	it, err := ddb.DecodeItem([]byte(js))
	if err != nil {
		t.Fatalf("item %s: %v", js, err)
	}
	return it
}

func itemsEqual(a, b ddb.Item) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	return ddb.Equal(ddb.M(a), ddb.M(b))
}

func show(it ddb.Item) string {
	if it == nil {
		return "<none>"
	}
	return string(ddb.AppendItem(nil, it))
}

// sdk helpers

func sv(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func nv(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }

var bg = context.Background()
