package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dynax/dynax/cluster"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/proxy"
	"github.com/dynax/dynax/store"
	"github.com/dynax/dynax/storebackend"
)

// startBenchCluster starts a store, an embedded etcd and n proxies forming
// one cache cluster (each following the store's change feed), in process.
func startBenchCluster(t *testing.T, n int) (storeURL string, proxyURLs []string) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	node, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	e, err := cluster.StartEtcd(cluster.EtcdOptions{Dir: t.TempDir(), ClientAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stopStore := serveBackground(wire.NewServer(node, log), sln)
	t.Cleanup(func() { _ = stopStore() })
	for i := 0; i < n; i++ {
		p, err := proxy.New(proxy.Options{Backend: &storebackend.Backend{Node: node, Logger: log}, ItemTTL: proxy.DefaultTTL, QueryTTL: proxy.DefaultTTL, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		fl, err := p.FollowChanges(proxy.FeedOptions{Source: node.Feed()})
		if err != nil {
			t.Fatal(err)
		}
		cn, err := p.JoinCluster(context.Background(), proxy.ClusterOptions{
			Membership: cluster.Options{Endpoints: []string{e.Endpoint()}, LeaseTTL: 2 * time.Second, SettleWindow: 200 * time.Millisecond, Logger: log},
			Secret:     "bench-spread-secret-0123456789",
		})
		if err != nil {
			t.Fatal(err)
		}
		pln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		stop := serveBackground(p.Server(), pln)
		t.Cleanup(func() { _ = stop(); _ = cn.Close(); fl.Close(); p.Close() })
		proxyURLs = append(proxyURLs, "http://"+pln.Addr().String())
	}
	time.Sleep(500 * time.Millisecond) // every view complete, keys settled
	return "http://" + sln.Addr().String(), proxyURLs
}

// TestBenchSpreadOverACluster: --spread sends one workload across named
// nodes and reports per-node hit ratios, local and forwarded hits and
// stale reads; it composes with a named --write-endpoint.
func TestBenchSpreadOverACluster(t *testing.T) {
	storeURL, px := startBenchCluster(t, 3)
	jsonPath := filepath.Join(t.TempDir(), "s.json")
	args := []string{"bench", "--endpoint", "a=" + px[0], "--endpoint", "b=" + px[1], "--endpoint", "c=" + px[2], "--spread",
		"--workload", "b", "--records", "200", "--operations", "3000", "--duration", "0", "--rounds", "1", "--concurrency", "4", "--json", jsonPath}
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	type result struct {
		Endpoint   string `json:"endpoint"`
		Operations []struct {
			Operation string `json:"operation"`
			Count     int64  `json:"count"`
		} `json:"operations"`
		Stale struct{ Checked, Stale int64 } `json:"stale"`
		Nodes []struct {
			Node     string   `json:"node"`
			HitRatio *float64 `json:"hit_ratio"`
		} `json:"nodes"`
	}
	var rep struct{ Results []result }
	raw, _ := os.ReadFile(jsonPath)
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Endpoint != "a+b+c" {
		t.Fatalf("results: %s", raw)
	}
	r := rep.Results[0]
	if len(r.Nodes) != 3 || r.Nodes[0].Node != "a" || r.Nodes[1].Node != "b" || r.Nodes[2].Node != "c" {
		t.Fatalf("nodes: %s", raw)
	}
	for _, n := range r.Nodes {
		if n.HitRatio == nil || *n.HitRatio <= 0 {
			t.Errorf("node %s: hit ratio %v", n.Node, n.HitRatio)
		}
	}
	ops := map[string]int64{}
	for _, o := range r.Operations {
		ops[o.Operation] = o.Count
	}
	if ops["GetItem hit"] == 0 || ops["GetItem forwarded-hit"] == 0 || ops["GetItem miss"] == 0 {
		t.Errorf("reads not split into local hits, forwarded hits and misses: %v", ops)
	}
	if r.Stale.Checked == 0 || r.Stale.Stale != 0 {
		t.Errorf("stale reads through a healthy cluster: %+v", r.Stale)
	}
	for _, want := range []string{"a+b+c c=4: hit ratio", "  node b: hit ratio"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
	// Writes around the cache, reads spread: bypass staleness is measured.
	stdout.Reset()
	args = append(args[:len(args)-2], "--no-load", "--write-endpoint", "store="+storeURL)
	if code := run(args, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "stale reads") {
		t.Fatalf("--spread --write-endpoint: exit %d\n%s", code, stdout.String())
	}
	if code := run([]string{"bench", "--endpoint", px[0], "--spread", "--client", "sdk"}, &stdout, &stderr); code != 2 {
		t.Errorf("--spread --client sdk: exit %d", code)
	}
}
