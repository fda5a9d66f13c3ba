package console

// The store's CloudWatch-style figures per table (the Metrics page): read
// from the node's metrics Gatherer when the page polls, at most once a
// second into a bounded ring, like the cache's History, so the console
// costs the request path nothing.

import (
	_ "embed"
	"html/template"
	"math"
	"strconv"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/internal/scrape"
	"github.com/dynax/dynax/internal/svgchart"
)

//go:embed templates/storemetrics.html
var storeMetricsTemplate string

var storeMetricsTmpl = template.Must(template.New("storemetrics").Parse(storeMetricsTemplate))

// storeSample is one gathering of the store's metrics.
type storeSample struct {
	At time.Time
	F  scrape.Families
}

// storeHistory keeps the latest samples of the store's metrics.
type storeHistory struct {
	src  Gatherer
	now  func() time.Time
	mu   sync.Mutex
	ring []storeSample // oldest first, at most storeHistorySize
}

const storeHistorySize = 120

func (h *storeHistory) samples() []storeSample {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	if len(h.ring) == 0 || now.Sub(h.ring[len(h.ring)-1].At) >= time.Second {
		if mfs, err := h.src.Gather(); err == nil {
			if len(h.ring) == storeHistorySize {
				h.ring = append(h.ring[:0], h.ring[1:]...)
			}
			h.ring = append(h.ring, storeSample{At: now, F: scrape.FromSlice(mfs)})
		}
	}
	return append([]storeSample(nil), h.ring...)
}

type storeTableRow struct {
	Table, Index                      string
	ReadUnits, WriteUnits             string
	ProvisionedRead, ProvisionedWrite string
	Throttles, Requests, P50MS, P99MS string
}

type storeMetricsView struct {
	Rows   []storeTableRow
	Charts []chart
}

func (c *Console) storeMetricsView() storeMetricsView {
	ss := c.storeHist.samples()
	var v storeMetricsView
	if len(ss) == 0 {
		return v
	}
	cur := ss[len(ss)-1].F
	tables := cur.Values("ConsumedReadCapacityUnits", "TableName")
	for _, t := range tables {
		tl := scrape.Labels{"TableName": t}
		lat := cur.Histogram("SuccessfulRequestLatency", tl)
		for _, ix := range append([]string{""}, indexNames(cur, t)...) {
			il := scrape.Labels{"TableName": t, "GlobalSecondaryIndexName": ix}
			row := storeTableRow{Table: t, Index: ix,
				ReadUnits: num(cur.Sum("ConsumedReadCapacityUnits", il)), WriteUnits: num(cur.Sum("ConsumedWriteCapacityUnits", il)),
				ProvisionedRead: provisioned(cur, "ProvisionedReadCapacityUnits", il), ProvisionedWrite: provisioned(cur, "ProvisionedWriteCapacityUnits", il),
				Throttles: num(cur.Sum("ReadThrottleEvents", il) + cur.Sum("WriteThrottleEvents", il))}
			if ix == "" {
				row.Requests = num(lat.Count)
				row.P50MS, row.P99MS = msText(lat.Quantile(0.5)), msText(lat.Quantile(0.99))
			}
			v.Rows = append(v.Rows, row)
		}
		il := scrape.Labels{"TableName": t, "GlobalSecondaryIndexName": ""}
		per := func(name string, l scrape.Labels) []float64 {
			var out []float64
			for i := 1; i < len(ss); i++ {
				dt := ss[i].At.Sub(ss[i-1].At).Seconds()
				out = append(out, math.Max(0, ss[i].F.Sum(name, l)-ss[i-1].F.Sum(name, l))/math.Max(dt, 1e-9))
			}
			return out
		}
		gauge := func(name string, l scrape.Labels) []float64 {
			var out []float64
			for i := 1; i < len(ss); i++ {
				out = append(out, ss[i].F.Sum(name, l))
			}
			return out
		}
		var p50, p99 []float64
		for i := 1; i < len(ss); i++ {
			h := ss[i].F.Histogram("SuccessfulRequestLatency", tl).Sub(ss[i-1].F.Histogram("SuccessfulRequestLatency", tl))
			p50, p99 = append(p50, h.Quantile(0.5)*1000), append(p99, h.Quantile(0.99)*1000)
		}
		id := "chart-store-" + strconv.Itoa(len(v.Charts))
		v.Charts = append(v.Charts,
			storeChart(id+"-cap", t+": consumed against provisioned capacity", "units per second", ss,
				svgchart.Series{Name: "consumed RCU", Points: per("ConsumedReadCapacityUnits", il)},
				svgchart.Series{Name: "provisioned RCU", Points: gauge("ProvisionedReadCapacityUnits", il)},
				svgchart.Series{Name: "consumed WCU", Points: per("ConsumedWriteCapacityUnits", il)},
				svgchart.Series{Name: "provisioned WCU", Points: gauge("ProvisionedWriteCapacityUnits", il)}),
			storeChart(id+"-thr", t+": throttles", "per second", ss,
				svgchart.Series{Name: "read throttle events", Points: per("ReadThrottleEvents", il)},
				svgchart.Series{Name: "write throttle events", Points: per("WriteThrottleEvents", il)},
				svgchart.Series{Name: "throttled requests", Points: per("ThrottledRequests", tl)}),
			storeChart(id+"-lat", t+": SuccessfulRequestLatency", "milliseconds", ss,
				svgchart.Series{Name: "p50", Points: p50}, svgchart.Series{Name: "p99", Points: p99}))
	}
	return v
}

