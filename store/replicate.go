package store

// Global tables, eventual mode (version 2019.11.21): every node is one
// Region, and a global table has a replica, a table of the same name, on
// the node of each of its Regions.
//
// Replication ships the change log. For each peer Region a shipper reads
// the node's change feed from its position (persisted under 'W' + Region),
// keeps the changes of global tables that have a replica there and were
// written on this node (Origin ""), and posts them to the peer's
// ApplyChanges (on the change feed's target prefix, authenticated by the
// shared peer secret). The position advances, and the change log may be
// trimmed past it (retention.go), only once the peer answered, and the
// peer answers only after it committed the batch durably: a kill -9 of
// either side loses no acknowledged write, and a batch shipped twice is
// applied twice harmlessly (below).
//
// Conflicts resolve last-writer-wins per item. Every change to an item of
// a global table carries a version, (stamp, Region): stamp is the commit
// time in Unix nanoseconds, raised above the version it replaces, and the
// Region where the write was made breaks ties. A node keeps each item's
// version under 'V' + tableID + item key, also after a delete (the
// tombstone, kept for as long as the table lives, so a late update can
// never bring a deleted item back). A replicated change applies only when
// its version is above the item's; so every replica ends with the item of
// the highest version, whatever order the changes arrive in, and applying
// one twice changes nothing. Replicated changes are logged with their
// Origin, so they show in the replica's streams but are never shipped
// again: there are no loops in the full mesh of Regions.

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/changefeed"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

const (
	tagVersion = 'V' // 'V' + tableID(8) + item engine key → stamp(8) + origin Region
	tagShipPos = 'W' // 'W' + peer Region → feed position (8) shipped to it

	// GlobalTableVersion is the version of global tables dynax implements.
	GlobalTableVersion = "2019.11.21"

	// Replication operations, served on the change feed's target prefix.
	opApplyChanges  = "ApplyChanges"
	opCreateReplica = "CreateReplica"
	opSetReplicas   = "SetReplicas"
	opDropReplica   = "DropReplica"

	shipBatch = 500
)

func accessDenied(msg string) error {
	return &ddb.Error{Status: 400, Type: ddb.NSService + "AccessDeniedException", Message: msg, CapitalMessage: true}
}

// ReplicaState is one Region of a global table.
type ReplicaState struct {
	Region string `json:"region"`
	// Witness marks the witness of a STRONG table (global_strong.go): it
	// holds the data but serves no reads or writes.
	Witness bool `json:"witness,omitempty"`
	// Status is the ReplicaStatus: CREATING, ACTIVE, UPDATING, DELETING or
	// CREATION_FAILED.
	Status            string `json:"status"`
	StatusDescription string `json:"statusDesc,omitempty"`
	// Read-side overrides (UpdateTable ReplicaUpdates Create/Update).
	KMSMasterKeyID     string `json:"kmsKeyId,omitempty"`
	TableClassOverride string `json:"tableClass,omitempty"`
	ReadUnitsOverride  *int64 `json:"rcu,omitempty"`
	MaxReadOverride    *int64 `json:"maxRead,omitempty"`
}

type replicaDescription struct {
	RegionName                    string                  `json:"RegionName"`
	ReplicaArn                    string                  `json:"ReplicaArn,omitempty"`
	ReplicaStatus                 string                  `json:"ReplicaStatus"`
	ReplicaStatusDescription      string                  `json:"ReplicaStatusDescription,omitempty"`
	ReplicaStatusPercentProgress  string                  `json:"ReplicaStatusPercentProgress,omitempty"`
	KMSMasterKeyID                string                  `json:"KMSMasterKeyId,omitempty"`
	ProvisionedThroughputOverride *readUnitsOverride      `json:"ProvisionedThroughputOverride,omitempty"`
	OnDemandThroughputOverride    *maxReadOverride        `json:"OnDemandThroughputOverride,omitempty"`
	ReplicaTableClassSummary      *tableClassSummary      `json:"ReplicaTableClassSummary,omitempty"`
	GlobalSecondaryIndexes        []replicaIndexDescribed `json:"GlobalSecondaryIndexes,omitempty"`
}

