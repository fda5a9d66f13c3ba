package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/dynax/dynax/bench"
	"github.com/dynax/dynax/cache"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/proxy"
	"github.com/dynax/dynax/store"
	"github.com/dynax/dynax/storebackend"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// benchFlags are the flags of `dynax bench`.
type benchFlags struct {
	endpoints                listFlag
	workload, ops, conc      string
	dur, warmup              time.Duration
	operations               int64
	rate                     float64
	rounds, records          int
	table                    string
	seed                     uint64
	dist                     string
	theta, hotData, hotOps   float64
	read, update, insert     float64
	query, batch, rmw        float64
	consistent               float64
	itemSize                 string
	maxScan, partSize, bsize int
	jsonOut, htmlOut         string
	client, region           string
	sign, noLoad             bool
	writeEndpoint            string
	loadConc                 int
	spread, splitReads       bool
}

// parseEndpoint splits a --endpoint value: "name=URL" or a bare URL.
func parseEndpoint(v string) (name, url string) {
	if i := strings.Index(v, "="); i > 0 && !strings.Contains(v[:i], "/") && !strings.Contains(v[:i], ":") {
		return v[:i], v[i+1:]
	}
	return "", v
}

func (f *benchFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.endpoints, "endpoint", "endpoint to measure, URL or name=URL (repeatable; required; reports and plots show the name); endpoints are measured in interleaved rounds")
	fs.BoolVar(&f.spread, "spread", false, "treat the endpoints as the nodes of one cache cluster: one workload, each operation sent to a random node; reports stale reads, per-node hit ratios, and reads split into local hits, forwarded hits and misses (fast client only)")
	fs.BoolVar(&f.splitReads, "split-reads", false, "report GetItem by how a dynax proxy served it: hit, forwarded-hit (from the key's owner in a cluster), miss, bypass (on with --spread)")
	fs.StringVar(&f.workload, "workload", "a", "YCSB core workload a, b, c, d, e or f, or custom (mix from --read/--update/--insert/--query/--rmw/--batch); ignored with --ops")
	fs.StringVar(&f.ops, "ops", "", "micro-benchmarks instead of a workload, comma-separated: "+strings.Join(bench.Ops, ", ")+" (query reads 100 items of one partition; scan reads the whole table page by page; txnN is TransactWriteItems of N Puts)")
	fs.StringVar(&f.conc, "concurrency", "1,16", "comma-separated worker counts, each measured in turn (open loop: the most operations in flight)")
	fs.DurationVar(&f.dur, "duration", 5*time.Second, "measured duration of each run (after --warmup); 0 with --operations: until done")
	fs.Int64Var(&f.operations, "operations", 0, "end each run after this many measured operations (0: no limit)")
	fs.Float64Var(&f.rate, "rate", 0, "open loop: total operations per second, latency measured from each operation's intended start (coordinated-omission correction); 0 = closed loop")
	fs.DurationVar(&f.warmup, "warmup", 0, "unmeasured warm-up at the start of each run")
	fs.IntVar(&f.rounds, "rounds", 2, "interleaved rounds per endpoint (A B A B …); results merge the rounds")
	fs.IntVar(&f.records, "records", 10000, "items loaded before measuring")
	fs.StringVar(&f.table, "table", "dynax_bench", "table to create and use (workloads use <table>_ycsb)")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed: every endpoint gets the same operation sequence")
	fs.StringVar(&f.dist, "distribution", "", "key distribution: uniform, zipfian, latest or hotspot (default: the workload's, zipfian for custom)")
	fs.Float64Var(&f.theta, "theta", 0.99, "zipfian constant (YCSB's scrambled zipfian)")
	fs.Float64Var(&f.hotData, "hot-data", 0.2, "hotspot: share of the keys that are hot")
	fs.Float64Var(&f.hotOps, "hot-ops", 0.8, "hotspot: share of the operations that go to hot keys")
	fs.Float64Var(&f.read, "read", 0, "custom: share of GetItem")
	fs.Float64Var(&f.update, "update", 0, "custom: share of UpdateItem")
	fs.Float64Var(&f.insert, "insert", 0, "custom: share of PutItem of new keys")
	fs.Float64Var(&f.query, "query", 0, "custom: share of Query of a partition range (YCSB scan)")
	fs.Float64Var(&f.rmw, "rmw", 0, "custom: share of read-modify-write (GetItem, then PutItem conditional on the version)")
	fs.Float64Var(&f.batch, "batch", 0, "custom: share of BatchGetItem of --batch-size keys")
	fs.Float64Var(&f.consistent, "consistent", 0, "share of reads sent with ConsistentRead=true (0..1)")
	fs.StringVar(&f.itemSize, "item-size", "100", "payload bytes per item: N (fixed) or MIN..MAX (uniform)")
	fs.IntVar(&f.maxScan, "max-scan", 100, "longest Query (items) of the scan operation; lengths are uniform in 1..max")
	fs.IntVar(&f.partSize, "partition-size", 100, "items per partition key in the workload table")
	fs.IntVar(&f.bsize, "batch-size", 10, "keys per BatchGetItem")
	fs.StringVar(&f.jsonOut, "json", "", "write the results as JSON to this file")
	fs.StringVar(&f.htmlOut, "html", "", "write a self-contained HTML report (inline SVG plots) to this file")
	fs.StringVar(&f.client, "client", "fast", "client: fast (lean fasthttp client, SigV4-signed) or sdk (AWS SDK for Go v2, no retries; workloads only, data still loaded with the fast client)")
	fs.StringVar(&f.region, "region", "us-east-1", "region used in signatures (the AWS config's region wins for non-loopback endpoints)")
	fs.BoolVar(&f.sign, "sign", true, "sign requests with SigV4 (credentials from the standard AWS chain; static test credentials for loopback endpoints without any); false sends a dummy signature")
	fs.BoolVar(&f.noLoad, "no-load", false, "do not create the table nor load data (it is already there)")
	fs.IntVar(&f.loadConc, "load-concurrency", 8, "BatchWriteItem calls in flight while loading")
	fs.StringVar(&f.writeEndpoint, "write-endpoint", "", "send every write of the workload (updates, inserts, read-modify-write puts) to this endpoint instead of the measured one, e.g. the store behind a proxy: the stale-read check then shows how stale the cache serves writes it did not see (fast client only)")
}

