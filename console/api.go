package console

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/cluster"
	"github.com/dynax/dynax/internal/svgchart"
	"github.com/dynax/dynax/proxy"
)

// Cache supplies the cache page's figures: a *proxy.Proxy.
type Cache interface {
	Stats() proxy.Stats
}

// Cluster lists the cache cluster's members (cluster.Status).
type Cluster interface {
	Members(ctx context.Context) ([]cluster.MemberStatus, error)
}

// clusterEvery bounds how often the cluster page's members are read
// (each read health-checks every member).
const clusterEvery = 2 * time.Second

// clusterMemo remembers the last member list.
type clusterMemo struct {
	mu      sync.Mutex
	at      time.Time
	members []cluster.MemberStatus
	err     error
}

// serveAPI serves the read-only sources under /console/api/: HTML
// fragments the pages poll, and stats.json.
func (c *Console) serveAPI(ctx *fasthttp.RequestCtx, name string) {
	ctx.Response.Header.Set("Cache-Control", "no-store")
	switch name {
	case "stats.json":
		if c.hist == nil {
			ctx.Error(`{"message":"this node runs no cache"}`, fasthttp.StatusNotFound)
			return
		}
		ss := c.hist.Samples()
		ctx.SetContentType("application/json")
		b, _ := json.Marshal(ss[len(ss)-1])
		ctx.SetBody(b)
	case "cache":
		c.fragment(ctx, "cache", c.cacheView())
	case "metrics":
		c.fragment(ctx, "metrics", c.metricsView())
		c.storeFragment(ctx)
	case "cluster":
		c.fragment(ctx, "cluster", c.clusterView(ctx))
	case "hotkeys":
		c.serveHotKeys(ctx)
	default:
		ctx.Error("Not Found", fasthttp.StatusNotFound)
	}
}

func (c *Console) fragment(ctx *fasthttp.RequestCtx, name string, data any) {
	ctx.SetContentType("text/html; charset=utf-8")
	if err := c.frags.ExecuteTemplate(ctx, name, data); err != nil {
		c.opts.Logger.Error("console fragment", "name", name, "err", err)
	}
}

// figure is a labelled value of a page.
type figure struct{ Label, Value string }

// chart is a rendered chart with its caption.
type chart struct {
	ID, Caption string
	SVG         template.HTML
}

type cacheView struct {
	HasCache bool
	Samples  int
	Figures  []figure
	Charts   []chart
}

