package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dynax/dynax/cache"
	"github.com/dynax/dynax/ddb/wire"
)

// Writes that bypass the proxy, in front of a foreign backend (DynamoDB,
// DynamoDB Local, moto, a dynax store without its change feed). A
// StreamsFollower reads the DynamoDB Streams of every table that has a
// stream enabled, through the proxy's Backend (target prefix
// DynamoDBStreams_20120810), and applies each record as the change-feed
// follower applies a change (feed.go: applyItemChange):
//
//   - INSERT and MODIFY with a new image (view types NEW_IMAGE,
//     NEW_AND_OLD_IMAGES) reconcile the item's entry against the image: it
//     stays when it already holds it (the proxy's own write-through, seen
//     again), and is dropped otherwise;
//   - INSERT and MODIFY without one (KEYS_ONLY, OLD_IMAGE) drop the entry;
//   - REMOVE reconciles against "no item" (a cached "not found" stays);
//   - each record bumps the query-cache generation of its partition.
//
// Discovery. Every Options.Discover (and at once when a CreateTable or
// UpdateTable passes through the proxy) the follower lists the streams
// (ListStreams) and describes each (DescribeStream). A stream first seen
// ENABLED or ENABLING is followed from LATEST in each of its open shards,
// and once those iterators are held, every entry of its table is dropped:
// nothing cached before then outlives a record the follower did not read.
// Shards that appear later (a shard rolled over, a stream just created)
// are read from TRIM_HORIZON, and a child shard only after its parent has
// been read to its end, so the records of one key are applied in order. A
// followed stream is described again when one of its shards was read to
// its end (at once: its children hold the next records), when its table
// changed through the proxy, and otherwise every describeEvery
// discoveries (DescribeStream is rate-limited). A stream that is disabled
// or gone drops its table's entries once and is no longer followed (its
// writes are then bounded by the TTL again).
//
// Losses. Records the follower cannot read in order (an iterator that
// expired with no record read yet, trimmed data, a shard that vanished)
// drop the table's entries, and reading resumes from the oldest record
// still there or the newest.
//
// A backend without the Streams API (dynalite) is reported once in the
// log and in the StreamsAvailable metric; the follower keeps asking at
// the discovery interval, and until then bypassing writes are seen when
// entries expire, as with DAX.

// StreamsOptions configures a StreamsFollower.
type StreamsOptions struct {
	// Discover is the interval between two discoveries of streams and
	// shards. Default 3s.
	Discover time.Duration
	// Poll is the pause after a GetRecords of a shard that returned no
	// record. Default 100ms. DynamoDB throttles a shard read by more than
	// about two readers at once; a cluster of many proxies in front of
	// DynamoDB may want a longer one.
	Poll time.Duration
	// Limit is the most records asked for at once. Default 1000 (the
	// API's maximum).
	Limit int
	// RetryMin and RetryMax bound the backoff after a failed call
	// (doubling from RetryMin). Defaults 50ms and 2s.
	RetryMin, RetryMax time.Duration
	// CallTimeout bounds one Streams call. Default 10s.
	CallTimeout time.Duration
}

// StreamsFollower applies the DynamoDB Streams of a backend's tables to a
// proxy's caches until Close.
type StreamsFollower struct {
	p      *Proxy
	o      StreamsOptions
	ctx    context.Context
	cancel context.CancelFunc
	kick   chan struct{}
	done   chan struct{}
	ready  chan struct{}
	shards sync.WaitGroup

	mu      sync.Mutex
	streams map[string]*followedStream // by stream ARN; only the discovery loop adds or removes
}

// followedStream is one stream being followed.
type followedStream struct {
	arn, table string
	view       string
	cancel     context.CancelFunc
	ctx        context.Context
	shards     map[string]*followedShard
	// dirty is set when a shard was read to its end (its children are to
	// be found); rounds counts discoveries since the last DescribeStream.
	dirty  atomic.Bool
	rounds int
}

// describeEvery is how many discoveries may pass without describing a
// followed stream whose shards are all still open: DescribeStream is
// rate-limited (DynamoDB allows about 10 a second), and a followed
// stream needs describing only to find its new shards — a finished shard
// asks for that at once — or a change of status (disabled: noticed within
// describeEvery discoveries).
const describeEvery = 5

