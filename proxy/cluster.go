package proxy

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/cluster"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// Cache cluster. With a cluster attached (AttachCluster) every item has one
// owner (cluster.Membership.Route); only the owner caches it:
//
//   - GetItem and each owner's share of a BatchGetItem for keys another
//     member owns are forwarded to the owner over the peer protocol, which
//     answers from its cache; an owner that does not answer is bypassed
//     (the backend answers, nothing is cached): degraded, never failed.
//   - Keys this node owns but has not settled (gained in a view change less
//     than a settle window ago), and every key while the node is detached,
//     are read from the backend and not cached.
//   - A write goes to the backend as without a cluster; then, before it is
//     acknowledged, the owners of its keys invalidate their entries and
//     every member bumps the query-cache generations it touched (Fanout).
//     The writer keeps no entry for keys it does not own.
//   - Table drops (DeleteTable, a table found recreated, PartiQL writes of
//     unknown keys) are fanned out too.

// ClusterConfig is what a proxy needs to be a cluster member.
type ClusterConfig struct {
	// Membership is this node's registration; create it with
	// OnOwnershipLoss set to Proxy.OnOwnershipLoss. Required.
	Membership *cluster.Membership
	// Peers calls other members. Required.
	Peers *cluster.PeerClient
	// Fanout delivers invalidations. Required.
	Fanout *cluster.Fanout
}

type clusterState struct {
	ClusterConfig
	self string

	forwarded, forwardFailures, unsettled, detachedBypass atomic.Uint64
	peerReads, invalidationsIn                            atomic.Uint64
}

// AttachCluster makes the proxy a member of a cache cluster. Call it before
// serving requests.
func (p *Proxy) AttachCluster(c ClusterConfig) error {
	if c.Membership == nil || c.Peers == nil || c.Fanout == nil {
		return errors.New("proxy: ClusterConfig needs Membership, Peers and Fanout")
	}
	p.cl = &clusterState{ClusterConfig: c, self: c.Membership.Self().ID}
	return nil
}

// OnOwnershipLoss drops every cached item (and, when detached, every cached
// query): see cluster.Options.OnOwnershipLoss.
func (p *Proxy) OnOwnershipLoss(detached bool) {
	for _, t := range p.schemas.everTables() {
		p.items.InvalidateTable(t)
		if detached {
			p.gens.BumpTable(t)
		}
	}
	p.m.tableInvalidations.Add(1)
}

// everTables lists the tables whose schema was ever learned: every table
// that can have cached entries.
func (c *schemas) everTables() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, 0, len(c.ever))
	for t := range c.ever {
		out = append(out, t)
	}
	return out
}

type peerCtxKey struct{}

// Request origins carried in the context.
const (
	fromPeer  = 1 // forwarded by another member: never forward again
	localOnly = 2 // a share the cluster layer already routed here
)

func originOf(ctx context.Context) int {
	v, _ := ctx.Value(peerCtxKey{}).(int)
	return v
}

const hdrOwner = "x-dynax-owner"

// hdrForwarded marks an answer that came from the key's owner, another
// member (benchmarks tell forwarded hits from local ones by it).
const hdrForwarded = "x-dynax-forwarded"

// routeGet routes a GetItem for key. routed: the answer is out, err (the
// key was forwarded or bypassed); otherwise the caller serves it from the
// local cache, and passes epoch to afterFill.
func (p *Proxy) routeGet(ctx context.Context, req *wire.Request, key string) (epoch uint64, routed bool, out []byte, err error) {
	cl := p.cl
	if cl == nil {
		return 0, false, nil, nil
	}
	r := cl.Membership.Route(key)
	switch {
	case r.Local && r.Settled:
		if req.RespHeader != nil {
			req.RespHeader.Set(hdrOwner, cl.self)
		}
		return r.Epoch, false, nil, nil
	case r.Detached:
		cl.detachedBypass.Add(1)
	case r.Local:
		cl.unsettled.Add(1)
	case originOf(ctx) == fromPeer:
		// Views disagree (a change is spreading): answer uncached.
		cl.unsettled.Add(1)
	default:
		out, err, ok := p.forwardRead(ctx, req, r.Owner, req.Body)
		if ok {
			return 0, true, out, err
		}
	}
	p.m.itemBypass.Add(1)
	out, err = p.bypass(ctx, req)
	return 0, true, out, err
}

