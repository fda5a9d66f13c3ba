// Package bench measures DynamoDB endpoints end to end with a lean HTTP
// client: closed-loop workers send pre-built requests over keep-alive
// connections and record every latency, so percentiles are exact.
//
// The client costs a few microseconds per call, far less than the AWS SDK,
// so the figures describe the server, not the client.
package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
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
	hc   *fasthttp.HostClient
	host string
}

// NewClient returns a client for endpoint ("http://host:port").
func NewClient(endpoint string, conns int) (*Client, error) {
	uri := fasthttp.AcquireURI()
	defer fasthttp.ReleaseURI(uri)
	if err := uri.Parse(nil, []byte(endpoint)); err != nil {
		return nil, fmt.Errorf("bench: endpoint %q: %w", endpoint, err)
	}
	host := string(uri.Host())
	return &Client{host: host, hc: &fasthttp.HostClient{Addr: host, MaxConns: conns, ReadTimeout: 30 * time.Second}}, nil
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
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+r.Operation)
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	req.Header.Set("Authorization", authHeader)
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

// Call sends r and returns the status and the response body, which is
// valid until the next call.
func (s *Session) Call(r Request) (int, []byte, error) {
	s.c.fill(s.req, r)
	if err := s.c.hc.Do(s.req, s.resp); err != nil {
		return 0, nil, err
	}
	return s.resp.StatusCode(), s.resp.Body(), nil
}

// Single returns the Op that sends gen's request once and expects HTTP 200.
func Single(gen func(rng *rand.Rand) Request) Op {
	return func(s *Session, rng *rand.Rand) error {
		status, body, err := s.Call(gen(rng))
		if err != nil {
			return err
		}
		if status != 200 {
			return fmt.Errorf("status %d: %s", status, body)
		}
		return nil
	}
}

// Run drives c with concurrency closed-loop workers running op for d, and
// records the latency of every operation.
func Run(name string, c *Client, concurrency int, d time.Duration, op Op) Result {
	lat := make([][]time.Duration, concurrency)
	errs := make([]int, concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w)+1, 42))
			s := &Session{c: c, req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse()}
			defer fasthttp.ReleaseRequest(s.req)
			defer fasthttp.ReleaseResponse(s.resp)
			local := make([]time.Duration, 0, 1<<16)
			for {
				t0 := time.Now()
				if t0.After(deadline) {
					break
				}
				err := op(s, rng)
				local = append(local, time.Since(t0))
				if err != nil {
					errs[w]++
				}
			}
			lat[w] = local
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	res := Result{Name: name, Elapsed: elapsed}
	for w := range lat {
		all = append(all, lat[w]...)
		res.Errors += errs[w]
	}
	slices.Sort(all)
	res.Ops = len(all)
	res.Throughput = float64(len(all)) / elapsed.Seconds()
	if len(all) > 0 {
		pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
		res.P50, res.P90, res.P99, res.P999, res.Max = pct(0.50), pct(0.90), pct(0.99), pct(0.999), all[len(all)-1]
	}
	return res
}
