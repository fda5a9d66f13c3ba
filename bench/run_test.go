package bench

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func loadSpec(t *testing.T, c *Client, spec *Spec) *State {
	t.Helper()
	if err := spec.CreateTable(c); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	if err := spec.LoadData(c, 4, &progress, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "items done") {
		t.Fatalf("no progress: %q", progress.String())
	}
	return NewState(spec.Records)
}

func newSpec(t *testing.T, records int, mix Mix, dist string) *Spec {
	t.Helper()
	kc, err := NewKeyChooser(dist, records, 0.99, 0.2, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	return &Spec{Table: "wtab", Records: records, Mix: mix, Keys: kc, Sizes: SizeChooser{10, 50}, MaxScan: 10, PartitionSize: 10, BatchSize: 5, Seed: 1}
}

func checkMonotone(t *testing.T, name string, l Latency) {
	t.Helper()
	if !(l.P50Us <= l.P90Us && l.P90Us <= l.P99Us && l.P99Us <= l.P999Us && l.P999Us <= l.MaxUs) {
		t.Errorf("%s: percentiles not monotone: %+v", name, l)
	}
}

// TestWorkloadCountsMatchServer runs every operation kind against a real
// node and checks the counts against what the server saw.
func TestWorkloadCountsMatchServer(t *testing.T) {
	ep, cnt := startStore(t, nil)
	c := newTestClient(t, ep)
	spec := newSpec(t, 200, Mix{Read: 3, Update: 1, Insert: 1, Scan: 1, RMW: 1, Batch: 1}, "zipfian")
	st := loadSpec(t, c, spec)
	if got := cnt.get("BatchWriteItem"); got != 8 {
		t.Fatalf("load made %d BatchWriteItem calls, want 8 (200 items / 25)", got)
	}
	cnt.reset()
	stats := Drive(c, Load{Concurrency: 4, Operations: 400, Duration: 5 * time.Second}, func(w int) Worker { return spec.NewWorker(st, w) })
	all := stats.All()
	if all.Hist.Count() != 400 {
		t.Fatalf("measured %d operations, want 400", all.Hist.Count())
	}
	n := func(op string) int64 {
		if o := stats.Ops[op]; o != nil {
			return int64(o.Hist.Count())
		}
		return 0
	}
	rmw := n("ReadModifyWrite")
	checks := map[string][2]int64{
		"GetItem":      {n("GetItem") + rmw, cnt.get("GetItem")},
		"UpdateItem":   {n("UpdateItem"), cnt.get("UpdateItem")},
		"PutItem":      {n("PutItem") + rmw, cnt.get("PutItem")},
		"Query":        {n("Query"), cnt.get("Query")},
		"BatchGetItem": {n("BatchGetItem"), cnt.get("BatchGetItem")},
	}
	for op, c := range checks {
		if c[0] != c[1] || c[0] == 0 {
			t.Errorf("%s: bench made %d, server saw %d", op, c[0], c[1])
		}
	}
	for name, o := range stats.Ops {
		for typ, n := range o.Errors {
			if typ != "ConditionalCheckFailedException" {
				t.Errorf("%s: %d errors of type %s", name, n, typ)
			}
		}
	}
	if stats.Stale.Stale != 0 || stats.Stale.Checked == 0 {
		t.Errorf("stale %d of %d checked on a consistent store", stats.Stale.Stale, stats.Stale.Checked)
	}
	r := NewEndpointResult(ep, "test", Load{Concurrency: 4}, stats, nil)
	checkMonotone(t, "all", r.Latency)
	for _, o := range r.Operations {
		checkMonotone(t, o.Operation, o.Latency)
	}
	if r.Count != 400 {
		t.Fatalf("report count %d", r.Count)
	}
}

// TestMicroOpsAndWarmup checks the micro-benchmarks through Drive and that
// warm-up operations are made but not counted.
func TestMicroOpsAndWarmup(t *testing.T) {
	ep, cnt := startStore(t, nil)
	c := newTestClient(t, ep)
	for _, name := range []string{"get", "put", "query", "scan", "txn2"} {
		if err := Setup(c, "mtab", name, 30); err != nil {
			t.Fatal(name, err)
		}
	}
	cnt.reset()
	op, err := NewOp("get", "mtab", 30)
	if err != nil {
		t.Fatal(err)
	}
	stats := Drive(c, Load{Concurrency: 2, Duration: 200 * time.Millisecond, Warmup: 100 * time.Millisecond}, func(w int) Worker { return MicroWorker("get", op, 1, w) })
	got := int64(stats.Ops["get"].Hist.Count())
	if server := cnt.get("GetItem"); got == 0 || server <= got {
		t.Fatalf("measured %d GetItem, server saw %d (warm-up should add unmeasured calls)", got, server)
	}
	for _, name := range []string{"put", "query", "scan", "txn2", "txn10"} {
		op, err := NewOp(name, "mtab", 30)
		if err != nil {
			t.Fatal(err)
		}
		st := Drive(c, Load{Concurrency: 1, Operations: 5, Duration: 5 * time.Second}, func(w int) Worker { return MicroWorker(name, op, 1, w) })
		o := st.Ops[name]
		if o == nil || o.Hist.Count() != 5 || len(o.Errors) != 0 {
			t.Fatalf("%s: %+v", name, o)
		}
	}
	if _, err := NewOp("nope", "mtab", 1); err == nil {
		t.Fatal("unknown op accepted")
	}
}

// TestStaleReadDetected serves an old version of one key on purpose.
func TestStaleReadDetected(t *testing.T) {
	var injected atomic.Int64
	ep, _ := startStore(t, func(next fasthttp.RequestHandler) fasthttp.RequestHandler {
		return func(ctx *fasthttp.RequestCtx) {
			body := ctx.Request.Body()
			if targetOp(ctx) == "GetItem" && bytes.Contains(body, []byte(`"pk":{"S":"p0000000"},"sk":{"N":"0"}`)) {
				injected.Add(1)
				ctx.SetContentType("application/x-amz-json-1.0")
				ctx.SetBodyString(`{"Item":{"pk":{"S":"p0000000"},"sk":{"N":"0"},"ver":{"N":"1"},"v":{"S":"old"}}}`)
				return
			}
			next(ctx)
			if targetOp(ctx) == "BatchGetItem" {
				// Every item comes back at version 1.
				ctx.Response.SetBody(verRE.ReplaceAll(ctx.Response.Body(), []byte(`"ver":{"N":"1"}`)))
			}
		}
	})
	c := newTestClient(t, ep)
	spec := newSpec(t, 4, Mix{Read: 1, Update: 1}, "uniform")
	st := loadSpec(t, c, spec)
	stats := Drive(c, Load{Concurrency: 1, Operations: 400, Duration: 5 * time.Second}, func(w int) Worker { return spec.NewWorker(st, w) })
	if stats.Stale.Stale == 0 {
		t.Fatalf("no stale read detected (%d injected reads)", injected.Load())
	}
	if stats.Stale.Stale > injected.Load() {
		t.Fatalf("%d stale reads but only %d injected", stats.Stale.Stale, injected.Load())
	}
	if stats.Stale.Age.Count() != uint64(stats.Stale.Stale) || stats.Stale.Age.Max() <= 0 {
		t.Fatalf("stale ages not recorded: %d ages, max %d", stats.Stale.Age.Count(), stats.Stale.Age.Max())
	}
	r := NewEndpointResult(ep, "x", Load{Concurrency: 1}, stats, nil)
	if r.Stale.Stale != stats.Stale.Stale || r.Stale.AgeMaxUs <= 0 {
		t.Fatalf("report stale %+v", r.Stale)
	}

	// BatchGetItem answers are checked item by item.
	bspec := newSpec(t, 4, Mix{Batch: 1, Update: 1}, "uniform")
	bspec.Table = "btab"
	bst := loadSpec(t, c, bspec)
	bstats := Drive(c, Load{Concurrency: 1, Operations: 100, Duration: 5 * time.Second}, func(w int) Worker { return bspec.NewWorker(bst, w) })
	if bstats.Stale.Stale == 0 || bstats.Stale.Checked < 50 {
		t.Fatalf("batch: %d stale of %d checked", bstats.Stale.Stale, bstats.Stale.Checked)
	}
}

var verRE = regexp.MustCompile(`"ver":\{"N":"[0-9]+"\}`)

// simClock is a simulated clock: time moves only when Sleep or advance
// is called, so a run's latencies are exact.
type simClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) Sleep(d time.Duration) {
	if d > 0 {
		c.advance(d)
	}
}

