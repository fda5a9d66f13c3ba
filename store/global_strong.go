package store

// Multi-Region strong consistency (MRSC): global tables created with
// MultiRegionConsistency STRONG span exactly three Regions (three replicas,
// or two and a witness), and every write is acknowledged only once two of
// the three hold it durably.
//
// The protocol is leaderless and per item, a single-decree Paxos-like
// round with leases:
//
//   - Prepare. The Region that takes a write (the proposer) picks a version
//     stamp above everything it knows of the item (its clock in Unix
//     nanoseconds, raised above the item's version) and asks every member,
//     itself included, for a grant on the item. A member grants when no
//     other Region holds an unexpired grant on the item (else: conflict,
//     ReplicatedWriteConflictException) and the stamp is above both the
//     item's version there and every stamp it granted before (else:
//     behind; the proposer learns the higher version and tries again). A
//     member whose copy of the item is newer than the proposer's sends it
//     along, so the proposer first catches up: conditions are evaluated
//     on the latest version of the item.
//   - With two grants of three, the proposer applies the write locally
//     (durably, with the chosen stamp as the item's version) and sends
//     the new item (or its deletion) to the other members; the write is
//     acknowledged when one of them answered that it holds it durably.
//     Fewer than two grants, or no member confirming the commit: the write
//     is refused (conflict, or InternalServerError when members cannot be
//     reached).
//
// Any two sets of two members of three intersect, so a write acknowledged
// before a strongly consistent read began is held by the reader's Region
// or by whichever other member answers it: a strongly consistent GetItem
// asks the other members for their version of the item, takes the first
// answer, catches up when that copy is newer, and reads locally. A member
// never grants a stamp at or below one it granted before, so a write that
// reached one member and then failed (an answer of 500: the outcome is
// unknown) can never overwrite a later acknowledged write when the
// asynchronous shipper (replicate.go, which also runs for MRSC tables and
// brings a Region back after an outage) delivers it.

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynax/dynax/ddb"
)

const (
	consistencyStrong   = "STRONG"
	consistencyEventual = "EVENTUAL"

	opStrongPrepare = "StrongPrepare"
	opStrongCommit  = "StrongCommit"
	opStrongAbort   = "StrongAbort"
	opStrongRead    = "StrongRead"

	// strongLease is how long a grant holds an item for its proposer.
	strongLease = 3 * time.Second
	// strongTimeout bounds each call to another member.
	strongTimeout = 2 * time.Second

	msgReplicatedConflict  = "The request was rejected because one or more items in the request are being modified by a request in another Region"
	msgMRSCAddReplica      = "Cannot add replicas to a global table with strong MultiRegionConsistency"
	msgMRSCWitnessEventual = "MultiRegionConsistency must be set as STRONG when GlobalTableWitnessUpdates parameter is present."
	msgMRSCDeleteOne       = "Deletion of only one table replica is not supported for global tables with MultiRegionConsistency set to STRONG."
	// The following texts are dynax's: DynamoDB's are not published
	// (docs/global-tables.md).
	msgMRSCThree    = msgInvalid + "A global table with MultiRegionConsistency STRONG must span exactly three Regions: create two replicas, or one replica and one witness"
	msgMRSCEmpty    = msgInvalid + "The table must be empty to create a global table with MultiRegionConsistency STRONG"
	msgMRSCLocalIdx = msgInvalid + "Local secondary indexes are not supported for global tables with MultiRegionConsistency STRONG"
	msgMRSCTTL      = msgInvalid + "Time to Live is not supported for global tables with MultiRegionConsistency STRONG"
	msgMRSCTxn      = msgInvalid + "Transactions are not supported for global tables with MultiRegionConsistency STRONG"
	msgMRSCUnavail  = "Internal server error"
)

func replicatedWriteConflict() error {
	return &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "ReplicatedWriteConflictException", Message: msgReplicatedConflict}
}

// errQuorum is the answer when two members of three cannot be reached.
func errQuorum() error { return ddb.InternalServerError(msgMRSCUnavail) }

