package auth

// IAM-style policies and their evaluation.
//
// A request is allowed when some statement of the caller's identity
// policies, or of the resource's policy, allows it and no statement of
// either denies it (an explicit Deny wins; the default is deny). A
// statement applies when its Action (or NotAction) matches the action, its
// Resource (or NotResource) matches one of the resources, and every
// condition holds: conditions of one operator block are ANDed, blocks are
// ANDed, and the values listed for one key are ORed. Set qualifiers follow
// IAM: ForAllValues holds when every value of the request's key matches
// (vacuously when it has none), ForAnyValue when at least one does; an
// unqualified condition on a multi-valued key behaves like ForAnyValue.
// The …IfExists operators hold when the key is absent; Null tests absence.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Policy is a parsed IAM policy document.
type Policy struct {
	Version    string
	Statements []Statement
}

// Statement is one policy statement.
type Statement struct {
	Sid         string
	Allow       bool // Effect Allow (false: Deny)
	Principals  []string
	Action      []string
	NotAction   []string
	Resource    []string
	NotResource []string
	Conditions  []Condition
}

// Condition is one condition of a statement.
type Condition struct {
	Operator string // e.g. StringEquals (without qualifier and IfExists)
	Set      string // "", "ForAllValues" or "ForAnyValue"
	IfExists bool
	Key      string // lower-cased, e.g. dynamodb:leadingkeys
	Values   []string
}

// ErrPolicy marks a malformed policy document.
var ErrPolicy = errors.New("auth: malformed policy")

// strings1 reads a JSON string or array of strings (numbers and booleans
// are accepted and rendered as text, as IAM does in conditions).
func strings1(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, nil
	}
	if raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		var out []string
		for _, it := range items {
			s, err := scalar(it)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(raw)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func scalar(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	return "", fmt.Errorf("expected a string, got %s", raw)
}

// ParsePolicy parses an IAM policy document.
func ParsePolicy(doc []byte) (*Policy, error) {
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPolicy, err)
	}
	p := &Policy{Version: raw.Version}
	var stmts []json.RawMessage
	st := bytes.TrimSpace(raw.Statement)
	switch {
	case len(st) == 0:
		return nil, fmt.Errorf("%w: no Statement", ErrPolicy)
	case st[0] == '[':
		if err := json.Unmarshal(st, &stmts); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrPolicy, err)
		}
	default:
		stmts = []json.RawMessage{st}
	}
	for i, s := range stmts {
		stmt, err := parseStatement(s)
		if err != nil {
			return nil, fmt.Errorf("%w: statement %d: %v", ErrPolicy, i, err)
		}
		p.Statements = append(p.Statements, stmt)
	}
	return p, nil
}

