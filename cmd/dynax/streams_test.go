package main

import (
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// metricValue reads one unlabelled metric from a proxy's /metrics (-1 when
// absent).
func metricValue(t *testing.T, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + name + ` ([0-9.e+-]+)$`).FindSubmatch(b)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// TestProxyInvalidatesFromStreams: `dynax proxy --change-feed off
// --invalidate-from-streams` in front of a `dynax store` learns of writes
// made straight to the store from the table's DynamoDB Stream — two such
// proxies, members of one cache cluster; a proxy with neither sees them
// only when its entries expire (--item-ttl). Then a history run (writers
// straight to the store, readers through both members) measures the
// staleness of every read.
func TestProxyInvalidatesFromStreams(t *testing.T) {
	bin := buildBinary(t)
	st := startProc(t, bin, addrRE, "store", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	etcd := startProc(t, bin, endpointRE, "etcd", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	const ttl = time.Second
	// Two members of one cache cluster: each follows every stream and
	// applies the records of the keys it caches (the ones it owns).
	var px []*proc
	for i := 0; i < 2; i++ {
		px = append(px, startProc(t, bin, proxyAddrRE, "proxy", "--listen", "127.0.0.1:0", "--backend", st.url,
			"--change-feed", "off", "--invalidate-from-streams", "--streams-discover", "1s",
			"--etcd", etcd.url, "--cluster-secret", "streams-test-secret-0123456789", "--settle-window", "300ms"))
	}
	ttlOnly := startProc(t, bin, proxyAddrRE, "proxy", "--listen", "127.0.0.1:0", "--backend", st.url,
		"--change-feed", "off", "--item-ttl", ttl.String(), "--negative-ttl", ttl.String())
	if body, ok := ddbCall(px[0].url, "CreateTable", `{"TableName":"str","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],`+
		`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}}`); !ok {
		t.Fatalf("CreateTable: %s", body)
	}
	for _, p := range px {
		deadline := time.Now().Add(10 * time.Second)
		for metricValue(t, p.url, "StreamsFollowed") != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("%s does not follow the table's stream (StreamsFollowed %v)", p.url, metricValue(t, p.url, "StreamsFollowed"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if v := metricValue(t, ttlOnly.url, "StreamsFollowed"); v != -1 {
		t.Fatalf("a proxy without --invalidate-from-streams reports StreamsFollowed %v", v)
	}

	get := `{"TableName":"str","Key":{"pk":{"S":"a"}}}`
	var lat, ttlLat []time.Duration
	for i := 0; i < 16; i++ {
		v := strings.Repeat("x", i+1)
		// The streams-following proxies first: the TTL-only one takes about
		// a TTL.
		all := []string{px[0].url, px[1].url, ttlOnly.url}
		for _, u := range all {
			call(t, u, "GetItem", get)
			if st, c, b := call(t, u, "GetItem", get); st != 200 || c != "hit" {
				t.Fatalf("GetItem through %s before the write: %d %q %s", u, st, c, b)
			}
		}
		start := time.Now()
		if body, ok := ddbCall(st.url, "PutItem", `{"TableName":"str","Item":{"pk":{"S":"a"},"v":{"S":"`+v+`"}}}`); !ok {
			t.Fatalf("PutItem to the store: %s", body)
		}
		for _, u := range all {
			for {
				b, _ := ddbCall(u, "GetItem", get)
				if strings.Contains(b, `"S":"`+v+`"`) {
					if u == ttlOnly.url {
						ttlLat = append(ttlLat, time.Since(start))
					} else {
						lat = append(lat, time.Since(start))
					}
					break
				}
				if time.Since(start) > 5*time.Second {
					t.Fatalf("%s still answers %s 5 s after a direct write", u, b)
				}
				time.Sleep(time.Millisecond)
			}
		}
	}
	slices.Sort(lat)
	slices.Sort(ttlLat)
	t.Logf("streams: bypass staleness over %d reads: p50 %v p99 %v max %v", len(lat), pct(lat, 50), pct(lat, 99), pct(lat, 100))
	t.Logf("TTL only (--item-ttl %v): p50 %v max %v", ttl, pct(ttlLat, 50), pct(ttlLat, 100))
	if p := pct(lat, 99); p > bypassReadBound {
		t.Fatalf("streams: bypass staleness p99 %v above the bound %v", p, bypassReadBound)
	}
	if pct(ttlLat, 100) > ttl+time.Second || pct(ttlLat, 100) < ttl/4 {
		t.Fatalf("TTL only: staleness max %v, want about the item TTL %v", pct(ttlLat, 100), ttl)
	}

	// Many readers through both proxies, writers straight to the store.
	h := history{table: "str"}
	runHistory(&h, 24, 4, 6, 3*time.Second, &nodes{urls: []string{st.url}}, &nodes{urls: []string{px[0].url, px[1].url}})
	stale := h.check(t)
	t.Logf("history: %d reads (%d failed), %d acknowledged direct writes; %d reads older than the newest acknowledged write, staleness p50 %v p99 %v max %v",
		len(h.reads), h.failed, countAcked(&h), len(stale), pct(stale, 50), pct(stale, 99), pct(stale, 100))
	if len(h.reads) < 300 {
		t.Fatalf("only %d reads", len(h.reads))
	}
	if m := pct(stale, 100); m > bypassReadBound {
		t.Fatalf("a read was %v stale, above the bound %v", m, bypassReadBound)
	}
	// Every acknowledged direct write is a record each follower applies.
	want := float64(16 + countAcked(&h))
	for _, p := range px {
		deadline := time.Now().Add(3 * time.Second)
		for metricValue(t, p.url, "StreamsRecords") < want {
			if time.Now().After(deadline) {
				t.Fatalf("%s applied %v stream records, fewer than the %v acknowledged direct writes", p.url, metricValue(t, p.url, "StreamsRecords"), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
