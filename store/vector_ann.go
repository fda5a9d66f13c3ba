package store

// The approximate vector index: one HNSW graph (vector/hnsw) per vector
// index, kept in memory and fed asynchronously from the tables' change
// logs.
//
// Why from the change log and not in the write path: every write path
// (PutItem, UpdateItem, batches, transactions, PartiQL, TTL, imports,
// restores, replication) already appends its changes to the log in the
// same engine batch as the items, so one consumer sees them all, in commit
// order, and costs the writes nothing (an insertion into a 768-dimension
// graph takes a millisecond or more). The lag is bounded for readers:
// SearchVectors first waits (up to vectorCatchUpWait) until its index has
// applied the log up to the watermark seen when the search began, so a
// search sees every write acknowledged before it started — stronger than
// DynamoDB promises.
//
// Restart: the graph is not persisted; at Open every vector index is
// rebuilt in the background from the table's items. While an index that
// was ACTIVE before the restart is rebuilding, SearchVectors answers with
// the exact search (vector.go), so a search after a crash still finds
// every acknowledged item, only slower. An index created by UpdateTable in
// this process is CREATING with Backfilling true until its first build
// ends, and searches are refused as DynamoDB refuses them ("Cannot search
// backfilling vector index"). A log trimmed past the indexer's position
// (it fell behind Options.ChangeFeedRetention) and a graph with more
// tombstones than live nodes are rebuilt the same way, the old graph
// serving meanwhile.
//
// Items enter an index only as the exact search takes them: a vector of
// exactly Dimensions numbers within float32's range, and the HASH
// attribute of the search schema present. Search-schema conditions are
// applied during the graph walk (non-matching nodes route but are not
// returned) with the beam widened by the inverse of the filter's
// selectivity, counted from per-value postings; a filter matching at most
// vectorExactMax items is answered exactly from its postings instead.

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/expr"
	"github.com/dynax/dynax/vector/hnsw"
)

// Tuning of the approximate index (docs/performance.md has the figures).
const (
	vectorM              = 16   // links per node (32 on layer 0)
	vectorEfConstruction = 128  // beam width when inserting
	vectorEfSearch       = 128  // beam width when searching (at least TopK)
	vectorEfMax          = 2048 // widest beam for a selective filter
	vectorExactMax       = 2048 // filters matching at most this many items are scored exactly
	vectorCatchUpWait    = 2 * time.Second
	vectorScanChunk      = 256
)

// msgVecBackfilling answers searches of an index still being built after
// UpdateTable (dynamodb-more §C6).
const msgVecBackfilling = "Cannot search backfilling vector index: "

// vectorIndexer maintains the node's approximate vector indexes.
type vectorIndexer struct {
	n      *Node
	mu     sync.Mutex
	tables map[uint64]*annTable
	kick   chan struct{} // a catalog change to look at
}

// annTable is the indexed state of one table.
type annTable struct {
	id uint64
	// applied is the change-log position every index of the table
	// reflects (records up to it are applied).
	applied atomic.Uint64

	mu       sync.Mutex
	idx      map[string]*annIndex
	progress chan struct{} // closed and replaced when applied advances
}

// annIndex is one vector index's graph and the maps around it.
type annIndex struct {
	def VectorIndex
	// backfill is set for an index created by UpdateTable in this process:
	// searches are refused until it is ready.
	backfill atomic.Bool
	ready    atomic.Bool

	mu    sync.RWMutex
	g     *hnsw.Graph
	byKey map[string]uint32 // engine key → node
	keyOf []string          // node → engine key; "" for tombstones
	vals  [][]string        // node → canonical search-schema values ("": absent)
	post  map[string]map[uint32]struct{}
}

func startVectorIndexer(n *Node) *vectorIndexer {
	x := &vectorIndexer{n: n, tables: map[uint64]*annTable{}, kick: make(chan struct{}, 1)}
	n.bg.Add(1)
	go func() {
		defer n.bg.Done()
		x.run()
	}()
	return x
}

