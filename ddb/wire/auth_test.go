package wire

import (
	"testing"

	"github.com/valyala/fasthttp"
)

func TestCheckAuth(t *testing.T) {
	f := func(auth, date, query, wantRegion, wantAccess, wantErr string) {
		t.Helper()
		var r fasthttp.Request
		r.SetRequestURI("http://127.0.0.1/" + query)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
		}
		region, access, err := checkAuth(&r)
		if wantErr != "" {
			if err == nil || err.Name()+": "+err.Message != wantErr {
				t.Fatalf("%q: error %v, want %s", auth, err, wantErr)
			}
			return
		}
		if err != nil || region != wantRegion || access != wantAccess {
			t.Fatalf("%q: got %q %q %v, want %q %q", auth, region, access, err, wantRegion, wantAccess)
		}
	}
	const d = "20260101T000000Z"
	f("AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc", d, "", "eu-west-1", "AKID", "")
	f("AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/dynamodb/aws4_request/, SignedHeaders=host, Signature=abc", d, "", "eu-west-1", "AKID", "")
	f("AWS4-HMAC-SHA256 Credential=AKID/20260101//dynamodb/aws4_request,SignedHeaders=host,Signature=abc", d, "", DefaultRegion, "AKID", "")
	f("", "", "", "", "", "MissingAuthenticationTokenException: Request is missing Authentication Token")
	f("Basic abc", d, "", "", "", "MissingAuthenticationTokenException: Request is missing Authentication Token")
	f("AWS4-HMAC-SHA256 Signature=x", d, "", "", "",
		"IncompleteSignatureException: Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Signature=x")
	f("AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=x", "", "", "", "",
		"IncompleteSignatureException: Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=x")
	f("AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=x", d, "", "", "",
		"IncompleteSignatureException: Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c'")
	f("AWS4-HMAC-SHA256 Credential=x", d, "?X-Amz-Algorithm=AWS4-HMAC-SHA256", "", "",
		"InvalidSignatureException: Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
	f("", "", "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=K/20260101/ap-south-1/dynamodb/aws4_request&X-Amz-Signature=s&X-Amz-SignedHeaders=host&X-Amz-Date="+d,
		"ap-south-1", "K", "")
	f("", "", "?X-Amz-Algorithm=AWS4-HMAC-SHA256", "", "",
		"IncompleteSignatureException: AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.")
}
