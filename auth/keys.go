package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// Sentinel errors.
var (
	ErrCredentialsFile = errors.New("auth: bad credentials file")
)

// User is one entry of a credentials file.
type User struct {
	AccessKeyID     string            `json:"accessKeyId"`
	SecretAccessKey string            `json:"secretAccessKey"`
	ARN             string            `json:"arn"`
	Policies        []json.RawMessage `json:"policies"`
}

// Users is a set of access keys, loaded from a credentials file:
//
//	{"users":[{"accessKeyId":"…","secretAccessKey":"…","arn":"arn:aws:iam::111122223333:user/alice",
//	           "policies":[<IAM policy documents>]}]}
//
// A user without policies may do everything.
type Users struct {
	byKey map[string]userEntry
}

type userEntry struct {
	p      *Principal
	secret string
}

// LoadUsers reads a credentials file.
func LoadUsers(path string) (*Users, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCredentialsFile, err)
	}
	return ParseUsers(b)
}

// ParseUsers parses the JSON of a credentials file.
func ParseUsers(b []byte) (*Users, error) {
	var doc struct {
		Users []User `json:"users"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCredentialsFile, err)
	}
	u := &Users{byKey: map[string]userEntry{}}
	for i, user := range doc.Users {
		if user.AccessKeyID == "" || user.SecretAccessKey == "" {
			return nil, fmt.Errorf("%w: user %d needs accessKeyId and secretAccessKey", ErrCredentialsFile, i)
		}
		if _, dup := u.byKey[user.AccessKeyID]; dup {
			return nil, fmt.Errorf("%w: access key %s appears twice", ErrCredentialsFile, user.AccessKeyID)
		}
		p := &Principal{AccessKeyID: user.AccessKeyID, ARN: user.ARN}
		for j, raw := range user.Policies {
			pol, err := ParsePolicy(raw)
			if err != nil {
				return nil, fmt.Errorf("%w: user %s policy %d: %v", ErrCredentialsFile, user.AccessKeyID, j, err)
			}
			p.Policies = append(p.Policies, pol)
		}
		u.byKey[user.AccessKeyID] = userEntry{p: p, secret: user.SecretAccessKey}
	}
	return u, nil
}

// Lookup implements Keys.
func (u *Users) Lookup(accessKeyID string) (*Principal, string, bool) {
	e, ok := u.byKey[accessKeyID]
	return e.p, e.secret, ok
}
