package bench

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// ParseMetrics reads the unlabelled samples of a Prometheus text page
// ("name value" lines); comments and labelled samples are skipped.
func ParseMetrics(page []byte) map[string]float64 {
	m := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(page))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || strings.ContainsAny(line, "{}") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		m[f[0]] = v
	}
	return m
}

// ScrapeMetrics returns the endpoint's GET /metrics samples, or nil when
// the endpoint is not a dynax proxy (no ItemCacheHits).
func ScrapeMetrics(c *Client) map[string]float64 {
	status, body, err := c.Get("/metrics")
	if err != nil || status != 200 {
		return nil
	}
	m := ParseMetrics(body)
	if _, ok := m["ItemCacheHits"]; !ok {
		return nil
	}
	return m
}

// CacheReport is what a proxy's metrics say about a run.
type CacheReport struct {
	ItemHits      float64  `json:"item_hits"`
	ItemMisses    float64  `json:"item_misses"`
	ItemHitRatio  *float64 `json:"item_hit_ratio,omitempty"`
	QueryHits     float64  `json:"query_hits"` // Query and Scan
	QueryMisses   float64  `json:"query_misses"`
	QueryHitRatio *float64 `json:"query_hit_ratio,omitempty"`
	NegativeHits  float64  `json:"negative_hits"`
	Invalidations float64  `json:"invalidations"` // item entries and whole tables
	QueryStale    float64  `json:"query_stale"`   // query entries outdated by writes
	// Delta holds every counter's change over the run.
	Delta map[string]float64 `json:"delta"`
}

func ratio(h, m float64) *float64 {
	if h+m == 0 {
		return nil
	}
	r := h / (h + m)
	return &r
}

// CacheDelta computes the cache report of the change from before to after.
func CacheDelta(before, after map[string]float64) *CacheReport {
	if before == nil || after == nil {
		return nil
	}
	d := map[string]float64{}
	for k, v := range after {
		d[k] = v - before[k]
	}
	r := &CacheReport{
		ItemHits:      d["ItemCacheHits"],
		ItemMisses:    d["ItemCacheMisses"],
		QueryHits:     d["QueryCacheHits"] + d["ScanCacheHits"],
		QueryMisses:   d["QueryCacheMisses"] + d["ScanCacheMisses"],
		NegativeHits:  d["ItemCacheNegativeHits"],
		Invalidations: d["ItemCacheInvalidations"] + d["TableInvalidations"],
		QueryStale:    d["QueryCacheStale"],
		Delta:         d,
	}
	r.ItemHitRatio = ratio(r.ItemHits, r.ItemMisses)
	r.QueryHitRatio = ratio(r.QueryHits, r.QueryMisses)
	return r
}

// Merge adds o's counts to r (rounds).
func (r *CacheReport) Merge(o *CacheReport) *CacheReport {
	if r == nil {
		return o
	}
	if o == nil {
		return r
	}
	before := map[string]float64{}
	after := map[string]float64{}
	for k, v := range r.Delta {
		after[k] += v
	}
	for k, v := range o.Delta {
		after[k] += v
	}
	return CacheDelta(before, after)
}

// HitRatio is the share of cacheable reads (items, queries, scans) the
// cache answered.
func (r *CacheReport) HitRatio() *float64 {
	return ratio(r.ItemHits+r.QueryHits, r.ItemMisses+r.QueryMisses)
}
