package hnsw

import (
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

// embeddings generates n vectors of dims dimensions shaped like text
// embeddings: a rank-32 latent Gaussian mapped through a fixed random
// 768×32 matrix, plus small isotropic noise. Real embeddings have a low
// intrinsic dimension; i.i.d. Gaussian vectors (the worst case for any
// ANN index) do not, and are reported separately.
func embeddings(rng *rand.Rand, w [][]float32, n, dims int, noise float64) [][]float32 {
	out := make([][]float32, n)
	z := make([]float32, len(w[0]))
	for i := range out {
		for j := range z {
			z[j] = float32(rng.NormFloat64())
		}
		v := make([]float32, dims)
		for d := range v {
			v[d] = dot(w[d], z) + float32(noise*rng.NormFloat64())
		}
		out[i] = v
	}
	return out
}

// BenchmarkGraph100k builds a Cosine graph of DYNAX_VECTOR_BENCH_N vectors
// (default 100,000) of 768 dimensions with the store's settings (M 16,
// EfConstruction 128) and reports the build time per vector, the heap per
// vector, recall@10 of 100 queries against the exact answer at ef 128, and
// the search p50 and QPS at concurrency 1 and 8. DYNAX_VECTOR_BENCH_DATA=
// gaussian uses i.i.d. Gaussian vectors instead of embedding-like ones.
// Long (minutes): run it alone with -benchtime=1x.
func BenchmarkGraph100k(b *testing.B) {
	const dims, rank = 768, 32
	n := 100_000
	if s := os.Getenv("DYNAX_VECTOR_BENCH_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	var vs, qs [][]float32
	if os.Getenv("DYNAX_VECTOR_BENCH_DATA") == "gaussian" {
		vs, qs = randVecs(rng, n, dims), randVecs(rng, 100, dims)
	} else {
		w := randVecs(rng, dims, rank)
		vs, qs = embeddings(rng, w, n, dims, 0.5), embeddings(rng, w, 100, dims, 0.5)
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g := New(Options{Dims: dims, Metric: Cosine, M: 16, EfConstruction: 128})
	start := time.Now()
	for _, v := range vs {
		g.Add(v)
	}
	build := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	runtime.KeepAlive(vs) // else the GC frees the inputs and hides the graph's copy
	b.ReportMetric(float64(build.Microseconds())/float64(n), "build-µs/vector")
	b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/float64(n), "heap-B/vector")

	for _, ef := range []int{64, 128, 256} {
		hit := 0
		for _, q := range qs {
			want, _ := g.Exact(q, 10, nil)
			got, _ := g.Search(q, 10, ef, nil)
			in := map[uint32]bool{}
			for _, r := range got {
				in[r.ID] = true
			}
			for _, r := range want {
				if in[r.ID] {
					hit++
				}
			}
		}
		b.ReportMetric(float64(hit)/float64(10*len(qs)), "recall@10-ef"+strconv.Itoa(ef))
	}
	for _, conc := range []int{1, 8} {
		const searches = 2000
		lat := make([]time.Duration, searches)
		var next sync.Mutex
		i := 0
		var wg sync.WaitGroup
		t0 := time.Now()
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					next.Lock()
					k := i
					i++
					next.Unlock()
					if k >= searches {
						return
					}
					s := time.Now()
					g.Search(qs[k%len(qs)], 10, 128, nil)
					lat[k] = time.Since(s)
				}
			}()
		}
		wg.Wait()
		wall := time.Since(t0)
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[searches/2].Microseconds())/1000, "p50-ms-c"+strconv.Itoa(conc))
		b.ReportMetric(searches/wall.Seconds(), "QPS-c"+strconv.Itoa(conc))
	}
	for range b.N {
		g.Search(qs[0], 10, 128, nil)
	}
}
