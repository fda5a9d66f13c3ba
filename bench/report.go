package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of a bench invocation; its JSON field names are
// stable.
type Report struct {
	Generated time.Time         `json:"generated"`
	Settings  map[string]string `json:"settings"`
	Results   []*EndpointResult `json:"results"`
}

// Latency is a set of latency figures in microseconds.
type Latency struct {
	Count         int64            `json:"count"`
	ThroughputOps float64          `json:"throughput_ops"`
	MeanUs        float64          `json:"mean_us"`
	P50Us         float64          `json:"p50_us"`
	P90Us         float64          `json:"p90_us"`
	P99Us         float64          `json:"p99_us"`
	P999Us        float64          `json:"p999_us"`
	MaxUs         float64          `json:"max_us"`
	Errors        map[string]int64 `json:"errors"`
	ErrorCount    int64            `json:"error_count"`
}

// OpResult is the latency of one operation.
type OpResult struct {
	Operation string `json:"operation"`
	Latency
}

// Point is one point of a percentile curve.
type Point struct {
	Percentile float64 `json:"percentile"`
	Us         float64 `json:"us"`
}

// StaleResult is the staleness report of an endpoint.
type StaleResult struct {
	Checked  int64   `json:"checked"`
	Stale    int64   `json:"stale"`
	Ratio    float64 `json:"ratio"`
	AgeP50Us float64 `json:"age_p50_us"`
	AgeP99Us float64 `json:"age_p99_us"`
	AgeMaxUs float64 `json:"age_max_us"`
}

// EndpointResult is everything measured on one endpoint with one load
// setting, all rounds together.
type EndpointResult struct {
	Endpoint    string  `json:"endpoint"`
	Workload    string  `json:"workload"`
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate,omitempty"`
	ElapsedS    float64 `json:"elapsed_s"`
	Latency
	Operations []OpResult `json:"operations"`
	Percentile []Point    `json:"percentile_curve"`
	PerSecond  []int64    `json:"per_second"`
	// ThrottledPerSecond: operations answered with a throttling error, per
	// second (omitted when there were none).
	ThrottledPerSecond []int64      `json:"throttled_per_second,omitempty"`
	HitRatio           *float64     `json:"hit_ratio,omitempty"`
	Cache              *CacheReport `json:"cache,omitempty"`
	Stale              StaleResult  `json:"stale"`
	// Nodes are the per-node cache reports of a spread run (--spread).
	Nodes []NodeResult `json:"nodes,omitempty"`
	stats *Stats
}

// NodeResult is one node's share of a spread run.
type NodeResult struct {
	Node     string       `json:"node"`
	HitRatio *float64     `json:"hit_ratio,omitempty"`
	Cache    *CacheReport `json:"cache,omitempty"`
}

func us(ns int64) float64 { return math.Round(float64(ns)/10) / 100 }

func latencyOf(o *OpStats, elapsed time.Duration) Latency {
	h := &o.Hist
	l := Latency{
		Count:  int64(h.Count()),
		MeanUs: math.Round(h.Mean()/10) / 100,
		P50Us:  us(h.Quantile(0.5)), P90Us: us(h.Quantile(0.9)), P99Us: us(h.Quantile(0.99)),
		P999Us: us(h.Quantile(0.999)), MaxUs: us(h.Max()),
		Errors: map[string]int64{},
	}
	if elapsed > 0 {
		l.ThroughputOps = math.Round(float64(l.Count)/elapsed.Seconds()*10) / 10
	}
	for k, v := range o.Errors {
		l.Errors[k] = v
		l.ErrorCount += v
	}
	return l
}

// CurvePercentiles are the points of the percentile plots.
var CurvePercentiles = []float64{0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100}

