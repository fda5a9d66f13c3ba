// Package proxy is dynax's caching proxy: a DynamoDB API endpoint (on
// ddb/wire's fasthttp server) that answers eventually consistent GetItem,
// BatchGetItem, Query and Scan from memory, writes through PutItem,
// UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems and PartiQL
// writes with coherent cache updates, and passes everything else to a
// Backend unchanged. See docs/proxy.md.
package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/auth"
	"github.com/dynax/dynax/cache"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// DefaultTTL is DAX's default for both caches (5 minutes).
const DefaultTTL = 5 * time.Minute

// DefaultCacheBytes is the default memory budget of the caches.
const DefaultCacheBytes = 256 << 20

// Options configures a Proxy. Durations mean what they say: ItemTTL 0 keeps
// items until evicted or written (as DAX), QueryTTL 0 disables the query
// cache (as DAX). Use DefaultTTL for DAX's defaults.
type Options struct {
	// Backend answers misses, writes and everything not cached. Required.
	Backend Backend
	// ItemTTL bounds the life of an item-cache entry (0: no time expiry).
	ItemTTL time.Duration
	// NegativeTTL bounds the life of a cached "not found": 0 means as
	// ItemTTL, negative means "not found" is not cached.
	NegativeTTL time.Duration
	// QueryTTL bounds the life of a query-cache entry (0: no query cache).
	QueryTTL time.Duration
	// CacheBytes is the memory budget of both caches (the query cache gets
	// a quarter of it when enabled). Default DefaultCacheBytes.
	CacheBytes int64
	// Invalidation says what a write invalidates in the query cache
	// (default cache.ModePartition).
	Invalidation cache.InvalidationMode
	// SchemaTTL is how long a learned key schema is used before it is
	// checked again in the background (DescribeTable). Default 1 minute;
	// negative: never.
	SchemaTTL time.Duration
	// Guard, when set, turns on --auth sigv4: every request's signature is
	// verified against Guard.Verifier's keys and the request authorized
	// (identity and resource policies, row-level conditions) before the
	// cache is consulted (auth.go). Default nil: any well-formed signature
	// is accepted.
	Guard *auth.Guard
	// Audit, when set, records the calls the proxy answers (package audit;
	// --audit-log). Default nil.
	Audit wire.Auditor
	// Logger receives warnings and internal errors. Default slog.Default().
	Logger *slog.Logger
	// Now returns the current time (tests). Default time.Now.
	Now func() time.Time
	// TestSkipClusterInvalidations, for tests only, skips what a write
	// through a cluster member does before it is acknowledged (the
	// owner's invalidation, the query-generation fan-out): it breaks
	// guarantee 1 of docs/cluster.md on purpose, so that tests can show
	// their history checks catch stale reads. Default false; never set it
	// otherwise (`dynax proxy` sets it only from the test-only variable
	// DYNAX_TEST_SKIP_INVALIDATIONS=1).
	TestSkipClusterInvalidations bool
}

// Proxy is the caching proxy. It implements wire.Handler; Handler returns
// the fasthttp handler that also serves GET /metrics.
type Proxy struct {
	opts    Options
	backend Backend
	log     *slog.Logger
	now     func() time.Time

	items   *cache.ItemCache
	queries *cache.QueryCache // nil: query cache disabled
	gens    *cache.Generations
	schemas *schemas
	projs   projMemo

	m    metrics
	wire *wire.Server
	cl   *clusterState // nil: no cache cluster (cluster.go)

	streams atomic.Pointer[StreamsFollower] // nil: not following DynamoDB Streams (streams_follow.go)

	remotePol *remotePolicies // nil: no authorization, or policies come from an in-process store
	decisions decisionMemo    // auth.go
}

