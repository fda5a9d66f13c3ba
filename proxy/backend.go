package proxy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/backend"
	"github.com/dynax/dynax/ddb/wire"
)

// Call is one DynamoDB API call sent to a backend (backend.Call).
type Call = backend.Call

// Backend answers DynamoDB API calls (backend.Backend): the in-process
// storage node (package storebackend, wired in cmd), a remote dynax store,
// real DynamoDB or any DynamoDB-compatible endpoint (HTTPBackend).
type Backend = backend.Backend

// HTTPOptions configures an HTTPBackend.
type HTTPOptions struct {
	// URL is the backend endpoint, e.g. http://127.0.0.1:8001 or
	// https://dynamodb.eu-west-1.amazonaws.com.
	URL string
	// StreamsURL serves the DynamoDB Streams API (target prefix
	// DynamoDBStreams_20120810). Default: URL, or for an AWS endpoint
	// dynamodb.<region>.amazonaws.com its streams.dynamodb twin.
	StreamsURL string
	// Credentials sign requests with SigV4 (real DynamoDB). Nil: requests
	// carry a well-formed signature in the caller's credential scope that
	// no one can verify (dynax store, DynamoDB Local, dynalite).
	Credentials aws.CredentialsProvider
	// Region is the signing region (with Credentials).
	Region string
	// Timeout bounds one call. Default 10s.
	Timeout time.Duration
	// MaxConns bounds the connections per backend host. Default 1024.
	MaxConns int
}

// HTTPBackend forwards calls to a DynamoDB endpoint over HTTP.
type HTTPBackend struct {
	opts    HTTPOptions
	main    *endpoint
	streams *endpoint
	signer  *v4.Signer
}

type endpoint struct {
	url    string
	host   string
	client *fasthttp.HostClient
}

func newEndpoint(raw string, maxConns int, timeout time.Duration) (*endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("backend URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("backend URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("backend URL %q: no host", raw)
	}
	addr := u.Host
	if u.Port() == "" {
		if u.Scheme == "https" {
			addr += ":443"
		} else {
			addr += ":80"
		}
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	return &endpoint{
		url:  u.Scheme + "://" + u.Host + path,
		host: u.Host,
		client: &fasthttp.HostClient{
			Addr:         addr,
			IsTLS:        u.Scheme == "https",
			MaxConns:     maxConns,
			ReadTimeout:  timeout,
			WriteTimeout: timeout,
			// Below Node's 5 s keep-alive timeout (dynalite, DynamoDB
			// Local behind proxies), so an idle connection is not reused
			// just as the server closes it.
			MaxIdleConnDuration:           4 * time.Second,
			RetryIfErr:                    func(req *fasthttp.Request, _ int, _ error) (bool, bool) { return false, retryable(req) },
			NoDefaultUserAgentHeader:      true,
			DisableHeaderNamesNormalizing: true,
			MaxResponseBodySize:           64 << 20,
		},
	}, nil
}

// retryable reports whether a request that failed on a reused connection
// before any answer may be sent again: only reads (a write might have been
// applied).
func retryable(req *fasthttp.Request) bool {
	t := req.Header.Peek("X-Amz-Target")
	if i := strings.IndexByte(string(t), '.'); i >= 0 {
		op := string(t[i+1:])
		return readOnlyOp(op)
	}
	return false
}

func readOnlyOp(op string) bool {
	switch op {
	case "GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems":
		return true
	}
	return strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "List") ||
		op == "GetRecords" || op == "GetShardIterator"
}

// NewHTTPBackend returns a backend for opts.URL.
func NewHTTPBackend(opts HTTPOptions) (*HTTPBackend, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 1024
	}
	main, err := newEndpoint(opts.URL, opts.MaxConns, opts.Timeout)
	if err != nil {
		return nil, err
	}
	b := &HTTPBackend{opts: opts, main: main, streams: main}
	surl := opts.StreamsURL
	if surl == "" {
		surl = awsStreamsURL(opts.URL)
	}
	if surl != "" {
		if b.streams, err = newEndpoint(surl, opts.MaxConns, opts.Timeout); err != nil {
			return nil, err
		}
	}
	if opts.Credentials != nil {
		if opts.Region == "" {
			return nil, errors.New("signing requests needs a region")
		}
		b.signer = v4.NewSigner()
	}
	return b, nil
}

