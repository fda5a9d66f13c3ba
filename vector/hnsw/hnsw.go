// Package hnsw is an in-memory approximate nearest-neighbour index over
// float32 vectors of one dimension: a Hierarchical Navigable Small World
// graph (Malkov and Yashunin, 2016).
//
// Why our own: the Go HNSW libraries served by the module proxy were
// judged and not taken (docs/compatibility.md, vector section): the one
// most used keeps neighbours in per-node maps, hard-codes the cosine
// distance when it repairs a deletion, and its bounded heap evicts the
// wrong element; none persists in a checked format. This one is small,
// has one writer and many concurrent readers, and a fuzzed snapshot format
// (encode.go).
//
// Nodes are numbered densely from 0. Delete leaves a tombstone: the node
// keeps its vector and links so that searches still route through it, but
// is never returned. Tombstones are reclaimed by rebuilding (the owner
// decides when, from Len and Dead), which keeps deletion simple and the
// graph's connectivity intact.
//
// Concurrency: Add and Delete serialize on a writer mutex. Add finds the
// new node's neighbours under the read lock (no other writer can change
// the graph meanwhile) and takes the write lock only to link the node in,
// so searches are held up for microseconds, not for the whole insertion.
package hnsw

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// Metric is a distance function; lower is closer.
type Metric uint8

// Metrics.
const (
	// L2 is the squared Euclidean distance.
	L2 Metric = iota
	// Cosine is 1 − cos(a, b). Vectors are normalized when added and
	// searched, so it costs one dot product.
	Cosine
	// Dot is −(a·b): the highest dot product is the nearest.
	Dot
)

// Options configure a Graph. Zero values take the defaults.
type Options struct {
	Dims   int    // vector length; required
	Metric Metric // default L2
	// M is the number of links per node on the upper layers (2×M on layer
	// 0). Default 16.
	M int
	// EfConstruction is the beam width when inserting. Default 128.
	EfConstruction int
	// Seed seeds the level generator. Default 1 (deterministic builds).
	Seed uint64
}

// link is one neighbour: its id and its distance to the node that links
// to it (kept so that pruning never recomputes distances under the lock).
type link struct {
	id uint32
	d  float32
}

// Graph is an HNSW index. It is safe for concurrent use.
type Graph struct {
	opts Options
	m0   int     // links per node on layer 0
	ml   float64 // level multiplier 1/ln(M)

	wmu sync.Mutex // one writer at a time
	mu  sync.RWMutex
	rng *rand.Rand

	vecs  []float32 // node i's vector is vecs[i*Dims:(i+1)*Dims]
	links [][][]link
	// inDeg counts the layer-0 links into each node: a link that is a
	// node's only way in is never the one replaced, so no node becomes
	// unreachable (outliers would, with plain nearest-first pruning).
	inDeg []uint32
	dead  []bool
	nDead int
	entry int32 // -1: empty
	top   int   // level of entry

	visits sync.Pool // *visitSet
}

// New returns an empty graph.
func New(o Options) *Graph {
	if o.M <= 0 {
		o.M = 16
	}
	if o.M < 2 {
		o.M = 2
	}
	if o.EfConstruction <= 0 {
		o.EfConstruction = 128
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return &Graph{opts: o, m0: 2 * o.M, ml: 1 / math.Log(float64(o.M)), entry: -1,
		rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9E3779B97F4A7C15))}
}

// Options returns the graph's options with defaults filled in.
func (g *Graph) Options() Options { return g.opts }

// Len returns the number of nodes, tombstones included.
func (g *Graph) Len() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.dead)
}

// Dead returns the number of tombstones.
func (g *Graph) Dead() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.nDead
}

// Alive reports whether id is a node that was not deleted.
func (g *Graph) Alive(id uint32) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return int(id) < len(g.dead) && !g.dead[id]
}

// Vector returns a copy of node id's vector as stored (normalized for
// Cosine).
func (g *Graph) Vector(id uint32) []float32 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	d := g.opts.Dims
	return slices.Clone(g.vecs[int(id)*d : int(id+1)*d])
}

// prepare returns v as the graph stores it: a copy, normalized for Cosine.
func (g *Graph) prepare(v []float32) []float32 {
	v = slices.Clone(v)
	if g.opts.Metric == Cosine {
		Normalize(v)
	}
	return v
}

// Normalize scales v to unit length (a zero vector stays zero).
func Normalize(v []float32) {
	n := dot(v, v)
	if n == 0 {
		return
	}
	s := float32(1 / math.Sqrt(float64(n)))
	for i := range v {
		v[i] *= s
	}
}

