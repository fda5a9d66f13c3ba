package store

// The change feed: the node's change log, merged over all tables in
// sequence order, for followers such as the caching proxy (package
// changefeed has the contract). Served in process by Node.Feed and on the
// node's listener under the target prefix changefeed uses.

import (
	"context"
	"slices"
	"time"

	"github.com/dynax/dynax/changefeed"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// Feed returns the node's change feed.
func (n *Node) Feed() changefeed.Source { return nodeFeed{n} }

type nodeFeed struct{ n *Node }

func (f nodeFeed) Head(ctx context.Context) (uint64, error) {
	if f.n.isClosed() {
		return 0, changefeed.ErrClosed
	}
	return f.n.clog.visible(), nil
}

func (f nodeFeed) Read(ctx context.Context, req changefeed.Request) (changefeed.Batch, error) {
	return f.n.readFeed(ctx, req)
}

// isClosed reports whether Close has begun.
func (n *Node) isClosed() bool {
	select {
	case <-n.stop:
		return true
	default:
		return false
	}
}

// readFeed implements changefeed.Source.Read.
func (n *Node) readFeed(ctx context.Context, req changefeed.Request) (changefeed.Batch, error) {
	limit := req.Limit
	if limit <= 0 || limit > changefeed.MaxLimit {
		limit = changefeed.MaxLimit
	}
	var timer *time.Timer
	for {
		if n.isClosed() {
			return changefeed.Batch{}, changefeed.ErrClosed
		}
		vis := n.clog.visible()
		if vis > req.After {
			b, err := n.collectFeed(req.After, vis, limit)
			if err != nil || len(b.Changes) > 0 || len(b.Trimmed) > 0 || timer == nil && req.Wait <= 0 {
				return b, err
			}
			req.After = b.Next // nothing for anyone up to vis: wait beyond it
		}
		if req.Wait <= 0 {
			return changefeed.Batch{Next: max(req.After, vis)}, nil
		}
		if timer == nil {
			timer = time.NewTimer(req.Wait)
			defer timer.Stop()
		}
		ch := n.clog.seq.waitChan(req.After)
		if ch == nil {
			continue
		}
		select {
		case <-ch:
		case <-timer.C:
			return changefeed.Batch{Next: req.After}, nil
		case <-ctx.Done():
			return changefeed.Batch{}, ctx.Err()
		case <-n.stop:
			return changefeed.Batch{}, changefeed.ErrClosed
		}
	}
}

// collectFeed returns up to limit changes numbered after..vis, merged over
// the tables.
func (n *Node) collectFeed(after, vis uint64, limit int) (changefeed.Batch, error) {
	var all []changefeed.Change
	var trimmed []string
	for _, lt := range n.clog.active(after) {
		from := after + 1
		if h := lt.horizon.Load(); h > from {
			trimmed = append(trimmed, lt.name)
			from = h
		}
		got := 0
		err := n.clog.scan(lt.id, from, vis, func(r logRecord) (bool, error) {
			c, err := lt.change(r)
			if err != nil {
				return false, err
			}
			all = append(all, c)
			got++
			return got < limit, nil
		})
		if err != nil {
			return changefeed.Batch{}, err
		}
	}
	slices.SortFunc(all, func(a, b changefeed.Change) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	slices.Sort(trimmed)
	next := vis
	if len(all) >= limit {
		// Each table contributed its first limit changes, so the first
		// limit overall are all here, and so is every change up to the
		// last one kept. (With exactly limit, one table may have been cut
		// at limit: Next must not pass its later changes.)
		all = all[:limit]
		next = all[limit-1].Seq
	}
	return changefeed.Batch{Changes: all, Next: next, Trimmed: trimmed}, nil
}

// change renders a log record of lt as a feed change.
func (lt *logTable) change(r logRecord) (changefeed.Change, error) {
	c := changefeed.Change{Seq: r.Seq, Table: lt.name, TableID: lt.id, Time: time.Unix(0, r.Nanos), Cause: r.Cause.String(),
		Stamp: r.Stamp, Origin: r.Origin}
	if r.Cause == CauseTableDeleted {
		c.TableDeleted = true
		return c, nil
	}
	var err error
	var img ddb.Item
	if r.Old != nil {
		if c.Old, img, err = storedJSON(r.Old); err != nil {
			return c, err
		}
	}
	if r.New != nil {
		if c.New, img, err = storedJSON(r.New); err != nil {
			return c, err
		}
	}
	c.Keys = lt.keysJSON(img)
	return c, nil
}

// storedJSON returns a copy of the JSON of a stored item, and the item.
func storedJSON(stored []byte) ([]byte, ddb.Item, error) {
	_, js, err := splitStored(stored)
	if err != nil {
		return nil, nil, err
	}
	js = append([]byte(nil), js...)
	it, err := ddb.DecodeItem(js)
	return js, it, err
}

// keysJSON renders the primary key of it.
func (lt *logTable) keysJSON(it ddb.Item) []byte {
	key := ddb.Item{}
	if v, ok := it[lt.hashKey]; ok {
		key[lt.hashKey] = v
	}
	if lt.rangeKey != "" {
		if v, ok := it[lt.rangeKey]; ok {
			key[lt.rangeKey] = v
		}
	}
	return ddb.AppendItem(nil, key)
}

// Feed operations on the wire (target prefix wire.PrefixFeed).
var feedOps = map[string]opFunc{
	changefeed.OpGetHead: func(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
		return changefeed.AppendHead(nil, n.clog.visible()), nil
	},
	changefeed.OpGetChanges: func(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
		r, err := changefeed.DecodeRequest(req.Body)
		if err != nil {
			return nil, err
		}
		b, err := n.readFeed(ctx, r)
		if err != nil {
			return nil, err
		}
		return changefeed.AppendBatch(make([]byte, 0, 256*len(b.Changes)+64), b), nil
	},
}