type witnessDescription struct {
	RegionName    string `json:"RegionName"`
	WitnessStatus string `json:"WitnessStatus"`
}

type readUnitsOverride struct {
	ReadCapacityUnits *int64 `json:"ReadCapacityUnits,omitempty"`
}

type maxReadOverride struct {
	MaxReadRequestUnits *int64 `json:"MaxReadRequestUnits,omitempty"`
}

type replicaIndexDescribed struct {
	IndexName string `json:"IndexName"`
}

// replica returns the state of Region r in t, or nil.
func (t *Table) replica(r string) *ReplicaState {
	for i := range t.Desc.Replicas {
		if t.Desc.Replicas[i].Region == r {
			return &t.Desc.Replicas[i]
		}
	}
	return nil
}

// describeReplicas adds GlobalTableVersion and Replicas to a global
// table's description.
func (n *Node) describeReplicas(t *Table, d *tableDescription) {
	if len(t.Desc.Replicas) == 0 {
		return
	}
	d.GlobalTableVersion = GlobalTableVersion
	d.MultiRegionConsistency = consistencyEventual
	if t.Desc.Consistency != "" {
		d.MultiRegionConsistency = t.Desc.Consistency
	}
	for _, r := range t.Desc.Replicas {
		if r.Witness {
			d.GlobalTableWitnesses = append(d.GlobalTableWitnesses, witnessDescription{RegionName: r.Region, WitnessStatus: r.Status})
			continue
		}
		rd := replicaDescription{
			RegionName:               r.Region,
			ReplicaArn:               "arn:aws:dynamodb:" + r.Region + ":" + t.Account + ":table/" + t.Name,
			ReplicaStatus:            r.Status,
			ReplicaStatusDescription: r.StatusDescription,
			KMSMasterKeyID:           r.KMSMasterKeyID,
		}
		if r.Status == replicaCreating {
			rd.ReplicaStatusPercentProgress = "0"
		}
		if r.ReadUnitsOverride != nil {
			rd.ProvisionedThroughputOverride = &readUnitsOverride{ReadCapacityUnits: r.ReadUnitsOverride}
		}
		if r.MaxReadOverride != nil {
			rd.OnDemandThroughputOverride = &maxReadOverride{MaxReadRequestUnits: r.MaxReadOverride}
		}
		if r.TableClassOverride != "" {
			rd.ReplicaTableClassSummary = &tableClassSummary{TableClass: r.TableClassOverride}
		}
		for _, g := range t.Desc.GlobalIndexes {
			rd.GlobalSecondaryIndexes = append(rd.GlobalSecondaryIndexes, replicaIndexDescribed{IndexName: g.IndexName})
		}
		d.Replicas = append(d.Replicas, rd)
	}
}

// Replica statuses.
const (
	replicaCreating = "CREATING"
	replicaActive   = "ACTIVE"
	replicaDeleting = "DELETING"
	replicaFailed   = "CREATION_FAILED"
)

// ---------------------------------------------------------------------------
// Versions.

func versionKey(id uint64, itemKey []byte) []byte {
	k := make([]byte, 9, 9+len(itemKey))
	k[0] = tagVersion
	binary.BigEndian.PutUint64(k[1:], id)
	return append(k, itemKey...)
}

func versionValue(stamp int64, region string) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(region)), uint64(stamp))
	return append(v, region...)
}

// readVersion returns the version of an item; ok is false when it has none.
func (n *Node) readVersion(id uint64, itemKey []byte) (stamp int64, region string, ok bool, err error) {
	v, closer, err := n.db.Get(versionKey(id, itemKey))
	if err == pebble.ErrNotFound {
		return 0, "", false, nil
	}
	if err != nil {
		return 0, "", false, err
	}
	defer closer.Close()
	if len(v) < 8 {
		return 0, "", false, errCorruptRecord
	}
	return int64(binary.BigEndian.Uint64(v)), string(v[8:]), true, nil
}

// newer reports whether version (s1, r1) wins over (s2, r2).
func newer(s1 int64, r1 string, s2 int64, r2 string) bool {
	return s1 > s2 || s1 == s2 && r1 > r2
}

