package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/cryptfs"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/proxy"
	"github.com/dynax/dynax/store"
	"github.com/dynax/dynax/storebackend"
)

// storeFlags are the flags of a storage node.
type storeFlags struct {
	listen      string
	dataDir     string
	account     string
	createDelay time.Duration
	noSync      bool
	walInterval time.Duration
	logLevel    string
	// Change log, streams and TTL.
	ttlInterval     time.Duration
	shardRollover   time.Duration
	s3Endpoint      string
	s3PathStyle     bool
	kinesisEndpoint string
	kmsKeyFile      string
	feedRetention   time.Duration
	logTrimInterval time.Duration
	// capacity is store.Options.Capacity: "enforce" or "off".
	capacity string
	// Authentication, TLS, audit (security.go).
	sec securityFlags
	// Global tables: Region and peers (regions.go).
	global globalFlags
	// console: serve the web console (console.go).
	console *bool
	// autoscalingPeriod is how long one minute of the auto scaler lasts
	// (autoscaling.go).
	autoscalingPeriod time.Duration
}

func (f *storeFlags) register(fs *flag.FlagSet, defListen string) {
	fs.StringVar(&f.listen, "listen", defListen, "address to serve the DynamoDB API on (host:port; port 0 picks a free port)")
	fs.StringVar(&f.dataDir, "data-dir", "./dynax-data", "directory holding the node's data")
	fs.StringVar(&f.account, "account", "000000000000", "AWS account id shown in ARNs")
	fs.DurationVar(&f.createDelay, "create-delay", 0, "keep new tables CREATING (and deleted ones DELETING) this long, like DynamoDB (default 0: ACTIVE at once)")
	fs.DurationVar(&f.walInterval, "wal-min-sync-interval", 0, "shortest time between two WAL syncs; writes arriving meanwhile share the next sync (bigger group commits for a little latency; default 0)")
	fs.BoolVar(&f.noSync, "unsafe-no-sync", false, "do not sync the write-ahead log (faster, but acknowledged writes can be lost on a crash; default false)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&f.ttlInterval, "ttl-interval", time.Second, "how often the Time to Live expirer deletes expired items (DynamoDB takes up to days)")
	fs.DurationVar(&f.shardRollover, "stream-shard-rollover", 4*time.Hour, "how long a DynamoDB Streams shard stays open before a child shard replaces it")
	fs.DurationVar(&f.feedRetention, "changelog-retention", 5*time.Minute, "how long the change log keeps records for change-feed followers (streams keep 24h on top)")
	fs.DurationVar(&f.logTrimInterval, "changelog-trim-interval", time.Second, "how often change records past every retention are reclaimed and stream shards rolled over")
	fs.StringVar(&f.s3Endpoint, "s3-endpoint", "", "S3-compatible endpoint for exports and imports, used through the AWS credentials chain (default \"\": buckets are directories under <data-dir>/s3/)")
	fs.BoolVar(&f.s3PathStyle, "s3-path-style", false, "address S3 buckets as <endpoint>/<bucket> (most S3-compatible servers need it)")
	fs.StringVar(&f.kmsKeyFile, "kms-key-file", "", "encrypt every file of the data directory at rest under this master key (32 raw bytes or 64 hex digits), or a JSON keyring {\"default\":ARN,\"keys\":{ARN:hex,…}} whose named keys tables select with SSESpecification KMSMasterKeyId (their items are sealed under it as well); the same keys are needed to open the directory again (default \"\": not encrypted)")
	f.sec.register(fs)
	f.global.register(fs)
	f.console = consoleFlag(fs)
	fs.StringVar(&f.capacity, "capacity", store.CapacityOff, "enforce: throttle requests over tables' and GSIs' provisioned throughput (with 300 s of burst), on-demand maxima and per-partition limits, as DynamoDB does; off: only count consumed capacity. A table's tag "+store.CapacityTagKey+"=enforce|off overrides it")
	fs.DurationVar(&f.autoscalingPeriod, "autoscaling-period", time.Minute, "how long one minute of Application Auto Scaling lasts: the data points, alarm periods and cooldowns of target tracking are counted in it (compress it for tests and experiments; not with --regions)")
	fs.StringVar(&f.kinesisEndpoint, "kinesis-endpoint", "", "Kinesis-compatible endpoint for Kinesis Data Streams destinations (default \"\": real Kinesis in the stream's Region)")
}

func runStore(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("store", "Runs the DynamoDB-compatible storage node alone.", stderr)
	var f storeFlags
	f.register(fs, "127.0.0.1:8001")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "dynax store:", err)
		return 2
	}
	if err := errors.Join(f.sec.load(), f.global.load()); err != nil {
		fmt.Fprintln(stderr, "dynax store:", err)
		return 2
	}
	return serveNode(&f, stderr)
}