// strong reports whether t is a global table in STRONG mode.
func (t *Table) strong() bool {
	return t.Desc.Consistency == consistencyStrong && len(t.Desc.Replicas) > 0
}

// witnessHere reports whether this node holds t only as its witness: such
// a table serves no reads or writes and is not shown to clients.
func (t *Table) witnessHere(self string) bool {
	rs := t.replica(self)
	return rs != nil && rs.Witness
}

// isWitness reports whether this node is t's witness (safe before the
// replicator starts).
func (n *Node) isWitness(t *Table) bool {
	return n.rep != nil && len(t.Desc.Replicas) > 0 && t.witnessHere(n.rep.self)
}

// strongState is a node's side of the protocol: the grants it gave, and
// the proposers' per-item serialization.
type strongState struct {
	mu     sync.Mutex
	grants map[string]*strongGrant // by item engine key
	// propose serializes the proposals of this Region for one item: two
	// local writers of an item wait for each other instead of
	// conflicting, as in a regional table.
	propose lockTable
}

// strongGrant is a member's promise on one item: while holder is set and
// the lease runs, no other Region may write the item; stamp is the highest
// stamp granted, below or at which nothing is granted again.
type strongGrant struct {
	holder  string
	stamp   int64
	expires time.Time
}

// prepareBody is the body of StrongPrepare, StrongAbort and StrongRead.
type prepareBody struct {
	Table string
	Keys  json.RawMessage // the item's key attributes
	key   []byte          // its engine key here
	// Stamp is the proposed version; LocalStamp and LocalOrigin the
	// version the proposer (or reader) holds.
	Stamp       int64 `json:",omitempty"`
	LocalStamp  int64
	LocalOrigin string
}

// prepareReply is a member's answer.
type prepareReply struct {
	Status string // granted, conflict, behind (StrongRead: ok)
	// The member's version of the item, and the item when that version is
	// above the caller's (Has=false with a version: a tombstone).
	Stamp  int64
	Origin string
	Newer  bool
	Has    bool
	Item   json.RawMessage `json:",omitempty"`
}

// commitBody is the body of StrongCommit.
type commitBody struct {
	Table  string
	Keys   json.RawMessage
	Stamp  int64
	Origin string
	Cause  string
	Item   json.RawMessage `json:",omitempty"` // nil: the item was deleted
}

// strongTable checks that a member's call names a STRONG table of this
// node, and returns it with the item's engine key here.
func (n *Node) strongTable(name string, keys json.RawMessage, src string) (*Table, []byte, error) {
	t, ok := n.cat.get(name)
	if !ok || !t.strong() || t.replica(src) == nil {
		return nil, nil, ddb.ResourceNotFound("Requested resource not found: Table: " + name + " not found")
	}
	key, err := t.memberKey(keys)
	if err != nil {
		return nil, nil, err
	}
	return t, key, nil
}

// versionReply fills r with the node's version of key (and the item when
// newer than the caller's version).
func (n *Node) versionReply(t *Table, key []byte, callerStamp int64, callerOrigin string, r *prepareReply) error {
	vs, vo, has, err := n.readVersion(t.ID, key)
	if err != nil {
		return err
	}
	if !has {
		return nil
	}
	r.Stamp, r.Origin = vs, vo
	if newer(vs, vo, callerStamp, callerOrigin) {
		r.Newer = true
		js, _, found, err := n.getRaw(key)
		if err != nil {
			return err
		}
		r.Has, r.Item = found, js
	}
	return nil
}

