package bench

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// Credentials are AWS credentials for SigV4.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// TestCredentials are the static credentials used for loopback endpoints
// when no others are configured; dynax and dynalite accept any.
var TestCredentials = Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}

// Signer signs DynamoDB requests with AWS Signature Version 4. The signing
// key is derived once per day and the credential scope and header list are
// pre-built, so a signature costs two SHA-256 and one HMAC of small inputs.
// It produces the same Authorization header as the AWS SDK's v4 signer for
// the headers the client sends (content-type, host, x-amz-date,
// x-amz-security-token, x-amz-target).
type Signer struct {
	creds  Credentials
	region string
	now    func() time.Time

	mu        sync.Mutex
	day       string
	key       []byte
	second    int64
	amzDate   string
	refresh   func() (Credentials, error)
	refreshed time.Time
}

// NewSigner returns a signer for region.
func NewSigner(creds Credentials, region string) *Signer {
	return &Signer{creds: creds, region: region, now: time.Now}
}

// NewRefreshingSigner returns a signer for region that asks get for
// credentials at most once a minute (get should cache, as the AWS SDK's
// aws.CredentialsCache does), so expiring session credentials are renewed
// during long runs. A failed refresh keeps the previous credentials.
func NewRefreshingSigner(get func() (Credentials, error), region string) (*Signer, error) {
	c, err := get()
	if err != nil {
		return nil, err
	}
	s := NewSigner(c, region)
	s.refresh, s.refreshed = get, time.Now()
	return s, nil
}

func signedHeaders(c Credentials) string {
	if c.SessionToken != "" {
		return "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
	}
	return "content-type;host;x-amz-date;x-amz-target"
}

// Credentials returns the credentials in use.
func (s *Signer) Credentials() Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creds
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// dateAndKey returns the X-Amz-Date for t, the day, the day's signing
// key and the credentials it was derived from.
func (s *Signer) dateAndKey(t time.Time) (string, string, []byte, Credentials) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec := t.Unix(); sec != s.second || s.amzDate == "" {
		s.second = sec
		s.amzDate = t.UTC().Format("20060102T150405Z")
	}
	day := s.amzDate[:8]
	if s.refresh != nil && t.Sub(s.refreshed) > time.Minute {
		s.refreshed = t
		if c, err := s.refresh(); err == nil && c != s.creds {
			s.creds = c
			s.day = "" // derive the key again
		}
	}
	if day != s.day {
		k := hmacSHA256([]byte("AWS4"+s.creds.SecretAccessKey), day)
		k = hmacSHA256(k, s.region)
		k = hmacSHA256(k, "dynamodb")
		s.key = hmacSHA256(k, "aws4_request")
		s.day = day
	}
	return s.amzDate, s.day, s.key, s.creds
}

// Sign returns the X-Amz-Date, X-Amz-Security-Token ("" when none) and
// Authorization header values of a POST / to host with the given
// X-Amz-Target and body.
func (s *Signer) Sign(host, target string, body []byte) (amzDate, token, auth string) {
	amzDate, day, key, creds := s.dateAndKey(s.now())
	ph := sha256.Sum256(body)
	sh := signedHeaders(creds)
	buf := make([]byte, 0, 512)
	buf = append(buf, "POST\n/\n\ncontent-type:application/x-amz-json-1.0\nhost:"...)
	buf = append(buf, host...)
	buf = append(buf, "\nx-amz-date:"...)
	buf = append(buf, amzDate...)
	if creds.SessionToken != "" {
		buf = append(buf, "\nx-amz-security-token:"...)
		buf = append(buf, creds.SessionToken...)
	}
	buf = append(buf, "\nx-amz-target:"...)
	buf = append(buf, target...)
	buf = append(buf, "\n\n"...)
	buf = append(buf, sh...)
	buf = append(buf, '\n')
	buf = hex.AppendEncode(buf, ph[:])
	ch := sha256.Sum256(buf)
	scope := day + "/" + s.region + "/dynamodb/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(ch[:])
	sig := hex.EncodeToString(hmacSHA256(key, sts))
	return amzDate, creds.SessionToken, "AWS4-HMAC-SHA256 Credential=" + creds.AccessKeyID + "/" + scope + ", SignedHeaders=" + sh + ", Signature=" + sig
}
