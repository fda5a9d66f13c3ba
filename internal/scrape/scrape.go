// Package scrape reads Prometheus metrics (a GET /metrics page, or a
// Gatherer's families) for the programs that show them: `dynax top`, the
// web console's metrics charts and tests.
package scrape

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sort"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families are metric families by name.
type Families map[string]*dto.MetricFamily

// Parse reads a page in the Prometheus text format.
func Parse(r io.Reader) (Families, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	return mfs, nil
}

// FromSlice indexes gathered families by name.
func FromSlice(mfs []*dto.MetricFamily) Families {
	f := make(Families, len(mfs))
	for _, mf := range mfs {
		f[mf.GetName()] = mf
	}
	return f
}

// Get fetches and parses url (an endpoint's /metrics) with c (nil:
// a client with a 5 s timeout).
func Get(c *http.Client, url string) (Families, error) {
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := c.Get(url)
	if err != nil {
		return nil, fmt.Errorf("get metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get metrics: %s: HTTP %d", url, resp.StatusCode)
	}
	return Parse(resp.Body)
}

// Labels are label values to match; an empty value matches a missing
// label (as Prometheus treats them alike).
type Labels map[string]string

func matches(m *dto.Metric, want Labels) bool {
	for k, v := range want {
		got := ""
		for _, lp := range m.GetLabel() {
			if lp.GetName() == k {
				got = lp.GetValue()
				break
			}
		}
		if got != v {
			return false
		}
	}
	return true
}

// Label returns the value of label name of m ("" when absent).
func Label(m *dto.Metric, name string) string {
	for _, lp := range m.GetLabel() {
		if lp.GetName() == name {
			return lp.GetValue()
		}
	}
	return ""
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	case m.Summary != nil:
		return float64(m.Summary.GetSampleCount())
	}
	return 0
}

// Has reports whether the family name exists.
func (f Families) Has(name string) bool { _, ok := f[name]; return ok }

// Sum adds the values of the series of name matching want (histograms
// and summaries count their observations).
func (f Families) Sum(name string, want Labels) float64 {
	mf := f[name]
	if mf == nil {
		return 0
	}
	var s float64
	for _, m := range mf.GetMetric() {
		if matches(m, want) {
			s += value(m)
		}
	}
	return s
}

// Values returns the distinct values of label over the series of name.
func (f Families) Values(name, label string) []string {
	mf := f[name]
	if mf == nil {
		return nil
	}
	var out []string
	for _, m := range mf.GetMetric() {
		if v := Label(m, label); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// Histogram is a cumulative histogram: Counts[i] observations were at
// most Bounds[i]; Count is all of them.
type Histogram struct {
	Bounds []float64
	Counts []float64
	Count  float64
	Sum    float64
}

// Histogram merges the histograms of name matching want (they must
// share their bounds, as one family's do).
func (f Families) Histogram(name string, want Labels) Histogram {
	var h Histogram
	mf := f[name]
	if mf == nil {
		return h
	}
	for _, m := range mf.GetMetric() {
		hm := m.GetHistogram()
		if hm == nil || !matches(m, want) {
			continue
		}
		if h.Bounds == nil {
			for _, b := range hm.GetBucket() {
				h.Bounds = append(h.Bounds, b.GetUpperBound())
			}
			h.Counts = make([]float64, len(h.Bounds))
		}
		for i, b := range hm.GetBucket() {
			if i < len(h.Counts) {
				h.Counts[i] += float64(b.GetCumulativeCount())
			}
		}
		h.Count += float64(hm.GetSampleCount())
		h.Sum += hm.GetSampleSum()
	}
	return h
}

// Sub returns the observations of h not in before (an interval's).
func (h Histogram) Sub(before Histogram) Histogram {
	if len(before.Counts) != len(h.Counts) {
		return h
	}
	out := Histogram{Bounds: h.Bounds, Counts: make([]float64, len(h.Counts)), Count: h.Count - before.Count, Sum: h.Sum - before.Sum}
	for i := range h.Counts {
		out.Counts[i] = h.Counts[i] - before.Counts[i]
	}
	return out
}

// Quantile estimates the q-quantile (0 < q ≤ 1) as the upper bound of
// the bucket holding it (the largest finite bound when it falls past
// it); NaN without observations.
func (h Histogram) Quantile(q float64) float64 {
	if h.Count <= 0 || len(h.Bounds) == 0 {
		return math.NaN()
	}
	rank := q * h.Count
	i := sort.Search(len(h.Counts), func(i int) bool { return h.Counts[i] >= rank })
	i = min(i, len(h.Bounds)-1)
	for i > 0 && math.IsInf(h.Bounds[i], 1) {
		i--
	}
	return h.Bounds[i]
}
