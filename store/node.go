// Package store is the dynax storage node: DynamoDB tables and items on
// Pebble.
//
// Layout of the engine's key space (all keys start with one tag byte):
//
//	'm' + table name                      → catalog entry (JSON Table)
//	'c'                                   → catalog counter (next table ID)
//	'i' + tableID(8) + itemKey            → item (binary item encoding)
//
// An itemKey is hash32(partition key) + encoded partition key + encoded sort
// key (see keys.go): items of one partition are contiguous and ordered by
// sort key, so Query is a range scan, and partitions are spread over the
// key space by hash, so Scan segments are hash ranges.
//
// Every acknowledged write is committed with a synced WAL; Pebble groups
// concurrent commits into one fsync. Writes to one item are serialized by a
// striped lock held from read to commit, which makes conditional writes and
// read-modify-write updates atomic.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/dynax/dynax/auth"
	"github.com/dynax/dynax/cryptfs"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/model"
	"github.com/dynax/dynax/ddb/wire"
)

// Options configures a Node. The zero value of every field selects its default.
type Options struct {
	// Dir is the data directory. Required.
	Dir string
	// Account is the AWS account id used in ARNs. Default "000000000000".
	Account string
	// NoSync disables WAL syncing (tests and benchmarks only: acknowledged
	// writes may then be lost on a crash). Default false.
	NoSync bool
	// CreateDelay keeps new tables in CREATING (and deleted ones in
	// DELETING) for this long, to imitate DynamoDB. Default 0: ACTIVE at once.
	CreateDelay time.Duration
	// CacheBytes is Pebble's block cache size. Default 64 MiB.
	CacheBytes int64
	// WALMinSyncInterval is the shortest time between two WAL syncs: writes
	// arriving meanwhile wait and share the next sync (bigger group
	// commits, fewer fsyncs, a little more latency). Default 0: sync as soon
	// as a sync is due.
	WALMinSyncInterval time.Duration
	// TTLInterval is how often the Time to Live expirer looks for expired
	// items (DynamoDB takes up to days; dynax deletes within about this
	// long). Default 1s.
	TTLInterval time.Duration
	// StreamShardRollover is how long a stream shard stays open before it
	// closes and a child shard opens. Default 4h.
	StreamShardRollover time.Duration
	// ChangeFeedRetention is how long the change log keeps records for the
	// change feed (streams hold their own 24 hours on top). Default 5m.
	ChangeFeedRetention time.Duration
	// LogTrimInterval is how often records past every retention are
	// reclaimed, and streams maintained (shard rollover, expiry). Default 1s.
	LogTrimInterval time.Duration
	// S3Endpoint is the S3-compatible service that exports and imports
	// use, through the AWS SDK's S3 client and the standard AWS
	// credentials chain. Default "": buckets are directories under
	// <Dir>/s3/<bucket>/.
	S3Endpoint string
	// KinesisEndpoint is where Kinesis Data Streams destinations send
	// records (any Kinesis-compatible service), through the AWS SDK's
	// Kinesis client and the standard AWS credentials chain. Default "":
	// the real Kinesis of the stream ARN's Region.
	KinesisEndpoint string
	// S3PathStyle addresses buckets as endpoint/bucket/key instead of
	// bucket.endpoint/key. Default false.
	S3PathStyle bool
	// FS is the file system the engine keeps its files on. Default
	// vfs.Default (the operating system's). Tests pass Pebble's in-memory,
	// crashable or fault-injecting file systems (vfs.NewMem,
	// vfs.NewCrashableMem, errorfs) to lose unsynced data or fail I/O.
	FS vfs.FS
	// Users are the access keys of `--auth sigv4` (the credentials file).
	// When set, requests whose listener verified their signature
	// (wire.Request.Principal) are authorized against the users' identity
	// policies and the resource policies; calls without a principal (in
	// process, from a proxy that authorized them) are not. Default nil:
	// no authorization.
	Users *auth.Users
	// Keyring holds the master keys of --kms-key-file. With it, tables
	// whose SSESpecification asks for KMS have their items sealed under a
	// data key derived from the key their KMSMasterKeyId names (the
	// default key when the keyring has none of that name), sse.go.
	// Default nil: SSESpecification is recorded and described only (the
	// engine's files may still be encrypted as a whole through FS).
	Keyring *cryptfs.Keyring
	// Region is the AWS Region the node is (its tables' ARNs name it, and
	// global tables replicate between Regions). Default "": the Region of
	// each CreateTable request's credential scope, and no global tables.
	Region string
	// Peers are the other Regions of global tables: Region name → the
	// endpoint of its node (http(s)://host:port). Default none.
	Peers map[string]string
	// PeerSecret authenticates replication calls between Regions (at
	// least 16 bytes; every node of the group has the same). Required
	// with Peers.
	PeerSecret string
	// DisableRequestMetrics turns off the per-request figures of
	// Metrics (SuccessfulRequestLatency, UserErrors, SystemErrors,
	// ConditionalCheckFailedRequests, TransactionConflict,
	// ReturnedItemCount), for the cost benchmark. Default false: on.
	DisableRequestMetrics bool
	// Logger receives the node's logs. Default slog.Default().
	Logger *slog.Logger
	// Now returns the current time. Default time.Now.
	Now func() time.Time
	// Capacity is "enforce" to throttle requests over the provisioned
	// throughput of tables and GSIs (and the on-demand maxima and
	// per-partition limits), as DynamoDB does, or "off" to only count
	// consumption. A table's tag dynax:capacity=enforce|off overrides it
	// (capacity.go). Default "off".
	Capacity string
}

