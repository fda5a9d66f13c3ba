package store

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/dynax/dynax/ddb"
)

// TableExtra is the control-plane state of a table beyond the fields of
// Table: billing mode, throughput, secondary indexes, stream, encryption,
// table class, deletion protection and throughput limits. It is stored in
// the catalog as part of Table (JSON), so field names here are a storage
// format: only add fields, never rename them.
//
// Transitional states (UPDATING tables, CREATING or UPDATING indexes) are
// not stored as states but as the instant they end (UpdatingUntil,
// ActiveAt, …), so they resolve by themselves, also across restarts. They
// are only ever in the future with Options.CreateDelay > 0.
type TableExtra struct {
	// BillingMode is PROVISIONED or PAY_PER_REQUEST; "" is PROVISIONED
	// never stated explicitly (DescribeTable then omits BillingModeSummary,
	// as DynamoDB does).
	BillingMode string `json:"billingMode,omitempty"`
	// LastUpdateToPayPerRequest is when the table last became
	// PAY_PER_REQUEST (Unix seconds), 0 if never.
	LastUpdateToPayPerRequest float64 `json:"lastPPR,omitempty"`
	// PPRSwitches are the instants (Unix seconds) of the switches to
	// PAY_PER_REQUEST in the last 24 hours (capacity_limits.go).
	PPRSwitches []float64 `json:"pprSwitches,omitempty"`
	// Throughput is the table's provisioned throughput (0/0 when
	// PAY_PER_REQUEST).
	Throughput Throughput `json:"throughput"`

	// LocalIndexes and GlobalIndexes are the secondary indexes, in the
	// order they were declared.
	LocalIndexes  []LocalIndex  `json:"lsi,omitempty"`
	GlobalIndexes []GlobalIndex `json:"gsi,omitempty"`
	// VectorIndexes are the vector indexes (vector.go).
	VectorIndexes []VectorIndex `json:"vector,omitempty"`

	// Stream is the current or last stream; nil if the table never had one.
	Stream *StreamState `json:"stream,omitempty"`
	// SSE is the KMS encryption; nil for the default AWS-owned key (no
	// SSEDescription).
	SSE *SSEState `json:"sse,omitempty"`

	// TableClass is the class when one was ever stated (CreateTable or
	// UpdateTable); "" shows no TableClassSummary (implicit STANDARD).
	TableClass        string  `json:"tableClass,omitempty"`
	TableClassUpdated float64 `json:"tableClassUpdated,omitempty"`

	DeletionProtection bool `json:"deletionProtection,omitempty"`

	// OnDemand holds the OnDemandThroughput limits when set.
	OnDemand *OnDemandThroughput `json:"onDemand,omitempty"`
	// Warm holds explicitly requested WarmThroughput values.
	Warm *WarmThroughput `json:"warm,omitempty"`

	// UpdatingUntil: TableStatus reads UPDATING until this instant.
	UpdatingUntil float64 `json:"updatingUntil,omitempty"`

	// TTL is the Time to Live setting; nil if it was never set.
	TTL *TTLState `json:"ttl,omitempty"`

	// PITR is the point-in-time recovery setting; nil: never enabled.
	PITR *PITRState `json:"pitr,omitempty"`
	// Restore is set on a table made by a restore.
	Restore *RestoreState `json:"restore,omitempty"`
	// Import is set on a table made by ImportTable.
	Import *ImportState `json:"import,omitempty"`
	// Kinesis lists the Kinesis Data Streams destinations.
	Kinesis []KinesisDest `json:"kinesis,omitempty"`
	// Replicas are the Regions of a global table (version 2019.11.21),
	// this one included; nil for a regional table (replicate.go).
	Replicas []ReplicaState `json:"replicas,omitempty"`
	// Insights is the table's Contributor Insights setting (insights.go);
	// nil if it was never set. An InsightsState is never modified in
	// place: changes store a new one.
	Insights *InsightsState `json:"insights,omitempty"`
	// Consistency is the MultiRegionConsistency of a global table: "" (or
	// EVENTUAL) or STRONG (global_strong.go).
	Consistency string `json:"mrc,omitempty"`
}

// filling reports whether t is being filled by a restore or an import: it
// stays CREATING, refused to item operations, until the fill is done.
func (t *Table) filling() bool {
	return (t.Desc.Restore != nil && t.Desc.Restore.InProgress) || (t.Desc.Import != nil && t.Desc.Import.InProgress)
}