// New returns a Proxy in front of opts.Backend.
func New(opts Options) (*Proxy, error) {
	if opts.Backend == nil {
		return nil, errors.New("proxy: Options.Backend is required")
	}
	if opts.ItemTTL < 0 || opts.QueryTTL < 0 {
		return nil, errors.New("proxy: TTLs must not be negative")
	}
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = DefaultCacheBytes
	}
	if opts.SchemaTTL == 0 {
		opts.SchemaTTL = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	// The item cache checks expiry against an injected clock on every Get;
	// without one it relies on ristretto's own expiry (one clock read less
	// on the hit path).
	injected := opts.Now
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := &Proxy{opts: opts, backend: opts.Backend, log: opts.Logger, now: opts.Now}
	itemBytes := opts.CacheBytes
	if opts.QueryTTL > 0 {
		itemBytes = opts.CacheBytes - opts.CacheBytes/4
	}
	var err error
	p.items, err = cache.NewItemCache(cache.ItemOptions{MaxBytes: itemBytes, TTL: opts.ItemTTL, NegativeTTL: opts.NegativeTTL, Now: injected})
	if err != nil {
		return nil, fmt.Errorf("proxy: item cache: %w", err)
	}
	p.gens = cache.NewGenerations(opts.Invalidation)
	if opts.QueryTTL > 0 {
		p.queries, err = cache.NewQueryCache(cache.QueryOptions{MaxBytes: opts.CacheBytes / 4, TTL: opts.QueryTTL, Now: opts.Now}, p.gens)
		if err != nil {
			p.items.Close()
			return nil, fmt.Errorf("proxy: query cache: %w", err)
		}
	}
	ttl := opts.SchemaTTL
	if ttl < 0 {
		ttl = 0
	}
	p.schemas = newSchemas(p, ttl)
	p.projs.m = map[string]*projection{}
	p.projs.seed = maphash.MakeSeed()
	p.wire = wire.NewServer(p, opts.Logger)
	if opts.Guard != nil {
		if opts.Guard.Verifier == nil {
			return nil, errors.New("proxy: Options.Guard needs a Verifier")
		}
		p.wire.Verifier = opts.Guard.Verifier
		if opts.Guard.Policies == nil {
			// A remote backend's resource policies, read through the API.
			g := *opts.Guard
			p.remotePol = newRemotePolicies(p)
			g.Policies = p.remotePol
			p.opts.Guard = &g
		}
	}
	p.wire.Audit = opts.Audit
	return p, nil
}

// Close stops the background schema refreshes (waiting for those running)
// and releases the caches.
func (p *Proxy) Close() {
	p.schemas.close()
	p.items.Close()
}

// Known implements wire.Handler.
func (p *Proxy) Known(prefix, op string) bool { return p.backend.Known(prefix, op) }

// Handler returns the proxy's fasthttp handler: GET /metrics, then the
// DynamoDB API (wire.Server).
func (p *Proxy) Handler() fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if ctx.IsGet() && string(ctx.Path()) == "/metrics" {
			ctx.Response.Header.SetContentType("text/plain; version=0.0.4; charset=utf-8")
			ctx.SetBody(p.appendMetrics(make([]byte, 0, 16<<10)))
			return
		}
		p.wire.ServeFastHTTP(ctx)
	}
}

// Server returns a fasthttp server running Handler, configured as the
// storage node's (body limits and their 413, error answers, logging to
// Options.Logger, timeouts, header spelling).
func (p *Proxy) Server() *fasthttp.Server { return p.wire.FastHTTP(p.Handler()) }

// monoBase anchors mono.
var monoBase = time.Now()

// mono reads the monotonic clock only (cheaper than time.Now), for
// latencies.
func mono() time.Duration { return time.Since(monoBase) }

// Cache header values.
const (
	hdrCache    = "x-dynax-cache"
	cacheHit    = "hit"
	cacheMiss   = "miss"
	cacheBypass = "bypass"
)

func setCache(req *wire.Request, v string) {
	if req.RespHeader != nil {
		req.RespHeader.Set(hdrCache, v)
	}
}

