package console

import (
	"math"
	"testing"
	"time"

	"github.com/dynax/dynax/proxy"
)

type fakeCache struct{ s proxy.Stats }

func (f *fakeCache) Stats() proxy.Stats { return f.s }

// TestHistory: a sample per interval at most, however often asked; the
// ring keeps the latest Size, oldest first; rates are per interval.
func TestHistory(t *testing.T) {
	now := time.Unix(1000, 0)
	src := &fakeCache{}
	h := NewHistory(src, HistoryOptions{Size: 3, Now: func() time.Time { return now }})
	for i := range 5 {
		src.s.ItemHits += 9
		src.s.ItemMisses++
		src.s.Requests += 10
		if n := len(h.Samples()); n != min(i+1, 3) {
			t.Fatalf("after %d seconds: %d samples", i, n)
		}
		if n := len(h.Samples()); n != min(i+1, 3) {
			t.Fatalf("asking again in the same second took a sample: %d", n)
		}
		now = now.Add(time.Second)
	}
	ss := h.Samples() // a sample at t=5 with the counters of t=4
	if len(ss) != 3 || !ss[0].At.Before(ss[1].At) || !ss[1].At.Before(ss[2].At) {
		t.Fatalf("samples not oldest first: %v", ss)
	}
	r := computeRates(ss)
	if len(r.rps) != 2 || r.rps[1] != 0 || r.rps[0] != 10 {
		t.Errorf("requests per second %v", r.rps)
	}
	if r.itemRatio[0] != 90 || !math.IsNaN(r.itemRatio[1]) {
		t.Errorf("item hit ratio %v (want 90, then NaN for an interval without reads)", r.itemRatio)
	}
}
