package proxy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dynax/dynax/cache"
	"github.com/dynax/dynax/changefeed"
	"github.com/dynax/dynax/ddb"
)

// Writes that bypass the proxy. A Follower reads the backend's change feed
// (changefeed.Source: the in-process store's, a remote dynax store's, or
// DynamoDB Streams adapted to one) and applies every change to the
// proxy's caches:
//
//   - an item change reconciles the item's entry: it stays when it already
//     holds the change's result (the proxy's own write-through, seen again
//     on the feed), and is dropped otherwise; fills of the key in flight
//     are superseded and writes of it in flight invalidate instead of
//     installing (cache.ItemCache.Reconcile);
//   - the query-cache generation of the item's partition is bumped;
//   - a deleted table, and every table named in Batch.Trimmed (changes may
//     have been missed), loses all its entries.
//
// Each proxy follows the feed itself, cluster member or not: a member holds
// entries only for keys it owns, so applying every change costs the others
// one cache lookup per change, and no invalidation needs to travel between
// members. Changes of tables whose schema the proxy never learned are
// skipped (it cannot have entries of them).

// FeedOptions configures a Follower.
type FeedOptions struct {
	// Source is the change feed. Required.
	Source changefeed.Source
	// Wait bounds one long poll. Default 5s.
	Wait time.Duration
	// Limit is the most changes asked for at once. Default
	// changefeed.MaxLimit.
	Limit int
	// RetryMin and RetryMax bound the backoff after a failed read (doubling
	// from RetryMin). Defaults 50ms and 2s.
	RetryMin, RetryMax time.Duration
}

// Follower applies a change feed to a proxy's caches until Close.
type Follower struct {
	p      *Proxy
	o      FeedOptions
	cancel context.CancelFunc
	done   chan struct{}
	ready  chan struct{}
}

// ErrFeedOptions is returned by FollowChanges for unusable options.
var ErrFeedOptions = errors.New("proxy: bad feed options")

// FollowChanges starts following o.Source. The position is the feed's head
// when the follower first reaches it; every entry cached before then is
// dropped at that moment, so nothing cached earlier outlives a change the
// follower did not see. Close stops it.
func (p *Proxy) FollowChanges(o FeedOptions) (*Follower, error) {
	if o.Source == nil {
		return nil, fmt.Errorf("%w: Source is required", ErrFeedOptions)
	}
	if o.Wait <= 0 {
		o.Wait = 5 * time.Second
	}
	if o.Limit <= 0 || o.Limit > changefeed.MaxLimit {
		o.Limit = changefeed.MaxLimit
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 50 * time.Millisecond
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(2*time.Second, o.RetryMin)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Follower{p: p, o: o, cancel: cancel, done: make(chan struct{}), ready: make(chan struct{})}
	p.m.feed.following.Store(1)
	go f.run(ctx)
	return f, nil
}

// Close stops the follower and waits for it.
func (f *Follower) Close() {
	f.cancel()
	<-f.done
	f.p.m.feed.following.Store(0)
}

// Ready is closed once the follower has read the feed's head: writes
// committed after that are applied.
func (f *Follower) Ready() <-chan struct{} { return f.ready }

// Position returns the feed position applied so far (0 before the first
// head was read).
func (f *Follower) Position() uint64 { return f.p.m.feed.position.Load() }

func (f *Follower) run(ctx context.Context) {
	defer close(f.done)
	backoff := f.o.RetryMin
	failed := func(what string, err error) bool {
		if ctx.Err() != nil {
			return false
		}
		if f.p.m.feed.errors.Add(1) == 1 || backoff == f.o.RetryMin {
			f.p.log.Warn("change feed: "+what+" failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, f.o.RetryMax)
		return true
	}
	var pos uint64
	for {
		h, err := f.safeHead(ctx)
		if err == nil {
			pos = h
			break
		}
		if !failed("head", err) {
			return
		}
	}
	// Anything cached so far may predate changes before pos.
	f.p.dropAllLocal()
	f.p.m.feed.position.Store(pos)
	close(f.ready)
	backoff = f.o.RetryMin
	for ctx.Err() == nil {
		b, err := f.safeRead(ctx, changefeed.Request{After: pos, Wait: f.o.Wait, Limit: f.o.Limit})
		if err != nil {
			if !failed("read", err) {
				return
			}
			continue
		}
		backoff = f.o.RetryMin
		f.p.applyBatch(&b)
		if b.Next > pos {
			pos = b.Next
			f.p.m.feed.position.Store(pos)
		}
	}
}

// safeHead and safeRead call the source, turning a panic into an error.
func (f *Follower) safeHead(ctx context.Context) (h uint64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in change feed source: %v", r)
		}
	}()
	return f.o.Source.Head(ctx)
}

func (f *Follower) safeRead(ctx context.Context, req changefeed.Request) (b changefeed.Batch, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in change feed source: %v", r)
		}
	}()
	return f.o.Source.Read(ctx, req)
}