// ServeDynamoDB implements wire.Handler.
func (p *Proxy) ServeDynamoDB(ctx context.Context, req *wire.Request) (out []byte, err error) {
	start := mono()
	op := opIndex(req.Operation)
	if req.Prefix != wire.PrefixDynamoDB {
		op = opOther
	}
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("panic in proxy", "op", req.Operation, "panic", r)
			out, err = nil, ddb.InternalServerError("Internal server error")
		}
		p.m.total.Add(1)
		p.m.requests[op].Add(1)
		p.m.latency[op].observe(mono() - start)
		if err != nil {
			var pt *wire.Passthrough
			if errors.As(err, &pt) {
				p.m.status(pt.Status)
			} else if de, ok := ddb.AsError(err); ok {
				p.m.status(de.Status)
			} else {
				p.m.status(500)
			}
		}
	}()
	if req.Principal != nil && p.opts.Guard != nil && req.Prefix != wire.PrefixFeed {
		if err := p.authorize(ctx, req); err != nil {
			return nil, err
		}
	}
	if req.Prefix != wire.PrefixDynamoDB {
		return p.forward(ctx, req)
	}
	switch op {
	case opGetItem:
		return p.getItem(ctx, req)
	case opBatchGetItem:
		return p.batchGetItem(ctx, req)
	case opQuery, opScan:
		return p.queryScan(ctx, req, op == opScan)
	case opPutItem:
		return p.putItem(ctx, req)
	case opUpdateItem:
		return p.updateItem(ctx, req)
	case opDeleteItem:
		return p.deleteItem(ctx, req)
	case opBatchWriteItem:
		return p.batchWriteItem(ctx, req)
	case opTransactWriteItems:
		return p.transactWriteItems(ctx, req)
	case opExecuteStatement, opBatchExecuteStatement, opExecuteTransaction:
		return p.partiQL(ctx, req)
	}
	switch req.Operation {
	case "CreateTable", "DeleteTable":
		defer p.decisions.reset() // a new table may come with its own resource policy
		return p.tableChange(ctx, req, "TableName", true)
	case "UpdateTable":
		// The key schema cannot change, but indexes can: relearn them,
		// and drop cached queries (an index may be gone).
		return p.tableChange(ctx, req, "TableName", false)
	case "RestoreTableFromBackup", "RestoreTableToPointInTime":
		return p.tableChange(ctx, req, "TargetTableName", true)
	case "DescribeEndpoints":
		return p.describeEndpoints(ctx, req)
	case "PutResourcePolicy", "DeleteResourcePolicy":
		defer p.decisions.reset()
		if op := req.Operation; (op == "PutResourcePolicy" || op == "DeleteResourcePolicy") && p.remotePol != nil {
			var in struct{ ResourceArn *string }
			if ddb.Unmarshal(req.Body, &in) == nil && in.ResourceArn != nil {
				defer p.remotePol.forget(*in.ResourceArn)
			}
		}
	}
	return p.forward(ctx, req)
}

// call sends c to the backend, timing it.
func (p *Proxy) call(ctx context.Context, c *Call) (int, []byte, error) {
	start := mono()
	status, body, err := p.backend.Do(ctx, c)
	p.m.backendLatency.observe(mono() - start)
	p.m.backendCalls.Add(1)
	if err != nil {
		p.m.backendFailures.Add(1)
		p.log.Warn("backend call failed", "op", c.Operation, "err", err)
	}
	return status, body, err
}

// callReq sends the caller's request (or body, when non-nil) to the backend.
// The caller's principal goes with the request only when it is sent
// unchanged: a rewritten body (a whole item fetched to be cached) is the
// proxy's own call, which it authorized on the caller's terms already.
func (p *Proxy) callReq(ctx context.Context, req *wire.Request, body []byte) (int, []byte, error) {
	c := &Call{Prefix: req.Prefix, Operation: req.Operation, Body: body,
		Region: req.Region, AccessKey: req.AccessKey, RequestID: req.RequestID}
	if body == nil {
		c.Body, c.Principal, c.SourceIP = req.Body, req.Principal, req.SourceIP
	}
	return p.call(ctx, c)
}

// errBackend answers a call the backend did not answer.
func errBackend() error { return ddb.InternalServerError("Internal server error") }

// answer turns a backend answer into the handler's result: 200 bodies are
// returned, anything else is written verbatim.
func answer(status int, body []byte) ([]byte, error) {
	if status == 200 {
		return body, nil
	}
	return nil, &wire.Passthrough{Status: status, Body: body}
}

// describeEndpoints answers DescribeEndpoints with the proxy's own
// address, as the client reached it: an SDK with endpoint discovery must
// keep talking to the proxy, not learn the backend's address (or real
// DynamoDB's) and bypass the cache. The backend still validates the call.
func (p *Proxy) describeEndpoints(ctx context.Context, req *wire.Request) ([]byte, error) {
	out, err := p.forward(ctx, req)
	if err != nil || req.Header == nil || len(req.Header.Host()) == 0 {
		return out, err
	}
	var resp struct {
		Endpoints []struct {
			Address              string
			CachePeriodInMinutes int64
		}
	}
	if ddb.Unmarshal(out, &resp) != nil || len(resp.Endpoints) == 0 {
		return out, nil
	}
	for i := range resp.Endpoints {
		resp.Endpoints[i].Address = string(req.Header.Host())
	}
	return json.Marshal(resp)
}

// forward passes the request through unchanged.
func (p *Proxy) forward(ctx context.Context, req *wire.Request) ([]byte, error) {
	status, body, err := p.callReq(ctx, req, nil)
	if err != nil {
		return nil, errBackend()
	}
	if status != 200 {
		p.noteError(req.Body, body, false)
	}
	return answer(status, body)
}

