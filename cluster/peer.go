package cluster

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// The peer protocol: HTTP/1.1 on the peer address, never a DynamoDB
// endpoint. Every request but GET /peer/v1/health carries the header
// X-Dynax-Peer-Auth: hex(HMAC-SHA256(secret, "dynax-peer/v1\n"+cluster)),
// compared in constant time; anything else is refused with 403 before it
// is read. Messages:
//
//	POST /peer/v1/read        a forwarded GetItem or BatchGetItem (the
//	                          caller's body; X-Dynax-Op, X-Dynax-Region,
//	                          X-Dynax-Access-Key, X-Dynax-Request-Id), answered
//	                          200 with the DynamoDB answer as the body, its
//	                          status in X-Dynax-Status and the cache outcome in
//	                          X-Dynax-Cache
//	POST /peer/v1/invalidate  an Invalidation (JSON), answered 204 once applied
//	GET  /peer/v1/health      200 {"id":…,"cluster":…}, no secret needed

const (
	pathRead       = "/peer/v1/read"
	pathInvalidate = "/peer/v1/invalidate"
	pathHealth     = "/peer/v1/health"
	hdrAuth        = "X-Dynax-Peer-Auth"
	hdrOp          = "X-Dynax-Op"
	hdrRegion      = "X-Dynax-Region"
	hdrAccessKey   = "X-Dynax-Access-Key"
	hdrRequestID   = "X-Dynax-Request-Id"
	hdrStatus      = "X-Dynax-Status"
	hdrCache       = "X-Dynax-Cache"
)

// MinSecretLen is the shortest accepted cluster secret.
const MinSecretLen = 16

// PeerRead is a cacheable read forwarded to the key's owner.
type PeerRead struct {
	// Operation is "GetItem" or "BatchGetItem".
	Operation string
	// Body is the DynamoDB request body.
	Body []byte
	// Region, AccessKey and RequestID are the caller's.
	Region, AccessKey, RequestID string
}

// Bump is a query-cache generation bump: a write to a table's partition.
type Bump struct {
	Table     string `json:"t"`
	Partition []byte `json:"p"`
}

// Invalidation is what a write through one member tells the others.
type Invalidation struct {
	// Keys are item-cache keys the receiver owns whose entries must go
	// (any fill or write of them in flight must not install afterwards).
	Keys [][]byte `json:"k,omitempty"`
	// Bumps advance query-cache generations.
	Bumps []Bump `json:"b,omitempty"`
	// Tables lose every cached item and query.
	Tables []string `json:"t,omitempty"`
}

// Empty reports whether inv carries nothing.
func (inv *Invalidation) Empty() bool {
	return len(inv.Keys) == 0 && len(inv.Bumps) == 0 && len(inv.Tables) == 0
}

// PeerHandler is the cache node behind a peer server (the proxy).
type PeerHandler interface {
	// ServePeerRead answers a read another member forwarded because it
	// believes this node owns the keys. It answers from the local cache
	// (filling it on a miss) only for keys this node owns and has settled
	// by its own view; other keys are read from the backend and not
	// cached. It never forwards the read again. It returns the DynamoDB
	// status and body, and the cache outcome ("hit", "miss", "bypass").
	ServePeerRead(ctx context.Context, r *PeerRead) (status int, body []byte, cache string)
	// ApplyInvalidation applies inv before returning: afterwards no entry
	// for inv.Keys is cached, no fill or write of them begun earlier
	// installs, and the generations of inv.Bumps and inv.Tables have
	// advanced.
	ApplyInvalidation(inv *Invalidation)
}

// Token returns the value of the peer authentication header for a secret
// and cluster name.
func Token(secret, cluster string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("dynax-peer/v1\n" + cluster))
	return hex.EncodeToString(mac.Sum(nil))
}

// PeerServerOptions configures a PeerServer.
type PeerServerOptions struct {
	// Secret is the cluster secret (at least MinSecretLen bytes). Required.
	Secret string
	// Cluster is the cluster name (part of the token). Default DefaultCluster.
	Cluster string
	// ID is reported by the health check.
	ID string
	// Handler answers reads and applies invalidations. Required.
	Handler PeerHandler
	// Logger. Default slog.Default().
	Logger *slog.Logger
}

// PeerServer serves the peer protocol.
type PeerServer struct {
	opts  PeerServerOptions
	token []byte
	srv   *fasthttp.Server
	log   *slog.Logger

	reads, invalidations, refused atomic.Uint64
}

