package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// UpdateTable: billing mode, provisioned throughput (table and global
// indexes), streams, encryption, table class, deletion protection,
// on-demand and warm throughput, and global secondary index creation
// (empty tables only: there is no backfill yet) and deletion.

func opUpdateTable(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in updateTableIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	if err := requireTableName(in.TableName); err != nil {
		return nil, err
	}
	if in.VectorIndexUpdates != nil {
		return n.updateVectorIndexes(&in)
	}
	if err := in.constraints(); err != nil {
		return nil, err
	}
	if msg := in.custom(); msg != "" {
		return nil, ddb.Validation(msg)
	}
	if in.ReplicaUpdates != nil || in.GlobalTableWitnessUpdates != nil {
		return n.updateReplicas(ctx, &in)
	}

	nt, err := n.updateTableLocked(&in)
	if err != nil {
		return nil, err
	}
	if n.opts.CreateDelay == 0 && in.createsOrDeletesIndex() {
		// Outside controlMu: the backfill takes it to mark the index ACTIVE.
		n.cat.waitBackfills(nt, backfillWait)
	}
	return n.tableDescriptionJSON("TableDescription", nt)
}

// updateTableLocked applies a validated UpdateTable under controlMu and
// returns the stored table.
func (n *Node) updateTableLocked(in *updateTableIn) (*Table, error) {
	controlMu.Lock()
	defer controlMu.Unlock()
	t, err := n.lookupTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	now := n.opts.Now()
	status := t.TableStatus(now)
	if status != statusActive && !(status == statusUpdating && in.onlyAllowedWhileUpdating()) {
		return nil, inUse(t, status)
	}
	nt := *t
	nt.Desc = t.Desc.clone()
	changed, err := n.applyTableUpdate(&nt, in, now)
	if err != nil {
		return nil, err
	}
	if changed && n.opts.CreateDelay > 0 {
		nt.Desc.UpdatingUntil = unixSeconds(now.Add(n.opts.CreateDelay))
	}
	if err := n.cat.update(&nt); err != nil {
		return nil, err
	}
	return &nt, nil
}

// backfillWait bounds how long UpdateTable waits for a new index's
// backfill before answering (the index stays CREATING after that).
const backfillWait = 5 * time.Second

// onlyAllowedWhileUpdating reports whether the request only changes what
// DynamoDB accepts while the table is UPDATING (deletion protection,
// encryption, warm throughput).
func (in *updateTableIn) onlyAllowedWhileUpdating() bool {
	return in.ProvisionedThroughput == nil && in.BillingMode == nil && in.StreamSpecification == nil &&
		len(in.GlobalSecondaryIndexUpdates) == 0 && in.TableClass == nil && in.OnDemandThroughput == nil
}

// constraints returns UpdateTable's constraint violations in DynamoDB's
// member order.
func (in *updateTableIn) constraints() error {
	c := &checker{}
	c.checkTableName("tableName", in.TableName)
	tblCapacity(c, in.ProvisionedThroughput, "provisionedThroughput")
	tblEnum(c, in.BillingMode, "billingMode", billingProvisioned, billingPayPerRequest)
	for i, u := range in.GlobalSecondaryIndexUpdates {
		p := fmt.Sprintf("globalSecondaryIndexUpdates.%d.member", i+1)
		if u.Update != nil {
			tblIndexName(c, u.Update.IndexName, p+".update.indexName")
			if u.Update.ProvisionedThroughput == nil {
				c.fail(nil, p+".update.provisionedThroughput", cMustNotBeNull)
			}
			tblCapacity(c, u.Update.ProvisionedThroughput, p+".update.provisionedThroughput")
		}
		if g := u.Create; g != nil {
			tblProjection(c, g.Projection, p+".create.projection")
			tblIndexName(c, g.IndexName, p+".create.indexName")
			tblCapacity(c, g.ProvisionedThroughput, p+".create.provisionedThroughput")
			tblGSIKeySchema(c, g.KeySchema, p+".create.keySchema")
		}
		if u.Delete != nil {
			tblIndexName(c, u.Delete.IndexName, p+".delete.indexName")
		}
	}
	tblAttrDefs(c, in.AttributeDefinitions, "attributeDefinitions")
	tblStreamSpec(c, in.StreamSpecification, "streamSpecification")
	tblSSESpec(c, in.SSESpecification, "sSESpecification")
	return c.err()
}