// followedShard is one shard of a followed stream.
type followedShard struct {
	id, parent string
	done       chan struct{} // closed once read to its end (or abandoned)
}

// ErrStreamsOptions is returned by FollowStreams for unusable options.
var ErrStreamsOptions = errors.New("proxy: bad streams options")

// FollowStreams starts following the backend's DynamoDB Streams. Close
// stops it.
func (p *Proxy) FollowStreams(o StreamsOptions) (*StreamsFollower, error) {
	if o.Discover <= 0 {
		o.Discover = 3 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 100 * time.Millisecond
	}
	if o.Limit <= 0 || o.Limit > 1000 {
		o.Limit = 1000
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 50 * time.Millisecond
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(2*time.Second, o.RetryMin)
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 10 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &StreamsFollower{p: p, o: o, ctx: ctx, cancel: cancel, kick: make(chan struct{}, 1),
		done: make(chan struct{}), ready: make(chan struct{}), streams: map[string]*followedStream{}}
	if !p.streams.CompareAndSwap(nil, f) {
		cancel()
		return nil, fmt.Errorf("%w: the proxy already follows streams", ErrStreamsOptions)
	}
	p.m.streams.following.Store(1)
	go f.run()
	return f, nil
}

// Close stops the follower and waits for it and its shard readers.
func (f *StreamsFollower) Close() {
	f.cancel()
	<-f.done
	f.shards.Wait()
	f.p.streams.CompareAndSwap(f, nil)
	f.p.m.streams.following.Store(0)
}

// Ready is closed after the first discovery that reached the Streams API:
// writes committed after that to a table whose stream was then enabled are
// applied.
func (f *StreamsFollower) Ready() <-chan struct{} { return f.ready }

// Rediscover asks for a discovery now (a table was created or changed).
func (f *StreamsFollower) Rediscover() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// Followed returns the tables whose streams are being followed.
func (f *StreamsFollower) Followed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.streams))
	for _, s := range f.streams {
		out = append(out, s.table)
	}
	return out
}

// tableChanged is called when a CreateTable or UpdateTable of table passed
// through: its stream may have been enabled or disabled.
func (p *Proxy) tableChanged(table string) {
	f := p.streams.Load()
	if f == nil {
		return
	}
	f.mu.Lock()
	for _, s := range f.streams {
		if s.table == table {
			s.dirty.Store(true)
		}
	}
	f.mu.Unlock()
	f.Rediscover()
}

func (f *StreamsFollower) run() {
	defer close(f.done)
	defer func() {
		f.mu.Lock()
		for _, s := range f.streams {
			s.cancel()
		}
		f.mu.Unlock()
	}()
	fast := 0 // discoveries left at the fast pace after a kick
	for {
		func() {
			defer func() {
				if r := recover(); r != nil {
					f.p.log.Error("panic in streams discovery", "panic", r)
				}
			}()
			f.discover()
		}()
		wait := f.o.Discover
		if fast > 0 {
			// A table just created or changed: its stream may show up
			// only once the table is ACTIVE.
			fast--
			wait = min(wait, 250*time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-f.ctx.Done():
			t.Stop()
			return
		case <-f.kick:
			fast = 8
		case <-t.C:
		}
		t.Stop()
	}
}

// Streams API shapes (the members the follower uses).
type (
	listStreamsOut struct {
		Streams []struct {
			StreamArn string `json:"StreamArn"`
			TableName string `json:"TableName"`
		} `json:"Streams"`
		LastEvaluatedStreamArn string `json:"LastEvaluatedStreamArn"`
	}
	describeStreamOut struct {
		StreamDescription struct {
			StreamStatus   string `json:"StreamStatus"`
			StreamViewType string `json:"StreamViewType"`
			TableName      string `json:"TableName"`
			Shards         []struct {
				ShardID             string `json:"ShardId"`
				ParentShardID       string `json:"ParentShardId"`
				SequenceNumberRange struct {
					EndingSequenceNumber string `json:"EndingSequenceNumber"`
				} `json:"SequenceNumberRange"`
			} `json:"Shards"`
			LastEvaluatedShardID string `json:"LastEvaluatedShardId"`
		} `json:"StreamDescription"`
	}
	getRecordsOut struct {
		Records []struct {
			EventName string `json:"eventName"`
			Dynamodb  struct {
				Keys           json.RawMessage `json:"Keys"`
				NewImage       json.RawMessage `json:"NewImage"`
				SequenceNumber string          `json:"SequenceNumber"`
			} `json:"dynamodb"`
		} `json:"Records"`
		NextShardIterator *string `json:"NextShardIterator"`
	}
)

// streamsError is an error answer of the Streams API.
type streamsError struct {
	status int
	body   []byte
}

func (e *streamsError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.status, e.body)
}