// afterFill drops what a fill installed if the ownership epoch moved while
// it ran (the key may no longer be ours).
func (p *Proxy) afterFill(key string, epoch uint64) {
	if p.cl != nil && p.cl.Membership.Epoch() != epoch {
		p.items.Invalidate(key)
	}
}

// forwardRead sends a read to its owner. ok is false when the owner did
// not answer (the caller falls back to the backend).
func (p *Proxy) forwardRead(ctx context.Context, req *wire.Request, owner cluster.Member, body []byte) ([]byte, error, bool) {
	cl := p.cl
	cl.forwarded.Add(1)
	status, out, cache, err := cl.Peers.Read(ctx, owner.Peer, &cluster.PeerRead{Operation: req.Operation, Body: body,
		Region: req.Region, AccessKey: req.AccessKey, RequestID: req.RequestID})
	if err != nil {
		cl.forwardFailures.Add(1)
		p.log.Warn("cluster: owner did not answer; reading from the backend", "owner", owner.ID, "err", err)
		return nil, nil, false
	}
	if req.RespHeader != nil {
		if cache != "" {
			req.RespHeader.Set(hdrCache, cache)
		}
		req.RespHeader.Set(hdrOwner, owner.ID)
		req.RespHeader.Set(hdrForwarded, "1")
	}
	o, e := answer(status, out)
	return o, e, true
}

// queryCacheable reports whether the query cache may be used now.
func (p *Proxy) queryCacheable() bool {
	return p.cl == nil || p.cl.Membership.QueryCacheable()
}

// ServePeerRead implements cluster.PeerHandler.
func (p *Proxy) ServePeerRead(ctx context.Context, r *cluster.PeerRead) (status int, body []byte, cache string) {
	p.cl.peerReads.Add(1)
	var hdr fasthttp.ResponseHeader
	req := &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: r.Operation, Body: r.Body, Region: r.Region,
		AccessKey: r.AccessKey, RequestID: r.RequestID, RespHeader: &hdr}
	if req.Region == "" {
		req.Region = wire.DefaultRegion
	}
	ctx = context.WithValue(ctx, peerCtxKey{}, fromPeer)
	out, err := func() (out []byte, err error) {
		defer func() {
			if rec := recover(); rec != nil {
				p.log.Error("panic in proxy (peer read)", "op", r.Operation, "panic", rec)
				out, err = nil, ddb.InternalServerError("Internal server error")
			}
		}()
		if r.Operation == "BatchGetItem" {
			return p.batchGetItem(ctx, req)
		}
		return p.getItem(ctx, req)
	}()
	cache = string(hdr.Peek(hdrCache))
	if err == nil {
		return 200, out, cache
	}
	var pt *wire.Passthrough
	if errors.As(err, &pt) {
		return pt.Status, pt.Body, cache
	}
	de, ok := ddb.AsError(err)
	if !ok {
		de = ddb.InternalServerError("Internal server error")
	}
	return de.Status, wire.ErrorBody(de), cache
}

// ApplyInvalidation implements cluster.PeerHandler.
func (p *Proxy) ApplyInvalidation(inv *cluster.Invalidation) {
	p.cl.invalidationsIn.Add(1)
	for _, k := range inv.Keys {
		// A write record begun and aborted: the entry goes, fills in flight
		// do not install, and a local write of the key in flight counts as
		// overlapped (it invalidates instead of installing its image,
		// which may be older than the write that sent this).
		w := p.items.BeginWrite(string(k))
		p.items.AbortWrite(w)
	}
	for _, b := range inv.Bumps {
		p.gens.Bump(b.Table, string(b.Partition))
	}
	for _, t := range inv.Tables {
		p.schemas.forget(t)
		if p.schemas.seen(t) {
			p.items.InvalidateTable(t)
			p.gens.BumpTable(t)
			p.m.tableInvalidations.Add(1)
		}
	}
}

