package hotkeys

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"testing"
)

var seed = maphash.MakeSeed()

func hashOf(s string) uint64 { return maphash.String(seed, s) }

func offer(t *Tracker, key string) {
	h := hashOf(key)
	if t.Count(h) {
		t.Propose(h, key)
	}
}

// TestHotKeysFindsTheHammeredKeys: among 20,000 keys drawn uniformly, three
// keys hit far more often come out first, in order, with counts no lower
// than their true counts, from several goroutines at once.
func TestHotKeysFindsTheHammeredKeys(t *testing.T) {
	tr := New(Options{K: 10})
	var wg sync.WaitGroup
	const workers, perWorker = 4, 20000
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range perWorker {
				offer(tr, fmt.Sprintf("k%d", rng.IntN(20000)))
				if i%4 == 0 {
					offer(tr, "hot-1")
				}
				if i%8 == 0 {
					offer(tr, "hot-2")
				}
				if i%16 == 0 {
					offer(tr, "hot-3")
				}
				if i%1000 == 0 {
					tr.Collect() // a collector running meanwhile
				}
			}
		}()
	}
	wg.Wait()
	tr.Collect()
	top := tr.Top(3)
	if len(top) != 3 {
		t.Fatalf("top = %v", top)
	}
	want := []struct {
		key string
		n   uint64
	}{{"hot-1", workers * perWorker / 4}, {"hot-2", workers * perWorker / 8}, {"hot-3", workers * perWorker / 16}}
	for i, w := range want {
		if top[i].Key != w.key || top[i].Count < w.n {
			t.Errorf("top[%d] = %+v, want %s with at least %d", i, top[i], w.key, w.n)
		}
	}
}

// TestHotKeysBounded: the top table never holds more than K keys, and a
// key that stops being hot is displaced by hotter ones.
func TestHotKeysBounded(t *testing.T) {
	tr := New(Options{K: 4, Width: 1024})
	for i := range 50 {
		for range 10 {
			offer(tr, "old")
		}
		_ = i
	}
	tr.Collect()
	if top := tr.Top(10); len(top) != 1 || top[0].Key != "old" || top[0].Count < 500 {
		t.Fatalf("top = %+v", top)
	}
	for i := range 4 {
		for range 1000 {
			offer(tr, fmt.Sprintf("new-%d", i))
		}
		tr.Collect()
	}
	top := tr.Top(10)
	if len(top) != 4 {
		t.Fatalf("top = %+v, want 4 keys", top)
	}
	for _, e := range top {
		if e.Key == "old" {
			t.Fatalf("old key still in the top 4: %+v", top)
		}
	}
}

// TestHotKeysQueueFull: proposals past the queue's size are dropped, not
// blocked on, and the keys come back once the queue has room.
func TestHotKeysQueueFull(t *testing.T) {
	tr := New(Options{K: 100, Queue: 4})
	for i := range 10 {
		offer(tr, fmt.Sprintf("k%d", i))
	}
	tr.Collect()
	if n := len(tr.Top(100)); n != 4 {
		t.Fatalf("%d keys after a full queue, want 4", n)
	}
	for i := range 10 {
		offer(tr, fmt.Sprintf("k%d", i))
	}
	tr.Collect()
	if n := len(tr.Top(100)); n != 8 {
		t.Fatalf("%d keys after the second round, want 8", n)
	}
}

func BenchmarkCount(b *testing.B) {
	tr := New(Options{})
	keys := make([]uint64, 1024)
	for i := range keys {
		keys[i] = hashOf(fmt.Sprint(i))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			h := keys[i&1023]
			if tr.Count(h) {
				tr.Propose(h, "k")
			}
			i++
		}
	})
}