// bypass passes a cacheable read through uncached.
func (p *Proxy) bypass(ctx context.Context, req *wire.Request) ([]byte, error) {
	setCache(req, cacheBypass)
	return p.forward(ctx, req)
}

// noteError reacts to an error answer: a table that does not exist (any
// more), or a key the proxy checked against the learned schema (trustedKey)
// that the backend says does not match it (the table was recreated), makes
// the proxy forget the table's schema and cached entries. Only plain table
// names count (an ARN may name another account's table).
func (p *Proxy) noteError(reqBody, errBody []byte, trustedKey bool) {
	if isErrorType(errBody, "ResourceNotFoundException") ||
		(trustedKey && bytes.Contains(errBody, []byte("The provided key element does not match the schema"))) {
		table := tableNameOf(reqBody)
		if table != "" && !strings.HasPrefix(table, "arn:") {
			p.tableGone(table)
		}
	}
}

// tableGone forgets what the proxy knows of table (deleted, or replaced by
// another table of the name): its schema, its cached entries and the
// per-table state of the caches, so that table churn leaves nothing behind.
func (p *Proxy) tableGone(table string) {
	if p.schemas.gone(table) {
		p.forgetTableState(table)
	}
}

// forgetTableState invalidates every cached item and query of table and
// frees the caches' per-table state.
func (p *Proxy) forgetTableState(table string) {
	p.items.ForgetTable(table)
	p.gens.ForgetTable(table)
	p.m.tableInvalidations.Add(1)
}

// dropTable invalidates every cached item and query of table.
func (p *Proxy) dropTable(table string) {
	p.items.InvalidateTable(table)
	p.gens.BumpTable(table)
	p.m.tableInvalidations.Add(1)
	p.afterTableDrop(table)
}

// isErrorType reports whether an error body's __type names the error name.
func isErrorType(body []byte, name string) bool {
	t := ddb.Member(body, "__type")
	if len(t) < len(name)+2 {
		return false
	}
	s := t[1 : len(t)-1]
	if i := bytes.LastIndexByte(s, '#'); i >= 0 {
		s = s[i+1:]
	}
	return string(s) == name
}

// tableNameOf returns the TableName member of a request body ("" when
// absent).
func tableNameOf(body []byte) string {
	raw := ddb.Member(body, "TableName")
	if raw == nil {
		return ""
	}
	name, ok := ddb.Unquote(raw)
	if !ok {
		return ""
	}
	return name
}

// tableFromName maps a TableName value to the table name it designates,
// by the storage node's rule: a name is itself; an ARN
// arn:<partition>:dynamodb:<region>:<account>:table/<name> gives <name>
// (isARN true: whether it is the cached table's own ARN, account and
// region included, is for the caller to check against the learned
// schema's TableArn); any other ARN names no table ("").
func tableFromName(name string) (table string, isARN bool) {
	if !strings.HasPrefix(name, "arn:") {
		return name, false
	}
	parts := strings.SplitN(name, ":", 6)
	if len(parts) != 6 || parts[2] != "dynamodb" {
		return "", true
	}
	table, ok := strings.CutPrefix(parts[5], "table/")
	if !ok || table == "" || strings.Contains(table, "/") {
		return "", true
	}
	return table, true
}

// tableChange passes a control-plane call that creates, deletes or changes
// a table through; on success (or an unknown outcome) the proxy forgets
// the table's schema and its cached entries (items too when items).
func (p *Proxy) tableChange(ctx context.Context, req *wire.Request, field string, items bool) ([]byte, error) {
	status, body, err := p.callReq(ctx, req, nil)
	table := ""
	if raw := ddb.Member(req.Body, field); raw != nil {
		if s, ok := ddb.Unquote(raw); ok {
			table, _ = tableFromName(s)
		}
	}
	if table != "" && (err != nil || status == 200 || status >= 500) {
		if req.Operation == "CreateTable" || req.Operation == "UpdateTable" {
			// A stream may have been enabled.
			p.tableChanged(table)
		}
		if items {
			p.tableGone(table)
		} else {
			p.schemas.forget(table)
			if p.schemas.seen(table) {
				p.gens.BumpTable(table)
			}
		}
	}
	if err != nil {
		return nil, errBackend()
	}
	return answer(status, body)
}

// bufPool holds scratch buffers for keys and memo lookups.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 64<<10 {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

func containsBytes(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }
