package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/dynax/dynax/internal/svgchart"
)

var palette = svgchart.Palette

func seriesName(e *EndpointResult) string {
	s := fmt.Sprintf("%s c=%d", e.Endpoint, e.Concurrency)
	if e.Rate > 0 {
		s += fmt.Sprintf(" rate=%g", e.Rate)
	}
	return s
}

const (
	plotW, plotH   = svgchart.Width, svgchart.Height
	padL, padT     = svgchart.PadL, svgchart.PadT
	innerW, innerH = svgchart.InnerW, svgchart.InnerH
	maxNines       = 5.0 // x axis to 99.999%
)

// percentileX maps a percentile to the x axis (log of 1/(1-p)).
func percentileX(p float64) float64 {
	n := maxNines
	if p < 100 {
		n = math.Min(-math.Log10(1-p/100), maxNines)
	}
	return padL + innerW*n/maxNines
}

func legend(b *strings.Builder, rs []*EndpointResult) {
	names := make([]string, len(rs))
	for i, e := range rs {
		names[i] = seriesName(e)
	}
	svgchart.Legend(b, names)
}

// percentileSVG plots latency (log scale) against percentile.
func percentileSVG(rs []*EndpointResult) string {
	var b strings.Builder
	lo, hi := math.Inf(1), 0.0
	for _, e := range rs {
		for _, p := range e.Percentile {
			if p.Us > 0 {
				lo, hi = math.Min(lo, p.Us), math.Max(hi, p.Us)
			}
		}
	}
	if hi == 0 {
		lo, hi = 1, 10
	}
	l0, l1 := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if l1 <= l0 {
		l1 = l0 + 1
	}
	y := func(v float64) float64 {
		v = math.Max(v, math.Pow(10, l0))
		return padT + innerH - innerH*(math.Log10(v)-l0)/(l1-l0)
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" id="percentiles">`, plotW, plotH, plotW, plotH)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>`, padL, padT, innerW, innerH)
	for d := l0; d <= l1; d++ {
		yy := y(math.Pow(10, d))
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" font-size="11" text-anchor="end">%g µs</text>`,
			padL, yy, padL+innerW, yy, padL-4, yy+4, math.Pow(10, d))
	}
	for _, p := range []float64{0, 90, 99, 99.9, 99.99, 99.999} {
		xx := percentileX(p)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" font-size="11" text-anchor="middle">%g%%</text>`,
			xx, padT, xx, padT+innerH, xx, padT+innerH+16, p)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="middle">percentile</text>`, padL+innerW/2, plotH-10)
	for i, e := range rs {
		var pts []string
		for _, p := range e.Percentile {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", percentileX(p.Percentile), y(p.Us)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke-width="2" stroke="%s" points="%s"><title>%s</title></polyline>`,
			palette[i%len(palette)], strings.Join(pts, " "), html.EscapeString(seriesName(e)))
	}
	legend(&b, rs)
	b.WriteString(`</svg>`)
	return b.String()
}

// throughputSVG plots completed operations per second.
func throughputSVG(rs []*EndpointResult) string {
	return perSecondSVG("throughput", "operations per second", rs, func(e *EndpointResult) []int64 { return e.PerSecond })
}

// throttleSVG plots throttled operations per second, or returns "" when no
// endpoint was throttled.
func throttleSVG(rs []*EndpointResult) string {
	for _, e := range rs {
		if len(e.ThrottledPerSecond) > 0 {
			return perSecondSVG("throttled", "throttled operations per second", rs, func(e *EndpointResult) []int64 { return e.ThrottledPerSecond })
		}
	}
	return ""
}

// perSecondSVG plots one per-second series of every endpoint.
func perSecondSVG(id, what string, rs []*EndpointResult, of func(*EndpointResult) []int64) string {
	c := svgchart.Chart{ID: id, Caption: "seconds of measurement (rounds back to back); y: " + what,
		YFormat: func(v float64) string { return strconv.FormatInt(int64(v), 10) }}
	series := make([]svgchart.Series, len(rs))
	for i, e := range rs {
		c.N = max(c.N, len(of(e)))
		series[i].Name = seriesName(e)
		for _, v := range of(e) {
			series[i].Points = append(series[i].Points, float64(v))
		}
	}
	for k := 0; k < c.N; k += max(1, c.N/10) {
		c.XTicks = append(c.XTicks, svgchart.Tick{Index: k, Label: strconv.Itoa(k) + "s"})
	}
	return c.Lines(series)
}

// WriteHTML writes one self-contained page (inline SVG, no scripts or
// fetches): the percentile plot, throughput over time and a comparison
// table. It is well-formed XML (XHTML).
func (r *Report) WriteHTML(w io.Writer) error {
	var b strings.Builder
	esc := html.EscapeString
	b.WriteString(`<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml"><head><meta charset="utf-8"/><title>dynax bench</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}td.l{text-align:left}</style>
</head><body>
<h1>dynax bench</h1>
`)
	fmt.Fprintf(&b, "<p>Generated %s.", esc(r.Generated.Format("2006-01-02 15:04:05 MST")))
	for _, k := range sortedKeys(r.Settings) {
		fmt.Fprintf(&b, " %s=<code>%s</code>", esc(k), esc(r.Settings[k]))
	}
	b.WriteString("</p>\n<h2>Latency by percentile (all operations)</h2>\n")
	b.WriteString(percentileSVG(r.Results))
	b.WriteString("\n<h2>Throughput over time</h2>\n")
	b.WriteString(throughputSVG(r.Results))
	if svg := throttleSVG(r.Results); svg != "" {
		b.WriteString("\n<h2>Throttled operations over time</h2>\n")
		b.WriteString(svg)
	}
	b.WriteString("\n<h2>Comparison</h2>\n<table id=\"results\"><tr><th>endpoint</th><th>load</th><th>operation</th><th>count</th><th>ops/s</th><th>p50 µs</th><th>p90 µs</th><th>p99 µs</th><th>p99.9 µs</th><th>max µs</th><th>errors</th><th>hit ratio</th><th>stale reads</th></tr>\n")
	for _, e := range r.Results {
		load := fmt.Sprintf("c=%d", e.Concurrency)
		if e.Rate > 0 {
			load += fmt.Sprintf(" rate=%g", e.Rate)
		}
		row := func(op string, l Latency, extra bool) {
			hit, stale := "", ""
			if extra {
				hit = pct(e.HitRatio)
				stale = fmt.Sprintf("%d / %d", e.Stale.Stale, e.Stale.Checked)
			}
			fmt.Fprintf(&b, `<tr><td class="l">%s</td><td class="l">%s</td><td class="l">%s</td><td>%d</td><td>%.0f</td><td>%.1f</td><td>%.1f</td><td>%.1f</td><td>%.1f</td><td>%.1f</td><td class="l">%s</td><td>%s</td><td>%s</td></tr>`+"\n",
				esc(e.Endpoint), esc(load), esc(op), l.Count, l.ThroughputOps, l.P50Us, l.P90Us, l.P99Us, l.P999Us, l.MaxUs, esc(fmtErrors(l.Errors)), esc(hit), esc(stale))
		}
		for _, o := range e.Operations {
			row(o.Operation, o.Latency, false)
		}
		row("all", e.Latency, true)
	}
	b.WriteString("</table>\n</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
