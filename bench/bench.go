// Package bench measures DynamoDB endpoints end to end with a lean HTTP
// client: closed-loop workers send pre-built requests over keep-alive
// connections and record every latency, so percentiles are exact.
//
// The client costs a few microseconds per call, far less than the AWS SDK,
// so the figures describe the server, not the client.
package bench

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Request is one prepared API call.
type Request struct {
	Operation string
	Body      []byte
}

// Client sends DynamoDB API calls to one endpoint over keep-alive connections.
type Client struct {
	hc       *fasthttp.HostClient
	host     string
	endpoint string
	// Signer, when set, signs every request with SigV4; when nil requests
	// carry a well-formed dummy signature (enough for loopback nodes).
	Signer *Signer
	// Name labels the client's results in reports and plots (default: the
	// endpoint URL).
	Name string
	// nodes, for a spread client (NewSpread): each call goes to one of
	// them, chosen at random.
	nodes []*Client
}

// NewClient returns a client for endpoint ("http://host:port").
func NewClient(endpoint string, conns int) (*Client, error) {
	uri := fasthttp.AcquireURI()
	defer fasthttp.ReleaseURI(uri)
	if err := uri.Parse(nil, []byte(endpoint)); err != nil {
		return nil, fmt.Errorf("bench: endpoint %q: %w", endpoint, err)
	}
	host := string(uri.Host())
	addr := host
	tls := string(uri.Scheme()) == "https"
	if !strings.Contains(addr, ":") {
		if tls {
			addr += ":443"
		} else {
			addr += ":80"
		}
	}
	return &Client{host: host, endpoint: strings.TrimSuffix(endpoint, "/"), hc: &fasthttp.HostClient{Addr: addr, IsTLS: tls, MaxConns: conns, ReadTimeout: 30 * time.Second}}, nil
}

// Endpoint returns the endpoint URL the client was made for.
func (c *Client) Endpoint() string { return c.endpoint }

// Label returns Name, or the endpoint URL when it has none.
func (c *Client) Label() string {
	if c.Name != "" {
		return c.Name
	}
	return c.endpoint
}

// Get sends GET path and returns the status and a copy of the body.
func (c *Client) Get(path string) (int, []byte, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + c.host + path)
	req.Header.SetHost(c.host)
	if err := c.hc.DoTimeout(req, resp, 5*time.Second); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
}

// authHeader is a well-formed SigV4 Authorization header. Loopback nodes
// accept any well-formed signature.
const authHeader = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000"

// Do sends r and returns the HTTP status and a copy of the body.
func (c *Client) Do(r Request) (int, []byte, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	c.fill(req, r)
	if err := c.hc.Do(req, resp); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
}

func (c *Client) fill(req *fasthttp.Request, r Request) {
	req.Header.SetMethod("POST")
	req.SetRequestURI("http://" + c.host + "/")
	req.Header.SetHost(c.host)
	req.Header.SetContentType("application/x-amz-json-1.0")
	target := "DynamoDB_20120810." + r.Operation
	req.Header.Set("X-Amz-Target", target)
	if c.Signer != nil {
		date, tok, auth := c.Signer.Sign(c.host, target, r.Body)
		req.Header.Set("X-Amz-Date", date)
		if tok != "" {
			req.Header.Set("X-Amz-Security-Token", tok)
		}
		req.Header.Set("Authorization", auth)
	} else {
		req.Header.Set("X-Amz-Date", "20260101T000000Z")
		req.Header.Set("Authorization", authHeader)
	}
	req.SetBodyRaw(r.Body)
}

// Result summarizes one closed-loop run.
type Result struct {
	Name                     string
	Ops                      int
	Errors                   int
	Elapsed                  time.Duration
	Throughput               float64 // operations per second
	P50, P90, P99, P999, Max time.Duration
}

// String renders one table row.
func (r Result) String() string {
	us := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) }
	return fmt.Sprintf("%-34s %9d ops %10.0f ops/s  p50 %7s µs  p90 %7s µs  p99 %7s µs  p99.9 %7s µs  max %8s µs  errors %d",
		r.Name, r.Ops, r.Throughput, us(r.P50), us(r.P90), us(r.P99), us(r.P999), us(r.Max), r.Errors)
}