// Throughput is provisioned capacity with its change history.
type Throughput struct {
	Read         int64   `json:"r"`
	Write        int64   `json:"w"`
	LastIncrease float64 `json:"lastInc,omitempty"`
	LastDecrease float64 `json:"lastDec,omitempty"`
	// Decreases counts decreases on the UTC day DecreaseDay (2006-01-02).
	Decreases   int64  `json:"decreases,omitempty"`
	DecreaseDay string `json:"decreaseDay,omitempty"`
}

// IndexDef is what both kinds of secondary index have: name, key schema
// and projection. Key types come from the table's AttributeDefinitions
// (see Table.IndexHashKey / IndexRangeKey).
type IndexDef struct {
	IndexName  string             `json:"name"`
	KeySchema  []KeySchemaElement `json:"keySchema"`
	Projection Projection         `json:"projection"`
}

// LocalSecondaryIndex definition.
type LocalIndex struct {
	IndexDef
}

// GlobalIndex is a global secondary index definition and state.
type GlobalIndex struct {
	IndexDef
	Throughput Throughput          `json:"throughput"`
	OnDemand   *OnDemandThroughput `json:"onDemand,omitempty"`
	Warm       *WarmThroughput     `json:"warm,omitempty"`
	// ActiveAt: IndexStatus reads CREATING until this instant (indexes
	// added by UpdateTable).
	ActiveAt float64 `json:"activeAt,omitempty"`
	// UpdatingUntil: IndexStatus reads UPDATING until this instant.
	UpdatingUntil float64 `json:"updatingUntil,omitempty"`
	// Backfilling: the index was added to a table by UpdateTable and its
	// entries for existing items are still being written (see backfill.go);
	// IndexStatus reads CREATING until it is done.
	Backfilling bool `json:"backfilling,omitempty"`
	// Insights is the index's Contributor Insights setting; nil if never
	// set (immutable like TableExtra.Insights).
	Insights *InsightsState `json:"insights,omitempty"`
}

// Projection is an index projection, as in requests and descriptions.
type Projection struct {
	ProjectionType   *string  `json:"ProjectionType,omitempty"`
	NonKeyAttributes []string `json:"NonKeyAttributes,omitempty"`
}

// StreamState is a table's DynamoDB stream.
type StreamState struct {
	Enabled  bool   `json:"enabled"`
	ViewType string `json:"viewType,omitempty"`
	// Label is the LatestStreamLabel (creation time, ISO 8601 with
	// milliseconds, UTC); it survives disabling, as in DynamoDB.
	Label string `json:"label"`
}

// SSEState is KMS server-side encryption.
type SSEState struct {
	KMSMasterKeyArn string `json:"kmsKeyArn"`
	// KeyFP is the fingerprint of the key the table's items are sealed
	// under (sse.go); "" when no keyring was loaded.
	KeyFP string `json:"keyFp,omitempty"`
}

// OnDemandThroughput is the maximum on-demand throughput (-1: no limit).
type OnDemandThroughput struct {
	MaxReadRequestUnits  *int64 `json:"MaxReadRequestUnits,omitempty"`
	MaxWriteRequestUnits *int64 `json:"MaxWriteRequestUnits,omitempty"`
}

// WarmThroughput is requested pre-warmed throughput.
type WarmThroughput struct {
	ReadUnitsPerSecond  *int64 `json:"ReadUnitsPerSecond,omitempty"`
	WriteUnitsPerSecond *int64 `json:"WriteUnitsPerSecond,omitempty"`
}

// Index statuses.
const (
	statusCreating = "CREATING"
	statusActive   = "ACTIVE"
	statusUpdating = "UPDATING"
	statusDeleting = "DELETING"
)

// Billing modes.
const (
	billingProvisioned   = "PROVISIONED"
	billingPayPerRequest = "PAY_PER_REQUEST"
)

// ---------------------------------------------------------------------------
// Accessors for the data plane.

// PayPerRequest reports whether the table bills on demand.
func (t *Table) PayPerRequest() bool { return t.Desc.BillingMode == billingPayPerRequest }

// LocalIndex returns the local secondary index called name.
func (t *Table) LocalIndex(name string) (*LocalIndex, bool) {
	for i := range t.Desc.LocalIndexes {
		if t.Desc.LocalIndexes[i].IndexName == name {
			return &t.Desc.LocalIndexes[i], true
		}
	}
	return nil, false
}

