package proxy

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/dynax/dynax/auth"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// remotePolicies reads the resource-based policies of a remote backend
// (GetResourcePolicy under the proxy's own identity) for authorization, so
// a `dynax proxy --auth sigv4` in front of a remote store enforces them on
// cache hits as the store would. Each policy is kept policyTTL; a stale
// one is served while one refresh runs in the background, so the hit path
// waits for the backend only the first time it sees a table. A Put or
// DeleteResourcePolicy through the proxy drops the entry at once.
type remotePolicies struct {
	p  *Proxy
	mu sync.Mutex
	m  map[string]*policyEntry
}

type policyEntry struct {
	pol        *auth.Policy
	fetched    time.Time
	refreshing bool
}

// policyTTL bounds how long a policy changed behind the proxy's back is
// still applied by it.
const policyTTL = 5 * time.Second

// maxPolicyEntries bounds the memory (one entry per table or stream).
const maxPolicyEntries = 10000

func newRemotePolicies(p *Proxy) *remotePolicies {
	return &remotePolicies{p: p, m: map[string]*policyEntry{}}
}

// ResourcePolicy implements auth.ResourcePolicies.
func (r *remotePolicies) ResourcePolicy(arn string) *auth.Policy {
	key := auth.TableOf(arn)
	now := r.p.now()
	r.mu.Lock()
	e := r.m[key]
	if e != nil {
		if now.Sub(e.fetched) > policyTTL && !e.refreshing {
			e.refreshing = true
			go r.refresh(key)
		}
		pol := e.pol
		r.mu.Unlock()
		return pol
	}
	r.mu.Unlock()
	return r.refresh(key)
}

// refresh fetches the policy of key and stores it.
func (r *remotePolicies) refresh(key string) *auth.Policy {
	pol, ok := r.fetch(key)
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.m[key]
	if !ok {
		// The backend did not answer: keep what was known (nothing, the
		// first time) and try again on the next use after the TTL.
		if e != nil {
			e.refreshing = false
			e.fetched = r.p.now()
			return e.pol
		}
		return nil
	}
	if len(r.m) >= maxPolicyEntries {
		r.m = map[string]*policyEntry{}
	}
	r.m[key] = &policyEntry{pol: pol, fetched: r.p.now()}
	return pol
}

// fetch asks the backend; ok is false when it gave no usable answer.
func (r *remotePolicies) fetch(key string) (*auth.Policy, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	body, _ := json.Marshal(struct{ ResourceArn string }{key})
	status, out, err := r.p.call(ctx, &Call{Prefix: wire.PrefixDynamoDB, Operation: "GetResourcePolicy", Body: body})
	if err != nil {
		return nil, false
	}
	if status != 200 {
		// No policy (or a backend without resource policies at all).
		if isErrorType(out, "PolicyNotFoundException") || isErrorType(out, "UnknownOperationException") || isErrorType(out, "ResourceNotFoundException") {
			return nil, true
		}
		r.p.log.Warn("cannot read a resource policy", "resource", key, "status", status)
		return nil, false
	}
	var resp struct{ Policy *string }
	if ddb.Unmarshal(out, &resp) != nil || resp.Policy == nil {
		return nil, false
	}
	pol, err := auth.ParsePolicy([]byte(*resp.Policy))
	if err != nil {
		r.p.log.Warn("unreadable resource policy", "resource", key, "err", err)
		return nil, false
	}
	return pol, true
}

// forget drops the entry of a resource whose policy changed through the
// proxy.
func (r *remotePolicies) forget(arn string) {
	r.mu.Lock()
	delete(r.m, auth.TableOf(arn))
	r.mu.Unlock()
}
