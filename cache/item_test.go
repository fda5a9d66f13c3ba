package cache

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynax/dynax/ddb"
)

// fakeClock is an injectable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newItems(t testing.TB, o ItemOptions) *ItemCache {
	t.Helper()
	if o.MaxBytes == 0 {
		o.MaxBytes = 4 << 20 // the default's admission counters take a while to allocate under -race
	}
	c, err := NewItemCache(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func key(table, pk string) string {
	return ItemKey(table, "pk", "", ddb.Item{"pk": ddb.S(pk)})
}

func pos(s string) Item { return Item{JSON: []byte(s)} }

var neg = Item{Negative: true}

// wantGet checks Get(k): want "" is a miss, "-" a negative hit, else a hit
// with that JSON.
func wantGet(t *testing.T, c *ItemCache, k, want string) {
	t.Helper()
	it, ok := c.Get(k)
	got := ""
	switch {
	case !ok:
	case it.Negative:
		got = "-"
		if it.JSON != nil {
			t.Fatalf("Get(%q): negative entry with JSON %q", k, it.JSON)
		}
	default:
		got = string(it.JSON)
	}
	if got != want {
		t.Fatalf("Get(%q) = %q, want %q", k, got, want)
	}
}

func TestItemHitMissNegative(t *testing.T) {
	c := newItems(t, ItemOptions{TTL: time.Minute})
	f := func(k string, it *Item, want string) {
		t.Helper()
		if it != nil {
			fl := c.BeginFill(k)
			if !c.Complete(fl, *it) {
				t.Fatalf("Complete(%q) did not install", k)
			}
		}
		wantGet(t, c, k, want)
	}
	f(key("t", "a"), nil, "")
	f(key("t", "a"), &Item{JSON: []byte(`{"pk":{"S":"a"}}`)}, `{"pk":{"S":"a"}}`)
	f(key("t", "b"), &neg, "-")
	f(key("t", "c"), &Item{JSON: []byte("ignored"), Negative: true}, "-") // JSON of a negative is dropped
	f(key("u", "a"), nil, "")                                             // other table
	f(key("t", "a"), nil, `{"pk":{"S":"a"}}`)

	s := c.Stats()
	if s.Hits != 4 || s.NegativeHits != 2 || s.Misses != 2 || s.Fills != 3 || s.Entries != 3 {
		t.Fatalf("stats = %+v", s)
	}
	if want := uint64(3*ItemEntryOverhead + 3*len(key("t", "a")) + len(`{"pk":{"S":"a"}}`)); s.SizeBytes != want {
		t.Fatalf("SizeBytes = %d, want %d", s.SizeBytes, want)
	}
}

func TestItemTTL(t *testing.T) {
	f := func(ttl, negTTL time.Duration, it Item, advance time.Duration, want string) {
		t.Helper()
		clk := newClock()
		c := newItems(t, ItemOptions{TTL: ttl, NegativeTTL: negTTL, Now: clk.Now})
		k := key("t", "a")
		c.Set(k, it)
		clk.Advance(advance)
		wantGet(t, c, k, want)
	}
	f(time.Minute, 0, pos("x"), 59*time.Second, "x")
	f(time.Minute, 0, pos("x"), time.Minute, "")
	f(time.Minute, 0, neg, 59*time.Second, "-") // NegativeTTL 0 = TTL
	f(time.Minute, 0, neg, 61*time.Second, "")
	f(time.Minute, 10*time.Second, neg, 9*time.Second, "-")
	f(time.Minute, 10*time.Second, neg, 11*time.Second, "")
	f(time.Minute, 10*time.Second, pos("x"), 11*time.Second, "x") // NegativeTTL only for negatives
	f(0, 0, pos("x"), 1000*time.Hour, "x")                        // TTL 0: no time expiry
	f(0, 0, neg, 1000*time.Hour, "-")
	f(0, time.Second, neg, 2*time.Second, "")
	f(time.Minute, -1, neg, 0, "") // negative caching off
}

func TestItemTTLRestartedBySet(t *testing.T) {
	clk := newClock()
	c := newItems(t, ItemOptions{TTL: time.Minute, Now: clk.Now})
	k := key("t", "a")
	c.Set(k, pos("1"))
	clk.Advance(50 * time.Second)
	c.Set(k, pos("2"))
	clk.Advance(50 * time.Second)
	wantGet(t, c, k, "2")
	clk.Advance(11 * time.Second)
	wantGet(t, c, k, "")
}

func TestItemNegativeOffDropsOldValue(t *testing.T) {
	c := newItems(t, ItemOptions{NegativeTTL: -1})
	k := key("t", "a")
	c.Set(k, pos("x"))
	c.Set(k, neg) // a delete with negative caching off
	wantGet(t, c, k, "")
}

func TestItemByteBudget(t *testing.T) {
	const budget = 64 << 10
	c := newItems(t, ItemOptions{MaxBytes: budget})
	body := strings.Repeat("x", 1000)
	for i := range 500 {
		c.Set(key("t", fmt.Sprint(i)), pos(body))
	}
	s := c.Stats()
	if s.SizeBytes > budget {
		t.Fatalf("SizeBytes %d over budget %d", s.SizeBytes, budget)
	}
	cost := uint64(len(key("t", "100")) + len(body) + ItemEntryOverhead)
	if s.EvictedCount == 0 || s.EvictedBytes < s.EvictedCount*(cost-2) {
		t.Fatalf("evictions not counted: %+v", s)
	}
	if s.Entries == 0 || s.Entries*cost > budget+cost {
		t.Fatalf("Entries = %d with cost %d in budget %d", s.Entries, cost, budget)
	}
	hits := 0
	for i := range 500 {
		if _, ok := c.Get(key("t", fmt.Sprint(i))); ok {
			hits++
		}
	}
	if uint64(hits) != s.Entries {
		t.Fatalf("%d hits, Stats.Entries = %d", hits, s.Entries)
	}

	// An entry larger than the whole budget is never installed.
	big := key("t", "big")
	if c.Complete(c.BeginFill(big), pos(strings.Repeat("y", budget))) {
		t.Fatal("installed an entry larger than the budget")
	}
	wantGet(t, c, big, "")
}

func TestItemInvalidate(t *testing.T) {
	c := newItems(t, ItemOptions{})
	a, b, other := key("t", "a"), key("t", "b"), key("u", "a")
	f := func(op func(), want ...string) {
		t.Helper()
		c.Set(a, pos("a"))
		c.Set(b, neg)
		c.Set(other, pos("o"))
		op()
		wantGet(t, c, a, want[0])
		wantGet(t, c, b, want[1])
		wantGet(t, c, other, want[2])
	}
	f(func() {}, "a", "-", "o")
	f(func() { c.Invalidate(a) }, "", "-", "o")
	f(func() { c.Invalidate(b) }, "a", "", "o")
	f(func() { c.InvalidateTable("t") }, "", "", "o")
	f(func() { c.InvalidateTable("nosuch") }, "a", "-", "o")
	// Entries set after InvalidateTable are live again.
	f(func() { c.InvalidateTable("t"); c.Set(a, pos("a2")) }, "a2", "", "o")
}

// A fill that began before a write must never install its (older) value.
func TestItemFillSuperseded(t *testing.T) {
	c := newItems(t, ItemOptions{})
	k := key("t", "a")
	f := func(name string, write func(), wantInstalled bool, want string) {
		t.Helper()
		c.Invalidate(k)
		fl := c.BeginFill(k)
		write()
		if got := c.Complete(fl, pos("old")); got != wantInstalled {
			t.Fatalf("%s: Complete = %v, want %v", name, got, wantInstalled)
		}
		wantGet(t, c, k, want)
	}
	f("no write", func() {}, true, "old")
	f("Set", func() { c.Set(k, pos("new")) }, false, "new")
	f("Set negative", func() { c.Set(k, neg) }, false, "-")
	f("Invalidate", func() { c.Invalidate(k) }, false, "")
	f("InvalidateTable", func() { c.InvalidateTable("t") }, false, "")
	f("InvalidateTable+Set", func() { c.InvalidateTable("t"); c.Set(k, pos("new")) }, false, "new")
	f("other key", func() { c.Set(key("t", "b"), pos("b")) }, true, "old")
	f("other table", func() { c.InvalidateTable("u") }, true, "old")
	f("Set before fill completes, then fill again", func() {
		c.Set(k, pos("new"))
		if !c.Complete(c.BeginFill(k), pos("newer")) {
			t.Fatal("second fill not installed")
		}
	}, false, "newer")

	// Concurrent fills of one key: a write supersedes all of them; once they
	// are done the record is gone.
	f1, f2 := c.BeginFill(k), c.BeginFill(k)
	c.Set(k, pos("w"))
	f3 := c.BeginFill(k)
	if c.Complete(f1, pos("1")) || c.Complete(f2, pos("2")) {
		t.Fatal("superseded fill installed")
	}
	if !c.Complete(f3, pos("3")) {
		t.Fatal("fill after the write not installed")
	}
	wantGet(t, c, k, "3")
	if n := pendingRecords(c); n != 0 {
		t.Fatalf("%d pending records left", n)
	}
	if s := c.Stats(); s.Superseded == 0 {
		t.Fatalf("Superseded not counted: %+v", s)
	}
}

func pendingRecords(c *ItemCache) int {
	n := 0
	for i := range c.stripes {
		s := &c.stripes[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

func TestItemAbandonAndForgottenFills(t *testing.T) {
	clk := newClock()
	c := newItems(t, ItemOptions{Now: clk.Now, FillTimeout: time.Minute})
	k := key("t", "a")
	c.Abandon(c.BeginFill(k))
	if n := pendingRecords(c); n != 0 {
		t.Fatalf("Abandon left %d records", n)
	}

	// A forgotten fill's record is swept once it is older than FillTimeout
	// (here whenever a record is created in its stripe); its late Complete
	// then installs nothing. A younger record survives the sweep.
	c.sweepAt = 0
	other := sameStripeKey(c, k)
	young := c.BeginFill(k)
	clk.Advance(30 * time.Second)
	c.Abandon(c.BeginFill(other))
	if !c.Complete(young, pos("young")) {
		t.Fatal("young fill swept")
	}
	lost := c.BeginFill(k)
	clk.Advance(2 * time.Minute)
	c.Abandon(c.BeginFill(other))
	if n := pendingRecords(c); n != 0 {
		t.Fatalf("%d records after the sweep", n)
	}
	if c.Complete(lost, pos("lost")) {
		t.Fatal("forgotten fill installed")
	}
	wantGet(t, c, k, "young")
}

// sameStripeKey finds another key that hashes to k's stripe.
func sameStripeKey(c *ItemCache, k string) string {
	want := c.stripe(c.hash(k))
	for i := 0; ; i++ {
		o := key("t", fmt.Sprint("s", i))
		if o != k && c.stripe(c.hash(o)) == want {
			return o
		}
	}
}

func TestItemWrites(t *testing.T) {
	c := newItems(t, ItemOptions{})
	k := key("t", "a")

	// A lone write installs and supersedes fills.
	fl := c.BeginFill(k)
	w := c.BeginWrite(k)
	if !c.CompleteWrite(w, pos("w1")) {
		t.Fatal("lone write not installed")
	}
	if c.Complete(fl, pos("old")) {
		t.Fatal("fill installed over a write")
	}
	wantGet(t, c, k, "w1")

	// Overlapping writes invalidate, in either completion order.
	f := func(first, second int) {
		t.Helper()
		c.Set(k, pos("before"))
		ws := []Write{c.BeginWrite(k), c.BeginWrite(k)}
		if c.CompleteWrite(ws[first], pos("x")) || c.CompleteWrite(ws[second], pos("y")) {
			t.Fatal("overlapping write installed")
		}
		wantGet(t, c, k, "")
	}
	f(0, 1)
	f(1, 0)

	// A write that begins after another ended is alone.
	c.CompleteWrite(c.BeginWrite(k), pos("a"))
	w = c.BeginWrite(k)
	if !c.CompleteWrite(w, neg) {
		t.Fatal("delete not installed")
	}
	wantGet(t, c, k, "-")

	c.AbortWrite(c.BeginWrite(k))
	wantGet(t, c, k, "")

	// A cancelled write (refused by the backend) changes nothing: fills in
	// flight stay valid, but a write overlapping it still invalidates.
	c.Set(k, pos("kept"))
	fl = c.BeginFill(k)
	c.CancelWrite(c.BeginWrite(k))
	wantGet(t, c, k, "kept")
	if !c.Complete(fl, pos("filled")) {
		t.Fatal("fill superseded by a cancelled write")
	}
	w1, w2 := c.BeginWrite(k), c.BeginWrite(k)
	c.CancelWrite(w1)
	if c.CompleteWrite(w2, pos("w2")) {
		t.Fatal("write overlapping a cancelled one installed")
	}
	wantGet(t, c, k, "")
	if n := pendingRecords(c); n != 0 {
		t.Fatalf("%d pending records left", n)
	}
}

func TestItemZeroFillAndClosed(t *testing.T) {
	c, err := NewItemCache(ItemOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Complete(Fill{}, pos("x")) {
		t.Fatal("zero Fill installed")
	}
	k := key("t", "a")
	c.Set(k, pos("x"))
	fl := c.BeginFill(k)
	c.Close()
	c.Close()
	if c.Complete(fl, pos("y")) {
		t.Fatal("Complete after Close installed")
	}
	c.Set(k, pos("z"))
	c.Invalidate(k)
	c.InvalidateTable("t")
	c.Abandon(c.BeginFill(k))
	c.AbortWrite(c.BeginWrite(k))
	if _, ok := c.Get(k); ok {
		t.Fatal("hit after Close")
	}
	_ = c.Stats()
}

func TestItemOptionsErrors(t *testing.T) {
	for _, o := range []ItemOptions{{MaxBytes: -1}, {TTL: -1}, {FillTimeout: -1}, {Counters: -1}} {
		if _, err := NewItemCache(o); err == nil {
			t.Fatalf("NewItemCache(%+v) accepted", o)
		}
	}
}

func TestItemNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 5 {
		c, err := NewItemCache(ItemOptions{TTL: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		k := key("t", "a")
		c.Complete(c.BeginFill(k), pos("x"))
		c.Get(k)
		c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
