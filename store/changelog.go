package store

// The change log: every committed item change appends a record to its
// table's log in the same engine batch as the change itself, so a crash can
// never separate the two.
//
// Key space:
//
//	'l' + tableID(8) + seq(8)  → one change record
//	'L' + tableID(8)           → the table's trim horizon (lowest seq kept)
//	'q'                        → sequence floor: the counter never restarts below it
//
// Sequence numbers come from one node-wide counter, so they increase
// strictly within a table (and across tables: the change feed merges the
// table logs into one order). A writer takes its numbers while it holds the
// items' locks and just before it commits, so records of one item are in
// commit order. Numbers are handed out before the commit, so commits can
// finish out of order; readers therefore only see records up to the
// visible watermark, the highest number below which every allocated number
// has finished (committed, or failed and never written). A reader that has
// seen everything up to the watermark has seen everything it ever will
// below it.
//
// Record value:
//
//	version(1)=1 cause(1) uvarint(unix nanos)
//	uvarint(len) old stored item (empty: none)
//	uvarint(len) new stored item (empty: none)
//
// Stored items are the item encoding of items.go (size prefix + wire JSON),
// copied as they are: no re-encoding on the write path.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
)

const (
	tagLog        = 'l'
	tagLogHorizon = 'L'
	tagSeqFloor   = 'q'
)

// Cause says which operation made a change.
type Cause uint8

// Causes of changes. The zero value is invalid.
const (
	CausePut Cause = iota + 1
	CauseUpdate
	CauseDelete
	CauseBatchWrite
	CauseTransactWrite
	CausePartiQL
	CauseTTL
	CauseImport
	CauseRestore
	// CauseTableDeleted is the control record that ends a table's log: the
	// table and all its items were deleted. Its "new image" holds the
	// table's name and key attribute names (see dropMarker).
	CauseTableDeleted
)

var causeNames = [...]string{"", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
	"TransactWriteItems", "PartiQL", "TimeToLive", "ImportTable", "Restore", "DeleteTable"}

// String returns the operation name of c.
func (c Cause) String() string {
	if int(c) < len(causeNames) && c != 0 {
		return causeNames[c]
	}
	return fmt.Sprintf("Cause(%d)", uint8(c))
}

// logKey is the engine key of record seq of table id.
func logKey(id, seq uint64) []byte {
	k := make([]byte, 17)
	k[0] = tagLog
	binary.BigEndian.PutUint64(k[1:], id)
	binary.BigEndian.PutUint64(k[9:], seq)
	return k
}

// logBounds returns the key range of table id's records with seq in [from, to].
func logBounds(id, from, to uint64) (lo, hi []byte) {
	lo = logKey(id, from)
	if to == ^uint64(0) {
		hi = logKey(id+1, 0)
	} else {
		hi = logKey(id, to+1)
	}
	return lo, hi
}

func horizonKey(id uint64) []byte {
	k := make([]byte, 9)
	k[0] = tagLogHorizon
	binary.BigEndian.PutUint64(k[1:], id)
	return k
}

// logRecord is one decoded change record. Old and New alias the engine's
// buffer unless copied.
type logRecord struct {
	Seq   uint64
	Cause Cause
	Nanos int64
	Old   []byte // stored item (size prefix + JSON); nil: none
	New   []byte
	// Stamp and Origin are set on records of global tables (version 2,
	// replicate.go): the item version's last-writer-wins timestamp, and
	// the Region the change was replicated from ("" for a local write).
	Stamp  int64
	Origin string
}

func appendRecord(dst []byte, cause Cause, nanos int64, old, new []byte) []byte {
	dst = append(dst, 1, byte(cause))
	dst = binary.AppendUvarint(dst, uint64(nanos))
	dst = binary.AppendUvarint(dst, uint64(len(old)))
	dst = append(dst, old...)
	dst = binary.AppendUvarint(dst, uint64(len(new)))
	return append(dst, new...)
}

