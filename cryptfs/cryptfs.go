// Package cryptfs encrypts the files of a Pebble database at rest: a
// vfs.FS wrapper through which every file the engine writes (tables, WAL,
// MANIFEST, OPTIONS, markers) is stored encrypted.
//
// Each file starts with a 96-byte header:
//
//	magic "DYNXENC1" (8) | master-key fingerprint (8) | GCM nonce (12) |
//	data key sealed with AES-256-GCM under the master key (48) | CTR IV (16) | reserved (4)
//
// and its contents are encrypted with AES-256-CTR under the file's own
// random data key, the keystream positioned by the offset, so Pebble's
// random reads (ReadAt), appends, and recycled WAL files (rewritten in
// place) all work without re-encrypting anything. The data key never
// leaves the header unsealed; a wrong master key is detected by the
// fingerprint and by GCM's tag. Integrity of the contents rests on
// Pebble's own block and record checksums (CTR adds no MAC): this guards
// confidentiality against someone who reads the disk, not against an
// attacker who rewrites it.
package cryptfs

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// HeaderSize is the size of the header every file starts with.
const HeaderSize = 96

const magic = "DYNXENC1"

// Sentinel errors.
var (
	ErrWrongKey = errors.New("cryptfs: the file was encrypted under another master key")
	ErrCorrupt  = errors.New("cryptfs: corrupt file header")
	ErrKeySize  = errors.New("cryptfs: the master key must be 32 bytes")
)

// FS is an encrypting vfs.FS.
type FS struct {
	vfs.FS
	master      cipher.AEAD
	fingerprint [8]byte
}

// New returns an FS that stores the files of inner encrypted under the
// 32-byte master key.
func New(inner vfs.FS, master []byte) (*FS, error) {
	if len(master) != 32 {
		return nil, ErrKeySize
	}
	block, err := aes.NewCipher(master)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	f := &FS{FS: inner, master: aead}
	sum := sha256.Sum256(append([]byte("dynax cryptfs fingerprint"), master...))
	copy(f.fingerprint[:], sum[:8])
	return f, nil
}

// Unwrap returns the wrapped file system.
func (f *FS) Unwrap() vfs.FS { return f.FS }

// newHeader makes a header with a fresh data key and IV.
func (f *FS) newHeader() ([]byte, cipher.Block, []byte, error) {
	h := make([]byte, HeaderSize)
	copy(h, magic)
	copy(h[8:16], f.fingerprint[:])
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, nil, err
	}
	nonce := h[16:28]
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, nil, err
	}
	sealed := f.master.Seal(nil, nonce, key, []byte(magic))
	copy(h[28:76], sealed)
	iv := h[76:92]
	if _, err := rand.Read(iv); err != nil {
		return nil, nil, nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return h, block, append([]byte(nil), iv...), nil
}

// openHeader reads the data key and IV from a header.
func (f *FS) openHeader(h []byte) (cipher.Block, []byte, error) {
	if len(h) != HeaderSize || string(h[:8]) != magic {
		return nil, nil, ErrCorrupt
	}
	if string(h[8:16]) != string(f.fingerprint[:]) {
		return nil, nil, ErrWrongKey
	}
	key, err := f.master.Open(nil, h[16:28], h[28:76], []byte(magic))
	if err != nil {
		return nil, nil, ErrWrongKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, err
	}
	return block, append([]byte(nil), h[76:92]...), nil
}

// Create creates an encrypted file.
func (f *FS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	inner, err := f.FS.Create(name, category)
	if err != nil {
		return nil, err
	}
	return f.fresh(inner, name)
}

func (f *FS) fresh(inner vfs.File, name string) (vfs.File, error) {
	h, block, iv, err := f.newHeader()
	if err != nil {
		inner.Close()
		return nil, err
	}
	if _, err := inner.WriteAt(h, 0); err != nil {
		inner.Close()
		return nil, fmt.Errorf("cryptfs: write header of %s: %w", name, err)
	}
	return &file{inner: inner, block: block, iv: iv}, nil
}

// Open opens an encrypted file for reading.
func (f *FS) Open(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	inner, err := f.FS.Open(name, opts...)
	if err != nil {
		return nil, err
	}
	return f.existing(inner, name, false)
}

// OpenReadWrite opens an encrypted file for reading and writing, creating
// it when missing.
func (f *FS) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	inner, err := f.FS.OpenReadWrite(name, category, opts...)
	if err != nil {
		return nil, err
	}
	return f.existing(inner, name, true)
}

// ReuseForWrite renames oldname to newname and opens it for writing from
// its start, keeping its header (and data key).
func (f *FS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	inner, err := f.FS.ReuseForWrite(oldname, newname, category)
	if err != nil {
		return nil, err
	}
	return f.existing(inner, newname, true)
}