// createsOrDeletesIndex reports whether the request adds or drops an index.
func (in *updateTableIn) createsOrDeletesIndex() bool {
	for _, u := range in.GlobalSecondaryIndexUpdates {
		if u.Create != nil || u.Delete != nil {
			return true
		}
	}
	return false
}

// custom returns the first request-level problem of an UpdateTable
// request (those DynamoDB reports before looking at the table), or "".
func (in *updateTableIn) custom() string {
	hasGSI := len(in.GlobalSecondaryIndexUpdates) > 0
	if in.ProvisionedThroughput == nil && in.BillingMode == nil && in.StreamSpecification == nil && !hasGSI &&
		in.SSESpecification == nil && in.ReplicaUpdates == nil && in.GlobalTableWitnessUpdates == nil && in.DeletionProtectionEnabled == nil &&
		in.OnDemandThroughput == nil && in.WarmThroughput == nil && in.TableClass == nil {
		members := []string{"ProvisionedThroughput", "BillingMode", "UpdateStreamEnabled", "GlobalSecondaryIndexUpdates",
			"SSESpecification", "ReplicaUpdates", "MultiAccountReplicaReady", "ReplicaTransitRoleArn", "MultiRegionConsistency",
			"DeletionProtectionEnabled", "OnDemandThroughput", "WarmThroughput"}
		if in.MultiRegionConsistency != nil {
			members = slices.DeleteFunc(members, func(s string) bool { return s == "MultiRegionConsistency" })
		}
		return "At least one of " + strings.Join(members, ", ") + " or TableClass is required"
	}
	if in.GlobalSecondaryIndexUpdates != nil && !hasGSI {
		return msgInvalid + "List of GlobalSecondaryIndexUpdates is empty"
	}
	if in.BillingMode != nil && *in.BillingMode == billingProvisioned && in.ProvisionedThroughput == nil {
		return msgInvalid + "ProvisionedThroughput must be specified when BillingMode is PROVISIONED"
	}
	if pt := in.ProvisionedThroughput; pt != nil {
		if *pt.ReadCapacityUnits > maxCapacityUnits {
			return fmt.Sprintf("Given value %d for ReadCapacityUnits is out of bounds", *pt.ReadCapacityUnits)
		}
		if *pt.WriteCapacityUnits > maxCapacityUnits {
			return fmt.Sprintf("Given value %d for WriteCapacityUnits is out of bounds", *pt.WriteCapacityUnits)
		}
	}
	seen := map[string]bool{}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		actions := 0
		for _, set := range []bool{u.Update != nil, u.Create != nil, u.Delete != nil} {
			if set {
				actions++
			}
		}
		if actions == 0 {
			return msgInvalid + "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null"
		}
		if actions > 1 {
			return msgInvalid + "Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object"
		}
		name := u.indexName()
		if seen[name] {
			return msgInvalid + "Only one global secondary index update per index is allowed simultaneously. Index: " + name
		}
		seen[name] = true
	}
	if msg := checkStreamUpdate(in.StreamSpecification); msg != "" {
		return msg
	}
	if msg := checkSSE(in.SSESpecification); msg != "" {
		return msg
	}
	if msg := checkTableClass(in.TableClass); msg != "" {
		return msg
	}
	if msg := checkOnDemand(in.OnDemandThroughput, false, true); msg != "" {
		return msg
	}

	// Which changes may share one request.
	pt, bm, stream := in.ProvisionedThroughput != nil, in.BillingMode != nil, in.StreamSpecification != nil
	sse, class, dp := in.SSESpecification != nil, in.TableClass != nil, in.DeletionProtectionEnabled != nil
	od, warm := in.OnDemandThroughput != nil, in.WarmThroughput != nil
	count := 0
	for _, b := range []bool{pt, bm, stream, hasGSI, sse, class, dp, od, warm} {
		if b {
			count++
		}
	}
	switch {
	case sse && count > 1:
		return msgInvalid + "Server-Side Encryption modification must be the only operation in the request"
	case class && count > 1:
		return msgInvalid + "TableClass modification must be the only operation in the request"
	case dp && count > 1:
		return msgInvalid + "DeletionProtection modification must be the only operation in the request"
	case warm && count > 1:
		return msgInvalid + "WarmThroughput must be the only operation in the request"
	case od && (pt || stream || hasGSI):
		return msgInvalid + "OnDemandThroughput can only be combined with BillingMode in an UpdateTable request"
	case stream && pt:
		return msgInvalid + "You cannot modify stream status while updating table IOPS"
	case in.createsOrDeletesIndex() && pt:
		return msgInvalid + "You cannot create or delete index while updating table IOPS"
	case in.createsOrDeletesIndex() && stream:
		return msgInvalid + "You cannot create or delete index while changing stream status"
	}
	return ""
}