// EnsureDefaults fills unset fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.Account == "" {
		o.Account = "000000000000"
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = 64 << 20
	}
	if o.TTLInterval == 0 {
		o.TTLInterval = time.Second
	}
	if o.StreamShardRollover == 0 {
		o.StreamShardRollover = 4 * time.Hour
	}
	if o.ChangeFeedRetention == 0 {
		o.ChangeFeedRetention = 5 * time.Minute
	}
	if o.LogTrimInterval == 0 {
		o.LogTrimInterval = time.Second
	}
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Capacity == "" {
		o.Capacity = CapacityOff
	}
}

// Validate reports a configuration error.
func (o *Options) Validate() error {
	if o.Dir == "" {
		return errors.New("store: Options.Dir is required")
	}
	if len(o.Peers) > 0 && (o.Region == "" || len(o.PeerSecret) < 16) {
		return errors.New("store: Options.Peers needs Region and a PeerSecret of at least 16 bytes")
	}
	if o.Capacity != CapacityOff && o.Capacity != CapacityEnforce {
		return fmt.Errorf("store: Options.Capacity must be %q or %q, not %q", CapacityEnforce, CapacityOff, o.Capacity)
	}
	if o.CreateDelay < 0 {
		return errors.New("store: Options.CreateDelay must not be negative")
	}
	if o.WALMinSyncInterval < 0 {
		return errors.New("store: Options.WALMinSyncInterval must not be negative")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"TTLInterval", o.TTLInterval}, {"StreamShardRollover", o.StreamShardRollover},
		{"ChangeFeedRetention", o.ChangeFeedRetention}, {"LogTrimInterval", o.LogTrimInterval}} {
		if d.v < 0 {
			return fmt.Errorf("store: Options.%s must not be negative", d.name)
		}
	}
	return nil
}

// Node is a storage node. It is safe for concurrent use.
type Node struct {
	opts  Options
	db    *pebble.DB
	wopts *pebble.WriteOptions
	log   *slog.Logger

	cat     *catalog
	clog    *changeLog
	streams *streamRegistry
	backups *backups
	jobs    *dataJobs
	kds     *kinesisPumps
	rep     *replicator    // global tables (replicate.go)
	vec     *vectorIndexer // approximate vector indexes (vector_ann.go)
	met     *nodeMetrics   // GET /metrics (metrics.go)

	s3Once sync.Once
	s3     *s3Store
	s3Err  error
	locks  lockTable
	marks  txnMarks
	idem   idemStore // ClientRequestToken table of TransactWriteItems
	bulk   bulkOps   // StartBulkPutItems operations (bulk.go)

	guard    *auth.Guard // nil: no authorization
	policies parsedPolicies

	stop      chan struct{} // closed by Close: background jobs end
	bg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// ErrClosed is returned by operations on a closed Node.
var ErrClosed = errors.New("store: closed")

// Open opens (or creates) the node's data directory.
func Open(opts Options) (*Node, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cache := pebble.NewCache(opts.CacheBytes)
	defer cache.Unref()
	db, err := pebble.Open(opts.Dir, &pebble.Options{
		FS:                          opts.FS,
		Cache:                       cache,
		MemTableSize:                64 << 20,
		MemTableStopWritesThreshold: 4,
		Logger:                      quietLogger{opts.Logger},
		WALMinSyncInterval:          func() time.Duration { return opts.WALMinSyncInterval },
	})
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w", opts.Dir, err)
	}
	registerKeys(opts.Keyring)
	n := &Node{opts: opts, db: db, log: opts.Logger, wopts: pebble.Sync, stop: make(chan struct{})}
	if opts.Users != nil {
		n.guard = &auth.Guard{Verifier: auth.NewVerifier(opts.Users, auth.Options{}), Policies: n, Account: opts.Account}
	}
	if opts.NoSync {
		n.wopts = pebble.NoSync
	}
	if n.clog, err = openChangeLog(n); err == nil {
		if n.streams, err = loadStreams(n); err == nil {
			if n.cat, err = loadCatalog(n); err == nil {
				if n.backups, err = openBackups(n); err == nil {
					n.jobs, err = openDataJobs(n)
				}
			}
		}
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %q: %w", opts.Dir, err)
	}
	n.clog.attachTables(n.cat.tables)
	n.rep = startReplicator(n)
	n.vec = startVectorIndexer(n)
	n.met = newNodeMetrics(n)
	if err := n.resumeRestores(); err != nil {
		n.Close()
		return nil, fmt.Errorf("open store %q: resume restores: %w", opts.Dir, err)
	}
	if err := n.resumeImports(); err != nil {
		n.Close()
		return nil, fmt.Errorf("open store %q: resume imports: %w", opts.Dir, err)
	}
	n.every("ttl expirer", opts.TTLInterval, func() error { _, err := n.expireDue(); return err })
	n.every("change log trimmer", opts.LogTrimInterval, n.maintainLogs)
	n.every("contributor insights", ciCollectInterval, n.collectInsights)
	n.kds = newKinesisPumps(n)
	n.bg.Add(1)
	go func() {
		defer n.bg.Done()
		n.kds.run()
	}()
	return n, nil
}