// is reports whether err is an error answer of type name.
func isStreamsError(err error, name string) bool {
	var se *streamsError
	return errors.As(err, &se) && isErrorType(se.body, name)
}

// call sends one Streams call and decodes a 200 answer into out.
func (f *StreamsFollower) call(ctx context.Context, op string, in any, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.o.CallTimeout)
	defer cancel()
	f.p.m.streams.calls.Add(1)
	status, resp, err := f.p.backend.Do(ctx, &Call{Prefix: wire.PrefixStreams, Operation: op, Body: body})
	if err != nil {
		return fmt.Errorf("streams %s: %w", op, err)
	}
	if status != 200 {
		return fmt.Errorf("streams %s: %w", op, &streamsError{status: status, body: resp})
	}
	if err := json.Unmarshal(resp, out); err != nil {
		return fmt.Errorf("streams %s: answer: %w", op, err)
	}
	return nil
}

// discover lists the streams and their shards, starts following what is
// new and stops following what is gone.
func (f *StreamsFollower) discover() {
	ctx := f.ctx
	listed := map[string]string{} // ARN → table
	var start string
	for {
		in := map[string]any{}
		if start != "" {
			in["ExclusiveStartStreamArn"] = start
		}
		var out listStreamsOut
		if err := f.call(ctx, "ListStreams", in, &out); err != nil {
			f.unavailable(err)
			return
		}
		for _, s := range out.Streams {
			listed[s.StreamArn] = s.TableName
		}
		if out.LastEvaluatedStreamArn == "" || out.LastEvaluatedStreamArn == start {
			break
		}
		start = out.LastEvaluatedStreamArn
	}
	if f.p.m.streams.available.Swap(1) == 0 {
		f.p.log.Info("following DynamoDB Streams: writes that bypass the proxy invalidate cached entries")
	}
	f.mu.Lock()
	var gone []*followedStream
	for arn, s := range f.streams {
		if _, ok := listed[arn]; !ok {
			gone = append(gone, s)
		}
	}
	f.mu.Unlock()
	for _, s := range gone {
		f.stopStream(s, "stream no longer listed")
	}
	for arn, table := range listed {
		if ctx.Err() != nil {
			return
		}
		f.mu.Lock()
		s := f.streams[arn]
		skip := false
		if s != nil {
			s.rounds++
			skip = !s.dirty.Load() && s.rounds < describeEvery
			if !skip {
				s.rounds = 0
				s.dirty.Store(false)
			}
		}
		f.mu.Unlock()
		if skip {
			continue
		}
		if err := f.discoverStream(arn, table); err != nil && ctx.Err() == nil {
			if s != nil {
				s.dirty.Store(true)
			}
			f.p.m.streams.errors.Add(1)
			f.p.log.Warn("streams: DescribeStream failed; retrying at the next discovery", "stream", arn, "err", err)
		}
	}
	select {
	case <-f.ready:
	default:
		close(f.ready)
	}
}

// unavailable notes a failed ListStreams.
func (f *StreamsFollower) unavailable(err error) {
	if f.ctx.Err() != nil {
		return
	}
	f.p.m.streams.errors.Add(1)
	was := f.p.m.streams.available.Swap(0)
	first := f.p.m.streams.unavailableLogged.Swap(1) == 0
	if isStreamsError(err, "UnknownOperationException") {
		if first || was == 1 {
			f.p.log.Warn("the backend serves no DynamoDB Streams API: writes that bypass the proxy are seen when entries expire (--item-ttl, --query-ttl)", "err", err)
		}
	} else if first || was == 1 {
		f.p.log.Warn("streams: ListStreams failed; retrying", "err", err)
	}
	// Streams followed so far go on: their shard readers retry by
	// themselves.
}