// prepare is the member's side of StrongPrepare (also called directly for
// the proposer's own grant).
func (n *Node) prepare(t *Table, in *prepareBody, proposer string) (prepareReply, error) {
	s := &n.rep.strong
	k := string(in.key)
	s.mu.Lock()
	defer s.mu.Unlock()
	var r prepareReply
	if err := n.versionReply(t, in.key, in.LocalStamp, in.LocalOrigin, &r); err != nil {
		return r, err
	}
	now := time.Now()
	g := s.grants[k]
	if g != nil && g.holder != "" && g.holder != proposer && now.Before(g.expires) {
		r.Status = "conflict"
		return r, nil
	}
	behindFloor := g != nil && in.Stamp <= g.stamp && !(g.holder == proposer && in.Stamp == g.stamp)
	if (r.Stamp != 0 && !newer(in.Stamp, proposer, r.Stamp, r.Origin)) || behindFloor {
		r.Status = "behind"
		if g != nil && g.stamp > r.Stamp {
			r.Stamp = g.stamp // the proposer must go above the promise too
		}
		return r, nil
	}
	if s.grants == nil {
		s.grants = map[string]*strongGrant{}
	}
	s.grants[k] = &strongGrant{holder: proposer, stamp: in.Stamp, expires: now.Add(strongLease)}
	r.Status = "granted"
	return r, nil
}

// release ends proposer's grant on key; committed drops the entry, whose
// promise the item's version now covers.
func (s *strongState) release(key []byte, proposer string, committed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.grants[string(key)]; g != nil && g.holder == proposer {
		if committed {
			delete(s.grants, string(key))
		} else {
			g.holder = "" // the promise stays
		}
	}
}

// members returns the other Regions of a STRONG table.
func (n *Node) members(t *Table) []*peerLink {
	var out []*peerLink
	for _, rs := range t.Desc.Replicas {
		if rs.Region == n.rep.self {
			continue
		}
		if p := n.rep.peers[rs.Region]; p != nil {
			out = append(out, p)
		}
	}
	return out
}

// strongCall posts one protocol call to p with a short timeout.
func (n *Node) strongCall(p *peerLink, op string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), strongTimeout)
	defer cancel()
	return n.rep.call(ctx, p, op, body)
}

