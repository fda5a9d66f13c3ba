package console

import (
	"math"
	"sync"
	"time"

	"github.com/dynax/dynax/proxy"
)

// HistoryOptions configure a History.
type HistoryOptions struct {
	// Interval is the shortest time between two samples: asking more
	// often returns the samples taken. Default one second.
	Interval time.Duration
	// Size is the number of samples kept (the charts' width in samples).
	// Default 300 (five minutes at one a second).
	Size int
	// Now returns the time. Default time.Now.
	Now func() time.Time
}

// Sample is one snapshot of the cache's counters.
type Sample struct {
	At    time.Time
	Stats proxy.Stats
}

// History keeps the latest samples of a Cache in a ring. It samples only
// when asked (Samples), at most once per Interval, so it costs nothing
// while nobody watches and the same whatever the number of viewers.
type History struct {
	src  Cache
	opts HistoryOptions

	mu   sync.Mutex
	ring []Sample
	next int // ring index of the next sample
	full bool
}

// NewHistory returns a History of src.
func NewHistory(src Cache, opts HistoryOptions) *History {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Size <= 1 {
		opts.Size = 300
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &History{src: src, opts: opts, ring: make([]Sample, opts.Size)}
}

// Samples takes a sample when the last one is older than Interval and
// returns the samples, oldest first.
func (h *History) Samples() []Sample {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.opts.Now()
	last := h.next - 1
	if last < 0 {
		last = len(h.ring) - 1
	}
	if (!h.full && h.next == 0) || now.Sub(h.ring[last].At) >= h.opts.Interval {
		h.ring[h.next] = Sample{At: now, Stats: h.src.Stats()}
		h.next++
		if h.next == len(h.ring) {
			h.next, h.full = 0, true
		}
	}
	var out []Sample
	if h.full {
		out = append(out, h.ring[h.next:]...)
	}
	return append(out, h.ring[:h.next]...)
}

// rates turns samples into per-interval figures: len(samples)-1 points.
type rates struct {
	itemRatio, queryRatio, rps                       []float64
	getP50, getP99, queryP50, queryP99, beP50, beP99 []float64
	evictions, writeInv, feedInv, mem                []float64
	errors, forwarded                                []float64
	ops                                              map[string][]float64
}

// ratio is hits/(hits+misses) in percent, NaN without reads.
func ratio(hits, misses uint64) float64 {
	if hits+misses == 0 {
		return math.NaN()
	}
	return 100 * float64(hits) / float64(hits+misses)
}

// quantileUS is a latency quantile of an interval in microseconds (NaN
// without observations).
func quantileUS(l proxy.Latency, q float64) float64 {
	if l.N() == 0 {
		return math.NaN()
	}
	return float64(l.Quantile(q)) / float64(time.Microsecond)
}

func computeRates(ss []Sample) rates {
	r := rates{ops: map[string][]float64{}}
	for i := 1; i < len(ss); i++ {
		a, b := &ss[i-1].Stats, &ss[i].Stats
		dt := ss[i].At.Sub(ss[i-1].At).Seconds()
		if dt <= 0 {
			dt = 1
		}
		per := func(x, y uint64) float64 { return float64(y-min(x, y)) / dt }
		r.itemRatio = append(r.itemRatio, ratio(b.ItemHits-a.ItemHits, b.ItemMisses-a.ItemMisses))
		r.queryRatio = append(r.queryRatio, ratio(b.QueryHits-a.QueryHits, b.QueryMisses-a.QueryMisses))
		r.rps = append(r.rps, per(a.Requests, b.Requests))
		r.errors = append(r.errors, per(a.Errors+a.Faults, b.Errors+b.Faults))
		var get, query proxy.Latency
		for k := range b.Operations {
			if k >= len(a.Operations) {
				break
			}
			op := b.Operations[k]
			r.ops[op.Name] = append(r.ops[op.Name], per(a.Operations[k].Requests, op.Requests))
			switch op.Name {
			case "GetItem":
				get = op.Latency.Sub(a.Operations[k].Latency)
			case "Query":
				query = op.Latency.Sub(a.Operations[k].Latency)
			}
		}
		be := b.Backend.Sub(a.Backend)
		r.getP50, r.getP99 = append(r.getP50, quantileUS(get, 0.5)), append(r.getP99, quantileUS(get, 0.99))
		r.queryP50, r.queryP99 = append(r.queryP50, quantileUS(query, 0.5)), append(r.queryP99, quantileUS(query, 0.99))
		r.beP50, r.beP99 = append(r.beP50, quantileUS(be, 0.5)), append(r.beP99, quantileUS(be, 0.99))
		r.evictions = append(r.evictions, per(a.EvictedCount, b.EvictedCount))
		r.writeInv = append(r.writeInv, per(a.WriteInvalidations, b.WriteInvalidations))
		r.feedInv = append(r.feedInv, per(a.FeedChanges, b.FeedChanges))
		r.mem = append(r.mem, float64(b.CacheBytes)/(1<<20))
		r.forwarded = append(r.forwarded, per(a.ForwardedReads, b.ForwardedReads))
	}
	return r
}
