package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// View is one node's picture of the cluster.
type View struct {
	// Rev is the etcd revision the view was read at.
	Rev int64
	// Members are the live members, sorted by ID.
	Members []Member
	// Self is this node's index in Members, -1 when it is detached.
	Self int
	// Epoch is this node's ownership epoch: it advances whenever the node
	// may have lost keys (a member joined, or the node was detached).
	Epoch uint64
	// Installed is when this view was installed.
	Installed time.Time
}

// Route says where a key's requests go.
type Route struct {
	// Owner is the key's owner by the view (when Detached: by the members
	// this node still sees, zero if none).
	Owner Member
	// Local: this node owns the key.
	Local bool
	// Settled: Local, and this node owned the key in every view of the
	// last SettleWindow, so entries it caches stay coherent.
	Settled bool
	// Detached: this node is not a member of its view (lease lapsed, etcd
	// unreachable): it owns nothing and must not cache.
	Detached bool
	// Epoch is the ownership epoch the route was computed in.
	Epoch uint64
}

// pastView is a view that ended less than a SettleWindow ago.
type pastView struct {
	members []Member
	self    int
	until   time.Time
}

// state is an installed view with what routing needs.
type state struct {
	view View
	past []pastView
	// unsettledUntil is the end of the latest settle window (zero: none).
	unsettledUntil time.Time
	// queriesFrom is when this node, attached again, has been a member long
	// enough for every writer to send it query invalidations.
	queriesFrom time.Time
}

// Membership is this node's registration in the cluster and its view of
// the other members.
type Membership struct {
	opts Options
	key  string // our registration key
	val  string // our registration value
	cli  *clientv3.Client
	log  *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	cur     atomic.Pointer[state]
	lastAck atomic.Int64 // unix nanoseconds of the last keep-alive answer
	stale   atomic.Bool  // keep-alives unanswered too long
	lease   atomic.Int64 // current lease id (0: none)

	mu      sync.Mutex        // serializes installs
	members map[string]Member // etcd's picture, by id
	rev     int64
	epoch   uint64

	joins, leaves, losses, reregisters atomic.Uint64
	closeOnce                          sync.Once
}

// Join registers this node in the cluster and starts watching it. It
// returns once the node is registered and has its first view.
func Join(ctx context.Context, opts Options) (*Membership, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   opts.Endpoints,
		DialTimeout: opts.DialTimeout,
		Logger:      zap.NewNop(),
		Context:     context.Background(),
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: etcd client: %w", err)
	}
	self := Member{ID: opts.ID, Peer: opts.PeerAddr, Started: opts.Now().UTC(), Version: Version}
	val, _ := json.Marshal(self)
	m := &Membership{
		opts: opts, cli: cli, log: opts.Logger.With("cluster", opts.Cluster, "member", opts.ID),
		key: MembersPrefix(opts.Prefix, opts.Cluster) + opts.ID, val: string(val),
		members: map[string]Member{},
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.cur.Store(&state{view: View{Self: -1, Installed: opts.Now()}})
	ka, err := m.register(ctx)
	if err != nil {
		m.cancel()
		cli.Close()
		return nil, err
	}
	wch, err := m.loadView(ctx)
	if err != nil {
		m.cancel()
		cli.Close()
		return nil, err
	}
	m.wg.Add(3)
	go m.keepAlive(ka)
	go m.watch(wch)
	go m.checkStale()
	return m, nil
}

// Version is advertised in the registration (set by cmd).
var Version = "dev"

func (m *Membership) ttlSeconds() int64 { return int64(math.Ceil(m.opts.LeaseTTL.Seconds())) }