func runBench(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "fixed-server" {
		return runFixedServer(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "sweep" {
		return runSweep(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "streams" {
		return runBenchStreams(args[1:], stdout, stderr)
	}
	fs := newFlagSet("bench", `Measures the latency and throughput of DynamoDB endpoints (dynax store, dynax
proxy, DynamoDB, dynalite, …) with a lean keep-alive HTTP client signing with
SigV4. It loads --records items (BatchWriteItem), then runs the same workload
with the same seed against every endpoint, in interleaved rounds (A B A B …)
to cancel machine drift. Workloads are the YCSB core workloads a–f mapped to
DynamoDB, a custom mix, or micro-benchmarks (--ops). Closed loop by default;
--rate selects an open loop with coordinated-omission correction. When an
endpoint is a dynax proxy, its cache hit ratios are read from GET /metrics.
Reads are checked against the last acknowledged write of their key (stale
reads). 'dynax bench fixed-server' runs a server that answers every request
with a fixed GetItem body: the floor. 'dynax bench streams' measures
DynamoDB Streams (ack-to-record latency, GetRecords throughput). See
docs/benchmarking.md.`, stderr)
	var f benchFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "dynax bench:", err)
		return 2
	}
	rep, code := benchMain(&f, stdout, stderr)
	if rep == nil {
		return code
	}
	if err := writeReports(&f, rep, stdout); err != nil {
		fmt.Fprintln(stderr, "dynax bench:", err)
		return 1
	}
	return code
}

func writeReports(f *benchFlags, rep *bench.Report, stdout io.Writer) error {
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	write := func(name string, fn func(io.Writer) error) error {
		if name == "" {
			return nil
		}
		file, err := os.Create(name)
		if err != nil {
			return err
		}
		if err := fn(file); err != nil {
			file.Close()
			return err
		}
		return file.Close()
	}
	if err := write(f.jsonOut, rep.WriteJSON); err != nil {
		return err
	}
	return write(f.htmlOut, rep.WriteHTML)
}

// isLoopback reports whether the endpoint URL names this machine.
func isLoopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// signerFor returns the SigV4 signer of an endpoint: credentials from the
// standard AWS chain, or static test credentials for a loopback endpoint
// when the chain has none (a loopback endpoint does not consult IMDS or SSO:
// only the environment).
func signerFor(endpoint, region string) (*bench.Signer, error) {
	if isLoopback(endpoint) {
		creds := bench.TestCredentials
		if id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
			creds = bench.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
		}
		return bench.NewSigner(creds, region), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("AWS config: %w", err)
	}
	if os.Getenv("AWS_REGION") != "" || os.Getenv("AWS_DEFAULT_REGION") != "" {
		region = cfg.Region
	}
	if cfg.Credentials == nil {
		return nil, errors.New("no AWS credentials found")
	}
	provider := cfg.Credentials // an aws.CredentialsCache: cheap until expiry
	s, err := bench.NewRefreshingSigner(func() (bench.Credentials, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := provider.Retrieve(ctx)
		return bench.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}, err
	}, region)
	if err != nil {
		return nil, fmt.Errorf("AWS credentials: %w", err)
	}
	return s, nil
}

