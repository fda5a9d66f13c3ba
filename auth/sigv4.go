// Package auth authenticates DynamoDB requests signed with AWS Signature
// Version 4 against a set of access keys, for the store and the proxy alike.
//
// Verification recomputes the signature with the AWS SDK's own signer (no
// hand-written HMAC chain): the request is rebuilt with exactly the
// headers the client signed, signed again with the secret key of the
// access key it names, at the time it states, and the two signatures are
// compared in constant time. The SDK signer caches the derived signing
// keys (one per key, day, Region and service), so the per-request cost is
// the canonical request and one HMAC. Checks run in DynamoDB's order, each
// with DynamoDB's error type and message text: a missing token, an
// incomplete Authorization header, the date and its 5-minute window, Host
// among the signed headers, the algorithm, the credential scope, the
// access key, and finally the signature. Presigned query-string requests
// (X-Amz-Signature in the query) are verified the same way, with
// X-Amz-Expires bounding their age.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/dynax/dynax/ddb"
)

// Principal is an authenticated caller.
type Principal struct {
	// AccessKeyID is the key the request was signed with.
	AccessKeyID string
	// ARN names the caller, e.g. arn:aws:iam::111122223333:user/alice.
	ARN string
	// Policies are the caller's identity policies; none means the caller
	// may do everything.
	Policies []*Policy
}

// Keys finds the secret of an access key.
type Keys interface {
	// Lookup returns the principal and secret access key of accessKeyID,
	// and false when the key is unknown.
	Lookup(accessKeyID string) (p *Principal, secret string, ok bool)
}

// Header is one request header.
type Header struct{ Name, Value string }

// Request is what verification needs of an HTTP request.
type Request struct {
	Method   string
	Path     string // the request path, e.g. "/"
	RawQuery string // without '?'
	Host     string
	Headers  []Header
	Body     []byte
}

