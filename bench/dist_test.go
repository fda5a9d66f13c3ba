package bench

import (
	"math/rand/v2"
	"testing"
)

func draw(t *testing.T, dist string, n, draws int) []int {
	t.Helper()
	kc, err := NewKeyChooser(dist, n, 0.99, 0.2, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	counts := make([]int, n)
	for i := 0; i < draws; i++ {
		k := kc.Next(rng, n)
		if k < 0 || k >= n {
			t.Fatalf("%s: key %d out of [0,%d)", dist, k, n)
		}
		counts[k]++
	}
	return counts
}

func topShare(counts []int, frac float64) float64 {
	c := append([]int(nil), counts...)
	// partial selection sort of the top k is enough for small n
	k := int(float64(len(c)) * frac)
	total, top := 0, 0
	for _, v := range c {
		total += v
	}
	for i := 0; i < k; i++ {
		m := i
		for j := i + 1; j < len(c); j++ {
			if c[j] > c[m] {
				m = j
			}
		}
		c[i], c[m] = c[m], c[i]
		top += c[i]
	}
	return float64(top) / float64(total)
}

func TestZipfianSkew(t *testing.T) {
	counts := draw(t, "zipfian", 1000, 200000)
	// With θ=0.99 over 1000 keys the top 1% of keys get about 40% of the
	// draws; uniform would give 1%.
	if s := topShare(counts, 0.01); s < 0.25 {
		t.Fatalf("zipfian: top 1%% of keys got %.3f of draws, want ≥ 0.25", s)
	}
	// Scrambled: the hottest key is not simply key 0 and hot keys are spread.
	spread := 0
	for i := 0; i < 1000; i += 100 {
		for j := i; j < i+100; j++ {
			if counts[j] > 2000 {
				spread++
				break
			}
		}
	}
	if spread < 2 {
		t.Fatalf("zipfian hot keys are not scrambled over the key space")
	}
	u := draw(t, "uniform", 1000, 200000)
	if s := topShare(u, 0.01); s > 0.02 {
		t.Fatalf("uniform: top 1%% got %.3f", s)
	}
}

func TestHotspotAndLatest(t *testing.T) {
	counts := draw(t, "hotspot", 1000, 100000)
	hot := 0
	for _, c := range counts[:200] {
		hot += c
	}
	if share := float64(hot) / 100000; share < 0.78 || share > 0.82 {
		t.Fatalf("hotspot: hot 20%% of keys got %.3f of ops, want ≈ 0.8", share)
	}
	l := draw(t, "latest", 1000, 100000)
	recent := 0
	for _, c := range l[990:] {
		recent += c
	}
	if share := float64(recent) / 100000; share < 0.3 {
		t.Fatalf("latest: newest 1%% of keys got %.3f", share)
	}
}

func TestBadDistributions(t *testing.T) {
	for _, c := range []struct {
		dist  string
		theta float64
	}{{"nope", 0.99}, {"zipfian", 1.5}, {"zipfian", 0}} {
		if _, err := NewKeyChooser(c.dist, 10, c.theta, 0.2, 0.8); err == nil {
			t.Errorf("%s θ=%g: no error", c.dist, c.theta)
		}
	}
}

func TestParseSize(t *testing.T) {
	if s, err := ParseSize("100"); err != nil || s != (SizeChooser{100, 100}) {
		t.Fatalf("100: %v %v", s, err)
	}
	s, err := ParseSize("10..20")
	if err != nil || s != (SizeChooser{10, 20}) {
		t.Fatalf("10..20: %v %v", s, err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 1000; i++ {
		if v := s.Next(rng); v < 10 || v > 20 {
			t.Fatalf("size %d", v)
		}
	}
	for _, bad := range []string{"", "x", "20..10", "-1", "10x"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
