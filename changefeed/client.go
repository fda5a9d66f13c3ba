package changefeed

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/ddb/wire"
)

// Client is a Source that reads a remote dynax store's feed over HTTP.
type Client struct {
	url  string
	http *fasthttp.Client
}

// NewClient returns a Client for the store at url (http://host:port).
func NewClient(url string) *Client {
	return &Client{url: strings.TrimRight(url, "/") + "/", http: &fasthttp.Client{
		Name:                "dynax-changefeed",
		MaxIdleConnDuration: time.Minute,
	}}
}

// Head implements Source.
func (c *Client) Head(ctx context.Context) (uint64, error) {
	body, err := c.call(ctx, OpGetHead, []byte(`{}`), 10*time.Second)
	if err != nil {
		return 0, err
	}
	return DecodeHead(body)
}

// Read implements Source.
func (c *Client) Read(ctx context.Context, req Request) (Batch, error) {
	body, err := c.call(ctx, OpGetChanges, EncodeRequest(req), req.Wait+10*time.Second)
	if err != nil {
		return Batch{}, err
	}
	return DecodeBatch(body)
}

// call posts one operation and returns the body of a 200 answer.
func (c *Client) call(ctx context.Context, op string, body []byte, timeout time.Duration) ([]byte, error) {
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Not pooled: on cancellation the call returns while the request
	// still runs (up to timeout) in the background.
	req, resp := &fasthttp.Request{}, &fasthttp.Response{}
	req.SetRequestURI(c.url)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", wire.PrefixFeed+"."+op)
	// The store checks the shape of a SigV4 header.
	now := time.Now().UTC()
	req.Header.Set("X-Amz-Date", now.Format("20060102T150405Z"))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=dynax/"+now.Format("20060102")+
		"/"+wire.DefaultRegion+"/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0")
	req.SetBody(body)
	done := make(chan error, 1)
	go func() { done <- c.http.DoTimeout(req, resp, timeout) }()
	select {
	case err := <-done:
		if err != nil {
			return nil, fmt.Errorf("changefeed: %s %s: %w", c.url, op, err)
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if resp.StatusCode() != 200 {
		return nil, fmt.Errorf("changefeed: %s %s: HTTP %d: %s", c.url, op, resp.StatusCode(), resp.Body())
	}
	return resp.Body(), nil
}