var errCorruptRecord = errors.New("store: corrupt change record")

func decodeRecord(seq uint64, v []byte) (logRecord, error) {
	r := logRecord{Seq: seq}
	if len(v) < 2 || v[0] != 1 && v[0] != 2 {
		return r, errCorruptRecord
	}
	ver := v[0]
	r.Cause = Cause(v[1])
	v = v[2:]
	ns, n := binary.Uvarint(v)
	if n <= 0 {
		return r, errCorruptRecord
	}
	r.Nanos = int64(ns)
	v = v[n:]
	for _, dst := range []*[]byte{&r.Old, &r.New} {
		l, n := binary.Uvarint(v)
		if n <= 0 || uint64(len(v)-n) < l {
			return r, errCorruptRecord
		}
		if l > 0 {
			*dst = v[n : n+int(l)]
		}
		v = v[n+int(l):]
	}
	if ver == 2 {
		return decodeStamp(r, v)
	}
	return r, nil
}

// seqTracker hands out sequence numbers and tracks the visible watermark.
type seqTracker struct {
	mu        sync.Mutex
	next      uint64   // next number to hand out
	pending   []uint64 // first numbers of unfinished allocations, ascending
	lastNanos int64    // record times never go backwards in seq order
	visible   atomic.Uint64
	wake      chan struct{} // closed when visible advances; nil if nobody waits
}

// alloc reserves n consecutive numbers and a record time.
func (s *seqTracker) alloc(n int, now int64) (first uint64, nanos int64) {
	s.mu.Lock()
	first = s.next
	s.next += uint64(n)
	s.pending = append(s.pending, first)
	if now < s.lastNanos {
		now = s.lastNanos
	}
	s.lastNanos = now
	s.mu.Unlock()
	return first, now
}

// finish ends the allocation that began at first (committed or not).
func (s *seqTracker) finish(first uint64) {
	s.mu.Lock()
	for i, p := range s.pending {
		if p == first {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			break
		}
	}
	vis := s.next - 1
	if len(s.pending) > 0 {
		vis = s.pending[0] - 1
	}
	var wake chan struct{}
	if vis > s.visible.Load() {
		s.visible.Store(vis)
		wake, s.wake = s.wake, nil
	}
	s.mu.Unlock()
	if wake != nil {
		close(wake)
	}
}

// peekNext returns the number the next allocation will get.
func (s *seqTracker) peekNext() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next
}

// waitChan returns a channel closed once the watermark exceeds seq, or nil
// if it already has.
func (s *seqTracker) waitChan(seq uint64) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.visible.Load() > seq {
		return nil
	}
	if s.wake == nil {
		s.wake = make(chan struct{})
	}
	return s.wake
}

// logTable is the change log state of one table (live, or deleted with
// records not yet reclaimed).
type logTable struct {
	id       uint64
	name     string
	hashKey  string
	rangeKey string
	// last is the highest number allocated to a record of this table.
	last atomic.Uint64
	// horizon is the lowest number that may still be stored; records below
	// it were reclaimed.
	horizon atomic.Uint64
	// dropped is set once the table was deleted (its drop record written).
	dropped atomic.Bool
	// global is set while the table has replicas in other Regions: its
	// changes are then versioned for last-writer-wins (replicate.go).
	global atomic.Bool
}

// changeLog is the node's change log.
type changeLog struct {
	n   *Node
	seq seqTracker

	mu     sync.RWMutex
	tables map[uint64]*logTable
}

// itemChange is one item change waiting for its record.
type itemChange struct {
	lt       *logTable
	old, new []byte // stored items; nil when absent
	// key is the item's engine key, needed to version the items of global
	// tables (replicate.go); nil: unversioned.
	key []byte
	// origin and stamp are set on changes replicated from another Region.
	origin string
	stamp  int64
}

