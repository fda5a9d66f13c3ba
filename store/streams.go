package store

// DynamoDB Streams as views of the change log.
//
// A stream is created when a table's stream is enabled (CreateTable or
// UpdateTable) and covers the change records numbered from the moment it
// was enabled to the moment it was disabled (or its table deleted). Its
// metadata lives under
//
//	's' + table name + 0x00 + label → JSON streamMeta
//
// written in the same batch as the catalog change that enables or
// disables it. A stream has a lineage of shards: one open shard at a time
// which, every Options.StreamShardRollover, closes (its last number is
// fixed) and gets a child that starts right after it. Shards are ranges of
// sequence numbers, so a reader that finishes a parent before its child,
// as DynamoDB asks, reads every record exactly once and in order. Records
// are kept 24 hours (the stream's retention, held against the log trimmer)
// and a disabled stream stays readable for 24 hours, then disappears.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

const tagStream = 's'

// streamRetention is how long records and disabled streams stay readable.
const streamRetention = 24 * time.Hour

// streamMeta is one stream. Values in the registry are immutable; changes
// store modified copies.
type streamMeta struct {
	Table    string `json:"table"`
	TableID  uint64 `json:"tableId"`
	Region   string `json:"region"`
	Account  string `json:"account"`
	Label    string `json:"label"`
	ViewType string `json:"viewType"`
	HashKey  string `json:"hashKey"`
	RangeKey string `json:"rangeKey,omitempty"`
	// Created is when the stream was enabled (Unix milliseconds).
	Created int64 `json:"created"`
	// Start is the first sequence number the stream covers.
	Start uint64 `json:"start"`
	// Disabled is when the stream was disabled (Unix ms; 0: enabled), and
	// End the last number it covers then.
	Disabled int64       `json:"disabled,omitempty"`
	End      uint64      `json:"end,omitempty"`
	Shards   []shardMeta `json:"shards"`
}

// shardMeta is one shard: the numbers Start..End (End valid once Closed).
type shardMeta struct {
	ID       string `json:"id"`
	Parent   string `json:"parent,omitempty"`
	Start    uint64 `json:"start"`
	End      uint64 `json:"end,omitempty"`
	Closed   bool   `json:"closed,omitempty"`
	Created  int64  `json:"created"`
	ClosedAt int64  `json:"closedAt,omitempty"`
}

// Arn returns the stream ARN.
func (s *streamMeta) Arn() string {
	return "arn:aws:dynamodb:" + s.Region + ":" + s.Account + ":table/" + s.Table + "/stream/" + s.Label
}

func (s *streamMeta) clone() *streamMeta {
	c := *s
	c.Shards = slices.Clone(s.Shards)
	return &c
}

// shard returns the shard called id.
func (s *streamMeta) shard(id string) (*shardMeta, bool) {
	for i := range s.Shards {
		if s.Shards[i].ID == id {
			return &s.Shards[i], true
		}
	}
	return nil, false
}

// lastCovered returns the last number a reader of shard sh may see: its
// end, the stream's end, or no bound (^0) for an open shard of an enabled
// stream.
func (s *streamMeta) lastCovered(sh *shardMeta) uint64 {
	last := ^uint64(0)
	if sh.Closed {
		last = sh.End
	}
	if s.Disabled != 0 {
		last = min(last, s.End)
	}
	return last
}

func streamKey(table, label string) []byte {
	k := make([]byte, 0, 2+len(table)+len(label))
	k = append(k, tagStream)
	k = append(k, table...)
	k = append(k, 0)
	return append(k, label...)
}

func (s *streamMeta) key() []byte { return streamKey(s.Table, s.Label) }

func (s *streamMeta) put(b *pebble.Batch) error {
	v, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return b.Set(s.key(), v, nil)
}

// newShardID returns a shard id shaped like DynamoDB's
// (shardId-<20 digits>-<8 hex>, 28 characters or more).
func newShardID(now time.Time) string {
	return fmt.Sprintf("shardId-%020d-%08x", now.UnixMilli(), rand.Uint32())
}

// streamRegistry holds every stream of the node.
type streamRegistry struct {
	n  *Node
	mu sync.Mutex
	// byKey maps table name + "\x00" + label to the stream.
	byKey map[string]*streamMeta
}

func loadStreams(n *Node) (*streamRegistry, error) {
	r := &streamRegistry{n: n, byKey: map[string]*streamMeta{}}
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagStream}, UpperBound: []byte{tagStream + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		var s streamMeta
		if err := json.Unmarshal(it.Value(), &s); err != nil {
			return nil, fmt.Errorf("stream entry %q: %w", it.Key()[1:], err)
		}
		r.byKey[string(it.Key()[1:])] = &s
	}
	return r, it.Error()
}

// get returns the stream of table with label.
func (r *streamRegistry) get(table, label string) (*streamMeta, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.byKey[table+"\x00"+label]
	return s, ok
}