// discoverStream describes one listed stream and follows its new shards.
func (f *StreamsFollower) discoverStream(arn, table string) error {
	ctx := f.ctx
	var desc describeStreamOut
	var shards []struct {
		id, parent string
		closed     bool
	}
	var start string
	for {
		in := map[string]any{"StreamArn": arn}
		if start != "" {
			in["ExclusiveStartShardId"] = start
		}
		var out describeStreamOut
		if err := f.call(ctx, "DescribeStream", in, &out); err != nil {
			if isStreamsError(err, "ResourceNotFoundException") {
				f.mu.Lock()
				s := f.streams[arn]
				f.mu.Unlock()
				if s != nil {
					f.stopStream(s, "stream not found")
				}
				return nil
			}
			return err
		}
		if start == "" {
			desc = out
		}
		for _, sh := range out.StreamDescription.Shards {
			shards = append(shards, struct {
				id, parent string
				closed     bool
			}{sh.ShardID, sh.ParentShardID, sh.SequenceNumberRange.EndingSequenceNumber != ""})
		}
		next := out.StreamDescription.LastEvaluatedShardID
		if next == "" || next == start {
			break
		}
		start = next
	}
	d := &desc.StreamDescription
	if d.TableName != "" {
		table = d.TableName
	}
	live := d.StreamStatus == "ENABLED" || d.StreamStatus == "ENABLING"
	f.mu.Lock()
	s := f.streams[arn]
	f.mu.Unlock()
	if s == nil {
		if !live {
			return nil
		}
		return f.startStream(arn, table, d.StreamViewType, shards)
	}
	if !live {
		// Disabled (or its table deleted): what follows is not recorded.
		f.stopStream(s, "stream "+d.StreamStatus)
		return nil
	}
	listedShards := map[string]bool{}
	for _, sh := range shards {
		listedShards[sh.id] = true
		f.mu.Lock()
		_, known := s.shards[sh.id]
		f.mu.Unlock()
		if known {
			continue
		}
		f.followShard(s, sh.id, sh.parent, "TRIM_HORIZON", "")
	}
	// Forget finished shards that are no longer described (trimmed).
	f.mu.Lock()
	for id, sh := range s.shards {
		if listedShards[id] {
			continue
		}
		select {
		case <-sh.done:
			delete(s.shards, id)
		default:
		}
	}
	f.mu.Unlock()
	return nil
}

// startStream follows a stream first seen: its open shards from LATEST,
// then drops the table's entries.
func (f *StreamsFollower) startStream(arn, table, view string, shards []struct {
	id, parent string
	closed     bool
}) error {
	ctx, cancel := context.WithCancel(f.ctx)
	s := &followedStream{arn: arn, table: table, view: view, ctx: ctx, cancel: cancel, shards: map[string]*followedShard{}}
	iters := map[string]string{}
	for _, sh := range shards {
		if sh.closed {
			continue
		}
		it, err := f.iterator(ctx, arn, sh.id, "LATEST", "")
		if err != nil {
			cancel()
			return err
		}
		iters[sh.id] = it
	}
	f.mu.Lock()
	f.streams[arn] = s
	f.mu.Unlock()
	for _, sh := range shards {
		if sh.closed {
			// Read before the follower's time: nothing to wait for.
			done := make(chan struct{})
			close(done)
			f.mu.Lock()
			s.shards[sh.id] = &followedShard{id: sh.id, parent: sh.parent, done: done}
			f.mu.Unlock()
			continue
		}
		f.followShard(s, sh.id, "", "LATEST", iters[sh.id])
	}
	// Anything cached so far may predate records before the iterators.
	if f.p.schemas.seen(table) {
		f.p.dropTableLocal(table)
	}
	f.p.m.streams.streams.Add(1)
	f.p.log.Info("streams: following", "table", table, "stream", arn, "view_type", view, "shards", len(iters))
	return nil
}