func parseStatement(b []byte) (Statement, error) {
	var raw struct {
		Sid         string                                `json:"Sid"`
		Effect      string                                `json:"Effect"`
		Principal   json.RawMessage                       `json:"Principal"`
		Action      json.RawMessage                       `json:"Action"`
		NotAction   json.RawMessage                       `json:"NotAction"`
		Resource    json.RawMessage                       `json:"Resource"`
		NotResource json.RawMessage                       `json:"NotResource"`
		Condition   map[string]map[string]json.RawMessage `json:"Condition"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return Statement{}, err
	}
	s := Statement{Sid: raw.Sid}
	switch raw.Effect {
	case "Allow":
		s.Allow = true
	case "Deny":
	default:
		return s, fmt.Errorf("effect must be Allow or Deny, not %q", raw.Effect)
	}
	var err error
	if s.Action, err = strings1(raw.Action); err != nil {
		return s, fmt.Errorf("action: %v", err)
	}
	if s.NotAction, err = strings1(raw.NotAction); err != nil {
		return s, fmt.Errorf("not-action: %v", err)
	}
	if (len(s.Action) == 0) == (len(s.NotAction) == 0) {
		return s, errors.New("exactly one of Action and NotAction is required")
	}
	if s.Resource, err = strings1(raw.Resource); err != nil {
		return s, fmt.Errorf("resource: %v", err)
	}
	if s.NotResource, err = strings1(raw.NotResource); err != nil {
		return s, fmt.Errorf("not-resource: %v", err)
	}
	if len(s.Resource) > 0 && len(s.NotResource) > 0 {
		return s, errors.New("resource and not-resource cannot both be set")
	}
	if p := bytes.TrimSpace(raw.Principal); len(p) > 0 {
		if string(p) == `"*"` {
			s.Principals = []string{"*"}
		} else {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(p, &m); err != nil {
				return s, fmt.Errorf("principal: %v", err)
			}
			for _, v := range m {
				vs, err := strings1(v)
				if err != nil {
					return s, fmt.Errorf("principal: %v", err)
				}
				s.Principals = append(s.Principals, vs...)
			}
		}
	}
	for op, keys := range raw.Condition {
		c := Condition{Operator: op}
		if q, rest, ok := strings.Cut(op, ":"); ok {
			if q != "ForAllValues" && q != "ForAnyValue" {
				return s, fmt.Errorf("unknown set qualifier %q", q)
			}
			c.Set, c.Operator = q, rest
		}
		if base, ok := strings.CutSuffix(c.Operator, "IfExists"); ok {
			c.IfExists, c.Operator = true, base
		}
		if !knownOperator(c.Operator) {
			return s, fmt.Errorf("unknown condition operator %q", op)
		}
		for key, vals := range keys {
			c := c
			c.Key = strings.ToLower(key)
			if c.Values, err = strings1(vals); err != nil {
				return s, fmt.Errorf("condition %s %s: %v", op, key, err)
			}
			s.Conditions = append(s.Conditions, c)
		}
	}
	return s, nil
}

var operators = map[string]bool{
	"StringEquals": true, "StringNotEquals": true, "StringEqualsIgnoreCase": true, "StringNotEqualsIgnoreCase": true,
	"StringLike": true, "StringNotLike": true,
	"NumericEquals": true, "NumericNotEquals": true, "NumericLessThan": true, "NumericLessThanEquals": true,
	"NumericGreaterThan": true, "NumericGreaterThanEquals": true,
	"DateEquals": true, "DateNotEquals": true, "DateLessThan": true, "DateLessThanEquals": true,
	"DateGreaterThan": true, "DateGreaterThanEquals": true,
	"Bool": true, "IpAddress": true, "NotIpAddress": true, "Null": true, "ArnEquals": true, "ArnLike": true,
	"ArnNotEquals": true, "ArnNotLike": true,
}

func knownOperator(op string) bool { return operators[op] }

// Context describes a request for evaluation.
type Context struct {
	// Principal is the caller's ARN.
	Principal string
	// Action is the IAM action, e.g. "dynamodb:GetItem".
	Action string
	// Resources are the ARNs the action touches (table, index, stream).
	Resources []string
	// Keys holds the request's condition keys (lower-cased names, e.g.
	// "dynamodb:leadingkeys", "aws:sourceip"), each with its values.
	Keys map[string][]string
	// Global, when set, supplies the keys Keys lacks (the aws:* keys of
	// the caller and the time), computed only when a condition asks.
	Global func(key string) ([]string, bool)
}

// Decision is the outcome of an evaluation.
type Decision int

// Decisions.
const (
	// ImplicitDeny: nothing allowed the request.
	ImplicitDeny Decision = iota
	// Allowed: some statement allowed it and none denied it.
	Allowed
	// ExplicitDeny: a statement denied it.
	ExplicitDeny
)

// Evaluate decides ctx under the given policies. A resource policy's
// statements apply only when their Principal names the caller (or "*").
func Evaluate(identity []*Policy, resource *Policy, ctx *Context) (d Decision, deniedBy string) {
	allowed := false
	check := func(p *Policy, kind string, needPrincipal bool) bool {
		for i := range p.Statements {
			s := &p.Statements[i]
			if needPrincipal && !principalMatches(s.Principals, ctx.Principal) {
				continue
			}
			if !s.applies(ctx) {
				continue
			}
			if !s.Allow {
				deniedBy = kind
				return true
			}
			allowed = true
		}
		return false
	}
	for _, p := range identity {
		if check(p, "identity-based policy", false) {
			return ExplicitDeny, deniedBy
		}
	}
	if resource != nil && check(resource, "resource-based policy", true) {
		return ExplicitDeny, deniedBy
	}
	if allowed {
		return Allowed, ""
	}
	return ImplicitDeny, ""
}

func principalMatches(ps []string, arn string) bool {
	for _, p := range ps {
		if p == "*" || p == arn || globMatch(p, arn, false) {
			return true
		}
		// An account id or root ARN names every principal of the account.
		if acct := accountOf(arn); acct != "" && (p == acct || p == "arn:aws:iam::"+acct+":root") {
			return true
		}
	}
	return false
}

func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		return parts[4]
	}
	return ""
}

func (s *Statement) applies(ctx *Context) bool {
	if len(s.Action) > 0 && !anyGlob(s.Action, ctx.Action, true) {
		return false
	}
	if len(s.NotAction) > 0 && anyGlob(s.NotAction, ctx.Action, true) {
		return false
	}
	if len(s.Resource) > 0 || len(s.NotResource) > 0 {
		for _, r := range ctx.Resources {
			if len(s.Resource) > 0 && !anyGlob(s.Resource, r, false) {
				return false
			}
			if len(s.NotResource) > 0 && anyGlob(s.NotResource, r, false) {
				return false
			}
		}
	}
	for i := range s.Conditions {
		if !s.Conditions[i].holds(ctx) {
			return false
		}
	}
	return true
}

func anyGlob(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if globMatch(p, s, fold) {
			return true
		}
	}
	return false
}

// globMatch matches s against p, where * matches any run and ? one
// character.
func globMatch(p, s string, fold bool) bool {
	// Iterative matching with backtracking on the last star; fold compares
	// ASCII letters case-insensitively (IAM actions), without allocating.
	eq := func(a, b byte) bool {
		if a == b {
			return true
		}
		if !fold {
			return false
		}
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || eq(p[pi], s[si])):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func (c *Condition) holds(ctx *Context) bool {
	vals, present := ctx.Keys[c.Key]
	if !present && ctx.Global != nil {
		vals, present = ctx.Global(c.Key)
	}
	if c.Operator == "Null" {
		want := len(c.Values) > 0 && strings.EqualFold(c.Values[0], "true")
		return want == (!present || len(vals) == 0)
	}
	if !present || len(vals) == 0 {
		switch {
		case c.IfExists:
			return true
		case c.Set == "ForAllValues":
			return true
		}
		return false
	}
	if c.Set == "ForAllValues" {
		for _, v := range vals {
			if !c.match(v) {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if c.match(v) {
			return true
		}
	}
	return false
}

// match applies the operator to one request value against the policy's
// values (ORed; a negated operator holds when no value matches).
func (c *Condition) match(v string) bool {
	op := c.Operator
	neg := strings.Contains(op, "Not")
	base := strings.Replace(op, "Not", "", 1)
	any := false
	for _, pv := range c.Values {
		if matchOne(base, v, pv) {
			any = true
			break
		}
	}
	if neg {
		return !any
	}
	return any
}

func matchOne(op, v, pv string) bool {
	switch op {
	case "StringEquals", "ArnEquals":
		return v == pv
	case "StringEqualsIgnoreCase":
		return strings.EqualFold(v, pv)
	case "StringLike", "ArnLike":
		return globMatch(pv, v, false)
	case "Bool":
		return strings.EqualFold(v, pv)
	case "IpAddress":
		ip := net.ParseIP(v)
		if ip == nil {
			return false
		}
		if !strings.Contains(pv, "/") {
			return ip.Equal(net.ParseIP(pv))
		}
		_, n, err := net.ParseCIDR(pv)
		return err == nil && n.Contains(ip)
	}
	if num, ok := strings.CutPrefix(op, "Numeric"); ok {
		a, err1 := strconv.ParseFloat(v, 64)
		b, err2 := strconv.ParseFloat(pv, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return compare(num, a, b)
	}
	if d, ok := strings.CutPrefix(op, "Date"); ok {
		a, ok1 := parseDate(v)
		b, ok2 := parseDate(pv)
		if !ok1 || !ok2 {
			return false
		}
		return compare(d, float64(a.UnixNano()), float64(b.UnixNano()))
	}
	return false
}

func compare(rel string, a, b float64) bool {
	switch rel {
	case "Equals":
		return a == b
	case "LessThan":
		return a < b
	case "LessThanEquals":
		return a <= b
	case "GreaterThan":
		return a > b
	case "GreaterThanEquals":
		return a >= b
	}
	return false
}

func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Unix(0, int64(secs*1e9)), true
	}
	return time.Time{}, false
}

// AccessDenied returns DynamoDB's AccessDeniedException for a refused
// request (HTTP 400, capital "Message").
func AccessDenied(principal, action, resource string, d Decision, deniedBy string) error {
	if resource == "" {
		resource = "*"
	}
	msg := "User: " + principal + " is not authorized to perform: " + action + " on resource: " + resource
	if d == ExplicitDeny {
		article := " a "
		if strings.HasPrefix(deniedBy, "identity") {
			article = " an "
		}
		msg += " with an explicit deny in" + article + deniedBy
	} else {
		msg += " because no identity-based policy allows the " + action + " action"
	}
	return accessDeniedError(msg)
}