// indexNames lists the GSIs of table t that have capacity series.
func indexNames(f scrape.Families, t string) []string {
	var out []string
	if mf := f["ConsumedReadCapacityUnits"]; mf != nil {
		for _, m := range mf.GetMetric() {
			if ix := scrape.Label(m, "GlobalSecondaryIndexName"); ix != "" && scrape.Label(m, "TableName") == t {
				out = append(out, ix)
			}
		}
	}
	return out
}

func provisioned(f scrape.Families, name string, l scrape.Labels) string {
	if mf := f[name]; mf != nil {
		for _, m := range mf.GetMetric() {
			if scrape.Label(m, "TableName") == l["TableName"] && scrape.Label(m, "GlobalSecondaryIndexName") == l["GlobalSecondaryIndexName"] {
				return num(f.Sum(name, l))
			}
		}
	}
	return "on demand"
}

func msText(s float64) string {
	if math.IsNaN(s) {
		return "—"
	}
	return strconv.FormatFloat(s*1000, 'g', 3, 64) + " ms"
}

func storeChart(id, title, unit string, ss []storeSample, series ...svgchart.Series) chart {
	n := len(ss) - 1
	c := svgchart.Chart{ID: id, Title: title, YFormat: num, N: n, Caption: "seconds ago; y: " + unit}
	if n > 0 {
		last := ss[len(ss)-1].At
		step := max(1, n/6)
		for k := 0; k < n-1 && n-1-k >= step/2+1; k += step {
			c.XTicks = append(c.XTicks, svgchart.Tick{Index: k, Label: "-" + strconv.Itoa(int(last.Sub(ss[k+1].At).Round(time.Second).Seconds())) + "s"})
		}
		c.XTicks = append(c.XTicks, svgchart.Tick{Index: n - 1, Label: "now"})
	}
	return chart{ID: id, Caption: title, SVG: template.HTML(c.Lines(series))}
}

// storeFragment writes the store's per-table section of the Metrics page
// (nothing when the console has no store).
func (c *Console) storeFragment(ctx *fasthttp.RequestCtx) {
	if c.storeHist == nil {
		return
	}
	if err := storeMetricsTmpl.Execute(ctx, c.storeMetricsView()); err != nil {
		c.opts.Logger.Error("console template", "fragment", "storemetrics", "err", err)
	}
}

// Gatherer gathers Prometheus metric families (prometheus.Gatherer).
type Gatherer interface {
	Gather() ([]*dto.MetricFamily, error)
}