// afterWrite ends a write in the cluster, before it is acknowledged: keys
// this node does not own (or has not settled) leave its cache, their
// owners invalidate them, and every member bumps the written partitions'
// query generations.
func (p *Proxy) afterWrite(ws *writeSet, o outcome) {
	cl := p.cl
	if cl == nil || o == unchanged || len(ws.items) == 0 || p.opts.TestSkipClusterInvalidations {
		return
	}
	var common cluster.Invalidation
	var keys map[string][][]byte
	for i := range ws.items {
		iw := &ws.items[i]
		common.Bumps = append(common.Bumps, cluster.Bump{Table: iw.table, Partition: []byte(partitionOf(iw.key))})
		r := cl.Membership.Route(iw.key)
		if r.Local && r.Settled {
			continue
		}
		p.items.Invalidate(iw.key)
		if r.Owner.ID == "" || r.Owner.ID == cl.self {
			continue
		}
		if keys == nil {
			keys = map[string][][]byte{}
		}
		keys[r.Owner.ID] = append(keys[r.Owner.ID], []byte(iw.key))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	cl.Fanout.Send(ctx, common, keys)
}

// afterTableDrop tells the other members that table lost its entries.
func (p *Proxy) afterTableDrop(table string) {
	if p.cl == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p.cl.Fanout.Send(ctx, cluster.Invalidation{Tables: []string{table}}, nil)
}

// bgGroup is one destination's share of a BatchGetItem.
type bgGroup struct {
	kind  int // groupLocal, groupRemote, groupBypass
	owner cluster.Member
	sel   map[*bgTable][]int // key indexes per table
	// the answer
	status int
	body   []byte
	cache  string
	err    error
}

const (
	groupLocal = iota
	groupRemote
	groupBypass
)

// clusterBatchGet splits a validated BatchGetItem by owner: this node's
// settled keys are served by the local cache, each other owner's share is
// forwarded to it, the rest (consistent tables, unsettled keys, a detached
// node's keys) goes to the backend uncached; the answers are merged.
func (p *Proxy) clusterBatchGet(ctx context.Context, req *wire.Request, tables []*bgTable, rcc []byte) ([]byte, error) {
	cl := p.cl
	groups := map[string]*bgGroup{}
	add := func(id string, kind int, owner cluster.Member, t *bgTable, i int) {
		g := groups[id]
		if g == nil {
			g = &bgGroup{kind: kind, owner: owner, sel: map[*bgTable][]int{}}
			groups[id] = g
		}
		g.sel[t] = append(g.sel[t], i)
	}
	peer := originOf(ctx) == fromPeer
	epoch := cl.Membership.Epoch()
	for _, t := range tables {
		for i, k := range t.keys {
			if t.consistent {
				add("\x00bypass", groupBypass, cluster.Member{}, t, i)
				continue
			}
			r := cl.Membership.Route(k)
			switch {
			case r.Local && r.Settled:
				add("\x00local", groupLocal, cluster.Member{}, t, i)
			case r.Detached:
				cl.detachedBypass.Add(1)
				add("\x00bypass", groupBypass, cluster.Member{}, t, i)
			case r.Local || peer:
				cl.unsettled.Add(1)
				add("\x00bypass", groupBypass, cluster.Member{}, t, i)
			default:
				add(r.Owner.ID, groupRemote, r.Owner, t, i)
			}
		}
	}
	if g := groups["\x00local"]; g != nil && len(groups) == 1 {
		// All ours: the plain path.
		out, err := p.batchGetItem(context.WithValue(ctx, peerCtxKey{}, localOnly), req)
		p.afterBatchFill(g, epoch)
		return out, err
	}
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Add(1)
		go func(g *bgGroup) {
			defer wg.Done()
			defer func() {
				if rec := recover(); rec != nil {
					p.log.Error("panic in proxy (batch share)", "panic", rec)
					g.status, g.body, g.err = 500, nil, errBackend()
				}
			}()
			p.runGroup(ctx, req, g, rcc, epoch)
		}(g)
	}
	wg.Wait()
	// An error answer of any share is the answer.
	ids := make([]string, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		g := groups[id]
		if g.err != nil {
			return nil, g.err
		}
		if g.status != 200 {
			p.noteBatchError(tables, g.body)
			return answer(g.status, g.body)
		}
	}
	out, ok := mergeBatch(tables, groups, rcc)
	if !ok {
		return nil, errBackend()
	}
	state := cacheHit
	for _, g := range groups {
		switch {
		case g.cache == cacheMiss:
			state = cacheMiss
		case g.cache != cacheHit && state == cacheHit:
			state = cacheBypass
		}
	}
	setCache(req, state)
	return out, nil
}