// NewPeerServer returns a peer server.
func NewPeerServer(o PeerServerOptions) (*PeerServer, error) {
	if len(o.Secret) < MinSecretLen {
		return nil, fmt.Errorf("%w: the cluster secret needs at least %d bytes", ErrBadOptions, MinSecretLen)
	}
	if o.Handler == nil {
		return nil, fmt.Errorf("%w: PeerServerOptions.Handler is required", ErrBadOptions)
	}
	if o.Cluster == "" {
		o.Cluster = DefaultCluster
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &PeerServer{opts: o, token: []byte(Token(o.Secret, o.Cluster)), log: o.Logger}
	s.srv = &fasthttp.Server{
		Handler:               s.serve,
		Name:                  "dynax-peer",
		MaxRequestBodySize:    32 << 20,
		NoDefaultContentType:  true,
		CloseOnShutdown:       true,
		IdleTimeout:           2 * time.Minute,
		DisableKeepalive:      false,
		NoDefaultServerHeader: true,
	}
	return s, nil
}

// Serve serves ln until Close.
func (s *PeerServer) Serve(ln net.Listener) error { return s.srv.Serve(ln) }

// Close stops the server.
func (s *PeerServer) Close() error { return s.srv.Shutdown() }

// PeerServerStats are the server's counters.
type PeerServerStats struct{ Reads, Invalidations, Refused uint64 }

// Stats returns the counters.
func (s *PeerServer) Stats() PeerServerStats {
	return PeerServerStats{Reads: s.reads.Load(), Invalidations: s.invalidations.Load(), Refused: s.refused.Load()}
}

func (s *PeerServer) serve(ctx *fasthttp.RequestCtx) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("cluster: panic in peer server", "panic", r)
			ctx.Error("internal error", fasthttp.StatusInternalServerError)
		}
	}()
	path := string(ctx.Path())
	if path == pathHealth && ctx.IsGet() {
		ctx.SetContentType("application/json")
		b, _ := json.Marshal(map[string]string{"id": s.opts.ID, "cluster": s.opts.Cluster})
		ctx.SetBody(b)
		return
	}
	if !hmac.Equal(ctx.Request.Header.Peek(hdrAuth), s.token) {
		s.refused.Add(1)
		ctx.Error("forbidden: not a cluster peer", fasthttp.StatusForbidden)
		return
	}
	if !ctx.IsPost() {
		ctx.Error("not found", fasthttp.StatusNotFound)
		return
	}
	switch path {
	case pathRead:
		s.reads.Add(1)
		h := &ctx.Request.Header
		op := string(h.Peek(hdrOp))
		if op != "GetItem" && op != "BatchGetItem" {
			ctx.Error("bad operation", fasthttp.StatusBadRequest)
			return
		}
		r := &PeerRead{Operation: op, Body: ctx.PostBody(), Region: string(h.Peek(hdrRegion)),
			AccessKey: string(h.Peek(hdrAccessKey)), RequestID: string(h.Peek(hdrRequestID))}
		status, body, cache := s.opts.Handler.ServePeerRead(ctx, r)
		ctx.Response.Header.Set(hdrStatus, strconv.Itoa(status))
		ctx.Response.Header.Set(hdrCache, cache)
		ctx.SetBody(body)
	case pathInvalidate:
		s.invalidations.Add(1)
		var inv Invalidation
		if err := json.Unmarshal(ctx.PostBody(), &inv); err != nil {
			ctx.Error("bad invalidation", fasthttp.StatusBadRequest)
			return
		}
		s.opts.Handler.ApplyInvalidation(&inv)
		ctx.SetStatusCode(fasthttp.StatusNoContent)
	default:
		ctx.Error("not found", fasthttp.StatusNotFound)
	}
}

// PeerClientOptions configures a PeerClient.
type PeerClientOptions struct {
	// Secret and Cluster make the authentication token. Secret required.
	Secret, Cluster string
	// Timeout bounds one peer call. Default 1s.
	Timeout time.Duration
	// MaxConns bounds the connections per peer. Default 256.
	MaxConns int
	// TLS, when set, makes peer calls over HTTPS with this client
	// configuration (the members' --tls-cert). Default nil: plain HTTP.
	TLS *tls.Config
}

// PeerClient calls other members over pooled keep-alive connections.
type PeerClient struct {
	opts  PeerClientOptions
	token string

	mu    sync.Mutex
	hosts map[string]*fasthttp.HostClient

	reads, readFailures, invalidations, invalidationFailures atomic.Uint64
}

// NewPeerClient returns a peer client.
func NewPeerClient(o PeerClientOptions) (*PeerClient, error) {
	if len(o.Secret) < MinSecretLen {
		return nil, fmt.Errorf("%w: the cluster secret needs at least %d bytes", ErrBadOptions, MinSecretLen)
	}
	if o.Cluster == "" {
		o.Cluster = DefaultCluster
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 256
	}
	return &PeerClient{opts: o, token: Token(o.Secret, o.Cluster), hosts: map[string]*fasthttp.HostClient{}}, nil
}

