package main

import (
	"bytes"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// TestBenchStreams runs `dynax bench streams` against a store whose shards
// roll over every 100 ms, so the tail must follow shard lineage to see every
// write exactly once.
func TestBenchStreams(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	node, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true, Logger: log, StreamShardRollover: 100 * time.Millisecond, LogTrimInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := wire.NewServer(node, log)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Shutdown()
		node.Close()
	})
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "streams", "--endpoint", "http://" + ln.Addr().String(), "--rate", "500",
		"--duration", "1s", "--writers", "4"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "exactly once      0 missing, 0 duplicates") {
		t.Fatalf("report:\n%s", out)
	}
	m := regexp.MustCompile(`catch-up\s+(\d+) records in \d+ GetRecords calls over (\d+) shards`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no catch-up line:\n%s", out)
	}
	records, _ := strconv.Atoi(m[1])
	shards, _ := strconv.Atoi(m[2])
	if records != 501 {
		t.Errorf("catch-up read %d records, want the 501 writes", records)
	}
	if shards < 3 {
		t.Errorf("%d shards after 1 s with a 100 ms rollover, want several", shards)
	}
	if !regexp.MustCompile(`ack → GetRecords  p50 [0-9.]+ ms  p99 [0-9.]+ ms`).MatchString(out) {
		t.Errorf("no latency line:\n%s", out)
	}
}

// TestBenchStreamsFlags checks that a run without an endpoint is refused.
func TestBenchStreamsFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "streams", "--rate", "10"}, &stdout, &stderr); code != 2 {
		t.Fatalf("exit %d, want 2; stderr %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "--endpoint") {
		t.Errorf("stderr: %s", stderr.String())
	}
}