// awsStreamsURL maps https://dynamodb.<region>.amazonaws.com[.cn] to its
// Streams endpoint; "" for anything else.
func awsStreamsURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	h := u.Hostname()
	if strings.HasPrefix(h, "dynamodb.") && (strings.HasSuffix(h, ".amazonaws.com") || strings.HasSuffix(h, ".amazonaws.com.cn")) {
		return u.Scheme + "://streams." + u.Host
	}
	return ""
}

// Known implements Backend: every operation goes to the backend, which
// answers unknown ones itself.
func (b *HTTPBackend) Known(prefix, op string) bool { return true }

// IsLoopback reports whether a backend URL names this machine.
func IsLoopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Do implements Backend.
func (b *HTTPBackend) Do(ctx context.Context, c *Call) (int, []byte, error) {
	ep := b.main
	if c.Prefix == wire.PrefixStreams {
		ep = b.streams
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(ep.url)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetHost(ep.host)
	req.Header.SetContentType("application/x-amz-json-1.0")
	target := c.Prefix + "." + c.Operation
	req.Header.Set("X-Amz-Target", target)
	req.SetBodyRaw(c.Body)
	if err := b.sign(ctx, req, ep, target, c); err != nil {
		return 0, nil, err
	}
	deadline := time.Now().Add(b.opts.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := ep.client.DoDeadline(req, resp, deadline); err != nil {
		return 0, nil, err
	}
	var body []byte
	if enc := resp.Header.ContentEncoding(); len(enc) > 0 {
		var err error
		if body, err = resp.BodyUncompressed(); err != nil {
			return 0, nil, fmt.Errorf("backend answer: %w", err)
		}
		body = append([]byte(nil), body...)
	} else {
		body = append([]byte(nil), resp.Body()...)
	}
	return resp.StatusCode(), body, nil
}

// amzDate caches the X-Amz-Date text of the current second.
type amzDate struct {
	sec  int64
	text string
}

var curDate atomic.Pointer[amzDate]

func amzDateNow() string {
	now := time.Now().UTC()
	if d := curDate.Load(); d != nil && d.sec == now.Unix() {
		return d.text
	}
	d := &amzDate{sec: now.Unix(), text: now.Format("20060102T150405Z")}
	curDate.Store(d)
	return d.text
}

// unsignedSignature is the placeholder signature of unsigned forwarding.
const unsignedSignature = "0000000000000000000000000000000000000000000000000000000000000000"

func (b *HTTPBackend) sign(ctx context.Context, req *fasthttp.Request, ep *endpoint, target string, c *Call) error {
	if b.signer == nil {
		// A loopback or compatible backend checks the shape of the
		// signature, not its value: send a well-formed one in the caller's
		// credential scope (its region names ARNs).
		date := amzDateNow()
		region, ak := c.Region, c.AccessKey
		if region == "" {
			region = wire.DefaultRegion
		}
		if ak == "" {
			ak = "dynax-proxy"
		}
		req.Header.Set("X-Amz-Date", date)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+ak+"/"+date[:8]+"/"+region+
			"/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="+unsignedSignature)
		return nil
	}
	creds, err := b.opts.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("backend credentials: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, nil)
	if err != nil {
		return err
	}
	hreq.Host = ep.host
	hreq.Header.Set("Content-Type", "application/x-amz-json-1.0")
	hreq.Header.Set("X-Amz-Target", target)
	sum := sha256.Sum256(req.Body())
	if err := b.signer.SignHTTP(ctx, creds, hreq, hex.EncodeToString(sum[:]), "dynamodb", b.opts.Region, time.Now()); err != nil {
		return fmt.Errorf("sign backend request: %w", err)
	}
	for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
		if v := hreq.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	return nil
}

// Close releases the backend's idle connections.
func (b *HTTPBackend) Close() {
	b.main.client.CloseIdleConnections()
	if b.streams != b.main {
		b.streams.client.CloseIdleConnections()
	}
}