func runServe(args []string, stdout, stderr io.Writer) (code int) {
	fs := newFlagSet("serve", `Runs the all-in-one dynax node: the caching proxy on --listen (where
applications point) in front of the storage node, which runs in the same
process (a cache miss is a function call, not an HTTP hop). The storage node
is also served directly on --store-listen. GET /metrics on --listen serves
the proxy's Prometheus metrics and the storage node's, on --store-listen the
storage node's (docs/metrics.md).`, stderr)
	var f storeFlags
	f.register(fs, "127.0.0.1:8000")
	storeListen := fs.String("store-listen", "127.0.0.1:8001", "address to also serve the storage node directly on, bypassing the cache (\"\" to disable)")
	var cf cacheFlags
	cf.register(fs)
	var clf clusterFlags
	clf.register(fs, true)
	var ff feedFlags
	ff.register(fs)
	regions := fs.String("regions", "", "run one storage node per Region instead (comma-separated, e.g. us-east-1,us-west-2,eu-west-1) on consecutive ports from --listen's, data in --data-dir/<region>, each the peer of the others: global tables on one machine (no cache)")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "dynax serve:", err)
		return 2
	}
	if *regions != "" {
		if err := errors.Join(f.sec.load(), f.global.load()); err != nil {
			fmt.Fprintln(stderr, "dynax serve:", err)
			return 2
		}
		return serveRegions(&f, *regions, stderr)
	}
	opts, err := cf.options()
	if err == nil {
		err = ff.check()
	}
	if err == nil {
		err = f.sec.load()
	}
	if err != nil {
		fmt.Fprintln(stderr, "dynax serve:", err)
		return 2
	}
	log, err := newLogger(f.logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "dynax serve:", err)
		return 2
	}
	node, err := openNode(&f, log)
	if err != nil {
		log.Error("cannot open the store", "err", err)
		return 1
	}
	// Runs last, after the servers and the proxy stopped.
	defer func() { code = closeNode(log, node, code) }()
	scaler, err := openAutoScaling(&f, node, log)
	if err != nil {
		log.Error("cannot start auto scaling", "err", err)
		return 1
	}
	defer scaler.Close()
	opts.Backend = &storebackend.Backend{Node: node, Logger: log}
	opts.Logger = log
	opts.Guard = f.sec.guard(node, f.account)
	auditor, closeAudit, err := f.sec.openAudit(f.account, log)
	if err != nil {
		log.Error("cannot open the audit log", "err", err)
		return 1
	}
	defer closeAudit()
	opts.Audit = auditor
	p, err := proxy.New(opts)
	if err != nil {
		fmt.Fprintln(stderr, "dynax serve:", err)
		return 2
	}
	defer p.Close()
	if ff.mode != "off" {
		stopFeed, err := followFeed(p, node.Feed(), log)
		if err != nil {
			fmt.Fprintln(stderr, "dynax serve:", err)
			return 2
		}
		defer stopFeed()
	}
	cr, err := clf.start(fs, p, log, f.dataDir, f.logLevel, &f.sec)
	if err != nil {
		log.Error("cannot start the cache cluster", "err", err)
		return 1
	}
	defer cr.Close()
	ln, err := f.sec.listen(f.listen)
	if err != nil {
		log.Error("cannot listen", "addr", f.listen, "err", err)
		return 1
	}
	var sln net.Listener
	if *storeListen != "" {
		if sln, err = f.sec.listen(*storeListen); err != nil {
			ln.Close()
			log.Error("cannot listen", "addr", *storeListen, "err", err)
			return 1
		}
	}
	cons, err := newConsole(*f.console, "serve", &f.sec, p, cr, node)
	if err != nil {
		fmt.Fprintln(stderr, "dynax serve:", err)
		return 2
	}
	done := make(chan error, 2)
	psrv := mountConsole(cons, p.Server())
	psrv.Handler = withAutoScaling(scaler, node, log, withServeMetrics(p, node, psrv.Handler))
	go func() { done <- psrv.Serve(ln) }()
	srvs := []*fasthttp.Server{psrv}
	log.Info("dynax listening", "addr", ln.Addr().String(), "endpoint", f.sec.scheme()+"://"+ln.Addr().String(), "data_dir", f.dataDir, "auth", f.sec.mode,
		"item_ttl", opts.ItemTTL, "query_ttl", opts.QueryTTL, "cache_size", formatBytes(opts.CacheBytes),
		"query_invalidation", opts.Invalidation.String())
	if sln != nil {
		ws := wire.NewServer(node, log)
		ws.Verifier = node.Verifier()
		ws.Audit = auditor
		ssrv := storeServer(ws, cons, node, withScaler(scaler, node, log))
		go func() { done <- ssrv.Serve(sln) }()
		defer func() {
			if err := ssrv.Shutdown(); err != nil {
				log.Error("storage node server shutdown", "err", err)
				code = max(code, 1)
			}
		}()
		log.Info("storage node listening (uncached)", "store_addr", sln.Addr().String(), "store_endpoint", f.sec.scheme()+"://"+sln.Addr().String())
	}
	return waitAndStop(log, done, srvs...)
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("bad --log-level %q", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// openNode opens the store with the node flags.
func openNode(f *storeFlags, log *slog.Logger) (*store.Node, error) {
	var fsys vfs.FS
	var keyring *cryptfs.Keyring
	if f.kmsKeyFile != "" {
		kr, err := cryptfs.LoadKeyring(f.kmsKeyFile)
		if err != nil {
			return nil, err
		}
		if fsys, err = cryptfs.New(vfs.Default, kr.Default()); err != nil {
			return nil, err
		}
		keyring = kr
	}
	return store.Open(store.Options{
		FS:                  fsys,
		Dir:                 f.dataDir,
		Account:             f.account,
		CreateDelay:         f.createDelay,
		NoSync:              f.noSync,
		WALMinSyncInterval:  f.walInterval,
		TTLInterval:         f.ttlInterval,
		StreamShardRollover: f.shardRollover,
		ChangeFeedRetention: f.feedRetention,
		LogTrimInterval:     f.logTrimInterval,
		S3Endpoint:          f.s3Endpoint,
		S3PathStyle:         f.s3PathStyle,
		KinesisEndpoint:     f.kinesisEndpoint,
		Users:               f.sec.users,
		Keyring:             keyring,
		Region:              f.global.region,
		Peers:               f.global.peers,
		PeerSecret:          f.global.secret,
		Logger:              log,
		Capacity:            f.capacity,
	})
}

// serveNode opens the store and serves it until SIGINT or SIGTERM. It
// exits 1 when the server or closing the store failed.
func serveNode(f *storeFlags, stderr io.Writer) (code int) {
	log, err := newLogger(f.logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "dynax:", err)
		return 2
	}
	node, err := openNode(f, log)
	if err != nil {
		log.Error("cannot open the store", "err", err)
		return 1
	}
	defer func() { code = closeNode(log, node, code) }()
	scaler, err := openAutoScaling(f, node, log)
	if err != nil {
		log.Error("cannot start auto scaling", "err", err)
		return 1
	}
	defer scaler.Close()
	ln, err := f.sec.listen(f.listen)
	if err != nil {
		log.Error("cannot listen", "addr", f.listen, "err", err)
		return 1
	}
	auditor, closeAudit, err := f.sec.openAudit(f.account, log)
	if err != nil {
		log.Error("cannot open the audit log", "err", err)
		return 1
	}
	defer closeAudit()
	ws := wire.NewServer(node, log)
	ws.Verifier = node.Verifier()
	ws.Audit = auditor
	cons, err := newConsole(*f.console, "store", &f.sec, nil, nil, node)
	if err != nil {
		log.Error("console", "err", err)
		return 1
	}
	srv := storeServer(ws, cons, node, withScaler(scaler, node, log))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Info("dynax storage node listening", "addr", ln.Addr().String(), "data_dir", f.dataDir, "endpoint", f.sec.scheme()+"://"+ln.Addr().String(), "auth", f.sec.mode)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case s := <-sig:
		log.Info("shutting down", "signal", s.String())
		if err := srv.Shutdown(); err != nil {
			log.Error("server shutdown", "err", err)
			return 1
		}
		if err := <-done; err != nil {
			log.Error("server stopped", "err", err)
			return 1
		}
	case err := <-done:
		if err != nil {
			log.Error("server stopped", "err", err)
			return 1
		}
	}
	return 0
}