// NewEndpointResult summarizes st.
func NewEndpointResult(endpoint, workload string, load Load, st *Stats, cache *CacheReport) *EndpointResult {
	all := st.All()
	r := &EndpointResult{
		Endpoint: endpoint, Workload: workload, Concurrency: load.Concurrency, Rate: load.Rate,
		ElapsedS: math.Round(st.Elapsed.Seconds()*1000) / 1000,
		Latency:  latencyOf(all, st.Elapsed), PerSecond: st.PerSecond, Cache: cache, stats: st,
	}
	if r.PerSecond == nil {
		r.PerSecond = []int64{}
	}
	for _, n := range st.ThrottledPerSecond {
		if n > 0 {
			r.ThrottledPerSecond = st.ThrottledPerSecond
			break
		}
	}
	for _, name := range st.OpNames() {
		r.Operations = append(r.Operations, OpResult{Operation: name, Latency: latencyOf(st.Ops[name], st.Elapsed)})
	}
	for _, p := range CurvePercentiles {
		r.Percentile = append(r.Percentile, Point{Percentile: p, Us: us(all.Hist.Quantile(p / 100))})
	}
	if cache != nil {
		r.HitRatio = cache.HitRatio()
	}
	s := &st.Stale
	r.Stale = StaleResult{Checked: s.Checked, Stale: s.Stale,
		AgeP50Us: us(s.Age.Quantile(0.5)), AgeP99Us: us(s.Age.Quantile(0.99)), AgeMaxUs: us(s.Age.Max())}
	if s.Checked > 0 {
		r.Stale.Ratio = float64(s.Stale) / float64(s.Checked)
	}
	return r
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(r)
}

func fmtErrors(m map[string]int64) string {
	if len(m) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

func pct(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100**p)
}

// WriteTable writes a readable table of every result (latencies in µs).
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "endpoint\tload\toperation\tcount\tops/s\tp50 µs\tp90 µs\tp99 µs\tp99.9 µs\tmax µs\terrors\t")
	for _, e := range r.Results {
		load := fmt.Sprintf("c=%d", e.Concurrency)
		if e.Rate > 0 {
			load = fmt.Sprintf("rate=%g c=%d", e.Rate, e.Concurrency)
		}
		row := func(op string, l Latency) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t\n",
				e.Endpoint, load, op, l.Count, l.ThroughputOps, l.P50Us, l.P90Us, l.P99Us, l.P999Us, l.MaxUs, fmtErrors(l.Errors))
		}
		for _, o := range e.Operations {
			row(o.Operation, o.Latency)
		}
		if len(e.Operations) > 1 {
			row("all", e.Latency)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range r.Results {
		var parts []string
		if c := e.Cache; c != nil {
			parts = append(parts, fmt.Sprintf("hit ratio %s (items %s of %.0f, queries %s of %.0f), negative hits %.0f, invalidations %.0f",
				pct(e.HitRatio), pct(c.ItemHitRatio), c.ItemHits+c.ItemMisses, pct(c.QueryHitRatio), c.QueryHits+c.QueryMisses, c.NegativeHits, c.Invalidations))
		}
		if e.Stale.Checked > 0 {
			s := fmt.Sprintf("stale reads %d of %d", e.Stale.Stale, e.Stale.Checked)
			if e.Stale.Stale > 0 {
				s += fmt.Sprintf(" (age p50 %.0f µs, p99 %.0f µs, max %.0f µs)", e.Stale.AgeP50Us, e.Stale.AgeP99Us, e.Stale.AgeMaxUs)
			}
			parts = append(parts, s)
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "%s c=%d: %s\n", e.Endpoint, e.Concurrency, strings.Join(parts, "; "))
		}
		for _, n := range e.Nodes {
			if c := n.Cache; c != nil {
				fmt.Fprintf(w, "  node %s: hit ratio %s (items %s of %.0f, queries %s of %.0f)\n", n.Node, pct(n.HitRatio),
					pct(c.ItemHitRatio), c.ItemHits+c.ItemMisses, pct(c.QueryHitRatio), c.QueryHits+c.QueryMisses)
			}
		}
	}
	return nil
}