// applyTableUpdate applies a validated UpdateTable request to nt (a copy
// of the table whose Desc is already cloned). It reports whether the
// change puts the table in UPDATING (with Options.CreateDelay). The
// semantic checks run first, in DynamoDB's order (capacity, stream,
// encryption, on-demand limits, indexes); nt only changes once all passed
// (index changes excepted, which updateIndexes checks and applies).
func (n *Node) applyTableUpdate(nt *Table, in *updateTableIn, now time.Time) (updating bool, err error) {
	cp, err := checkCapacityUpdate(nt, in)
	if err != nil {
		return false, err
	}
	if err := checkStreamChange(nt, in); err != nil {
		return false, err
	}
	newSSE, err := n.checkSSEUpdate(nt, in)
	if err != nil {
		return false, err
	}
	if in.OnDemandThroughput != nil {
		if msg := checkOnDemand(in.OnDemandThroughput, cp.newMode == billingProvisioned, true); msg != "" {
			return false, ddb.Validation(msg)
		}
	}
	if err := n.updateIndexes(nt, in, cp.newMode, now); err != nil {
		return false, err
	}
	if err := n.capCheckUpdate(nt, cp, now); err != nil {
		return false, err
	}

	// Everything is valid: apply.
	updating = n.applyCapacityUpdate(nt, in, cp, now)
	if applyStreamUpdate(&nt.Desc, in, now) {
		updating = true
	}
	if in.SSESpecification != nil {
		nt.Desc.SSE = newSSE
	}
	if applySettingsUpdate(&nt.Desc, in, now) {
		updating = true
	}
	return updating || in.createsOrDeletesIndex(), nil
}

// capacityUpdate is the checked capacity part of an UpdateTable request:
// billing mode before and after, the table's new throughput (nil: kept)
// and the global indexes' new throughput by index name.
type capacityUpdate struct {
	oldMode, newMode string
	table            *capacityIn
	indexes          map[string]*capacityIn
}

// checkCapacityUpdate checks the billing mode and throughput changes of in.
func checkCapacityUpdate(nt *Table, in *updateTableIn) (*capacityUpdate, error) {
	d := &nt.Desc
	cp := &capacityUpdate{oldMode: billingProvisioned, table: in.ProvisionedThroughput, indexes: map[string]*capacityIn{}}
	if nt.PayPerRequest() {
		cp.oldMode = billingPayPerRequest
	}
	cp.newMode = cp.oldMode
	if in.BillingMode != nil {
		cp.newMode = *in.BillingMode
	}
	pt := cp.table
	if pt != nil && cp.newMode == billingPayPerRequest {
		return nil, ddb.Validation(msgPPRThroughput)
	}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		if u.Update == nil {
			continue
		}
		name := *u.Update.IndexName
		if _, ok := nt.GlobalIndex(name); !ok {
			return nil, ddb.Validation("Cannot update an index that is not a GlobalSecondaryIndex: " + name)
		}
		if cp.newMode == billingPayPerRequest {
			return nil, ddb.Validation(msgInvalid + "The only Updates for index: " + name +
				" when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput")
		}
		cp.indexes[name] = u.Update.ProvisionedThroughput
	}
	if cp.newMode == billingProvisioned && cp.oldMode == billingPayPerRequest {
		var missing []string
		for _, g := range d.GlobalIndexes {
			if cp.indexes[g.IndexName] == nil && !deletesIndex(in, g.IndexName) {
				missing = append(missing, g.IndexName)
			}
		}
		if len(missing) > 0 {
			return nil, ddb.Validation(msgInvalid + "ProvisionedThroughput must be specified for index: " + strings.Join(missing, ","))
		}
	}
	if pt != nil && cp.oldMode == billingProvisioned {
		if *pt.ReadCapacityUnits == d.Throughput.Read && *pt.WriteCapacityUnits == d.Throughput.Write {
			return nil, ddb.Validation(unchangedThroughput("table", d.Throughput, pt))
		}
	}
	for name, c := range cp.indexes {
		g, _ := nt.GlobalIndex(name)
		if cp.oldMode == billingProvisioned && *c.ReadCapacityUnits == g.Throughput.Read && *c.WriteCapacityUnits == g.Throughput.Write {
			return nil, ddb.Validation(unchangedThroughput("index "+name, g.Throughput, c))
		}
	}
	return cp, nil
}

