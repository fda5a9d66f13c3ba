package proxy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/dynax/dynax/auth"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// authCases is proxy/testdata/authz.json.
type authCases struct {
	Users json.RawMessage `json:"users"`
	Setup [][2]json.RawMessage
	Cases []struct {
		Name, User, Op, Want string
		Body                 json.RawMessage
	}
}

// newAuthEnv starts a store and a proxy (in process or over HTTP) with
// --auth sigv4 and the users of the file, and returns the secrets by key.
func newAuthEnv(t testing.TB, remote bool, users []byte) (*testEnv, map[string]string) {
	t.Helper()
	u, err := auth.ParseUsers([]byte(`{"users":` + string(users) + `}`))
	if err != nil {
		t.Fatal(err)
	}
	var list []auth.User
	if err := json.Unmarshal(users, &list); err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{}
	for _, x := range list {
		secrets[x.AccessKeyID] = x.SecretAccessKey
	}
	var node *store.Node
	e := newEnv(t, envOpts{
		remote: remote,
		store:  func(o *store.Options) { o.Users = u },
		mut: func(o *Options) {
			var pol auth.ResourcePolicies
			if !remote {
				pol = resourcePoliciesOf(func() *store.Node { return node })
			}
			o.Guard = &auth.Guard{Verifier: auth.NewVerifier(u, auth.Options{}), Policies: pol}
		},
		// A remote proxy calls the store under its own identity.
		http: func(o *HTTPOptions) {
			o.Credentials = credentials.NewStaticCredentialsProvider("ADMIN", secrets["ADMIN"], "")
			o.Region = "us-east-1"
		},
		storeServer: func(s *wire.Server, n *store.Node) { s.Verifier = n.Verifier(); node = n },
	})
	return e, secrets
}

// resourcePoliciesOf reads the node's policies late (the proxy is built
// before the test sees the node).
type resourcePoliciesOf func() *store.Node

func (f resourcePoliciesOf) ResourcePolicy(arn string) *auth.Policy { return f().ResourcePolicy(arn) }

// signedPost sends a DynamoDB call signed with the SDK's signer at time at.
func signedPost(t testing.TB, url, op string, body []byte, key, secret string, at time.Time) rawResp {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", wire.PrefixDynamoDB+"."+op)
	req.Header.Set("Accept-Encoding", "identity")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, req,
		hex.EncodeToString(sum[:]), "dynamodb", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	resp, err := rawClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResp{resp.StatusCode, resp.Header, b}
}

// outcome renders an answer as a case's want: allow, or the message of
// an AccessDeniedException (anything else is shown whole).
func authOutcome(r rawResp) string {
	if r.Status == 200 {
		return "allow"
	}
	var e struct {
		Type    string `json:"__type"`
		Message string
	}
	_ = json.Unmarshal(r.Body, &e)
	if strings.HasSuffix(e.Type, "#AccessDeniedException") && r.Status == 400 {
		return e.Message
	}
	return string(r.Body)
}

