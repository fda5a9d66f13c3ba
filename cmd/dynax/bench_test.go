package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dynax/dynax/bench"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/proxy"
	"github.com/dynax/dynax/store"
	"github.com/dynax/dynax/storebackend"
)

// startBenchTargets starts a storage node and a caching proxy in front of
// it, in process, and returns their endpoints.
func startBenchTargets(t *testing.T) (storeURL, proxyURL string) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	node, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	p, err := proxy.New(proxy.Options{Backend: &storebackend.Backend{Node: node, Logger: log}, ItemTTL: proxy.DefaultTTL, QueryTTL: proxy.DefaultTTL, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ssrv := wire.NewServer(node, log)
	psrv := p.Server()
	stopStore := serveBackground(ssrv, sln)
	stopProxy := serveBackground(psrv, pln)
	t.Cleanup(func() {
		// A Serve error fails the test. A shutdown that outwaits
		// wire.ShutdownTimeout only means a client (the bench's SDK
		// transport, out of the test's reach) still held a connection.
		for _, s := range []struct {
			name string
			stop func() error
		}{{"proxy", stopProxy}, {"store", stopStore}} {
			if err := s.stop(); errors.Is(err, context.DeadlineExceeded) {
				t.Logf("%s server: shutdown waited for a client connection: %v", s.name, err)
			} else if err != nil {
				t.Errorf("%s server: %v", s.name, err)
			}
		}
		p.Close()
		if err := node.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return "http://" + sln.Addr().String(), "http://" + pln.Addr().String()
}

func TestBenchWorkloadStoreAndProxy(t *testing.T) {
	storeURL, proxyURL := startBenchTargets(t)
	dir := t.TempDir()
	jsonPath, htmlPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html")
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "--endpoint", proxyURL, "--endpoint", storeURL, "--workload", "b", "--records", "100",
		"--duration", "200ms", "--warmup", "50ms", "--rounds", "2", "--concurrency", "2", "--json", jsonPath, "--html", htmlPath}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"load " + proxyURL + ": 100 items done", "round 2/2 " + storeURL} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), "p99.9 µs") || !strings.Contains(stdout.String(), proxyURL+" c=2: hit ratio") {
		t.Errorf("table:\n%s", stdout.String())
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []struct {
			Endpoint      string   `json:"endpoint"`
			Count         int64    `json:"count"`
			ThroughputOps float64  `json:"throughput_ops"`
			P50           float64  `json:"p50_us"`
			P90           float64  `json:"p90_us"`
			P99           float64  `json:"p99_us"`
			P999          float64  `json:"p999_us"`
			Max           float64  `json:"max_us"`
			HitRatio      *float64 `json:"hit_ratio"`
			Stale         struct {
				Checked, Stale int64
			} `json:"stale"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || rep.Results[0].Endpoint != proxyURL || rep.Results[1].Endpoint != storeURL {
		t.Fatalf("results: %s", raw)
	}
	for _, r := range rep.Results {
		if r.Count == 0 || r.ThroughputOps <= 0 || !(r.P50 <= r.P90 && r.P90 <= r.P99 && r.P99 <= r.P999 && r.P999 <= r.Max) {
			t.Errorf("%s: %+v", r.Endpoint, r)
		}
		if r.Stale.Checked == 0 || r.Stale.Stale != 0 {
			t.Errorf("%s: stale %+v", r.Endpoint, r.Stale)
		}
	}
	if rep.Results[0].HitRatio == nil || *rep.Results[0].HitRatio < 0.5 {
		t.Errorf("proxy hit ratio %v", rep.Results[0].HitRatio)
	}
	if rep.Results[1].HitRatio != nil {
		t.Errorf("store has a hit ratio")
	}
	page, err := os.ReadFile(htmlPath)
	if err != nil || !bytes.Contains(page, []byte("<svg")) || !bytes.Contains(page, []byte(storeURL)) {
		t.Fatalf("html: %v", err)
	}
}

func TestBenchOpsAndOpenLoop(t *testing.T) {
	storeURL, _ := startBenchTargets(t)
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "--endpoint", storeURL, "--ops", "get,query", "--records", "50", "--operations", "30",
		"--duration", "0", "--rounds", "1", "--concurrency", "1,2"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	if strings.Count(out, " get ") != 2 || strings.Count(out, " query ") != 2 || strings.Count(out, "   30 ") < 4 {
		t.Errorf("table:\n%s", out)
	}
	stdout.Reset()
	stderr.Reset()
	code = run([]string{"bench", "--endpoint", storeURL, "--workload", "custom", "--read", "1", "--update", "1", "--query", "1", "--batch", "1",
		"--distribution", "uniform", "--item-size", "10..200", "--consistent", "0.5", "--records", "60", "--rate", "500", "--duration", "200ms",
		"--rounds", "1", "--concurrency", "4"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "rate=500 c=4") || !strings.Contains(stdout.String(), "BatchGetItem") {
		t.Errorf("table:\n%s", stdout.String())
	}
}

func TestBenchFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"bench"},
		{"bench", "--endpoint", "http://127.0.0.1:1", "--workload", "z"},
		{"bench", "--endpoint", "http://127.0.0.1:1", "--workload", "custom"},
		{"bench", "--endpoint", "http://127.0.0.1:1", "--concurrency", "0"},
		{"bench", "--endpoint", "http://127.0.0.1:1", "--client", "sdk", "--ops", "get"},
		{"bench", "--endpoint", "http://127.0.0.1:1", "--client", "nope"},
		{"bench", "--endpoint", "http://127.0.0.1:1", "--distribution", "zipfian", "--theta", "2"},
		{"bench", "--endpoint", "http://127.0.0.1:1", "--item-size", "9..1"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr.String())
		}
	}
}

func TestBenchSDKClient(t *testing.T) {
	storeURL, proxyURL := startBenchTargets(t)
	for _, w := range []string{"f", "e"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"bench", "--client", "sdk", "--endpoint", storeURL, "--endpoint", proxyURL, "--workload", w, "--records", "50",
			"--operations", "40", "--duration", "0", "--rounds", "1", "--concurrency", "2"}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
		}
		want := map[string]string{"f": "ReadModifyWrite", "e": "Query"}[w]
		if !strings.Contains(stdout.String(), want) || strings.Contains(stdout.String(), "transport") {
			t.Errorf("workload %s table:\n%s", w, stdout.String())
		}
	}
}

func TestBenchSweep(t *testing.T) {
	jsonPath := filepath.Join(t.TempDir(), "s.json")
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "sweep", "--cache-sizes", "16KiB,64MiB", "--workloads", "c", "--distributions", "hotspot,uniform", "--records", "300",
		"--item-size", "200", "--operations", "300", "--duration", "0", "--concurrency", "2", "--json", jsonPath}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []struct {
			Endpoint string   `json:"endpoint"`
			Count    int64    `json:"count"`
			HitRatio *float64 `json:"hit_ratio"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 4 {
		t.Fatalf("%d results, want 4 grid points", len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Count != 300 || r.HitRatio == nil {
			t.Fatalf("%+v", r)
		}
	}
	// A 16KiB cache cannot hold 300 items of 200 bytes; 64MiB holds them all.
	small, big := *rep.Results[0].HitRatio, *rep.Results[2].HitRatio
	if !strings.Contains(rep.Results[0].Endpoint, "cache-size=16KiB") || !strings.Contains(rep.Results[2].Endpoint, "cache-size=64MiB") || small >= big {
		t.Errorf("hit ratios: %s %.3f, %s %.3f", rep.Results[0].Endpoint, small, rep.Results[2].Endpoint, big)
	}
	for _, args := range [][]string{
		{"bench", "sweep", "--endpoint", "http://127.0.0.1:1"},
		{"bench", "sweep", "--concurrency", "1,2"},
		{"bench", "sweep", "--cache-sizes", "x"},
		{"bench", "sweep", "--invalidations", "sometimes"},
		{"bench", "sweep", "--item-ttls", "-1s"},
	} {
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestBenchSignerCredentials(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	s, err := signerFor("https://dynamodb.eu-west-1.amazonaws.com", "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Credentials(); c.AccessKeyID != "AKIAENV" {
		t.Fatalf("remote endpoint credentials %+v", c)
	}
	s, err = signerFor("http://localhost:8000", "us-east-1")
	if err != nil || s.Credentials().AccessKeyID != "AKIAENV" {
		t.Fatalf("loopback with env credentials: %v %+v", err, s)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	s, err = signerFor("http://127.0.0.1:8000", "us-east-1")
	if err != nil || s.Credentials() != bench.TestCredentials {
		t.Fatalf("loopback without credentials: %v %+v", err, s)
	}
	if isLoopback("http://example.com:8000") || !isLoopback("http://[::1]:8000") {
		t.Fatal("isLoopback")
	}
}

// TestBenchWriteEndpointShowsStaleness writes to the store behind the
// proxy's back and reads through the proxy: the cache serves old versions.
func TestBenchWriteEndpointShowsStaleness(t *testing.T) {
	storeURL, proxyURL := startBenchTargets(t)
	jsonPath := filepath.Join(t.TempDir(), "w.json")
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "--endpoint", proxyURL, "--write-endpoint", storeURL, "--workload", "a", "--distribution", "uniform",
		"--records", "20", "--operations", "400", "--duration", "0", "--rounds", "1", "--concurrency", "2", "--json", jsonPath}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	raw, _ := os.ReadFile(jsonPath)
	var rep struct {
		Results []struct {
			Stale struct {
				Checked, Stale int64
				AgeMaxUs       float64 `json:"age_max_us"`
			} `json:"stale"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if s := rep.Results[0].Stale; s.Stale == 0 || s.AgeMaxUs <= 0 {
		t.Fatalf("no stale reads through the proxy with writes behind its back: %+v\n%s", s, stdout.String())
	}
	if !strings.Contains(stdout.String(), "stale reads") {
		t.Errorf("table:\n%s", stdout.String())
	}
	if code := run([]string{"bench", "--endpoint", proxyURL, "--write-endpoint", storeURL, "--client", "sdk"}, &stdout, &stderr); code != 2 {
		t.Errorf("sdk with --write-endpoint: exit %d", code)
	}
	// The same experiment as a sweep point.
	stdout.Reset()
	code = run([]string{"bench", "sweep", "--write-direct", "--workloads", "a", "--distributions", "uniform", "--records", "20",
		"--operations", "300", "--duration", "0", "--concurrency", "2"}, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "writes=direct") || strings.Contains(stdout.String(), "stale reads 0 of") {
		t.Fatalf("sweep --write-direct: exit %d\n%s", code, stdout.String())
	}
}
