package store

// Point-in-time recovery.
//
// While PITR is on, a table has base copies (backups of type PITR, made
// like on-demand backups from one engine snapshot) and the change log holds
// every record after the oldest base. The visible watermark W is read just
// before each base's snapshot, so every change numbered up to W is in the
// base; changes after W may be in it too, which is harmless because replay
// sets whole images (replaying a change the base already has yields the
// same item).
//
// Restoring to time T picks the newest base taken at or before T, copies
// it into the new table, and replays the source table's records numbered
// after the base's W and written at or before T, in sequence order (per
// item that is commit order). The state restored is therefore exactly the
// committed state at T; LatestRestorableDateTime is now.
//
// Space: every write costs its change record (about the size of the old
// and new images) for the recovery period, plus one base copy per
// pitrBaseInterval. The maintenance job takes a new base when the newest
// is older than pitrBaseInterval and drops every base older than the
// newest one that is at or before EarliestRestorableDateTime; the log is
// held from the oldest base kept. Disabling PITR drops the bases and the
// hold.

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

func init() {
	register("UpdateContinuousBackups", opUpdateContinuousBackups)
	register("DescribeContinuousBackups", opDescribeContinuousBackups)
	register("RestoreTableToPointInTime", opRestoreTableToPointInTime)
}

// pitrBaseInterval is how often a PITR table gets a new base copy.
var pitrBaseInterval = 24 * time.Hour

const (
	pitrDefaultDays = 35
	pitrMaxDays     = 35
)

// PITRState is a table's point-in-time recovery setting (part of TableExtra).
type PITRState struct {
	Enabled bool `json:"enabled"`
	// Days is RecoveryPeriodInDays.
	Days int64 `json:"days"`
	// Since is when recovery became possible (Unix seconds): the first
	// base's time.
	Since float64 `json:"since"`
}

func (t *Table) pitrEnabled() bool { return t.Desc.PITR != nil && t.Desc.PITR.Enabled }

// restoreWindow returns EarliestRestorableDateTime and
// LatestRestorableDateTime of t at now.
func (t *Table) restoreWindow(now time.Time) (earliest, latest float64) {
	p := t.Desc.PITR
	latest = unixSeconds(now)
	// Whole seconds, rounded up: clients may send restore times truncated
	// to the second (botocore does), and any second at or after the first
	// base is exactly restorable.
	earliest = math.Ceil(max(p.Since, unixSeconds(now.Add(-time.Duration(p.Days)*24*time.Hour))))
	return earliest, max(latest, earliest)
}

// takeBase starts a PITR base copy of t.
func (n *Node) takeBase(t *Table) (backupMeta, error) {
	seq := n.clog.visible()
	snap := n.db.NewSnapshot()
	return n.backups.start(t, "pitr-base", backupPITR, seq, snap)
}

// basesOf returns the PITR bases of table id, oldest first.
func (r *backups) basesOf(id uint64) []backupMeta {
	return r.list(func(m *backupMeta) bool { return m.Type == backupPITR && m.Table.ID == id })
}

// pitrHold returns the lowest change-log number PITR still needs of table
// id (false: none).
func (r *backups) pitrHold(id uint64) (uint64, bool) {
	bases := r.basesOf(id)
	if len(bases) == 0 {
		return 0, false
	}
	low := uint64(math.MaxUint64)
	for _, b := range bases {
		low = min(low, b.Seq+1)
	}
	return low, true
}

// dropBases removes the PITR bases of table id that no restore reads.
func (r *backups) dropBases(id uint64) error {
	for _, b := range r.basesOf(id) {
		if _, err := r.remove(b.Arn); err != nil {
			if _, inUse := ddb.AsError(err); inUse {
				continue // still read by a restore or being copied: later
			}
			return err
		}
	}
	return nil
}