// TestAuthorizationCases runs testdata/authz.json against the store and
// through the proxy, in process and over HTTP. Before each case through the
// proxy an unrestricted caller sends the same request, so reads are in the
// cache: a caller gets from the cache exactly what the store would have
// given them, refusals included.
func TestAuthorizationCases(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "authz.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tc authCases
	if err := json.Unmarshal(raw, &tc); err != nil {
		t.Fatal(err)
	}
	for _, remote := range []bool{false, true} {
		t.Run(map[bool]string{false: "in-process", true: "remote"}[remote], func(t *testing.T) {
			e, secrets := newAuthEnv(t, remote, tc.Users)
			now := time.Now()
			for _, s := range tc.Setup {
				var op string
				_ = json.Unmarshal(s[0], &op)
				if r := signedPost(t, e.storeURL, op, s[1], "ADMIN", secrets["ADMIN"], now); r.Status != 200 {
					t.Fatalf("setup %s: %d %s", op, r.Status, r.Body)
				}
			}
			allowed, denied := 0, 0
			for _, c := range tc.Cases {
				direct := signedPost(t, e.storeURL, c.Op, c.Body, c.User, secrets[c.User], now)
				if got := authOutcome(direct); got != c.Want {
					t.Errorf("%s: store answered\n %s\nwant\n %s", c.Name, got, c.Want)
					continue
				}
				// Warm the cache as the administrator (a refusal for them
				// is a case of its own).
				warm := signedPost(t, e.proxyURL, c.Op, c.Body, "ADMIN", secrets["ADMIN"], now)
				for round := 0; round < 2; round++ {
					via := signedPost(t, e.proxyURL, c.Op, c.Body, c.User, secrets[c.User], now)
					if got := authOutcome(via); got != c.Want {
						t.Errorf("%s (round %d): proxy answered\n %s\nwant\n %s", c.Name, round, got, c.Want)
						break
					}
					if via.Status == 200 && direct.Status == 200 && c.Op != "PutItem" && c.Op != "UpdateItem" && c.Op != "BatchWriteItem" && c.Op != "TransactWriteItems" {
						if d := diffAnswers(via.Body, direct.Body); d != "" {
							t.Errorf("%s: proxy and store answers differ: %s", c.Name, d)
						}
					}
					if via.Status != 200 && warm.Status == 200 && warm.cache() != cacheBypass && round == 1 && (c.Op == "GetItem" || c.Op == "Query") {
						// The refusal happened although the item or page was
						// cached: the administrator's next read is a hit.
						if h := signedPost(t, e.proxyURL, c.Op, c.Body, "ADMIN", secrets["ADMIN"], now); h.cache() != cacheHit {
							t.Errorf("%s: the warmed entry was not cached (%q), so the refusal proves nothing", c.Name, h.cache())
						}
					}
				}
				if c.Want == "allow" {
					allowed++
				} else {
					denied++
				}
			}
			if allowed < 10 || denied < 10 {
				t.Fatalf("only %d allowed and %d denied cases ran", allowed, denied)
			}
			// A policy removed through the proxy stops applying at once.
			body := []byte(`{"TableName":"shared","Key":{"pk":{"S":"open"}}}`)
			if r := signedPost(t, e.proxyURL, "GetItem", body, "EVE", secrets["EVE"], now); r.Status != 200 {
				t.Fatalf("eve before the delete: %d %s", r.Status, r.Body)
			}
			del := []byte(`{"ResourceArn":"arn:aws:dynamodb:us-east-1:000000000000:table/shared"}`)
			if r := signedPost(t, e.proxyURL, "DeleteResourcePolicy", del, "ADMIN", secrets["ADMIN"], now); r.Status != 200 {
				t.Fatalf("DeleteResourcePolicy: %d %s", r.Status, r.Body)
			}
			want := "User: arn:aws:iam::000000000000:user/eve is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/shared because no identity-based policy allows the dynamodb:GetItem action"
			if got := authOutcome(signedPost(t, e.proxyURL, "GetItem", body, "EVE", secrets["EVE"], now)); got != want {
				t.Fatalf("eve after the delete: %s", got)
			}
		})
	}
}

