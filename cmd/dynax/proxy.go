package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/cache"
	"github.com/dynax/dynax/proxy"
)

// cacheFlags are the caching flags shared by `dynax proxy` and `dynax serve`.
type cacheFlags struct {
	itemTTL      time.Duration
	negativeTTL  time.Duration
	queryTTL     time.Duration
	cacheSize    byteSize
	invalidation string
}

func (f *cacheFlags) register(fs *flag.FlagSet) {
	f.cacheSize = proxy.DefaultCacheBytes
	fs.DurationVar(&f.itemTTL, "item-ttl", proxy.DefaultTTL, "lifetime of item-cache entries (GetItem, BatchGetItem); 0 = no time expiry, as DAX (DAX's record-ttl-millis)")
	fs.DurationVar(&f.negativeTTL, "negative-ttl", proxy.DefaultTTL, "lifetime of cached \"item not found\" answers; 0 = same as --item-ttl, negative (e.g. -1s) = do not cache them")
	fs.DurationVar(&f.queryTTL, "query-ttl", proxy.DefaultTTL, "lifetime of query-cache entries (Query, Scan); 0 disables the query cache, as DAX (DAX's query-ttl-millis)")
	fs.Var(&f.cacheSize, "cache-size", "memory `budget` of both caches, e.g. 256MiB, 1GiB, 500MB (the query cache gets a quarter of it when enabled)")
	fs.StringVar(&f.invalidation, "query-invalidation", "partition", "what a write through the proxy invalidates in the query cache: partition (Queries of the written partition, Scans and index Queries of the table), table (every entry of the table) or none (nothing: DAX's behaviour, entries live until their TTL)")
}

func (f *cacheFlags) options() (proxy.Options, error) {
	mode, err := cache.ParseInvalidationMode(f.invalidation)
	if err != nil {
		return proxy.Options{}, fmt.Errorf("bad --query-invalidation %q (want partition, table or none)", f.invalidation)
	}
	if f.itemTTL < 0 || f.queryTTL < 0 {
		return proxy.Options{}, errors.New("--item-ttl and --query-ttl must not be negative")
	}
	return proxy.Options{
		ItemTTL:      f.itemTTL,
		NegativeTTL:  f.negativeTTL,
		QueryTTL:     f.queryTTL,
		CacheBytes:   int64(f.cacheSize),
		Invalidation: mode,
	}, nil
}

// byteSize is a flag holding a number of bytes with an optional unit.
type byteSize int64

func (b *byteSize) String() string { return formatBytes(int64(*b)) }

func (b *byteSize) Set(s string) error {
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1000}, {"mb", 1000 * 1000}, {"gb", 1000 * 1000 * 1000}, {"tb", 1000 * 1000 * 1000 * 1000},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40}, {"b", 1},
}

func parseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 || v*float64(mult) > 1<<50 {
		return 0, fmt.Errorf("bad size %q (want e.g. 256MiB, 1GiB, 500MB)", s)
	}
	return int64(v * float64(mult)), nil
}

func formatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// signFlag is --sign: true, false or auto (sign when the backend is https).
type signFlag string

func (s *signFlag) String() string   { return string(*s) }
func (s *signFlag) IsBoolFlag() bool { return true }
func (s *signFlag) Set(v string) error {
	switch strings.ToLower(v) {
	case "true", "1", "yes":
		*s = "true"
	case "false", "0", "no":
		*s = "false"
	case "auto":
		*s = "auto"
	default:
		return fmt.Errorf("want true, false or auto")
	}
	return nil
}