// maintainPITR takes new bases and drops old ones; bases of tables that
// are gone or no longer have PITR are dropped too.
func (n *Node) maintainPITR() error {
	now := n.opts.Now()
	live := map[uint64]*Table{}
	for _, name := range n.cat.names() {
		if t, ok := n.cat.get(name); ok && t.pitrEnabled() {
			live[t.ID] = t
		}
	}
	seen := map[uint64]bool{}
	for _, b := range n.backups.list(func(m *backupMeta) bool { return m.Type == backupPITR }) {
		seen[b.Table.ID] = true
	}
	for id := range seen {
		if live[id] == nil {
			if err := n.backups.dropBases(id); err != nil {
				return err
			}
		}
	}
	for _, t := range live {
		bases := n.backups.basesOf(t.ID)
		if len(bases) == 0 || now.Sub(time.UnixMilli(int64(bases[len(bases)-1].Created*1000))) >= pitrBaseInterval {
			if _, err := n.takeBase(t); err != nil {
				return err
			}
			continue
		}
		earliest, _ := t.restoreWindow(now)
		// Keep the newest base at or before earliest and everything newer.
		keepFrom := 0
		for i, b := range bases {
			if b.Created <= earliest && b.Status == backupAvailable {
				keepFrom = i
			}
		}
		for _, b := range bases[:keepFrom] {
			if _, err := n.backups.remove(b.Arn); err != nil {
				if _, ok := ddb.AsError(err); !ok {
					return err
				}
			}
		}
	}
	return n.backups.expireSystem()
}

// ---------------------------------------------------------------------------
// UpdateContinuousBackups / DescribeContinuousBackups

type pitrSpecIn struct {
	PointInTimeRecoveryEnabled *bool
	RecoveryPeriodInDays       *int64
}

type updateContinuousBackupsIn struct {
	TableName                        *string
	PointInTimeRecoverySpecification *pitrSpecIn
}

type pitrDescription struct {
	PointInTimeRecoveryStatus  string   `json:"PointInTimeRecoveryStatus"`
	EarliestRestorableDateTime *float64 `json:"EarliestRestorableDateTime,omitempty"`
	LatestRestorableDateTime   *float64 `json:"LatestRestorableDateTime,omitempty"`
	RecoveryPeriodInDays       *int64   `json:"RecoveryPeriodInDays,omitempty"`
}

type continuousBackupsDescription struct {
	ContinuousBackupsStatus        string          `json:"ContinuousBackupsStatus"`
	PointInTimeRecoveryDescription pitrDescription `json:"PointInTimeRecoveryDescription"`
}

func (n *Node) continuousBackupsJSON(t *Table) ([]byte, error) {
	d := continuousBackupsDescription{ContinuousBackupsStatus: "DISABLED",
		PointInTimeRecoveryDescription: pitrDescription{PointInTimeRecoveryStatus: "DISABLED"}}
	if t.pitrEnabled() {
		e, l := t.restoreWindow(n.opts.Now())
		days := t.Desc.PITR.Days
		d.ContinuousBackupsStatus = "ENABLED"
		d.PointInTimeRecoveryDescription = pitrDescription{PointInTimeRecoveryStatus: "ENABLED",
			EarliestRestorableDateTime: &e, LatestRestorableDateTime: &l, RecoveryPeriodInDays: &days}
	}
	return json.Marshal(map[string]continuousBackupsDescription{"ContinuousBackupsDescription": d})
}

// backupTable resolves the TableName of a backup or PITR operation:
// TableNotFoundException when there is no such table.
func (n *Node) backupTable(name *string) (*Table, error) {
	resolved := n.resolveTableName(*name)
	t, ok := n.cat.get(resolved)
	if !ok {
		return nil, tableNotFoundBackup(resolved)
	}
	return t, nil
}