// stampChange versions a change of a global table: it completes the
// record being appended at buf[start:] as a version 2 record and, for a
// local write, records the item's new version in b. The caller holds the
// item's lock.
func (n *Node) stampChange(b *pebble.Batch, buf []byte, start int, c itemChange, nanos int64) ([]byte, error) {
	stamp, origin := c.stamp, c.origin
	if origin == "" {
		stamp = nanos
		if c.stamp != 0 {
			stamp = c.stamp // the stamp a STRONG write's members granted
		}
		cur, _, ok, err := n.readVersion(c.lt.id, c.key)
		if err != nil {
			return buf, err
		}
		if ok && cur >= stamp {
			stamp = cur + 1 // a clock behind a replicated version must not lose to it
		}
		if err := b.Set(versionKey(c.lt.id, c.key), versionValue(stamp, n.rep.self), nil); err != nil {
			return buf, err
		}
	}
	buf[start] = 2
	buf = binary.AppendUvarint(buf, uint64(stamp))
	buf = binary.AppendUvarint(buf, uint64(len(origin)))
	return append(buf, origin...), nil
}

// decodeStamp reads the trailer of a version 2 record.
func decodeStamp(r logRecord, v []byte) (logRecord, error) {
	s, n := binary.Uvarint(v)
	if n <= 0 {
		return r, errCorruptRecord
	}
	v = v[n:]
	l, n := binary.Uvarint(v)
	if n <= 0 || uint64(len(v)-n) < l {
		return r, errCorruptRecord
	}
	r.Stamp, r.Origin = int64(s), string(v[n:n+int(l)])
	return r, nil
}

// ---------------------------------------------------------------------------
// Applying replicated changes.

// causeByName maps a change's Cause back to its value.
func causeByName(name string) Cause {
	for i, s := range causeNames {
		if s == name && i != 0 {
			return Cause(i)
		}
	}
	return CausePut
}

// applyReplicated applies one change shipped from Region src, if its
// version is above the item's.
func (n *Node) applyReplicated(src string, c *changefeed.Change) error {
	if c.TableDeleted || c.Keys == nil {
		return nil
	}
	t, ok := n.cat.get(c.Table)
	if !ok || t.replica(src) == nil {
		return nil // the replica was removed here: the change is moot
	}
	keys, err := ddb.DecodeItem(c.Keys)
	if err != nil {
		return ddb.Validation("replicated key: " + err.Error())
	}
	pk, sk, err := t.keyValues(keys, true)
	if err != nil {
		return err
	}
	var put ddb.Item
	if c.New != nil {
		if put, err = ddb.DecodeItem(c.New); err != nil {
			return ddb.Validation("replicated item: " + err.Error())
		}
		ppk, psk, err := t.keyValues(put, false)
		if err != nil || !bytes.Equal(t.engineKey(ppk, psk), t.engineKey(pk, sk)) {
			return ddb.Validation("replicated item does not have the change's key")
		}
	}
	origin := c.Origin
	if origin == "" {
		origin = src
	}
	stamp := c.Stamp
	if stamp == 0 {
		stamp = c.Time.UnixNano()
	}
	return n.applyVersioned(t, t.engineKey(pk, sk), put, stamp, origin, causeByName(c.Cause))
}

