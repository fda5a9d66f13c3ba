package store

// On-demand backups and the base copies of point-in-time recovery.
//
// A backup is a copy of a table's items taken from one engine snapshot,
// kept inside the node's own Pebble database, so it is exactly as durable
// as the table was and survives the table's deletion and restarts:
//
//	'k' + backup ARN            → backup metadata (JSON of backupMeta)
//	'K' + number(8) + item key  → one stored item (item key without the table ID)
//
// CreateBackup takes the snapshot while answering (the backup's time
// marker), records the backup as CREATING with a synced write, and copies
// the items in the background in chunks; the final metadata update is
// synced, which also makes every earlier chunk durable (the WAL is
// sequential). Writers are never blocked: they work on the live database
// while the copy reads the snapshot. A crash while a backup is CREATING
// loses the snapshot, so at the next start the partial copy is removed and
// the backup with it (its status list has no FAILED).
//
// A restore creates a new table, CREATING and refused to item operations,
// and fills it in the background from the backup's copy through the
// ordinary write path (indexes maintained, one change record per item,
// cause Restore); the table turns ACTIVE when its data is in place. A
// crash during a restore restarts the fill from the beginning at the next
// start: the copy is still there.
//
// Point-in-time recovery keeps base copies of the same kind (type PITR,
// never listed) and the change log since the oldest base; see pitr.go.

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/dynax/dynax/ddb"
)

const (
	tagBackup     = 'k'
	tagBackupData = 'K'
)

// Backup statuses and types, as DynamoDB names them.
const (
	backupCreating  = "CREATING"
	backupAvailable = "AVAILABLE"
	backupDeleted   = "DELETED"
	backupUser      = "USER"
	backupSystem    = "SYSTEM"
	backupPITR      = "PITR" // a point-in-time base copy: internal, never listed
)

// deletedTableBackupSuffix names the system backup made when a table with
// point-in-time recovery is deleted; it is kept for 35 days.
const (
	deletedTableBackupSuffix = "$DeletedTableBackup"
	systemBackupRetention    = 35 * 24 * time.Hour
)

// backupCopyGate, when set (tests only), holds every backup copy until it
// is closed, so a test can act while a backup is CREATING.
var backupCopyGate chan struct{}

// backupCopyChunk bounds one batch of a backup copy or a restore fill.
const backupCopyChunk = 512

// backupMeta is one backup.
type backupMeta struct {
	Arn  string `json:"arn"`
	Name string `json:"name"`
	// Num is the key prefix of the backup's items.
	Num uint64 `json:"num"`
	// Table is the catalog entry of the table when the backup was taken.
	Table   Table   `json:"table"`
	Created float64 `json:"created"`
	Expiry  float64 `json:"expiry,omitempty"`
	Status  string  `json:"status"`
	Type    string  `json:"type"`
	Items   int64   `json:"items"`
	Bytes   int64   `json:"bytes"`
	// Seq is, for a PITR base, the visible watermark read just before the
	// snapshot: every change numbered up to it is in the copy.
	Seq uint64 `json:"seq,omitempty"`
}

func backupKey(arn string) []byte { return append([]byte{tagBackup}, arn...) }

func backupDataPrefix(num uint64) []byte {
	k := make([]byte, 9)
	k[0] = tagBackupData
	binary.BigEndian.PutUint64(k[1:], num)
	return k
}

func backupDataBounds(num uint64) (lo, hi []byte) {
	return backupDataPrefix(num), backupDataPrefix(num + 1)
}

// backups is the node's registry of backups (all of them in memory: the
// metadata is small).
type backups struct {
	n  *Node
	mu sync.Mutex
	// byArn holds every backup that is not deleted.
	byArn map[string]*backupMeta
	next  uint64
	// copying counts the backups being copied per table ID: such a table
	// cannot be deleted.
	copying map[uint64]int
	// restoring counts the restores reading each backup: such a backup
	// cannot be deleted.
	restoring map[string]int
	wg        sync.WaitGroup
	stop      chan struct{}
	closed    bool
}