// strongMutate runs one write to an item of a STRONG table (see the top of
// this file); mutateItem does the local part.
func (n *Node) strongMutate(t *Table, key []byte, cause Cause, needOld bool, fn func(old ddb.Item, oldSize int) (mutation, error)) error {
	mu := n.rep.strong.propose.slot(key)
	mu.Lock()
	defer mu.Unlock()
	keys, err := t.keyAttrs(key)
	if err != nil {
		return err
	}
	peers := n.members(t)
	self := n.rep.self
	var floor int64
	conflicts := 0
	for attempt := 0; ; attempt++ {
		ls, lo, _, err := n.readVersion(t.ID, key)
		if err != nil {
			return err
		}
		stamp := max(time.Now().UnixNano(), ls+1, floor+1)
		in := prepareBody{Table: t.Name, Keys: keys, key: key, Stamp: stamp, LocalStamp: ls, LocalOrigin: lo}
		body, _ := json.Marshal(in)
		own, err := n.prepare(t, &in, self)
		if err != nil {
			return err
		}
		replies := make([]prepareReply, len(peers))
		errs := make([]error, len(peers))
		var wg sync.WaitGroup
		for i, p := range peers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := n.strongCall(p, opStrongPrepare, body)
				if err == nil {
					err = json.Unmarshal(out, &replies[i])
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		granted, conflict, behind := 0, false, false
		var granters []*peerLink
		all := append([]prepareReply{own}, replies...)
		for i, r := range all {
			if i > 0 && errs[i-1] != nil {
				continue
			}
			switch r.Status {
			case "granted":
				granted++
				if i > 0 {
					granters = append(granters, peers[i-1])
				}
			case "conflict":
				conflict = true
			case "behind":
				behind = true
				floor = max(floor, r.Stamp)
			}
			if i > 0 && r.Newer {
				// Catch up first: the write must apply to the latest version.
				var put ddb.Item
				if r.Has {
					if put, err = ddb.DecodeItem(r.Item); err != nil {
						continue
					}
				}
				if err := n.applyVersioned(t, key, put, r.Stamp, r.Origin, CausePut); err != nil {
					n.log.Warn("global tables: STRONG catch-up", "table", t.Name, "err", err)
				}
			}
		}
		abort := func() {
			n.rep.strong.release(key, self, false)
			ab, _ := json.Marshal(prepareBody{Table: t.Name, Keys: keys})
			for _, p := range granters {
				go func() { _, _ = n.strongCall(p, opStrongAbort, ab) }()
			}
		}
		if conflict && granted < 2 || own.Status == "conflict" {
			// Another Region holds the item. Its commit may be on its way
			// (a write that just finished there): wait a little, a few
			// times, before calling it a conflict.
			abort()
			if conflicts++; conflicts <= 4 {
				time.Sleep(time.Duration(1<<conflicts) * time.Millisecond)
				attempt--
				continue
			}
			return replicatedWriteConflict()
		}
		if granted < 2 {
			abort()
			switch {
			case behind && attempt < 3:
				continue
			default:
				return errQuorum()
			}
		}
		if own.Status != "granted" {
			// The other two members granted, this one is behind (it just
			// caught up): go again with a stamp above what it knows.
			abort()
			if attempt < 3 {
				continue
			}
			return replicatedWriteConflict()
		}
		if err := n.mutateItem(t, key, cause, needOld, stamp, fn); err != nil {
			abort()
			return err
		}
		return n.strongCommit(t, key, keys, cause, peers)
	}
}

// strongCommit sends the item's new state to the other members and waits
// until one holds it durably.
func (n *Node) strongCommit(t *Table, key []byte, keys json.RawMessage, cause Cause, peers []*peerLink) error {
	self := n.rep.self
	vs, vo, _, err := n.readVersion(t.ID, key)
	if err != nil {
		return err
	}
	if vo == "" {
		vo = self
	}
	js, _, found, err := n.getRaw(key)
	if err != nil {
		return err
	}
	c := commitBody{Table: t.Name, Keys: keys, Stamp: vs, Origin: vo, Cause: causeNames[cause]}
	if found {
		c.Item = js
	}
	body, _ := json.Marshal(c)
	n.rep.strong.release(key, self, true)
	acks := make(chan error, len(peers))
	for _, p := range peers {
		go func() {
			_, err := n.strongCall(p, opStrongCommit, body)
			acks <- err
		}()
	}
	var last error
	for i := range peers {
		if last = <-acks; last == nil {
			// Acknowledged. Give the other member's commit a moment to land,
			// so the same client's next write of the item there does not
			// find the grant still held.
			grace := time.NewTimer(20 * time.Millisecond)
			defer grace.Stop()
			for range len(peers) - i - 1 {
				select {
				case <-acks:
				case <-grace.C:
					return nil
				}
			}
			return nil
		}
	}
	n.log.Warn("global tables: STRONG write reached no other Region", "table", t.Name, "err", last)
	return errQuorum()
}

// strongSync brings the local copy of an item of a STRONG table up to the
// latest acknowledged write before a strongly consistent read: it asks
// the other members for their version and applies a newer copy.
func (n *Node) strongSync(t *Table, key []byte) error {
	ls, lo, _, err := n.readVersion(t.ID, key)
	if err != nil {
		return err
	}
	keys, err := t.keyAttrs(key)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(prepareBody{Table: t.Name, Keys: keys, LocalStamp: ls, LocalOrigin: lo})
	peers := n.members(t)
	type answer struct {
		r   prepareReply
		err error
	}
	answers := make(chan answer, len(peers))
	for _, p := range peers {
		go func() {
			var a answer
			out, err := n.strongCall(p, opStrongRead, body)
			if err == nil {
				err = json.Unmarshal(out, &a.r)
			}
			a.err = err
			answers <- a
		}()
	}
	var last error
	for range peers {
		a := <-answers
		if a.err != nil {
			last = a.err
			continue
		}
		if a.r.Newer {
			var put ddb.Item
			if a.r.Has {
				if put, err = ddb.DecodeItem(a.r.Item); err != nil {
					return err
				}
			}
			if err := n.applyVersioned(t, key, put, a.r.Stamp, a.r.Origin, CausePut); err != nil {
				return err
			}
		}
		return nil
	}
	n.log.Warn("global tables: STRONG read reached no other Region", "table", t.Name, "err", last)
	return errQuorum()
}

// strongMany runs a non-transactional multi-item write (BatchWriteItem)
// whose items include some of STRONG tables: item by item, each through
// its own protocol round when its table is STRONG.
func (n *Node) strongMany(targets []multiTarget, cause Cause, fn func(cur []multiState) ([]mutation, error)) error {
	cur := make([]multiState, len(targets))
	for i, tg := range targets {
		each := func(old ddb.Item, oldSize int) (mutation, error) {
			cur[i] = multiState{item: old, size: oldSize}
			ms, err := fn(cur)
			if err != nil {
				return mutation{}, err
			}
			return ms[i], nil
		}
		if err := n.mutate(tg.table, tg.key, cause, each); err != nil {
			return err
		}
	}
	return nil
}

// anyStrong reports whether a target is an item of a STRONG table.
func anyStrong(targets []multiTarget) bool {
	return slices.ContainsFunc(targets, func(tg multiTarget) bool { return tg.table.strong() })
}

// errStrongTxn refuses a transaction over an item of a STRONG table.
func errStrongTxn(t *Table) error {
	if t.strong() {
		return ddb.Validation(msgMRSCTxn)
	}
	return nil
}

// ---------------------------------------------------------------------------
// The members' side.

func decodePrepare(body []byte) (*prepareBody, error) {
	var in prepareBody
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, ddb.Serialization(err.Error())
	}
	return &in, nil
}