// sdkClientFor returns an AWS SDK for Go v2 DynamoDB client for endpoint:
// the standard configuration chain (static test credentials for a loopback
// endpoint when the environment has none), no retries (every error is
// counted), conns keep-alive connections.
func sdkClientFor(endpoint, region string, conns int) (*dynamodb.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(region),
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns, t.MaxIdleConnsPerHost = conns, conns
		})),
	}
	if isLoopback(endpoint) && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		c := bench.TestCredentials
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS config: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) }), nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// benchMain runs the benchmark; it returns the report (nil on a failure
// before any measurement) and the exit code.
func benchMain(f *benchFlags, stdout, stderr io.Writer) (*bench.Report, int) {
	fail := func(code int, format string, a ...any) (*bench.Report, int) {
		fmt.Fprintf(stderr, "dynax bench: "+format+"\n", a...)
		return nil, code
	}
	if len(f.endpoints) == 0 {
		return fail(2, "at least one --endpoint is required")
	}
	if f.client != "fast" && f.client != "sdk" {
		return fail(2, "bad --client %q (want fast or sdk)", f.client)
	}
	if f.client == "sdk" && f.ops != "" {
		return fail(2, "--client sdk runs workloads, not --ops micro-benchmarks")
	}
	var concs []int
	for _, s := range strings.Split(f.conc, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || c < 1 {
			return fail(2, "bad --concurrency %q", f.conc)
		}
		concs = append(concs, c)
	}
	if f.dur <= 0 && f.operations <= 0 {
		return fail(2, "one of --duration and --operations must be positive")
	}
	if f.rate < 0 || f.rounds < 1 || f.records < 1 {
		return fail(2, "--rate must not be negative, --rounds and --records must be positive")
	}
	if f.consistent < 0 || f.consistent > 1 {
		return fail(2, "--consistent must be in 0..1")
	}
	clients := make([]*bench.Client, len(f.endpoints))
	urls := make([]string, len(f.endpoints))
	for i, raw := range f.endpoints {
		name, ep := parseEndpoint(raw)
		urls[i] = ep
		c, err := bench.NewClient(ep, 1024)
		if err != nil {
			return fail(2, "%v", err)
		}
		c.Name = name
		if f.sign {
			if c.Signer, err = signerFor(ep, f.region); err != nil {
				return fail(2, "%s: %v", ep, err)
			}
		}
		clients[i] = c
	}
	if f.spread {
		if f.client == "sdk" {
			return fail(2, "--spread works with the fast client only")
		}
		clients = []*bench.Client{bench.NewSpread(clients)}
		f.splitReads = true
	}
	settings := map[string]string{
		"concurrency": f.conc, "duration": f.dur.String(), "operations": strconv.FormatInt(f.operations, 10),
		"rate": strconv.FormatFloat(f.rate, 'g', -1, 64), "warmup": f.warmup.String(), "rounds": strconv.Itoa(f.rounds),
		"records": strconv.Itoa(f.records), "seed": strconv.FormatUint(f.seed, 10),
	}
	var runs []benchRun
	if f.ops != "" {
		settings["ops"] = f.ops
		m, err := microRuns(f, clients, stderr)
		if err != nil {
			return fail(1, "%v", err)
		}
		runs = m
	} else {
		spec, name, err := workloadSpec(f)
		if err != nil {
			return fail(2, "%v", err)
		}
		settings["workload"] = name
		settings["distribution"] = f.dist
		settings["item_size"] = f.itemSize
		states := make([]*bench.State, len(clients))
		tty := isTerminal(stderr)
		for i, c := range clients {
			states[i] = bench.NewState(f.records)
			if f.noLoad {
				continue
			}
			if err := spec.CreateTable(c); err != nil {
				return fail(1, "create table on %s: %v", c.Label(), err)
			}
			if err := spec.LoadData(c, f.loadConc, stderr, tty); err != nil {
				return fail(1, "load %s: %v", c.Label(), err)
			}
		}
		runs = []benchRun{{name, func(ep int) func(w int) bench.Worker {
			return func(w int) bench.Worker { return spec.NewWorker(states[ep], w) }
		}}}
		if f.writeEndpoint != "" {
			if f.client == "sdk" {
				return fail(2, "--write-endpoint works with the fast client only")
			}
			wname, wurl := parseEndpoint(f.writeEndpoint)
			wc, err := bench.NewClient(wurl, 1024)
			if err != nil {
				return fail(2, "%v", err)
			}
			wc.Name = wname
			if f.sign {
				if wc.Signer, err = signerFor(wurl, f.region); err != nil {
					return fail(2, "%s: %v", wurl, err)
				}
			}
			settings["write_endpoint"] = f.writeEndpoint
			runs[0].newWorkers = func(ep int) func(w int) bench.Worker {
				return func(w int) bench.Worker { return spec.NewWorkerWritingTo(states[ep], w, wc) }
			}
		}
		if f.client == "sdk" {
			sdks := make([]*dynamodb.Client, len(clients))
			for i, ep := range urls {
				if sdks[i], err = sdkClientFor(ep, f.region, 1024); err != nil {
					return fail(2, "%s: %v", ep, err)
				}
			}
			runs[0].newWorkers = func(ep int) func(w int) bench.Worker {
				return func(w int) bench.Worker { return spec.NewSDKWorker(sdks[ep], states[ep], w) }
			}
		}
	}
	rep := &bench.Report{Generated: time.Now(), Settings: settings}
	for _, run := range runs {
		measureRun(f, run, concs, clients, rep, stderr)
	}
	return rep, 0
}

