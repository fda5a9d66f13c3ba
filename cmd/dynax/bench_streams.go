package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/dynax/dynax/bench"
)

// streamsBenchFlags are the flags of `dynax bench streams`.
type streamsBenchFlags struct {
	endpoint string
	region   string
	rate     int
	duration time.Duration
	writers  int
	poll     time.Duration
	size     int
	keep     bool
}

func runBenchStreams(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench streams", `Measures DynamoDB Streams on one endpoint. It creates a table with a
NEW_AND_OLD_IMAGES stream, writes PutItems at --rate per second for
--duration from --writers goroutines (open loop), and tails the stream with
GetRecords at the same time, following shard lineage as the Kinesis adapter
does. It reports, for every record, the latency from the PutItem's
acknowledgement to the record's arrival through GetRecords (p50, p99, max),
the tail's throughput, and then the catch-up throughput of reading the whole
stream again from TRIM_HORIZON with Limit 1000. Every write must arrive
exactly once; a missing or duplicate record fails the run (exit 1).`, stderr)
	var f streamsBenchFlags
	fs.StringVar(&f.endpoint, "endpoint", "", "the DynamoDB endpoint (dynax store, dynax serve, …)")
	fs.StringVar(&f.region, "region", "us-east-1", "signing region")
	fs.IntVar(&f.rate, "rate", 1000, "PutItems per second")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "how long to write")
	fs.IntVar(&f.writers, "writers", 16, "concurrent writers")
	fs.DurationVar(&f.poll, "poll-interval", time.Millisecond, "pause after a GetRecords that returned nothing")
	fs.IntVar(&f.size, "item-size", 100, "bytes of payload per item")
	fs.BoolVar(&f.keep, "keep-table", false, "do not delete the table afterwards")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "dynax bench streams:", err)
		return 2
	}
	if f.endpoint == "" || f.rate <= 0 || f.writers <= 0 || f.duration <= 0 {
		fmt.Fprintln(stderr, "dynax bench streams: --endpoint, and positive --rate, --writers and --duration, are required")
		return 2
	}
	res, err := benchStreams(context.Background(), &f, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "dynax bench streams:", err)
		return 1
	}
	res.print(stdout, &f)
	if res.missing > 0 || res.duplicates > 0 {
		return 1
	}
	return 0
}

// streamsResult is what one `dynax bench streams` run measured.
type streamsResult struct {
	writes, writeErrors int64
	writeElapsed        time.Duration
	visibility          bench.Histogram // ack → GetRecords arrival, ns
	beforeAck           int64           // records read before their PutItem returned
	tailRecords         int64
	tailCalls           int64
	tailElapsed         time.Duration
	catchupRecords      int64
	catchupCalls        int64
	catchupElapsed      time.Duration
	missing, duplicates int64
	shards              int
	putLatency          bench.Histogram
}

func (r *streamsResult) print(w io.Writer, f *streamsBenchFlags) {
	ms := func(ns int64) string { return fmt.Sprintf("%.2f ms", float64(ns)/1e6) }
	fmt.Fprintf(w, "dynax bench streams  endpoint %s  rate %d/s  duration %s  writers %d  item %d B\n",
		f.endpoint, f.rate, f.duration, f.writers, f.size)
	fmt.Fprintf(w, "writes            %d acknowledged (%d errors), %.0f/s; PutItem p50 %s p99 %s\n",
		r.writes, r.writeErrors, float64(r.writes)/r.writeElapsed.Seconds(),
		ms(r.putLatency.Quantile(0.5)), ms(r.putLatency.Quantile(0.99)))
	fmt.Fprintf(w, "ack → GetRecords  p50 %s  p99 %s  max %s  (%d records, %d seen before their ack)\n",
		ms(r.visibility.Quantile(0.5)), ms(r.visibility.Quantile(0.99)), ms(r.visibility.Max()),
		r.visibility.Count(), r.beforeAck)
	fmt.Fprintf(w, "tail              %d records in %d GetRecords calls, %.0f records/s\n",
		r.tailRecords, r.tailCalls, float64(r.tailRecords)/r.tailElapsed.Seconds())
	fmt.Fprintf(w, "catch-up          %d records in %d GetRecords calls over %d shards, %.0f records/s\n",
		r.catchupRecords, r.catchupCalls, r.shards, float64(r.catchupRecords)/r.catchupElapsed.Seconds())
	fmt.Fprintf(w, "exactly once      %d missing, %d duplicates\n", r.missing, r.duplicates)
}

func benchStreams(ctx context.Context, f *streamsBenchFlags, stderr io.Writer) (*streamsResult, error) {
	db, err := sdkClientFor(f.endpoint, f.region, f.writers+2)
	if err != nil {
		return nil, err
	}
	st := dynamodbstreams.NewFromConfig(aws.Config{
		Region:      f.region,
		Credentials: db.Options().Credentials,
		HTTPClient:  db.Options().HTTPClient,
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(f.endpoint) })

	table := fmt.Sprintf("bench_streams_%d", time.Now().UnixNano())
	out, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []dtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dtypes.ScalarAttributeTypeS}},
		KeySchema:            []dtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dtypes.KeyTypeHash}},
		BillingMode:          dtypes.BillingModePayPerRequest,
		StreamSpecification:  &dtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: dtypes.StreamViewTypeNewAndOldImages},
	})
	if err != nil {
		return nil, fmt.Errorf("create table: %w", err)
	}
	if !f.keep {
		defer func() {
			if _, err := db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)}); err != nil {
				fmt.Fprintln(stderr, "dynax bench streams: delete table:", err)
			}
		}()
	}
	if err := waitActive(ctx, db, table); err != nil {
		return nil, err
	}
	arn := aws.ToString(out.TableDescription.LatestStreamArn)

	n := int(f.duration.Seconds()*float64(f.rate)) + 1
	acks := make([]atomic.Int64, n) // unix nanos of each write's acknowledgement
	seen := make([]atomic.Int32, n)
	res := &streamsResult{}
	var mu sync.Mutex // guards res.visibility, res.beforeAck

	// arrive notes the arrival of the record of write i.
	arrive := func(i int, now int64) {
		if i < 0 || i >= n {
			return
		}
		if seen[i].Add(1) > 1 {
			atomic.AddInt64(&res.duplicates, 1)
			return
		}
		ack := acks[i].Load()
		mu.Lock()
		if ack == 0 || ack > now {
			res.beforeAck++
			res.visibility.Record(0)
		} else {
			res.visibility.Record(now - ack)
		}
		mu.Unlock()
	}

	tailCtx, stopTail := context.WithCancel(ctx)
	defer stopTail()
	tailDone := make(chan error, 1)
	var writesDone atomic.Bool
	go func() {
		start := time.Now()
		calls, records, err := followStream(tailCtx, st, arn, f.poll, 1000, func() bool {
			// The tail stops once every write is done and has arrived.
			return writesDone.Load() && allSeen(seen, int(atomic.LoadInt64(&res.writes)))
		}, func(recs []stypes.Record) {
			now := time.Now().UnixNano()
			for _, r := range recs {
				arrive(recordIndex(r), now)
			}
		})
		res.tailCalls, res.tailRecords, res.tailElapsed = calls, records, time.Since(start)
		tailDone <- err
	}()

	// Open loop: write i is due at start + i/rate; writers take the next
	// index and wait for its due time, so a slow write does not slow the
	// schedule (the backlog is worked off by the other writers).
	payload := make([]byte, f.size)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	puts := make([]bench.Histogram, f.writers)
	for w := 0; w < f.writers; w++ {
		wg.Add(1)
		go func(h *bench.Histogram) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				due := start.Add(time.Duration(float64(i) / float64(f.rate) * float64(time.Second)))
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				t0 := time.Now()
				_, err := db.PutItem(ctx, &dynamodb.PutItemInput{
					TableName: aws.String(table),
					Item: map[string]dtypes.AttributeValue{
						"pk":      &dtypes.AttributeValueMemberS{Value: "k" + strconv.Itoa(i)},
						"i":       &dtypes.AttributeValueMemberN{Value: strconv.Itoa(i)},
						"payload": &dtypes.AttributeValueMemberB{Value: payload},
					},
				})
				done := time.Now()
				if err != nil {
					atomic.AddInt64(&res.writeErrors, 1)
					continue
				}
				acks[i].Store(done.UnixNano())
				h.Record(done.Sub(t0).Nanoseconds())
				atomic.AddInt64(&res.writes, 1)
			}
		}(&puts[w])
	}
	wg.Wait()
	res.writeElapsed = time.Since(start)
	for i := range puts {
		res.putLatency.Merge(&puts[i])
	}
	writesDone.Store(true)

	// Give the tail a bounded time to see the last records.
	select {
	case err := <-tailDone:
		if err != nil {
			return nil, fmt.Errorf("tail: %w", err)
		}
	case <-time.After(30 * time.Second):
		stopTail()
		<-tailDone
	}
	for i := 0; i < n; i++ {
		if acks[i].Load() != 0 && seen[i].Load() == 0 {
			res.missing++
		}
	}

	// Catch-up: the whole stream again, from TRIM_HORIZON, as fast as it goes.
	cstart := time.Now()
	var got int64
	calls, records, err := followStream(ctx, st, arn, 0, 1000, func() bool { return got >= res.writes }, func(recs []stypes.Record) {
		got += int64(len(recs))
	})
	if err != nil {
		return nil, fmt.Errorf("catch-up: %w", err)
	}
	res.catchupCalls, res.catchupRecords, res.catchupElapsed = calls, records, time.Since(cstart)
	desc, err := st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err == nil {
		res.shards = len(desc.StreamDescription.Shards)
	}
	return res, nil
}

func allSeen(seen []atomic.Int32, writes int) bool {
	var c int
	for i := range seen {
		if seen[i].Load() > 0 {
			c++
		}
	}
	return c >= writes
}

// recordIndex is the write index a bench record carries (-1 if none).
func recordIndex(r stypes.Record) int {
	if r.Dynamodb == nil {
		return -1
	}
	v, ok := r.Dynamodb.NewImage["i"].(*stypes.AttributeValueMemberN)
	if !ok {
		return -1
	}
	i, err := strconv.Atoi(v.Value)
	if err != nil {
		return -1
	}
	return i
}

// followStream reads every shard of a stream in lineage order (a parent to
// its end before its children), as the Kinesis adapter does, handing each
// non-empty page to got, until done reports true or ctx ends. It returns the
// GetRecords calls made and the records read.
func followStream(ctx context.Context, st *dynamodbstreams.Client, arn string, poll time.Duration, limit int32,
	done func() bool, got func([]stypes.Record)) (calls, records int64, err error) {
	finished := map[string]bool{} // shards read to their end
	started := map[string]bool{}
	type cursor struct{ shard, it string }
	var active []cursor
	// openShards starts every shard whose parent is finished (or no longer
	// listed) and that is not yet started.
	openShards := func() error {
		desc, err := st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
		if err != nil {
			return fmt.Errorf("describe stream: %w", err)
		}
		known := map[string]bool{}
		for _, s := range desc.StreamDescription.Shards {
			known[aws.ToString(s.ShardId)] = true
		}
		for _, s := range desc.StreamDescription.Shards {
			id, parent := aws.ToString(s.ShardId), aws.ToString(s.ParentShardId)
			if started[id] || (parent != "" && known[parent] && !finished[parent]) {
				continue
			}
			it, err := st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
				StreamArn: aws.String(arn), ShardId: aws.String(id), ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon,
			})
			if err != nil {
				return fmt.Errorf("get shard iterator: %w", err)
			}
			started[id] = true
			active = append(active, cursor{id, aws.ToString(it.ShardIterator)})
		}
		return nil
	}
	var described time.Time
	rescan := true
	for {
		if done() {
			return calls, records, nil
		}
		if ctx.Err() != nil {
			return calls, records, nil
		}
		if rescan || time.Since(described) > time.Second {
			if err := openShards(); err != nil {
				return calls, records, err
			}
			described, rescan = time.Now(), false
		}
		// Read the open shards until each is empty once, then look for
		// children again.
		progressed := false
		for k := 0; k < len(active); k++ {
			c := &active[k]
			for c.it != "" {
				out, err := st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(c.it), Limit: aws.Int32(limit)})
				if err != nil {
					if ctx.Err() != nil {
						return calls, records, nil
					}
					return calls, records, fmt.Errorf("get records: %w", err)
				}
				calls++
				c.it = aws.ToString(out.NextShardIterator)
				if len(out.Records) == 0 {
					break
				}
				progressed = true
				records += int64(len(out.Records))
				got(out.Records)
				if done() {
					return calls, records, nil
				}
			}
			if c.it == "" {
				finished[c.shard] = true
				rescan = true
			}
		}
		kept := active[:0]
		for _, c := range active {
			if c.it != "" {
				kept = append(kept, c)
			}
		}
		active = kept
		if len(active) == 0 {
			rescan = true
		}
		if !progressed && poll > 0 {
			select {
			case <-ctx.Done():
				return calls, records, nil
			case <-time.After(poll):
			}
		}
	}
}

// waitActive waits until table is ACTIVE.
func waitActive(ctx context.Context, db *dynamodb.Client, table string) error {
	for i := 0; i < 600; i++ {
		d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			return fmt.Errorf("describe table: %w", err)
		}
		if d.Table.TableStatus == dtypes.TableStatusActive {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("table %s did not become ACTIVE", table)
}
