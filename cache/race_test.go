package cache

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestItemFillRace runs fillers (BeginFill, read the "backend", Complete)
// against writers (update the backend, then Set) on a few hot keys. A write
// is acknowledged when Set returns; from then on no Get may return an older
// version, whatever the interleaving with fills and ristretto's buffers.
// The interleaving that matters (a fill that read before a write completes
// after it) is first forced on every key, then left to chance.
func TestItemFillRace(t *testing.T) {
	const (
		keys    = 8
		writes  = 400 // per key
		fillers = 8
	)
	c := newItems(t, ItemOptions{MaxBytes: 1 << 20})
	var backend, acked [keys]atomic.Int64
	names := make([]string, keys)
	for i := range names {
		names[i] = key("t", fmt.Sprint("k", i))
	}
	version := func(it Item) int64 {
		if it.Negative {
			return 0
		}
		v, err := strconv.ParseInt(string(it.JSON), 10, 64)
		if err != nil {
			t.Errorf("bad value %q", it.JSON)
		}
		return v
	}
	check := func(i int) {
		lo := acked[i].Load()
		if it, ok := c.Get(names[i]); ok {
			if v := version(it); v < lo {
				t.Errorf("key %d: Get returned version %d after version %d was acknowledged", i, v, lo)
			}
		}
	}

	// First the race itself, on every key, deterministically: a fill
	// reads the backend, then a write commits and is acknowledged before
	// the fill completes. The fill must not install its older value.
	straddled := 0
	for i := range keys {
		for mode := range 4 {
			f := c.BeginFill(names[i])
			old := backend[i].Load()
			v := backend[i].Add(1)
			switch mode {
			case 0:
				c.Set(names[i], Item{JSON: []byte(strconv.FormatInt(v, 10))})
			case 1:
				c.Invalidate(names[i])
			case 2:
				c.InvalidateTable("t")
			case 3:
				w := c.BeginWrite(names[i])
				c.CompleteWrite(w, Item{JSON: []byte(strconv.FormatInt(v, 10))})
			}
			acked[i].Store(v)
			if c.Complete(f, Item{JSON: []byte(strconv.FormatInt(old, 10))}) {
				t.Fatalf("key %d, mode %d: a fill that read version %d installed after version %d was acknowledged", i, mode, old, v)
			}
			straddled++
			check(i)
		}
	}
	if got := c.Stats().Superseded; got != uint64(straddled) {
		t.Fatalf("%d fills straddled a write, %d were counted as superseded", straddled, got)
	}

	var done atomic.Bool
	var wg, writers sync.WaitGroup
	for i := range keys { // one writer per key: writes of a key are sequential
		writers.Add(1)
		go func() {
			defer writers.Done()
			r := rand.New(rand.NewPCG(uint64(i), 1))
			for range writes {
				v := backend[i].Add(1) // the write commits
				switch r.IntN(10) {
				case 0:
					c.Invalidate(names[i]) // ambiguous outcome
				case 1:
					c.Set(names[i], Item{JSON: []byte(strconv.FormatInt(v, 10))})
					c.InvalidateTable("other")
				default:
					c.Set(names[i], Item{JSON: []byte(strconv.FormatInt(v, 10))})
				}
				acked[i].Store(v)
				check(i)
			}
		}()
	}
	for j := range fillers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(j), 2))
			for !done.Load() {
				i := r.IntN(keys)
				if _, ok := c.Get(names[i]); ok && r.IntN(4) != 0 {
					check(i)
					continue
				}
				f := c.BeginFill(names[i])
				v := backend[i].Load() // the backend read
				if r.IntN(3) == 0 {
					time.Sleep(time.Duration(r.IntN(50)) * time.Microsecond)
				}
				if v == 0 {
					c.Complete(f, Item{Negative: true})
				} else {
					c.Complete(f, Item{JSON: []byte(strconv.FormatInt(v, 10))})
				}
				check(i)
			}
		}()
	}
	writers.Wait()
	// Let the fillers run on a while after the last write.
	time.Sleep(20 * time.Millisecond)
	done.Store(true)
	wg.Wait()

	for i := range keys {
		it, ok := c.Get(names[i])
		if ok && version(it) != backend[i].Load() {
			t.Errorf("key %d: final Get = %d, last write %d", i, version(it), backend[i].Load())
		}
	}
	s := c.Stats()
	t.Logf("stats: %+v (%d fills superseded by the random part)", s, s.Superseded-uint64(straddled))
	if n := pendingRecords(c); n != 0 {
		t.Errorf("%d pending records left", n)
	}
}

// TestItemWriteRace: concurrent writers of the same keys using
// BeginWrite/CompleteWrite, with the backend applying writes in a global
// order. Once all writes are acknowledged, a cached value is the last one the
// backend holds.
func TestItemWriteRace(t *testing.T) {
	const keys, writers, writes = 4, 6, 200
	c := newItems(t, ItemOptions{MaxBytes: 1 << 20})
	var mu sync.Mutex
	var backend [keys]int64
	var seq int64
	names := make([]string, keys)
	for i := range names {
		names[i] = key("t", fmt.Sprint("w", i))
	}
	var wg sync.WaitGroup
	for j := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(j), 3))
			for range writes {
				i := r.IntN(keys)
				w := c.BeginWrite(names[i])
				mu.Lock()
				seq++
				v := seq
				backend[i] = v
				mu.Unlock()
				if r.IntN(2) == 0 {
					time.Sleep(time.Duration(r.IntN(20)) * time.Microsecond)
				}
				c.CompleteWrite(w, Item{JSON: []byte(strconv.FormatInt(v, 10))})
				if r.IntN(3) == 0 {
					f := c.BeginFill(names[i])
					mu.Lock()
					v := backend[i]
					mu.Unlock()
					c.Complete(f, Item{JSON: []byte(strconv.FormatInt(v, 10))})
				}
			}
		}()
	}
	wg.Wait()
	for i := range keys {
		if it, ok := c.Get(names[i]); ok && string(it.JSON) != strconv.FormatInt(backend[i], 10) {
			t.Errorf("key %d: cached %s, backend %d", i, it.JSON, backend[i])
		}
	}
	if n := pendingRecords(c); n != 0 {
		t.Errorf("%d pending records left", n)
	}
}
