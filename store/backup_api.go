package store

// CreateBackup, DescribeBackup, ListBackups, DeleteBackup and
// RestoreTableFromBackup. The machinery is in backup.go.

import (
	"context"
	"encoding/json"
	"regexp"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

func init() {
	register("CreateBackup", opCreateBackup)
	register("DescribeBackup", opDescribeBackup)
	register("ListBackups", opListBackups)
	register("DeleteBackup", opDeleteBackup)
	register("RestoreTableFromBackup", opRestoreTableFromBackup)
}

var backupNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

// ---------------------------------------------------------------------------
// Response shapes

type backupDetails struct {
	BackupArn              string   `json:"BackupArn"`
	BackupName             string   `json:"BackupName"`
	BackupSizeBytes        *int64   `json:"BackupSizeBytes,omitempty"`
	BackupStatus           string   `json:"BackupStatus"`
	BackupType             string   `json:"BackupType"`
	BackupCreationDateTime float64  `json:"BackupCreationDateTime"`
	BackupExpiryDateTime   *float64 `json:"BackupExpiryDateTime,omitempty"`
}

func detailsOf(m *backupMeta) backupDetails {
	d := backupDetails{BackupArn: m.Arn, BackupName: m.Name, BackupStatus: m.Status, BackupType: m.Type,
		BackupCreationDateTime: m.Created}
	if m.Status != backupCreating {
		size := m.Bytes
		d.BackupSizeBytes = &size
	}
	if m.Expiry > 0 {
		e := m.Expiry
		d.BackupExpiryDateTime = &e
	}
	return d
}

type sourceTableDetails struct {
	TableName             string                `json:"TableName"`
	TableId               string                `json:"TableId"`
	TableArn              string                `json:"TableArn"`
	TableSizeBytes        int64                 `json:"TableSizeBytes"`
	KeySchema             []KeySchemaElement    `json:"KeySchema"`
	TableCreationDateTime float64               `json:"TableCreationDateTime"`
	ProvisionedThroughput throughputDescription `json:"ProvisionedThroughput"`
	OnDemandThroughput    *OnDemandThroughput   `json:"OnDemandThroughput,omitempty"`
	ItemCount             int64                 `json:"ItemCount"`
	BillingMode           string                `json:"BillingMode"`
}

type featureIndex struct {
	IndexName             string                 `json:"IndexName"`
	KeySchema             []KeySchemaElement     `json:"KeySchema"`
	Projection            Projection             `json:"Projection"`
	ProvisionedThroughput *throughputDescription `json:"ProvisionedThroughput,omitempty"`
	OnDemandThroughput    *OnDemandThroughput    `json:"OnDemandThroughput,omitempty"`
}

type sourceTableFeatureDetails struct {
	LocalSecondaryIndexes  []featureIndex            `json:"LocalSecondaryIndexes,omitempty"`
	GlobalSecondaryIndexes []featureIndex            `json:"GlobalSecondaryIndexes,omitempty"`
	StreamDescription      *streamSpecificationDesc  `json:"StreamDescription,omitempty"`
	TimeToLiveDescription  *timeToLiveDescriptionOut `json:"TimeToLiveDescription,omitempty"`
	SSEDescription         *sseDescription           `json:"SSEDescription,omitempty"`
}

type timeToLiveDescriptionOut struct {
	AttributeName    string `json:"AttributeName,omitempty"`
	TimeToLiveStatus string `json:"TimeToLiveStatus"`
}

type backupDescription struct {
	BackupDetails             backupDetails             `json:"BackupDetails"`
	SourceTableDetails        sourceTableDetails        `json:"SourceTableDetails"`
	SourceTableFeatureDetails sourceTableFeatureDetails `json:"SourceTableFeatureDetails"`
}

func (n *Node) describeBackup(m *backupMeta) backupDescription {
	t := &m.Table
	billing := t.Desc.BillingMode
	if billing == "" {
		billing = "PROVISIONED"
	}
	d := backupDescription{
		BackupDetails: detailsOf(m),
		SourceTableDetails: sourceTableDetails{
			TableName: t.Name, TableId: t.TableID, TableArn: t.Arn(), TableSizeBytes: m.Bytes, KeySchema: t.KeySchema,
			TableCreationDateTime: t.CreationDateTime,
			ProvisionedThroughput: throughputDescription{ReadCapacityUnits: t.Desc.Throughput.Read, WriteCapacityUnits: t.Desc.Throughput.Write},
			OnDemandThroughput:    cloneOnDemand(t.Desc.OnDemand),
			ItemCount:             m.Items, BillingMode: billing,
		},
	}
	f := &d.SourceTableFeatureDetails
	for _, l := range t.Desc.LocalIndexes {
		f.LocalSecondaryIndexes = append(f.LocalSecondaryIndexes, featureIndex{IndexName: l.IndexName, KeySchema: l.KeySchema, Projection: l.Projection})
	}
	for _, g := range t.Desc.GlobalIndexes {
		fi := featureIndex{IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection, OnDemandThroughput: cloneOnDemand(g.OnDemand)}
		if !t.PayPerRequest() {
			fi.ProvisionedThroughput = &throughputDescription{ReadCapacityUnits: g.Throughput.Read, WriteCapacityUnits: g.Throughput.Write}
		}
		f.GlobalSecondaryIndexes = append(f.GlobalSecondaryIndexes, fi)
	}
	if s := t.Desc.Stream; s != nil && s.Enabled {
		f.StreamDescription = &streamSpecificationDesc{StreamEnabled: true, StreamViewType: s.ViewType}
	}
	if s := t.Desc.TTL; s != nil && s.Enabled {
		f.TimeToLiveDescription = &timeToLiveDescriptionOut{AttributeName: s.Attribute, TimeToLiveStatus: "ENABLED"}
	}
	if t.Desc.SSE != nil {
		f.SSEDescription = &sseDescription{Status: "ENABLED", SSEType: "KMS", KMSMasterKeyArn: t.Desc.SSE.KMSMasterKeyArn}
	}
	return d
}

// ---------------------------------------------------------------------------
// CreateBackup

type createBackupIn struct {
	TableName  *string
	BackupName *string
}

func (c *checker) checkBackupName(path string, v *string) {
	switch {
	case v == nil:
		c.fail(nil, path, cMustNotBeNull)
	case len(*v) < 3:
		c.fail(v, path, "Member must have length greater than or equal to 3")
	case len(*v) > 255:
		c.fail(v, path, "Member must have length less than or equal to 255")
	case !backupNameRE.MatchString(*v):
		c.fail(v, path, "Member must satisfy regular expression pattern: "+tableNamePattern)
	}
}

func opCreateBackup(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in createBackupIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	c.checkTableName("tableName", in.TableName)
	c.checkBackupName("backupName", in.BackupName)
	if err := c.err(); err != nil {
		return nil, err
	}
	controlMu.Lock()
	defer controlMu.Unlock()
	t, err := n.backupTable(in.TableName)
	if err != nil {
		return nil, err
	}
	if t.Status != statusActive || (t.Desc.Restore != nil && t.Desc.Restore.InProgress) {
		return nil, inUse(t, t.TableStatus(n.opts.Now()))
	}
	// The snapshot is taken here, under controlMu: the backup's time marker.
	m, err := n.backups.start(t, *in.BackupName, backupUser, 0, n.db.NewSnapshot())
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]backupDetails{"BackupDetails": detailsOf(&m)})
}

