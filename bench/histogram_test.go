package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHistogramAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	vals := make([]int64, 200000)
	for i := range vals {
		// Log-normal around 100µs with a long tail, plus a few tiny values.
		v := int64(math.Exp(rng.NormFloat64()*1.5 + math.Log(1e5)))
		if i%1000 == 0 {
			v = int64(rng.IntN(300))
		}
		vals[i] = v
		h.Record(v)
	}
	slices.Sort(vals)
	if h.Count() != uint64(len(vals)) || h.Max() != vals[len(vals)-1] || h.Min() != vals[0] {
		t.Fatalf("count/min/max = %d/%d/%d, want %d/%d/%d", h.Count(), h.Min(), h.Max(), len(vals), vals[0], vals[len(vals)-1])
	}
	for _, q := range []float64{0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999} {
		exact := vals[int(math.Ceil(q*float64(len(vals))))-1]
		got := h.Quantile(q)
		if rel := math.Abs(float64(got-exact)) / math.Max(float64(exact), 1); rel > 0.01 && math.Abs(float64(got-exact)) > 1 {
			t.Errorf("q%g = %d, exact %d (relative error %.4f > 1%%)", q, got, exact, rel)
		}
	}
}

func TestHistogramBucketsRoundTrip(t *testing.T) {
	// Every value maps to a bucket whose midpoint is within 1/256 of it.
	for v := int64(0); v < 1<<20; v += 7 {
		mid := histValue(histIndex(v))
		if d := math.Abs(float64(mid - v)); d > float64(v)/256+1 {
			t.Fatalf("value %d: bucket midpoint %d", v, mid)
		}
	}
	for _, v := range []int64{1 << 40, 1<<50 + 12345, math.MaxInt64} {
		i := histIndex(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("value %d: index %d out of range", v, i)
		}
	}
}

func TestHistogramMergeAndMonotone(t *testing.T) {
	var a, b Histogram
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 10000; i++ {
		a.Record(int64(rng.IntN(1e6)))
		b.Record(int64(rng.IntN(1e7)))
	}
	a.Merge(&b)
	if a.Count() != 20000 {
		t.Fatalf("merged count %d", a.Count())
	}
	prev := int64(-1)
	for q := 0.0; q <= 1; q += 0.001 {
		v := a.Quantile(q)
		if v < prev {
			t.Fatalf("quantile %g = %d < previous %d", q, v, prev)
		}
		prev = v
	}
	if a.Quantile(1) != a.Max() {
		t.Fatalf("q1 %d != max %d", a.Quantile(1), a.Max())
	}
	var empty Histogram
	if empty.Quantile(0.5) != 0 || empty.Mean() != 0 {
		t.Fatal("empty histogram not zero")
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Record(int64(i&0xffff) * 97)
	}
}