// TestAuthentication checks the listeners' signature verification with
// DynamoDB's error types and texts: right and wrong keys, expired and
// future-dated signatures, through the proxy and at the store.
func TestAuthentication(t *testing.T) {
	e, _ := newAuthEnv(t, false, []byte(`[{"accessKeyId":"AKIDALICE","secretAccessKey":"s3cret","arn":"arn:aws:iam::000000000000:user/alice"}]`))
	body := []byte(`{"TableName":"nope","Key":{"pk":{"S":"a"}}}`)
	now := time.Now()
	f := func(name, key, secret string, at time.Time, wantType, wantMsgPrefix string) {
		t.Helper()
		for _, url := range []string{e.storeURL, e.proxyURL} {
			r := signedPost(t, url, "GetItem", body, key, secret, at)
			var got struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			_ = json.Unmarshal(r.Body, &got)
			if r.Status != 400 || got.Type != "com.amazon.coral.service#"+wantType && got.Type != "com.amazonaws.dynamodb.v20120810#"+wantType || !strings.HasPrefix(got.Message, wantMsgPrefix) {
				t.Errorf("%s via %s: %d %s, want %s %q…", name, url, r.Status, r.Body, wantType, wantMsgPrefix)
			}
		}
	}
	// The right key reaches the operation (the table does not exist).
	f("right key", "AKIDALICE", "s3cret", now, "ResourceNotFoundException", "Requested resource not found")
	f("wrong secret", "AKIDALICE", "wrong", now, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")
	f("unknown key", "AKIDMALLORY", "s3cret", now, "UnrecognizedClientException", "The security token included in the request is invalid.")
	f("expired", "AKIDALICE", "s3cret", now.Add(-6*time.Minute), "InvalidSignatureException", "Signature expired: ")
	f("future", "AKIDALICE", "s3cret", now.Add(6*time.Minute), "InvalidSignatureException", "Signature not yet current: ")
	// Unsigned requests are refused before anything else.
	for _, url := range []string{e.storeURL, e.proxyURL} {
		req, _ := http.NewRequest("POST", url+"/", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
		resp, err := rawClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), "MissingAuthenticationTokenException") {
			t.Errorf("unsigned via %s: %d %s", url, resp.StatusCode, b)
		}
	}
}

// TestDecisionMemo checks what the proxy remembers of authorization: a
// decision that read no global key is reused for the same request, one
// that read the caller's address or the time is not, and a resource
// policy change through the proxy forgets them all.
func TestDecisionMemo(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "authz.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tc authCases
	if err := json.Unmarshal(raw, &tc); err != nil {
		t.Fatal(err)
	}
	e, secrets := newAuthEnv(t, false, tc.Users)
	now := time.Now()
	for _, s := range tc.Setup {
		var op string
		_ = json.Unmarshal(s[0], &op)
		if r := signedPost(t, e.storeURL, op, s[1], "ADMIN", secrets["ADMIN"], now); r.Status != 200 {
			t.Fatalf("setup %s: %d %s", op, r.Status, r.Body)
		}
	}
	count := func() int {
		e.p.decisions.mu.RLock()
		defer e.p.decisions.mu.RUnlock()
		return len(e.p.decisions.m)
	}
	// DAVE's Query is allowed by aws:SourceIp, aws:CurrentTime and
	// aws:SecureTransport conditions: never remembered.
	q := []byte(`{"TableName":"docs","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"bob"}}}`)
	for i := 0; i < 2; i++ {
		if r := signedPost(t, e.proxyURL, "Query", q, "DAVE", secrets["DAVE"], now); r.Status != 200 {
			t.Fatalf("dave's query: %d %s", r.Status, r.Body)
		}
	}
	if n := count(); n != 0 {
		t.Fatalf("%d decisions remembered after a decision that read global keys", n)
	}
	// ALICE's row-level GetItem reads none: remembered once, reused.
	g := []byte(`{"TableName":"docs","Key":{"pk":{"S":"alice"},"sk":{"N":"1"}}}`)
	for i := 0; i < 3; i++ {
		if r := signedPost(t, e.proxyURL, "GetItem", g, "ALICE", secrets["ALICE"], now); r.Status != 200 {
			t.Fatalf("alice's get: %d %s", r.Status, r.Body)
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("%d decisions remembered, want 1", n)
	}
	del := []byte(`{"ResourceArn":"arn:aws:dynamodb:us-east-1:000000000000:table/shared"}`)
	if r := signedPost(t, e.proxyURL, "DeleteResourcePolicy", del, "ADMIN", secrets["ADMIN"], now); r.Status != 200 {
		t.Fatalf("DeleteResourcePolicy: %d %s", r.Status, r.Body)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d decisions remembered after a resource policy changed", n)
	}
}