func opUpdateContinuousBackups(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in updateContinuousBackupsIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	c.checkTableName("tableName", in.TableName)
	if s := in.PointInTimeRecoverySpecification; s == nil {
		c.fail(nil, "pointInTimeRecoverySpecification", cMustNotBeNull)
	} else {
		if s.PointInTimeRecoveryEnabled == nil {
			c.fail(nil, "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled", cMustNotBeNull)
		}
		c.checkRange("pointInTimeRecoverySpecification.recoveryPeriodInDays", s.RecoveryPeriodInDays, 1, pitrMaxDays)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	controlMu.Lock()
	defer controlMu.Unlock()
	t, err := n.backupTable(in.TableName)
	if err != nil {
		return nil, err
	}
	spec := in.PointInTimeRecoverySpecification
	enable := *spec.PointInTimeRecoveryEnabled
	if !enable && spec.RecoveryPeriodInDays != nil {
		return nil, ddb.Validation("RecoveryPeriodInDays can only be set when PointInTimeRecoveryEnabled is true")
	}
	days := int64(pitrDefaultDays)
	if spec.RecoveryPeriodInDays != nil {
		days = *spec.RecoveryPeriodInDays
	}
	switch {
	case enable && t.pitrEnabled():
		if t.Desc.PITR.Days != days {
			if err := n.cat.modify(t.Name, t.ID, func(nt *Table) bool {
				p := *nt.Desc.PITR
				p.Days = days
				nt.Desc.PITR = &p
				return true
			}); err != nil {
				return nil, err
			}
		}
	case enable:
		base, err := n.takeBase(t)
		if err != nil {
			return nil, err
		}
		if err := n.cat.modify(t.Name, t.ID, func(nt *Table) bool {
			nt.Desc.PITR = &PITRState{Enabled: true, Days: days, Since: base.Created}
			return true
		}); err != nil {
			return nil, err
		}
	case t.pitrEnabled():
		if err := n.cat.modify(t.Name, t.ID, func(nt *Table) bool {
			nt.Desc.PITR = &PITRState{Enabled: false}
			return true
		}); err != nil {
			return nil, err
		}
		if err := n.backups.dropBases(t.ID); err != nil {
			return nil, err
		}
	}
	t, _ = n.cat.get(t.Name)
	return n.continuousBackupsJSON(t)
}

func opDescribeContinuousBackups(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in tableNameIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	c.checkTableName("tableName", in.TableName)
	if err := c.err(); err != nil {
		return nil, err
	}
	t, err := n.backupTable(in.TableName)
	if err != nil {
		return nil, err
	}
	return n.continuousBackupsJSON(t)
}

// ---------------------------------------------------------------------------
// RestoreTableToPointInTime

type restorePITRIn struct {
	SourceTableArn          *string
	SourceTableName         *string
	TargetTableName         *string
	UseLatestRestorableTime *bool
	RestoreDateTime         *float64
	restoreOverridesIn
}

func opRestoreTableToPointInTime(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in restorePITRIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	if in.SourceTableArn != nil {
		c.checkLen("sourceTableArn", in.SourceTableArn, 1, 1024)
	}
	if in.SourceTableName != nil {
		c.checkTableName("sourceTableName", in.SourceTableName)
	}
	c.checkNewTableName("targetTableName", in.TargetTableName)
	in.restoreOverridesIn.constraints(&c)
	if err := c.err(); err != nil {
		return nil, err
	}
	var source string
	switch {
	case in.SourceTableArn != nil && in.SourceTableName != nil:
		return nil, ddb.Validation("Only one of SourceTableArn or SourceTableName can be specified")
	case in.SourceTableArn != nil:
		source = *in.SourceTableArn
	case in.SourceTableName != nil:
		source = *in.SourceTableName
	default:
		return nil, ddb.Validation("Either SourceTableArn or SourceTableName must be specified")
	}
	latest := in.UseLatestRestorableTime != nil && *in.UseLatestRestorableTime
	if latest && in.RestoreDateTime != nil {
		return nil, ddb.Validation("Only one of RestoreDateTime or UseLatestRestorableTime can be specified")
	}
	if !latest && in.RestoreDateTime == nil {
		return nil, ddb.Validation("Either RestoreDateTime or UseLatestRestorableTime must be specified")
	}
	resolved := n.resolveTableName(source)
	src, ok := n.cat.get(resolved)
	if !ok {
		// The current model has no SourceTableNotFoundException (older
		// emulators answer it): a missing source is TableNotFoundException.
		return nil, tableNotFoundBackup(resolved)
	}
	target := n.resolveTableName(*in.TargetTableName)
	if _, exists := n.cat.get(target); exists {
		return nil, tableAlreadyExists(target)
	}
	if !src.pitrEnabled() {
		return nil, &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "PointInTimeRecoveryUnavailableException",
			Message: "Point in time recovery is not enabled for table '" + src.Name + "'"}
	}
	now := n.opts.Now()
	earliest, latestT := src.restoreWindow(now)
	at := latestT
	if !latest {
		at = *in.RestoreDateTime
		if at < earliest || at > latestT {
			return nil, &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "InvalidRestoreTimeException",
				Message: "RestoreDateTime must be between EarliestRestorableDateTime and LatestRestorableDateTime."}
		}
	}
	// Every change committed at or before now must be readable before the
	// replay bound is fixed: wait (briefly) for the watermark to pass the
	// numbers handed out so far.
	until := n.clog.seq.peekNext() - 1
	deadline := time.Now().Add(5 * time.Second)
	for n.clog.visible() < until && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	var base *backupMeta
	for _, b := range n.backups.basesOf(src.ID) {
		if b.Created <= at {
			b := b
			base = &b
		}
	}
	if base == nil {
		return nil, &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "InvalidRestoreTimeException",
			Message: "RestoreDateTime must be between EarliestRestorableDateTime and LatestRestorableDateTime."}
	}
	rs := RestoreState{SourceTableArn: src.Arn(), RestoreDateTime: at, BaseArn: base.Arn, SourceID: src.ID,
		FromSeq: base.Seq + 1, UntilSeq: max(until, base.Seq+1), Until: at}
	return n.restoreInto(src, target, req.Region, rs, &in.restoreOverridesIn)
}