func opStrongPrepareFn(n *Node, ctx context.Context, src string, body []byte) ([]byte, error) {
	in, err := decodePrepare(body)
	if err != nil {
		return nil, err
	}
	t, key, err := n.strongTable(in.Table, in.Keys, src)
	if err != nil {
		return nil, err
	}
	in.key = key
	r, err := n.prepare(t, in, src)
	if err != nil {
		return nil, err
	}
	return json.Marshal(r)
}

func opStrongAbortFn(n *Node, ctx context.Context, src string, body []byte) ([]byte, error) {
	in, err := decodePrepare(body)
	if err != nil {
		return nil, err
	}
	_, key, err := n.strongTable(in.Table, in.Keys, src)
	if err != nil {
		return nil, err
	}
	n.rep.strong.release(key, src, false)
	return []byte(`{}`), nil
}

func opStrongReadFn(n *Node, ctx context.Context, src string, body []byte) ([]byte, error) {
	in, err := decodePrepare(body)
	if err != nil {
		return nil, err
	}
	t, key, err := n.strongTable(in.Table, in.Keys, src)
	if err != nil {
		return nil, err
	}
	r := prepareReply{Status: "ok"}
	if err := n.versionReply(t, key, in.LocalStamp, in.LocalOrigin, &r); err != nil {
		return nil, err
	}
	return json.Marshal(r)
}

func opStrongCommitFn(n *Node, ctx context.Context, src string, body []byte) ([]byte, error) {
	var in commitBody
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, ddb.Serialization(err.Error())
	}
	t, key, err := n.strongTable(in.Table, in.Keys, src)
	if err != nil {
		return nil, err
	}
	if in.Stamp <= 0 || in.Origin == "" {
		return nil, ddb.Validation("strong replication: commit without a version")
	}
	var put ddb.Item
	if in.Item != nil {
		if put, err = ddb.DecodeItem(in.Item); err != nil {
			return nil, ddb.Validation("strong replication: item: " + err.Error())
		}
		pk, sk, err := t.keyValues(put, false)
		if err != nil || !bytes.Equal(t.engineKey(pk, sk), key) {
			return nil, ddb.Validation("strong replication: the item does not have the commit's key")
		}
	}
	if err := n.applyVersioned(t, key, put, in.Stamp, in.Origin, causeByName(in.Cause)); err != nil {
		return nil, err
	}
	if n.wopts.Sync {
		if err := n.db.LogData(nil, pebble.Sync); err != nil {
			return nil, err
		}
	}
	n.rep.strong.release(key, src, true)
	return []byte(`{}`), nil
}