func (c *PeerClient) host(addr string) *fasthttp.HostClient {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.hosts[addr]
	if h == nil {
		h = &fasthttp.HostClient{
			Addr:                          addr,
			MaxConns:                      c.opts.MaxConns,
			ReadTimeout:                   c.opts.Timeout,
			WriteTimeout:                  c.opts.Timeout,
			MaxIdleConnDuration:           30 * time.Second,
			NoDefaultUserAgentHeader:      true,
			DisableHeaderNamesNormalizing: true,
			MaxResponseBodySize:           64 << 20,
			IsTLS:                         c.opts.TLS != nil,
			TLSConfig:                     c.opts.TLS,
		}
		c.hosts[addr] = h
	}
	return h
}

func (c *PeerClient) scheme() string {
	if c.opts.TLS != nil {
		return "https://"
	}
	return "http://"
}

// Forget drops the pooled connections to addr (a member that left).
func (c *PeerClient) Forget(addr string) {
	c.mu.Lock()
	h := c.hosts[addr]
	delete(c.hosts, addr)
	c.mu.Unlock()
	if h != nil {
		h.CloseIdleConnections()
	}
}

func (c *PeerClient) do(ctx context.Context, addr, path string, setup func(*fasthttp.Request), resp *fasthttp.Response) error {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI(c.scheme() + addr + path)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.Set(hdrAuth, c.token)
	setup(req)
	deadline := time.Now().Add(c.opts.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.host(addr).DoDeadline(req, resp, deadline); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUnreachable, addr, err)
	}
	switch resp.StatusCode() {
	case fasthttp.StatusForbidden:
		return fmt.Errorf("%w (%s)", ErrForbidden, addr)
	case fasthttp.StatusOK, fasthttp.StatusNoContent:
		return nil
	}
	return fmt.Errorf("%w: %s answered %d: %s", ErrPeerStatus, addr, resp.StatusCode(), resp.Body())
}

// Read forwards a read to the member at addr and returns its DynamoDB
// answer (status, body — owned by the caller) and cache outcome.
func (c *PeerClient) Read(ctx context.Context, addr string, r *PeerRead) (status int, body []byte, cache string, err error) {
	c.reads.Add(1)
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	err = c.do(ctx, addr, pathRead, func(req *fasthttp.Request) {
		req.Header.Set(hdrOp, r.Operation)
		req.Header.Set(hdrRegion, r.Region)
		req.Header.Set(hdrAccessKey, r.AccessKey)
		if r.RequestID != "" {
			req.Header.Set(hdrRequestID, r.RequestID)
		}
		req.SetBodyRaw(r.Body)
	}, resp)
	if err != nil {
		c.readFailures.Add(1)
		return 0, nil, "", err
	}
	status, err = strconv.Atoi(string(resp.Header.Peek(hdrStatus)))
	if err != nil || status < 100 {
		c.readFailures.Add(1)
		return 0, nil, "", fmt.Errorf("%w: %s: no status", ErrPeerStatus, addr)
	}
	return status, append([]byte(nil), resp.Body()...), string(resp.Header.Peek(hdrCache)), nil
}

// Invalidate sends inv to the member at addr and waits until it is applied.
func (c *PeerClient) Invalidate(ctx context.Context, addr string, inv *Invalidation) error {
	c.invalidations.Add(1)
	body, err := json.Marshal(inv)
	if err != nil {
		return fmt.Errorf("cluster: encode invalidation: %w", err)
	}
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	err = c.do(ctx, addr, pathInvalidate, func(req *fasthttp.Request) {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(body)
	}, resp)
	if err != nil {
		c.invalidationFailures.Add(1)
	}
	return err
}

// Health asks the member at addr for its health check (no secret needed)
// and returns its id.
func Health(ctx context.Context, addr string, timeout time.Duration) (string, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + addr + pathHealth)
	if err := fasthttp.DoTimeout(req, resp, timeout); err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrUnreachable, addr, err)
	}
	var h struct{ ID string }
	if resp.StatusCode() != 200 || json.Unmarshal(resp.Body(), &h) != nil {
		return "", fmt.Errorf("%w: %s health answered %d", ErrPeerStatus, addr, resp.StatusCode())
	}
	return h.ID, nil
}

// PeerClientStats are the client's counters.
type PeerClientStats struct {
	Reads, ReadFailures, Invalidations, InvalidationFailures uint64
}

// Stats returns the counters.
func (c *PeerClient) Stats() PeerClientStats {
	return PeerClientStats{Reads: c.reads.Load(), ReadFailures: c.readFailures.Load(),
		Invalidations: c.invalidations.Load(), InvalidationFailures: c.invalidationFailures.Load()}
}

// Close drops every pooled connection.
func (c *PeerClient) Close() {
	c.mu.Lock()
	hosts := c.hosts
	c.hosts = map[string]*fasthttp.HostClient{}
	c.mu.Unlock()
	for _, h := range hosts {
		h.CloseIdleConnections()
	}
}

// IsUnreachable reports whether err means the peer did not answer.
func IsUnreachable(err error) bool { return errors.Is(err, ErrUnreachable) }