// GlobalIndex returns the global secondary index called name.
func (t *Table) GlobalIndex(name string) (*GlobalIndex, bool) {
	for i := range t.Desc.GlobalIndexes {
		if t.Desc.GlobalIndexes[i].IndexName == name {
			return &t.Desc.GlobalIndexes[i], true
		}
	}
	return nil, false
}

// Index returns the definition of the secondary index called name (local
// or global) and whether it is global.
func (t *Table) Index(name string) (ix *IndexDef, global, ok bool) {
	if l, ok := t.LocalIndex(name); ok {
		return &l.IndexDef, false, true
	}
	if g, ok := t.GlobalIndex(name); ok {
		return &g.IndexDef, true, true
	}
	return nil, false, false
}

// IndexHashKey returns the partition key name and type of index ix.
func (t *Table) IndexHashKey(ix *IndexDef) (string, ddb.Type) { return t.indexKeyOf(ix, "HASH") }

// IndexRangeKey returns the sort key name and type of index ix ("" if none).
func (t *Table) IndexRangeKey(ix *IndexDef) (string, ddb.Type) { return t.indexKeyOf(ix, "RANGE") }

func (t *Table) indexKeyOf(ix *IndexDef, kind string) (string, ddb.Type) {
	for _, k := range ix.KeySchema {
		if k.KeyType != nil && *k.KeyType == kind && k.AttributeName != nil {
			return *k.AttributeName, t.attrType(*k.AttributeName)
		}
	}
	return "", 0
}

// IndexProjects reports whether attribute attr is stored in index ix: the
// table and index keys always are; ALL projects everything; INCLUDE adds
// NonKeyAttributes.
func (t *Table) IndexProjects(ix *IndexDef, attr string) bool {
	if ix.Projection.ProjectionType != nil && *ix.Projection.ProjectionType == "ALL" {
		return true
	}
	for _, k := range t.KeySchema {
		if k.AttributeName != nil && *k.AttributeName == attr {
			return true
		}
	}
	for _, k := range ix.KeySchema {
		if k.AttributeName != nil && *k.AttributeName == attr {
			return true
		}
	}
	return slices.Contains(ix.Projection.NonKeyAttributes, attr)
}

// IndexStatus returns the IndexStatus of global index g of t at now.
func (t *Table) IndexStatus(g *GlobalIndex, now time.Time) string {
	secs := unixSeconds(now)
	switch {
	case t.Status == statusCreating || t.Status == statusDeleting:
		return t.Status
	case g.Backfilling || g.ActiveAt > secs:
		return statusCreating
	case g.UpdatingUntil > secs:
		return statusUpdating
	}
	return statusActive
}

// TableStatus returns the TableStatus of t at now.
func (t *Table) TableStatus(now time.Time) string {
	if t.Status == statusActive && t.Desc.UpdatingUntil > unixSeconds(now) {
		return statusUpdating
	}
	return t.Status
}

// StreamViewType returns the view type of the table's enabled stream, and
// false when it has no enabled stream.
func (t *Table) StreamViewType() (string, bool) {
	if s := t.Desc.Stream; s != nil && s.Enabled {
		return s.ViewType, true
	}
	return "", false
}

// LatestStreamArn returns the ARN of the table's latest stream ("" if the
// table never had one).
func (t *Table) LatestStreamArn() string {
	if t.Desc.Stream == nil {
		return ""
	}
	return t.Arn() + "/stream/" + t.Desc.Stream.Label
}

// clone returns a deep copy of x, so a modified Table can be stored
// without touching the immutable catalog entry.
func (x TableExtra) clone() TableExtra {
	y := x
	y.LocalIndexes = slices.Clone(x.LocalIndexes)
	for i := range y.LocalIndexes {
		y.LocalIndexes[i].IndexDef = x.LocalIndexes[i].IndexDef.clone()
	}
	y.GlobalIndexes = slices.Clone(x.GlobalIndexes)
	for i := range y.GlobalIndexes {
		g := &y.GlobalIndexes[i]
		g.IndexDef = x.GlobalIndexes[i].IndexDef.clone()
		g.OnDemand = cloneOnDemand(g.OnDemand)
		g.Warm = cloneWarm(g.Warm)
	}
	if x.Stream != nil {
		s := *x.Stream
		y.Stream = &s
	}
	if x.SSE != nil {
		s := *x.SSE
		y.SSE = &s
	}
	if x.TTL != nil {
		s := *x.TTL
		y.TTL = &s
	}
	if x.PITR != nil {
		s := *x.PITR
		y.PITR = &s
	}
	if x.Restore != nil {
		s := *x.Restore
		y.Restore = &s
	}
	if x.Import != nil {
		s := *x.Import
		y.Import = &s
	}
	y.Kinesis = slices.Clone(x.Kinesis)
	y.Replicas = slices.Clone(x.Replicas)
	y.OnDemand = cloneOnDemand(x.OnDemand)
	y.Warm = cloneWarm(x.Warm)
	return y
}