// notify wakes the indexer after a catalog change.
func (x *vectorIndexer) notify() {
	select {
	case x.kick <- struct{}{}:
	default:
	}
}

// expectBackfill registers an index that UpdateTable just created, so that
// DescribeTable and SearchVectors see it as backfilling before the indexer
// has even looked.
func (x *vectorIndexer) expectBackfill(t *Table, vx VectorIndex) {
	at := x.table(t.ID)
	at.mu.Lock()
	at.idx[vx.IndexName] = newAnnIndex(vx, true)
	at.mu.Unlock()
	x.notify()
}

func (x *vectorIndexer) table(id uint64) *annTable {
	x.mu.Lock()
	defer x.mu.Unlock()
	at := x.tables[id]
	if at == nil {
		at = &annTable{id: id, idx: map[string]*annIndex{}, progress: make(chan struct{})}
		x.tables[id] = at
	}
	return at
}

// index returns the table's index called name if it matches vx.
func (x *vectorIndexer) index(t *Table, vx *VectorIndex) (*annTable, *annIndex) {
	x.mu.Lock()
	at := x.tables[t.ID]
	x.mu.Unlock()
	if at == nil {
		return nil, nil
	}
	at.mu.Lock()
	defer at.mu.Unlock()
	ai := at.idx[vx.IndexName]
	if ai == nil || !reflect.DeepEqual(ai.def, *vx) {
		return at, nil
	}
	return at, ai
}

func newAnnIndex(vx VectorIndex, backfill bool) *annIndex {
	m := hnsw.L2
	switch vx.DistanceFunction {
	case "COSINE":
		m = hnsw.Cosine
	case "DOT_PRODUCT":
		m = hnsw.Dot
	}
	ai := &annIndex{def: vx,
		g:     hnsw.New(hnsw.Options{Dims: vx.Dimensions, Metric: m, M: vectorM, EfConstruction: vectorEfConstruction}),
		byKey: map[string]uint32{}, post: map[string]map[uint32]struct{}{}}
	ai.backfill.Store(backfill)
	return ai
}

// run is the indexer's loop: bring every vector-indexed table up to the
// watermark, then wait for it to move or for a catalog change.
func (x *vectorIndexer) run() {
	for {
		vis := x.n.clog.visible()
		x.n.safely("vector indexer", func() error { return x.round(vis) })
		wait := x.n.clog.seq.waitChan(vis)
		if wait == nil {
			continue
		}
		select {
		case <-x.n.stop:
			return
		case <-wait:
		case <-x.kick:
		}
	}
}