// list returns the streams in ARN order (table name, then label), those
// of table only when table != "".
func (r *streamRegistry) list(table string) []*streamMeta {
	r.mu.Lock()
	out := make([]*streamMeta, 0, len(r.byKey))
	for _, s := range r.byKey {
		if table == "" || s.Table == table {
			out = append(out, s)
		}
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b *streamMeta) int {
		return cmp.Or(strings.Compare(a.Table, b.Table), strings.Compare(a.Label, b.Label))
	})
	return out
}

// ofTable returns the streams over the log of table id.
func (r *streamRegistry) ofTable(id uint64) []*streamMeta {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*streamMeta
	for _, s := range r.byKey {
		if s.TableID == id {
			out = append(out, s)
		}
	}
	return out
}

// prepare adds to b the stream changes that a table going from old to new
// implies (nil old: created; nil new: deleted) and returns the function
// that installs them once b has been committed (ok=true) or abandoned. The
// registry stays locked in between, so the rollover cannot interleave; the
// caller must call the function exactly once.
func (r *streamRegistry) prepare(b *pebble.Batch, old, new *Table) (func(ok bool), error) {
	r.mu.Lock()
	var changed []*streamMeta
	finish := func(ok bool) {
		if ok {
			for _, s := range changed {
				r.byKey[string(s.key()[1:])] = s
			}
		}
		r.mu.Unlock()
	}
	now := r.n.opts.Now()
	oldS, newS := streamOf(old), streamOf(new)
	if oldS != nil && (newS == nil || newS.Label != oldS.Label) {
		if s, ok := r.byKey[old.Name+"\x00"+oldS.Label]; ok && s.TableID == old.ID && s.Disabled == 0 {
			c := s.clone()
			c.Disabled = now.UnixMilli()
			c.End = r.n.clog.seq.peekNext() - 1
			if sh := &c.Shards[len(c.Shards)-1]; !sh.Closed {
				sh.Closed, sh.End, sh.ClosedAt = true, c.End, c.Disabled
			}
			changed = append(changed, c)
		}
	}
	if newS != nil && (oldS == nil || oldS.Label != newS.Label) {
		hk, _ := new.HashKey()
		rk, _ := new.RangeKey()
		start := r.n.clog.seq.peekNext()
		changed = append(changed, &streamMeta{
			Table: new.Name, TableID: new.ID, Region: new.Region, Account: new.Account,
			Label: newS.Label, ViewType: newS.ViewType, HashKey: hk, RangeKey: rk,
			Created: now.UnixMilli(), Start: start,
			Shards: []shardMeta{{ID: newShardID(now), Start: start, Created: now.UnixMilli()}},
		})
	}
	for _, s := range changed {
		if err := s.put(b); err != nil {
			finish(false)
			return nil, err
		}
	}
	return finish, nil
}

// streamOf returns t's enabled stream, or nil.
func streamOf(t *Table) *StreamState {
	if t == nil || t.Desc.Stream == nil || !t.Desc.Stream.Enabled {
		return nil
	}
	return t.Desc.Stream
}

// maintain rolls shards over and forgets expired streams and shards.
func (r *streamRegistry) maintain() error {
	now := r.n.opts.Now()
	nowMs := now.UnixMilli()
	roll := r.n.opts.StreamShardRollover.Milliseconds()
	keep := streamRetention.Milliseconds()
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.n.db.NewBatch()
	defer b.Close()
	var changed []*streamMeta
	var gone []string
	for k, s := range r.byKey {
		if s.Disabled != 0 && nowMs-s.Disabled >= keep {
			if err := b.Delete(s.key(), nil); err != nil {
				return err
			}
			gone = append(gone, k)
			continue
		}
		var c *streamMeta
		// Forget closed shards past the retention (never the last one).
		for i := 0; i < len(s.Shards)-1; i++ {
			if sh := s.Shards[i]; sh.Closed && nowMs-sh.ClosedAt >= keep {
				if c == nil {
					c = s.clone()
				}
			}
		}
		if c != nil {
			kept := c.Shards[:0]
			for i, sh := range c.Shards {
				if i == len(c.Shards)-1 || !sh.Closed || nowMs-sh.ClosedAt < keep {
					kept = append(kept, sh)
				}
			}
			c.Shards = kept
		}
		if s.Disabled == 0 {
			open := s.Shards[len(s.Shards)-1]
			lt := r.n.clog.logTableByID(s.TableID)
			if nowMs-open.Created >= roll && lt != nil && lt.last.Load() >= open.Start {
				if c == nil {
					c = s.clone()
				}
				end := r.n.clog.seq.peekNext() - 1
				sh := &c.Shards[len(c.Shards)-1]
				sh.Closed, sh.End, sh.ClosedAt = true, end, nowMs
				c.Shards = append(c.Shards, shardMeta{ID: newShardID(now), Parent: sh.ID, Start: end + 1, Created: nowMs})
			}
		}
		if c != nil {
			if err := c.put(b); err != nil {
				return err
			}
			changed = append(changed, c)
		}
	}
	if b.Empty() {
		return nil
	}
	if err := b.Commit(r.n.wopts); err != nil {
		return err
	}
	for _, k := range gone {
		delete(r.byKey, k)
	}
	for _, s := range changed {
		r.byKey[string(s.key()[1:])] = s
	}
	return nil
}
