package auth

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/dynax/dynax/ddb"
)

// TestPolicyCases runs testdata/policies.json: policy, request context,
// expected decision.
func TestPolicyCases(t *testing.T) {
	raw, err := os.ReadFile("testdata/policies.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name   string          `json:"name"`
		Policy json.RawMessage `json:"policy"`
		Ctx    struct {
			Action    string              `json:"action"`
			Resources []string            `json:"resources"`
			Keys      map[string][]string `json:"keys"`
		} `json:"ctx"`
		Want string `json:"want"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	names := map[Decision]string{Allowed: "allow", ImplicitDeny: "implicit", ExplicitDeny: "explicit"}
	for _, c := range cases {
		p, err := ParsePolicy(c.Policy)
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		keys := map[string][]string{}
		for k, v := range c.Ctx.Keys {
			keys[strings.ToLower(k)] = v
		}
		d, _ := Evaluate([]*Policy{p}, nil, &Context{Principal: "arn:aws:iam::1:user/u", Action: c.Ctx.Action, Resources: c.Ctx.Resources, Keys: keys})
		if names[d] != c.Want {
			t.Errorf("%s: %s, want %s", c.Name, names[d], c.Want)
		}
	}
	if len(cases) < 25 {
		t.Fatalf("only %d cases read", len(cases))
	}
}

func TestResourcePolicyPrincipal(t *testing.T) {
	rp, err := ParsePolicy([]byte(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"dynamodb:GetItem","Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := &Context{Principal: "arn:aws:iam::111122223333:user/bob", Action: "dynamodb:GetItem", Resources: []string{"t"}}
	if d, _ := Evaluate(nil, rp, ctx); d != Allowed {
		t.Errorf("bob through the resource policy: %v", d)
	}
	ctx.Principal = "arn:aws:iam::111122223333:user/eve"
	if d, _ := Evaluate(nil, rp, ctx); d != ImplicitDeny {
		t.Errorf("eve through bob's resource policy: %v", d)
	}
	deny, _ := ParsePolicy([]byte(`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`))
	allow, _ := ParsePolicy([]byte(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`))
	if d, by := Evaluate([]*Policy{allow}, deny, ctx); d != ExplicitDeny || by != "resource-based policy" {
		t.Errorf("resource-policy deny: %v %q", d, by)
	}
}

func TestAccessDeniedMessages(t *testing.T) {
	f := func(err error, want string) {
		t.Helper()
		e, ok := ddb.AsError(err)
		if !ok || e.Name() != "AccessDeniedException" || !e.CapitalMessage || e.Message != want {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	f(AccessDenied("arn:aws:iam::1:user/u", "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/t", ImplicitDeny, ""),
		"User: arn:aws:iam::1:user/u is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:1:table/t because no identity-based policy allows the dynamodb:GetItem action")
	f(AccessDenied("arn:aws:iam::1:user/u", "dynamodb:DeleteTable", "arn:aws:dynamodb:us-east-1:1:table/t", ExplicitDeny, "identity-based policy"),
		"User: arn:aws:iam::1:user/u is not authorized to perform: dynamodb:DeleteTable on resource: arn:aws:dynamodb:us-east-1:1:table/t with an explicit deny in an identity-based policy")
	f(AccessDenied("arn:aws:iam::1:user/u", "dynamodb:ListTables", "", ImplicitDeny, ""),
		"User: arn:aws:iam::1:user/u is not authorized to perform: dynamodb:ListTables on resource: * because no identity-based policy allows the dynamodb:ListTables action")
}

func TestParsePolicyErrors(t *testing.T) {
	for _, doc := range []string{`{}`, `{"Statement":[{"Effect":"Maybe","Action":"*"}]}`, `{"Statement":{"Effect":"Allow"}}`,
		`{"Statement":{"Effect":"Allow","Action":"*","NotAction":"x"}}`, `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringWhatever":{"a":"b"}}}}`,
		`{"Statement":{"Effect":"Allow","Action":"*","Condition":{"ForSomeValues:StringEquals":{"a":"b"}}}}`, `[`} {
		if _, err := ParsePolicy([]byte(doc)); err == nil {
			t.Errorf("%s parsed", doc)
		}
	}
}

// FuzzParsePolicy: any document either fails to parse or evaluates
// without panicking.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		`{"Statement":[{"Effect":"Deny","NotAction":["a:*"],"NotResource":"x*","Condition":{"ForAllValues:StringLike":{"k":["a*"]},"NumericLessThanIfExists":{"n":1}}}]}`,
		`{"Statement":{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"Null":{"x":"true"}}}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := ParsePolicy([]byte(doc))
		if err != nil {
			return
		}
		ctx := &Context{Principal: "arn:aws:iam::1:user/u", Action: "dynamodb:GetItem", Resources: []string{"arn:aws:dynamodb:r:1:table/t"},
			Keys: map[string][]string{"k": {"a", "b"}, "n": {"3"}, "aws:sourceip": {"10.1.2.3"}}}
		Evaluate([]*Policy{p}, p, ctx)
	})
}
