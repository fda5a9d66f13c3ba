package proxy

import (
	"context"

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
// anything else looks at it.
func (p *Proxy) authorize(ctx context.Context, req *wire.Request) error {
	sc := auth.Scope{Region: req.Region, Account: p.opts.Guard.Account}
	if sc.Account == "" {
		sc.Account = "000000000000"
	}
	checks, err := auth.Facts(req.Prefix, req.Operation, req.Body, sc, authSchemas{p, ctx, req.Region, req.AccessKey})
	if err != nil {
		checks = []auth.Check{{Action: "dynamodb:" + req.Operation, Resources: []string{"*"}}}
	}
	return p.opts.Guard.Authorize(&auth.Caller{Principal: req.Principal, SourceIP: req.SourceIP, Secure: req.Secure}, checks)
}