// table returns the log state of table id, creating it for a live table.
func (l *changeLog) table(t *Table) *logTable {
	l.mu.RLock()
	lt := l.tables[t.ID]
	l.mu.RUnlock()
	if lt != nil {
		return lt
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if lt = l.tables[t.ID]; lt == nil {
		hk, _ := t.HashKey()
		rk, _ := t.RangeKey()
		lt = &logTable{id: t.ID, name: t.Name, hashKey: hk, rangeKey: rk}
		l.tables[t.ID] = lt
	}
	lt.global.Store(len(t.Desc.Replicas) > 0)
	return lt
}

// logTableByID returns the log state of table id, if it has one.
func (l *changeLog) logTableByID(id uint64) *logTable {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.tables[id]
}

// active returns the tables whose last record is above seq.
func (l *changeLog) active(seq uint64) []*logTable {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []*logTable
	for _, lt := range l.tables {
		if lt.last.Load() > seq {
			out = append(out, lt)
		}
	}
	return out
}

// logTicket is an allocation to finish after the batch commits.
type logTicket struct {
	first uint64
	ok    bool
}

// append adds one record per change to b and returns the allocation to
// finish (with done) once b has been committed or abandoned. The caller
// holds the locks of all the items.
func (l *changeLog) append(b *pebble.Batch, cause Cause, changes []itemChange) (logTicket, error) {
	if len(changes) == 0 {
		return logTicket{}, nil
	}
	first, nanos := l.seq.alloc(len(changes), l.n.opts.Now().UnixNano())
	tk := logTicket{first: first, ok: true}
	size := 0
	for _, c := range changes {
		size += 24 + len(c.old) + len(c.new)
	}
	buf := make([]byte, 0, size)
	for i, c := range changes {
		seq := first + uint64(i)
		storeMax(&c.lt.last, seq)
		start := len(buf)
		buf = appendRecord(buf, cause, nanos, c.old, c.new)
		if c.origin != "" || c.lt.global.Load() && c.key != nil {
			var err error
			if buf, err = l.n.stampChange(b, buf, start, c, nanos); err != nil {
				return tk, err
			}
		}
		if err := b.Set(logKey(c.lt.id, seq), buf[start:], nil); err != nil {
			return tk, err
		}
	}
	return tk, nil
}

// done finishes an allocation. A failed commit leaves a gap in the
// numbers that nobody can see; the floor is raised so that a restart never
// hands those numbers out again after readers passed them.
func (l *changeLog) done(tk logTicket, commitErr error) {
	if !tk.ok {
		return
	}
	if commitErr != nil {
		l.saveFloor()
	}
	l.seq.finish(tk.first)
}

// saveFloor persists the sequence counter (best effort).
func (l *changeLog) saveFloor() {
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], l.seq.peekNext())
	if err := l.n.db.Set([]byte{tagSeqFloor}, v[:], pebble.Sync); err != nil {
		l.n.log.Error("change log: save sequence floor", "err", err)
	}
}

// visible is the watermark: every record numbered up to it is readable.
func (l *changeLog) visible() uint64 { return l.seq.visible.Load() }

// scan calls fn for table id's records numbered from..to in order, until
// fn returns false. Records alias iterator memory only during fn.
func (l *changeLog) scan(id, from, to uint64, fn func(logRecord) (bool, error)) error {
	if from > to {
		return nil
	}
	lo, hi := logBounds(id, from, to)
	it, err := l.n.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		seq := binary.BigEndian.Uint64(it.Key()[9:])
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		r, err := decodeRecord(seq, v)
		if err != nil {
			return fmt.Errorf("table %d record %d: %w", id, seq, err)
		}
		more, err := fn(r)
		if err != nil || !more {
			return err
		}
	}
	return it.Error()
}