// checkStreamChange checks that in enables a stream only on a table
// without one, and disables one only where there is one.
func checkStreamChange(nt *Table, in *updateTableIn) error {
	s := in.StreamSpecification
	if s == nil {
		return nil
	}
	enabled := nt.Desc.Stream != nil && nt.Desc.Stream.Enabled
	switch {
	case *s.StreamEnabled && enabled:
		return ddb.Validation("Table already has an enabled stream: TableName: " + nt.Name)
	case !*s.StreamEnabled && !enabled:
		return ddb.Validation("Table has no stream to disable: TableName: " + nt.Name)
	case !*s.StreamEnabled && len(nt.Desc.Replicas) > 0:
		return ddb.Validation(msgStreamGlobal)
	}
	return nil
}

// checkSSEUpdate checks in's encryption change and returns the new
// encryption state (nil: encrypted by default).
func (n *Node) checkSSEUpdate(nt *Table, in *updateTableIn) (*SSEState, error) {
	s := in.SSESpecification
	if s == nil {
		return nil, nil
	}
	d := &nt.Desc
	if !s.enables() {
		if d.SSE == nil {
			return nil, ddb.Validation(msgInvalid + "Table is already encrypted by default")
		}
		return nil, nil
	}
	arn := n.kmsKeyArn(nt.Region, s.KMSMasterKeyId)
	if d.SSE != nil && (s.KMSMasterKeyId == nil || d.SSE.KMSMasterKeyArn == arn) {
		return nil, ddb.Validation(msgInvalid + "Table is already encrypted with given KMSMasterKeyId. Use KMSMasterKeyId parameter if you want to change Master Key")
	}
	return n.sseState(arn), nil
}

// applyCapacityUpdate applies the checked capacity change cp; it reports
// whether that puts the table in UPDATING.
func (n *Node) applyCapacityUpdate(nt *Table, in *updateTableIn, cp *capacityUpdate, now time.Time) (updating bool) {
	d := &nt.Desc
	if in.BillingMode != nil && cp.newMode != cp.oldMode {
		updating = true
		d.BillingMode = cp.newMode
		if cp.newMode == billingPayPerRequest {
			d.LastUpdateToPayPerRequest = unixSeconds(now)
			d.Throughput = zeroThroughput(d.Throughput)
			for i := range d.GlobalIndexes {
				d.GlobalIndexes[i].Throughput = zeroThroughput(d.GlobalIndexes[i].Throughput)
			}
		}
	} else if in.BillingMode != nil {
		d.BillingMode = cp.newMode // states the mode explicitly from now on
	}
	if cp.table != nil {
		updating = true
		d.Throughput = changeThroughput(d.Throughput, cp.table, now)
	}
	for name, c := range cp.indexes {
		updating = true
		g, _ := nt.GlobalIndex(name)
		g.Throughput = changeThroughput(g.Throughput, c, now)
		if n.opts.CreateDelay > 0 {
			g.UpdatingUntil = unixSeconds(now.Add(n.opts.CreateDelay))
		}
	}
	return updating
}

// applyStreamUpdate enables or disables the stream as in asks; it reports
// whether it did.
func applyStreamUpdate(d *TableExtra, in *updateTableIn, now time.Time) bool {
	s := in.StreamSpecification
	if s == nil {
		return false
	}
	if *s.StreamEnabled {
		label := streamLabel(now)
		if d.Stream != nil && d.Stream.Label >= label {
			// Re-enabled within the millisecond: labels name streams.
			label = nextStreamLabel(d.Stream.Label)
		}
		d.Stream = &StreamState{Enabled: true, ViewType: *s.StreamViewType, Label: label}
	} else {
		d.Stream.Enabled = false
	}
	return true
}