func init() {
	feedOps[opStrongPrepare] = peerOp(opStrongPrepareFn)
	feedOps[opStrongAbort] = peerOp(opStrongAbortFn)
	feedOps[opStrongRead] = peerOp(opStrongReadFn)
	feedOps[opStrongCommit] = peerOp(opStrongCommitFn)
}

// ---------------------------------------------------------------------------
// Keys across Regions. An engine key embeds the table's ID, which differs
// from node to node, so members exchange an item's key attributes and
// each builds its own engine key.

// keyAttrs returns the key attributes (as item JSON) of the item at
// engine key key of t, decoded from the key's order-preserving encoding.
func (t *Table) keyAttrs(key []byte) (json.RawMessage, error) {
	if len(key) < 13 {
		return nil, errCorruptRecord
	}
	rest := key[13:] // tag, table ID, partition hash
	hk, ht := t.HashKey()
	rk, rt := t.RangeKey()
	pk, rest, err := decodeKeyValue(rest, ht)
	if err != nil {
		return nil, err
	}
	it := ddb.Item{hk: pk}
	var sk ddb.Value
	if rk != "" {
		if sk, rest, err = decodeKeyValue(rest, rt); err != nil {
			return nil, err
		}
		it[rk] = sk
	}
	if len(rest) != 0 || !bytes.Equal(t.engineKey(pk, sk), key) {
		return nil, errCorruptRecord
	}
	return ddb.AppendItem(nil, it), nil
}

// decodeKeyValue reads one value of type typ encoded by appendKeyValue.
func decodeKeyValue(b []byte, typ ddb.Type) (ddb.Value, []byte, error) {
	switch typ {
	case ddb.TypeS, ddb.TypeB:
		var out []byte
		for i := 0; i+1 < len(b); i++ {
			switch {
			case b[i] == 0 && b[i+1] == 1:
				if typ == ddb.TypeS {
					return ddb.Value{T: ddb.TypeS, S: string(out)}, b[i+2:], nil
				}
				return ddb.Value{T: ddb.TypeB, B: out}, b[i+2:], nil
			case b[i] == 0 && b[i+1] == 0xFF:
				out = append(out, 0)
				i++
			default:
				out = append(out, b[i])
			}
		}
	case ddb.TypeN:
		if len(b) > 0 && b[0] == 0x02 {
			return ddb.Value{T: ddb.TypeN, S: "0"}, b[1:], nil
		}
		if len(b) < 4 || (b[0] != 0x01 && b[0] != 0x03) {
			break
		}
		neg := b[0] == 0x01
		e := uint16(b[1])<<8 | uint16(b[2])
		end := byte(0x00)
		if neg {
			e, end = ^e, 0xFF
		}
		var digits []byte
		for i := 3; i < len(b); i++ {
			c := b[i]
			if c == end {
				if len(digits) == 0 {
					break
				}
				s := string(digits[:1])
				if len(digits) > 1 {
					s += "." + string(digits[1:])
				}
				s += "E" + strconv.Itoa(int(e)-0x8000)
				if neg {
					s = "-" + s
				}
				return ddb.Value{T: ddb.TypeN, S: s}, b[i+1:], nil
			}
			if neg {
				c = ^c
			}
			if c < 1 || c > 10 {
				break
			}
			digits = append(digits, '0'+c-1)
		}
	}
	return ddb.Value{}, nil, errCorruptRecord
}

// memberKey returns the engine key on this node of the item whose key
// attributes a member sent.
func (t *Table) memberKey(keys json.RawMessage) ([]byte, error) {
	it, err := ddb.DecodeItem(keys)
	if err != nil {
		return nil, ddb.Validation("strong replication: key: " + err.Error())
	}
	pk, sk, err := t.keyValues(it, true)
	if err != nil {
		return nil, err
	}
	return t.engineKey(pk, sk), nil
}
