package store

// The control plane of global tables: UpdateTable ReplicaUpdates (version
// 2019.11.21) and the legacy 2017.11.29 operations, answered as current
// DynamoDB answers them. Replication itself is in replicate.go.
//
// The Region a replica is added from drives the change: it has the peer
// create the table (the peer refuses when it already has one), records the
// replica as CREATING, pushes the new list of Regions to every other
// member, and backfills the existing items in the background; the replica
// becomes ACTIVE when the backfill is acknowledged. No peer call is made
// while controlMu is held: in `dynax serve --regions` all the Regions share
// the process, and so the lock.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynax/dynax/changefeed"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

const (
	msgReplicaOnly      = msgInvalid + "Replica modification must be the only operation in the request"
	msgReplicaTooMany   = "Update table operation with more than one create or delete replica actions not allowed"
	msgReplicaLocal     = "Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, DeleteTable, or UpdateTable as required."
	msgReplicaCapacity  = "Table write capacity should either be Pay-Per-Request or AutoScaled."
	msgStreamGlobal     = "Disabling Stream is not allowed for a Global Table replica."
	msgLegacyCreate     = msgInvalid + "DynamoDB global tables version 2017.11.29 is not supported. We recommend using DynamoDB global tables version 2019.11.21, instead of version 2017.11.29 (Legacy)."
	msgMRCExisting      = "MultiRegionConsistency parameter is unsupported on existing global table"
	viewNewAndOldImages = "NEW_AND_OLD_IMAGES"
)

type replicaActionIn struct {
	RegionName                    *string
	KMSMasterKeyId                *string
	TableClassOverride            *string
	ProvisionedThroughputOverride *readUnitsOverride
	OnDemandThroughputOverride    *maxReadOverride
	GlobalSecondaryIndexes        []json.RawMessage
	DisassociationMode            *string
}

type replicaUpdateIn struct {
	Create, Update, Delete, Disassociate *replicaActionIn
}

