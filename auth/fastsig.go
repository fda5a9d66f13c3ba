package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"sync"
)

// The fast path of verification. The AWS SDK's signer (expected) is the
// authority on what a request's signature must be, but it works on an
// http.Request and costs several microseconds, which is too much for the
// proxy's cache hit path. fastMatch builds the canonical request of the
// common case itself (header signature, path "/", no query string, lower-
// case sorted SignedHeaders) and computes its HMAC under a cached signing
// key. A match proves the caller holds the secret and signed exactly this
// request, so it is accepted; anything else — a mismatch, or a request
// outside the common case — is decided by the SDK's signer, so the fast
// path can only ever accept what the SDK would accept, never refuse.
// FuzzFastPath checks that on random requests.

// fastMatch reports whether the signature of r verifies on the fast path.
func (v *Verifier) fastMatch(r *Request, s *signature, secret, day, region string) bool {
	if s.presigned || r.RawQuery != "" || (r.Path != "/" && r.Path != "") || r.Method == "" {
		return false
	}
	b := bufPool.Get().(*[]byte)
	defer bufPool.Put(b)
	c := append((*b)[:0], r.Method...)
	c = append(c, "\n/\n\n"...)
	signed := s.signedHeaders
	prev := ""
	for rest := signed; rest != ""; {
		var name string
		name, rest, _ = strings.Cut(rest, ";")
		if name == "" || name <= prev || strings.ToLower(name) != name || sdkIgnored[name] {
			return false // unsorted, duplicated, not lower case or one the signer skips: the SDK decides
		}
		prev = name
		c = append(c, name...)
		c = append(c, ':')
		switch name {
		case "host":
			c = appendTrimmed(c, r.Host)
		case "content-length":
			c = strconv.AppendInt(c, int64(len(r.Body)), 10)
		default:
			n := 0
			for _, h := range r.Headers {
				if strings.EqualFold(h.Name, name) {
					if n > 0 {
						c = append(c, ',')
					}
					c = appendTrimmed(c, h.Value)
					n++
				}
			}
			if n == 0 {
				return false
			}
		}
		c = append(c, '\n')
	}
	c = append(c, '\n')
	c = append(c, signed...)
	c = append(c, '\n')
	if h := r.header("X-Amz-Content-Sha256"); h != "" {
		c = append(c, h...)
	} else {
		sum := sha256.Sum256(r.Body)
		c = hex.AppendEncode(c, sum[:])
	}
	sum := sha256.Sum256(c)
	// The string to sign reuses the buffer after the canonical request.
	sts := append(c[len(c):], algorithm+"\n"...)
	sts = append(sts, s.date...)
	sts = append(sts, '\n')
	sts = append(sts, day...)
	sts = append(sts, '/')
	sts = append(sts, region...)
	sts = append(sts, '/')
	sts = append(sts, v.opts.Service...)
	sts = append(sts, "/aws4_request\n"...)
	sts = hex.AppendEncode(sts, sum[:])
	k := v.signingKey(secret, day, region)
	mac := k.get()
	mac.Write(sts)
	var out [sha256.Size]byte
	got := mac.Sum(out[:0])
	k.put(mac)
	want, err := hex.DecodeString(s.sig)
	*b = c[:0]
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// sdkIgnored are the headers the SDK's signer never signs.
var sdkIgnored = map[string]bool{"authorization": true, "user-agent": true, "x-amzn-trace-id": true, "expect": true, "transfer-encoding": true}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// appendTrimmed appends a header value as the SDK's signer canonicalizes
// it: leading and trailing spaces removed, inner runs of spaces as one
// (tabs and other blanks are kept, as the signer keeps them).
func appendTrimmed(dst []byte, v string) []byte {
	v = strings.Trim(v, " ")
	space := false
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if ch == ' ' {
			space = true
			continue
		}
		if space {
			dst = append(dst, ' ')
			space = false
		}
		dst = append(dst, ch)
	}
	return dst
}

// keyEntry is a cached signing key with a pool of its HMACs.
type keyEntry struct {
	key  []byte
	pool sync.Pool
}

func (e *keyEntry) get() hash.Hash {
	if h, ok := e.pool.Get().(hash.Hash); ok {
		h.Reset()
		return h
	}
	return hmac.New(sha256.New, e.key)
}

func (e *keyEntry) put(h hash.Hash) { e.pool.Put(h) }

// maxKeys bounds the signing-key cache (one entry per secret, day and
// Region in use).
const maxKeys = 4096

// signingKey returns the cached SigV4 signing key of (secret, day,
// region) for the verifier's service, deriving it on first use.
func (v *Verifier) signingKey(secret, day, region string) *keyEntry {
	id := secret + "\x00" + day + "\x00" + region
	v.keysMu.RLock()
	e := v.keyCache[id]
	v.keysMu.RUnlock()
	if e != nil {
		return e
	}
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), day)
	k = mac(k, region)
	k = mac(k, v.opts.Service)
	k = mac(k, "aws4_request")
	e = &keyEntry{key: k}
	v.keysMu.Lock()
	if v.keyCache == nil || len(v.keyCache) >= maxKeys {
		v.keyCache = map[string]*keyEntry{}
	}
	v.keyCache[id] = e
	v.keysMu.Unlock()
	return e
}