// lineChart draws series over the samples' times.
func lineChart(id, title, unit string, ss []Sample, ymax float64, yf func(float64) string, series ...svgchart.Series) chart {
	n := len(ss) - 1
	c := svgchart.Chart{ID: id, Title: title, YMax: ymax, YFormat: yf, N: n, Caption: "seconds ago; y: " + unit}
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

func num(v float64) string {
	switch {
	case v >= 100 || v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// lastOf is the last number of xs that is not NaN, as text ("—" if none).
func lastOf(xs []float64, unit string) string {
	for i := len(xs) - 1; i >= 0; i-- {
		if !math.IsNaN(xs[i]) {
			return num(xs[i]) + unit
		}
	}
	return "—"
}

func ratioText(h, m uint64) string {
	if h+m == 0 {
		return "—"
	}
	return num(100*float64(h)/float64(h+m)) + " %"
}

func (c *Console) cacheView() cacheView {
	if c.hist == nil {
		return cacheView{}
	}
	ss := c.hist.Samples()
	s := ss[len(ss)-1].Stats
	r := computeRates(ss)
	v := cacheView{HasCache: true, Samples: len(ss)}
	v.Figures = []figure{
		{"Item hit ratio (since start)", ratioText(s.ItemHits, s.ItemMisses)},
		{"Query hit ratio (since start)", ratioText(s.QueryHits, s.QueryMisses)},
		{"Item hits / misses", fmt.Sprintf("%d / %d", s.ItemHits, s.ItemMisses)},
		{"Query and Scan hits / misses", fmt.Sprintf("%d / %d", s.QueryHits, s.QueryMisses)},
		{"Requests per second (last interval)", lastOf(r.rps, "")},
		{"Requests (since start)", strconv.FormatUint(s.Requests, 10)},
		{"Evictions", strconv.FormatUint(s.EvictedCount, 10)},
		{"Write-through invalidations", strconv.FormatUint(s.WriteInvalidations, 10)},
		{"Change-feed invalidations", strconv.FormatUint(s.FeedChanges, 10)},
		{"Cache memory", fmt.Sprintf("%s of %s", bytesText(float64(s.CacheBytes)), bytesText(float64(s.CacheBudget)))},
		{"Item TTL (every table)", ttlText(s.ItemTTL, "none: kept until evicted or written")},
		{"Query TTL (every table)", ttlText(s.QueryTTL, "query cache off")},
	}
	pct := func(v float64) string { return num(v) + "%" }
	us := func(v float64) string { return num(v) + " µs" }
	v.Charts = []chart{
		lineChart("chart-hits", "Hit ratio", "percent of reads served from cache", ss, 100, pct,
			svgchart.Series{Name: "item cache", Points: r.itemRatio}, svgchart.Series{Name: "query cache", Points: r.queryRatio}),
		lineChart("chart-rps", "Requests per second", "requests per second", ss, 0, num,
			svgchart.Series{Name: "requests", Points: r.rps}, svgchart.Series{Name: "errors", Points: r.errors}),
		lineChart("chart-latency", "Latency p50 and p99", "microseconds (bucket upper bounds)", ss, 0, us,
			svgchart.Series{Name: "GetItem p50", Points: r.getP50}, svgchart.Series{Name: "GetItem p99", Points: r.getP99},
			svgchart.Series{Name: "backend (miss) p50", Points: r.beP50}, svgchart.Series{Name: "backend (miss) p99", Points: r.beP99},
			svgchart.Series{Name: "Query p50", Points: r.queryP50}, svgchart.Series{Name: "Query p99", Points: r.queryP99}),
		lineChart("chart-evictions", "Evictions per second", "entries per second", ss, 0, num,
			svgchart.Series{Name: "evictions", Points: r.evictions}),
		lineChart("chart-invalidations", "Invalidations per second", "per second", ss, 0, num,
			svgchart.Series{Name: "write-through", Points: r.writeInv}, svgchart.Series{Name: "change feed", Points: r.feedInv}),
		lineChart("chart-memory", "Cache memory (budget "+bytesText(float64(s.CacheBudget))+")", "MiB held by the item and query caches", ss, 0, num,
			svgchart.Series{Name: "used", Points: r.mem}),
	}
	return v
}

func ttlText(d time.Duration, zero string) string {
	if d <= 0 {
		return zero
	}
	return d.String()
}

func bytesText(n float64) string {
	u := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(u)-1 {
		n /= 1024
		i++
	}
	return num(n) + " " + u[i]
}

type opRow struct {
	Name          string
	Requests      uint64
	P50, P99      string
	PerSecondLast string
}

type metricsView struct {
	HasCache bool
	Rows     []opRow
	Charts   []chart
}

func (c *Console) metricsView() metricsView {
	if c.hist == nil {
		return metricsView{}
	}
	ss := c.hist.Samples()
	s := ss[len(ss)-1].Stats
	r := computeRates(ss)
	v := metricsView{HasCache: true}
	var series []svgchart.Series
	for _, op := range s.Operations {
		if op.Requests == 0 {
			continue
		}
		v.Rows = append(v.Rows, opRow{Name: op.Name, Requests: op.Requests,
			P50: op.Latency.Quantile(0.5).String(), P99: op.Latency.Quantile(0.99).String(), PerSecondLast: lastOf(r.ops[op.Name], "")})
		series = append(series, svgchart.Series{Name: op.Name, Points: r.ops[op.Name]})
	}
	sort.SliceStable(series, func(i, j int) bool { return series[i].Name < series[j].Name })
	v.Charts = []chart{lineChart("chart-ops", "Requests per second by operation", "requests per second", ss, 0, num, series...)}
	if s.ClusterMembers > 0 {
		v.Charts = append(v.Charts, lineChart("chart-forwarded", "Reads forwarded to their owner", "per second", ss, 0, num,
			svgchart.Series{Name: "forwarded", Points: r.forwarded}))
	}
	return v
}

type memberRow struct {
	ID, Peer, Version, Started, Share, Health string
	Healthy                                   bool
}

type clusterView struct {
	HasCluster bool
	Err        string
	Members    []memberRow
	Figures    []figure
}

func (c *Console) clusterView(ctx context.Context) clusterView {
	if c.opts.Cluster == nil {
		return clusterView{}
	}
	m := &c.cluster
	m.mu.Lock()
	if m.at.IsZero() || c.opts.Now().Sub(m.at) >= clusterEvery {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		m.members, m.err = c.opts.Cluster.Members(cctx)
		cancel()
		m.at = c.opts.Now()
	}
	members, err := m.members, m.err
	m.mu.Unlock()
	v := clusterView{HasCluster: true}
	if err != nil {
		v.Err = err.Error()
	}
	for _, ms := range members {
		h := "healthy"
		if !ms.Healthy {
			h = "unhealthy: " + ms.Err
		}
		v.Members = append(v.Members, memberRow{ID: ms.ID, Peer: ms.Peer, Version: ms.Version, Started: ms.Started.UTC().Format(time.RFC3339), Share: num(100*ms.Share) + " %", Health: h, Healthy: ms.Healthy})
	}
	if c.hist != nil {
		ss := c.hist.Samples()
		s := ss[len(ss)-1].Stats
		r := computeRates(ss)
		v.Figures = []figure{
			{"Members in this node's view", strconv.Itoa(s.ClusterMembers)},
			{"Reads forwarded to owners", strconv.FormatUint(s.ForwardedReads, 10)},
			{"Forwarding rate (last interval)", lastOf(r.forwarded, " /s")},
			{"Forwarded reads the owner did not answer", strconv.FormatUint(s.ForwardFailures, 10)},
			{"Reads served for other members", strconv.FormatUint(s.PeerReadsServed, 10)},
		}
	}
	return v
}