// register grants a lease, writes our key with it and starts keep-alives.
func (m *Membership) register(ctx context.Context) (<-chan *clientv3.LeaseKeepAliveResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, m.opts.DialTimeout+m.opts.LeaseTTL)
	defer cancel()
	g, err := m.cli.Grant(ctx, m.ttlSeconds())
	if err != nil {
		return nil, fmt.Errorf("cluster: grant lease: %w", err)
	}
	if _, err := m.cli.Put(ctx, m.key, m.val, clientv3.WithLease(g.ID)); err != nil {
		return nil, fmt.Errorf("cluster: register %s: %w", m.key, err)
	}
	ka, err := m.cli.KeepAlive(m.ctx, g.ID)
	if err != nil {
		return nil, fmt.Errorf("cluster: keep-alive: %w", err)
	}
	m.lease.Store(int64(g.ID))
	m.lastAck.Store(m.opts.Now().UnixNano())
	m.stale.Store(false)
	return ka, nil
}

// loadView reads the members and installs the view, and returns a watch
// from the next revision.
func (m *Membership) loadView(ctx context.Context) (clientv3.WatchChan, error) {
	prefix := MembersPrefix(m.opts.Prefix, m.opts.Cluster)
	ctx, cancel := context.WithTimeout(ctx, m.opts.DialTimeout+m.opts.LeaseTTL)
	defer cancel()
	resp, err := m.cli.Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("cluster: read members: %w", err)
	}
	members := map[string]Member{}
	for _, kv := range resp.Kvs {
		if mem, ok := decodeMember(kv.Key, kv.Value, prefix); ok {
			members[mem.ID] = mem
		}
	}
	m.mu.Lock()
	m.members = members
	m.rev = resp.Header.Revision
	m.installLocked()
	m.mu.Unlock()
	return m.cli.Watch(clientv3.WithRequireLeader(m.ctx), prefix, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1)), nil
}

func decodeMember(key, val []byte, prefix string) (Member, bool) {
	id := strings.TrimPrefix(string(key), prefix)
	var mem Member
	if json.Unmarshal(val, &mem) != nil || mem.ID != id || mem.Peer == "" {
		return Member{}, false
	}
	mem.seed = xxhash.Sum64String(mem.ID)
	return mem, true
}

// installLocked computes the view from m.members and the keep-alive state
// and installs it. m.mu is held.
func (m *Membership) installLocked() {
	old := m.cur.Load()
	now := m.opts.Now()
	ms := make([]Member, 0, len(m.members))
	for _, mem := range m.members {
		ms = append(ms, mem)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	self := -1
	if !m.stale.Load() {
		for i := range ms {
			if ms[i].ID == m.opts.ID && ms[i].Started.Equal(m.selfStarted()) {
				self = i
			}
		}
	}
	ov := old.view
	if sameView(ov.Members, ms) && ov.Self >= 0 == (self >= 0) {
		ns := *old
		ns.view.Rev = m.rev
		m.cur.Store(&ns)
		return
	}
	// Did we lose keys? Only if we were attached and are no longer, or a
	// member (a new one, or a re-registered one) joined.
	loss := false
	if ov.Self >= 0 {
		if self < 0 {
			loss = true
		} else {
			prev := map[string]time.Time{}
			for _, mem := range ov.Members {
				prev[mem.ID] = mem.Started
			}
			for _, mem := range ms {
				if st, ok := prev[mem.ID]; !ok || !st.Equal(mem.Started) {
					if mem.ID != m.opts.ID {
						loss = true
						m.joins.Add(1)
					}
				}
			}
		}
	}
	for _, mem := range ov.Members {
		if _, ok := m.members[mem.ID]; !ok {
			m.leaves.Add(1)
		}
	}
	if loss {
		m.epoch++
		m.losses.Add(1)
		if m.opts.OnOwnershipLoss != nil {
			m.opts.OnOwnershipLoss(self < 0)
		}
	}
	ns := &state{view: View{Rev: m.rev, Members: ms, Self: self, Epoch: m.epoch, Installed: now}, queriesFrom: old.queriesFrom}
	if self >= 0 && ov.Self < 0 && len(ms) > 1 {
		ns.queriesFrom = now.Add(m.opts.SettleWindow)
	}
	// Keys we gain are unsettled for a window, unless nobody else was
	// there to route by the old view.
	if m.opts.SettleWindow > 0 && len(ov.Members) > 0 && !(len(ov.Members) == 1 && ov.Self == 0) {
		until := now.Add(m.opts.SettleWindow)
		ns.past = append(ns.past, pastView{members: ov.Members, self: ov.Self, until: until})
		for _, p := range old.past {
			if p.until.After(now) {
				ns.past = append(ns.past, p)
			}
		}
		ns.unsettledUntil = until
	}
	m.cur.Store(ns)
	m.log.Info("cluster view", "members", len(ms), "attached", self >= 0, "epoch", m.epoch, "rev", m.rev)
	if m.opts.OnViewChange != nil {
		m.opts.OnViewChange(ns.view)
	}
}

func (m *Membership) selfStarted() time.Time {
	var me Member
	_ = json.Unmarshal([]byte(m.val), &me)
	return me.Started
}

func sameView(a, b []Member) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || !a[i].Started.Equal(b[i].Started) || a[i].Peer != b[i].Peer {
			return false
		}
	}
	return true
}

