package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestSignerMatchesSDK checks the pre-computed signer against the AWS SDK's
// v4 signer, with and without a session token.
func TestSignerMatchesSDK(t *testing.T) {
	now := time.Date(2026, 11, 23, 19, 30, 5, 0, time.UTC)
	body := []byte(`{"TableName":"t","Key":{"pk":{"S":"a"}}}`)
	for _, creds := range []Credentials{TestCredentials, {AccessKeyID: "AKIA1", SecretAccessKey: "secret", SessionToken: "tok=="}} {
		s := NewSigner(creds, "eu-west-1")
		s.now = func() time.Time { return now }
		date, tok, auth := s.Sign("127.0.0.1:8000", "DynamoDB_20120810.GetItem", body)
		if tok != creds.SessionToken {
			t.Errorf("token %q", tok)
		}

		req, _ := http.NewRequest("POST", "http://127.0.0.1:8000/", nil)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
		if creds.SessionToken != "" {
			req.Header.Set("X-Amz-Security-Token", creds.SessionToken)
		}
		ph := sha256.Sum256(body)
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken},
			req, hex.EncodeToString(ph[:]), "dynamodb", "eu-west-1", now)
		if err != nil {
			t.Fatal(err)
		}
		if got := req.Header.Get("X-Amz-Date"); got != date {
			t.Errorf("date %q, SDK %q", date, got)
		}
		if got := req.Header.Get("Authorization"); got != auth {
			t.Errorf("authorization\n got %s\n SDK %s", auth, got)
		}
	}
}

func TestSignerRefreshes(t *testing.T) {
	n := 0
	get := func() (Credentials, error) {
		n++
		return Credentials{AccessKeyID: "AKID" + string(rune('0'+n)), SecretAccessKey: "s"}, nil
	}
	s, err := NewRefreshingSigner(get, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s.now = func() time.Time { return now }
	_, _, a1 := s.Sign("h", "T", nil)
	now = now.Add(2 * time.Minute)
	_, _, a2 := s.Sign("h", "T", nil)
	if !strings.Contains(a1, "Credential=AKID1/") || !strings.Contains(a2, "Credential=AKID2/") {
		t.Fatalf("%s\n%s", a1, a2)
	}
	if s.Credentials().AccessKeyID != "AKID2" {
		t.Fatal(s.Credentials())
	}
}
