package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/cespare/xxhash/v2"
)

// Member is one live member of the view.
type Member struct {
	// ID is the member's unique id.
	ID string `json:"id"`
	// Peer is the host:port of its peer server.
	Peer string `json:"peer"`
	// Started is when the member registered.
	Started time.Time `json:"started"`
	// Version is the member's dynax version.
	Version string `json:"version,omitempty"`

	seed uint64 // hash of ID
}

// KeyHash is the hash of an item key used for ownership; compute it once
// per key when asking several views.
func KeyHash(key string) uint64 { return xxhash.Sum64String(key) }

// score is the rendezvous weight of a member for a key hash.
func score(keyHash, seed uint64) uint64 {
	// murmur3's 64-bit finalizer: every bit of both inputs affects every
	// bit of the score, so members' scores for one key are independent.
	x := keyHash ^ seed
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// ownerIndex returns the index of the highest-scoring member (-1 when
// members is empty). Ties (astronomically unlikely) go to the smaller id.
func ownerIndex(members []Member, keyHash uint64) int {
	best, bestScore := -1, uint64(0)
	for i := range members {
		s := score(keyHash, members[i].seed)
		if best < 0 || s > bestScore || (s == bestScore && members[i].ID < members[best].ID) {
			best, bestScore = i, s
		}
	}
	return best
}

// Owner returns the member of members that owns key by rendezvous hashing
// (false when members is empty). Members need not be sorted.
func Owner(members []Member, key string) (Member, bool) {
	ms := withSeeds(members)
	i := ownerIndex(ms, KeyHash(key))
	if i < 0 {
		return Member{}, false
	}
	return ms[i], true
}

func withSeeds(members []Member) []Member {
	out := make([]Member, len(members))
	copy(out, members)
	for i := range out {
		out[i].seed = xxhash.Sum64String(out[i].ID)
	}
	return out
}

// Shares estimates each member's share of the key space by the owners of
// n sample keys (ids → fraction).
func Shares(members []Member, n int) map[string]float64 {
	ms := withSeeds(members)
	out := make(map[string]float64, len(ms))
	if len(ms) == 0 || n <= 0 {
		return out
	}
	var buf [24]byte
	for i := 0; i < n; i++ {
		b := append(buf[:0], "sample-"...)
		b = appendUint(b, uint64(i))
		out[ms[ownerIndex(ms, xxhash.Sum64(b))].ID] += 1 / float64(n)
	}
	return out
}

func appendUint(b []byte, v uint64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
