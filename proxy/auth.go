package proxy

import (
	"context"
	"sync"
	"time"

	"github.com/dynax/dynax/auth"
	"github.com/dynax/dynax/ddb/wire"
)

// Authorization (--auth sigv4). The proxy closes DAX's hole: DAX calls
// DynamoDB under its own role, so whatever DAX may read, any caller that
// reaches DAX may read from its cache. Here the listener verifies every
// caller's signature (wire.Server.Verifier) and ServeDynamoDB authorizes
// the request with the storage node's own rules (auth.Facts, auth.Guard)
// before the cache is looked at, so a caller gets from the cache exactly
// what the store would have given them. Key schemas for
// dynamodb:LeadingKeys come from the proxy's schema memory (learned with
// DescribeTable when unknown), resource policies from Options.Policies.
//
// Backend calls then go out under the proxy's own identity (in process:
// no signature; remote: --sign with the proxy's credentials): the proxy
// fetches whole items and pages for its cache, which no caller's signature
// covers. Requests it passes through carry the caller's principal to an
// in-process store, which authorizes them again.

// authSchemas adapts the proxy's schema memory to auth.Schemas.
type authSchemas struct {
	p              *Proxy
	ctx            context.Context
	region, access string
}

func (a authSchemas) PartitionKeys(table, index string) ([]string, bool) {
	s := a.p.schemas.get(a.ctx, table, a.region, a.access)
	if s == nil {
		return nil, false
	}
	if index == "" {
		return []string{s.hash}, true
	}
	hs, ok := s.indexHash[index]
	return hs, ok
}

// authorize decides req (whose caller the listener authenticated) before
// anything else looks at it. Decisions that read no global condition key
// are remembered for a moment (decisionMemo), so a hot read repeated by
// the same caller pays for its checks once per decisionTTL.
func (p *Proxy) authorize(ctx context.Context, req *wire.Request) error {
	if err, ok := p.decisions.get(req, p.now()); ok {
		return err
	}
	sc := auth.Scope{Region: req.Region, Account: p.opts.Guard.Account}
	if sc.Account == "" {
		sc.Account = "000000000000"
	}
	checks, err := auth.Facts(req.Prefix, req.Operation, req.Body, sc, authSchemas{p, ctx, req.Region, req.AccessKey})
	if err != nil {
		checks = []auth.Check{{Action: "dynamodb:" + req.Operation, Resources: []string{"*"}}}
	}
	err, global := p.opts.Guard.AuthorizeDetail(&auth.Caller{Principal: req.Principal, SourceIP: req.SourceIP, Secure: req.Secure}, checks)
	if !global {
		p.decisions.put(req, err, p.now())
	}
	return err
}

// decisionMemo remembers authorization decisions by caller, operation,
// Region and exact body, for decisionTTL: IAM itself applies policy changes
// within seconds, and the memo is emptied at once when a resource policy
// changes through the proxy. It holds only decisions that read no global
// condition key (address, time: those differ from request to request), at
// most decisionMaxBytes of bodies, and small bodies only.
type decisionMemo struct {
	mu    sync.RWMutex
	m     map[string]decision
	bytes int
}

type decision struct {
	principal *auth.Principal
	err       error
	until     time.Time
}

const (
	decisionTTL      = time.Second
	decisionMaxBody  = 1024
	decisionMaxBytes = 8 << 20
)

func decisionKey(b []byte, req *wire.Request) []byte {
	b = append(b, req.AccessKey...)
	b = append(b, 0)
	b = append(b, req.Prefix...)
	b = append(b, '.')
	b = append(b, req.Operation...)
	b = append(b, 0)
	b = append(b, req.Region...)
	b = append(b, 0)
	return append(b, req.Body...)
}

func (m *decisionMemo) get(req *wire.Request, now time.Time) (error, bool) {
	if len(req.Body) > decisionMaxBody {
		return nil, false
	}
	var buf [decisionMaxBody + 128]byte
	k := decisionKey(buf[:0], req)
	m.mu.RLock()
	d, ok := m.m[string(k)]
	m.mu.RUnlock()
	if !ok || d.principal != req.Principal || now.After(d.until) {
		return nil, false
	}
	return d.err, true
}

func (m *decisionMemo) put(req *wire.Request, err error, now time.Time) {
	if len(req.Body) > decisionMaxBody {
		return
	}
	k := string(decisionKey(nil, req))
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil || m.bytes+len(k) > decisionMaxBytes {
		m.m, m.bytes = map[string]decision{}, 0
	}
	if _, dup := m.m[k]; !dup {
		m.bytes += len(k) + 64
	}
	m.m[k] = decision{principal: req.Principal, err: err, until: now.Add(decisionTTL)}
}

// reset forgets every decision (a resource policy changed).
func (m *decisionMemo) reset() {
	m.mu.Lock()
	m.m, m.bytes = nil, 0
	m.mu.Unlock()
}