func (c *simClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestOpenLoopCorrectsCoordinatedOmission drives a simulated server on a
// simulated clock: every operation takes 200µs, except the 50th, which
// stalls 300ms. At 1000 ops/s for 600ms (one worker), the open loop
// schedules operation i at i ms and measures from there: the ~374
// operations scheduled during the stall and the catch-up show it, their
// latencies falling by 0.8ms each from 299.4ms. The closed loop sees one
// slow operation among ~1500.
func TestOpenLoopCorrectsCoordinatedOmission(t *testing.T) {
	const service, stall = 200 * time.Microsecond, 300 * time.Millisecond
	run := func(rate float64) *Histogram {
		t.Helper()
		clock := &simClock{now: time.Unix(1700000000, 0)}
		var n int
		worker := func(int) Worker {
			return WorkerFunc(func(*Session) (string, error) {
				n++
				if n == 50 {
					clock.advance(stall)
				}
				clock.advance(service)
				return "get", nil
			})
		}
		c, err := NewClient("http://127.0.0.1:9", 1) // never called
		if err != nil {
			t.Fatal(err)
		}
		st := Drive(c, Load{Concurrency: 1, Rate: rate, Duration: 600 * time.Millisecond, Clock: clock}, worker)
		return &st.Ops["get"].Hist
	}
	// within checks a histogram value against its exact value (the
	// histogram keeps 1/128 relative precision).
	within := func(what string, got int64, want time.Duration) {
		t.Helper()
		if d := float64(got) - float64(want); d > float64(want)/100 || d < -float64(want)/100 {
			t.Errorf("%s = %v, want %v", what, time.Duration(got), want)
		}
	}

	open := run(1000)
	if open.Count() != 600 {
		t.Fatalf("open loop ran %d operations, want 600 (one per scheduled ms)", open.Count())
	}
	within("open loop max", open.Max(), stall+service)
	// Ascending rank 450 of 600 is the 151st largest: after the stalled
	// operation itself, operation 50+149, 299.4ms - 149*0.8ms late; rank
	// 300 is operation 50+299.
	within("open loop p75", open.Quantile(0.75), 299400*time.Microsecond-149*800*time.Microsecond)
	within("open loop p50", open.Quantile(0.50), 299400*time.Microsecond-299*800*time.Microsecond)
	within("open loop p10", open.Quantile(0.10), service)

	closed := run(0)
	if want := uint64(1 + (600*time.Millisecond-stall-service)/service + 1); closed.Count()+1 < want || closed.Count() > want+1 {
		t.Fatalf("closed loop ran %d operations, want %d", closed.Count(), want)
	}
	within("closed loop max", closed.Max(), stall+service)
	within("closed loop p99", closed.Quantile(0.99), service)
}

func TestReportJSONAndHTML(t *testing.T) {
	ep, _ := startStore(t, nil)
	c := newTestClient(t, ep)
	spec := newSpec(t, 50, Mix{Read: 1, Update: 1}, "hotspot")
	st := loadSpec(t, c, spec)
	stats := Drive(c, Load{Concurrency: 2, Duration: 300 * time.Millisecond}, func(w int) Worker { return spec.NewWorker(st, w) })
	cache := CacheDelta(map[string]float64{"ItemCacheHits": 10, "ItemCacheMisses": 5}, map[string]float64{"ItemCacheHits": 40, "ItemCacheMisses": 15, "QueryCacheHits": 1})
	rep := &Report{Generated: time.Now(), Settings: map[string]string{"workload": "custom <&>"}, Results: []*EndpointResult{
		NewEndpointResult(ep, "custom", Load{Concurrency: 2}, stats, cache),
		NewEndpointResult("http://other&<x>", "custom", Load{Concurrency: 2, Rate: 100}, stats, nil),
	}}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{`"p50_us"`, `"p90_us"`, `"p99_us"`, `"p999_us"`, `"max_us"`, `"throughput_ops"`, `"hit_ratio"`, `"endpoint": "` + ep + `"`, `"per_second"`, `"stale"`, `"operations"`} {
		if !strings.Contains(js.String(), f) {
			t.Errorf("JSON lacks %s", f)
		}
	}
	var back struct {
		Results []struct {
			Endpoint string
			HitRatio *float64 `json:"hit_ratio"`
			Count    int64    `json:"count"`
		}
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Results[0].HitRatio == nil || *back.Results[0].HitRatio < 0.7 || *back.Results[0].HitRatio > 0.8 {
		t.Errorf("hit ratio %v, want 31/41", back.Results[0].HitRatio)
	}
	if back.Results[0].Count != int64(stats.All().Hist.Count()) || back.Results[0].Count == 0 {
		t.Errorf("count %d", back.Results[0].Count)
	}

	var page bytes.Buffer
	if err := rep.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(page.Bytes()))
	d.Strict = true
	polylines, cells := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("HTML does not parse: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "polyline":
				polylines++
			case "td":
				cells++
			case "script", "link", "img":
				t.Errorf("page has a <%s>", se.Name.Local)
			}
		}
	}
	if polylines != 4 || cells == 0 {
		t.Errorf("%d polylines (want 2 plots × 2 series), %d cells", polylines, cells)
	}
	for _, want := range []string{ep, "GetItem", "UpdateItem", "http://other&amp;&lt;x&gt;"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "hit ratio 75.6%") || !strings.Contains(table.String(), "p99.9") {
		t.Errorf("table:\n%s", table.String())
	}
}

