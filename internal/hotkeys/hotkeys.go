// Package hotkeys finds the most frequent keys of a stream — the heavy
// hitters — in bounded memory and without locks on the counting path.
//
// A Tracker is a count-min sketch (Depth rows of Width atomic counters,
// each key counted in one counter per row, its estimate the smallest of
// them: never below the true count, above it only by collisions) next to
// a top-k table of the keys with the largest estimates. Count, the hot
// path, is lock-free: Depth atomic additions, one atomic load of the
// admission floor (the smallest count in a full top k) and, for keys above
// it, one lookup in an immutable set of the current members. Only a key
// that is above the floor and not yet a member is proposed, with its
// display form, through a bounded lock-free queue (a full queue drops the
// proposal: the key's counts are in the sketch anyway, and a key hot
// enough to matter is proposed again on its next occurrence).
//
// Collect, run by one goroutine at a time (a background ticker or a
// reader), drains the queue, re-estimates every member from the sketch,
// keeps the k largest and publishes them with the new floor and member
// set. Memory is fixed at creation: Depth×Width×4 bytes of counters, the
// queue's slots and k entries.
package hotkeys

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Depth is the number of count-min rows.
const Depth = 4

// Options size a Tracker. The zero value of a field selects its default.
type Options struct {
	// K is how many keys the top table keeps. Default 100.
	K int
	// Width is the number of counters per row, rounded up to a power of
	// two. Default 2048 (32 KiB of counters).
	Width int
	// Queue is the number of proposal slots, rounded up to a power of two.
	// Default 256.
	Queue int
}

// Entry is one key of the top table.
type Entry struct {
	// Key is the display form the key was proposed with.
	Key string
	// Hash identifies the key.
	Hash uint64
	// Count is its estimated number of occurrences.
	Count uint64
}

// Tracker counts keys by hash. It is safe for concurrent use.
type Tracker struct {
	k     int
	mask  uint32
	rows  [Depth][]atomic.Uint32
	floor atomic.Uint32
	set   atomic.Pointer[map[uint64]struct{}]
	q     queue
	since time.Time

	mu   sync.Mutex // held by Collect
	top  map[uint64]*Entry
	snap atomic.Pointer[[]Entry]
}

// New returns an empty Tracker.
func New(o Options) *Tracker {
	if o.K <= 0 {
		o.K = 100
	}
	if o.Width <= 0 {
		o.Width = 2048
	}
	if o.Queue <= 0 {
		o.Queue = 256
	}
	w := pow2(o.Width)
	t := &Tracker{k: o.K, mask: uint32(w - 1), top: map[uint64]*Entry{}, since: time.Now()}
	for i := range t.rows {
		t.rows[i] = make([]atomic.Uint32, w)
	}
	t.q.init(pow2(o.Queue))
	empty := map[uint64]struct{}{}
	t.set.Store(&empty)
	none := []Entry{}
	t.snap.Store(&none)
	return t
}

func pow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// Since is when the tracker started counting.
func (t *Tracker) Since() time.Time { return t.since }

// index returns the counter of row i for hash h (double hashing: rows
// use h1 + i·h2, independent enough for a count-min sketch).
func (t *Tracker) index(h uint64, i int) uint32 {
	h1, h2 := uint32(h), uint32(h>>32)|1
	return (h1 + uint32(i)*h2) & t.mask
}

// Count records one occurrence of the key with hash h. It reports whether
// the caller should Propose the key: its estimate passed the admission
// floor, it is not yet in the top table and the queue has room.
func (t *Tracker) Count(h uint64) bool {
	est := ^uint32(0)
	for i := range t.rows {
		if v := t.rows[i][t.index(h, i)].Add(1); v < est {
			est = v
		}
	}
	if est <= t.floor.Load() {
		return false
	}
	if _, member := (*t.set.Load())[h]; member {
		return false
	}
	// With the queue full the proposal would be dropped: spare the caller
	// rendering the key (a uniform workload over more than K keys keeps
	// many keys just above the floor).
	return !t.q.full()
}

// Propose offers the key with hash h and display form key for the top
// table; it never blocks (a full queue drops it).
func (t *Tracker) Propose(h uint64, key string) { t.q.push(h, key) }

// estimate returns the sketch's count for h.
func (t *Tracker) estimate(h uint64) uint32 {
	est := ^uint32(0)
	for i := range t.rows {
		if v := t.rows[i][t.index(h, i)].Load(); v < est {
			est = v
		}
	}
	return est
}

// Collect folds the proposals into the top table and publishes it.
func (t *Tracker) Collect() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		h, key, ok := t.q.pop()
		if !ok {
			break
		}
		if _, ok := t.top[h]; !ok {
			t.top[h] = &Entry{Key: key, Hash: h}
		}
	}
	all := make([]Entry, 0, len(t.top))
	for _, e := range t.top {
		e.Count = uint64(t.estimate(e.Hash))
		all = append(all, *e)
	}
	slices.SortFunc(all, func(a, b Entry) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	if len(all) > t.k {
		for _, e := range all[t.k:] {
			delete(t.top, e.Hash)
		}
		all = all[:t.k]
	}
	set := make(map[uint64]struct{}, len(all))
	for _, e := range all {
		set[e.Hash] = struct{}{}
	}
	t.set.Store(&set)
	var floor uint32
	if len(all) == t.k {
		floor = uint32(all[len(all)-1].Count)
	}
	t.floor.Store(floor)
	t.snap.Store(&all)
}

// Top returns up to n keys with the largest counts, largest first, as of
// the last Collect.
func (t *Tracker) Top(n int) []Entry {
	all := *t.snap.Load()
	if n < len(all) {
		all = all[:n]
	}
	return slices.Clone(all)
}

// queue is a bounded multi-producer, single-consumer queue (Vyukov's
// array queue): a producer claims a slot by advancing head with a
// compare-and-swap, writes it, then publishes it by its sequence number;
// the consumer (Collect, under mu) reads slots in order.
type queue struct {
	slots []slot
	mask  uint64
	head  atomic.Uint64
	tail  atomic.Uint64 // written by the consumer only; read by full
}

type slot struct {
	seq atomic.Uint64
	h   uint64
	key string
}

func (q *queue) init(n int) {
	q.slots = make([]slot, n)
	q.mask = uint64(n - 1)
	for i := range q.slots {
		q.slots[i].seq.Store(uint64(i))
	}
}

func (q *queue) push(h uint64, key string) bool {
	for {
		pos := q.head.Load()
		s := &q.slots[pos&q.mask]
		switch d := int64(s.seq.Load() - pos); {
		case d == 0:
			if q.head.CompareAndSwap(pos, pos+1) {
				s.h, s.key = h, key
				s.seq.Store(pos + 1)
				return true
			}
		case d < 0:
			return false // full
		}
	}
}

// full reports whether every slot is claimed and not yet consumed.
func (q *queue) full() bool { return q.head.Load()-q.tail.Load() > q.mask }

func (q *queue) pop() (uint64, string, bool) {
	tail := q.tail.Load()
	s := &q.slots[tail&q.mask]
	if int64(s.seq.Load()-(tail+1)) < 0 {
		return 0, "", false
	}
	h, key := s.h, s.key
	s.key = ""
	s.seq.Store(tail + q.mask + 1)
	q.tail.Store(tail + 1)
	return h, key, true
}