// applyBatch applies one batch of changes.
func (p *Proxy) applyBatch(b *changefeed.Batch) {
	defer func() {
		if r := recover(); r != nil {
			// A change the proxy cannot apply must not leave stale
			// entries: drop everything.
			p.log.Error("panic applying change feed", "panic", r)
			p.dropAllLocal()
		}
	}()
	for _, t := range b.Trimmed {
		if p.schemas.seen(t) {
			p.dropTableLocal(t)
		}
		p.m.feed.trimmed.Add(1)
	}
	now := time.Now()
	for i := range b.Changes {
		c := &b.Changes[i]
		p.applyChange(c)
		p.m.feed.changes.Add(1)
		if !c.Time.IsZero() {
			p.m.feed.delay.observe(max(0, now.Sub(c.Time)))
		}
	}
}

// applyChange applies one change.
func (p *Proxy) applyChange(c *changefeed.Change) {
	if c.TableDeleted {
		p.tableGone(c.Table)
		return
	}
	p.applyItemChange(c.Table, c.Keys, func(it cache.Item) bool { return holds(it, c.New) })
}

// applyItemChange applies a change of the item with primary key keys (its
// JSON) in table, committed behind the proxy's back: the item's entry is
// kept only if keep (nil: never) reports that it holds the change's
// result, and the partition's query generation is bumped. The Streams
// follower (streams_follow.go) applies its records here too.
func (p *Proxy) applyItemChange(table string, keys []byte, keep func(cache.Item) bool) {
	if !p.schemas.seen(table) {
		return
	}
	s := p.schemas.cachedName(table)
	var key string
	ok := s != nil
	if ok {
		var kit ddb.Item
		var err error
		if kit, err = ddb.DecodeItem(keys); err == nil {
			key, ok = itemKeyOf(s, kit)
		} else {
			ok = false
		}
	}
	if !ok {
		// The schema is being relearned, or does not fit the key (the
		// table was recreated): the key's entry cannot be named.
		p.dropTableLocal(table)
		return
	}
	if p.items.Reconcile(key, keep) {
		p.m.feed.kept.Add(1)
	}
	p.gens.Bump(table, partitionOf(key))
}

// holds reports whether the cached entry it is the item image img (nil: the
// item does not exist).
func holds(it cache.Item, img []byte) bool {
	if img == nil || it.Negative {
		return img == nil && it.Negative
	}
	a, err := ddb.DecodeItem(it.JSON)
	if err != nil {
		return false
	}
	b, err := ddb.DecodeItem(img)
	if err != nil {
		return false
	}
	return ddb.Equal(ddb.M(a), ddb.M(b))
}

// dropTableLocal invalidates every cached item and query of table on this
// node only (every member follows the feed itself).
func (p *Proxy) dropTableLocal(table string) {
	p.items.InvalidateTable(table)
	p.gens.BumpTable(table)
	p.m.tableInvalidations.Add(1)
}

// dropAllLocal invalidates every cached entry on this node.
func (p *Proxy) dropAllLocal() {
	for _, t := range p.schemas.everSeen() {
		p.dropTableLocal(t)
	}
}
