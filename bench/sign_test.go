package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
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
		date, auth := s.Sign("127.0.0.1:8000", "DynamoDB_20120810.GetItem", body)

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
