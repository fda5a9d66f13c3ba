package proxy

import "time"

// Stats is a snapshot of the proxy's counters for programs (the web
// console's cache charts), read from the same atomics as GET /metrics:
// taking one costs the reader a few hundred loads and nothing on the
// request path. Counters are totals since the proxy started; programs
// chart the differences between two snapshots.
type Stats struct {
	// Requests served, and those answered with a 4xx (Errors) or 5xx
	// (Faults).
	Requests, Errors, Faults uint64
	// Item cache (GetItem, BatchGetItem keys).
	ItemHits, ItemMisses, ItemBypass uint64
	// Query cache: Query and Scan together.
	QueryHits, QueryMisses, QueryBypass uint64
	// EvictedCount entries left the item cache for its budget.
	EvictedCount uint64
	// WriteInvalidations are item cache entries updated or dropped by
	// writes through the proxy (write-through); FeedChanges are changes
	// applied from the backend's change feed (writes that bypassed it).
	WriteInvalidations, FeedChanges uint64
	// CacheBytes are held by the item and query caches, within
	// CacheBudget.
	CacheBytes  uint64
	CacheBudget int64
	// ItemTTL and QueryTTL are the caches' entry lifetimes (the same for
	// every table; QueryTTL 0: no query cache).
	ItemTTL, QueryTTL time.Duration
	// Backend is the latency of backend calls: what a miss adds.
	Backend Latency
	// Operations are the per-operation request counts and latencies as
	// the proxy saw them (hits and misses together), in a fixed order.
	Operations []OperationStats
	// Cluster figures; zero without a cache cluster.
	ClusterMembers                                   int
	ForwardedReads, ForwardFailures, PeerReadsServed uint64
}

// OperationStats are one operation's figures.
type OperationStats struct {
	Name     string
	Requests uint64
	Latency  Latency
}

// LatencyBounds are the upper bounds of the latency buckets (the last
// bucket of Latency.Counts is everything slower).
var LatencyBounds = func() (b [len(latencyBuckets)]time.Duration) {
	for i, s := range latencyBuckets {
		b[i] = time.Duration(s * float64(time.Second))
	}
	return b
}()

// Latency is a latency histogram: Counts[i] observations took at most
// LatencyBounds[i] (and more than the bound before); the last counts the
// slower ones.
type Latency struct {
	Counts [len(latencyBuckets) + 1]uint64
}

// Sub returns the observations of l that are not in before (l's counts
// minus before's), for the histogram of an interval.
func (l Latency) Sub(before Latency) Latency {
	for i := range l.Counts {
		l.Counts[i] -= min(before.Counts[i], l.Counts[i])
	}
	return l
}

// N is the number of observations.
func (l Latency) N() (n uint64) {
	for _, c := range l.Counts {
		n += c
	}
	return n
}

// Quantile estimates the q-quantile (0 < q ≤ 1) as the upper bound of the
// bucket holding it; 0 without observations, the largest bound when it
// falls past it.
func (l Latency) Quantile(q float64) time.Duration {
	n := l.N()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n-1)) + 1
	var cum uint64
	for i, c := range l.Counts {
		cum += c
		if cum >= rank && i < len(LatencyBounds) {
			return LatencyBounds[i]
		}
	}
	return LatencyBounds[len(LatencyBounds)-1]
}

func (h *histogram) snapshot() (l Latency) {
	for i := range h.counts {
		l.Counts[i] = h.counts[i].Load()
	}
	return l
}

// Stats returns the current counters.
func (p *Proxy) Stats() Stats {
	m := &p.m
	is := p.items.Stats()
	s := Stats{
		Requests: m.total.Load(), Errors: m.errors.Load(), Faults: m.faults.Load(),
		ItemHits: m.itemHits.Load(), ItemMisses: m.itemMisses.Load(), ItemBypass: m.itemBypass.Load(),
		QueryHits:          m.queryHits.Load() + m.scanHits.Load(),
		QueryMisses:        m.queryMisses.Load() + m.scanMisses.Load(),
		QueryBypass:        m.queryBypass.Load() + m.scanBypass.Load(),
		EvictedCount:       is.EvictedCount,
		WriteInvalidations: is.Invalidations + m.writeInvalidations.Load(),
		FeedChanges:        m.feed.changes.Load(),
		CacheBytes:         is.SizeBytes,
		CacheBudget:        p.opts.CacheBytes,
		ItemTTL:            p.opts.ItemTTL,
		QueryTTL:           p.opts.QueryTTL,
		Backend:            m.backendLatency.snapshot(),
		Operations:         make([]OperationStats, numOps),
	}
	if p.queries != nil {
		s.CacheBytes += p.queries.Stats().SizeBytes
	}
	for i := range numOps {
		s.Operations[i] = OperationStats{Name: opNames[i], Requests: m.requests[i].Load(), Latency: m.latency[i].snapshot()}
	}
	if cl := p.cl; cl != nil {
		s.ClusterMembers = cl.Membership.Stats().Members
		s.ForwardedReads, s.ForwardFailures, s.PeerReadsServed = cl.forwarded.Load(), cl.forwardFailures.Load(), cl.peerReads.Load()
	}
	return s
}
