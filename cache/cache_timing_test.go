package cache

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dynax/dynax/ddb"
)

// Benchmarks of the cache hot paths. Run with
// go test -run=NONE -bench=. -benchmem ./cache

const benchItemJSON = `{"pk":{"S":"user#000042"},"sk":{"N":"7"},"name":{"S":"Ada Lovelace"},"email":{"S":"ada@example.com"},"age":{"N":"36"}}`

func benchItemKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = ItemKey("bench", "pk", "sk", ddb.Item{"pk": ddb.S(fmt.Sprintf("user#%06d", i)), "sk": ddb.N("7")})
	}
	return keys
}

func benchItemCache(b *testing.B, keys []string) *ItemCache {
	return benchItemCacheTTL(b, keys, 5*time.Minute)
}

func benchItemCacheTTL(b *testing.B, keys []string, ttl time.Duration) *ItemCache {
	c, err := NewItemCache(ItemOptions{MaxBytes: 64 << 20, TTL: ttl})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	for _, k := range keys {
		if !c.Complete(c.BeginFill(k), Item{JSON: []byte(benchItemJSON)}) {
			b.Fatalf("fill of %q not installed", k)
		}
	}
	return c
}

func BenchmarkItemGetHit(b *testing.B) {
	keys := benchItemKeys(1024)
	c := benchItemCache(b, keys)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, ok := c.Get(keys[i&1023]); !ok {
			b.Fatal("miss")
		}
	}
}

// BenchmarkItemGetHitNoTTL: with TTL 0 ristretto skips its clock read, which
// shows what a hit spends on time.Now.
func BenchmarkItemGetHitNoTTL(b *testing.B) {
	keys := benchItemKeys(1024)
	c := benchItemCacheTTL(b, keys, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := c.Get(keys[i&1023]); !ok {
			b.Fatal("miss")
		}
	}
}

func BenchmarkItemGetHitParallel(b *testing.B) {
	keys := benchItemKeys(1024)
	c := benchItemCache(b, keys)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, ok := c.Get(keys[i&1023]); !ok {
				b.Error("miss")
				return
			}
			i += 7
		}
	})
}

func BenchmarkItemGetMiss(b *testing.B) {
	c := benchItemCache(b, nil)
	keys := benchItemKeys(1024)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Get(keys[i&1023])
	}
}

// BenchmarkItemFill is BeginFill+Complete of a new value: two stripe locks
// and one ristretto Set+Wait.
func BenchmarkItemFill(b *testing.B) {
	keys := benchItemKeys(1024)
	c := benchItemCache(b, nil)
	v := Item{JSON: []byte(benchItemJSON)}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := keys[i&1023]
		c.Complete(c.BeginFill(k), v)
	}
}

func BenchmarkItemSet(b *testing.B) {
	keys := benchItemKeys(1024)
	c := benchItemCache(b, keys)
	v := Item{JSON: []byte(benchItemJSON)}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Set(keys[i&1023], v)
	}
}

func BenchmarkItemKey(b *testing.B) {
	k := ddb.Item{"pk": ddb.S("user#000042"), "sk": ddb.N("7"), "name": ddb.S("Ada")}
	b.ReportAllocs()
	for b.Loop() {
		ItemKey("bench", "pk", "sk", k)
	}
}

func benchQueryCache(b *testing.B, n int) (*QueryCache, []string) {
	g := NewGenerations(ModePartition)
	c, err := NewQueryCache(QueryOptions{TTL: 5 * time.Minute}, g)
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"Items":[` + strings.Repeat(benchItemJSON+",", 9) + benchItemJSON + `],"Count":10,"ScannedCount":10}`)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = QueryKey([]byte("bench"), []byte("pk = :v"), []byte(fmt.Sprint(i)))
		d := Dep{Table: "bench", Partition: fmt.Sprint(i), HasPartition: i%2 == 0}
		c.Put(keys[i], c.Snapshot(d), body)
	}
	return c, keys
}

func BenchmarkQueryGetHit(b *testing.B) {
	c, keys := benchQueryCache(b, 1024)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := c.Get(keys[i&1023]); !ok {
			b.Fatal("miss")
		}
	}
}

func BenchmarkQueryGetHitParallel(b *testing.B) {
	c, keys := benchQueryCache(b, 1024)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, ok := c.Get(keys[i&1023]); !ok {
				b.Error("miss")
				return
			}
			i += 7
		}
	})
}

func BenchmarkQueryKey(b *testing.B) {
	parts := [][]byte{
		[]byte("bench"), nil, []byte("pk = :v AND sk > :s"), []byte(`{":v":{"S":"user#000042"},":s":{"N":"3"}}`),
		nil, []byte("#n, age"), []byte(`{"#n":"name"}`), []byte("25"), []byte("true"),
	}
	b.ReportAllocs()
	for b.Loop() {
		QueryKey(parts...)
	}
}

func BenchmarkGenerationsBump(b *testing.B) {
	g := NewGenerations(ModePartition)
	part := PartitionKey(ddb.S("user#000042"))
	b.ReportAllocs()
	for b.Loop() {
		g.Bump("bench", part)
	}
}

func BenchmarkGenerationsSnapshot(b *testing.B) {
	g := NewGenerations(ModePartition)
	d := Dep{Table: "bench", Partition: PartitionKey(ddb.S("user#000042")), HasPartition: true}
	b.ReportAllocs()
	for b.Loop() {
		g.Snapshot(d)
	}
}