// openBackups loads the registry, removing the partial copies of backups
// that a crash interrupted.
func openBackups(n *Node) (*backups, error) {
	r := &backups{n: n, byArn: map[string]*backupMeta{}, next: 1, copying: map[uint64]int{},
		restoring: map[string]int{}, stop: make(chan struct{})}
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagBackup}, UpperBound: []byte{tagBackup + 1}})
	if err != nil {
		return nil, err
	}
	var broken []*backupMeta
	for it.First(); it.Valid(); it.Next() {
		var m backupMeta
		if err := json.Unmarshal(it.Value(), &m); err != nil {
			it.Close()
			return nil, fmt.Errorf("store: backup %q: %w", it.Key()[1:], err)
		}
		if m.Num >= r.next {
			r.next = m.Num + 1
		}
		if m.Status == backupCreating {
			broken = append(broken, &m)
			continue
		}
		r.byArn[m.Arn] = &m
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	for _, m := range broken {
		n.log.Warn("backup: removing a backup interrupted by a restart", "backup", m.Arn, "table", m.Table.Name)
		if err := r.purge(m); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// purge removes a backup's metadata and items durably.
func (r *backups) purge(m *backupMeta) error {
	b := r.n.db.NewBatch()
	defer b.Close()
	lo, hi := backupDataBounds(m.Num)
	if err := b.DeleteRange(lo, hi, nil); err != nil {
		return err
	}
	if err := b.Delete(backupKey(m.Arn), nil); err != nil {
		return err
	}
	return b.Commit(pebble.Sync)
}

func (r *backups) save(m *backupMeta, opts *pebble.WriteOptions) error {
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return r.n.db.Set(backupKey(m.Arn), v, opts)
}

// get returns a copy of the backup with arn.
func (r *backups) get(arn string) (backupMeta, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.byArn[arn]
	if !ok {
		return backupMeta{}, false
	}
	return *m, true
}

// list returns copies of the backups that match keep, oldest first.
func (r *backups) list(keep func(*backupMeta) bool) []backupMeta {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []backupMeta
	for _, m := range r.byArn {
		if keep(m) {
			out = append(out, *m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Created != out[j].Created {
			return out[i].Created < out[j].Created
		}
		return out[i].Arn < out[j].Arn
	})
	return out
}

// busy reports whether a backup of table id is being copied.
func (r *backups) busy(id uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.copying[id] > 0
}

// backupArn returns a new backup ARN of t, in DynamoDB's form
// (…:table/<name>/backup/<17-digit Unix millis>-<8 hex>).
func backupArn(t *Table, now time.Time, num uint64) string {
	return fmt.Sprintf("%s/backup/%017d-%08x", t.Arn(), now.UnixMilli(), uint32(num*2654435761))
}

// start takes a snapshot of t's items now and copies them into a new backup
// in the background. It returns the backup as recorded (CREATING).
func (r *backups) start(t *Table, name, typ string, seq uint64, snap *pebble.Snapshot) (backupMeta, error) {
	now := r.n.opts.Now()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		snap.Close()
		return backupMeta{}, ErrClosed
	}
	num := r.next
	r.next++
	m := &backupMeta{Arn: backupArn(t, now, num), Name: name, Num: num, Table: *t, Created: unixSeconds(now),
		Status: backupCreating, Type: typ, Seq: seq}
	m.Table.Desc = t.Desc.clone()
	if typ == backupSystem {
		m.Expiry = unixSeconds(now.Add(systemBackupRetention))
	}
	if err := r.save(m, pebble.Sync); err != nil {
		r.mu.Unlock()
		snap.Close()
		return backupMeta{}, fmt.Errorf("store: record backup: %w", err)
	}
	r.byArn[m.Arn] = m
	r.copying[t.ID]++
	r.wg.Add(1)
	r.mu.Unlock()
	out := *m
	go func() {
		defer r.wg.Done()
		defer snap.Close()
		done := false // set (under r.mu) once the copy left CREATING
		defer func() {
			r.mu.Lock()
			if !done {
				r.copyEnded(t.ID)
			}
			r.mu.Unlock()
		}()
		r.n.safely("backup "+m.Arn, func() error { return r.copy(m, snap, &done) })
	}()
	return out, nil
}

// copyEnded notes that a copy of table id is over. The caller holds r.mu:
// the table stops being busy at the same instant its backup turns
// AVAILABLE (or goes), so no one sees an available backup of a busy table.
func (r *backups) copyEnded(id uint64) {
	r.copying[id]--
	if r.copying[id] <= 0 {
		delete(r.copying, id)
	}
}

// copy copies the table's items from snap into backup m, then marks it
// AVAILABLE. On failure the backup is removed. *ended is set, under r.mu,
// when the copy is over for the registry.
func (r *backups) copy(m *backupMeta, snap *pebble.Snapshot, ended *bool) (err error) {
	defer func() {
		if err != nil {
			r.mu.Lock()
			delete(r.byArn, m.Arn)
			if !*ended {
				r.copyEnded(m.Table.ID)
				*ended = true
			}
			r.mu.Unlock()
			if perr := r.purge(m); perr != nil {
				r.n.log.Error("backup: cannot remove a failed backup", "backup", m.Arn, "err", perr)
			}
		}
	}()
	if backupCopyGate != nil {
		<-backupCopyGate
	}
	lo, hi := tableBounds(m.Table.ID)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	defer it.Close()
	prefix := backupDataPrefix(m.Num)
	b := r.n.db.NewBatch()
	defer func() { b.Close() }()
	var items, bytes int64
	for it.First(); it.Valid(); it.Next() {
		select {
		case <-r.stop:
			return ErrClosed
		default:
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		size, _, err := splitStored(v)
		if err != nil {
			return err
		}
		key := append(slices.Clip(prefix), it.Key()[9:]...)
		if err := b.Set(key, v, nil); err != nil {
			return err
		}
		items++
		bytes += int64(size)
		if b.Count() >= backupCopyChunk {
			if err := b.Commit(pebble.NoSync); err != nil {
				return err
			}
			b.Close()
			b = r.n.db.NewBatch()
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byArn[m.Arn]; !ok {
		return nil // deleted meanwhile (cannot happen: CREATING backups are not deletable)
	}
	done := *m
	done.Status, done.Items, done.Bytes = backupAvailable, items, bytes
	// Synced: makes the chunks above durable too.
	if err := r.save(&done, pebble.Sync); err != nil {
		return err
	}
	*m = done
	r.copyEnded(m.Table.ID)
	*ended = true
	return nil
}

// remove deletes backup arn; the returned copy has status DELETED.
func (r *backups) remove(arn string) (backupMeta, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.byArn[arn]
	if !ok {
		return backupMeta{}, backupNotFound(arn)
	}
	if m.Status == backupCreating || r.restoring[arn] > 0 {
		return backupMeta{}, backupInUse()
	}
	if err := r.purge(m); err != nil {
		return backupMeta{}, err
	}
	delete(r.byArn, arn)
	out := *m
	out.Status = backupDeleted
	return out, nil
}

// close stops the copies in flight and waits for them.
func (r *backups) close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.stop)
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// expireSystem removes system backups past their expiry.
func (r *backups) expireSystem() error {
	now := unixSeconds(r.n.opts.Now())
	for _, m := range r.list(func(m *backupMeta) bool { return m.Type == backupSystem && m.Expiry > 0 && m.Expiry < now }) {
		if _, err := r.remove(m.Arn); err != nil {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Restores

// RestoreState marks a table made by a restore (part of TableExtra).
type RestoreState struct {
	SourceBackupArn string  `json:"backup,omitempty"`
	SourceTableArn  string  `json:"sourceTable,omitempty"`
	RestoreDateTime float64 `json:"at"`
	InProgress      bool    `json:"inProgress"`
	// BaseArn is the backup copy the fill starts from (the backup itself,
	// or a PITR base); Until and UntilSeq bound the change-log replay of a
	// point-in-time restore (Until 0: no replay).
	BaseArn  string  `json:"base"`
	SourceID uint64  `json:"sourceId,omitempty"`
	FromSeq  uint64  `json:"fromSeq,omitempty"`
	UntilSeq uint64  `json:"untilSeq,omitempty"`
	Until    float64 `json:"until,omitempty"`
}

// restoredTable returns the new table a restore of src creates: src's
// schema and settings, without its stream, TTL and tags, as DynamoDB does.
func (n *Node) restoredTable(src *Table, target, region string, rs RestoreState) *Table {
	now := n.opts.Now()
	t := &Table{
		Name:                 target,
		TableID:              newTableUUID(),
		Region:               region,
		Account:              n.opts.Account,
		CreationDateTime:     unixSeconds(now),
		KeyHash:              src.KeyHash, // its keys are copied as they are
		KeySchema:            src.KeySchema,
		AttributeDefinitions: src.AttributeDefinitions,
	}
	if t.Region == "" {
		t.Region = src.Region
	}
	d := src.Desc.clone()
	d.Stream, d.TTL, d.PITR, d.UpdatingUntil = nil, nil, nil, 0
	d.DeletionProtection = false
	d.Insights = nil // a restored table starts without contributor insights
	for i := range d.GlobalIndexes {
		g := &d.GlobalIndexes[i]
		g.Backfilling, g.ActiveAt, g.UpdatingUntil = false, 0, 0
		g.Insights = nil
	}
	rs.InProgress = true
	d.Restore = &rs
	t.Desc = d
	return t
}

// restoreInto creates target, a restore of src with the overrides o, and
// starts its fill; it answers RestoreTableFromBackup and
// RestoreTableToPointInTime.
func (n *Node) restoreInto(src *Table, target, region string, rs RestoreState, o *restoreOverridesIn) ([]byte, error) {
	t := n.restoredTable(src, target, region, rs)
	if err := o.apply(n, t); err != nil {
		return nil, err
	}
	if err := n.createRestored(t); err != nil {
		return nil, err
	}
	return n.tableDescriptionJSON("TableDescription", t)
}

// createRestored enters t (CREATING) in the catalog and starts its fill.
func (n *Node) createRestored(t *Table) error {
	controlMu.Lock()
	created, err := n.cat.create(t)
	controlMu.Unlock()
	if err != nil {
		return err
	}
	if !created {
		return tableAlreadyExists(t.Name)
	}
	n.startRestore(t)
	return nil
}

// startRestore runs the fill of restored table t in the background.
func (n *Node) startRestore(t *Table) {
	r := n.backups
	rs := t.Desc.Restore
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.restoring[rs.BaseArn]++
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		defer func() {
			r.mu.Lock()
			r.restoring[rs.BaseArn]--
			if r.restoring[rs.BaseArn] == 0 {
				delete(r.restoring, rs.BaseArn)
			}
			r.mu.Unlock()
		}()
		n.safely("restore "+t.Name, func() error { return n.fillRestored(t) })
	}()
}

// resumeRestores restarts the fills a restart interrupted, from scratch.
func (n *Node) resumeRestores() error {
	for _, name := range n.cat.names() {
		t, ok := n.cat.get(name)
		if !ok || t.Desc.Restore == nil || !t.Desc.Restore.InProgress {
			continue
		}
		n.log.Warn("restore: restarting a restore interrupted by a restart", "table", t.Name)
		if err := n.clearTableData(t); err != nil {
			return err
		}
		n.startRestore(t)
	}
	return nil
}

// clearTableData removes every item, index entry and TTL entry of t (a
// restored table whose fill starts over) and zeroes its statistics.
func (n *Node) clearTableData(t *Table) error {
	b := n.db.NewBatch()
	defer b.Close()
	ilo, ihi := tableBounds(t.ID)
	xlo, xhi := indexTableBounds(t.ID)
	tp := ttlPrefix(t.ID)
	for _, r := range [][2][]byte{{ilo, ihi}, {xlo, xhi}, {tp, prefixEnd(tp)}} {
		if err := b.DeleteRange(r[0], r[1], nil); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	st := n.cat.statsOf(t)
	st.items.Store(0)
	st.bytes.Store(0)
	return nil
}

// fillRestored copies the base into t, replays the change log for a
// point-in-time restore, and turns t ACTIVE.
func (n *Node) fillRestored(t *Table) error {
	rs := *t.Desc.Restore
	base, ok := n.backups.get(rs.BaseArn)
	if !ok {
		return fmt.Errorf("restore %s: backup %s is gone", t.Name, rs.BaseArn)
	}
	for base.Status == backupCreating { // a PITR base still being copied
		select {
		case <-n.backups.stop:
			return nil
		case <-time.After(20 * time.Millisecond):
		}
		if base, ok = n.backups.get(rs.BaseArn); !ok {
			return fmt.Errorf("restore %s: backup %s is gone", t.Name, rs.BaseArn)
		}
	}
	if err := n.fillFromBackup(t, base.Num); err != nil {
		return err
	}
	if rs.UntilSeq > 0 {
		if err := n.replayLog(t, &base, rs); err != nil {
			return err
		}
	}
	return n.cat.modify(t.Name, t.ID, func(nt *Table) bool {
		r := *nt.Desc.Restore
		r.InProgress = false
		nt.Desc.Restore = &r
		nt.Status = statusActive
		return true
	})
}

// fillFromBackup writes the items of backup copy num into t.
func (n *Node) fillFromBackup(t *Table, num uint64) error {
	lo, hi := backupDataBounds(num)
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	defer it.Close()
	var keys [][]byte
	var items []ddb.Item
	var sizes []int
	flush := func() error {
		if len(keys) == 0 {
			return nil
		}
		err := n.restoreChunk(t, keys, func(i int, _ currentItem) (mutation, bool) {
			return mutation{put: items[i], putSize: sizes[i]}, true
		})
		keys, items, sizes = keys[:0], items[:0], sizes[:0]
		return err
	}
	prefix, _ := tableBounds(t.ID)
	for it.First(); it.Valid(); it.Next() {
		select {
		case <-n.backups.stop:
			return ErrClosed
		default:
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		size, js, err := splitStored(v)
		if err != nil {
			return err
		}
		item, err := ddb.DecodeItem(js)
		if err != nil {
			return err
		}
		keys = append(keys, append(slices.Clip(prefix), it.Key()[9:]...))
		items = append(items, item)
		sizes = append(sizes, size)
		if len(keys) >= backupCopyChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	return flush()
}

// restoreChunk applies one mutation per key to restored (or imported)
// table t in one batch, with index entries, change records (cause Restore)
// and statistics. fn gives the mutation of keys[i] from the item's current
// state (false: leave it).
func (n *Node) restoreChunk(t *Table, keys [][]byte, fn func(i int, cur currentItem) (mutation, bool)) error {
	return n.restoreChunkCause(t, keys, CauseRestore, fn)
}

// restoreChunkCause is restoreChunk with the change records' cause.
func (n *Node) restoreChunkCause(t *Table, keys [][]byte, cause Cause, fn func(i int, cur currentItem) (mutation, bool)) error {
	unlock := n.locks.lockAll(keys)
	defer unlock()
	b := n.db.NewBatch()
	defer b.Close()
	lt := n.clog.table(t)
	type applied struct {
		found bool
		size  int
		m     mutation
	}
	var changes []itemChange
	var done []applied
	for i, k := range keys {
		cur, err := n.readCurrent(k, true)
		if err != nil {
			return err
		}
		m, ok := fn(i, cur)
		if !ok {
			continue
		}
		newStored, changed, err := t.addMutation(b, k, cur, m)
		if err != nil {
			return err
		}
		if !changed || unchanged(cur, newStored, m.put) {
			continue
		}
		changes = append(changes, itemChange{lt: lt, old: cur.stored, new: newStored})
		done = append(done, applied{cur.stored != nil, cur.size, m})
	}
	tk, err := n.clog.append(b, cause, changes)
	if err != nil {
		n.clog.done(tk, err)
		return err
	}
	err = b.Commit(pebble.NoSync)
	n.clog.done(tk, err)
	if err != nil {
		return err
	}
	st := n.cat.statsOf(t)
	for _, a := range done {
		st.record(a.found, a.size, a.m)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Errors

func backupNotFound(arn string) error {
	return &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "BackupNotFoundException", Message: "Backup not found: " + arn}
}

func backupInUse() error {
	return &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "BackupInUseException",
		Message: "There is another ongoing conflicting backup control plane operation on the table. The backup is either being created, deleted or restored to a table."}
}

func tableNotFoundBackup(name string) error {
	return &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "TableNotFoundException", Message: "Table not found: " + name}
}

func tableAlreadyExists(name string) error {
	return &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "TableAlreadyExistsException", Message: "Table already exists: " + name}
}