// parseReplicaUpdates validates the ReplicaUpdates of in; two allows two
// creates or deletes (STRONG tables span three Regions).
func parseReplicaUpdates(in *updateTableIn, self string, two bool) ([]replicaUpdateIn, error) {
	if in.ProvisionedThroughput != nil || in.BillingMode != nil || in.StreamSpecification != nil ||
		in.GlobalSecondaryIndexUpdates != nil || in.SSESpecification != nil || in.TableClass != nil ||
		in.DeletionProtectionEnabled != nil || in.OnDemandThroughput != nil || in.WarmThroughput != nil ||
		in.AttributeDefinitions != nil {
		return nil, ddb.Validation(msgReplicaOnly)
	}
	var c checker
	if len(in.ReplicaUpdates) == 0 && in.GlobalTableWitnessUpdates == nil {
		c.fail("[]", "replicaUpdates", cLenMin1)
		return nil, c.err()
	}
	ups := make([]replicaUpdateIn, len(in.ReplicaUpdates))
	createsDeletes := 0
	for i, raw := range in.ReplicaUpdates {
		u := &ups[i]
		if err := json.Unmarshal(raw, u); err != nil {
			return nil, ddb.Serialization("Unable to parse ReplicaUpdates: " + err.Error())
		}
		path := fmt.Sprintf("replicaUpdates.%d.member", i+1)
		actions := 0
		for _, a := range []struct {
			name string
			v    *replicaActionIn
		}{{"create", u.Create}, {"update", u.Update}, {"delete", u.Delete}, {"disassociate", u.Disassociate}} {
			if a.v == nil {
				continue
			}
			actions++
			if a.v.RegionName == nil {
				c.fail(nil, path+"."+a.name+".regionName", cMustNotBeNull)
			}
		}
		if actions != 1 {
			// DynamoDB's text for this is not known (docs/compatibility.md).
			return nil, ddb.Validation(msgInvalid + "Exactly one of Create, Update, Delete or Disassociate must be set in each ReplicaUpdates element")
		}
		if u.Create != nil || u.Delete != nil {
			createsDeletes++
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	if createsDeletes > 1 && !(two && createsDeletes == 2) {
		return nil, ddb.Validation(msgReplicaTooMany)
	}
	for _, u := range ups {
		switch {
		case u.Create != nil && *u.Create.RegionName == self, u.Delete != nil && *u.Delete.RegionName == self:
			return nil, ddb.Validation(msgReplicaLocal)
		case u.Disassociate != nil:
			return nil, ddb.Validation(msgInvalid + "Disassociate is not supported by dynax")
		}
	}
	return ups, nil
}

// witnessUpdateIn is one element of GlobalTableWitnessUpdates.
type witnessUpdateIn struct {
	Create, Delete *struct{ RegionName *string }
}

// parseWitnessUpdates returns the Regions of the witness Creates and
// Deletes of in.
func parseWitnessUpdates(in *updateTableIn) (creates, deletes []string, err error) {
	for i, raw := range in.GlobalTableWitnessUpdates {
		var u witnessUpdateIn
		if err := json.Unmarshal(raw, &u); err != nil {
			return nil, nil, ddb.Serialization("Unable to parse GlobalTableWitnessUpdates: " + err.Error())
		}
		switch {
		case u.Create != nil && u.Delete == nil && u.Create.RegionName != nil:
			creates = append(creates, *u.Create.RegionName)
		case u.Delete != nil && u.Create == nil && u.Delete.RegionName != nil:
			deletes = append(deletes, *u.Delete.RegionName)
		default:
			// DynamoDB's text is not known (docs/global-tables.md).
			return nil, nil, ddb.Validation(fmt.Sprintf(msgInvalid+"Exactly one of Create or Delete, with a RegionName, must be set in GlobalTableWitnessUpdates element %d", i+1))
		}
	}
	return creates, deletes, nil
}

// updateReplicas runs an UpdateTable with ReplicaUpdates (or
// GlobalTableWitnessUpdates).
func (n *Node) updateReplicas(ctx context.Context, in *updateTableIn) ([]byte, error) {
	wCreates, wDeletes, err := parseWitnessUpdates(in)
	if err != nil {
		return nil, err
	}
	strongReq := in.MultiRegionConsistency != nil && *in.MultiRegionConsistency == consistencyStrong
	cur, _ := n.cat.get(n.resolveTableName(*in.TableName))
	strongTable := cur != nil && cur.strong()
	ups, err := parseReplicaUpdates(in, n.rep.self, strongReq || strongTable)
	if err != nil {
		return nil, err
	}
	if len(wCreates) > 0 && !strongReq {
		return nil, ddb.Validation(msgMRSCWitnessEventual)
	}
	if strongReq || strongTable || len(wDeletes) > 0 {
		out, err := n.updateStrong(ctx, in, ups, wCreates, wDeletes)
		if err != nil {
			return nil, err
		}
		return n.tableDescriptionJSON("TableDescription", out)
	}
	var out *Table
	for _, u := range ups {
		switch {
		case u.Create != nil:
			out, err = n.createReplica(ctx, in, u.Create)
		case u.Delete != nil:
			out, err = n.deleteReplica(ctx, *in.TableName, *u.Delete.RegionName)
		default:
			out, err = n.updateReplica(ctx, *in.TableName, u.Update)
		}
		if err != nil {
			return nil, err
		}
	}
	return n.tableDescriptionJSON("TableDescription", out)
}

// activeTable returns the table called name if it is ACTIVE.
func (n *Node) activeTable(name string) (*Table, error) {
	t, err := n.lookupTable(name)
	if err != nil {
		return nil, err
	}
	if err := inUse(t, t.TableStatus(n.opts.Now())); err != nil {
		return nil, err
	}
	return t, nil
}

// peer returns the link to Region r, or DynamoDB's error for a Region
// this node cannot reach.
func (n *Node) peer(r string) (*peerLink, error) {
	if p := n.rep.peers[r]; p != nil {
		return p, nil
	}
	// DynamoDB's text for an unknown Region is not known (docs/compatibility.md).
	return nil, ddb.Validation(msgInvalid + "Region " + r + " is not a peer Region of this node (dynax store --peer-region)")
}

// overrides copies a Create or Update action's overrides into rs.
func (rs *ReplicaState) overrides(a *replicaActionIn) {
	if a.KMSMasterKeyId != nil {
		rs.KMSMasterKeyID = *a.KMSMasterKeyId
	}
	if a.TableClassOverride != nil {
		rs.TableClassOverride = *a.TableClassOverride
	}
	if o := a.ProvisionedThroughputOverride; o != nil {
		rs.ReadUnitsOverride = o.ReadCapacityUnits
	}
	if o := a.OnDemandThroughputOverride; o != nil {
		rs.MaxReadOverride = o.MaxReadRequestUnits
	}
}

// createReplicaBody is the body of CreateReplica.
type createReplicaBody struct {
	Create      createTableIn
	Replicas    []ReplicaState
	Consistency string `json:",omitempty"`
}

func (n *Node) createReplica(ctx context.Context, in *updateTableIn, a *replicaActionIn) (*Table, error) {
	region := *a.RegionName
	controlMu.Lock()
	t, err := n.activeTable(*in.TableName)
	if err == nil && len(t.Desc.Replicas) > 0 && in.MultiRegionConsistency != nil {
		err = ddb.Validation(msgMRCExisting)
	}
	if err == nil && !t.PayPerRequest() {
		err = ddb.Validation(msgReplicaCapacity)
	}
	if err == nil && t.replica(region) != nil {
		err = ddb.Validation("Failed to create a the new replica of table with name: '" + t.Name + "' because one or more replicas already existed as tables.")
	}
	controlMu.Unlock()
	if err != nil {
		return nil, err
	}
	p, err := n.peer(region)
	if err != nil {
		return nil, err
	}
	replicas := slices.Clone(t.Desc.Replicas)
	if len(replicas) == 0 {
		replicas = []ReplicaState{{Region: n.rep.self, Status: replicaActive}}
	}
	rs := ReplicaState{Region: region, Status: replicaCreating}
	rs.overrides(a)
	replicas = append(replicas, rs)
	body, err := json.Marshal(createReplicaBody{Create: replicaCreateIn(t, rs), Replicas: replicas})
	if err != nil {
		return nil, err
	}
	if _, err := n.rep.call(ctx, p, opCreateReplica, body); err != nil {
		n.log.Warn("global tables: peer refused or missed CreateReplica", "peer", region, "table", t.Name, "err", err)
		return nil, ddb.Validation("Failed to create a the new replica of table with name: '" + t.Name + "' because one or more replicas already existed as tables.")
	}
	nt, err := n.setReplicas(t, func(d *TableExtra) {
		d.Replicas = replicas
		if d.Stream == nil || !d.Stream.Enabled {
			// Streams are a prerequisite: DynamoDB turns one on.
			applyStreamUpdate(d, &updateTableIn{StreamSpecification: &streamSpecIn{StreamEnabled: ptrTo(true), StreamViewType: ptrTo(viewNewAndOldImages)}}, n.opts.Now())
		}
	})
	if err != nil {
		return nil, err
	}
	n.pushReplicas(ctx, nt, region)
	n.bg.Add(1)
	go func() {
		defer n.bg.Done()
		n.backfillReplica(nt, p)
	}()
	return nt, nil
}

func ptrTo[T any](v T) *T { return &v }

// replicaCreateIn is the CreateTable of t's replica in another Region.
func replicaCreateIn(t *Table, rs ReplicaState) createTableIn {
	in := createTableIn{
		TableName:            &t.Name,
		KeySchema:            t.KeySchema,
		AttributeDefinitions: t.AttributeDefinitions,
		BillingMode:          ptrTo(billingPayPerRequest),
		StreamSpecification:  &streamSpecIn{StreamEnabled: ptrTo(true), StreamViewType: ptrTo(viewNewAndOldImages)},
	}
	if s := t.Desc.Stream; s != nil && s.Enabled {
		in.StreamSpecification.StreamViewType = ptrTo(s.ViewType) // a KEYS_ONLY stream stays KEYS_ONLY
	}
	for _, l := range t.Desc.LocalIndexes {
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, localIndexIn{IndexName: ptrTo(l.IndexName), KeySchema: l.KeySchema, Projection: ptrTo(l.Projection)})
	}
	for _, g := range t.Desc.GlobalIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, globalIndexIn{IndexName: ptrTo(g.IndexName), KeySchema: g.KeySchema, Projection: ptrTo(g.Projection)})
	}
	if class := rs.TableClassOverride; class != "" {
		in.TableClass = &class
	} else if t.Desc.TableClass != "" {
		in.TableClass = ptrTo(t.Desc.TableClass)
	}
	return in
}