// existing wraps a file that should have a header; an empty one (created,
// then lost before its header was synced) gets a new header when it is
// opened for writing and reads as empty otherwise.
func (f *FS) existing(inner vfs.File, name string, writable bool) (vfs.File, error) {
	st, err := inner.Stat()
	if err != nil {
		inner.Close()
		return nil, err
	}
	if st.Size() < HeaderSize {
		if writable {
			return f.fresh(inner, name)
		}
		return &file{inner: inner, empty: true}, nil
	}
	h := make([]byte, HeaderSize)
	if _, err := inner.ReadAt(h, 0); err != nil {
		inner.Close()
		return nil, fmt.Errorf("cryptfs: read header of %s: %w", name, err)
	}
	block, iv, err := f.openHeader(h)
	if err != nil {
		inner.Close()
		return nil, fmt.Errorf("%w: %s", err, name)
	}
	return &file{inner: inner, block: block, iv: iv}, nil
}

// Stat reports the plaintext size.
func (f *FS) Stat(name string) (vfs.FileInfo, error) {
	fi, err := f.FS.Stat(name)
	if err != nil || fi.IsDir() {
		return fi, err
	}
	return plainInfo{fi}, nil
}

type plainInfo struct{ vfs.FileInfo }

func (p plainInfo) Size() int64 { return max(0, p.FileInfo.Size()-HeaderSize) }

// file is an open encrypted file. Offsets it takes and reports are
// plaintext offsets.
type file struct {
	inner  vfs.File
	block  cipher.Block
	iv     []byte
	rpos   int64
	wpos   int64
	empty  bool // no header: reads as empty, cannot be written
	buf    []byte
	closed bool
}

// xor encrypts or decrypts p, which lies at plaintext offset off.
func (f *file) xor(dst, p []byte, off int64) {
	var ctr [16]byte
	copy(ctr[:], f.iv)
	// Add the block number to the 128-bit big-endian counter.
	blockNo := uint64(off / 16)
	lo := binary.BigEndian.Uint64(ctr[8:])
	hi := binary.BigEndian.Uint64(ctr[:8])
	nlo := lo + blockNo
	if nlo < lo {
		hi++
	}
	binary.BigEndian.PutUint64(ctr[8:], nlo)
	binary.BigEndian.PutUint64(ctr[:8], hi)
	s := cipher.NewCTR(f.block, ctr[:])
	if skip := int(off % 16); skip > 0 {
		var junk [16]byte
		s.XORKeyStream(junk[:skip], junk[:skip])
	}
	s.XORKeyStream(dst, p)
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if f.empty {
		return 0, io.EOF
	}
	n, err := f.inner.ReadAt(p, off+HeaderSize)
	if n > 0 {
		f.xor(p[:n], p[:n], off)
	}
	return n, err
}

func (f *file) Read(p []byte) (int, error) {
	n, err := f.ReadAt(p, f.rpos)
	f.rpos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (f *file) WriteAt(p []byte, off int64) (int, error) {
	if f.empty {
		return 0, errors.New("cryptfs: write to a file without a header")
	}
	if cap(f.buf) < len(p) {
		f.buf = make([]byte, len(p))
	}
	c := f.buf[:len(p)]
	f.xor(c, p, off)
	return f.inner.WriteAt(c, off+HeaderSize)
}

func (f *file) Write(p []byte) (int, error) {
	n, err := f.WriteAt(p, f.wpos)
	f.wpos += int64(n)
	return n, err
}

func (f *file) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	return f.inner.Close()
}

func (f *file) Preallocate(offset, length int64) error {
	return f.inner.Preallocate(offset+HeaderSize, length)
}

func (f *file) Stat() (vfs.FileInfo, error) {
	fi, err := f.inner.Stat()
	if err != nil {
		return nil, err
	}
	return plainInfo{fi}, nil
}

func (f *file) Sync() error     { return f.inner.Sync() }
func (f *file) SyncData() error { return f.inner.SyncData() }

func (f *file) SyncTo(length int64) (bool, error) { return f.inner.SyncTo(length + HeaderSize) }

func (f *file) Prefetch(offset, length int64) error {
	return f.inner.Prefetch(offset+HeaderSize, length)
}

// Fd reports no descriptor, so nothing reads the file around the
// decryption.
func (f *file) Fd() uintptr { return vfs.InvalidFd }

// LoadKey reads a 32-byte master key file: the raw 32 bytes, or 64 hex
// digits (a trailing newline is ignored).
func LoadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cryptfs: read key file: %w", err)
	}
	if len(b) == 32 {
		return b, nil
	}
	s := string(b)
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	if len(s) == 64 {
		key := make([]byte, 32)
		if _, err := fmt.Sscanf(s, "%x", &key); err == nil && len(key) == 32 {
			return key, nil
		}
	}
	return nil, fmt.Errorf("%w (the key file holds %d bytes; give 32 raw bytes or 64 hex digits)", ErrKeySize, len(b))
}