// dist is the metric between a prepared query q and node id's vector.
func (g *Graph) dist(q []float32, id uint32) float32 {
	d := g.opts.Dims
	v := g.vecs[int(id)*d : int(id+1)*d]
	switch g.opts.Metric {
	case Cosine:
		return 1 - dot(q, v)
	case Dot:
		return -dot(q, v)
	}
	return l2(q, v)
}

// ldist is the distance that shapes the graph: the metric, but L2 for Dot.
// Negative inner products are no distance (every node's "nearest" would be
// the one of the largest norm, and links would all go to a few hubs); a
// graph built by Euclidean proximity navigates to the largest dot products
// as well, which is what searches (dist) then follow.
func (g *Graph) ldist(q []float32, id uint32) float32 {
	if g.opts.Metric == Dot {
		d := g.opts.Dims
		return l2(q, g.vecs[int(id)*d:int(id+1)*d])
	}
	return g.dist(q, id)
}

// Add inserts v (of length Dims) and returns its id.
func (g *Graph) Add(v []float32) uint32 {
	if len(v) != g.opts.Dims {
		panic("hnsw: vector of the wrong dimension")
	}
	q := g.prepare(v)
	g.wmu.Lock()
	defer g.wmu.Unlock()
	level := int(math.Floor(-math.Log(1-g.rng.Float64()) * g.ml))

	// Find the neighbours at each level. Only this writer changes the
	// graph, so what is read under the read lock stays true until the
	// write lock below.
	g.mu.RLock()
	id := uint32(len(g.dead))
	var chosen [][]link
	entry, top := g.entry, g.top
	if entry >= 0 {
		chosen = make([][]link, min(level, top)+1)
		ep := []link{{uint32(entry), g.ldist(q, uint32(entry))}}
		for l := top; l > level; l-- {
			ep = g.searchLayer(q, ep, 1, l, nil)
		}
		for l := min(level, top); l >= 0; l-- {
			cands := g.searchLayer(q, ep, g.opts.EfConstruction, l, nil)
			max := g.opts.M
			if l == 0 {
				max = g.m0
			}
			chosen[l] = g.selectNeighbours(cands, max)
			ep = cands
		}
	}
	// Plan the reverse links while still only reading: a neighbour with
	// room takes the new node; a full one takes it only if none of its
	// nearer links occludes it (is nearer to it than the neighbour is),
	// in place of its farthest link, even when that link is nearer. That is the paper's heuristic applied
	// to the one new candidate: it costs one distance per existing link,
	// and it keeps outliers reachable where keeping the nearest would
	// drop every link to them.
	type plan struct {
		nb, level int
		drop      int // index of the link to replace; -1: append
	}
	var plans []plan
	for l := range chosen {
		max := g.opts.M
		if l == 0 {
			max = g.m0
		}
		for _, nb := range chosen[l] {
			ls := g.links[nb.id][l]
			if len(ls) < max {
				plans = append(plans, plan{int(nb.id), l, -1})
				continue
			}
			far, occluded := g.farthestSpare(ls, l), false
			for _, o := range ls {
				if !occluded && o.d < nb.d && g.ldist(q, o.id) < nb.d {
					occluded = true
				}
			}
			if !occluded {
				plans = append(plans, plan{int(nb.id), l, far})
			}
		}
	}
	// Every node keeps at least one way in on layer 0: if every neighbour
	// occluded the new node, the nearest links to it all the same.
	if len(chosen) > 0 && len(chosen[0]) > 0 {
		linked := false
		for _, p := range plans {
			linked = linked || p.level == 0
		}
		if !linked {
			nb := chosen[0][0].id
			far := -1
			if ls := g.links[nb][0]; len(ls) >= g.m0 {
				far = g.farthestSpare(ls, 0)
			}
			plans = append(plans, plan{int(nb), 0, far})
		}
	}
	g.mu.RUnlock()

	g.mu.Lock()
	defer g.mu.Unlock()
	g.vecs = append(g.vecs, q...)
	g.dead = append(g.dead, false)
	g.inDeg = append(g.inDeg, 0)
	own := make([][]link, level+1)
	for l := range own {
		max := g.opts.M
		if l == 0 {
			max = g.m0
		}
		own[l] = make([]link, 0, max)
		if l < len(chosen) {
			own[l] = append(own[l], chosen[l]...)
		}
	}
	g.links = append(g.links, own)
	for _, p := range plans {
		var d float32
		for _, c := range chosen[p.level] {
			if int(c.id) == p.nb {
				d = c.d
			}
		}
		if p.drop < 0 {
			g.links[p.nb][p.level] = append(g.links[p.nb][p.level], link{id, d})
		} else {
			if p.level == 0 {
				g.inDeg[g.links[p.nb][0][p.drop].id]--
			}
			g.links[p.nb][p.level][p.drop] = link{id, d}
		}
		if p.level == 0 {
			g.inDeg[id]++
		}
	}
	if len(own) > 0 {
		for _, o := range own[0] {
			g.inDeg[o.id]++
		}
	}
	if entry < 0 || level > top {
		g.entry, g.top = int32(id), level
	}
	return id
}

