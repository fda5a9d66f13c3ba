package proxy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dynax/dynax/changefeed"
)

// bypassBound is the stated bound (docs/cluster.md, docs/proxy.md) on how
// long a write made straight to the store stays invisible through a proxy
// following the change feed, at p99.
const bypassBound = time.Second

// follow starts following src and waits until the follower has read the
// head.
func follow(t testing.TB, p *Proxy, src changefeed.Source) *Follower {
	t.Helper()
	f, err := p.FollowChanges(FeedOptions{Source: src, Wait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	select {
	case <-f.Ready():
	case <-time.After(5 * time.Second):
		t.Fatalf("follower never read the head (%d errors)", p.m.feed.errors.Load())
	}
	return f
}

// getVal reads item pk through the proxy and returns its attribute v ("" if
// absent) and the cache header.
func (e *testEnv) getVal(pk string) (string, string) {
	e.t.Helper()
	r := e.ok("GetItem", `{"TableName":"ttt","Key":{"pk":{"S":"`+pk+`"}}}`)
	it := itemOf(e.t, r.Body)
	if it == nil {
		return "", r.cache()
	}
	return it["v"].S, r.cache()
}

// waitVal polls through the proxy until pk reads want, returning how long
// that took from since (a failure after 5 s).
func (e *testEnv) waitVal(pk, want string, since time.Time) time.Duration {
	e.t.Helper()
	for {
		got, _ := e.getVal(pk)
		if got == want {
			return time.Since(since)
		}
		if time.Since(since) > 5*time.Second {
			e.t.Fatalf("%s still reads %q, want %q, 5 s after a direct write", pk, got, want)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// TestFeedMakesBypassWritesVisible writes straight to the store — put,
// update, delete, a batch write, a TTL-style delete of a cached "not
// found" — and reads through the proxy until each change shows, in
// process (Node.Feed) and over HTTP (changefeed.Client). Every read was a
// cache hit before the write; staleness p99 must stay within bypassBound.
func TestFeedMakesBypassWritesVisible(t *testing.T) {
	for _, remote := range []bool{false, true} {
		t.Run(fmt.Sprintf("remote=%v", remote), func(t *testing.T) {
			e := newEnv(t, envOpts{remote: remote})
			e.createTable("ttt", "", "")
			var src changefeed.Source = e.node.Feed()
			if remote {
				src = changefeed.NewClient(e.storeURL)
			}
			follow(t, e.p, src)
			var lat []time.Duration
			for i := 0; i < 60; i++ {
				pk := fmt.Sprintf("k%d", i%6)
				want := fmt.Sprintf("v%d", i)
				e.getVal(pk) // fill
				if _, c := e.getVal(pk); c != cacheHit {
					t.Fatalf("%s: second read was %q, want a hit", pk, c)
				}
				start := time.Now()
				switch i % 4 {
				case 0, 1:
					e.storeOK("PutItem", `{"TableName":"ttt","Item":{"pk":{"S":"`+pk+`"},"v":{"S":"`+want+`"}}}`)
				case 2:
					e.storeOK("UpdateItem", `{"TableName":"ttt","Key":{"pk":{"S":"`+pk+`"}},"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"S":"`+want+`"}}}`)
				case 3:
					e.storeOK("DeleteItem", `{"TableName":"ttt","Key":{"pk":{"S":"`+pk+`"}}}`)
					want = ""
				}
				lat = append(lat, e.waitVal(pk, want, start))
			}
			// A batch write of cached keys.
			for i := 0; i < 3; i++ {
				e.getVal(fmt.Sprintf("b%d", i))
			}
			start := time.Now()
			e.storeOK("BatchWriteItem", `{"RequestItems":{"ttt":[{"PutRequest":{"Item":{"pk":{"S":"b0"},"v":{"S":"x"}}}},{"PutRequest":{"Item":{"pk":{"S":"b1"},"v":{"S":"y"}}}},{"PutRequest":{"Item":{"pk":{"S":"b2"},"v":{"S":"z"}}}}]}}`)
			for i, want := range []string{"x", "y", "z"} {
				lat = append(lat, e.waitVal(fmt.Sprintf("b%d", i), want, start))
			}
			slices.Sort(lat)
			p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
			t.Logf("bypass staleness over %d writes: p50 %v p99 %v max %v", len(lat), p50, p99, lat[len(lat)-1])
			if p99 > bypassBound {
				t.Fatalf("bypass staleness p99 %v above the bound %v", p99, bypassBound)
			}
		})
	}
}

// TestFeedKeepsOwnWrites: a write through the proxy, seen again on the
// feed, leaves the written image cached.
func TestFeedKeepsOwnWrites(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.createTable("ttt", "", "")
	follow(t, e.p, e.node.Feed())
	// The echo can overtake the write's own installation (then the write,
	// overlapped, invalidates instead: a miss, never a stale read), so try
	// a few times; the echo must find the image cached in one of them.
	for i := 1; ; i++ {
		v := fmt.Sprint(i)
		before := e.p.m.feed.changes.Load()
		e.ok("PutItem", `{"TableName":"ttt","Item":{"pk":{"S":"a"},"v":{"S":"`+v+`"},"n":{"N":"1.50"}}}`)
		deadline := time.Now().Add(5 * time.Second)
		for e.p.m.feed.changes.Load() <= before {
			if time.Now().After(deadline) {
				t.Fatal("the write never arrived on the feed")
			}
			time.Sleep(time.Millisecond)
		}
		got, c := e.getVal("a")
		if got != v {
			t.Fatalf("after the feed echoed the proxy's own write: %q, want %s", got, v)
		}
		if c == cacheHit {
			if e.p.m.feed.kept.Load() != 1 {
				t.Fatalf("FeedEntriesKept %d, want 1", e.p.m.feed.kept.Load())
			}
			return
		}
		if i == 20 {
			t.Fatalf("in 20 writes the feed's echo never kept the proxy's own image (last read %q)", c)
		}
	}
}

// TestFeedBumpsQueries: a direct write changes a cached Query's answer.
func TestFeedBumpsQueries(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.createTable("qqq", "sk", "N")
	follow(t, e.p, e.node.Feed())
	q := `{"TableName":"qqq","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}}}`
	e.ok("Query", q)
	if r := e.ok("Query", q); r.cache() != cacheHit {
		t.Fatalf("second query: %q, want hit", r.cache())
	}
	start := time.Now()
	e.storeOK("PutItem", `{"TableName":"qqq","Item":{"pk":{"S":"a"},"sk":{"N":"1"}}}`)
	for {
		r := e.ok("Query", q)
		if strings.Contains(string(r.Body), `"Count":1`) {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("query still answers %s after a direct write", r.Body)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestFeedTableDeletedAndTrimmed: a table deleted behind the proxy's back,
// and a batch reporting trimmed changes, drop the table's entries.
func TestFeedTableDeletedAndTrimmed(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.createTable("ttt", "", "")
	e.storeOK("PutItem", `{"TableName":"ttt","Item":{"pk":{"S":"a"},"v":{"S":"1"}}}`)
	e.getVal("a")
	// Trimmed, applied as the follower would.
	e.p.applyBatch(&changefeed.Batch{Trimmed: []string{"ttt"}})
	if got, c := e.getVal("a"); got != "1" || c != cacheMiss {
		t.Fatalf("after a trimmed batch: %q %q, want 1 from a miss", got, c)
	}
	follow(t, e.p, e.node.Feed()) // drops what was cached before it
	if _, c := e.getVal("a"); c != cacheMiss {
		t.Fatalf("want a miss after the follower started, got %q", c)
	}
	if _, c := e.getVal("a"); c != cacheHit {
		t.Fatalf("want a hit before the delete, got %q", c)
	}
	e.storeOK("DeleteTable", `{"TableName":"ttt"}`)
	start := time.Now()
	for {
		r := post(t, e.proxyURL, "GetItem", `{"TableName":"ttt","Key":{"pk":{"S":"a"}}}`)
		if r.Status == 400 && strings.Contains(string(r.Body), "ResourceNotFoundException") {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("GetItem of a deleted table still answers %d %s", r.Status, r.Body)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestFeedOptionsRequired: a follower needs a source.
func TestFeedOptionsRequired(t *testing.T) {
	e := newEnv(t, envOpts{})
	if _, err := e.p.FollowChanges(FeedOptions{}); err == nil {
		t.Fatal("FollowChanges without a Source: no error")
	}
}