// applyVersioned puts put (nil: deletes) at key of t with version (stamp,
// origin) if that version is above the item's, logging the change with
// its origin. It does not sync: the caller syncs once for a batch.
func (n *Node) applyVersioned(t *Table, key []byte, put ddb.Item, stamp int64, origin string, cause Cause) error {
	if n.marks.marked(key) {
		return ddb.TransactionConflict(msgTxnOngoing)
	}
	mu := n.locks.slot(key)
	mu.Lock()
	defer mu.Unlock()
	if cur, ok := n.cat.get(t.Name); ok && cur.ID == t.ID {
		t = cur
	} else {
		return nil
	}
	cs, cr, has, err := n.readVersion(t.ID, key)
	if err != nil {
		return err
	}
	if has && !newer(stamp, origin, cs, cr) {
		return nil // this replica holds a later (or the same) version
	}
	old, err := n.readCurrent(key, t.needsOldImage())
	if err != nil {
		return err
	}
	m := mutation{del: put == nil}
	if put != nil {
		m.put, m.putSize = put, ddb.ItemSize(put)
	}
	b := n.db.NewBatch()
	defer b.Close()
	newStored, changed, err := t.addMutation(b, key, old, m)
	if err != nil {
		return err
	}
	if err := b.Set(versionKey(t.ID, key), versionValue(stamp, origin), nil); err != nil {
		return err
	}
	var tk logTicket
	if changed && !unchanged(old, newStored, m.put) {
		ch := itemChange{lt: n.clog.table(t), old: old.stored, new: newStored, origin: origin, stamp: stamp}
		if tk, err = n.clog.append(b, cause, []itemChange{ch}); err != nil {
			n.clog.done(tk, err)
			return err
		}
	}
	err = b.Commit(pebble.NoSync)
	n.clog.done(tk, err)
	if err != nil {
		return err
	}
	if changed {
		n.cat.statsOf(t).record(old.stored != nil, old.size, m)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Peers and shippers.

// replicator ships the node's changes to its peer Regions.
type replicator struct {
	n      *Node
	self   string
	peers  map[string]*peerLink
	strong strongState // STRONG tables (global_strong.go)
}

// peerLink is the connection to one peer Region.
type peerLink struct {
	region, url string
	http        *fasthttp.Client
	pos         atomic.Uint64 // feed position shipped and acknowledged
	pending     atomic.Int64  // changes read but not yet acknowledged
	lag         lagStats
}

func startReplicator(n *Node) *replicator {
	r := &replicator{n: n, self: n.opts.Region, peers: map[string]*peerLink{}}
	if r.self == "" {
		r.self = wire.DefaultRegion
	}
	for region, url := range n.opts.Peers {
		p := &peerLink{region: region, url: strings.TrimRight(url, "/") + "/",
			http: &fasthttp.Client{Name: "dynax-replication", MaxIdleConnDuration: time.Minute}}
		pos, err := n.loadShipPos(region)
		if err != nil {
			n.log.Error("replication: read position; starting from the head", "peer", region, "err", err)
		}
		p.pos.Store(pos)
		r.peers[region] = p
		n.bg.Add(1)
		go func() {
			defer n.bg.Done()
			r.ship(p)
		}()
	}
	if len(r.peers) > 0 {
		n.log.Info("global tables: replicating", "region", r.self, "peers", len(r.peers))
	}
	return r
}

func shipPosKey(region string) []byte { return append([]byte{tagShipPos}, region...) }

// loadShipPos returns the persisted position of a peer, or the current
// head (stored at once) when there is none: tables become global only
// through UpdateTable, which backfills what came before.
func (n *Node) loadShipPos(region string) (uint64, error) {
	v, closer, err := n.db.Get(shipPosKey(region))
	if err == nil {
		defer closer.Close()
		if len(v) == 8 {
			return binary.BigEndian.Uint64(v), nil
		}
		return 0, errCorruptRecord
	}
	if err != pebble.ErrNotFound {
		return n.clog.visible(), err
	}
	head := n.clog.visible()
	return head, n.db.Set(shipPosKey(region), binary.BigEndian.AppendUint64(nil, head), pebble.Sync)
}

// hold returns the lowest change-log number of t a peer still needs.
func (r *replicator) hold(t *Table) (uint64, bool) {
	if r == nil || len(t.Desc.Replicas) == 0 {
		return 0, false
	}
	var lo uint64
	found := false
	for _, rs := range t.Desc.Replicas {
		if p := r.peers[rs.Region]; p != nil {
			if pos := p.pos.Load() + 1; !found || pos < lo {
				lo, found = pos, true
			}
		}
	}
	return lo, found
}

// ship runs the shipper of one peer until the node closes.
func (r *replicator) ship(p *peerLink) {
	n := r.n
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-n.stop
		cancel()
	}()
	backoff := 50 * time.Millisecond
	for !n.isClosed() {
		pos := p.pos.Load()
		b, err := n.readFeed(ctx, changefeed.Request{After: pos, Wait: time.Second, Limit: shipBatch})
		if err != nil {
			if !n.isClosed() {
				n.log.Error("replication: read change feed", "peer", p.region, "err", err)
				sleepOrStop(n, time.Second)
			}
			continue
		}
		for _, name := range b.Trimmed {
			if t, ok := n.cat.get(name); ok && t.replica(p.region) != nil {
				n.log.Error("replication: changes were trimmed before they were shipped; the replica may miss them",
					"peer", p.region, "table", name)
			}
		}
		out := b.Changes[:0]
		for _, c := range b.Changes {
			if c.Origin != "" || c.TableDeleted {
				continue
			}
			t, ok := n.cat.get(c.Table)
			if !ok || t.ID != c.TableID || t.replica(p.region) == nil {
				continue
			}
			if c.Stamp == 0 {
				c.Stamp = c.Time.UnixNano()
			}
			out = append(out, c)
		}
		p.pending.Store(int64(len(out)))
		for len(out) > 0 {
			err := r.send(ctx, p, opApplyChanges, changefeed.AppendBatch(nil, changefeed.Batch{Changes: out, Next: b.Next}))
			if err == nil {
				backoff = 50 * time.Millisecond
				break
			}
			if n.isClosed() {
				return
			}
			n.log.Warn("replication: peer unreachable; retrying", "peer", p.region, "err", err, "changes", len(out))
			sleepOrStop(n, backoff)
			backoff = min(2*backoff, 2*time.Second)
		}
		now := time.Now()
		for _, c := range out {
			p.lag.add(now.Sub(c.Time))
		}
		p.pending.Store(0)
		if b.Next != pos {
			p.pos.Store(b.Next)
			// Not synced: a lost position only ships changes again, which
			// the peer applies as no-ops.
			if err := n.db.Set(shipPosKey(p.region), binary.BigEndian.AppendUint64(nil, b.Next), pebble.NoSync); err != nil {
				n.log.Error("replication: save position", "peer", p.region, "err", err)
			}
		}
	}
}

func sleepOrStop(n *Node, d time.Duration) {
	select {
	case <-n.stop:
	case <-time.After(d):
	}
}

// peerRequest is the body of every replication call.
type peerRequest struct {
	Source string          `json:"Source"`
	Secret string          `json:"Secret"`
	Body   json.RawMessage `json:"Body"`
}

// send posts one replication call to p and waits for its answer.
func (r *replicator) send(ctx context.Context, p *peerLink, op string, body []byte) error {
	_, err := r.call(ctx, p, op, body)
	return err
}

func (r *replicator) call(ctx context.Context, p *peerLink, op string, body []byte) ([]byte, error) {
	js, err := json.Marshal(peerRequest{Source: r.self, Secret: r.n.opts.PeerSecret, Body: body})
	if err != nil {
		return nil, err
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(p.url)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", wire.PrefixFeed+"."+op)
	now := time.Now().UTC()
	req.Header.Set("X-Amz-Date", now.Format("20060102T150405Z"))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=dynax/"+now.Format("20060102")+
		"/"+p.region+"/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0")
	req.SetBody(js)
	timeout := 30 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	if err := p.http.DoTimeout(req, resp, timeout); err != nil {
		return nil, fmt.Errorf("store: replication %s to %s: %w", op, p.region, err)
	}
	if resp.StatusCode() != 200 {
		return nil, fmt.Errorf("store: replication %s to %s: HTTP %d: %s", op, p.region, resp.StatusCode(), resp.Body())
	}
	return append([]byte(nil), resp.Body()...), nil
}

// peerOp wraps a replication operation: it checks the secret and that the
// caller is a known peer.
func peerOp(fn func(n *Node, ctx context.Context, src string, body []byte) ([]byte, error)) opFunc {
	return func(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
		var in peerRequest
		if err := json.Unmarshal(req.Body, &in); err != nil {
			return nil, ddb.Serialization("Unable to parse replication request: " + err.Error())
		}
		if n.opts.PeerSecret == "" || subtle.ConstantTimeCompare([]byte(in.Secret), []byte(n.opts.PeerSecret)) != 1 {
			return nil, accessDenied("Replication call refused: peer secret mismatch")
		}
		if _, ok := n.opts.Peers[in.Source]; !ok {
			return nil, accessDenied("Replication call refused: " + in.Source + " is not a peer Region of " + n.rep.self)
		}
		return fn(n, ctx, in.Source, in.Body)
	}
}

func init() {
	feedOps[opApplyChanges] = peerOp(func(n *Node, ctx context.Context, src string, body []byte) ([]byte, error) {
		b, err := changefeed.DecodeBatch(body)
		if err != nil {
			return nil, ddb.Serialization(err.Error())
		}
		for i := range b.Changes {
			if err := n.applyReplicated(src, &b.Changes[i]); err != nil {
				return nil, err
			}
		}
		if n.wopts.Sync && len(b.Changes) > 0 {
			// One sync makes the whole batch durable before the sender
			// moves its position past it.
			if err := n.db.LogData(nil, pebble.Sync); err != nil {
				return nil, err
			}
		}
		return []byte(`{}`), nil
	})
	feedOps[opCreateReplica] = peerOp(opCreateReplicaFn)
	feedOps[opSetReplicas] = peerOp(opSetReplicasFn)
	feedOps[opDropReplica] = peerOp(opDropReplicaFn)
}

// ---------------------------------------------------------------------------
// Lag statistics.

// lagStats keeps the replication lags of the last shipped changes.
type lagStats struct {
	mu   sync.Mutex
	ring [4096]time.Duration
	n    int
	sum  time.Duration // of every lag added, for the ReplicationLatency summary
}

func (l *lagStats) add(d time.Duration) {
	l.mu.Lock()
	l.ring[l.n%len(l.ring)] = d
	l.n++
	l.sum += d
	l.mu.Unlock()
}

// ReplicationStats describes replication to the peers.
type ReplicationStats struct {
	// Shipped counts changes shipped since the node opened; P50 and P99
	// are the lag percentiles (commit here to durably applied and
	// acknowledged by the peer) over the last 4096 shipped to each peer.
	Shipped  int
	P50, P99 time.Duration
	// Peers has the same by peer Region, with Pending: the changes read
	// and not yet acknowledged.
	Peers map[string]PeerReplication
}

// PeerReplication describes replication to one peer Region.
type PeerReplication struct {
	Shipped  int
	P50, P99 time.Duration
	Pending  int64
	// Sum is the total lag of every change shipped (Shipped of them).
	Sum time.Duration
}

// snapshot returns the count and a copy of the kept lags.
func (l *lagStats) snapshot() (int, []time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n, slices.Clone(l.ring[:min(l.n, len(l.ring))])
}

// total returns the sum of every lag added.
func (l *lagStats) total() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sum
}

