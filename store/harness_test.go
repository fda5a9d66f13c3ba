package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
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
	Node   *Node
	URL    string
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
	client, tr := newClientTransport(url)
	t.Cleanup(func() {
		// Idle keep-alive connections would hold up the server's shutdown.
		tr.CloseIdleConnections()
		_ = srv.Shutdown()
		_ = n.Close()
	})
	return &testServer{Node: n, URL: url, Client: client}
}

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