// stopStream stops following s and drops its table's entries.
func (f *StreamsFollower) stopStream(s *followedStream, why string) {
	f.mu.Lock()
	if f.streams[s.arn] != s {
		f.mu.Unlock()
		return
	}
	delete(f.streams, s.arn)
	f.mu.Unlock()
	s.cancel()
	if f.p.schemas.seen(s.table) {
		f.p.dropTableLocal(s.table)
	}
	f.p.m.streams.streams.Add(^uint64(0))
	f.p.log.Info("streams: no longer following", "table", s.table, "stream", s.arn, "why", why)
}

// iterator gets a shard iterator.
func (f *StreamsFollower) iterator(ctx context.Context, arn, shard, typ, seq string) (string, error) {
	in := map[string]any{"StreamArn": arn, "ShardId": shard, "ShardIteratorType": typ}
	if seq != "" {
		in["SequenceNumber"] = seq
	}
	var out struct {
		ShardIterator string `json:"ShardIterator"`
	}
	if err := f.call(ctx, "GetShardIterator", in, &out); err != nil {
		return "", err
	}
	return out.ShardIterator, nil
}

// followShard starts a reader of shard id of s, from typ (LATEST with a
// held iterator it, or TRIM_HORIZON once the parent shard, when followed,
// is finished).
func (f *StreamsFollower) followShard(s *followedStream, id, parent, typ, it string) {
	sh := &followedShard{id: id, parent: parent, done: make(chan struct{})}
	f.mu.Lock()
	var wait chan struct{}
	if ps := s.shards[parent]; parent != "" && ps != nil {
		wait = ps.done
	}
	s.shards[id] = sh
	f.mu.Unlock()
	f.p.m.streams.shards.Add(1)
	f.shards.Add(1)
	go func() {
		defer f.shards.Done()
		defer f.p.m.streams.shards.Add(^uint64(0))
		defer close(sh.done)
		defer func() {
			if r := recover(); r != nil {
				f.p.log.Error("panic following a stream shard", "table", s.table, "shard", id, "panic", r)
				f.p.dropTableLocal(s.table)
			}
		}()
		if wait != nil {
			select {
			case <-wait:
			case <-s.ctx.Done():
				return
			}
		}
		f.readShard(s, sh, typ, it)
	}()
}

// readShard reads one shard to its end, or until s stops.
func (f *StreamsFollower) readShard(s *followedStream, sh *followedShard, typ, it string) {
	ctx := s.ctx
	backoff := f.o.RetryMin
	sleep := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	failed := func(what string, err error) bool {
		if ctx.Err() != nil {
			return false
		}
		if f.p.m.streams.errors.Add(1) == 1 || backoff == f.o.RetryMin {
			f.p.log.Warn("streams: "+what+" failed; retrying", "table", s.table, "shard", sh.id, "err", err)
		}
		ok := sleep(backoff)
		backoff = min(2*backoff, f.o.RetryMax)
		return ok
	}
	var last string // sequence number of the last record applied
	lost := func(why string) {
		f.p.m.streams.losses.Add(1)
		f.p.log.Warn("streams: records may have been missed; dropping the table's entries", "table", s.table, "shard", sh.id, "why", why)
		if f.p.schemas.seen(s.table) {
			f.p.dropTableLocal(s.table)
		}
	}
	for ctx.Err() == nil {
		if it == "" {
			var err error
			it, err = f.iterator(ctx, s.arn, sh.id, typ, last)
			switch {
			case err == nil:
			case isStreamsError(err, "ResourceNotFoundException"):
				lost("shard not found")
				return
			case isStreamsError(err, "TrimmedDataAccessException"):
				lost("trimmed")
				typ, last = "TRIM_HORIZON", ""
				continue
			default:
				if !failed("GetShardIterator", err) {
					return
				}
				continue
			}
		}
		var out getRecordsOut
		err := f.call(ctx, "GetRecords", map[string]any{"ShardIterator": it, "Limit": f.o.Limit}, &out)
		switch {
		case err == nil:
		case isStreamsError(err, "ExpiredIteratorException"):
			it = ""
			if last != "" {
				typ = "AFTER_SEQUENCE_NUMBER"
			} else if typ != "TRIM_HORIZON" {
				// Nothing read yet from LATEST: what came since is lost.
				lost("iterator expired")
				typ = "TRIM_HORIZON"
			}
			continue
		case isStreamsError(err, "TrimmedDataAccessException"):
			lost("trimmed")
			it, typ, last = "", "TRIM_HORIZON", ""
			continue
		case isStreamsError(err, "ResourceNotFoundException"):
			lost("shard not found")
			return
		default:
			if !failed("GetRecords", err) {
				return
			}
			continue
		}
		backoff = f.o.RetryMin
		for i := range out.Records {
			r := &out.Records[i]
			f.applyRecord(s, r.EventName, r.Dynamodb.Keys, r.Dynamodb.NewImage)
			if r.Dynamodb.SequenceNumber != "" {
				last = r.Dynamodb.SequenceNumber
			}
		}
		if out.NextShardIterator == nil || *out.NextShardIterator == "" {
			// Closed and read to its end: find its children now.
			f.p.m.streams.shardsFinished.Add(1)
			s.dirty.Store(true)
			f.Rediscover()
			return
		}
		it = *out.NextShardIterator
		if len(out.Records) == 0 && !sleep(f.o.Poll) {
			return
		}
	}
}