// Op is one measured operation: it may make several calls (a Scan that
// follows pages). It returns an error when the operation failed.
type Op func(s *Session, rng *rand.Rand) error

// Session is one worker's connection state; its request and response
// objects are reused across calls.
type Session struct {
	c    *Client
	req  *fasthttp.Request
	resp *fasthttp.Response
}

// NewSession returns a session on c for calls made outside Drive's own
// sessions (its request and response are never released).
func NewSession(c *Client) *Session {
	return &Session{c: c, req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse()}
}

// Call sends r and returns the status and the response body, which is
// valid until the next call.
func (s *Session) Call(r Request) (int, []byte, error) {
	c := s.c.pick()
	c.fill(s.req, r)
	s.resp.Reset()
	if err := c.hc.Do(s.req, s.resp); err != nil {
		return 0, nil, err
	}
	return s.resp.StatusCode(), s.resp.Body(), nil
}

// CacheState classifies the last answer by a dynax proxy's headers:
// "hit" (served from the receiving node's cache), "forwarded-hit" (from
// its owner's, in a cache cluster), "miss", "bypass", or "" (no proxy).
func (s *Session) CacheState() string {
	c := string(s.resp.Header.Peek("x-dynax-cache"))
	if c == "hit" && len(s.resp.Header.Peek("x-dynax-forwarded")) > 0 {
		return "forwarded-hit"
	}
	return c
}

// APIError is a non-200 answer; Type is the DynamoDB error name
// (the __type after '#'), or "HTTP<status>" when the body has none.
type APIError struct {
	Status int
	Type   string
}

func (e *APIError) Error() string { return fmt.Sprintf("%s (HTTP %d)", e.Type, e.Status) }

// apiError builds the APIError of a non-200 answer.
func apiError(status int, body []byte) *APIError {
	t := "HTTP" + strconv.Itoa(status)
	if i := bytes.Index(body, []byte(`"__type"`)); i >= 0 {
		rest := body[i+len(`"__type"`):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			rest = rest[j+1:]
			if k := bytes.IndexByte(rest, '"'); k >= 0 {
				name := rest[:k]
				if h := bytes.LastIndexByte(name, '#'); h >= 0 {
					name = name[h+1:]
				}
				if len(name) > 0 {
					t = string(name)
				}
			}
		}
	}
	return &APIError{Status: status, Type: t}
}

// ErrorType classifies err for reports: the DynamoDB error name of an
// APIError, "transport" for anything else.
func ErrorType(err error) string {
	if e, ok := err.(*APIError); ok {
		return e.Type
	}
	if e, ok := err.(*checkError); ok {
		return e.kind
	}
	if t, ok := sdkErrorType(err); ok {
		return t
	}
	return "transport"
}

// checkError is a successful call whose answer the bench finds wrong.
type checkError struct{ kind, msg string }

func (e *checkError) Error() string { return e.kind + ": " + e.msg }

// Single returns the Op that sends gen's request once and expects HTTP 200.
func Single(gen func(rng *rand.Rand) Request) Op {
	return func(s *Session, rng *rand.Rand) error {
		status, body, err := s.Call(gen(rng))
		if err != nil {
			return err
		}
		if status != 200 {
			return apiError(status, body)
		}
		return nil
	}
}

// Run drives c with concurrency closed-loop workers running op for d and
// summarizes the run (a shorthand for Drive with one operation).
func Run(name string, c *Client, concurrency int, d time.Duration, op Op) Result {
	st := Drive(c, Load{Concurrency: concurrency, Duration: d}, func(w int) Worker { return MicroWorker(name, op, 42, w) })
	all := st.All()
	h := &all.Hist
	res := Result{Name: name, Ops: int(h.Count()), Elapsed: st.Elapsed, Throughput: float64(h.Count()) / st.Elapsed.Seconds()}
	for _, n := range all.Errors {
		res.Errors += int(n)
	}
	q := func(p float64) time.Duration { return time.Duration(h.Quantile(p)) }
	res.P50, res.P90, res.P99, res.P999, res.Max = q(0.5), q(0.9), q(0.99), q(0.999), time.Duration(h.Max())
	return res
}
