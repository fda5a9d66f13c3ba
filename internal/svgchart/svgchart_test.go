package svgchart

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"
)

func TestNice(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{{0, 1}, {-3, 1}, {math.NaN(), 1}, {0.7, 1}, {1, 1}, {1.2, 2}, {2.2, 2.5}, {9.93, 10}, {30, 50}, {101, 200}} {
		if got := Nice(c.in); got != c.want {
			t.Errorf("Nice(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestLines: well-formed XML, a polyline per run of points, a NaN breaks
// the line, a lone point is a dash, names are escaped.
func TestLines(t *testing.T) {
	nan := math.NaN()
	svg := Chart{ID: "c", Title: "A <title>", XTicks: []Tick{{0, "-3s"}, {3, "now"}}}.Lines([]Series{
		{Name: "a&b", Points: []float64{1, 2, nan, 3, 4}},
		{Name: "lone", Points: []float64{nan, 5, nan}},
	})
	if err := xml.Unmarshal([]byte(svg), new(any)); err != nil {
		t.Fatalf("not XML: %v\n%s", err, svg)
	}
	if n := strings.Count(svg, "<polyline"); n != 3 {
		t.Errorf("%d polylines, want 3 (one line broken by NaN, one dash)", n)
	}
	for _, want := range []string{`id="c"`, `aria-label="A &lt;title&gt;"`, `<title>a&amp;b</title>`, ">now</text>", ">5</text>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %s", want)
		}
	}
}
