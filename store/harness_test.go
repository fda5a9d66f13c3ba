package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"

	"github.com/dynax/dynax/ddb/wire"
)

// testServer is a real node behind a real fasthttp server on a random
// loopback port, with an AWS SDK client pointed at it.
type testServer struct {
	Node *Node
	// URL is where clients go (the proxy in front of the node when the
	// suite runs via DYNAX_TEST_VIA_PROXY), Direct the node's own listener.
	URL    string
	Direct string
	Client *dynamodb.Client
}

func newTestServer(t testing.TB) *testServer {
	t.Helper()
	return newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true})
}

func newTestServerOpts(t testing.TB, opts Options) *testServer {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	n, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := wire.NewServer(n, opts.Logger)
	go func() { _ = srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	direct := url
	if bin := os.Getenv("DYNAX_TEST_VIA_PROXY"); bin != "" {
		url = startProxy(t, bin, url)
	}
	client, tr := newClientTransport(url)
	t.Cleanup(func() {
		// Idle keep-alive connections would hold up the server's shutdown.
		tr.CloseIdleConnections()
		_ = srv.Shutdown()
		_ = n.Close()
	})
	return &testServer{Node: n, URL: url, Direct: direct, Client: client}
}

// startProxy runs `bin proxy` in front of backend and returns its URL.
// DYNAX_TEST_VIA_PROXY=path/to/dynax runs the whole store suite through the
// caching proxy, which must be invisible except for speed (`make test` does).
func startProxy(t testing.TB, bin, backend string) string {
	t.Helper()
	cmd := exec.Command(bin, "proxy", "--listen", "127.0.0.1:0", "--backend", backend, "--log-level", "info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := proxyAddrRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-found:
		return "http://" + addr
	case <-time.After(20 * time.Second):
		t.Fatal("dynax proxy did not report its address")
	}
	return ""
}

var proxyAddrRE = regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)

// newClientTransport returns an SDK client for url with static credentials
// and no retries, and its transport.
func newClientTransport(url string) (*dynamodb.Client, *http.Transport) {
	tr := &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	return dynamodb.New(dynamodb.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: ownBody{tr}},
	}), tr
}

// ownBody hands the transport a private copy of each request body. The SDK
// closes a request's body as soon as the response arrives, and net/http's
// write loop may still read it then (to confirm EOF); the failed read makes
// it close the connection under the response being read, which the SDK
// reports as "use of closed network connection" (aws/aws-sdk-go-v2#2737).
// Retries hide that in applications; tests run without retries.
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

// apiErr returns the error code and message of an SDK error, failing the
// test if err is not an API error.
func apiErr(t testing.TB, err error) (code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error, got %v", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

// wantErr asserts err is the API error code with message msg.
func wantErr(t testing.TB, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s %q, got success", code, msg)
	}
	c, m := apiErr(t, err)
	if c != code || m != msg {
		t.Fatalf("got %s %q\nwant %s %q", c, m, code, msg)
	}
}

var bg = context.Background()