// Close stops the background jobs (waiting for them), then flushes and
// closes the engine. It returns the engine's error, also when Pebble
// reports it by panicking (after a write-ahead log fault, see
// quietLogger); later calls return the same error.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		close(n.stop)
		n.bg.Wait()
		if n.jobs != nil {
			n.jobs.close()
		}
		if n.backups != nil {
			n.backups.close()
		}
		n.cat.stop()
		n.closeErr = errors.Join(
			unpanic("save change log floor", func() error { n.clog.saveFloor(); return nil }),
			unpanic("close engine", n.db.Close))
		if n.closeErr != nil {
			n.log.Error("store: close failed", "err", n.closeErr)
		}
	})
	return n.closeErr
}

// unpanic runs fn, returning its error or its panic as an error, with what
// as context.
func unpanic(what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: %s: panic: %v", what, r)
		}
	}()
	if err := fn(); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}

// every runs fn every interval in the background until Close, logging its
// errors and recovering its panics.
func (n *Node) every(name string, interval time.Duration, fn func() error) {
	n.bg.Add(1)
	go func() {
		defer n.bg.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-n.stop:
				return
			case <-tick.C:
			}
			n.safely(name, fn)
		}
	}()
}

// safely runs fn, logging an error or a recovered panic.
func (n *Node) safely(name string, fn func() error) {
	defer func() {
		if r := recover(); r != nil {
			n.log.Error("background job panicked", "job", name, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	if err := fn(); err != nil {
		n.log.Error("background job failed", "job", name, "err", err)
	}
}

// opFunc runs one operation on a decoded body.
type opFunc func(n *Node, ctx context.Context, req *wire.Request) ([]byte, error)

// ops maps DynamoDB operation names to their implementation, and
// streamOps those of DynamoDB Streams. Each operation's file registers
// itself in an init function.
var (
	ops       = map[string]opFunc{}
	streamOps = map[string]opFunc{}
)

func register(name string, fn opFunc)        { ops[name] = fn }
func registerStreams(name string, fn opFunc) { streamOps[name] = fn }

// opsOf returns the operations of a target prefix.
func opsOf(prefix string) map[string]opFunc {
	switch prefix {
	case wire.PrefixDynamoDB:
		return ops
	case wire.PrefixStreams:
		return streamOps
	case wire.PrefixFeed:
		return feedOps
	}
	return nil
}

// Known implements wire.Handler.
func (n *Node) Known(prefix, op string) bool {
	_, ok := opsOf(prefix)[op]
	return ok
}

// ServeDynamoDB implements wire.Handler.
func (n *Node) ServeDynamoDB(ctx context.Context, req *wire.Request) (out []byte, err error) {
	fn, ok := opsOf(req.Prefix)[req.Operation]
	if !ok {
		return nil, ddb.UnknownOperation()
	}
	if req.Prefix != wire.PrefixFeed && !n.met.off {
		// Registered first, so it runs last and sees a recovered panic's
		// error.
		start := time.Now()
		defer func() {
			n.met.observe(opIndexes[req.Operation], req.Operation, req.Body, out, err, time.Since(start))
		}()
	}
	defer func() {
		if r := recover(); r != nil {
			n.log.Error("panic in operation", "op", req.Operation, "panic", r)
			out, err = nil, ddb.InternalServerError("Internal server error")
		}
	}()
	if req.Prefix == wire.PrefixDynamoDB {
		// The model's binder comes first, as in DynamoDB's front end:
		// a value of the wrong JSON kind anywhere is a SerializationException
		// named after the Java type it binds to. The operation then decodes
		// and validates.
		if err := model.Bind(req.Operation, req.Body); err != nil {
			return nil, err
		}
	}
	if req.Principal != nil && n.guard != nil && req.Prefix != wire.PrefixFeed {
		if err := n.authorize(req); err != nil {
			return nil, err
		}
	}
	return fn(n, ctx, req)
}

// Operations lists the operation names the node serves.
func Operations() []string {
	names := make([]string, 0, len(ops))
	for k := range ops {
		names = append(names, k)
	}
	return names
}

// quietLogger routes Pebble's logs to slog at debug level.
type quietLogger struct{ l *slog.Logger }

func (q quietLogger) Infof(format string, args ...any) { q.l.Debug(fmt.Sprintf(format, args...)) }
func (q quietLogger) Errorf(format string, args ...any) {
	q.l.Error(fmt.Sprintf(format, args...))
}
func (q quietLogger) Fatalf(format string, args ...any) {
	q.l.Error(fmt.Sprintf(format, args...))
	panic(fmt.Sprintf(format, args...))
}
