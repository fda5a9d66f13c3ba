package cryptfs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Keyring holds the master keys of `--kms-key-file`: one default key,
// which encrypts the engine's files, and optionally more keys named by
// KMS key ARN, which tables select with SSESpecification's
// KMSMasterKeyId. The file is either a single key (32 raw bytes or 64 hex
// digits: the default key) or JSON:
//
//	{"default":"arn:aws:kms:us-east-1:000000000000:key/a",
//	 "keys":{"arn:aws:kms:us-east-1:000000000000:key/a":"<64 hex digits>",
//	         "arn:aws:kms:us-east-1:000000000000:key/b":"<64 hex digits>"}}
//
// ("default" may be left out when there is one key).
type Keyring struct {
	def    []byte
	defARN string
	byARN  map[string][]byte
}

// ErrKeyring marks a malformed key file.
var ErrKeyring = errors.New("cryptfs: bad key file")

// LoadKeyring reads a key file.
func LoadKeyring(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cryptfs: read key file: %w", err)
	}
	if t := strings.TrimSpace(string(b)); !strings.HasPrefix(t, "{") {
		key, err := LoadKey(path)
		if err != nil {
			return nil, err
		}
		return &Keyring{def: key, byARN: map[string][]byte{}}, nil
	}
	var doc struct {
		Default string            `json:"default"`
		Keys    map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyring, err)
	}
	kr := &Keyring{byARN: map[string][]byte{}, defARN: doc.Default}
	for arn, h := range doc.Keys {
		key, err := hex.DecodeString(strings.TrimSpace(h))
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("%w: the key of %s must be 64 hex digits", ErrKeyring, arn)
		}
		kr.byARN[arn] = key
	}
	switch {
	case doc.Default != "":
		kr.def = kr.byARN[doc.Default]
		if kr.def == nil {
			return nil, fmt.Errorf("%w: the default %s is not among the keys", ErrKeyring, doc.Default)
		}
	case len(kr.byARN) == 1:
		for arn, k := range kr.byARN {
			kr.def, kr.defARN = k, arn
		}
	default:
		return nil, fmt.Errorf("%w: name the default key (\"default\") among %d keys", ErrKeyring, len(kr.byARN))
	}
	return kr, nil
}

// NewKeyring returns a keyring of one default key (tests, embedding).
func NewKeyring(def []byte, named map[string][]byte) (*Keyring, error) {
	if len(def) != 32 {
		return nil, ErrKeySize
	}
	kr := &Keyring{def: def, byARN: map[string][]byte{}}
	for arn, k := range named {
		if len(k) != 32 {
			return nil, ErrKeySize
		}
		kr.byARN[arn] = k
	}
	return kr, nil
}

// Default returns the default key.
func (k *Keyring) Default() []byte { return k.def }

// Key returns the key a KMS key ARN names, or the default key (ok false)
// when the keyring has no key of that name.
func (k *Keyring) Key(arn string) (key []byte, ok bool) {
	if key, ok := k.byARN[arn]; ok {
		return key, true
	}
	return k.def, false
}

// All returns every key (the default one included).
func (k *Keyring) All() [][]byte {
	out := [][]byte{k.def}
	for _, key := range k.byARN {
		out = append(out, key)
	}
	return out
}

// Fingerprint names a key without revealing it (8 bytes of a hash).
func Fingerprint(key []byte) [8]byte {
	sum := sha256.Sum256(append([]byte("dynax key fingerprint"), key...))
	var fp [8]byte
	copy(fp[:], sum[:8])
	return fp
}