// applyRecord applies one stream record to the caches.
func (f *StreamsFollower) applyRecord(s *followedStream, event string, keys, newImage json.RawMessage) {
	defer func() {
		if r := recover(); r != nil {
			f.p.log.Error("panic applying a stream record", "table", s.table, "panic", r)
			f.p.dropTableLocal(s.table)
		}
	}()
	f.p.m.streams.records.Add(1)
	var keep func(cache.Item) bool
	switch {
	case event == "REMOVE":
		keep = func(it cache.Item) bool { return holds(it, nil) }
	case len(newImage) > 0 && string(newImage) != "null":
		img := []byte(newImage)
		keep = func(it cache.Item) bool { return holds(it, img) }
	}
	// keep nil (no new image in this view type): the entry is dropped.
	if len(keys) == 0 {
		f.p.dropTableLocal(s.table)
		return
	}
	f.p.applyItemChange(s.table, keys, keep)
}

// streamsMetrics count the DynamoDB Streams follower (streams_follow.go).
type streamsMetrics struct {
	following, available, unavailableLogged atomic.Uint64
	streams, shards                         atomic.Uint64 // gauges
	calls, records, errors, losses          atomic.Uint64
	shardsFinished                          atomic.Uint64
}

// appendStreamsMetrics renders the follower's metrics when one runs.
func (p *Proxy) appendStreamsMetrics(b []byte) []byte {
	m := &p.m.streams
	if m.following.Load() == 0 {
		return b
	}
	line := func(kind, name, help string, v uint64) {
		b = append(b, "# HELP "+name+" "+help+"\n# TYPE "+name+" "+kind+"\n"+name+" "...)
		b = strconv.AppendUint(b, v, 10)
		b = append(b, '\n')
	}
	line("gauge", "StreamsAvailable", "1 when the last discovery reached the backend's DynamoDB Streams API.", m.available.Load())
	line("gauge", "StreamsFollowed", "DynamoDB Streams being followed (one per table with a stream enabled).", m.streams.Load())
	line("gauge", "StreamsShardsFollowed", "Stream shards being read (or waiting for their parent).", m.shards.Load())
	line("counter", "StreamsCalls", "DynamoDB Streams API calls made.", m.calls.Load())
	line("counter", "StreamsRecords", "Stream records applied (writes that may have bypassed the proxy).", m.records.Load())
	line("counter", "StreamsErrors", "Failed DynamoDB Streams calls (retried).", m.errors.Load())
	line("counter", "StreamsShardsFinished", "Closed stream shards read to their end (their children then start).", m.shardsFinished.Load())
	line("counter", "StreamsLosses", "Times stream records may have been missed (the table's entries were dropped).", m.losses.Load())
	return b
}