func (d IndexDef) clone() IndexDef {
	d.KeySchema = slices.Clone(d.KeySchema)
	d.Projection.NonKeyAttributes = slices.Clone(d.Projection.NonKeyAttributes)
	return d
}

func cloneOnDemand(o *OnDemandThroughput) *OnDemandThroughput {
	if o == nil {
		return nil
	}
	c := *o
	return &c
}

func cloneWarm(w *WarmThroughput) *WarmThroughput {
	if w == nil {
		return nil
	}
	c := *w
	return &c
}

// unixSeconds is t in Unix seconds with millisecond precision, the
// resolution of DynamoDB's timestamps.
func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// ---------------------------------------------------------------------------
// TableDescription, as DynamoDB returns it.

type tableDescription struct {
	AttributeDefinitions   []AttributeDefinition      `json:"AttributeDefinitions,omitempty"`
	TableName              string                     `json:"TableName"`
	KeySchema              []KeySchemaElement         `json:"KeySchema,omitempty"`
	TableStatus            string                     `json:"TableStatus"`
	CreationDateTime       float64                    `json:"CreationDateTime,omitempty"`
	ProvisionedThroughput  throughputDescription      `json:"ProvisionedThroughput"`
	TableSizeBytes         int64                      `json:"TableSizeBytes"`
	ItemCount              int64                      `json:"ItemCount"`
	TableArn               string                     `json:"TableArn"`
	TableID                string                     `json:"TableId"`
	BillingModeSummary     *billingModeSummary        `json:"BillingModeSummary,omitempty"`
	LocalSecondaryIndexes  []localIndexDescription    `json:"LocalSecondaryIndexes,omitempty"`
	GlobalSecondaryIndexes []globalIndexDescription   `json:"GlobalSecondaryIndexes,omitempty"`
	StreamSpecification    *streamSpecificationDesc   `json:"StreamSpecification,omitempty"`
	LatestStreamLabel      string                     `json:"LatestStreamLabel,omitempty"`
	LatestStreamArn        string                     `json:"LatestStreamArn,omitempty"`
	SSEDescription         *sseDescription            `json:"SSEDescription,omitempty"`
	TableClassSummary      *tableClassSummary         `json:"TableClassSummary,omitempty"`
	DeletionProtection     bool                       `json:"DeletionProtectionEnabled"`
	OnDemandThroughput     *OnDemandThroughput        `json:"OnDemandThroughput,omitempty"`
	WarmThroughput         *warmThroughputDescription `json:"WarmThroughput,omitempty"`
	RestoreSummary         *restoreSummary            `json:"RestoreSummary,omitempty"`
	GlobalTableVersion     string                     `json:"GlobalTableVersion,omitempty"`
	Replicas               []replicaDescription       `json:"Replicas,omitempty"`
	GlobalTableWitnesses   []witnessDescription       `json:"GlobalTableWitnesses,omitempty"`
	MultiRegionConsistency string                     `json:"MultiRegionConsistency,omitempty"`
	VectorIndexes          []vectorIndexDescription   `json:"VectorIndexes,omitempty"`
}

// deleting turns d into the description DeleteTable answers with: status
// DELETING, and without the schema, creation time and indexes, which
// DynamoDB leaves out there though DescribeTable has them (alternator's
// test_delete_table_description and _with_si, run against DynamoDB;
// dynalite#60).
func (d *tableDescription) deleting() {
	d.TableStatus = statusDeleting
	d.AttributeDefinitions, d.KeySchema, d.CreationDateTime = nil, nil, 0
	d.GlobalSecondaryIndexes, d.LocalSecondaryIndexes = nil, nil
}