// setReplicas changes t's replicas (and what else edit does) if t is still
// the table of its name, and returns the stored table.
func (n *Node) setReplicas(t *Table, edit func(d *TableExtra)) (*Table, error) {
	controlMu.Lock()
	defer controlMu.Unlock()
	cur, ok := n.cat.get(t.Name)
	if !ok || cur.ID != t.ID {
		return nil, ddb.ResourceNotFound("Requested resource not found: Table: " + t.Name + " not found")
	}
	nt := *cur
	nt.Desc = cur.Desc.clone()
	edit(&nt.Desc)
	if len(nt.Desc.Replicas) == 1 && nt.Desc.Replicas[0].Region == n.rep.self {
		nt.Desc.Replicas = nil // the last replica gone: a regional table again
	}
	if len(nt.Desc.Replicas) == 0 {
		nt.Desc.Consistency = ""
	}
	if err := n.cat.update(&nt); err != nil {
		return nil, err
	}
	n.clog.table(&nt) // versioning follows at once
	return &nt, nil
}

// setReplicasBody is the body of SetReplicas and DropReplica.
type setReplicasBody struct {
	TableName string
	Replicas  []ReplicaState `json:",omitempty"`
}

// pushReplicas tells every other member of t's group its new list of
// replicas (best effort: a member that misses it learns it on the next
// change).
func (n *Node) pushReplicas(ctx context.Context, t *Table, except ...string) {
	body, _ := json.Marshal(setReplicasBody{TableName: t.Name, Replicas: t.Desc.Replicas})
	for _, rs := range t.Desc.Replicas {
		if rs.Region == n.rep.self || slices.Contains(except, rs.Region) {
			continue
		}
		if p := n.rep.peers[rs.Region]; p != nil {
			if _, err := n.rep.call(ctx, p, opSetReplicas, body); err != nil {
				n.log.Warn("global tables: push replica list", "peer", rs.Region, "table", t.Name, "err", err)
			}
		}
	}
}