// benchRun is one measured workload: per endpoint, a worker factory.
type benchRun struct {
	name       string
	newWorkers func(ep int) func(w int) bench.Worker
}

// measureRun measures run at every concurrency on every endpoint in
// interleaved rounds and adds the results to rep.
func measureRun(f *benchFlags, run benchRun, concs []int, clients []*bench.Client, rep *bench.Report, stderr io.Writer) {
	workloadName, newWorkers := run.name, run.newWorkers
	for _, conc := range concs {
		load := bench.Load{Concurrency: conc, Rate: f.rate, Duration: f.dur, Operations: f.operations, Warmup: f.warmup}
		merged := make([]*bench.Stats, len(clients))
		caches := make([]*bench.CacheReport, len(clients))
		nodeCaches := make([][]*bench.CacheReport, len(clients))
		for r := 0; r < f.rounds; r++ {
			for i, c := range clients {
				// A spread client's metrics are its nodes'.
				nodes := c.Nodes()
				if nodes == nil {
					nodes = []*bench.Client{c}
				}
				if nodeCaches[i] == nil {
					nodeCaches[i] = make([]*bench.CacheReport, len(nodes))
				}
				before := make([]map[string]float64, len(nodes))
				l := load
				l.OnMeasure = func() {
					for j, n := range nodes {
						before[j] = bench.ScrapeMetrics(n)
					}
				}
				st := bench.Drive(c, l, newWorkers(i))
				for j, n := range nodes {
					d := bench.CacheDelta(before[j], bench.ScrapeMetrics(n))
					nodeCaches[i][j] = nodeCaches[i][j].Merge(d)
					caches[i] = caches[i].Merge(d)
				}
				if merged[i] == nil {
					merged[i] = &bench.Stats{}
				}
				merged[i].Merge(st)
				one := bench.NewEndpointResult(c.Label(), workloadName, load, st, nil)
				fmt.Fprintf(stderr, "round %d/%d %s c=%d: %d ops, %.0f ops/s, p50 %.1f µs, p99 %.1f µs, errors %d\n",
					r+1, f.rounds, c.Label(), conc, one.Count, one.ThroughputOps, one.P50Us, one.P99Us, one.ErrorCount)
			}
		}
		for i, c := range clients {
			res := bench.NewEndpointResult(c.Label(), workloadName, load, merged[i], caches[i])
			for j, n := range c.Nodes() {
				nr := bench.NodeResult{Node: n.Label(), Cache: nodeCaches[i][j]}
				if nr.Cache != nil {
					nr.HitRatio = nr.Cache.HitRatio()
				}
				res.Nodes = append(res.Nodes, nr)
			}
			rep.Results = append(rep.Results, res)
		}
	}
}

