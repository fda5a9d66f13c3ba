package store

// Resource-based policies: PutResourcePolicy, GetResourcePolicy and
// DeleteResourcePolicy on table and stream ARNs, and CreateTable's
// ResourcePolicy. A table's policy governs the table and its indexes; each
// stream has its own slot. Policies live in the table's catalog record
// (Table.Policies, keyed "" for the table and the stream label for a
// stream), so they are as durable as the table and go with it when it is
// deleted. Revision ids are the Unix time in nanoseconds of the change, so
// later revisions compare greater, as DynamoDB's do; putting the same
// document again keeps its revision.
//
// Parsed policies are memoized by (ARN, revision) for authorization, which
// asks for them on every request.

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dynax/dynax/auth"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/model"
	"github.com/dynax/dynax/ddb/wire"
)

func init() {
	register("PutResourcePolicy", opPutResourcePolicy)
	register("GetResourcePolicy", opGetResourcePolicy)
	register("DeleteResourcePolicy", opDeleteResourcePolicy)
}

// StoredPolicy is a resource policy as kept in the catalog.
type StoredPolicy struct {
	Document string `json:"doc"`
	Revision string `json:"rev"`
}

// maxPolicyBytes is DynamoDB's resource policy size limit, whitespace
// included.
const maxPolicyBytes = 20480

// Resource policy messages, as DynamoDB words them (moto's tests verified
// against AWS; the ack-api-quirks captures).
const (
	polMsgNotFound = "Resource-based policy not found for the provided ResourceArn: "
	polMsgTooLarge = "One or more parameter values were invalid: Maximum policy size of 20480 bytes exceeded"
	polMsgBadArn   = "Invalid resource arn provided, only table or stream is accepted. Provided resource arn: "
)

// policyTarget resolves a ResourceArn to its table and policy slot ("" for
// the table, the stream label for a stream).
func (n *Node) policyTarget(arn string) (*Table, string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "dynamodb" {
		return nil, "", ddb.Validation(polMsgBadArn + arn)
	}
	rest, ok := strings.CutPrefix(parts[5], "table/")
	if !ok || rest == "" {
		return nil, "", ddb.Validation(polMsgBadArn + arn)
	}
	name, sub, _ := strings.Cut(rest, "/")
	slot := ""
	if sub != "" {
		label, ok := strings.CutPrefix(sub, "stream/")
		if !ok || label == "" || strings.Contains(label, "/") {
			return nil, "", ddb.Validation(polMsgBadArn + arn)
		}
		slot = label
	}
	t, ok := n.cat.get(name)
	if !ok || parts[4] != n.opts.Account {
		return nil, "", ddb.ResourceNotFound("Requested resource not found: Table: " + name + " not found")
	}
	if slot != "" {
		if _, err := n.lookupStream(arn); err != nil {
			return nil, "", ddb.ResourceNotFound("Requested resource not found: Stream: " + arn + " not found")
		}
	}
	return t, slot, nil
}

type putResourcePolicyIn struct {
	ResourceArn                     *string
	Policy                          *string
	ExpectedRevisionId              *string
	ConfirmRemoveSelfResourceAccess *bool
}

func opPutResourcePolicy(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in putResourcePolicyIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	if err := model.Constraints("PutResourcePolicy", req.Body); err != nil {
		return nil, err
	}
	if err := checkPolicyDocument(*in.Policy); err != nil {
		return nil, err
	}
	controlMu.Lock()
	defer controlMu.Unlock()
	t, slot, err := n.policyTarget(*in.ResourceArn)
	if err != nil {
		return nil, err
	}
	cur := t.Policies[slot]
	if err := checkRevision(t.Name, cur, in.ExpectedRevisionId, true); err != nil {
		return nil, err
	}
	if cur != nil && cur.Document == *in.Policy {
		return revisionOut(cur.Revision), nil
	}
	rev := strconv.FormatInt(time.Now().UnixNano(), 10)
	if cur != nil && rev <= cur.Revision {
		rev = strconv.FormatInt(mustInt(cur.Revision)+1, 10)
	}
	nt := *t
	nt.Policies = clonePolicies(t.Policies)
	nt.Policies[slot] = &StoredPolicy{Document: *in.Policy, Revision: rev}
	if err := n.cat.update(&nt); err != nil {
		return nil, err
	}
	return revisionOut(rev), nil
}

func opGetResourcePolicy(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in struct{ ResourceArn *string }
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	if err := model.Constraints(req.Operation, req.Body); err != nil {
		return nil, err
	}
	t, slot, err := n.policyTarget(*in.ResourceArn)
	if err != nil {
		return nil, err
	}
	cur := t.Policies[slot]
	if cur == nil {
		return nil, policyNotFound(*in.ResourceArn)
	}
	o := newItemOut(64 + len(cur.Document))
	o.field("Policy")
	o.b = ddb.AppendString(o.b, cur.Document)
	o.field("RevisionId")
	o.b = ddb.AppendString(o.b, cur.Revision)
	return o.done(), nil
}

func opDeleteResourcePolicy(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in struct {
		ResourceArn        *string
		ExpectedRevisionId *string
	}
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	if err := model.Constraints(req.Operation, req.Body); err != nil {
		return nil, err
	}
	controlMu.Lock()
	defer controlMu.Unlock()
	t, slot, err := n.policyTarget(*in.ResourceArn)
	if err != nil {
		return nil, err
	}
	cur := t.Policies[slot]
	if cur == nil {
		if in.ExpectedRevisionId != nil {
			return nil, policyNotFound(*in.ResourceArn)
		}
		return []byte("{}"), nil
	}
	if err := checkRevision(t.Name, cur, in.ExpectedRevisionId, false); err != nil {
		return nil, err
	}
	nt := *t
	nt.Policies = clonePolicies(t.Policies)
	delete(nt.Policies, slot)
	if len(nt.Policies) == 0 {
		nt.Policies = nil
	}
	if err := n.cat.update(&nt); err != nil {
		return nil, err
	}
	return revisionOut(cur.Revision), nil
}

