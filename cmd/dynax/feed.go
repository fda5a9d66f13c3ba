package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/dynax/dynax/changefeed"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/proxy"
)

// feedFlags choose how a proxy learns of writes that bypass it.
type feedFlags struct {
	mode string // auto, on, off
	// following is set once the proxy follows a dynax change feed.
	following bool
	// DynamoDB Streams (`dynax proxy` only: registerStreams).
	streams                   bool
	streamsPoll, streamsEvery time.Duration
}

func (f *feedFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.mode, "change-feed", "auto", "follow the backend's change feed so writes that bypass the proxy (other applications, TTL deletions) update or invalidate cached entries within milliseconds: auto = when the backend is a dynax store, on = require it, off = never. Without a feed (a foreign backend such as DynamoDB or DynamoDB Local), bypassing writes are seen only when entries expire (--item-ttl, --query-ttl), as with DAX, unless `dynax proxy --invalidate-from-streams` follows the tables' DynamoDB Streams")
}

// registerStreams adds the DynamoDB Streams flags (`dynax proxy`).
func (f *feedFlags) registerStreams(fs *flag.FlagSet) {
	fs.BoolVar(&f.streams, "invalidate-from-streams", false, "in front of a foreign backend (DynamoDB, DynamoDB Local, moto, a dynax store with --change-feed off): follow the DynamoDB Streams of every table that has a stream enabled (ListStreams, DescribeStream, GetShardIterator, GetRecords, sent to --streams-backend) and update or invalidate cached entries from their records, so writes that bypass the proxy show within about --streams-poll plus a round trip (KEYS_ONLY and OLD_IMAGE streams invalidate). Tables without a stream, and every table without this flag (and without a change feed), see bypassing writes only when entries expire (--item-ttl, --query-ttl), as with DAX. Not needed when the proxy follows a dynax store's change feed, which sees every write")
	fs.DurationVar(&f.streamsPoll, "streams-poll", 100*time.Millisecond, "with --invalidate-from-streams: pause after a GetRecords of a shard that returned nothing (DynamoDB throttles a shard read too often; raise it when many proxies share a stream)")
	fs.DurationVar(&f.streamsEvery, "streams-discover", 3*time.Second, "with --invalidate-from-streams: how often streams and shards are rediscovered (also at once after a CreateTable or UpdateTable through the proxy)")
}

// startStreams follows the backend's DynamoDB Streams when asked to and no
// change feed is followed. stop is never nil.
func (f *feedFlags) startStreams(p *proxy.Proxy, log *slog.Logger) (stop func(), err error) {
	if !f.streams {
		return func() {}, nil
	}
	if f.following {
		log.Info("--invalidate-from-streams: the backend's change feed is followed instead (it sees every write); not following DynamoDB Streams")
		return func() {}, nil
	}
	if f.streamsPoll <= 0 || f.streamsEvery <= 0 {
		return func() {}, fmt.Errorf("--streams-poll and --streams-discover must be positive")
	}
	sf, err := p.FollowStreams(proxy.StreamsOptions{Poll: f.streamsPoll, Discover: f.streamsEvery})
	if err != nil {
		return func() {}, err
	}
	log.Info("following the DynamoDB Streams of the backend's tables (writes that bypass the proxy invalidate cached entries)", "poll", f.streamsPoll, "discover", f.streamsEvery)
	return sf.Close, nil
}

// check validates the flag.
func (f *feedFlags) check() error {
	switch f.mode {
	case "auto", "on", "off":
		return nil
	}
	return fmt.Errorf("bad --change-feed %q (want auto, on or off)", f.mode)
}

// startRemoteFeed follows the change feed of a remote backend when it is a
// dynax store (mode auto) or must be one (on). stop is never nil.
func (f *feedFlags) startRemoteFeed(p *proxy.Proxy, be proxy.Backend, url string, log *slog.Logger) (stop func(), err error) {
	stop = func() {}
	switch f.mode {
	case "off":
		log.Info("change feed off: writes that bypass the proxy are seen when entries expire")
		return stop, nil
	}
	if err := f.check(); err != nil {
		return stop, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	status, body, perr := be.Do(ctx, &proxy.Call{Prefix: wire.PrefixFeed, Operation: changefeed.OpGetHead, Body: []byte(`{}`)})
	cancel()
	switch {
	case perr == nil && status == 200:
	case perr != nil && f.mode == "auto":
		// Not up yet: assume a dynax store, the follower retries.
		log.Warn("backend did not answer the change-feed probe; following it anyway (retrying)", "backend", url, "err", perr)
	case perr != nil:
		log.Warn("backend did not answer the change-feed probe; retrying", "backend", url, "err", perr)
	case f.mode == "on":
		return stop, fmt.Errorf("--change-feed on: backend %s serves no dynax change feed (HTTP %d: %s)", url, status, body)
	default:
		log.Info("backend serves no dynax change feed: writes that bypass the proxy are seen when entries expire (--item-ttl)", "backend", url)
		return stop, nil
	}
	stop, err = followFeed(p, changefeed.NewClient(url), log)
	f.following = err == nil
	return stop, err
}

// followFeed starts a follower of src on p.
func followFeed(p *proxy.Proxy, src changefeed.Source, log *slog.Logger) (stop func(), err error) {
	fl, err := p.FollowChanges(proxy.FeedOptions{Source: src})
	if err != nil {
		return func() {}, err
	}
	log.Info("following the backend's change feed (writes that bypass the proxy invalidate cached entries)")
	return fl.Close, nil
}