// Route returns where key's requests go. It allocates nothing and reads
// the clock only within a settle window.
func (m *Membership) Route(key string) Route {
	st := m.cur.Load()
	v := &st.view
	h := KeyHash(key)
	if v.Self < 0 {
		r := Route{Detached: true, Epoch: v.Epoch}
		if i := ownerIndex(v.Members, h); i >= 0 {
			r.Owner = v.Members[i]
		}
		return r
	}
	i := ownerIndex(v.Members, h)
	r := Route{Owner: v.Members[i], Local: i == v.Self, Epoch: v.Epoch}
	if !r.Local {
		return r
	}
	r.Settled = true
	if !st.unsettledUntil.IsZero() {
		now := m.opts.Now()
		if now.Before(st.unsettledUntil) {
			for _, p := range st.past {
				if now.Before(p.until) && (p.self < 0 || ownerIndex(p.members, h) != p.self) {
					r.Settled = false
					break
				}
			}
		}
	}
	return r
}

// QueryCacheable reports whether this node may serve and fill its query
// cache: it is attached, and every other member has had a settle window
// to see it (and so to send it the generation bumps of their writes).
func (m *Membership) QueryCacheable() bool {
	st := m.cur.Load()
	if st.view.Self < 0 {
		return false
	}
	return st.queriesFrom.IsZero() || !m.opts.Now().Before(st.queriesFrom)
}

// View returns the current view.
func (m *Membership) View() View { return m.cur.Load().view }

// Epoch returns the current ownership epoch.
func (m *Membership) Epoch() uint64 { return m.cur.Load().view.Epoch }

// Self returns this node's registration.
func (m *Membership) Self() Member {
	var me Member
	_ = json.Unmarshal([]byte(m.val), &me)
	return me
}

// Stats are membership counters.
type Stats struct {
	Members, Attached                      int
	Epoch                                  uint64
	Joins, Leaves, Losses, Reregistrations uint64
}

// Stats returns the counters.
func (m *Membership) Stats() Stats {
	v := m.View()
	s := Stats{Members: len(v.Members), Epoch: v.Epoch, Joins: m.joins.Load(), Leaves: m.leaves.Load(),
		Losses: m.losses.Load(), Reregistrations: m.reregisters.Load()}
	if v.Self >= 0 {
		s.Attached = 1
	}
	return s
}

