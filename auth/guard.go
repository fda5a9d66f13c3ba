package auth

import (
	"strconv"
	"strings"
	"time"
)

// ResourcePolicies finds the resource-based policies of resources.
type ResourcePolicies interface {
	// ResourcePolicy returns the policy attached to the resource arn names:
	// a table's own for the table and its indexes (index permissions live
	// in the table's policy), a stream's for the stream; nil when none is.
	ResourcePolicy(arn string) *Policy
}

// Guard authorizes requests: it is the one place where the storage node
// and the proxy turn a request's checks (Facts) into a decision, so the
// cache answers exactly what the store would have.
type Guard struct {
	// Verifier authenticates requests (SigV4 against the credentials file).
	Verifier *Verifier
	// Policies finds resource-based policies. Nil: none exist.
	Policies ResourcePolicies
	// Account is the account id of the node's ARNs. Default "000000000000".
	Account string
	// Now returns the current time (aws:CurrentTime). Default time.Now.
	Now func() time.Time
}

// Request facts that come with every request besides its checks.
type Caller struct {
	// Principal is the authenticated caller.
	Principal *Principal
	// SourceIP is the caller's address (aws:SourceIp), without port.
	SourceIP string
	// Secure tells whether the request came over TLS (aws:SecureTransport).
	Secure bool
}

// Authorize decides every check of a request for c and returns nil when
// all are allowed, or DynamoDB's AccessDeniedException for the first that
// is not. A principal without identity policies may do everything a
// resource policy does not explicitly deny.
func (g *Guard) Authorize(c *Caller, checks []Check) error {
	err, _ := g.AuthorizeDetail(c, checks)
	return err
}

// AuthorizeDetail is Authorize that also reports whether the decision read
// a global condition key (the caller's address, the time, …): a decision
// that did not depends on the request's checks and the policies alone, so
// it may be reused for the same request (the proxy's decision memo).
func (g *Guard) AuthorizeDetail(c *Caller, checks []Check) (err error, usedGlobal bool) {
	arn := g.principalARN(c.Principal)
	// The global keys are computed when a condition asks for them.
	global := func(key string) ([]string, bool) {
		if strings.HasPrefix(key, "aws:") {
			usedGlobal = true
		}
		switch key {
		case "aws:currenttime", "aws:epochtime":
			now := time.Now
			if g.Now != nil {
				now = g.Now
			}
			t := now().UTC()
			if key == "aws:epochtime" {
				return []string{strconv.FormatInt(t.Unix(), 10)}, true
			}
			return []string{t.Format(time.RFC3339)}, true
		case "aws:securetransport":
			return []string{strconv.FormatBool(c.Secure)}, true
		case "aws:sourceip":
			return []string{c.SourceIP}, c.SourceIP != ""
		case "aws:principalarn":
			return []string{arn}, true
		case "aws:username":
			if i := strings.LastIndexByte(arn, '/'); i >= 0 && strings.Contains(arn, ":user/") {
				return []string{arn[i+1:]}, true
			}
		}
		return nil, false
	}
	for i := range checks {
		ck := &checks[i]
		ctx := Context{Principal: arn, Action: ck.Action, Resources: ck.Resources, Keys: ck.Keys, Global: global}
		var resource *Policy
		if g.Policies != nil && len(ck.Resources) > 0 && ck.Resources[0] != "*" {
			resource = g.Policies.ResourcePolicy(ck.Resources[0])
		}
		identity := c.Principal.Policies
		if len(identity) == 0 {
			identity = allowAll
		}
		d, by := Evaluate(identity, resource, &ctx)
		if d != Allowed {
			res := ""
			if len(ck.Resources) > 0 {
				res = ck.Resources[0]
			}
			return AccessDenied(arn, ck.Action, res, d, by), usedGlobal
		}
	}
	return nil, usedGlobal
}

// allowAll stands in for the identity policies of a principal that has
// none: the credentials file's users without policies may do everything.
var allowAll = []*Policy{{Version: "2012-10-17", Statements: []Statement{{Allow: true, Action: []string{"*"}, Resource: []string{"*"}}}}}

// principalARN is the caller's ARN, or one made of its access key when the
// credentials file gives none.
func (g *Guard) principalARN(p *Principal) string {
	if p.ARN != "" {
		return p.ARN
	}
	if g.Account == "" {
		return "arn:aws:iam::000000000000:user/" + p.AccessKeyID
	}
	account := g.Account
	if account == "" {
		account = "000000000000"
	}
	return "arn:aws:iam::" + account + ":user/" + p.AccessKeyID
}

// TableOf returns the table ARN of a table, index or stream ARN (the
// resource whose policy governs it), or arn unchanged.
func TableOf(arn string) string {
	i := strings.Index(arn, ":table/")
	if i < 0 {
		return arn
	}
	rest := arn[i+len(":table/"):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		kind := rest[j+1:]
		if strings.HasPrefix(kind, "stream/") {
			return arn // a stream has its own policy
		}
		return arn[:i+len(":table/")+j]
	}
	return arn
}