// farthestSpare returns the index of the farthest link in ls that is not
// its target's only way in on layer 0 (upper layers: the farthest), or -1:
// the new link is then appended beyond the usual maximum.
func (g *Graph) farthestSpare(ls []link, level int) int {
	far := -1
	for i, o := range ls {
		if level == 0 && g.inDeg[o.id] <= 1 {
			continue
		}
		if far < 0 || o.d > ls[far].d {
			far = i
		}
	}
	return far
}

// selectNeighbours picks up to max of cands (sorted nearest first) by the
// paper's heuristic: a candidate is kept only if it is nearer to the new
// node than to every neighbour kept so far, which spreads the links over
// directions; the nearest rejected ones fill any room left.
func (g *Graph) selectNeighbours(cands []link, max int) []link {
	if len(cands) <= max {
		return slices.Clone(cands)
	}
	d := g.opts.Dims
	out := make([]link, 0, max)
	var rest []link
	for _, c := range cands {
		if len(out) >= max {
			break
		}
		cv := g.vecs[int(c.id)*d : int(c.id+1)*d]
		keep := true
		for _, o := range out {
			if g.ldist(cv, o.id) < c.d {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, c)
		} else {
			rest = append(rest, c)
		}
	}
	for _, c := range rest {
		if len(out) >= max {
			break
		}
		out = append(out, c)
	}
	return out
}

// Delete makes id a tombstone. Deleting a tombstone or an unknown id does
// nothing.
func (g *Graph) Delete(id uint32) {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if int(id) < len(g.dead) && !g.dead[id] {
		g.dead[id] = true
		g.nDead++
	}
}

// Result is one search hit.
type Result struct {
	ID   uint32
	Dist float32
}

// Stats count the work of one search.
type Stats struct {
	Distances int // distance computations (vectors examined)
}

// Search returns up to k live nodes nearest to q, nearest first, with a
// beam of width ef (at least k) on layer 0. accept, if not nil, limits the
// results to the nodes it accepts; the walk still goes through the others,
// so a filter costs more steps, not connectivity (callers widen ef for
// selective filters).
func (g *Graph) Search(q []float32, k, ef int, accept func(uint32) bool) ([]Result, Stats) {
	if len(q) != g.opts.Dims || k <= 0 {
		return nil, Stats{}
	}
	q = g.prepare(q)
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.entry < 0 {
		return nil, Stats{}
	}
	vs := g.visitSet()
	defer g.visits.Put(vs)
	ep := []link{{uint32(g.entry), g.dist(q, uint32(g.entry))}}
	n := 1
	for l := g.top; l > 0; l-- {
		ep = g.searchLayerV(q, ep, 1, l, nil, vs, &n, g.dist)
	}
	ok := func(id uint32) bool { return !g.dead[id] && (accept == nil || accept(id)) }
	res := g.searchLayerV(q, ep, max(ef, k), 0, ok, vs, &n, g.dist)
	if len(res) > k {
		res = res[:k]
	}
	out := make([]Result, len(res))
	for i, r := range res {
		out[i] = Result{r.id, r.d}
	}
	return out, Stats{Distances: n}
}

// Exact returns up to k of the live nodes among ids (all if ids is nil)
// nearest to q by scoring each: the fallback for selective filters.
func (g *Graph) Exact(q []float32, k int, ids []uint32) ([]Result, Stats) {
	if len(q) != g.opts.Dims || k <= 0 {
		return nil, Stats{}
	}
	q = g.prepare(q)
	g.mu.RLock()
	defer g.mu.RUnlock()
	h := &maxHeap{}
	n := 0
	try := func(id uint32) {
		if int(id) >= len(g.dead) || g.dead[id] {
			return
		}
		n++
		d := g.dist(q, id)
		if h.Len() < k {
			heap.Push(h, link{id, d})
		} else if d < (*h)[0].d {
			(*h)[0] = link{id, d}
			heap.Fix(h, 0)
		}
	}
	if ids == nil {
		for id := range g.dead {
			try(uint32(id))
		}
	} else {
		for _, id := range ids {
			try(id)
		}
	}
	out := make([]Result, h.Len())
	for i := len(out) - 1; i >= 0; i-- {
		l := heap.Pop(h).(link)
		out[i] = Result{l.id, l.d}
	}
	return out, Stats{Distances: n}
}

