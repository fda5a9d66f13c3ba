package store

// ClientRequestToken idempotency of TransactWriteItems.
//
// A successful TransactWriteItems that carries a ClientRequestToken is
// remembered for 10 minutes after it completes, with a digest of its
// parameters. Within that window the same token with the same parameters
// succeeds again without applying anything (and reports read capacity, the
// cost of reading the items), the same token with other parameters fails
// with IdempotentParameterMismatchException, and the same token while the
// first request still runs fails with TransactionInProgressException.
// Failed requests (cancelled, invalid) are forgotten: nothing was applied,
// so a retry with the same token runs anew.
//
// "Parameters" are the TransactItems, compared by meaning: map members in
// any order, numbers in canonical form, set elements in any order.
// ReturnConsumedCapacity and ReturnItemCollectionMetrics shape only the
// response and are left out, so a retry may ask for other figures.
//
// The token table lives in memory only: it does not survive a restart of
// the node (a retry after a restart is applied again, which DynamoDB's
// documented guarantee, bounded to 10 minutes, does not forbid for a node
// that crashed). It holds at most idemMaxEntries tokens; beyond that the
// oldest are forgotten early.

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"slices"
	"sync"
	"time"

	"github.com/dynax/dynax/ddb"
)

const (
	// idemWindow is how long a completed token is remembered.
	idemWindow = 10 * time.Minute
	// idemMaxEntries bounds the token table.
	idemMaxEntries = 1 << 20
)

// idemState is the outcome of looking a token up.
type idemState int

const (
	idemNew        idemState = iota // unknown: run the transaction
	idemReplay                      // completed with the same parameters
	idemMismatch                    // known with other parameters
	idemInProgress                  // same parameters, still running
)

type idemEntry struct {
	token   string
	digest  [sha256.Size]byte
	done    bool
	expires time.Time
}

// idemStore is one node's token table.
type idemStore struct {
	mu   sync.Mutex
	m    map[string]*idemEntry
	fifo []*idemEntry // completed entries in completion (= expiry) order
	head int
}

func (n *Node) idempotency() *idemStore { return &n.idem }

// begin looks token up at time now and, when it is new, records it as
// running with digest d.
func (s *idemStore) begin(token string, d [sha256.Size]byte, now time.Time) idemState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*idemEntry{}
	}
	s.expire(now)
	e := s.m[token]
	if e != nil && e.done && !now.Before(e.expires) {
		delete(s.m, token)
		e = nil
	}
	switch {
	case e == nil:
		s.m[token] = &idemEntry{token: token, digest: d}
		return idemNew
	case e.digest != d:
		return idemMismatch
	case !e.done:
		return idemInProgress
	}
	return idemReplay
}

// finish ends the run of token started by begin: a success is remembered
// for idemWindow from now, a failure forgotten.
func (s *idemStore) finish(token string, ok bool, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[token]
	if e == nil || e.done {
		return
	}
	if !ok {
		delete(s.m, token)
		return
	}
	e.done = true
	e.expires = now.Add(idemWindow)
	s.fifo = append(s.fifo, e)
	for len(s.fifo)-s.head > idemMaxEntries {
		s.drop()
	}
}

// expire forgets the completed entries whose window has passed.
func (s *idemStore) expire(now time.Time) {
	for s.head < len(s.fifo) && !now.Before(s.fifo[s.head].expires) {
		s.drop()
	}
}

// drop forgets the oldest completed entry.
func (s *idemStore) drop() {
	e := s.fifo[s.head]
	s.fifo[s.head] = nil
	s.head++
	if s.m[e.token] == e {
		delete(s.m, e.token)
	}
	if s.head > 1024 && s.head*2 > len(s.fifo) {
		s.fifo = append(s.fifo[:0], s.fifo[s.head:]...)
		s.head = 0
	}
}

// Errors of the token checks (capital "Message", as DynamoDB sends them).

func errIdempotentMismatch() error {
	return &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "IdempotentParameterMismatchException", CapitalMessage: true,
		Message: "Transaction ClientRequestToken was used before with different parameters"}
}

func errTransactionInProgress() error {
	return &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "TransactionInProgressException", CapitalMessage: true,
		Message: "Transaction from previous request is still in progress"}
}

// Digest of the parameters.

// digester hashes values canonically.
type digester struct {
	h   hash.Hash
	buf []byte
}

func newDigester() *digester { return &digester{h: sha256.New(), buf: make([]byte, 0, 256)} }

func (d *digester) flush() {
	if len(d.buf) > 0 {
		d.h.Write(d.buf)
		d.buf = d.buf[:0]
	}
}

func (d *digester) byte(b byte) {
	d.buf = append(d.buf, b)
	if len(d.buf) >= 4096 {
		d.flush()
	}
}

// str writes a length-prefixed string.
func (d *digester) str(s string) {
	d.buf = binary.AppendUvarint(d.buf, uint64(len(s)))
	d.buf = append(d.buf, s...)
	if len(d.buf) >= 4096 {
		d.flush()
	}
}

// count writes a length.
func (d *digester) count(n int) { d.buf = binary.AppendUvarint(d.buf, uint64(n)) }

// optStr writes an optional string (absent differs from empty).
func (d *digester) optStr(s *string) {
	if s == nil {
		d.byte(0)
		return
	}
	d.byte(1)
	d.str(*s)
}

func (d *digester) item(it ddb.Item) {
	if it == nil {
		d.byte(0)
		return
	}
	d.byte(1)
	keys := itemSortedKeys(it)
	d.count(len(keys))
	for _, k := range keys {
		d.str(k)
		d.value(it[k])
	}
}

func (d *digester) names(m map[string]string) {
	if m == nil {
		d.byte(0)
		return
	}
	d.byte(1)
	keys := itemSortedKeys(m)
	d.count(len(keys))
	for _, k := range keys {
		d.str(k)
		d.str(m[k])
	}
}

func (d *digester) value(v ddb.Value) {
	d.byte(byte(v.T))
	switch v.T {
	case ddb.TypeS, ddb.TypeN:
		d.str(v.S)
	case ddb.TypeB:
		d.str(string(v.B))
	case ddb.TypeBOOL:
		if v.Bool {
			d.byte(1)
		} else {
			d.byte(0)
		}
	case ddb.TypeL:
		d.count(len(v.L))
		for _, e := range v.L {
			d.value(e)
		}
	case ddb.TypeM:
		d.item(v.M)
	case ddb.TypeSS, ddb.TypeNS:
		ss := slices.Clone(v.SS)
		slices.Sort(ss)
		d.count(len(ss))
		for _, s := range ss {
			d.str(s)
		}
	case ddb.TypeBS:
		bs := make([]string, len(v.BS))
		for i, b := range v.BS {
			bs[i] = string(b)
		}
		slices.Sort(bs)
		d.count(len(bs))
		for _, s := range bs {
			d.str(s)
		}
	}
}

func (d *digester) sum() [sha256.Size]byte {
	d.flush()
	var out [sha256.Size]byte
	d.h.Sum(out[:0])
	return out
}