// ---------------------------------------------------------------------------
// DescribeBackup / DeleteBackup

type backupArnIn struct {
	BackupArn *string
}

func decodeBackupArn(body []byte) (string, error) {
	var in backupArnIn
	if err := decode(body, &in); err != nil {
		return "", err
	}
	var c checker
	c.checkRequired("backupArn", in.BackupArn, 37, 1024)
	if err := c.err(); err != nil {
		return "", err
	}
	return *in.BackupArn, nil
}

func opDescribeBackup(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	arn, err := decodeBackupArn(req.Body)
	if err != nil {
		return nil, err
	}
	m, ok := n.backups.get(arn)
	if !ok || m.Type == backupPITR {
		return nil, backupNotFound(arn)
	}
	return json.Marshal(map[string]backupDescription{"BackupDescription": n.describeBackup(&m)})
}

func opDeleteBackup(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	arn, err := decodeBackupArn(req.Body)
	if err != nil {
		return nil, err
	}
	if m, ok := n.backups.get(arn); !ok || m.Type == backupPITR {
		return nil, backupNotFound(arn)
	}
	m, err := n.backups.remove(arn)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]backupDescription{"BackupDescription": n.describeBackup(&m)})
}

// ---------------------------------------------------------------------------
// ListBackups

type listBackupsIn struct {
	TableName               *string
	Limit                   *int64
	TimeRangeLowerBound     *float64
	TimeRangeUpperBound     *float64
	ExclusiveStartBackupArn *string
	BackupType              *string
}

