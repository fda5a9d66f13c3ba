package cache

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func newQueries(t testing.TB, o QueryOptions, g *Generations) *QueryCache {
	t.Helper()
	if o.TTL == 0 {
		o.TTL = time.Minute
	}
	c, err := NewQueryCache(o, g)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func qkey(s string) string { return QueryKey([]byte(s)) }

func TestQueryHitMissTTL(t *testing.T) {
	clk := newClock()
	c := newQueries(t, QueryOptions{TTL: time.Minute, Now: clk.Now}, NewGenerations(ModePartition))
	d := Dep{Table: "t"}
	f := func(k string, put bool, advance time.Duration, want string) {
		t.Helper()
		if put {
			c.Put(qkey(k), c.Snapshot(d), []byte(k+"-body"))
		}
		clk.Advance(advance)
		b, ok := c.Get(qkey(k))
		if got := map[bool]string{true: string(b), false: ""}[ok]; got != want {
			t.Fatalf("Get(%s) = %q, want %q", k, got, want)
		}
	}
	f("a", false, 0, "")
	f("a", true, 0, "a-body")
	f("a", false, 59*time.Second, "a-body")
	f("a", false, time.Second, "") // expired at TTL
	f("b", true, 0, "b-body")
	f("empty", false, 0, "")
	c.Put(qkey("empty"), c.Snapshot(d), []byte{}) // an empty result is cached too
	if b, ok := c.Get(qkey("empty")); !ok || len(b) != 0 {
		t.Fatalf("empty body: %q %v", b, ok)
	}
	s := c.Stats()
	if s.Hits != 4 || s.Misses != 3 || s.Expired != 1 || s.Puts != 3 || s.Entries != 2 {
		t.Fatalf("stats = %+v", s)
	}
	if c.Len() != 2 {
		t.Fatalf("Len = %d", c.Len())
	}
	c.Close()
	c.Put(qkey("c"), c.Snapshot(d), []byte("c"))
	if _, ok := c.Get(qkey("b")); ok || c.Len() != 0 || c.Stats().SizeBytes != 0 {
		t.Fatalf("entries after Close: %+v", c.Stats())
	}
}

func TestQueryTTLZeroDisables(t *testing.T) {
	g := NewGenerations(ModePartition)
	c, err := NewQueryCache(QueryOptions{}, g)
	if err != nil {
		t.Fatal(err)
	}
	if c.Enabled() {
		t.Fatal("TTL 0 cache enabled")
	}
	c.Put(qkey("a"), c.Snapshot(Dep{Table: "t"}), []byte("x"))
	if _, ok := c.Get(qkey("a")); ok || c.Len() != 0 {
		t.Fatal("TTL 0 cache stored an entry")
	}
	if s := c.Stats(); s.Misses != 1 || s.Puts != 0 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestQueryBudgets(t *testing.T) {
	// Bytes: each shard holds MaxBytes/16; fill far beyond it.
	body := strings.Repeat("x", 1000)
	cost := int64(QueryKeySize + len(body) + QueryEntryOverhead)
	c := newQueries(t, QueryOptions{MaxBytes: 16 * 10 * cost}, NewGenerations(ModePartition))
	for i := range 2000 {
		c.Put(qkey(fmt.Sprint(i)), Stamp{}, []byte(body))
	}
	s := c.Stats()
	if s.SizeBytes > 16*10*uint64(cost) || s.Entries > 160 || s.Entries < 100 || s.Evictions != 2000-s.Entries {
		t.Fatalf("byte budget: %+v", s)
	}
	if s.SizeBytes != s.Entries*uint64(cost) {
		t.Fatalf("SizeBytes %d for %d entries of %d", s.SizeBytes, s.Entries, cost)
	}
	// The most recent entries survive (LRU).
	if _, ok := c.Get(qkey("1999")); !ok {
		t.Fatal("newest entry evicted")
	}
	// Replacing an entry keeps the accounting exact.
	c.Put(qkey("1999"), Stamp{}, []byte("short"))
	if s2 := c.Stats(); s2.SizeBytes != s.SizeBytes-uint64(len(body)-len("short")) {
		t.Fatalf("after replace: %d, before %d", s2.SizeBytes, s.SizeBytes)
	}
	// Too large for a shard: not stored.
	c.Put(qkey("huge"), Stamp{}, make([]byte, 16*10*cost))
	if _, ok := c.Get(qkey("huge")); ok {
		t.Fatal("oversized entry stored")
	}

	// Entries.
	c = newQueries(t, QueryOptions{MaxEntries: 160}, NewGenerations(ModePartition))
	for i := range 2000 {
		c.Put(qkey(fmt.Sprint(i)), Stamp{}, []byte("b"))
	}
	if s := c.Stats(); s.Entries > 160 || s.Entries < 100 || s.Evictions != 2000-s.Entries {
		t.Fatalf("entry budget: %+v", s)
	}
}

// TestQueryGenerations: which entries a write invalidates, in each mode.
func TestQueryGenerations(t *testing.T) {
	type entryDef struct {
		name string
		dep  Dep
	}
	entries := []entryDef{
		{"query t/p1", Dep{Table: "t", Partition: "p1", HasPartition: true}},
		{"query t/p2", Dep{Table: "t", Partition: "p2", HasPartition: true}},
		{"scan t", Dep{Table: "t"}},
		{"index query t", Dep{Table: "t"}},
		{"query u/p1", Dep{Table: "u", Partition: "p1", HasPartition: true}},
		{"scan u", Dep{Table: "u"}},
	}
	f := func(mode InvalidationMode, write func(g *Generations), wantHit ...string) {
		t.Helper()
		g := newGenerations(mode, 1<<16)
		c := newQueries(t, QueryOptions{}, g)
		for _, e := range entries {
			c.Put(qkey(e.name), c.Snapshot(e.dep), []byte(e.name))
		}
		write(g)
		var hits []string
		for _, e := range entries {
			if _, ok := c.Get(qkey(e.name)); ok {
				hits = append(hits, e.name)
			}
		}
		if got, want := strings.Join(hits, ","), strings.Join(wantHit, ","); got != want {
			t.Fatalf("mode %v: hits %q, want %q", mode, got, want)
		}
	}
	all := []string{"query t/p1", "query t/p2", "scan t", "index query t", "query u/p1", "scan u"}
	bumpP1 := func(g *Generations) { g.Bump("t", "p1") }
	bumpT := func(g *Generations) { g.BumpTable("t") }
	none := func(g *Generations) {}

	f(ModePartition, none, all...)
	f(ModePartition, bumpP1, "query t/p2", "query u/p1", "scan u")
	f(ModePartition, bumpT, "query u/p1", "scan u")
	f(ModePartition, func(g *Generations) { g.Bump("u", "p1") }, "query t/p1", "query t/p2", "scan t", "index query t")

	f(ModeTable, none, all...)
	f(ModeTable, bumpP1, "query u/p1", "scan u")
	f(ModeTable, bumpT, "query u/p1", "scan u")

	f(ModeNone, none, all...)
	f(ModeNone, bumpP1, all...)
	f(ModeNone, bumpT, all...)
}

// TestQueryStampBeforeFetch: a write between Snapshot and Put drops the
// Put; a write after the Put makes Get miss.
func TestQueryStampBeforeFetch(t *testing.T) {
	g := NewGenerations(ModePartition)
	c := newQueries(t, QueryOptions{}, g)
	d := Dep{Table: "t", Partition: "p", HasPartition: true}
	k := qkey("q")

	s := c.Snapshot(d)
	g.Bump("t", "p") // the write the fetch may have missed
	c.Put(k, s, []byte("old"))
	if _, ok := c.Get(k); ok {
		t.Fatal("stale Put served")
	}
	if st := c.Stats(); st.StalePuts != 1 || st.Entries != 0 {
		t.Fatalf("stats = %+v", st)
	}

	c.Put(k, c.Snapshot(d), []byte("new"))
	if b, ok := c.Get(k); !ok || string(b) != "new" {
		t.Fatalf("Get = %q %v", b, ok)
	}
	g.Bump("t", "p")
	if _, ok := c.Get(k); ok {
		t.Fatal("hit after a write")
	}
	if st := c.Stats(); st.Stale != 1 || st.Entries != 0 {
		t.Fatalf("stale entry not counted and dropped: %+v", st)
	}
}

// TestQueryCollisions: with 4 partition slots nearly every partition
// collides. A model tracks, for every entry, whether a write it depends on
// happened since its Snapshot; a hit on such an entry would be stale.
func TestQueryCollisions(t *testing.T) {
	for _, mode := range []InvalidationMode{ModePartition, ModeTable} {
		g := newGenerations(mode, 4)
		c := newQueries(t, QueryOptions{}, g)
		r := rand.New(rand.NewPCG(1, 2))
		tables := []string{"t", "u"}
		type model struct {
			dep   Dep
			dirty bool // a write it depends on happened since Snapshot
		}
		cached := map[string]*model{}
		write := func(table, part string, whole bool) {
			for _, m := range cached {
				if m.dep.Table != table {
					continue
				}
				if whole || !m.dep.HasPartition || mode == ModeTable || m.dep.Partition == part {
					m.dirty = true
				}
			}
		}
		var hits, falseMisses int
		for range 20000 {
			table := tables[r.IntN(2)]
			part := fmt.Sprint("p", r.IntN(40))
			d := Dep{Table: table, Partition: part, HasPartition: r.IntN(4) != 0}
			name := fmt.Sprint(d)
			switch r.IntN(10) {
			case 0:
				g.Bump(table, part)
				write(table, part, false)
			case 1:
				if r.IntN(20) == 0 {
					g.BumpTable(table)
					write(table, "", true)
				}
			case 2:
				s := c.Snapshot(d)
				m := &model{dep: d}
				if r.IntN(4) == 0 { // a write during the fetch
					g.Bump(table, part)
					write(table, part, false)
					m.dirty = true
				}
				c.Put(qkey(name), s, []byte(name))
				cached[name] = m
			default:
				b, ok := c.Get(qkey(name))
				m := cached[name]
				if ok {
					hits++
					if m == nil || m.dirty || string(b) != name {
						t.Fatalf("mode %v: stale hit on %s", mode, name)
					}
				} else if m != nil && !m.dirty {
					falseMisses++ // a collision: allowed
				}
			}
		}
		t.Logf("mode %v: %d hits, %d misses caused by collisions", mode, hits, falseMisses)
		if hits == 0 {
			t.Fatal("no hits: the test exercises nothing")
		}
	}
}

func TestParseInvalidationMode(t *testing.T) {
	f := func(s string, want InvalidationMode, wantErr bool) {
		t.Helper()
		got, err := ParseInvalidationMode(s)
		if (err != nil) != wantErr || (!wantErr && got != want) {
			t.Fatalf("ParseInvalidationMode(%q) = %v, %v", s, got, err)
		}
		if !wantErr {
			if back, _ := ParseInvalidationMode(got.String()); back != got {
				t.Fatalf("String round trip of %v", got)
			}
		}
	}
	f("partition", ModePartition, false)
	f("", ModePartition, false)
	f("table", ModeTable, false)
	f("TABLE", ModeTable, false)
	f("none", ModeNone, false)
	f("item", 0, true)
}

func TestQueryOptionsErrors(t *testing.T) {
	if _, err := NewQueryCache(QueryOptions{TTL: time.Second}, nil); err == nil {
		t.Fatal("nil Generations accepted")
	}
	for _, o := range []QueryOptions{{MaxEntries: -1}, {MaxBytes: -1}, {TTL: -1}} {
		if _, err := NewQueryCache(o, NewGenerations(ModePartition)); err == nil {
			t.Fatalf("NewQueryCache(%+v) accepted", o)
		}
	}
}
