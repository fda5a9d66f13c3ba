package cluster

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Fanout delivers a write's invalidations to the other members: each
// member gets the query-cache bumps and table drops, the owners also their
// keys. Send waits for every member (in parallel, each bounded by the peer
// timeout); deliveries that fail are retried in the background every
// RetryInterval until they succeed or the member leaves the view (a member
// that left lost its lease, and drops its cache when it registers again).
type Fanout struct {
	m   *Membership
	c   *PeerClient
	log *slog.Logger

	mu      sync.Mutex
	pending map[string]*Invalidation // member id → undelivered
	wake    chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	sent, failed, retried, dropped atomic.Uint64
}

// RetryInterval is how often undelivered invalidations are sent again.
const RetryInterval = 50 * time.Millisecond

// NewFanout returns a Fanout over m's view using c.
func NewFanout(m *Membership, c *PeerClient, log *slog.Logger) *Fanout {
	if log == nil {
		log = slog.Default()
	}
	f := &Fanout{m: m, c: c, log: log, pending: map[string]*Invalidation{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	go f.retry()
	return f
}

// Send delivers common to every other member of the view, and keys[id] to
// member id in addition. It returns the number of members that did not
// acknowledge (they will be retried).
func (f *Fanout) Send(ctx context.Context, common Invalidation, keys map[string][][]byte) int {
	v := f.m.View()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i, mem := range v.Members {
		if i == v.Self {
			continue
		}
		inv := common
		inv.Keys = keys[mem.ID]
		if inv.Empty() {
			continue
		}
		wg.Add(1)
		go func(mem Member, inv Invalidation) {
			defer wg.Done()
			f.sent.Add(1)
			if err := f.c.Invalidate(ctx, mem.Peer, &inv); err != nil {
				failed.Add(1)
				f.failed.Add(1)
				f.log.Warn("cluster: invalidation not delivered; retrying", "member", mem.ID, "err", err)
				f.queue(mem.ID, &inv)
			}
		}(mem, inv)
	}
	wg.Wait()
	return int(failed.Load())
}

func (f *Fanout) queue(id string, inv *Invalidation) {
	f.mu.Lock()
	p := f.pending[id]
	if p == nil {
		p = &Invalidation{}
		f.pending[id] = p
	}
	p.Keys = append(p.Keys, inv.Keys...)
	p.Bumps = append(p.Bumps, inv.Bumps...)
	p.Tables = append(p.Tables, inv.Tables...)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Pending returns the number of members with undelivered invalidations.
func (f *Fanout) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pending)
}

func (f *Fanout) retry() {
	defer close(f.done)
	defer func() {
		if r := recover(); r != nil {
			f.log.Error("cluster: panic in invalidation retry", "panic", r)
		}
	}()
	t := time.NewTicker(RetryInterval)
	defer t.Stop()
	for {
		select {
		case <-f.ctx.Done():
			return
		case <-f.wake:
			// Wait one interval: the member just failed.
			continue
		case <-t.C:
		}
		f.mu.Lock()
		if len(f.pending) == 0 {
			f.mu.Unlock()
			continue
		}
		work := f.pending
		f.pending = map[string]*Invalidation{}
		f.mu.Unlock()
		v := f.m.View()
		peers := map[string]string{}
		for _, mem := range v.Members {
			peers[mem.ID] = mem.Peer
		}
		for id, inv := range work {
			addr, ok := peers[id]
			if !ok {
				f.dropped.Add(1)
				continue
			}
			f.retried.Add(1)
			if err := f.c.Invalidate(f.ctx, addr, inv); err != nil {
				f.queue(id, inv)
			}
		}
	}
}

// FanoutStats are the fan-out counters.
type FanoutStats struct {
	Sent, Failed, Retried, Dropped uint64
	Pending                        int
}

// Stats returns the counters.
func (f *Fanout) Stats() FanoutStats {
	return FanoutStats{Sent: f.sent.Load(), Failed: f.failed.Load(), Retried: f.retried.Load(),
		Dropped: f.dropped.Load(), Pending: f.Pending()}
}

// Close stops the retries.
func (f *Fanout) Close() {
	f.cancel()
	<-f.done
}