// applySettingsUpdate applies table class, deletion protection, on-demand
// and warm throughput; it reports whether that puts the table in UPDATING
// (deletion protection and warm throughput do not).
func applySettingsUpdate(d *TableExtra, in *updateTableIn, now time.Time) (updating bool) {
	if in.TableClass != nil {
		updating = true
		d.TableClass = *in.TableClass
		d.TableClassUpdated = unixSeconds(now)
	}
	if in.DeletionProtectionEnabled != nil {
		d.DeletionProtection = *in.DeletionProtectionEnabled
	}
	if o := in.OnDemandThroughput; o != nil {
		updating = true
		cur := cloneOnDemand(d.OnDemand)
		if cur == nil {
			cur = &OnDemandThroughput{}
		}
		if o.MaxReadRequestUnits != nil {
			cur.MaxReadRequestUnits = o.MaxReadRequestUnits
		}
		if o.MaxWriteRequestUnits != nil {
			cur.MaxWriteRequestUnits = o.MaxWriteRequestUnits
		}
		d.OnDemand = cur
	}
	if w := in.WarmThroughput; w != nil {
		cur := cloneWarm(d.Warm)
		if cur == nil {
			cur = &WarmThroughput{}
		}
		if w.ReadUnitsPerSecond != nil {
			cur.ReadUnitsPerSecond = w.ReadUnitsPerSecond
		}
		if w.WriteUnitsPerSecond != nil {
			cur.WriteUnitsPerSecond = w.WriteUnitsPerSecond
		}
		d.Warm = cur
	}
	return updating
}

func deletesIndex(in *updateTableIn, name string) bool {
	for _, u := range in.GlobalSecondaryIndexUpdates {
		if u.Delete != nil && *u.Delete.IndexName == name {
			return true
		}
	}
	return false
}

// unchangedThroughput is DynamoDB's message for a throughput update that
// changes nothing; what is "table" or "index <name>".
func unchangedThroughput(what string, cur Throughput, req *capacityIn) string {
	return fmt.Sprintf("The provisioned throughput for the %s will not change. The requested value equals the current value. "+
		"Current ReadCapacityUnits provisioned for the %s: %d. Requested ReadCapacityUnits: %d. "+
		"Current WriteCapacityUnits provisioned for the %s: %d. Requested WriteCapacityUnits: %d. "+
		"Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
		what, strings.Fields(what)[0], cur.Read, *req.ReadCapacityUnits, strings.Fields(what)[0], cur.Write, *req.WriteCapacityUnits)
}

// changeThroughput sets new capacity, recording increases and decreases.
func changeThroughput(th Throughput, c *capacityIn, now time.Time) Throughput {
	r, w := *c.ReadCapacityUnits, *c.WriteCapacityUnits
	secs := unixSeconds(now)
	if r > th.Read || w > th.Write {
		th.LastIncrease = secs
	}
	if r < th.Read || w < th.Write {
		th.LastDecrease = secs
		day := now.UTC().Format(time.DateOnly)
		if th.DecreaseDay != day {
			th.DecreaseDay, th.Decreases = day, 0
		}
		th.Decreases++
	}
	th.Read, th.Write = r, w
	return th
}

// zeroThroughput is the throughput of a table or index switched to
// PAY_PER_REQUEST.
func zeroThroughput(th Throughput) Throughput {
	th.Read, th.Write = 0, 0
	return th
}

// msgOneOnlineIndex answers an UpdateTable that creates or deletes more
// than one index.
const msgOneOnlineIndex = "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"