// runGroup answers one share.
func (p *Proxy) runGroup(ctx context.Context, req *wire.Request, g *bgGroup, rcc []byte, epoch uint64) {
	body := subBatch(g.sel, rcc)
	if g.kind == groupRemote {
		status, out, cache, err := p.cl.Peers.Read(ctx, g.owner.Peer, &cluster.PeerRead{Operation: "BatchGetItem", Body: body,
			Region: req.Region, AccessKey: req.AccessKey, RequestID: req.RequestID})
		p.cl.forwarded.Add(1)
		if err == nil {
			g.status, g.body, g.cache = status, out, cache
			return
		}
		p.cl.forwardFailures.Add(1)
		p.log.Warn("cluster: owner did not answer; reading from the backend", "owner", g.owner.ID, "err", err)
		g.kind = groupBypass
	}
	if g.kind == groupBypass {
		n := 0
		for _, ks := range g.sel {
			n += len(ks)
		}
		p.m.itemBypass.Add(uint64(n))
		status, out, err := p.callReq(ctx, req, body)
		if err != nil {
			g.err = errBackend()
			return
		}
		g.status, g.body, g.cache = status, out, cacheBypass
		return
	}
	var hdr fasthttp.ResponseHeader
	sub := *req
	sub.Body = body
	sub.RespHeader = &hdr
	out, err := p.batchGetItem(context.WithValue(ctx, peerCtxKey{}, localOnly), &sub)
	p.afterBatchFill(g, epoch)
	g.cache = string(hdr.Peek(hdrCache))
	if err == nil {
		g.status, g.body = 200, out
		return
	}
	var pt *wire.Passthrough
	if errors.As(err, &pt) {
		g.status, g.body = pt.Status, pt.Body
		return
	}
	g.err = err
}

func (p *Proxy) afterBatchFill(g *bgGroup, epoch uint64) {
	if p.cl.Membership.Epoch() == epoch {
		return
	}
	for t, ks := range g.sel {
		for _, i := range ks {
			p.items.Invalidate(t.keys[i])
		}
	}
}

// subBatch writes the BatchGetItem of a share: the selected keys of each
// table with the caller's projection and consistency.
func subBatch(sel map[*bgTable][]int, rcc []byte) []byte {
	ts := make([]*bgTable, 0, len(sel))
	for t := range sel {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].name < ts[j].name })
	b := append(make([]byte, 0, 256), `{"RequestItems":{`...)
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, t.nameRaw...)
		b = append(b, ':')
		keys := make([]json.RawMessage, 0, len(sel[t]))
		for _, ki := range sel[t] {
			keys = append(keys, t.in.Keys[ki])
		}
		b = append(b, unprocessedEntry(t, keys)...)
	}
	b = append(b, '}')
	if rcc != nil {
		b = append(b, `,"ReturnConsumedCapacity":`...)
		b = append(b, rcc...)
	}
	return append(b, '}')
}