func (r *Request) header(name string) string {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Options configures a Verifier.
type Options struct {
	// Service is the signing name requests must be scoped to. Default
	// "dynamodb".
	Service string
	// MaxSkew is how far a request's date may be from now. Default 5
	// minutes.
	MaxSkew time.Duration
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// EnsureDefaults fills the zero fields of o with their defaults.
func (o *Options) EnsureDefaults() {
	if o.Service == "" {
		o.Service = "dynamodb"
	}
	if o.MaxSkew == 0 {
		o.MaxSkew = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Verifier checks SigV4 signatures.
type Verifier struct {
	opts   Options
	keys   Keys
	signer *v4.Signer

	keysMu   sync.RWMutex
	keyCache map[string]*keyEntry // fastsig.go
}

// NewVerifier returns a Verifier of requests signed with keys.
func NewVerifier(keys Keys, opts Options) *Verifier {
	opts.EnsureDefaults()
	return &Verifier{opts: opts, keys: keys, signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = false })}
}

// ForService returns a Verifier of the same keys and options for requests
// scoped to another signing name (e.g. "application-autoscaling", which
// dynax serves on the DynamoDB listener). Its signing-key cache is its own.
func (v *Verifier) ForService(service string) *Verifier {
	opts := v.opts
	opts.Service = service
	return NewVerifier(v.keys, opts)
}

const (
	algorithm  = "AWS4-HMAC-SHA256"
	amzDate    = "20060102T150405Z"
	msgBadSig  = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgBadKey  = "The security token included in the request is invalid."
	msgNoToken = "Request is missing Authentication Token"
)

func missingToken() error {
	return &ddb.Error{Status: 400, Type: ddb.NSService + "MissingAuthenticationTokenException", Message: msgNoToken}
}

func incomplete(msg string) error {
	return &ddb.Error{Status: 400, Type: ddb.NSService + "IncompleteSignatureException", Message: msg}
}

func invalidSig(msg string) error {
	return &ddb.Error{Status: 400, Type: ddb.NSService + "InvalidSignatureException", Message: msg}
}

func unrecognized() error {
	return &ddb.Error{Status: 400, Type: ddb.NSService + "UnrecognizedClientException", Message: msgBadKey}
}

// signature is a parsed Authorization header or presigned query.
type signature struct {
	algorithm     string
	credential    string
	signedHeaders string
	sig           string
	date          string
	expires       time.Duration // presigned only
	presigned     bool
}

// Verify authenticates r and returns its principal, or DynamoDB's error.
func (v *Verifier) Verify(ctx context.Context, r *Request) (*Principal, error) {
	s, err := parse(r)
	if err != nil {
		return nil, err
	}
	now := v.opts.Now().UTC()
	t, err := time.Parse(amzDate, s.date)
	if err != nil {
		return nil, incomplete("Date must be in ISO-8601 'basic format'. Got '" + s.date + "'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	if err := v.checkTime(s, t, now); err != nil {
		return nil, err
	}
	if !hasHost(s.signedHeaders) {
		return nil, invalidSig("'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if s.algorithm != algorithm {
		return nil, incomplete("Unsupported AWS 'algorithm': '" + s.algorithm + "' (only AWS4-HMAC-SHA256 for now). ")
	}
	scope := strings.Split(strings.TrimRight(s.credential, "/"), "/")
	if len(scope) != 5 {
		return nil, incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + s.credential + "'")
	}
	key, day, region, service, term := scope[0], scope[1], scope[2], scope[3], scope[4]
	var msg string
	if region == "" || strings.ContainsAny(region, " ") {
		msg += "Credential should be scoped to a valid region, not '" + region + "'. "
	}
	if service != v.opts.Service {
		msg += "Credential should be scoped to correct service: '" + v.opts.Service + "'. "
	}
	if term != "aws4_request" {
		msg += "Credential should be scoped with a valid terminator: 'aws4_request', not '" + term + "'. "
	}
	if day != s.date[:8] {
		msg += "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" + day + "' != '" + s.date[:8] + "', from '" + s.date + "'."
	}
	if msg != "" {
		return nil, invalidSig(strings.TrimSpace(msg))
	}
	p, secret, ok := v.keys.Lookup(key)
	if !ok {
		return nil, unrecognized()
	}
	if v.fastMatch(r, s, secret, day, region) {
		return p, nil
	}
	want, err := v.expected(ctx, r, s, key, secret, region, t)
	if err != nil {
		return nil, invalidSig(msgBadSig)
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(s.sig)) != 1 {
		return nil, invalidSig(msgBadSig)
	}
	return p, nil
}

func hasHost(signed string) bool {
	for _, h := range strings.Split(signed, ";") {
		if strings.EqualFold(h, "host") {
			return true
		}
	}
	return false
}

// checkTime applies the clock-skew window (and a presigned URL's expiry).
func (v *Verifier) checkTime(s *signature, t, now time.Time) error {
	f := func(x time.Time) string { return x.UTC().Format(amzDate) }
	skew := v.opts.MaxSkew
	mins := strconv.Itoa(int(skew / time.Minute))
	if s.presigned {
		if now.After(t.Add(s.expires)) {
			return &ddb.Error{Status: 400, Type: ddb.NSService + "InvalidSignatureException", Message: "Signature expired: " + f(t) + " is now earlier than " + f(now.Add(-s.expires)) + " (" + f(now) + " - " + strconv.Itoa(int(s.expires/time.Second)) + " sec.)"}
		}
	} else if t.Before(now.Add(-skew)) {
		return invalidSig("Signature expired: " + f(t) + " is now earlier than " + f(now.Add(-skew)) + " (" + f(now) + " - " + mins + " min.)")
	}
	if t.After(now.Add(skew)) {
		return invalidSig("Signature not yet current: " + f(t) + " is still later than " + f(now.Add(skew)) + " (" + f(now) + " + " + mins + " min.)")
	}
	return nil
}

// parse reads the signature from the Authorization header or the query.
func parse(r *Request) (*signature, error) {
	auth := r.header("Authorization")
	if auth == "" && strings.Contains(r.RawQuery, "X-Amz-Signature=") {
		return parseQuery(r)
	}
	if auth == "" || !strings.HasPrefix(strings.TrimSpace(auth), "AWS4-") {
		return nil, missingToken()
	}
	s := &signature{}
	a := strings.TrimSpace(auth)
	i := strings.IndexAny(a, " \t")
	if i < 0 {
		s.algorithm, a = a, ""
	} else {
		s.algorithm, a = a[:i], a[i:]
	}
	var seen [3]bool
	for a != "" {
		var part string
		part, a, _ = strings.Cut(a, ",")
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		// Parts may carry blanks around '=' and inside (the old
		// strings.Fields joining); values never contain blanks.
		k = strings.TrimSpace(k)
		val = strings.TrimSpace(val)
		switch k {
		case "Credential":
			s.credential, seen[0] = val, true
		case "Signature":
			s.sig, seen[1] = val, true
		case "SignedHeaders":
			s.signedHeaders, seen[2] = val, true
		}
	}
	s.date = r.header("X-Amz-Date")
	if s.date == "" {
		s.date = r.header("Date")
	}
	var msg string
	for i, name := range [...]string{"Credential", "Signature", "SignedHeaders"} {
		if v := [...]string{s.credential, s.sig, s.signedHeaders}[i]; v == "" {
			msg += "Authorization header requires '" + name + "' parameter. "
		}
	}
	_ = seen
	if s.date == "" {
		msg += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
	}
	if msg != "" {
		return nil, incomplete(msg + "Authorization=" + auth)
	}
	return s, nil
}

func parseQuery(r *Request) (*signature, error) {
	q, err := url.ParseQuery(r.RawQuery)
	if err != nil {
		return nil, incomplete("Unable to parse the query string")
	}
	s := &signature{presigned: true, algorithm: q.Get("X-Amz-Algorithm"), credential: q.Get("X-Amz-Credential"),
		signedHeaders: q.Get("X-Amz-SignedHeaders"), sig: q.Get("X-Amz-Signature"), date: q.Get("X-Amz-Date")}
	var msg string
	for _, p := range []struct{ name, v string }{{"X-Amz-Algorithm", s.algorithm}, {"X-Amz-Credential", s.credential},
		{"X-Amz-Signature", s.sig}, {"X-Amz-SignedHeaders", s.signedHeaders}, {"X-Amz-Date", s.date}} {
		if p.v == "" {
			msg += "AWS query-string parameters must include '" + p.name + "'. "
		}
	}
	if msg != "" {
		return nil, incomplete(msg + "Re-examine the query-string parameters.")
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs < 0 || secs > 7*24*3600 {
		secs = 15 * 60
	}
	s.expires = time.Duration(secs) * time.Second
	return s, nil
}

// expected computes the signature the client should have sent. The
// http.Request the SDK signer reads is pooled: verification sits on the
// cache hit path.
func (v *Verifier) expected(ctx context.Context, r *Request, s *signature, key, secret, region string, t time.Time) (string, error) {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.reset()
	u := &sc.u
	u.Path = r.Path
	if u.Path == "" {
		u.Path = "/"
	}
	req := &sc.req
	req.Method, req.URL, req.Host, req.Header = r.Method, u, r.Host, sc.h
	signed := s.signedHeaders
	for signed != "" {
		var name string
		name, signed, _ = strings.Cut(signed, ";")
		if name == "" || strings.EqualFold(name, "host") || strings.EqualFold(name, "x-amz-date") || strings.EqualFold(name, "authorization") {
			continue
		}
		if strings.EqualFold(name, "content-length") {
			req.ContentLength = int64(len(r.Body))
			continue
		}
		for _, h := range r.Headers {
			if strings.EqualFold(h.Name, name) {
				ck := http.CanonicalHeaderKey(name)
				req.Header[ck] = append(req.Header[ck], h.Value)
			}
		}
	}
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: r.header("X-Amz-Security-Token")}
	if s.presigned {
		q, _ := url.ParseQuery(r.RawQuery)
		q.Del("X-Amz-Signature")
		creds.SessionToken = q.Get("X-Amz-Security-Token")
		u.RawQuery = q.Encode()
		signedURL, _, err := v.signer.PresignHTTP(ctx, creds, req, payloadHash(r, true), v.opts.Service, region, t)
		if err != nil {
			return "", err
		}
		pu, err := url.Parse(signedURL)
		if err != nil {
			return "", err
		}
		return pu.Query().Get("X-Amz-Signature"), nil
	}
	u.RawQuery = r.RawQuery
	if creds.SessionToken != "" {
		req.Header.Del("X-Amz-Security-Token") // the signer adds it
	}
	if err := v.signer.SignHTTP(ctx, creds, req, payloadHash(r, false), v.opts.Service, region, t); err != nil {
		return "", err
	}
	a := req.Header.Get("Authorization")
	i := strings.LastIndex(a, "Signature=")
	if i < 0 {
		return "", nil
	}
	return a[i+len("Signature="):], nil
}

// scratch is the reusable request the signer signs.
type scratch struct {
	req http.Request
	u   url.URL
	h   http.Header
}

var scratchPool = sync.Pool{New: func() any { return &scratch{h: make(http.Header, 8)} }}

func (sc *scratch) reset() {
	for k, v := range sc.h {
		sc.h[k] = v[:0]
		delete(sc.h, k)
	}
	sc.req = http.Request{}
	sc.u = url.URL{}
}

func payloadHash(r *Request, presigned bool) string {
	if h := r.header("X-Amz-Content-Sha256"); h != "" {
		return h
	}
	if presigned {
		return "UNSIGNED-PAYLOAD"
	}
	sum := sha256.Sum256(r.Body)
	return hex.EncodeToString(sum[:])
}

func accessDeniedError(msg string) error {
	return &ddb.Error{Status: 400, Type: ddb.NSService + "AccessDeniedException", Message: msg, CapitalMessage: true}
}