func runProxy(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("proxy", `Runs the DAX-style caching proxy: a DynamoDB endpoint that answers eventually
consistent GetItem, BatchGetItem, Query and Scan from memory, writes through
PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems and PartiQL
writes, and passes everything else to the backend unchanged. Point
applications at --listen instead of the backend. GET /metrics serves
Prometheus metrics (DAX's metric names).`, stderr)
	listen := fs.String("listen", "127.0.0.1:8000", "address to serve the DynamoDB API on (host:port; port 0 picks a free port)")
	backend := fs.String("backend", "http://127.0.0.1:8001", "backend endpoint URL: a dynax store, real DynamoDB (https://dynamodb.<region>.amazonaws.com), DynamoDB Local, dynalite …")
	streams := fs.String("streams-backend", "", "endpoint of the DynamoDB Streams API (default: --backend, or streams.dynamodb.<region>.amazonaws.com for an AWS endpoint)")
	sign := signFlag("auto")
	fs.Var(&sign, "sign", "re-sign backend requests with SigV4 using the proxy's own credentials from the standard AWS chain (environment, shared config, SSO, instance role): true, false or auto = only for an https backend")
	region := fs.String("region", "", "signing region (default: the AWS config's region, else us-east-1)")
	timeout := fs.Duration("backend-timeout", 10*time.Second, "timeout of one backend call")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	var cf cacheFlags
	cf.register(fs)
	var clf clusterFlags
	clf.register(fs, false)
	var ff feedFlags
	ff.register(fs)
	ff.registerStreams(fs)
	var sec securityFlags
	sec.register(fs)
	consoleOn := consoleFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "dynax proxy:", err)
		return 2
	}
	log, err := newLogger(*logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "dynax proxy:", err)
		return 2
	}
	opts, err := cf.options()
	if err == nil {
		err = sec.load()
	}
	if err != nil {
		fmt.Fprintln(stderr, "dynax proxy:", err)
		return 2
	}
	hopts := proxy.HTTPOptions{URL: *backend, StreamsURL: *streams, Timeout: *timeout}
	doSign := sign == "true" || (sign == "auto" && strings.HasPrefix(strings.ToLower(*backend), "https:"))
	if doSign {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var lopts []func(*config.LoadOptions) error
		if *region != "" {
			lopts = append(lopts, config.WithRegion(*region))
		}
		cfg, err := config.LoadDefaultConfig(ctx, lopts...)
		cancel()
		if err != nil {
			fmt.Fprintln(stderr, "dynax proxy: AWS configuration:", err)
			return 1
		}
		hopts.Credentials = cfg.Credentials
		hopts.Region = cfg.Region
		if hopts.Region == "" {
			hopts.Region = "us-east-1"
		}
	}
	be, err := proxy.NewHTTPBackend(hopts)
	if err != nil {
		fmt.Fprintln(stderr, "dynax proxy:", err)
		return 2
	}
	defer be.Close()
	opts.Backend = be
	opts.Logger = log
	opts.Guard = sec.guard(nil, "")
	auditor, closeAudit, err := sec.openAudit("", log)
	if err != nil {
		log.Error("cannot open the audit log", "err", err)
		return 1
	}
	defer closeAudit()
	opts.Audit = auditor
	if os.Getenv(testSkipInvalidationsEnv) == "1" {
		// Test only: breaks coherence on purpose (cmd/dynax/chaos_test.go).
		opts.TestSkipClusterInvalidations = true
		ff.mode, ff.streams = "off", false
		log.Warn("TEST ONLY: " + testSkipInvalidationsEnv + "=1: writes through this node do not invalidate other members, and no change feed or stream is followed; reads WILL be stale")
	}
	p, err := proxy.New(opts)
	if err != nil {
		fmt.Fprintln(stderr, "dynax proxy:", err)
		return 2
	}
	defer p.Close()
	stopFeed, err := ff.startRemoteFeed(p, be, *backend, log)
	if err != nil {
		fmt.Fprintln(stderr, "dynax proxy:", err)
		return 2
	}
	defer stopFeed()
	stopStreams, err := ff.startStreams(p, log)
	if err != nil {
		fmt.Fprintln(stderr, "dynax proxy:", err)
		return 2
	}
	defer stopStreams()
	cr, err := clf.start(fs, p, log, "", *logLevel, &sec)
	if err != nil {
		log.Error("cannot join the cache cluster", "err", err)
		return 1
	}
	defer cr.Close()
	ln, err := sec.listen(*listen)
	if err != nil {
		log.Error("cannot listen", "addr", *listen, "err", err)
		return 1
	}
	cons, err := newConsole(*consoleOn, "proxy", &sec, p, cr, nil)
	if err != nil {
		fmt.Fprintln(stderr, "dynax proxy:", err)
		return 2
	}
	srv := mountConsole(cons, p.Server())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Info("dynax proxy listening", "addr", ln.Addr().String(), "endpoint", sec.scheme()+"://"+ln.Addr().String(), "auth", sec.mode,
		"backend", *backend, "signed", doSign, "item_ttl", opts.ItemTTL, "query_ttl", opts.QueryTTL,
		"cache_size", formatBytes(opts.CacheBytes), "query_invalidation", opts.Invalidation.String())
	return waitAndStop(log, done, srv)
}

// testSkipInvalidationsEnv names the test-only variable that makes a proxy
// skip its cluster write invalidations and follow no feed, so the chaos
// test can show that its history check catches stale reads. It is not a
// flag and is not in --help.
const testSkipInvalidationsEnv = "DYNAX_TEST_SKIP_INVALIDATIONS"

// waitAndStop waits for SIGINT/SIGTERM or a server failure, then shuts the
// servers down.
func waitAndStop(log *slog.Logger, done chan error, srvs ...*fasthttp.Server) int {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	code := 0
	select {
	case s := <-sig:
		log.Info("shutting down", "signal", s.String())
	case err := <-done:
		if err != nil {
			log.Error("server stopped", "err", err)
			code = 1
		}
	}
	for _, s := range srvs {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.ShutdownWithContext(ctx); err != nil {
			log.Error("server shutdown", "err", err)
			code = 1
		}
		cancel()
	}
	return code
}