// replayLog applies the source table's changes numbered rs.FromSeq to
// rs.UntilSeq and written at or before rs.Until to restored table t.
func (n *Node) replayLog(t *Table, base *backupMeta, rs RestoreState) error {
	cut := int64(rs.Until * 1e9)
	src := &base.Table
	var keys [][]byte
	var muts []mutation
	inChunk := map[string]bool{}
	flush := func() error {
		if len(keys) == 0 {
			return nil
		}
		err := n.restoreChunk(t, keys, func(i int, _ currentItem) (mutation, bool) { return muts[i], true })
		keys, muts = keys[:0], muts[:0]
		clear(inChunk)
		return err
	}
	err := n.clog.scan(rs.SourceID, rs.FromSeq, rs.UntilSeq, func(r logRecord) (bool, error) {
		if r.Nanos > cut {
			return false, nil
		}
		if r.Cause == CauseTableDeleted {
			return false, nil
		}
		img := r.New
		if img == nil {
			img = r.Old
		}
		if img == nil {
			return true, nil
		}
		_, js, err := splitStored(img)
		if err != nil {
			return false, err
		}
		item, err := ddb.DecodeItem(append([]byte(nil), js...))
		if err != nil {
			return false, err
		}
		pk, sk, err := src.keyValues(item, false)
		if err != nil {
			return false, err
		}
		key := t.engineKey(pk, sk)
		if inChunk[string(key)] || len(keys) >= backupCopyChunk {
			if err := flush(); err != nil {
				return false, err
			}
		}
		m := mutation{del: true}
		if r.New != nil {
			m = mutation{put: item, putSize: ddb.ItemSize(item)}
		}
		keys = append(keys, key)
		muts = append(muts, m)
		inChunk[string(key)] = true
		return true, nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// deletedTableBackup makes the system backup of a PITR table being deleted,
// from a snapshot taken before the deletion.
func (n *Node) deletedTableBackup(t *Table) error {
	if !t.pitrEnabled() {
		return nil
	}
	_, err := n.backups.start(t, t.Name+deletedTableBackupSuffix, backupSystem, 0, n.db.NewSnapshot())
	return err
}