// round syncs every table with vector indexes to vis.
func (x *vectorIndexer) round(vis uint64) error {
	live := map[uint64]*Table{}
	for _, name := range x.n.cat.names() {
		if t, ok := x.n.cat.get(name); ok && len(t.Desc.VectorIndexes) > 0 {
			live[t.ID] = t
		}
	}
	x.mu.Lock()
	for id := range x.tables {
		if live[id] == nil {
			delete(x.tables, id)
		}
	}
	x.mu.Unlock()
	var errs []error
	for _, t := range live {
		if x.stopped() {
			return nil
		}
		if err := x.syncTable(t, vis); err != nil {
			errs = append(errs, fmt.Errorf("store: vector index of %s: %w", t.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (x *vectorIndexer) stopped() bool {
	select {
	case <-x.n.stop:
		return true
	default:
		return false
	}
}

// syncTable builds the table's missing indexes and applies its log up to vis.
func (x *vectorIndexer) syncTable(t *Table, vis uint64) error {
	at := x.table(t.ID)
	if at.applied.Load() == 0 {
		// Everything the scan below cannot see comes after vis.
		at.applied.Store(vis)
	}
	rebuild := false
	if lt := x.n.clog.logTableByID(t.ID); lt != nil && lt.horizon.Load() > at.applied.Load()+1 {
		rebuild = true // records we still needed were reclaimed
		at.applied.Store(vis)
	}
	// Which indexes need a build.
	at.mu.Lock()
	want := map[string]bool{}
	var builds []*annIndex
	for _, vx := range t.Desc.VectorIndexes {
		want[vx.IndexName] = true
		ai := at.idx[vx.IndexName]
		switch {
		case ai == nil || !reflect.DeepEqual(ai.def, vx):
			ai = newAnnIndex(vx, false)
			at.idx[vx.IndexName] = ai
			builds = append(builds, ai)
		case !ai.ready.Load():
			builds = append(builds, ai)
		case rebuild || ai.g.Dead() > 1024 && ai.g.Dead() > ai.g.Len()-ai.g.Dead():
			builds = append(builds, newAnnIndex(vx, false))
		}
	}
	for name := range at.idx {
		if !want[name] {
			delete(at.idx, name)
		}
	}
	at.mu.Unlock()
	for _, ai := range builds {
		if err := x.build(t, ai); err != nil {
			return err
		}
		if x.stopped() {
			return nil
		}
		at.mu.Lock()
		if cur := at.idx[ai.def.IndexName]; cur != nil && reflect.DeepEqual(cur.def, ai.def) {
			if cur.backfill.Load() {
				ai.backfill.Store(true)
			}
			at.idx[ai.def.IndexName] = ai // a rebuilt graph replaces the old one
		}
		at.mu.Unlock()
		ai.ready.Store(true)
	}
	// Apply the log. Records before the scans of fresh builds are applied
	// again to them, harmlessly: each change sets the item's final state.
	from := at.applied.Load() + 1
	if from <= vis {
		at.mu.Lock()
		idx := make([]*annIndex, 0, len(at.idx))
		for _, ai := range at.idx {
			idx = append(idx, ai)
		}
		at.mu.Unlock()
		hk, _ := t.HashKey()
		rk, _ := t.RangeKey()
		err := x.n.clog.scan(t.ID, from, vis, func(r logRecord) (bool, error) {
			if r.Cause == CauseTableDeleted {
				return false, nil
			}
			stored := r.New
			if stored == nil {
				stored = r.Old
			}
			if stored == nil {
				return true, nil
			}
			_, it, err := storedJSON(stored)
			if err != nil {
				return false, err
			}
			key := string(t.engineKey(it[hk], keyPart(it, rk)))
			if r.New == nil {
				it = nil
			}
			for _, ai := range idx {
				ai.apply(key, it)
			}
			return !x.stopped(), nil
		})
		if err != nil {
			return err
		}
	}
	at.advance(vis)
	return nil
}

func keyPart(it ddb.Item, name string) ddb.Value {
	if name == "" {
		return ddb.Value{}
	}
	return it[name]
}

// advance records that the table reflects the log up to vis.
func (at *annTable) advance(vis uint64) {
	at.mu.Lock()
	if vis > at.applied.Load() {
		at.applied.Store(vis)
	}
	close(at.progress)
	at.progress = make(chan struct{})
	at.mu.Unlock()
}

// waitFor waits until the table reflects the log up to seq, ctx ends, or
// vectorCatchUpWait passes (then the search goes on with what is indexed).
func (at *annTable) waitFor(ctx context.Context, seq uint64) error {
	timer := time.NewTimer(vectorCatchUpWait)
	defer timer.Stop()
	for at.applied.Load() < seq {
		at.mu.Lock()
		ch := at.progress
		at.mu.Unlock()
		if at.applied.Load() >= seq {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		}
	}
	return nil
}

// build fills ai from the table's items, in chunks (no long-lived engine
// iterator).
func (x *vectorIndexer) build(t *Table, ai *annIndex) error {
	lo, hi := tableBounds(t.ID)
	for !x.stopped() {
		keys, vals, err := x.n.scanChunk(lo, hi, vectorScanChunk)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			return nil
		}
		for i, k := range keys {
			_, js, err := splitStored(vals[i])
			if err != nil {
				return err
			}
			it, err := ddb.DecodeItem(js)
			if err != nil {
				return err
			}
			ai.apply(string(k), it)
		}
		lo = append(keys[len(keys)-1], 0)
	}
	return nil
}

// scanChunk returns up to max keys and values in [lo, hi), copied.
func (n *Node) scanChunk(lo, hi []byte, max int) (keys, vals [][]byte, err error) {
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	for it.First(); it.Valid() && len(keys) < max; it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, nil, err
		}
		keys = append(keys, append([]byte(nil), it.Key()...))
		vals = append(vals, append([]byte(nil), v...))
	}
	return keys, vals, it.Error()
}

// entry returns what index vx keeps of item it: its vector and canonical
// search-schema values; ok is false when the item is left out.
func (vx *VectorIndex) entry(it ddb.Item) (vec []float32, vals []string, ok bool) {
	if it == nil {
		return nil, nil, false
	}
	vals = make([]string, len(vx.SearchSchema))
	for i, e := range vx.SearchSchema {
		v, present := it[e.AttributeName]
		if !present {
			if e.SearchSchemaElementType == "HASH" {
				return nil, nil, false
			}
			continue
		}
		vals[i] = canonicalValue(v)
	}
	vec, ok = vx.vectorOf(it)
	return vec, vals, ok
}

// canonicalValue encodes v so that equal values (ddb.Equal) encode alike:
// numbers by their canonical decimal.
func canonicalValue(v ddb.Value) string {
	switch v.T {
	case ddb.TypeS:
		return "S" + v.S
	case ddb.TypeN:
		if c, err := ddb.CanonicalNumber(v.S); err == nil {
			return "N" + c
		}
		return "N" + v.S
	case ddb.TypeB:
		return "B" + string(v.B)
	}
	return "J" + string(ddb.AppendValue(nil, v))
}

func postKey(i int, val string) string { return strconv.Itoa(i) + "\x00" + val }

// apply makes ai reflect item it (nil: deleted) at engine key key.
func (ai *annIndex) apply(key string, it ddb.Item) {
	vec, vals, ok := ai.def.entry(it)
	ai.mu.RLock()
	id, had := ai.byKey[key]
	same := false
	if had && ok {
		old := ai.g.Vector(id)
		nv := vec
		if ai.def.DistanceFunction == "COSINE" {
			nv = append([]float32(nil), vec...)
			hnsw.Normalize(nv)
		}
		same = reflect.DeepEqual(old, nv)
	}
	ai.mu.RUnlock()
	if same {
		// Only search-schema values may have changed: no graph work.
		ai.mu.Lock()
		ai.setVals(id, vals)
		ai.mu.Unlock()
		return
	}
	if had {
		ai.g.Delete(id)
		ai.mu.Lock()
		ai.setVals(id, nil)
		ai.keyOf[id] = ""
		delete(ai.byKey, key)
		ai.mu.Unlock()
	}
	if !ok {
		return
	}
	// The graph insertion happens outside ai.mu: searches go on meanwhile
	// and do not see the node until its key is set below.
	nid := ai.g.Add(vec)
	ai.mu.Lock()
	for int(nid) >= len(ai.keyOf) {
		ai.keyOf = append(ai.keyOf, "")
		ai.vals = append(ai.vals, nil)
	}
	ai.keyOf[nid] = key
	ai.byKey[key] = nid
	ai.setVals(nid, vals)
	ai.mu.Unlock()
}

// setVals replaces node id's search-schema values and postings (nil:
// none). ai.mu is held.
func (ai *annIndex) setVals(id uint32, vals []string) {
	for i, v := range ai.vals[id] {
		if v == "" {
			continue
		}
		k := postKey(i, v)
		delete(ai.post[k], id)
		if len(ai.post[k]) == 0 {
			delete(ai.post, k)
		}
	}
	ai.vals[id] = vals
	for i, v := range vals {
		if v == "" {
			continue
		}
		k := postKey(i, v)
		p := ai.post[k]
		if p == nil {
			p = map[uint32]struct{}{}
			ai.post[k] = p
		}
		p[id] = struct{}{}
	}
}

// annSearch answers a search from the approximate index. ok is false when
// the index is not built yet and the caller should search exactly.
func (n *Node) annSearch(ctx context.Context, t *Table, vx *VectorIndex, q []float32, conds []expr.KeyCond, k int) (hits []vectorHit, examined int, ok bool, err error) {
	at, ai := n.vec.index(t, vx)
	if ai == nil || !ai.ready.Load() {
		if ai != nil && ai.backfill.Load() {
			return nil, 0, false, ddb.Validation(msgVecBackfilling + vx.IndexName)
		}
		return nil, 0, false, nil
	}
	if err := at.waitFor(ctx, n.clog.visible()); err != nil {
		return nil, 0, false, err
	}
	ai.mu.RLock()
	// Map the conditions to schema positions and canonical values.
	type cond struct {
		i   int
		val string
	}
	var cs []cond
	for _, kc := range conds {
		for i, e := range vx.SearchSchema {
			if e.AttributeName == kc.Name {
				cs = append(cs, cond{i, canonicalValue(kc.Values[0])})
			}
		}
	}
	var res []hnsw.Result
	var st hnsw.Stats
	live := len(ai.byKey)
	efBase := vectorEfSearch
	if vx.DistanceFunction == "DOT_PRODUCT" {
		efBase *= 2 // the graph follows L2 proximity, not the dot product (hnsw.Graph.ldist)
	}
	switch {
	case len(cs) == 0:
		res, st = ai.g.Search(q, k, max(efBase, k), nil)
	default:
		smallest := -1
		for j, c := range cs {
			if smallest < 0 || len(ai.post[postKey(c.i, c.val)]) < len(ai.post[postKey(cs[smallest].i, cs[smallest].val)]) {
				smallest = j
			}
		}
		match := func(id uint32) bool {
			if int(id) >= len(ai.vals) || ai.keyOf[id] == "" {
				return false
			}
			for _, c := range cs {
				if ai.vals[id][c.i] != c.val {
					return false
				}
			}
			return true
		}
		p := ai.post[postKey(cs[smallest].i, cs[smallest].val)]
		if len(p) <= vectorExactMax {
			ids := make([]uint32, 0, len(p))
			for id := range p {
				if match(id) {
					ids = append(ids, id)
				}
			}
			res, st = ai.g.Exact(q, k, ids)
		} else {
			ef := max(efBase, k) * live / max(len(p), 1)
			res, st = ai.g.Search(q, k, min(max(ef, efBase, k), vectorEfMax), match)
		}
	}
	keys := make([]string, 0, len(res))
	for _, r := range res {
		if int(r.ID) < len(ai.keyOf) && ai.keyOf[r.ID] != "" {
			keys = append(keys, ai.keyOf[r.ID])
		}
	}
	ai.mu.RUnlock()
	// Read the items (the response shows them) and score them from their
	// stored vectors, as the exact search does.
	h := &vectorHeap{higherBest: vx.DistanceFunction == "DOT_PRODUCT"}
	for _, key := range keys {
		it, _, found, err := n.getItem([]byte(key))
		if err != nil {
			return nil, 0, false, fmt.Errorf("store: vector search of %s: %w", t.Name, err)
		}
		if !found || !vectorCondsMatch(it, conds) {
			continue
		}
		vec, ok := vx.vectorOf(it)
		if !ok {
			continue
		}
		h.hits = append(h.hits, vectorHit{it, vx.score(q, vec)})
	}
	hits = h.hits
	sortHits(hits, h.higherBest)
	return hits, st.Distances, true, nil
}

// sortHits orders hits best first (stable: equal scores keep graph order).
func sortHits(hits []vectorHit, higherBest bool) {
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && better(hits[j].score, hits[j-1].score, higherBest); j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
}

// annStatus returns the DescribeTable status of index vx of t: CREATING
// with Backfilling while an UpdateTable-created index is being built.
func (n *Node) annStatus(t *Table, vx *VectorIndex) (status string, backfilling bool) {
	if n.vec == nil {
		return statusActive, false
	}
	if _, ai := n.vec.index(t, vx); ai != nil && ai.backfill.Load() && !ai.ready.Load() {
		return statusCreating, true
	}
	return statusActive, false
}
