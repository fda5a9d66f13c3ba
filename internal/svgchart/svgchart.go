// Package svgchart draws line charts as self-contained SVG (no scripts,
// no styles from outside), for the bench's HTML report and the web
// console's live charts.
//
// A chart is a frame, horizontal grid lines at Y ticks, X tick labels,
// one polyline per series (a <title> names it for screen readers and
// tooltips) and a legend. Points are evenly spaced on the X axis; a NaN
// point breaks the line (no sample there), and a point alone is a dash.
package svgchart

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Palette is the series colours, in order (each has 3:1 contrast or more
// against white, as WCAG asks of graphics).
var Palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

// Layout constants of every chart.
const (
	Width, Height          = 720, 360
	PadL, PadR, PadT, PadB = 70, 20, 20, 50
	InnerW, InnerH         = Width - PadL - PadR, Height - PadT - PadB
)

// Series is one line.
type Series struct {
	Name   string
	Points []float64
}

// Tick is a labelled position on the X axis (an index into the points).
type Tick struct {
	Index int
	Label string
}

// Chart describes a line chart.
type Chart struct {
	// ID is the svg element's id (optional).
	ID string
	// Title, when set, is the chart's accessible name (<title>).
	Title string
	// Caption is written under the X axis.
	Caption string
	// YMax fixes the top of the Y axis; 0 takes the largest point (or 1).
	YMax float64
	// YTicks is the number of Y grid intervals. Default 4.
	YTicks int
	// YFormat labels Y ticks. Default %g.
	YFormat func(float64) string
	// XTicks label the X axis.
	XTicks []Tick
	// N is the number of X positions; default the longest series.
	N int
}

// Lines renders the chart.
func (c Chart) Lines(series []Series) string {
	var b strings.Builder
	n := c.N
	for _, s := range series {
		n = max(n, len(s.Points))
	}
	n = max(n, 1)
	hi := c.YMax
	if hi <= 0 {
		for _, s := range series {
			for _, v := range s.Points {
				if !math.IsNaN(v) {
					hi = math.Max(hi, v)
				}
			}
		}
		hi = Nice(hi)
	}
	yt := c.YTicks
	if yt <= 0 {
		yt = 4
	}
	yf := c.YFormat
	if yf == nil {
		yf = func(v float64) string { return fmt.Sprintf("%g", v) }
	}
	x := func(i int) float64 { return PadL + InnerW*float64(i)/float64(max(n-1, 1)) }
	y := func(v float64) float64 { return PadT + InnerH - InnerH*math.Min(v, hi)/hi }
	id := ""
	if c.ID != "" {
		id = ` id="` + html.EscapeString(c.ID) + `"`
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d"%s`, Width, Height, Width, Height, id)
	if c.Title != "" {
		b.WriteString(` role="img" aria-label="` + html.EscapeString(c.Title) + `"><title>` + html.EscapeString(c.Title) + `</title>`)
	} else {
		b.WriteString(`>`)
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>`, PadL, PadT, InnerW, InnerH)
	for k := 0; k <= yt; k++ {
		v := hi * float64(k) / float64(yt)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" font-size="11" text-anchor="end">%s</text>`,
			PadL, y(v), PadL+InnerW, y(v), PadL-4, y(v)+4, html.EscapeString(yf(v)))
	}
	for _, t := range c.XTicks {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%s</text>`, x(t.Index), PadT+InnerH+16, html.EscapeString(t.Label))
	}
	if c.Caption != "" {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="middle">%s</text>`, PadL+InnerW/2, Height-10, html.EscapeString(c.Caption))
	}
	for i, s := range series {
		var pts []string
		flush := func() {
			if len(pts) == 1 {
				// A point without neighbours is a short dash (a polyline
				// like the others, so every series is one kind of shape).
				xs, ys, _ := strings.Cut(pts[0], ",")
				px, _ := strconv.ParseFloat(xs, 64)
				lo, hi := math.Max(px-4, PadL), math.Min(px+4, PadL+InnerW)
				pts = []string{fmt.Sprintf("%.1f,%s", lo, ys), fmt.Sprintf("%.1f,%s", hi, ys)}
			}
			if len(pts) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke-width="2" stroke="%s" points="%s"><title>%s</title></polyline>`,
					Palette[i%len(Palette)], strings.Join(pts, " "), html.EscapeString(s.Name))
			}
			pts = pts[:0]
		}
		for k, v := range s.Points {
			if math.IsNaN(v) {
				flush()
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(k), y(v)))
		}
		flush()
	}
	Legend(&b, names(series))
	b.WriteString(`</svg>`)
	return b.String()
}

func names(series []Series) []string {
	out := make([]string, len(series))
	for i, s := range series {
		out[i] = s.Name
	}
	return out
}

// Nice rounds v up to 1, 2, 2.5 or 5 times a power of ten, so that the
// Y axis' quarters fall on round numbers (1 for v ≤ 0).
func Nice(v float64) float64 {
	if v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// Legend writes a colour key of the names in the chart's top left corner.
func Legend(b *strings.Builder, names []string) {
	for i, name := range names {
		y := PadT + 14*i + 10
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" font-size="11">%s</text>`,
			PadL+10, y-9, Palette[i%len(Palette)], PadL+24, y, html.EscapeString(name))
	}
}