// mergeBatch merges the shares' answers into one BatchGetItem answer.
func mergeBatch(tables []*bgTable, groups map[string]*bgGroup, rcc []byte) ([]byte, bool) {
	items := map[string][]json.RawMessage{}
	unprocessed := map[string][]json.RawMessage{}
	capacity := map[string]map[string]any{}
	for _, g := range groups {
		var resp struct {
			Responses        map[string][]json.RawMessage
			UnprocessedKeys  map[string]struct{ Keys []json.RawMessage }
			ConsumedCapacity []map[string]any
		}
		if err := json.Unmarshal(g.body, &resp); err != nil {
			return nil, false
		}
		for name, its := range resp.Responses {
			items[name] = append(items[name], its...)
		}
		for name, u := range resp.UnprocessedKeys {
			unprocessed[name] = append(unprocessed[name], u.Keys...)
		}
		for _, c := range resp.ConsumedCapacity {
			name, _ := c["TableName"].(string)
			if prev := capacity[name]; prev != nil {
				addNumbers(prev, c)
			} else {
				capacity[name] = c
			}
		}
	}
	b := append(make([]byte, 0, 1024), `{"Responses":{`...)
	for i, t := range tables {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, t.nameRaw...)
		b = append(b, ":["...)
		for j, it := range items[t.name] {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, it...)
		}
		b = append(b, ']')
	}
	b = append(b, `},"UnprocessedKeys":{`...)
	first := true
	for _, t := range tables {
		u := unprocessed[t.name]
		if len(u) == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, t.nameRaw...)
		b = append(b, ':')
		b = append(b, unprocessedEntry(t, u)...)
	}
	b = append(b, '}')
	if rcc != nil {
		b = append(b, `,"ConsumedCapacity":[`...)
		for i, t := range tables {
			if i > 0 {
				b = append(b, ',')
			}
			c := capacity[t.name]
			if c == nil {
				c = map[string]any{"TableName": t.name, "CapacityUnits": 0.0}
			}
			cb, _ := json.Marshal(c)
			b = append(b, cb...)
		}
		b = append(b, ']')
	}
	return append(b, '}'), true
}

// addNumbers adds the numbers of src into dst, recursively.
func addNumbers(dst, src map[string]any) {
	for k, v := range src {
		switch sv := v.(type) {
		case float64:
			if dv, ok := dst[k].(float64); ok {
				dst[k] = dv + sv
			} else {
				dst[k] = sv
			}
		case map[string]any:
			if dm, ok := dst[k].(map[string]any); ok {
				addNumbers(dm, sv)
			} else {
				dst[k] = sv
			}
		}
	}
}

// appendClusterMetrics appends the cluster's metrics (nothing without a
// cluster).
func (p *Proxy) appendClusterMetrics(b []byte) []byte {
	cl := p.cl
	if cl == nil {
		return b
	}
	line := func(name, typ, help string, v uint64) {
		b = append(b, "# HELP "+name+" "+help+"\n# TYPE "+name+" "+typ+"\n"+name+" "...)
		b = strconv.AppendUint(b, v, 10)
		b = append(b, '\n')
	}
	ms := cl.Membership.Stats()
	ps := cl.Peers.Stats()
	fs := cl.Fanout.Stats()
	line("ClusterMembers", "gauge", "Live members in this node's view.", uint64(ms.Members))
	line("ClusterAttached", "gauge", "1 when this node is a member of its view, 0 when detached (the cache is bypassed).", uint64(ms.Attached))
	line("ClusterOwnershipEpoch", "gauge", "This node's ownership epoch (advances when it may have lost keys).", ms.Epoch)
	line("ClusterJoins", "counter", "Members seen joining.", ms.Joins)
	line("ClusterLeaves", "counter", "Members seen leaving.", ms.Leaves)
	line("ClusterOwnershipLosses", "counter", "View changes that dropped this node's cached items.", ms.Losses)
	line("ClusterReregistrations", "counter", "Times this node registered again after losing its lease.", ms.Reregistrations)
	line("ClusterForwardedReads", "counter", "Reads (GetItem, BatchGetItem shares) forwarded to their owner.", cl.forwarded.Load())
	line("ClusterForwardFailures", "counter", "Forwarded reads the owner did not answer (served from the backend).", cl.forwardFailures.Load())
	line("ClusterPeerReadsServed", "counter", "Reads other members forwarded to this node.", cl.peerReads.Load())
	line("ClusterUnsettledBypass", "counter", "Reads of keys gained in a recent view change (or views disagreeing), served uncached.", cl.unsettled.Load())
	line("ClusterDetachedBypass", "counter", "Reads served uncached because this node was detached.", cl.detachedBypass.Load())
	line("ClusterInvalidationsSent", "counter", "Invalidation messages sent to members.", fs.Sent)
	line("ClusterInvalidationFailures", "counter", "Invalidation messages a member did not acknowledge (retried).", fs.Failed)
	line("ClusterInvalidationRetries", "counter", "Retried invalidation deliveries.", fs.Retried)
	line("ClusterInvalidationsDropped", "counter", "Undelivered invalidations dropped because the member left.", fs.Dropped)
	line("ClusterInvalidationsPending", "gauge", "Members with undelivered invalidations.", uint64(fs.Pending))
	line("ClusterInvalidationsReceived", "counter", "Invalidation messages applied from other members.", cl.invalidationsIn.Load())
	_ = ps
	return b
}

