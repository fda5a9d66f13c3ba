package hnsw

import (
	"math/rand/v2"
	"sync"
	"testing"
)

func randVecs(rng *rand.Rand, n, dims int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		v := make([]float32, dims)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		out[i] = v
	}
	return out
}

// recall is the fraction of the exact top-k that the graph's top-k holds.
func recall(t *testing.T, g *Graph, qs [][]float32, k, ef int) float64 {
	t.Helper()
	hit, all := 0, 0
	for _, q := range qs {
		want, _ := g.Exact(q, k, nil)
		got, _ := g.Search(q, k, ef, nil)
		in := map[uint32]bool{}
		for _, r := range got {
			in[r.ID] = true
		}
		for _, r := range want {
			all++
			if in[r.ID] {
				hit++
			}
		}
	}
	return float64(hit) / float64(all)
}

// TestRecall builds graphs of 2,000 random vectors for each metric and
// checks recall@10 against the exact answer, and that results come
// nearest first.
func TestRecall(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vs := randVecs(rng, 2000, 24)
	qs := randVecs(rng, 50, 24)
	for _, m := range []Metric{L2, Cosine, Dot} {
		g := New(Options{Dims: 24, Metric: m})
		for _, v := range vs {
			g.Add(v)
		}
		ef := 64
		if m == Dot {
			ef = 256 // the graph is built by L2 proximity (see ldist): a wider beam
		}
		if r := recall(t, g, qs, 10, ef); r < 0.9 {
			t.Errorf("metric %d: recall@10 %.3f", m, r)
		}
		res, _ := g.Search(qs[0], 10, 64, nil)
		for i := 1; i < len(res); i++ {
			if res[i].Dist < res[i-1].Dist {
				t.Fatalf("metric %d: results out of order: %v", m, res)
			}
		}
	}
}

// TestDeleteAndFilter checks that tombstones and rejected nodes are never
// returned, and that a filtered search still finds its nearest accepted
// nodes.
func TestDeleteAndFilter(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	vs := randVecs(rng, 2000, 16)
	g := New(Options{Dims: 16, Metric: Cosine})
	for _, v := range vs {
		g.Add(v)
	}
	for id := uint32(0); id < 2000; id += 3 {
		g.Delete(id)
	}
	g.Delete(0) // twice: no effect
	if g.Dead() != 667 || g.Len() != 2000 || g.Alive(0) || !g.Alive(1) {
		t.Fatalf("dead %d len %d", g.Dead(), g.Len())
	}
	// A query equal to a deleted vector must not find it.
	res, _ := g.Search(vs[3], 5, 50, nil)
	for _, r := range res {
		if r.ID%3 == 0 {
			t.Fatalf("deleted node %d returned", r.ID)
		}
	}
	even := func(id uint32) bool { return id%2 == 0 }
	hit, all := 0, 0
	for _, q := range randVecs(rng, 30, 16) {
		got, _ := g.Search(q, 10, 100, even)
		var ids []uint32
		for id := uint32(0); id < 2000; id++ {
			if even(id) {
				ids = append(ids, id)
			}
		}
		want, _ := g.Exact(q, 10, ids)
		in := map[uint32]bool{}
		for _, r := range got {
			if r.ID%2 != 0 || r.ID%3 == 0 {
				t.Fatalf("filtered search returned %d", r.ID)
			}
			in[r.ID] = true
		}
		for _, r := range want {
			all++
			if in[r.ID] {
				hit++
			}
		}
	}
	if r := float64(hit) / float64(all); r < 0.9 {
		t.Errorf("filtered recall@10 %.3f", r)
	}
}

// TestConcurrent adds from one goroutine while others search (run with
// -race).
func TestConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	vs := randVecs(rng, 600, 8)
	qs := randVecs(rng, 4, 8)
	g := New(Options{Dims: 8, Metric: L2, M: 8})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, q := range qs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				g.Search(q, 5, 20, nil)
			}
		}()
	}
	for i, v := range vs {
		g.Add(v)
		if i%10 == 0 {
			g.Delete(uint32(i / 2))
		}
	}
	close(stop)
	wg.Wait()
	if g.Len() != 600 {
		t.Fatalf("len %d", g.Len())
	}
}

func TestEmptyAndBadInput(t *testing.T) {
	g := New(Options{Dims: 4})
	if r, _ := g.Search([]float32{1, 2, 3, 4}, 3, 10, nil); len(r) != 0 {
		t.Fatal(r)
	}
	if r, _ := g.Search([]float32{1}, 3, 10, nil); r != nil {
		t.Fatal(r)
	}
	g.Add([]float32{0, 0, 0, 0})
	if r, _ := g.Search([]float32{1, 0, 0, 0}, 3, 10, nil); len(r) != 1 || r[0].ID != 0 {
		t.Fatal(r)
	}
}