type backupSummary struct {
	TableName              string   `json:"TableName"`
	TableId                string   `json:"TableId"`
	TableArn               string   `json:"TableArn"`
	BackupArn              string   `json:"BackupArn"`
	BackupName             string   `json:"BackupName"`
	BackupCreationDateTime float64  `json:"BackupCreationDateTime"`
	BackupExpiryDateTime   *float64 `json:"BackupExpiryDateTime,omitempty"`
	BackupStatus           string   `json:"BackupStatus"`
	BackupType             string   `json:"BackupType"`
	BackupSizeBytes        *int64   `json:"BackupSizeBytes,omitempty"`
}

func opListBackups(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in listBackupsIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	if in.TableName != nil {
		c.checkTableName("tableName", in.TableName)
	}
	c.checkLimit(in.Limit, 100)
	if in.ExclusiveStartBackupArn != nil {
		c.checkLen("exclusiveStartBackupArn", in.ExclusiveStartBackupArn, 37, 1024)
	}
	if bt := in.BackupType; bt != nil && *bt != "USER" && *bt != "SYSTEM" && *bt != "AWS_BACKUP" && *bt != "ALL" {
		c.fail(bt, "backupType", "Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]")
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	if lo, hi := in.TimeRangeLowerBound, in.TimeRangeUpperBound; lo != nil && hi != nil && *lo > *hi {
		return nil, ddb.Validation("TimeRangeUpperBound cannot be less than TimeRangeLowerBound")
	}
	typ := "USER" // ListBackups' default
	if in.BackupType != nil {
		typ = *in.BackupType
	}
	table := ""
	if in.TableName != nil {
		table = n.resolveTableName(*in.TableName)
	}
	all := n.backups.list(func(m *backupMeta) bool {
		switch {
		case m.Type == backupPITR:
			return false
		case typ != "ALL" && m.Type != typ:
			return false
		case table != "" && m.Table.Name != table:
			return false
		case in.TimeRangeLowerBound != nil && m.Created < *in.TimeRangeLowerBound:
			return false
		case in.TimeRangeUpperBound != nil && m.Created > *in.TimeRangeUpperBound:
			return false
		}
		return true
	})
	start := 0
	if in.ExclusiveStartBackupArn != nil {
		for i, m := range all {
			if m.Arn == *in.ExclusiveStartBackupArn {
				start = i + 1
				break
			}
		}
	}
	limit := len(all)
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	out := struct {
		BackupSummaries        []backupSummary `json:"BackupSummaries"`
		LastEvaluatedBackupArn string          `json:"LastEvaluatedBackupArn,omitempty"`
	}{BackupSummaries: []backupSummary{}}
	for i := start; i < len(all) && len(out.BackupSummaries) < limit; i++ {
		m := &all[i]
		d := detailsOf(m)
		out.BackupSummaries = append(out.BackupSummaries, backupSummary{TableName: m.Table.Name, TableId: m.Table.TableID,
			TableArn: m.Table.Arn(), BackupArn: m.Arn, BackupName: m.Name, BackupCreationDateTime: m.Created,
			BackupExpiryDateTime: d.BackupExpiryDateTime, BackupStatus: m.Status, BackupType: m.Type, BackupSizeBytes: d.BackupSizeBytes})
		if len(out.BackupSummaries) == limit && i+1 < len(all) {
			out.LastEvaluatedBackupArn = m.Arn
		}
	}
	return json.Marshal(out)
}

// ---------------------------------------------------------------------------
// RestoreTableFromBackup and the overrides both restores accept

type restoreOverridesIn struct {
	BillingModeOverride           *string
	GlobalSecondaryIndexOverride  []globalIndexIn
	LocalSecondaryIndexOverride   []localIndexIn
	ProvisionedThroughputOverride *capacityIn
	OnDemandThroughputOverride    *OnDemandThroughput
	SSESpecificationOverride      *sseSpecIn
}

func (o *restoreOverridesIn) constraints(c *checker) {
	tblEnum(c, o.BillingModeOverride, "billingModeOverride", "PROVISIONED", "PAY_PER_REQUEST")
	tblCapacity(c, o.ProvisionedThroughputOverride, "provisionedThroughputOverride")
	tblSSESpec(c, o.SSESpecificationOverride, "sSESpecificationOverride")
}

// apply changes restored table t as the overrides say.
func (o *restoreOverridesIn) apply(n *Node, t *Table) error {
	d := &t.Desc
	if o.BillingModeOverride != nil {
		d.BillingMode = *o.BillingModeOverride
		if d.BillingMode == billingPayPerRequest {
			d.Throughput = Throughput{}
			d.LastUpdateToPayPerRequest = t.CreationDateTime
		} else if o.ProvisionedThroughputOverride == nil && d.Throughput.Read == 0 {
			return ddb.Validation(msgInvalid + "ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
		}
	}
	if p := o.ProvisionedThroughputOverride; p != nil {
		if t.PayPerRequest() {
			return ddb.Validation(msgPPRThroughput)
		}
		d.Throughput = Throughput{Read: *p.ReadCapacityUnits, Write: *p.WriteCapacityUnits}
	}
	if o.OnDemandThroughputOverride != nil {
		od := *o.OnDemandThroughputOverride
		d.OnDemand = &od
	}
	if o.GlobalSecondaryIndexOverride != nil {
		d.GlobalIndexes = nil
		for _, g := range o.GlobalSecondaryIndexOverride {
			if g.IndexName == nil || g.Projection == nil || len(g.KeySchema) == 0 {
				return ddb.Validation(msgInvalid + "GlobalSecondaryIndexOverride needs IndexName, KeySchema and Projection")
			}
			if msg := checkGSIKeySchema(g.KeySchema, defNames(t.AttributeDefinitions)); msg != "" {
				return ddb.Validation(msg)
			}
			gi := GlobalIndex{IndexDef: IndexDef{IndexName: *g.IndexName, KeySchema: g.KeySchema, Projection: *g.Projection},
				OnDemand: g.OnDemandThroughput, Warm: g.WarmThroughput}
			if g.ProvisionedThroughput != nil && g.ProvisionedThroughput.ReadCapacityUnits != nil && g.ProvisionedThroughput.WriteCapacityUnits != nil {
				gi.Throughput = Throughput{Read: *g.ProvisionedThroughput.ReadCapacityUnits, Write: *g.ProvisionedThroughput.WriteCapacityUnits}
			}
			d.GlobalIndexes = append(d.GlobalIndexes, gi)
		}
	}
	if o.LocalSecondaryIndexOverride != nil {
		d.LocalIndexes = nil
		for _, l := range o.LocalSecondaryIndexOverride {
			if l.IndexName == nil || l.Projection == nil || len(l.KeySchema) == 0 {
				return ddb.Validation(msgInvalid + "LocalSecondaryIndexOverride needs IndexName, KeySchema and Projection")
			}
			d.LocalIndexes = append(d.LocalIndexes, LocalIndex{IndexDef{IndexName: *l.IndexName, KeySchema: l.KeySchema, Projection: *l.Projection}})
		}
	}
	if s := o.SSESpecificationOverride; s != nil {
		d.SSE = nil
		if s.enables() {
			d.SSE = n.sseState(n.kmsKeyArn(t.Region, s.KMSMasterKeyId))
		}
	}
	return nil
}

type restoreFromBackupIn struct {
	TargetTableName *string
	BackupArn       *string
	restoreOverridesIn
}

func opRestoreTableFromBackup(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in restoreFromBackupIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	c.checkNewTableName("targetTableName", in.TargetTableName)
	c.checkRequired("backupArn", in.BackupArn, 37, 1024)
	in.restoreOverridesIn.constraints(&c)
	if err := c.err(); err != nil {
		return nil, err
	}
	m, ok := n.backups.get(*in.BackupArn)
	if !ok || m.Type == backupPITR {
		return nil, backupNotFound(*in.BackupArn)
	}
	if m.Status == backupCreating {
		return nil, backupInUse()
	}
	target := n.resolveTableName(*in.TargetTableName)
	if _, exists := n.cat.get(target); exists {
		return nil, tableAlreadyExists(target)
	}
	return n.restoreInto(&m.Table, target, req.Region, RestoreState{SourceBackupArn: m.Arn, SourceTableArn: m.Table.Arn(),
		RestoreDateTime: m.Created, BaseArn: m.Arn}, &in.restoreOverridesIn)
}