// ClusterOptions configures JoinCluster.
type ClusterOptions struct {
	// Membership configures the registration (Endpoints, Cluster, ID,
	// LeaseTTL, SettleWindow …). PeerAddr defaults to the peer listener's
	// address; OnOwnershipLoss is set by JoinCluster.
	Membership cluster.Options
	// PeerListen is where the peer server listens. Default 127.0.0.1:0.
	PeerListen string
	// Secret is the cluster secret (at least cluster.MinSecretLen bytes).
	// Required.
	Secret string
	// PeerTimeout bounds one peer call. Default 1s.
	PeerTimeout time.Duration
	// TLS, when set, serves the peer port over TLS with this configuration,
	// and ClientTLS is what peer calls trust. Default nil: plain HTTP.
	TLS, ClientTLS *tls.Config
}

// ClusterNode is a proxy's membership in a cache cluster.
type ClusterNode struct {
	Membership *cluster.Membership
	PeerAddr   string
	server     *cluster.PeerServer
	client     *cluster.PeerClient
	fanout     *cluster.Fanout
	done       chan struct{}
}

// JoinCluster starts the peer server, registers in etcd and attaches the
// cluster to p. Call it before serving requests; Close leaves.
func (p *Proxy) JoinCluster(ctx context.Context, o ClusterOptions) (*ClusterNode, error) {
	if o.PeerListen == "" {
		o.PeerListen = "127.0.0.1:0"
	}
	mo := o.Membership
	if mo.Logger == nil {
		mo.Logger = p.log
	}
	mo.EnsureDefaults()
	name := mo.Cluster
	srv, err := cluster.NewPeerServer(cluster.PeerServerOptions{Secret: o.Secret, Cluster: name, ID: mo.ID, Handler: p, Logger: p.log})
	if err != nil {
		return nil, err
	}
	client, err := cluster.NewPeerClient(cluster.PeerClientOptions{Secret: o.Secret, Cluster: name, Timeout: o.PeerTimeout, TLS: o.ClientTLS})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.PeerListen)
	if err != nil {
		return nil, fmt.Errorf("proxy: peer listener: %w", err)
	}
	if o.TLS != nil {
		ln = tls.NewListener(ln, o.TLS)
	}
	if mo.PeerAddr == "" {
		mo.PeerAddr = ln.Addr().String()
	}
	mo.OnOwnershipLoss = p.OnOwnershipLoss
	m, err := cluster.Join(ctx, mo)
	if err != nil {
		ln.Close()
		return nil, err
	}
	f := cluster.NewFanout(m, client, p.log)
	if err := p.AttachCluster(ClusterConfig{Membership: m, Peers: client, Fanout: f}); err != nil {
		f.Close()
		_ = m.Close()
		ln.Close()
		return nil, err
	}
	n := &ClusterNode{Membership: m, PeerAddr: ln.Addr().String(), server: srv, client: client, fanout: f, done: make(chan struct{})}
	go func() {
		defer close(n.done)
		if err := srv.Serve(ln); err != nil {
			p.log.Error("cluster: peer server stopped", "err", err)
		}
	}()
	return n, nil
}

// Close leaves the cluster (the lease is revoked: the others re-route at
// once) and stops the peer server.
func (n *ClusterNode) Close() error {
	err := n.Membership.Close()
	n.fanout.Close()
	_ = n.server.Close()
	<-n.done
	n.client.Close()
	return err
}
