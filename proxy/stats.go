package proxy

import "time"

// Stats is a snapshot of the proxy's counters for programs (the web
// console's cache charts), read from the same atomics as GET /metrics:
// taking one costs the reader a few loads and nothing on the hit path.
type Stats struct {
	// Total requests served.
	Requests uint64
	// Item cache (GetItem, BatchGetItem keys).
	ItemHits, ItemMisses, ItemBypass uint64
	// Query cache: Query and Scan together.
	QueryHits, QueryMisses, QueryBypass uint64
	// EvictedCount entries left the item cache for its budget.
	EvictedCount uint64
	// WriteInvalidations are entries updated or dropped by writes through
	// the proxy (write-through); FeedChanges are changes applied from the
	// backend's change feed (writes that bypassed the proxy).
	WriteInvalidations, FeedChanges uint64
	// CacheBytes held by the item and query caches; CacheBudget their
	// configured budget.
	CacheBytes  uint64
	CacheBudget int64
	// Latency quantiles of GetItem and Query as the proxy saw them (hits
	// and misses together: the histogram is per operation) and of backend
	// calls (what a miss adds).
	GetItemP50, GetItemP99, QueryP50, QueryP99, BackendP50, BackendP99 time.Duration
}

// Stats returns the current counters.
func (p *Proxy) Stats() Stats {
	m := &p.m
	is := p.items.Stats()
	s := Stats{
		Requests:   m.total.Load(),
		ItemHits:   m.itemHits.Load(),
		ItemMisses: m.itemMisses.Load(), ItemBypass: m.itemBypass.Load(),
		QueryHits:          m.queryHits.Load() + m.scanHits.Load(),
		QueryMisses:        m.queryMisses.Load() + m.scanMisses.Load(),
		QueryBypass:        m.queryBypass.Load() + m.scanBypass.Load(),
		EvictedCount:       is.EvictedCount,
		WriteInvalidations: is.Invalidations + m.writeInvalidations.Load(),
		FeedChanges:        m.feed.changes.Load(),
		CacheBytes:         is.SizeBytes,
		CacheBudget:        p.opts.CacheBytes,
	}
	if p.queries != nil {
		s.CacheBytes += p.queries.Stats().SizeBytes
	}
	s.GetItemP50, s.GetItemP99 = m.latency[opGetItem].quantile(0.5), m.latency[opGetItem].quantile(0.99)
	s.QueryP50, s.QueryP99 = m.latency[opQuery].quantile(0.5), m.latency[opQuery].quantile(0.99)
	s.BackendP50, s.BackendP99 = m.backendLatency.quantile(0.5), m.backendLatency.quantile(0.99)
	return s
}

// quantile estimates the q-quantile as the upper bound of the bucket
// holding it (0 without observations; the largest bound for +Inf).
func (h *histogram) quantile(q float64) time.Duration {
	var counts [len(latencyBuckets) + 1]uint64
	var n uint64
	for i := range h.counts {
		counts[i] = h.counts[i].Load()
		n += counts[i]
	}
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n-1)) + 1
	var cum uint64
	for i, c := range counts {
		cum += c
		if cum >= rank {
			if i >= len(latencyBuckets) {
				i = len(latencyBuckets) - 1
			}
			return time.Duration(latencyBuckets[i] * float64(time.Second))
		}
	}
	return time.Duration(latencyBuckets[len(latencyBuckets)-1] * float64(time.Second))
}
