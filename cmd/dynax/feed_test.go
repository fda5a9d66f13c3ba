package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBypassWritesThroughCommands: `dynax serve` follows its store in
// process and a `dynax proxy` in front of serve's store port follows it
// over HTTP; a write made straight to the store port shows through both
// within the bound of docs/cluster.md, though both had the item cached.
func TestBypassWritesThroughCommands(t *testing.T) {
	bin := buildBinary(t)
	serveURL, storeURL := startCmd(t, bin, nil, true, "serve", "--listen", "127.0.0.1:0", "--store-listen", "127.0.0.1:0",
		"--data-dir", t.TempDir(), "--etcd-listen", "")
	proxyURL, _ := startCmd(t, bin, nil, false, "proxy", "--listen", "127.0.0.1:0", "--backend", storeURL)
	if st, _, b := call(t, serveURL, "CreateTable", `{"TableName":"byp","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`); st != 200 {
		t.Fatalf("CreateTable: %d %s", st, b)
	}
	get := `{"TableName":"byp","Key":{"pk":{"S":"a"}}}`
	var lat []time.Duration
	for i := 0; i < 20; i++ {
		v := strings.Repeat("x", i+1)
		for _, u := range []string{serveURL, proxyURL} {
			call(t, u, "GetItem", get)
			if st, c, b := call(t, u, "GetItem", get); st != 200 || c != "hit" {
				t.Fatalf("GetItem through %s before the write: %d %q %s", u, st, c, b)
			}
		}
		start := time.Now()
		if st, _, b := call(t, storeURL, "PutItem", `{"TableName":"byp","Item":{"pk":{"S":"a"},"v":{"S":"`+v+`"}}}`); st != 200 {
			t.Fatalf("PutItem to the store: %d %s", st, b)
		}
		for _, u := range []string{serveURL, proxyURL} {
			for {
				_, _, b := call(t, u, "GetItem", get)
				if strings.Contains(b, `"S":"`+v+`"`) {
					lat = append(lat, time.Since(start))
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
	p99 := lat[len(lat)*99/100]
	t.Logf("bypass staleness through serve and proxy (%d reads): p50 %v p99 %v", len(lat), lat[len(lat)/2], p99)
	if p99 > time.Second {
		t.Fatalf("bypass staleness p99 %v above 1 s", p99)
	}
	var out, errw bytes.Buffer
	if code := run([]string{"proxy", "--change-feed", "sometimes"}, &out, &errw); code != 2 {
		t.Fatalf("--change-feed sometimes: exit %d", code)
	}
}