// backfillReplica ships every item of t to the new replica at p, then
// marks it ACTIVE everywhere. Each item goes with its version, read before
// the item: a write racing the backfill then carries a higher version
// than the copy sent here, and wins on the replica.
func (n *Node) backfillReplica(t *Table, p *peerLink) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-n.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	lt := n.clog.table(t)
	var keys [][]byte
	if err := n.itemsOf(t, func(key, _ []byte) error { keys = append(keys, key); return nil }); err != nil {
		n.log.Error("global tables: backfill scan", "table", t.Name, "err", err)
		return
	}
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), shipBatch)]
		keys = keys[len(chunk):]
		var changes []changefeed.Change
		for _, k := range chunk {
			stamp, origin, ok, err := n.readVersion(t.ID, k)
			if err != nil {
				n.log.Error("global tables: backfill version", "table", t.Name, "err", err)
				return
			}
			if !ok {
				stamp, origin = 1, "" // written before the table was global: any later write wins
			}
			if origin == n.rep.self {
				origin = ""
			}
			js, _, found, err := n.getRaw(k)
			if err != nil || !found {
				continue // deleted meanwhile: the delete is shipped
			}
			it, err := ddb.DecodeItem(js)
			if err != nil {
				continue
			}
			changes = append(changes, changefeed.Change{Table: t.Name, TableID: t.ID, Time: time.Now(),
				Cause: "PutItem", Keys: lt.keysJSON(it), New: js, Stamp: stamp, Origin: origin})
		}
		body := changefeed.AppendBatch(nil, changefeed.Batch{Changes: changes})
		for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 2*time.Second) {
			err := n.rep.send(ctx, p, opApplyChanges, body)
			if err == nil {
				break
			}
			if n.isClosed() {
				return
			}
			n.log.Warn("global tables: backfill; retrying", "peer", p.region, "table", t.Name, "err", err)
			sleepOrStop(n, backoff)
		}
	}
	nt, err := n.setReplicas(t, func(d *TableExtra) {
		for i := range d.Replicas {
			if d.Replicas[i].Region == p.region && d.Replicas[i].Status == replicaCreating {
				d.Replicas[i].Status = replicaActive
			}
		}
	})
	if err != nil {
		n.log.Warn("global tables: replica ACTIVE", "table", t.Name, "err", err)
		return
	}
	n.pushReplicas(ctx, nt)
	n.log.Info("global tables: replica active", "table", t.Name, "region", p.region)
}