// searchLayer is searchLayerV with a private visit set (for Add).
func (g *Graph) searchLayer(q []float32, ep []link, ef, level int, accept func(uint32) bool) []link {
	vs := g.visitSet()
	defer g.visits.Put(vs)
	n := 0
	ok := func(id uint32) bool { return !g.dead[id] && (accept == nil || accept(id)) }
	if level > 0 {
		ok = nil // upper layers route; tombstones may serve as entry points
	}
	out := g.searchLayerV(q, ep, ef, level, ok, vs, &n, g.ldist)
	if len(out) == 0 {
		return ep // only tombstones nearby: route on through them
	}
	return out
}

// searchLayerV is the beam search of one layer from the entry points ep:
// it returns up to ef accepted nodes nearest first (accept nil: all).
// Candidates are expanded until the nearest unexpanded one is farther than
// the worst kept result with the result set full.
func (g *Graph) searchLayerV(q []float32, ep []link, ef, level int, accept func(uint32) bool, vs *visitSet, n *int, df func([]float32, uint32) float32) []link {
	vs.reset(len(g.dead))
	cand := &minHeap{}
	res := &maxHeap{}
	for _, e := range ep {
		if vs.seen(e.id) {
			continue
		}
		heap.Push(cand, e)
		if accept == nil || accept(e.id) {
			heap.Push(res, e)
		}
	}
	for cand.Len() > 0 {
		c := heap.Pop(cand).(link)
		if res.Len() >= ef && c.d > (*res)[0].d {
			break
		}
		if level >= len(g.links[c.id]) {
			continue
		}
		for _, nb := range g.links[c.id][level] {
			if vs.seen(nb.id) {
				continue
			}
			*n++
			d := df(q, nb.id)
			if res.Len() < ef || d < (*res)[0].d {
				heap.Push(cand, link{nb.id, d})
				if accept == nil || accept(nb.id) {
					heap.Push(res, link{nb.id, d})
					if res.Len() > ef {
						heap.Pop(res)
					}
				}
			}
		}
	}
	out := make([]link, res.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(res).(link)
	}
	return out
}

// visitSet marks visited nodes with a generation, so resetting is O(1).
type visitSet struct {
	gen  uint32
	mark []uint32
}

func (g *Graph) visitSet() *visitSet {
	if v, ok := g.visits.Get().(*visitSet); ok {
		return v
	}
	return &visitSet{}
}

func (v *visitSet) reset(n int) {
	if len(v.mark) < n {
		v.mark = append(v.mark, make([]uint32, n-len(v.mark)+n/4)...)
	}
	v.gen++
	if v.gen == 0 {
		clear(v.mark)
		v.gen = 1
	}
}

// seen marks id and reports whether it was marked already.
func (v *visitSet) seen(id uint32) bool {
	if v.mark[id] == v.gen {
		return true
	}
	v.mark[id] = v.gen
	return false
}

type minHeap []link

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return h[i].d < h[j].d }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(link)) }
func (h *minHeap) Pop() any {
	x := (*h)[len(*h)-1]
	*h = (*h)[:len(*h)-1]
	return x
}

type maxHeap []link

func (h maxHeap) Len() int           { return len(h) }
func (h maxHeap) Less(i, j int) bool { return h[i].d > h[j].d }
func (h maxHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *maxHeap) Push(x any)        { *h = append(*h, x.(link)) }
func (h *maxHeap) Pop() any {
	x := (*h)[len(*h)-1]
	*h = (*h)[:len(*h)-1]
	return x
}

// dot is the dot product, unrolled by 8: the Go compiler does not
// vectorize, and independent accumulators roughly double the speed.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
		s4 += a[i+4] * b[i+4]
		s5 += a[i+5] * b[i+5]
		s6 += a[i+6] * b[i+6]
		s7 += a[i+7] * b[i+7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3) + (s4 + s5) + (s6 + s7)
}

// l2 is the squared Euclidean distance, unrolled as dot.
func l2(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		d0, d1, d2, d3 := a[i]-b[i], a[i+1]-b[i+1], a[i+2]-b[i+2], a[i+3]-b[i+3]
		d4, d5, d6, d7 := a[i+4]-b[i+4], a[i+5]-b[i+5], a[i+6]-b[i+6], a[i+7]-b[i+7]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
		s4 += d4 * d4
		s5 += d5 * d5
		s6 += d6 * d6
		s7 += d7 * d7
	}
	for ; i < len(a); i++ {
		d := a[i] - b[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3) + (s4 + s5) + (s6 + s7)
}