func TestParseMetrics(t *testing.T) {
	m := ParseMetrics([]byte("# HELP ItemCacheHits x\n# TYPE ItemCacheHits counter\nItemCacheHits 12\nRequestLatencySeconds_bucket{le=\"1\"} 3\nEstimatedDbSize 1.5e+06\nbad line here\n"))
	if m["ItemCacheHits"] != 12 || m["EstimatedDbSize"] != 1.5e6 || len(m) != 2 {
		t.Fatalf("%v", m)
	}
	if CacheDelta(nil, m) != nil {
		t.Fatal("delta without before")
	}
}

func TestAPIErrorType(t *testing.T) {
	e := apiError(400, []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"x"}`))
	if e.Type != "ConditionalCheckFailedException" {
		t.Fatal(e.Type)
	}
	if e := apiError(500, []byte(`oops`)); e.Type != "HTTP500" {
		t.Fatal(e.Type)
	}
	if ErrorType(io.EOF) != "transport" {
		t.Fatal("transport")
	}
}

func TestRunAndProgressBar(t *testing.T) {
	ep, cnt := startStore(t, nil)
	c := newTestClient(t, ep)
	spec := newSpec(t, 500, Mix{Read: 1}, "uniform")
	if err := spec.CreateTable(c); err != nil {
		t.Fatal(err)
	}
	var bar bytes.Buffer
	if err := spec.LoadData(c, 1, &bar, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bar.String(), "500 items done") {
		t.Fatalf("progress: %q", bar.String())
	}
	if err := Setup(c, "rtab", "get", 20); err != nil {
		t.Fatal(err)
	}
	op, _ := NewOp("get", "rtab", 20)
	cnt.reset()
	res := Run("get", c, 2, 100*time.Millisecond, op)
	if res.Ops == 0 || int64(res.Ops) != cnt.get("GetItem") || res.Errors != 0 || res.P50 > res.P99 || res.P99 > res.Max {
		t.Fatalf("%+v (server saw %d)", res, cnt.get("GetItem"))
	}
	if !strings.Contains(res.String(), "p99.9") {
		t.Fatal(res.String())
	}
}

func TestFixedServerFloor(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ServeFixed(ln) }()
	t.Cleanup(func() { ln.Close() })
	c := newTestClient(t, "http://"+ln.Addr().String())
	if err := Setup(c, "fixed", "get", 3); err != nil {
		t.Fatal(err)
	}
	op, _ := NewOp("get", "fixed", 3)
	st := Drive(c, Load{Concurrency: 2, Operations: 50, Duration: 5 * time.Second}, func(w int) Worker { return MicroWorker("get", op, 1, w) })
	if o := st.Ops["get"]; o == nil || o.Hist.Count() != 50 || len(o.Errors) != 0 {
		t.Fatalf("%+v", o)
	}
}