// openChangeLog recovers the log state: the tables that have records, their
// last numbers and horizons, and the counter.
func openChangeLog(n *Node) (*changeLog, error) {
	l := &changeLog{n: n, tables: map[uint64]*logTable{}}
	next := uint64(1)
	if v, closer, err := n.db.Get([]byte{tagSeqFloor}); err == nil {
		if len(v) == 8 {
			next = max(next, binary.BigEndian.Uint64(v))
		}
		closer.Close()
	} else if err != pebble.ErrNotFound {
		return nil, err
	}
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagLog}, UpperBound: []byte{tagLog + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	for ok := it.First(); ok; {
		if len(it.Key()) != 17 {
			return nil, fmt.Errorf("change log: bad key %x", it.Key())
		}
		id := binary.BigEndian.Uint64(it.Key()[1:9])
		if !it.SeekLT(logKey(id+1, 0)) {
			break
		}
		last := binary.BigEndian.Uint64(it.Key()[9:])
		lt := &logTable{id: id}
		lt.last.Store(last)
		next = max(next, last+1)
		if v, err := it.ValueAndErr(); err == nil {
			if r, err := decodeRecord(last, v); err == nil && r.Cause == CauseTableDeleted {
				lt.dropped.Store(true)
				lt.name, lt.hashKey, lt.rangeKey = parseDropMarker(r.New)
			}
		}
		l.tables[id] = lt
		ok = it.SeekGE(logKey(id+1, 0))
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	hit, err := n.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagLogHorizon}, UpperBound: []byte{tagLogHorizon + 1}})
	if err != nil {
		return nil, err
	}
	defer hit.Close()
	for hit.First(); hit.Valid(); hit.Next() {
		if len(hit.Key()) != 9 || len(hit.Value()) != 8 {
			continue
		}
		id := binary.BigEndian.Uint64(hit.Key()[1:])
		h := binary.BigEndian.Uint64(hit.Value())
		next = max(next, h)
		if lt := l.tables[id]; lt != nil {
			lt.horizon.Store(h)
		}
	}
	l.seq.next = next
	l.seq.visible.Store(next - 1)
	return l, hit.Error()
}

// attachTables fills in names and key attributes of live tables found in
// the log at start-up.
func (l *changeLog) attachTables(tables map[string]*Table) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range tables {
		if lt := l.tables[t.ID]; lt != nil && !lt.dropped.Load() {
			lt.name = t.Name
			lt.hashKey, _ = t.HashKey()
			lt.rangeKey, _ = t.RangeKey()
		}
	}
}

// dropMarker is the payload of a CauseTableDeleted record: name and key
// attribute names, NUL-separated, so the log of a deleted table stays
// readable after its catalog entry is gone.
func dropMarker(t *Table) []byte {
	hk, _ := t.HashKey()
	rk, _ := t.RangeKey()
	return []byte(t.Name + "\x00" + hk + "\x00" + rk)
}

func parseDropMarker(b []byte) (name, hashKey, rangeKey string) {
	parts := [3]string{}
	i := 0
	start := 0
	for j := 0; j <= len(b) && i < 3; j++ {
		if j == len(b) || b[j] == 0 {
			parts[i] = string(b[start:j])
			i++
			start = j + 1
		}
	}
	return parts[0], parts[1], parts[2]
}

// addDrop adds the drop record of table t to b (in the batch that deletes
// the table) and returns its allocation.
func (l *changeLog) addDrop(b *pebble.Batch, t *Table) (logTicket, *logTable, error) {
	lt := l.table(t)
	first, nanos := l.seq.alloc(1, l.n.opts.Now().UnixNano())
	storeMax(&lt.last, first)
	tk := logTicket{first: first, ok: true}
	return tk, lt, b.Set(logKey(t.ID, first), appendRecord(nil, CauseTableDeleted, nanos, nil, dropMarker(t)), nil)
}

// storeMax raises a to v unless it is already higher (allocations of one
// table may store their numbers out of order).
func storeMax(a *atomic.Uint64, v uint64) {
	for {
		cur := a.Load()
		if cur >= v || a.CompareAndSwap(cur, v) {
			return
		}
	}
}
