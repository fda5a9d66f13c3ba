package store

// Per-table encryption (SSESpecification with SSEType KMS). The engine's
// files as a whole are encrypted by cryptfs under the key file's default
// key; a table whose SSESpecification asks for KMS additionally has every
// stored item — table rows, index entries, and so the change records and
// backups that copy them — sealed with AES-256-GCM under a data key of
// its own, derived from the KMS key its KMSMasterKeyId names (HMAC-SHA256
// of the master key and the table's internal id). A sealed value keeps
// the size prefix and replaces the JSON with:
//
//	0x01 | key fingerprint (8) | table id (8) | nonce (12) | GCM(JSON), with the first 29 bytes as additional data
//
// Readers recognise it by that first byte (a stored item's JSON always
// starts with '{'), so items written before SSE was turned on, or under
// an earlier key, stay readable. Keys are looked up by fingerprint in a
// process-wide registry filled by Open, because values are decoded in
// many places that know no table.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/dynax/dynax/cryptfs"
)

const (
	sealMarker = 0x01
	sealHeader = 1 + 8 + 8 + 12
)

var (
	// masterKeys maps a key fingerprint to its master key.
	masterKeys sync.Map // [8]byte → []byte
	// dataKeys caches the AEAD of (fingerprint, table id).
	dataKeys sync.Map // dataKeyID → cipher.AEAD

	errNoKey = errors.New("store: the key an item was sealed with is not loaded (--kms-key-file)")
)

type dataKeyID struct {
	fp    [8]byte
	table uint64
}

// registerKeys makes a keyring's keys available to readers and writers.
func registerKeys(kr *cryptfs.Keyring) {
	if kr == nil {
		return
	}
	for _, k := range kr.All() {
		masterKeys.Store(cryptfs.Fingerprint(k), k)
	}
}

func dataAEAD(fp [8]byte, table uint64) (cipher.AEAD, error) {
	id := dataKeyID{fp, table}
	if a, ok := dataKeys.Load(id); ok {
		return a.(cipher.AEAD), nil
	}
	mk, ok := masterKeys.Load(fp)
	if !ok {
		return nil, errNoKey
	}
	m := hmac.New(sha256.New, mk.([]byte))
	fmt.Fprintf(m, "dynax table data key %d", table)
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	dataKeys.Store(id, a)
	return a, nil
}

// sseKeyFP returns the fingerprint to seal t's items with (ok false: t is
// not KMS-encrypted, or no keyring is loaded).
func (t *Table) sseKeyFP() (fp [8]byte, ok bool) {
	if t.Desc.SSE == nil || t.Desc.SSE.KeyFP == "" {
		return fp, false
	}
	b, err := hex.DecodeString(t.Desc.SSE.KeyFP)
	if err != nil || len(b) != 8 {
		return fp, false
	}
	copy(fp[:], b)
	return fp, true
}

// seal returns stored (its plain header and JSON) sealed for t when t is
// KMS-encrypted, else stored itself.
func (t *Table) seal(stored []byte) ([]byte, error) {
	fp, ok := t.sseKeyFP()
	if !ok {
		return stored, nil
	}
	_, _, n, err := storedHeader(stored)
	if err != nil {
		return nil, err
	}
	a, err := dataAEAD(fp, t.ID)
	if err != nil {
		return nil, err
	}
	js := stored[n:]
	out := make([]byte, 0, n+sealHeader+len(js)+a.Overhead())
	out = append(out, stored[:n]...)
	h := len(out)
	out = append(out, sealMarker)
	out = append(out, fp[:]...)
	out = binary.BigEndian.AppendUint64(out, t.ID)
	var nonce [12]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	out = append(out, nonce[:]...)
	return a.Seal(out, nonce[:], js, out[h:h+sealHeader]), nil
}

// openSealed returns the JSON of a sealed value (the part after the size
// prefix).
func openSealed(v []byte) ([]byte, error) {
	if len(v) < sealHeader {
		return nil, errors.New("store: corrupt sealed item")
	}
	var fp [8]byte
	copy(fp[:], v[1:9])
	a, err := dataAEAD(fp, binary.BigEndian.Uint64(v[9:17]))
	if err != nil {
		return nil, err
	}
	js, err := a.Open(nil, v[17:29], v[sealHeader:], v[:sealHeader])
	if err != nil {
		return nil, fmt.Errorf("store: sealed item does not open: %w", err)
	}
	return js, nil
}

// sseState is the SSE state of a table asking for KMS key arn: with a
// keyring loaded its items are sealed under the key of that name, or the
// keyring's default key when it has none of that name.
func (n *Node) sseState(arn string) *SSEState {
	s := &SSEState{KMSMasterKeyArn: arn}
	if kr := n.opts.Keyring; kr != nil {
		key, _ := kr.Key(arn)
		fp := cryptfs.Fingerprint(key)
		s.KeyFP = hex.EncodeToString(fp[:])
	}
	return s
}