// workloadSpec builds the workload of the flags.
func workloadSpec(f *benchFlags) (*bench.Spec, string, error) {
	name := strings.ToLower(f.workload)
	var mix bench.Mix
	dist := "zipfian"
	if name == "custom" {
		mix = bench.Mix{Read: f.read, Update: f.update, Insert: f.insert, Scan: f.query, RMW: f.rmw, Batch: f.batch}
		if mix.Read+mix.Update+mix.Insert+mix.Scan+mix.RMW+mix.Batch <= 0 {
			return nil, "", errors.New("--workload custom needs at least one of --read, --update, --insert, --query, --rmw, --batch")
		}
		for _, v := range []float64{f.read, f.update, f.insert, f.query, f.rmw, f.batch} {
			if v < 0 {
				return nil, "", errors.New("operation shares must not be negative")
			}
		}
	} else {
		p, ok := bench.Presets[name]
		if !ok {
			return nil, "", fmt.Errorf("unknown --workload %q (want a, b, c, d, e, f or custom)", f.workload)
		}
		mix, dist = p.Mix, p.Dist
	}
	if f.dist == "" {
		f.dist = dist
	}
	keys, err := bench.NewKeyChooser(f.dist, f.records, f.theta, f.hotData, f.hotOps)
	if err != nil {
		return nil, "", err
	}
	sizes, err := bench.ParseSize(f.itemSize)
	if err != nil {
		return nil, "", err
	}
	if sizes.Max > 350*1024 {
		return nil, "", errors.New("--item-size must stay below 350KiB (DynamoDB's item limit is 400KB)")
	}
	return &bench.Spec{
		Table: f.table + "_ycsb", Records: f.records, Mix: mix, Keys: keys, Sizes: sizes,
		Consistent: f.consistent, MaxScan: f.maxScan, PartitionSize: f.partSize, BatchSize: f.bsize, Seed: f.seed,
		SplitReads: f.splitReads,
	}, name, nil
}

// microRuns loads the data of the --ops micro-benchmarks and returns one
// run per op.
func microRuns(f *benchFlags, clients []*bench.Client, stderr io.Writer) ([]benchRun, error) {
	names := strings.Split(f.ops, ",")
	ops := make([]bench.Op, len(names))
	for i, n := range names {
		n = strings.TrimSpace(n)
		names[i] = n
		op, err := bench.NewOp(n, f.table, f.records)
		if err != nil {
			return nil, err
		}
		ops[i] = op
	}
	for _, c := range clients {
		base := false
		for _, op := range names {
			if op == "get" || op == "put" || op == "scan" {
				if base {
					continue
				}
				base = true
			}
			if f.noLoad {
				continue
			}
			fmt.Fprintf(stderr, "load %s: %s\n", c.Endpoint(), op)
			if err := bench.Setup(c, f.table, op, f.records); err != nil {
				return nil, fmt.Errorf("load %s: %w", c.Endpoint(), err)
			}
		}
	}
	runs := make([]benchRun, len(names))
	for i := range names {
		name, op := names[i], ops[i]
		runs[i] = benchRun{name, func(int) func(w int) bench.Worker {
			return func(w int) bench.Worker { return bench.MicroWorker(name, op, f.seed, w) }
		}}
	}
	return runs, nil
}

func runFixedServer(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench fixed-server", "Serves a fixed GetItem body to every request (the floor for HTTP latency).", stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "dynax bench fixed-server:", err)
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "dynax bench fixed-server:", err)
		return 1
	}
	fmt.Fprintf(stderr, "fixed server listening addr=%s\n", ln.Addr())
	if err := bench.ServeFixed(ln); err != nil {
		fmt.Fprintln(stderr, "dynax bench fixed-server:", err)
		return 1
	}
	return 0
}