func (n *Node) deleteReplica(ctx context.Context, name, region string) (*Table, error) {
	controlMu.Lock()
	t, err := n.activeTable(name)
	if err == nil && t.replica(region) == nil {
		// DynamoDB's text is not known (docs/compatibility.md).
		err = ddb.Validation(msgInvalid + "Table " + name + " has no replica in region " + region)
	}
	controlMu.Unlock()
	if err != nil {
		return nil, err
	}
	p, err := n.peer(region)
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(setReplicasBody{TableName: name})
	if _, err := n.rep.call(ctx, p, opDropReplica, body); err != nil {
		if e, ok := peerError(err); ok {
			return nil, e
		}
		return nil, ddb.Validation(msgInvalid + "Replica in region " + region + " cannot be reached: " + err.Error())
	}
	var shown *Table
	nt, err := n.setReplicas(t, func(d *TableExtra) {
		c := *t
		c.Desc = d.clone()
		c.replica(region).Status = replicaDeleting
		shown = &c
		d.Replicas = slices.DeleteFunc(d.Replicas, func(rs ReplicaState) bool { return rs.Region == region })
	})
	if err != nil {
		return nil, err
	}
	n.pushReplicas(ctx, nt)
	return shown, nil
}

func (n *Node) updateReplica(ctx context.Context, name string, a *replicaActionIn) (*Table, error) {
	region := *a.RegionName
	controlMu.Lock()
	t, err := n.activeTable(name)
	if err == nil && t.replica(region) == nil {
		err = ddb.Validation(msgInvalid + "Table " + name + " has no replica in region " + region)
	}
	controlMu.Unlock()
	if err != nil {
		return nil, err
	}
	nt, err := n.setReplicas(t, func(d *TableExtra) {
		for i := range d.Replicas {
			if d.Replicas[i].Region == region {
				d.Replicas[i].overrides(a)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	n.pushReplicas(ctx, nt)
	return nt, nil
}

// peerError recovers a DynamoDB error a peer answered with.
func peerError(err error) (*ddb.Error, bool) {
	s := err.Error()
	for _, known := range []string{msgProtected} {
		if strings.Contains(s, known) {
			return ddb.Validation(known), true
		}
	}
	return nil, false
}

// leaveGroup tells the other Regions of t, just deleted here, to drop this
// Region from their replicas (in the background: DeleteTable holds
// controlMu, and a Region that misses it keeps listing this one).
func (n *Node) leaveGroup(t *Table) {
	if len(t.Desc.Replicas) == 0 {
		return
	}
	rest := slices.DeleteFunc(slices.Clone(t.Desc.Replicas), func(rs ReplicaState) bool { return rs.Region == n.rep.self })
	body, _ := json.Marshal(setReplicasBody{TableName: t.Name, Replicas: rest})
	n.bg.Add(1)
	go func() {
		defer n.bg.Done()
		for _, rs := range rest {
			if p := n.rep.peers[rs.Region]; p != nil {
				if _, err := n.rep.call(context.Background(), p, opSetReplicas, body); err != nil {
					n.log.Warn("global tables: tell a Region this replica is gone", "peer", rs.Region, "table", t.Name, "err", err)
				}
			}
		}
	}()
}

// updateStrong runs the ReplicaUpdates and GlobalTableWitnessUpdates of a
// STRONG table: its creation (two replica Creates, or one and a witness)
// or its deletion (two Deletes, or one and the witness's).
func (n *Node) updateStrong(ctx context.Context, in *updateTableIn, ups []replicaUpdateIn, wCreates, wDeletes []string) (*Table, error) {
	var creates, deletes []string
	for _, u := range ups {
		switch {
		case u.Create != nil:
			creates = append(creates, *u.Create.RegionName)
		case u.Delete != nil:
			deletes = append(deletes, *u.Delete.RegionName)
		}
	}
	controlMu.Lock()
	t, err := n.activeTable(*in.TableName)
	controlMu.Unlock()
	if err != nil {
		return nil, err
	}
	if t.strong() {
		switch {
		case in.MultiRegionConsistency != nil:
			return nil, ddb.Validation(msgMRCExisting)
		case len(creates) > 0 || len(wCreates) > 0:
			return nil, ddb.Validation(msgMRSCAddReplica)
		case len(deletes)+len(wDeletes) != 2:
			if len(deletes) > 0 {
				return nil, ddb.Validation(msgMRSCDeleteOne)
			}
			return nil, ddb.Validation(msgMRSCThree)
		}
		return n.deleteStrong(ctx, t, append(deletes, wDeletes...))
	}
	if len(wDeletes) > 0 || len(deletes) > 0 {
		// DynamoDB's text is not known (docs/global-tables.md).
		return nil, ddb.Validation(msgInvalid + "Table " + t.Name + " has no witness")
	}
	if len(t.Desc.Replicas) > 0 {
		return nil, ddb.Validation(msgMRCExisting)
	}
	if len(creates)+len(wCreates) != 2 || len(creates) == 0 {
		return nil, ddb.Validation(msgMRSCThree)
	}
	switch {
	case !t.PayPerRequest():
		return nil, ddb.Validation(msgReplicaCapacity)
	case len(t.Desc.LocalIndexes) > 0:
		return nil, ddb.Validation(msgMRSCLocalIdx)
	case t.Desc.TTL != nil && t.Desc.TTL.Enabled:
		return nil, ddb.Validation(msgMRSCTTL)
	}
	empty, err := n.tableEmpty(t)
	if err != nil {
		return nil, err
	}
	if !empty {
		return nil, ddb.Validation(msgMRSCEmpty)
	}
	members := append(slices.Clone(creates), wCreates...)
	replicas := []ReplicaState{{Region: n.rep.self, Status: replicaActive}}
	for i, r := range members {
		if r == n.rep.self || slices.Contains(members[:i], r) {
			return nil, ddb.Validation(msgReplicaLocal)
		}
		if _, err := n.peer(r); err != nil {
			return nil, err
		}
		rs := ReplicaState{Region: r, Status: replicaActive, Witness: slices.Contains(wCreates, r)}
		for _, u := range ups {
			if u.Create != nil && *u.Create.RegionName == r {
				rs.overrides(u.Create)
			}
		}
		replicas = append(replicas, rs)
	}
	var created []*peerLink
	fail := func(err error) (*Table, error) {
		body, _ := json.Marshal(setReplicasBody{TableName: t.Name})
		for _, p := range created {
			if _, derr := n.rep.call(ctx, p, opDropReplica, body); derr != nil {
				n.log.Warn("global tables: undo a STRONG replica", "peer", p.region, "table", t.Name, "err", derr)
			}
		}
		return nil, err
	}
	for _, rs := range replicas[1:] {
		p, _ := n.peer(rs.Region)
		create := replicaCreateIn(t, rs)
		create.StreamSpecification = nil // MRSC replicas get no stream by default
		if s := t.Desc.Stream; s != nil && s.Enabled {
			create.StreamSpecification = &streamSpecIn{StreamEnabled: ptrTo(true), StreamViewType: ptrTo(s.ViewType)}
		}
		body, err := json.Marshal(createReplicaBody{Create: create, Replicas: replicas, Consistency: consistencyStrong})
		if err != nil {
			return fail(err)
		}
		if _, err := n.rep.call(ctx, p, opCreateReplica, body); err != nil {
			n.log.Warn("global tables: peer refused or missed CreateReplica", "peer", rs.Region, "table", t.Name, "err", err)
			return fail(ddb.Validation("Failed to create a the new replica of table with name: '" + t.Name + "' because one or more replicas already existed as tables."))
		}
		created = append(created, p)
	}
	nt, err := n.setReplicas(t, func(d *TableExtra) {
		d.Replicas = replicas
		d.Consistency = consistencyStrong
	})
	if err != nil {
		return fail(err)
	}
	n.log.Info("global tables: STRONG table created", "table", t.Name, "members", members)
	return nt, nil
}

// deleteStrong removes two members of a STRONG table, which leaves this
// Region's table a regional one.
func (n *Node) deleteStrong(ctx context.Context, t *Table, regions []string) (*Table, error) {
	for _, r := range regions {
		if rs := t.replica(r); rs == nil || r == n.rep.self {
			return nil, ddb.Validation(msgInvalid + "Table " + t.Name + " has no replica in region " + r)
		}
	}
	body, _ := json.Marshal(setReplicasBody{TableName: t.Name})
	for _, r := range regions {
		p, err := n.peer(r)
		if err != nil {
			return nil, err
		}
		if _, err := n.rep.call(ctx, p, opDropReplica, body); err != nil {
			if e, ok := peerError(err); ok {
				return nil, e
			}
			return nil, ddb.Validation(msgInvalid + "Replica in region " + r + " cannot be reached: " + err.Error())
		}
	}
	shown := *t
	shown.Desc = t.Desc.clone()
	for i := range shown.Desc.Replicas {
		if slices.Contains(regions, shown.Desc.Replicas[i].Region) {
			shown.Desc.Replicas[i].Status = replicaDeleting
		}
	}
	if _, err := n.setReplicas(t, func(d *TableExtra) { d.Replicas = nil }); err != nil {
		return nil, err
	}
	return &shown, nil
}

// tableEmpty reports whether t holds no item.
func (n *Node) tableEmpty(t *Table) (bool, error) {
	lo, hi := tableBounds(t.ID)
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return false, err
	}
	defer it.Close()
	return !it.First(), it.Error()
}

// ---------------------------------------------------------------------------
// The peer side.

func opCreateReplicaFn(n *Node, ctx context.Context, src string, body []byte) ([]byte, error) {
	var in createReplicaBody
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, ddb.Serialization(err.Error())
	}
	t, err := n.newTable(&in.Create, n.rep.self)
	if err != nil {
		return nil, err
	}
	t.Desc.Replicas = in.Replicas
	if in.Consistency == consistencyStrong {
		t.Desc.Consistency = consistencyStrong
	}
	controlMu.Lock()
	defer controlMu.Unlock()
	created, err := n.cat.create(t)
	if err != nil {
		return nil, err
	}
	if !created {
		return nil, ddb.ResourceInUse("Table already exists: " + t.Name)
	}
	n.clog.table(t)
	n.log.Info("global tables: replica created", "table", t.Name, "from", src)
	return []byte(`{}`), nil
}

func opSetReplicasFn(n *Node, ctx context.Context, src string, body []byte) ([]byte, error) {
	var in setReplicasBody
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, ddb.Serialization(err.Error())
	}
	t, ok := n.cat.get(in.TableName)
	if !ok {
		return nil, ddb.ResourceNotFound("Requested resource not found: Table: " + in.TableName + " not found")
	}
	if _, err := n.setReplicas(t, func(d *TableExtra) { d.Replicas = in.Replicas }); err != nil {
		return nil, err
	}
	return []byte(`{}`), nil
}

func opDropReplicaFn(n *Node, ctx context.Context, src string, body []byte) ([]byte, error) {
	var in setReplicasBody
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, ddb.Serialization(err.Error())
	}
	controlMu.Lock()
	defer controlMu.Unlock()
	t, ok := n.cat.get(in.TableName)
	if !ok {
		return []byte(`{}`), nil // already gone
	}
	if t.Desc.DeletionProtection {
		return nil, ddb.Validation(msgProtected)
	}
	if _, err := n.cat.remove(t); err != nil {
		return nil, err
	}
	n.log.Info("global tables: replica deleted", "table", t.Name, "by", src)
	return []byte(`{}`), nil
}

// ---------------------------------------------------------------------------
// The legacy (2017.11.29) operations.

func init() {
	register("CreateGlobalTable", func(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
		var in struct {
			GlobalTableName  *string
			ReplicationGroup []json.RawMessage
		}
		if err := decode(req.Body, &in); err != nil {
			return nil, err
		}
		return nil, ddb.Validation(msgLegacyCreate)
	})
	for _, op := range []string{"UpdateGlobalTable", "DescribeGlobalTable", "DescribeGlobalTableSettings", "UpdateGlobalTableSettings"} {
		register(op, opLegacyNotFound)
	}
	register("ListGlobalTables", func(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
		return []byte(`{"GlobalTables":[]}`), nil
	})
}

func opLegacyNotFound(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in struct{ GlobalTableName *string }
	if err := json.Unmarshal(req.Body, &in); err != nil {
		return nil, ddb.Serialization("Unable to parse request: " + err.Error())
	}
	name := ""
	if in.GlobalTableName != nil {
		name = *in.GlobalTableName
	}
	return nil, &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "GlobalTableNotFoundException",
		Message: "Global table with name '" + name + "' does not exist."}
}
