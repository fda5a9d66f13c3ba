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
}

func (f *feedFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.mode, "change-feed", "auto", "follow the backend's change feed so writes that bypass the proxy (other applications, TTL deletions) update or invalidate cached entries within milliseconds: auto = when the backend is a dynax store, on = require it, off = never. Without a feed (a foreign backend such as DynamoDB or DynamoDB Local), bypassing writes are seen only when entries expire (--item-ttl, --query-ttl), as with DAX")
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
	return followFeed(p, changefeed.NewClient(url), log)
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