// splitList splits a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// sweepPoint is one grid point of `dynax bench sweep`.
type sweepPoint struct {
	itemTTL, queryTTL time.Duration
	cacheSize         int64
	inv               string
	workload, dist    string
	theta             float64
	writeDirect       bool
}

func (p sweepPoint) label() string {
	l := fmt.Sprintf("item-ttl=%s query-ttl=%s cache-size=%s invalidation=%s workload=%s distribution=%s theta=%g",
		p.itemTTL, p.queryTTL, formatBytes(p.cacheSize), p.inv, p.workload, p.dist, p.theta)
	if p.writeDirect {
		l += " writes=direct"
	}
	return l
}

func runSweep(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench sweep", `Runs a grid of cache experiments: for every combination of the proxy settings
(--item-ttls, --query-ttls, --cache-sizes, --invalidations) and workload
parameters (--workloads, --distributions, --thetas) it starts a fresh
in-process storage node (temporary directory, WAL not synced) with the caching
proxy in front, loads --records items through the proxy, runs the workload
and reads the proxy's metrics. Each row of the report is one grid point
(its "endpoint" is the point's label). The other flags are those of
'dynax bench' (--endpoint is not used; --concurrency takes one value).`, stderr)
	var f benchFlags
	f.register(fs)
	itemTTLs := fs.String("item-ttls", "5m", "comma-separated item-cache TTLs to try")
	queryTTLs := fs.String("query-ttls", "5m", "comma-separated query-cache TTLs to try (0 disables the query cache)")
	sizes := fs.String("cache-sizes", "256MiB", "comma-separated cache budgets to try (e.g. 64KiB,1MiB,256MiB)")
	invs := fs.String("invalidations", "partition", "comma-separated query-invalidation modes to try: partition, table, none")
	workloads := fs.String("workloads", "a", "comma-separated workloads to try (a-f, custom)")
	dists := fs.String("distributions", "", "comma-separated key distributions to try (default: each workload's own)")
	thetas := fs.String("thetas", "0.99", "comma-separated zipfian constants to try")
	writeDirect := fs.Bool("write-direct", false, "send the workload's writes to the store directly (bypassing the proxy), reads through the proxy: stale reads then measure how stale the cache serves writes it did not see")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "dynax bench sweep:", err)
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "dynax bench sweep: "+format+"\n", a...)
		return 2
	}
	if len(f.endpoints) > 0 {
		return bad("--endpoint is not used: sweep starts its own store and proxy")
	}
	conc, err := strconv.Atoi(f.conc)
	if f.conc == "1,16" {
		conc, err = 16, nil
	}
	if err != nil || conc < 1 {
		return bad("--concurrency takes one positive value in a sweep")
	}
	if f.dur <= 0 && f.operations <= 0 {
		return bad("one of --duration and --operations must be positive")
	}
	var points []sweepPoint
	durs := func(s, name string) ([]time.Duration, error) {
		var out []time.Duration
		for _, v := range splitList(s) {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("bad --%s value %q", name, v)
			}
			out = append(out, d)
		}
		return out, nil
	}
	its, err := durs(*itemTTLs, "item-ttls")
	if err != nil {
		return bad("%v", err)
	}
	qts, err := durs(*queryTTLs, "query-ttls")
	if err != nil {
		return bad("%v", err)
	}
	var cs []int64
	for _, v := range splitList(*sizes) {
		n, err := parseBytes(v)
		if err != nil {
			return bad("%v", err)
		}
		cs = append(cs, n)
	}
	for _, v := range splitList(*invs) {
		if _, err := cache.ParseInvalidationMode(v); err != nil {
			return bad("bad --invalidations value %q", v)
		}
	}
	var ths []float64
	for _, v := range splitList(*thetas) {
		th, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return bad("bad --thetas value %q", v)
		}
		ths = append(ths, th)
	}
	dl := splitList(*dists)
	if len(dl) == 0 {
		dl = []string{""}
	}
	for _, it := range its {
		for _, qt := range qts {
			for _, c := range cs {
				for _, inv := range splitList(*invs) {
					for _, w := range splitList(*workloads) {
						for _, d := range dl {
							for _, th := range ths {
								points = append(points, sweepPoint{it, qt, c, inv, w, d, th, *writeDirect})
							}
						}
					}
				}
			}
		}
	}
	if len(points) == 0 {
		return bad("empty grid")
	}
	rep := &bench.Report{Generated: time.Now(), Settings: map[string]string{
		"sweep": strconv.Itoa(len(points)) + " points", "concurrency": strconv.Itoa(conc), "duration": f.dur.String(),
		"records": strconv.Itoa(f.records), "rate": strconv.FormatFloat(f.rate, 'g', -1, 64), "warmup": f.warmup.String(),
	}}
	for i, p := range points {
		fmt.Fprintf(stderr, "sweep point %d/%d: %s\n", i+1, len(points), p.label())
		r, err := sweepOne(&f, p, conc, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "dynax bench sweep: %s: %v\n", p.label(), err)
			return 1
		}
		rep.Results = append(rep.Results, r)
	}
	if err := writeReports(&f, rep, stdout); err != nil {
		fmt.Fprintln(stderr, "dynax bench sweep:", err)
		return 1
	}
	return 0
}

// sweepOne measures one grid point on a fresh store and proxy.
func sweepOne(f *benchFlags, p sweepPoint, conc int, stderr io.Writer) (_ *bench.EndpointResult, retErr error) {
	g := *f
	g.workload, g.dist, g.theta = p.workload, p.dist, p.theta
	spec, name, err := workloadSpec(&g)
	if err != nil {
		return nil, err
	}
	p.dist = g.dist
	dir, err := os.MkdirTemp("", "dynax-sweep-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	log := slog.New(slog.DiscardHandler)
	node, err := store.Open(store.Options{Dir: dir, NoSync: true, Logger: log})
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := node.Close(); cerr != nil && retErr == nil {
			retErr = fmt.Errorf("close store: %w", cerr)
		}
	}()
	mode, _ := cache.ParseInvalidationMode(p.inv)
	px, err := proxy.New(proxy.Options{Backend: &storebackend.Backend{Node: node, Logger: log}, ItemTTL: p.itemTTL, QueryTTL: p.queryTTL,
		CacheBytes: p.cacheSize, Invalidation: mode, Logger: log})
	if err != nil {
		return nil, err
	}
	defer px.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	stop := serveBackground(px.Server(), ln)
	defer func() {
		if serr := stop(); serr != nil && retErr == nil {
			retErr = fmt.Errorf("proxy server: %w", serr)
		}
	}()
	c, err := bench.NewClient("http://"+ln.Addr().String(), 1024)
	if err != nil {
		return nil, err
	}
	c.Signer = bench.NewSigner(bench.TestCredentials, f.region)
	if err := spec.CreateTable(c); err != nil {
		return nil, err
	}
	if err := spec.LoadData(c, f.loadConc, nil, false); err != nil {
		return nil, err
	}
	st := bench.NewState(f.records)
	newWorker := func(w int) bench.Worker { return spec.NewWorker(st, w) }
	if p.writeDirect {
		sln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		stop := serveBackground(wire.NewServer(node, log), sln)
		defer func() {
			if serr := stop(); serr != nil && retErr == nil {
				retErr = fmt.Errorf("storage node server: %w", serr)
			}
		}()
		wc, err := bench.NewClient("http://"+sln.Addr().String(), 1024)
		if err != nil {
			return nil, err
		}
		wc.Signer = c.Signer
		newWorker = func(w int) bench.Worker { return spec.NewWorkerWritingTo(st, w, wc) }
	}
	load := bench.Load{Concurrency: conc, Rate: f.rate, Duration: f.dur, Operations: f.operations, Warmup: f.warmup}
	var before map[string]float64
	l := load
	l.OnMeasure = func() { before = bench.ScrapeMetrics(c) }
	stats := bench.Drive(c, l, newWorker)
	after := bench.ScrapeMetrics(c)
	r := bench.NewEndpointResult(p.label(), name, load, stats, bench.CacheDelta(before, after))
	fmt.Fprintf(stderr, "  %d ops, %.0f ops/s, p50 %.1f µs, p99 %.1f µs, hit ratio %s, stale reads %d\n",
		r.Count, r.ThroughputOps, r.P50Us, r.P99Us, fmtRatio(r.HitRatio), r.Stale.Stale)
	return r, nil
}

func fmtRatio(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100**p)
}