func percentiles(xs []time.Duration) (p50, p99 time.Duration) {
	if len(xs) == 0 {
		return 0, 0
	}
	slices.Sort(xs)
	return xs[len(xs)*50/100], xs[min(len(xs)-1, len(xs)*99/100)]
}

// ReplicationStats returns the node's replication statistics.
func (n *Node) ReplicationStats() ReplicationStats {
	s := ReplicationStats{Peers: map[string]PeerReplication{}}
	var all []time.Duration
	for k, p := range n.rep.peers {
		cnt, xs := p.lag.snapshot()
		all = append(all, xs...)
		s.Shipped += cnt
		pr := PeerReplication{Shipped: cnt, Pending: p.pending.Load(), Sum: p.lag.total()}
		pr.P50, pr.P99 = percentiles(xs)
		s.Peers[k] = pr
	}
	s.P50, s.P99 = percentiles(all)
	return s
}

// Region returns the node's Region.
func (n *Node) Region() string { return n.rep.self }

// itemsOf calls fn with the engine key and stored value of each item of t.
func (n *Node) itemsOf(t *Table, fn func(key, stored []byte) error) error {
	lo, hi := tableBounds(t.ID)
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		if err := fn(bytes.Clone(it.Key()), bytes.Clone(it.Value())); err != nil {
			return err
		}
	}
	return it.Error()
}
