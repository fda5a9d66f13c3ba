package main

// dynax top: a refreshing terminal view of an endpoint's /metrics, table
// by table.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/dynax/dynax/internal/scrape"
)

func runTop(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("top", `Shows a dynax endpoint's GET /metrics as a refreshing table, table by table:
requests (total and per second), consumed read and write capacity units
against the provisioned ones (the table and each GSI), throttled requests,
p50/p99 of SuccessfulRequestLatency, and the cache hit ratios when the
endpoint is a proxy (dynax serve's --listen shows both). The first frame
shows totals since the node started; later ones the rates and latencies of
the last interval.`, stderr)
	endpoint := fs.String("endpoint", "http://127.0.0.1:8000", "the endpoint whose /metrics to read (a dynax store, serve or proxy)")
	interval := fs.Duration("interval", 2*time.Second, "time between two frames")
	once := fs.Bool("once", false, "print one frame (totals since start) and exit")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "dynax top:", err)
		return 2
	}
	if *interval <= 0 {
		fmt.Fprintln(stderr, "dynax top: --interval must be positive")
		return 2
	}
	url := strings.TrimRight(*endpoint, "/") + "/metrics"
	client := &http.Client{Timeout: 5 * time.Second}
	cur, err := scrape.Get(client, url)
	if err != nil {
		fmt.Fprintln(stderr, "dynax top:", err)
		return 1
	}
	if *once {
		writeTopFrame(stdout, *endpoint, time.Now(), nil, cur, 0)
		return 0
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	var prev scrape.Families
	var prevAt time.Time
	curAt := time.Now()
	for {
		fmt.Fprint(stdout, "\x1b[H\x1b[2J") // home, clear
		writeTopFrame(stdout, *endpoint, curAt, prev, cur, curAt.Sub(prevAt))
		select {
		case <-sig:
			return 0
		case <-tick.C:
		}
		next, err := scrape.Get(client, url)
		if err != nil {
			fmt.Fprintln(stderr, "dynax top:", err)
			continue // keep the last figures; the endpoint may be back next time
		}
		prev, prevAt, cur, curAt = cur, curAt, next, time.Now()
	}
}

// writeTopFrame writes one frame: totals when prev is nil, else the
// change from prev over dt.
func writeTopFrame(w io.Writer, endpoint string, at time.Time, prev, cur scrape.Families, dt time.Duration) {
	span := "totals since the node started"
	if prev != nil {
		span = fmt.Sprintf("last %s", dt.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "dynax top — %s — %s — %s\n", endpoint, at.Format("15:04:05"), span)
	delta := func(name string, l scrape.Labels) float64 {
		v := cur.Sum(name, l)
		if prev != nil {
			v -= prev.Sum(name, l)
		}
		return v
	}
	rate := func(v float64) string {
		if prev == nil || dt <= 0 {
			return "-"
		}
		return num(v / dt.Seconds())
	}
	if cur.Has("ItemCacheHits") {
		ih, im := delta("ItemCacheHits", nil), delta("ItemCacheMisses", nil)
		qh := delta("QueryCacheHits", nil) + delta("ScanCacheHits", nil)
		qm := delta("QueryCacheMisses", nil) + delta("ScanCacheMisses", nil)
		fmt.Fprintf(w, "cache: item hit ratio %s (%s hits, %s misses), query hit ratio %s (%s hits, %s misses), %s requests (%s/s)\n",
			hitRatio(ih, im), num(ih), num(im), hitRatio(qh, qm), num(qh), num(qm), num(delta("TotalRequestCount", nil)), rate(delta("TotalRequestCount", nil)))
	}
	tables := cur.Values("ConsumedReadCapacityUnits", "TableName")
	for _, t := range cur.Values("SuccessfulRequestLatency", "TableName") {
		if t != "" && !contains(tables, t) {
			tables = append(tables, t)
		}
	}
	if len(tables) == 0 {
		if !cur.Has("SuccessfulRequestLatency") {
			fmt.Fprintln(w, "no storage node metrics at this endpoint (a proxy in front of another backend shows only the cache)")
		} else {
			fmt.Fprintln(w, "no tables")
		}
		return
	}
	fmt.Fprintf(w, "user errors %s, system errors %s\n", num(delta("UserErrors", nil)), num(delta("SystemErrors", nil)))
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TABLE\tINDEX\tREQS\tREQ/S\tRCU\tRCU/S\tPROV RCU\tWCU\tWCU/S\tPROV WCU\tTHROTTLED\tP50 MS\tP99 MS\t")
	for _, t := range tables {
		tl := scrape.Labels{"TableName": t}
		lat := cur.Histogram("SuccessfulRequestLatency", tl)
		if prev != nil {
			lat = lat.Sub(prev.Histogram("SuccessfulRequestLatency", tl))
		}
		for _, ix := range indexesOf(cur, t) {
			il := scrape.Labels{"TableName": t, "GlobalSecondaryIndexName": ix}
			name, reqs, rps, thr, p50, p99 := t, "", "", "", "", ""
			if ix == "" {
				n := delta("SuccessfulRequestLatency", tl)
				reqs, rps = num(n), rate(n)
				thr = num(delta("ThrottledRequests", tl))
				p50, p99 = ms(lat.Quantile(0.5)), ms(lat.Quantile(0.99))
			} else {
				name = ""
				thr = num(delta("ReadThrottleEvents", il) + delta("WriteThrottleEvents", il))
			}
			rcu, wcu := delta("ConsumedReadCapacityUnits", il), delta("ConsumedWriteCapacityUnits", il)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, ix, reqs, rps,
				num(rcu), rate(rcu), prov(cur, "ProvisionedReadCapacityUnits", il),
				num(wcu), rate(wcu), prov(cur, "ProvisionedWriteCapacityUnits", il), thr, p50, p99)
		}
	}
	tw.Flush()
}

// indexesOf lists "" (the table) and the GSIs of table t that have
// capacity series.
func indexesOf(f scrape.Families, t string) []string {
	out := []string{""}
	if mf := f["ConsumedReadCapacityUnits"]; mf != nil {
		for _, m := range mf.GetMetric() {
			if ix := scrape.Label(m, "GlobalSecondaryIndexName"); scrape.Label(m, "TableName") == t && !contains(out, ix) {
				out = append(out, ix)
			}
		}
	}
	return out
}

// seriesOf reports whether a series of name matches l exactly.
func seriesOf(f scrape.Families, name string, l scrape.Labels) bool {
	mf := f[name]
	if mf == nil {
		return false
	}
	for _, m := range mf.GetMetric() {
		ok := true
		for k, v := range l {
			if scrape.Label(m, k) != v {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func prov(f scrape.Families, name string, l scrape.Labels) string {
	if !seriesOf(f, name, l) {
		return "on-demand"
	}
	return num(f.Sum(name, l))
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// num formats a figure: integers as such, others with one decimal.
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e12 {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}

func hitRatio(hits, misses float64) string {
	if hits+misses == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*hits/(hits+misses))
}

// ms formats a latency in seconds as milliseconds ("-" for NaN).
func ms(s float64) string {
	if math.IsNaN(s) {
		return "-"
	}
	return fmt.Sprintf("%.3g", s*1000)
}