// checkRevision applies ExpectedRevisionId: NO_POLICY (on Put) asks for no
// current policy, any other value for exactly the current revision.
func checkRevision(table string, cur *StoredPolicy, expected *string, put bool) error {
	if expected == nil {
		return nil
	}
	if put && *expected == "NO_POLICY" {
		if cur != nil {
			return &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "PolicyNotFoundException",
				Message: polMsgNotFound + "Requested policy update expecting none to be present for table " + table +
					", but a policy exists with revision id " + cur.Revision + "."}
		}
		return nil
	}
	if cur == nil || cur.Revision != *expected {
		have := "NO_POLICY"
		if cur != nil {
			have = cur.Revision
		}
		return &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "PolicyNotFoundException",
			Message: polMsgNotFound + "Requested update for policy with revision id " + *expected +
				", but the policy associated to target table " + table + " has revision id " + have + "."}
	}
	return nil
}

// checkPolicyDocument applies the size limit and parses the document.
func checkPolicyDocument(doc string) error {
	if len(doc) > maxPolicyBytes {
		return ddb.Validation(polMsgTooLarge)
	}
	if _, err := auth.ParsePolicy([]byte(doc)); err != nil {
		return ddb.Validation("Invalid policy document: " + strings.TrimPrefix(err.Error(), auth.ErrPolicy.Error()+": "))
	}
	return nil
}

func policyNotFound(arn string) error {
	return &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "PolicyNotFoundException", Message: polMsgNotFound + arn}
}

func revisionOut(rev string) []byte {
	o := newItemOut(48)
	o.field("RevisionId")
	o.b = ddb.AppendString(o.b, rev)
	return o.done()
}

func clonePolicies(m map[string]*StoredPolicy) map[string]*StoredPolicy {
	out := make(map[string]*StoredPolicy, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func mustInt(s string) int64 {
	v, _ := strconv.ParseInt(s, 10, 64)
	return v
}

// parsedPolicies memoizes parsed resource policies by ARN and revision.
type parsedPolicies struct {
	mu sync.RWMutex
	m  map[string]parsedPolicy
}

type parsedPolicy struct {
	rev string
	p   *auth.Policy
}

// ResourcePolicy implements auth.ResourcePolicies: the policy of the table
// that a table or index ARN names, or of the stream a stream ARN names.
func (n *Node) ResourcePolicy(arn string) *auth.Policy {
	target := auth.TableOf(arn)
	name := n.resolveTableName(target)
	slot := ""
	if i := strings.Index(target, "/stream/"); i >= 0 {
		name = n.resolveTableName(target[:i])
		slot = target[i+len("/stream/"):]
	}
	t, ok := n.cat.get(name)
	if !ok {
		return nil
	}
	sp := t.Policies[slot]
	if sp == nil {
		return nil
	}
	key := t.Name + "/" + slot
	n.policies.mu.RLock()
	pp, ok := n.policies.m[key]
	n.policies.mu.RUnlock()
	if ok && pp.rev == sp.Revision {
		return pp.p
	}
	p, err := auth.ParsePolicy([]byte(sp.Document))
	if err != nil {
		return nil
	}
	n.policies.mu.Lock()
	if n.policies.m == nil {
		n.policies.m = map[string]parsedPolicy{}
	}
	if len(n.policies.m) > 4096 {
		n.policies.m = map[string]parsedPolicy{}
	}
	n.policies.m[key] = parsedPolicy{rev: sp.Revision, p: p}
	n.policies.mu.Unlock()
	return p
}

// PartitionKeys implements auth.Schemas: the partition key attributes of a
// table or of one of its indexes.
func (n *Node) PartitionKeys(table, index string) ([]string, bool) {
	t, ok := n.cat.get(n.resolveTableName(table))
	if !ok {
		return nil, false
	}
	ks := t.KeySchema
	if index != "" {
		found := false
		for _, ix := range t.indexDefs() {
			if ix.IndexName == index {
				ks, found = ix.KeySchema, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	var out []string
	for _, e := range ks {
		if e.KeyType != nil && *e.KeyType == "HASH" && e.AttributeName != nil {
			out = append(out, *e.AttributeName)
		}
	}
	return out, true
}

// authorize decides a request of an authenticated caller (req.Principal
// set by the listener's verifier) with the node's guard.
func (n *Node) authorize(req *wire.Request) error {
	sc := auth.Scope{Region: req.Region, Account: n.opts.Account}
	checks, err := auth.Facts(req.Prefix, req.Operation, req.Body, sc, n)
	if err != nil {
		// An unreadable request is the operation's to refuse, for a caller
		// who may perform the action at all.
		checks = []auth.Check{{Action: "dynamodb:" + req.Operation, Resources: []string{"*"}}}
	}
	return n.guard.Authorize(&auth.Caller{Principal: req.Principal, SourceIP: req.SourceIP, Secure: req.Secure}, checks)
}

// Verifier returns the signature verifier of Options.Users, for the
// node's listeners (nil when the node authorizes nothing).
func (n *Node) Verifier() *auth.Verifier {
	if n.guard == nil {
		return nil
	}
	return n.guard.Verifier
}