// updateIndexes validates and applies the Create and Delete actions of
// GlobalSecondaryIndexUpdates to nt, and merges AttributeDefinitions.
func (n *Node) updateIndexes(nt *Table, in *updateTableIn, mode string, now time.Time) error {
	if !in.createsOrDeletesIndex() {
		return nil
	}
	// One index creation or deletion per request: DynamoDB answers this
	// before it looks at any of the indexes.
	online := 0
	for _, u := range in.GlobalSecondaryIndexUpdates {
		if u.Create != nil || u.Delete != nil {
			online++
		}
	}
	if online > 1 {
		return ddb.LimitExceeded(msgOneOnlineIndex)
	}
	d := &nt.Desc
	// AttributeDefinitions is a delta merged into the table's: a new name
	// is added; an existing one keeps its type even when the request
	// declares another (accepted, not refused: characterised against
	// DynamoDB in eu-west-2, 2026-07, paritysuite/dynamodb-conformance#78).
	defs := slices.Clone(nt.AttributeDefinitions)
	for _, ad := range in.AttributeDefinitions {
		if !slices.ContainsFunc(defs, func(e AttributeDefinition) bool { return *e.AttributeName == *ad.AttributeName }) {
			defs = append(defs, ad)
		}
	}
	defns := defNames(defs)
	for _, u := range in.GlobalSecondaryIndexUpdates {
		if u.Delete != nil {
			name := *u.Delete.IndexName
			i := slices.IndexFunc(d.GlobalIndexes, func(g GlobalIndex) bool { return g.IndexName == name })
			if i < 0 {
				if _, _, exists := nt.Index(name); exists {
					// A local secondary index cannot be deleted.
					return ddb.Validation("Cannot delete an index that is not a GlobalSecondaryIndex: " + name)
				}
				return ddb.ResourceNotFound("Requested resource not found: Index " + name + " for table " + nt.Name)
			}
			d.GlobalIndexes = slices.Delete(d.GlobalIndexes, i, i+1)
			continue
		}
		g := u.Create
		if g == nil {
			continue
		}
		name := *g.IndexName
		_, isVector := nt.vectorIndex(name)
		if _, _, exists := nt.Index(name); exists || isVector {
			return ddb.Validation("Attempting to create an index which already exists")
		}
		if msg := checkGSIKeySchema(g.KeySchema, defns); msg != "" {
			return ddb.Validation(msg)
		}
		if msg := checkProjection(g.Projection); msg != "" {
			return ddb.Validation(msg)
		}
		if mode == billingPayPerRequest && g.ProvisionedThroughput != nil {
			return ddb.Validation(msgInvalid + "ProvisionedThroughput should not be specified for index: " + name + " when BillingMode is PAY_PER_REQUEST")
		}
		if mode == billingProvisioned && g.ProvisionedThroughput == nil {
			return ddb.Validation(msgInvalid + "ProvisionedThroughput must be specified for index: " + name)
		}
		if len(d.GlobalIndexes) >= maxGlobalIndexes {
			return ddb.LimitExceeded(msgInvalid + "GlobalSecondaryIndex count exceeds the per-table limit of 20")
		}
		gi := GlobalIndex{
			IndexDef: IndexDef{IndexName: name, KeySchema: g.KeySchema, Projection: *g.Projection},
			OnDemand: g.OnDemandThroughput,
			Warm:     g.WarmThroughput,
		}
		if g.ProvisionedThroughput != nil {
			gi.Throughput = Throughput{Read: *g.ProvisionedThroughput.ReadCapacityUnits, Write: *g.ProvisionedThroughput.WriteCapacityUnits}
		}
		if n.opts.CreateDelay > 0 {
			gi.ActiveAt = unixSeconds(now.Add(n.opts.CreateDelay))
		}
		// Existing items get their entries in the background (backfill.go);
		// the catalog starts the backfill when it stores the table.
		gi.Backfilling = true
		d.GlobalIndexes = append(d.GlobalIndexes, gi)
	}
	projected := 0
	for _, l := range d.LocalIndexes {
		projected += len(l.Projection.NonKeyAttributes)
	}
	for _, g := range d.GlobalIndexes {
		projected += len(g.Projection.NonKeyAttributes)
	}
	if projected > maxProjectedAttrs {
		return ddb.Validation(msgInvalid + "Number of projected attributes in all indexes exceeds limit of 100")
	}

	// Keep exactly the definitions some key uses, existing ones first.
	used := keyNames(nt.KeySchema)
	for _, l := range d.LocalIndexes {
		used = appendNew(used, keyNames(l.KeySchema)...)
	}
	for _, g := range d.GlobalIndexes {
		used = appendNew(used, keyNames(g.KeySchema)...)
	}
	for _, v := range d.VectorIndexes {
		used = appendNew(used, v.schemaNames()...)
	}
	nt.AttributeDefinitions = slices.DeleteFunc(defs, func(e AttributeDefinition) bool { return !slices.Contains(used, *e.AttributeName) })
	return nil
}