type restoreSummary struct {
	SourceBackupArn   string  `json:"SourceBackupArn,omitempty"`
	SourceTableArn    string  `json:"SourceTableArn,omitempty"`
	RestoreDateTime   float64 `json:"RestoreDateTime"`
	RestoreInProgress bool    `json:"RestoreInProgress"`
}

type throughputDescription struct {
	LastIncreaseDateTime   float64 `json:"LastIncreaseDateTime,omitempty"`
	LastDecreaseDateTime   float64 `json:"LastDecreaseDateTime,omitempty"`
	NumberOfDecreasesToday int64   `json:"NumberOfDecreasesToday"`
	ReadCapacityUnits      int64   `json:"ReadCapacityUnits"`
	WriteCapacityUnits     int64   `json:"WriteCapacityUnits"`
}

type billingModeSummary struct {
	BillingMode                       string  `json:"BillingMode"`
	LastUpdateToPayPerRequestDateTime float64 `json:"LastUpdateToPayPerRequestDateTime,omitempty"`
}

type localIndexDescription struct {
	IndexName      string             `json:"IndexName"`
	KeySchema      []KeySchemaElement `json:"KeySchema"`
	Projection     Projection         `json:"Projection"`
	IndexSizeBytes int64              `json:"IndexSizeBytes"`
	ItemCount      int64              `json:"ItemCount"`
	IndexArn       string             `json:"IndexArn"`
}

type globalIndexDescription struct {
	IndexName             string                     `json:"IndexName"`
	KeySchema             []KeySchemaElement         `json:"KeySchema"`
	Projection            Projection                 `json:"Projection"`
	IndexStatus           string                     `json:"IndexStatus"`
	Backfilling           *bool                      `json:"Backfilling,omitempty"`
	ProvisionedThroughput throughputDescription      `json:"ProvisionedThroughput"`
	IndexSizeBytes        int64                      `json:"IndexSizeBytes"`
	ItemCount             int64                      `json:"ItemCount"`
	IndexArn              string                     `json:"IndexArn"`
	OnDemandThroughput    *OnDemandThroughput        `json:"OnDemandThroughput,omitempty"`
	WarmThroughput        *warmThroughputDescription `json:"WarmThroughput,omitempty"`
}

type streamSpecificationDesc struct {
	StreamEnabled  bool   `json:"StreamEnabled"`
	StreamViewType string `json:"StreamViewType,omitempty"`
}

type sseDescription struct {
	Status          string `json:"Status"`
	SSEType         string `json:"SSEType"`
	KMSMasterKeyArn string `json:"KMSMasterKeyArn"`
}

type tableClassSummary struct {
	TableClass         string  `json:"TableClass"`
	LastUpdateDateTime float64 `json:"LastUpdateDateTime,omitempty"`
}

type warmThroughputDescription struct {
	ReadUnitsPerSecond  int64  `json:"ReadUnitsPerSecond"`
	WriteUnitsPerSecond int64  `json:"WriteUnitsPerSecond"`
	Status              string `json:"Status"`
}

// Default warm throughput of an on-demand table or index.
const (
	defaultWarmRead  = 12000
	defaultWarmWrite = 4000
)