// keepAlive consumes keep-alive answers; when the lease is lost it
// registers again (with backoff) until closed.
func (m *Membership) keepAlive(ka <-chan *clientv3.LeaseKeepAliveResponse) {
	defer m.wg.Done()
	defer m.recoverLog("keep-alive")
	for {
		for resp := range ka {
			if resp != nil {
				m.lastAck.Store(m.opts.Now().UnixNano())
				if m.stale.Swap(false) {
					m.mu.Lock()
					m.installLocked()
					m.mu.Unlock()
				}
			}
		}
		if m.ctx.Err() != nil {
			return
		}
		m.log.Warn("cluster lease lost; registering again")
		m.setStale()
		backoff := 100 * time.Millisecond
		for {
			var err error
			if ka, err = m.register(m.ctx); err == nil {
				m.reregisters.Add(1)
				break
			}
			if m.ctx.Err() != nil {
				return
			}
			m.log.Warn("cluster registration failed", "err", err)
			select {
			case <-m.ctx.Done():
				return
			case <-time.After(backoff):
			}
			if backoff < m.opts.LeaseTTL {
				backoff *= 2
			}
		}
		m.mu.Lock()
		m.installLocked()
		m.mu.Unlock()
	}
}

func (m *Membership) setStale() {
	if !m.stale.Swap(true) {
		m.mu.Lock()
		m.installLocked()
		m.mu.Unlock()
	}
}

// checkStale detaches this node when keep-alives have gone unanswered for
// two thirds of a lease TTL: before etcd can expire the lease and the
// others stop sending us invalidations.
func (m *Membership) checkStale() {
	defer m.wg.Done()
	defer m.recoverLog("staleness check")
	tick := m.opts.LeaseTTL / 20
	if tick < 20*time.Millisecond {
		tick = 20 * time.Millisecond
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	limit := m.opts.LeaseTTL * 2 / 3
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
			if m.opts.Now().UnixNano()-m.lastAck.Load() > int64(limit) && !m.stale.Load() {
				m.log.Warn("cluster keep-alives unanswered; detached", "for", limit)
				m.setStale()
			}
		}
	}
}

// watch applies membership changes; on a broken watch it reads the view
// again.
func (m *Membership) watch(wch clientv3.WatchChan) {
	defer m.wg.Done()
	defer m.recoverLog("watch")
	prefix := MembersPrefix(m.opts.Prefix, m.opts.Cluster)
	for {
		for resp := range wch {
			if resp.Err() != nil || resp.Canceled {
				break
			}
			m.mu.Lock()
			for _, ev := range resp.Events {
				id := strings.TrimPrefix(string(ev.Kv.Key), prefix)
				switch ev.Type {
				case clientv3.EventTypeDelete:
					delete(m.members, id)
				default:
					if mem, ok := decodeMember(ev.Kv.Key, ev.Kv.Value, prefix); ok {
						m.members[id] = mem
					}
				}
			}
			m.rev = resp.Header.Revision
			m.installLocked()
			m.mu.Unlock()
		}
		if m.ctx.Err() != nil {
			return
		}
		for {
			var err error
			if wch, err = m.loadView(m.ctx); err == nil {
				break
			}
			select {
			case <-m.ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

func (m *Membership) recoverLog(what string) {
	if r := recover(); r != nil {
		m.log.Error("cluster: panic", "in", what, "panic", r)
	}
}

// Close leaves the cluster: it revokes the lease (the others see this node
// leave at once) and stops the background work.
func (m *Membership) Close() error {
	var err error
	m.closeOnce.Do(func() {
		if id := m.lease.Load(); id != 0 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			if _, e := m.cli.Revoke(ctx, clientv3.LeaseID(id)); e != nil {
				err = fmt.Errorf("cluster: revoke lease: %w", e)
			}
			cancel()
		}
		m.cancel()
		m.wg.Wait()
		if e := m.cli.Close(); e != nil && err == nil {
			err = fmt.Errorf("cluster: close etcd client: %w", e)
		}
	})
	return err
}

// Abandon stops without revoking the lease, as a crash would: the others
// see this member leave only when its lease expires (tests, chaos runs).
func (m *Membership) Abandon() {
	m.closeOnce.Do(func() {
		m.cancel()
		m.wg.Wait()
		_ = m.cli.Close()
	})
}

// clientv3LeaseID names the lease id type for tests.
type clientv3LeaseID = clientv3.LeaseID
