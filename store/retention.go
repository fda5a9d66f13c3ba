package store

// Reclaiming the change log.
//
// Every consumer of a table's log holds a retention: the change feed keeps
// Options.ChangeFeedRetention of every table's records, and each stream
// keeps 24 hours of the records it covers (from its start, for 24 hours
// after it was disabled), and point-in-time recovery keeps everything after
// its oldest base copy (pitr.go), and each Kinesis destination everything
// after its saved position (kinesis.go). Periodically the trimmer computes, per table, the
// lowest sequence number any consumer still needs and deletes everything
// below it with one range deletion, in the same batch as the table's new
// horizon ('L' + tableID), so readers can tell reclaimed positions
// (TrimmedDataAccessException) from empty ones. The log of a deleted table
// goes entirely once no consumer needs it.
//
// Record times increase with sequence numbers (they are taken under the
// same lock), so "the first record younger than T" is a binary search by
// number over the table's log.

import (
	"encoding/binary"

	"github.com/cockroachdb/pebble/v2"
)

// maintainLogs rolls stream shards, forgets expired streams and reclaims
// log records past every retention.
func (n *Node) maintainLogs() error {
	if err := n.streams.maintain(); err != nil {
		return err
	}
	if err := n.maintainPITR(); err != nil {
		return err
	}
	return n.trimLogs()
}

// trimLogs reclaims the records no consumer needs any more.
func (n *Node) trimLogs() error {
	now := n.opts.Now()
	feedCut := now.Add(-n.opts.ChangeFeedRetention).UnixNano()
	streamCut := now.Add(-streamRetention).UnixNano()
	vis := n.clog.visible()
	for _, lt := range n.clog.active(0) {
		if lt.last.Load() < lt.horizon.Load() {
			continue // nothing left to reclaim
		}
		needed, err := n.clog.firstAtOrAfter(lt, feedCut, vis)
		if err != nil {
			return err
		}
		for _, s := range n.streams.ofTable(lt.id) {
			from := s.Start
			if s.Disabled != 0 && from > s.End {
				continue // covers nothing
			}
			at, err := n.clog.firstAtOrAfter(lt, streamCut, vis)
			if err != nil {
				return err
			}
			needed = min(needed, max(from, at))
		}
		if hold, ok := n.backups.pitrHold(lt.id); ok {
			needed = min(needed, hold)
		}
		if t, ok := n.tableByID(lt.id); ok {
			if hold, ok := n.kinesisHold(t); ok {
				needed = min(needed, hold)
			}
			if hold, ok := n.rep.hold(t); ok {
				needed = min(needed, hold)
			}
		}
		if needed <= lt.horizon.Load() {
			continue
		}
		if err := n.clog.trim(lt, needed); err != nil {
			return err
		}
	}
	return nil
}

// firstAtOrAfter returns the number of lt's first record written at or
// after nanos, looking no further than vis; vis+1 if there is none.
func (l *changeLog) firstAtOrAfter(lt *logTable, nanos int64, vis uint64) (uint64, error) {
	lo, hi := lt.horizon.Load(), min(lt.last.Load(), vis)+1
	if lo >= hi {
		return vis + 1, nil
	}
	it, err := l.n.db.NewIter(&pebble.IterOptions{LowerBound: logKey(lt.id, lo), UpperBound: logKey(lt.id, hi)})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	// first returns the first record numbered at least seq.
	first := func(seq uint64) (uint64, int64, bool, error) {
		if !it.SeekGE(logKey(lt.id, seq)) {
			return 0, 0, false, it.Error()
		}
		at := binary.BigEndian.Uint64(it.Key()[9:])
		v, err := it.ValueAndErr()
		if err != nil {
			return 0, 0, false, err
		}
		r, err := decodeRecord(at, v)
		return at, r.Nanos, err == nil, err
	}
	// Records are in time order: every record below lo is older than
	// nanos, the first record at or above hi (if any) is not.
	for lo < hi {
		mid := lo + (hi-lo)/2
		seq, t, ok, err := first(mid)
		if err != nil {
			return 0, err
		}
		if !ok || t >= nanos {
			hi = mid
		} else {
			lo = seq + 1
		}
	}
	seq, _, ok, err := first(lo)
	if err != nil || !ok {
		return vis + 1, err
	}
	return seq, nil
}

// trim deletes lt's records below needed and records the new horizon:
// one above the last record deleted, so a reader positioned at or after it
// is not told it missed anything.
func (l *changeLog) trim(lt *logTable, needed uint64) error {
	last, found, err := l.lastBelow(lt.id, needed)
	if err != nil || !found {
		return err
	}
	b := l.n.db.NewBatch()
	defer b.Close()
	if err := b.DeleteRange(logKey(lt.id, 0), logKey(lt.id, last+1), nil); err != nil {
		return err
	}
	horizon := last + 1
	gone := lt.dropped.Load() && last >= lt.last.Load()
	var v [8]byte
	if gone {
		// The whole log of a deleted table: forget it, keeping the counter.
		if err := b.Delete(horizonKey(lt.id), nil); err != nil {
			return err
		}
		binary.BigEndian.PutUint64(v[:], l.seq.peekNext())
		if err := b.Set([]byte{tagSeqFloor}, v[:], nil); err != nil {
			return err
		}
	} else {
		binary.BigEndian.PutUint64(v[:], horizon)
		if err := b.Set(horizonKey(lt.id), v[:], nil); err != nil {
			return err
		}
	}
	// Not synced: losing a trim in a crash only keeps records longer.
	if err := b.Commit(pebble.NoSync); err != nil {
		return err
	}
	lt.horizon.Store(horizon)
	if gone {
		l.mu.Lock()
		delete(l.tables, lt.id)
		l.mu.Unlock()
	}
	return nil
}

// lastBelow returns the number of table id's last record below seq.
func (l *changeLog) lastBelow(id, seq uint64) (uint64, bool, error) {
	it, err := l.n.db.NewIter(&pebble.IterOptions{LowerBound: logKey(id, 0), UpperBound: logKey(id, seq)})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	if !it.Last() {
		return 0, false, it.Error()
	}
	return binary.BigEndian.Uint64(it.Key()[9:]), true, nil
}