// describeTable builds the TableDescription of t as of now, with live
// ItemCount and TableSizeBytes.
func (n *Node) describeTable(t *Table) *tableDescription {
	now := n.opts.Now()
	st := n.cat.statsOf(t)
	ppr := t.PayPerRequest()
	d := &tableDescription{
		AttributeDefinitions:  t.AttributeDefinitions,
		TableName:             t.Name,
		KeySchema:             t.KeySchema,
		TableStatus:           t.TableStatus(now),
		CreationDateTime:      t.CreationDateTime,
		ProvisionedThroughput: describeThroughput(t.Desc.Throughput, now),
		TableSizeBytes:        st.bytes.Load(),
		ItemCount:             st.items.Load(),
		TableArn:              t.Arn(),
		TableID:               t.TableID,
		DeletionProtection:    t.Desc.DeletionProtection,
		OnDemandThroughput:    cloneOnDemand(t.Desc.OnDemand),
		WarmThroughput:        describeWarm(t.Desc.Warm, ppr, t.Desc.Throughput),
	}
	if t.Desc.BillingMode != "" {
		d.BillingModeSummary = &billingModeSummary{
			BillingMode:                       t.Desc.BillingMode,
			LastUpdateToPayPerRequestDateTime: t.Desc.LastUpdateToPayPerRequest,
		}
	}
	for i := range t.Desc.LocalIndexes {
		l := &t.Desc.LocalIndexes[i]
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, localIndexDescription{
			IndexName:  l.IndexName,
			KeySchema:  l.KeySchema,
			Projection: l.Projection,
			IndexArn:   t.Arn() + "/index/" + l.IndexName,
		})
	}
	for i := range t.Desc.GlobalIndexes {
		g := &t.Desc.GlobalIndexes[i]
		status := t.IndexStatus(g, now)
		gd := globalIndexDescription{
			IndexName:             g.IndexName,
			KeySchema:             g.KeySchema,
			Projection:            g.Projection,
			IndexStatus:           status,
			ProvisionedThroughput: describeThroughput(g.Throughput, now),
			IndexArn:              t.Arn() + "/index/" + g.IndexName,
			OnDemandThroughput:    cloneOnDemand(g.OnDemand),
			WarmThroughput:        describeWarm(g.Warm, ppr, g.Throughput),
		}
		if status == statusCreating && (g.ActiveAt > 0 || g.Backfilling) {
			// Added by UpdateTable: DynamoDB reports whether the backfill runs.
			bf := g.Backfilling
			gd.Backfilling = &bf
		}
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, gd)
	}
	d.VectorIndexes = n.describeVectorIndexes(t)
	if s := t.Desc.Stream; s != nil {
		if s.Enabled {
			d.StreamSpecification = &streamSpecificationDesc{StreamEnabled: true, StreamViewType: s.ViewType}
		}
		d.LatestStreamLabel = s.Label
		d.LatestStreamArn = t.LatestStreamArn()
	}
	if t.Desc.SSE != nil {
		d.SSEDescription = &sseDescription{Status: "ENABLED", SSEType: "KMS", KMSMasterKeyArn: t.Desc.SSE.KMSMasterKeyArn}
	}
	if t.Desc.TableClass != "" {
		d.TableClassSummary = &tableClassSummary{TableClass: t.Desc.TableClass, LastUpdateDateTime: t.Desc.TableClassUpdated}
	}
	if r := t.Desc.Restore; r != nil {
		d.RestoreSummary = &restoreSummary{SourceBackupArn: r.SourceBackupArn, SourceTableArn: r.SourceTableArn,
			RestoreDateTime: r.RestoreDateTime, RestoreInProgress: r.InProgress}
	}
	n.describeReplicas(t, d)
	return d
}

// describeThroughput renders provisioned throughput; NumberOfDecreasesToday
// counts only decreases of the current UTC day.
func describeThroughput(th Throughput, now time.Time) throughputDescription {
	d := throughputDescription{
		LastIncreaseDateTime: th.LastIncrease,
		LastDecreaseDateTime: th.LastDecrease,
		ReadCapacityUnits:    th.Read,
		WriteCapacityUnits:   th.Write,
	}
	if th.DecreaseDay == now.UTC().Format(time.DateOnly) {
		d.NumberOfDecreasesToday = th.Decreases
	}
	return d
}

// describeWarm renders WarmThroughput: on-demand tables and indexes start
// at 12000 reads and 4000 writes per second, provisioned ones at their
// provisioned capacity; explicitly requested values raise these.
func describeWarm(w *WarmThroughput, ppr bool, th Throughput) *warmThroughputDescription {
	d := &warmThroughputDescription{ReadUnitsPerSecond: th.Read, WriteUnitsPerSecond: th.Write, Status: statusActive}
	if ppr {
		d.ReadUnitsPerSecond, d.WriteUnitsPerSecond = defaultWarmRead, defaultWarmWrite
	}
	if w != nil {
		if w.ReadUnitsPerSecond != nil && *w.ReadUnitsPerSecond > d.ReadUnitsPerSecond {
			d.ReadUnitsPerSecond = *w.ReadUnitsPerSecond
		}
		if w.WriteUnitsPerSecond != nil && *w.WriteUnitsPerSecond > d.WriteUnitsPerSecond {
			d.WriteUnitsPerSecond = *w.WriteUnitsPerSecond
		}
	}
	return d
}

// tableDescriptionJSON returns {"<key>": <TableDescription of t>}; key is
// "Table" for DescribeTable and "TableDescription" for the others.
func (n *Node) tableDescriptionJSON(key string, t *Table) ([]byte, error) {
	return json.Marshal(map[string]*tableDescription{key: n.describeTable(t)})
}
