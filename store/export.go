package store

// ExportTableToPointInTime, DescribeExport and ListExports.
//
// An export writes the layout DynamoDB writes, under
// <S3Prefix>/AWSDynamoDB/<ExportId>/ of the bucket:
//
//	_started                         empty, written first
//	data/<name>.json.gz | .ion.gz    JSON Lines of {"Item":{…}} (or Ion lines)
//	manifest-files.json              one line per data file: itemCount, md5Checksum, etag, dataFileS3Key
//	manifest-files.checksum          hex MD5 of manifest-files.json
//	manifest-summary.json            the export's summary (version 2020-06-30)
//	manifest-summary.checksum        hex MD5 of manifest-summary.json
//
// A full export reads one consistent state and never the live table's
// write path: without ExportTime, an engine snapshot taken when the
// request is answered; with ExportTime, point-in-time recovery's newest
// base at or before it with the change log replayed up to it (in memory,
// only the keys changed since the base). An incremental export reads the
// change log of its window and writes, per item changed, its last image
// (and, for NEW_AND_OLD_IMAGES, the image before the window).
//
// Export and import jobs are recorded under 'g' + ARN (JSON). A restart
// marks an export that was running FAILED; an import starts over.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/cockroachdb/pebble/v2"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

func init() {
	register("ExportTableToPointInTime", opExportTableToPointInTime)
	register("DescribeExport", opDescribeExport)
	register("ListExports", opListExports)
}

const tagDataJob = 'g'

// Job statuses.
const (
	jobInProgress = "IN_PROGRESS"
	jobCompleted  = "COMPLETED"
	jobFailed     = "FAILED"
)

// exportItemsPerFile bounds the items of one export data file.
const exportItemsPerFile = 100000

// dataJob is one export or import.
type dataJob struct {
	Kind string `json:"kind"` // "export" or "import"
	Arn  string `json:"arn"`
	// Table is the exported or imported table.
	TableName string  `json:"table"`
	TableArn  string  `json:"tableArn"`
	TableID   string  `json:"tableId"`
	TableNum  uint64  `json:"tableNum"`
	Status    string  `json:"status"`
	Start     float64 `json:"start"`
	End       float64 `json:"end,omitempty"`
	Token     string  `json:"token,omitempty"`
	Failure   string  `json:"failureCode,omitempty"`
	FailMsg   string  `json:"failureMessage,omitempty"`
	Bucket    string  `json:"bucket"`
	Owner     string  `json:"owner,omitempty"`
	Prefix    string  `json:"prefix,omitempty"`
	Format    string  `json:"format"`

	// Export.
	ExportTime float64 `json:"exportTime,omitempty"`
	ExportType string  `json:"exportType,omitempty"`
	FromTime   float64 `json:"from,omitempty"`
	ToTime     float64 `json:"to,omitempty"`
	View       string  `json:"view,omitempty"`
	SSE        string  `json:"sse,omitempty"`
	SSEKey     string  `json:"sseKey,omitempty"`
	Items      int64   `json:"items"`
	Bytes      int64   `json:"bytes"`
	Manifest   string  `json:"manifest,omitempty"`
	// UntilSeq bounds the change-log replay of a past ExportTime.
	UntilSeq uint64 `json:"untilSeq,omitempty"`

	// Import.
	Compression string          `json:"compression,omitempty"`
	CSVDelim    string          `json:"csvDelimiter,omitempty"`
	CSVHeader   []string        `json:"csvHeader,omitempty"`
	Creation    json.RawMessage `json:"creation,omitempty"`
	Processed   int64           `json:"processed"`
	Imported    int64           `json:"imported"`
	Errors      int64           `json:"errors"`
	SizeBytes   int64           `json:"sizeBytes"`
}

func dataJobKey(arn string) []byte { return append([]byte{tagDataJob}, arn...) }

// dataJobs is the registry of exports and imports.
type dataJobs struct {
	n      *Node
	mu     sync.Mutex
	byArn  map[string]*dataJob
	wg     sync.WaitGroup
	stop   chan struct{}
	closed bool
}

func openDataJobs(n *Node) (*dataJobs, error) {
	r := &dataJobs{n: n, byArn: map[string]*dataJob{}, stop: make(chan struct{})}
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagDataJob}, UpperBound: []byte{tagDataJob + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		var j dataJob
		if err := json.Unmarshal(it.Value(), &j); err != nil {
			return nil, fmt.Errorf("store: export or import %q: %w", it.Key()[1:], err)
		}
		r.byArn[j.Arn] = &j
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	for _, j := range r.byArn {
		if j.Kind == "export" && j.Status == jobInProgress {
			n.log.Warn("export: marking an export interrupted by a restart FAILED", "export", j.Arn)
			j.Status, j.End = jobFailed, unixSeconds(n.opts.Now())
			j.Failure, j.FailMsg = "InternalServerError", "The export was interrupted by a restart of the node"
			if err := r.save(j); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

func (r *dataJobs) save(j *dataJob) error {
	v, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return r.n.db.Set(dataJobKey(j.Arn), v, pebble.Sync)
}

// add records a new job.
func (r *dataJobs) add(j *dataJob) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.save(j); err != nil {
		return err
	}
	r.byArn[j.Arn] = j
	return nil
}

// update applies fn to the job and saves it.
func (r *dataJobs) update(arn string, fn func(*dataJob)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.byArn[arn]
	if !ok {
		return nil
	}
	c := *j
	fn(&c)
	if err := r.save(&c); err != nil {
		return err
	}
	r.byArn[arn] = &c
	return nil
}

func (r *dataJobs) get(arn string) (dataJob, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.byArn[arn]
	if !ok {
		return dataJob{}, false
	}
	return *j, true
}

// list returns copies of the jobs of kind (and table ARN, if given), oldest first.
func (r *dataJobs) list(kind, tableArn string) []dataJob {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []dataJob
	for _, j := range r.byArn {
		if j.Kind == kind && (tableArn == "" || j.TableArn == tableArn) {
			out = append(out, *j)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Start != out[b].Start {
			return out[a].Start < out[b].Start
		}
		return out[a].Arn < out[b].Arn
	})
	return out
}

// run starts fn in the background; a failure marks the job FAILED.
func (r *dataJobs) run(arn string, fn func() error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		r.n.safely("job "+arn, func() error {
			err := fn()
			if err == nil || err == ErrClosed {
				return nil
			}
			code, msg := "InternalServerError", err.Error()
			if e, ok := ddb.AsError(err); ok {
				code, msg = e.Name(), e.Message
			}
			_ = r.update(arn, func(j *dataJob) {
				j.Status, j.End, j.Failure, j.FailMsg = jobFailed, unixSeconds(r.n.opts.Now()), code, msg
			})
			return err
		})
	}()
}

func (r *dataJobs) close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.stop)
	}
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *dataJobs) stopped() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// jobArn returns an export or import ARN of table t (…/export/<17-digit
// Unix millis>-<8 hex>).
func jobArn(t *Table, kind string, now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%s/%017d-%s", t.Arn(), kind, now.UnixMilli(), hex.EncodeToString(b[:]))
}

// randomName is a 26-letter lower-case base32 name, as DynamoDB names data files.
func randomName() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	out := make([]byte, 26)
	for i := range out {
		out[i] = alphabet[int(b[i%16]+byte(i*7))%32]
	}
	return string(out)
}

func isoTime(secs float64) string {
	return time.UnixMilli(int64(secs * 1000)).UTC().Format("2006-01-02T15:04:05.000Z")
}

// ---------------------------------------------------------------------------
// ExportTableToPointInTime

type incrementalSpecIn struct {
	ExportFromTime *float64
	ExportToTime   *float64
	ExportViewType *string
}

type exportIn struct {
	TableArn                       *string
	ExportTime                     *float64
	ClientToken                    *string
	S3Bucket                       *string
	S3BucketOwner                  *string
	S3Prefix                       *string
	S3SseAlgorithm                 *string
	S3SseKmsKeyId                  *string
	ExportFormat                   *string
	ExportType                     *string
	IncrementalExportSpecification *incrementalSpecIn
}

const (
	incrementalMin = 15 * time.Minute
	incrementalMax = 24 * time.Hour
)

func invalidExportTime(msg string) error {
	return &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "InvalidExportTimeException", Message: msg}
}

func opExportTableToPointInTime(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in exportIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	c.checkRequired("tableArn", in.TableArn, 1, 1024)
	c.checkRequired("s3Bucket", in.S3Bucket, 0, 255)
	if in.S3Prefix != nil {
		c.checkLen("s3Prefix", in.S3Prefix, 0, 1024)
	}
	tblEnum(&c, in.S3SseAlgorithm, "s3SseAlgorithm", "AES256", "KMS")
	tblEnum(&c, in.ExportFormat, "exportFormat", "DYNAMODB_JSON", "ION")
	tblEnum(&c, in.ExportType, "exportType", "FULL_EXPORT", "INCREMENTAL_EXPORT")
	if s := in.IncrementalExportSpecification; s != nil {
		tblEnum(&c, s.ExportViewType, "incrementalExportSpecification.exportViewType", "NEW_AND_OLD_IMAGES", "NEW_IMAGE")
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	t, err := n.backupTable(in.TableArn)
	if err != nil {
		return nil, err
	}
	if in.ClientToken != nil {
		for _, j := range n.jobs.list("export", "") {
			if j.Token != *in.ClientToken {
				continue
			}
			// The same token again: the same export, or a conflict when
			// the request differs.
			if j.TableArn != t.Arn() || j.Bucket != *in.S3Bucket || j.Prefix != aws.ToString(in.S3Prefix) ||
				(in.ExportFormat != nil && j.Format != *in.ExportFormat) {
				return nil, &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "ExportConflictException",
					Message: "There was a conflict when writing to the specified S3 bucket."}
			}
			return json.Marshal(map[string]any{"ExportDescription": describeExport(&j)})
		}
	}
	if !t.pitrEnabled() {
		return nil, &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "PointInTimeRecoveryUnavailableException",
			Message: "Point in time recovery is not enabled for table '" + t.Name + "'"}
	}
	now := n.opts.Now()
	earliest, latest := t.restoreWindow(now)
	j := &dataJob{Kind: "export", Arn: jobArn(t, "export", now), TableName: t.Name, TableArn: t.Arn(), TableID: t.TableID,
		TableNum: t.ID, Status: jobInProgress, Start: unixSeconds(now), Bucket: *in.S3Bucket, Format: "DYNAMODB_JSON",
		ExportType: "FULL_EXPORT", ExportTime: unixSeconds(now), SSE: "AES256"}
	if in.ClientToken != nil {
		j.Token = *in.ClientToken
	}
	if in.S3BucketOwner != nil {
		j.Owner = *in.S3BucketOwner
	}
	if in.S3Prefix != nil {
		j.Prefix = *in.S3Prefix
	}
	if in.S3SseAlgorithm != nil {
		j.SSE = *in.S3SseAlgorithm
	}
	if in.S3SseKmsKeyId != nil {
		j.SSEKey = *in.S3SseKmsKeyId
	}
	if in.ExportFormat != nil {
		j.Format = *in.ExportFormat
	}
	if in.ExportType != nil {
		j.ExportType = *in.ExportType
	}
	pastTime := false
	switch j.ExportType {
	case "FULL_EXPORT":
		if in.IncrementalExportSpecification != nil {
			return nil, ddb.Validation("IncrementalExportSpecification can only be set when ExportType is INCREMENTAL_EXPORT")
		}
		if in.ExportTime != nil {
			if *in.ExportTime < earliest || *in.ExportTime > latest {
				return nil, invalidExportTime("ExportTime must be between EarliestRestorableDateTime and LatestRestorableDateTime.")
			}
			j.ExportTime = *in.ExportTime
			pastTime = true
		}
	case "INCREMENTAL_EXPORT":
		s := in.IncrementalExportSpecification
		if in.ExportTime != nil {
			return nil, ddb.Validation("ExportTime cannot be set when ExportType is INCREMENTAL_EXPORT")
		}
		if s == nil || s.ExportFromTime == nil || s.ExportToTime == nil {
			return nil, ddb.Validation("IncrementalExportSpecification with ExportFromTime and ExportToTime is required when ExportType is INCREMENTAL_EXPORT")
		}
		from, to := *s.ExportFromTime, *s.ExportToTime
		switch d := time.Duration((to - from) * float64(time.Second)); {
		case from < earliest || to > latest:
			return nil, invalidExportTime("ExportFromTime and ExportToTime must be between EarliestRestorableDateTime and LatestRestorableDateTime.")
		case d < incrementalMin || d > incrementalMax:
			return nil, invalidExportTime("The incremental export period must be at least 15 minutes and at most 24 hours.")
		}
		j.FromTime, j.ToTime, j.View, j.ExportTime = from, to, "NEW_AND_OLD_IMAGES", to
		if s.ExportViewType != nil {
			j.View = *s.ExportViewType
		}
	}
	store, err := n.objects(req.Region)
	if err != nil {
		return nil, err
	}
	var snap *pebble.Snapshot
	if !pastTime && j.ExportType == "FULL_EXPORT" {
		snap = n.db.NewSnapshot()
	} else {
		j.UntilSeq = n.clog.seq.peekNext() - 1
	}
	if err := n.jobs.add(j); err != nil {
		if snap != nil {
			snap.Close()
		}
		return nil, err
	}
	tbl := *t
	n.jobs.run(j.Arn, func() error {
		if snap != nil {
			defer snap.Close()
		}
		return n.runExport(store, &tbl, j.Arn, snap)
	})
	return json.Marshal(map[string]any{"ExportDescription": describeExport(j)})
}

// exportWriter accumulates data files of an export.
type exportWriter struct {
	ctx     context.Context
	store   objectStore
	j       *dataJob
	dir     string // <prefix>/AWSDynamoDB/<ExportId>/
	buf     bytes.Buffer
	gz      *gzip.Writer
	inFile  int64
	items   int64
	bytes   int64
	files   []string // manifest-files.json lines
	scratch []byte
}

func newExportWriter(ctx context.Context, store objectStore, j *dataJob) *exportWriter {
	id := j.Arn[strings.LastIndex(j.Arn, "/")+1:]
	dir := "AWSDynamoDB/" + id + "/"
	if p := strings.Trim(j.Prefix, "/"); p != "" {
		dir = p + "/" + dir
	}
	w := &exportWriter{ctx: ctx, store: store, j: j, dir: dir}
	w.gz = gzip.NewWriter(&w.buf)
	return w
}

func (w *exportWriter) ext() string {
	if w.j.Format == "ION" {
		return ".ion.gz"
	}
	return ".json.gz"
}

// line adds one data line.
func (w *exportWriter) line(b []byte, size int) error {
	if _, err := w.gz.Write(append(b, '\n')); err != nil {
		return err
	}
	w.inFile++
	w.items++
	w.bytes += int64(size)
	if w.inFile >= exportItemsPerFile {
		return w.flushFile()
	}
	return nil
}

// flushFile writes the current data file (an empty one too).
func (w *exportWriter) flushFile() error {
	if err := w.gz.Close(); err != nil {
		return err
	}
	body := append([]byte(nil), w.buf.Bytes()...)
	key := w.dir + "data/" + randomName() + w.ext()
	if err := w.store.Put(w.ctx, w.j.Bucket, key, body); err != nil {
		return err
	}
	sum := md5.Sum(body)
	line, _ := json.Marshal(map[string]any{"itemCount": w.inFile, "md5Checksum": base64.StdEncoding.EncodeToString(sum[:]),
		"etag": hex.EncodeToString(sum[:]), "dataFileS3Key": key})
	w.files = append(w.files, string(line))
	w.buf.Reset()
	w.gz.Reset(&w.buf)
	w.inFile = 0
	return nil
}

// finish writes the last data file and the manifests; it returns the key
// of manifest-summary.json.
func (w *exportWriter) finish(now time.Time) (string, error) {
	if w.inFile > 0 || len(w.files) == 0 {
		if err := w.flushFile(); err != nil {
			return "", err
		}
	}
	files := []byte(strings.Join(w.files, "\n") + "\n")
	if err := w.putWithChecksum("manifest-files", files); err != nil {
		return "", err
	}
	j := w.j
	summary := map[string]any{
		"version": "2020-06-30", "exportArn": j.Arn, "startTime": isoTime(j.Start), "endTime": isoTime(unixSeconds(now)),
		"tableArn": j.TableArn, "tableId": j.TableID, "exportTime": isoTime(j.ExportTime), "s3Bucket": j.Bucket,
		"s3Prefix": nilIfEmpty(j.Prefix), "s3SseAlgorithm": j.SSE, "s3SseKmsKeyId": nilIfEmpty(j.SSEKey),
		"manifestFilesS3Key": w.dir + "manifest-files.json", "billedSizeBytes": w.bytes, "itemCount": w.items,
		"outputFormat": j.Format, "exportType": j.ExportType,
	}
	if j.ExportType == "INCREMENTAL_EXPORT" {
		summary["exportFromTime"], summary["exportToTime"], summary["outputView"] = isoTime(j.FromTime), isoTime(j.ToTime), j.View
	}
	sb, err := json.Marshal(summary)
	if err != nil {
		return "", err
	}
	if err := w.putWithChecksum("manifest-summary", sb); err != nil {
		return "", err
	}
	return w.dir + "manifest-summary.json", nil
}

func (w *exportWriter) putWithChecksum(name string, body []byte) error {
	if err := w.store.Put(w.ctx, w.j.Bucket, w.dir+name+".json", body); err != nil {
		return err
	}
	sum := md5.Sum(body)
	return w.store.Put(w.ctx, w.j.Bucket, w.dir+name+".checksum", []byte(hex.EncodeToString(sum[:])))
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// itemLine renders one exported item in the export's format.
func (w *exportWriter) itemLine(stored []byte) ([]byte, int, error) {
	size, js, err := splitStored(stored)
	if err != nil {
		return nil, 0, err
	}
	if w.j.Format == "ION" {
		it, err := ddb.DecodeItem(js)
		if err != nil {
			return nil, 0, err
		}
		return appendIonItem(w.scratch[:0], it), size, nil
	}
	b := append(w.scratch[:0], `{"Item":`...)
	b = append(b, js...)
	return append(b, '}'), size, nil
}

// runExport writes the export and marks it COMPLETED.
func (n *Node) runExport(store objectStore, t *Table, arn string, snap *pebble.Snapshot) error {
	ctx := context.Background()
	j, _ := n.jobs.get(arn)
	ok, err := store.BucketExists(ctx, j.Bucket)
	if err != nil {
		return err
	}
	if !ok {
		if _, isDir := store.(dirStore); !isDir {
			return &ddb.Error{Status: 400, Type: "S3NoSuchBucket", Message: "The specified bucket does not exist: " + j.Bucket}
		}
		// A local bucket is a directory: made on first use.
	}
	w := newExportWriter(ctx, store, &j)
	if err := store.Put(ctx, j.Bucket, w.dir+"_started", nil); err != nil {
		return err
	}
	switch {
	case j.ExportType == "INCREMENTAL_EXPORT":
		err = n.exportIncremental(t, &j, w)
	case snap != nil:
		err = n.exportSnapshot(t, snap, w)
	default:
		err = n.exportAt(t, &j, w)
	}
	if err != nil {
		return err
	}
	now := n.opts.Now()
	manifest, err := w.finish(now)
	if err != nil {
		return err
	}
	return n.jobs.update(arn, func(d *dataJob) {
		d.Status, d.End, d.Items, d.Bytes, d.Manifest = jobCompleted, unixSeconds(now), w.items, w.bytes, manifest
	})
}

// exportSnapshot exports the items of t in snap.
func (n *Node) exportSnapshot(t *Table, snap *pebble.Snapshot, w *exportWriter) error {
	lo, hi := tableBounds(t.ID)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		if n.jobs.stopped() {
			return ErrClosed
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		line, size, err := w.itemLine(v)
		if err != nil {
			return err
		}
		if err := w.line(line, size); err != nil {
			return err
		}
	}
	return it.Error()
}

// exportAt exports the state of t at j.ExportTime: the newest PITR base at
// or before it, with the change log replayed over it.
func (n *Node) exportAt(t *Table, j *dataJob, w *exportWriter) error {
	var base *backupMeta
	for _, b := range n.backups.basesOf(t.ID) {
		if b.Created <= j.ExportTime {
			b := b
			base = &b
		}
	}
	if base == nil {
		return invalidExportTime("ExportTime must be between EarliestRestorableDateTime and LatestRestorableDateTime.")
	}
	for base.Status == backupCreating {
		if n.jobs.stopped() {
			return ErrClosed
		}
		time.Sleep(20 * time.Millisecond)
		b, ok := n.backups.get(base.Arn)
		if !ok {
			return fmt.Errorf("export: base %s is gone", base.Arn)
		}
		base = &b
	}
	// overlay: item key suffix → stored image after replay (nil: deleted).
	overlay := map[string][]byte{}
	cut := int64(j.ExportTime * 1e9)
	err := n.clog.scan(t.ID, base.Seq+1, max(j.UntilSeq, base.Seq+1), func(r logRecord) (bool, error) {
		if r.Nanos > cut || r.Cause == CauseTableDeleted {
			return false, nil
		}
		key, err := recordKeySuffix(&base.Table, r)
		if err != nil || key == "" {
			return err == nil, err
		}
		overlay[key] = append([]byte(nil), r.New...)
		if r.New == nil {
			overlay[key] = nil
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	lo, hi := backupDataBounds(base.Num)
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	defer it.Close()
	emit := func(stored []byte) error {
		line, size, err := w.itemLine(stored)
		if err != nil {
			return err
		}
		return w.line(line, size)
	}
	for it.First(); it.Valid(); it.Next() {
		if n.jobs.stopped() {
			return ErrClosed
		}
		suffix := string(it.Key()[9:])
		if img, changed := overlay[suffix]; changed {
			delete(overlay, suffix)
			if img == nil {
				continue
			}
			if err := emit(img); err != nil {
				return err
			}
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		if err := emit(v); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	keys := make([]string, 0, len(overlay))
	for k, img := range overlay {
		if img != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := emit(overlay[k]); err != nil {
			return err
		}
	}
	return nil
}

// recordKeySuffix returns the item key (without tag and table ID) of a
// change record of table t.
func recordKeySuffix(t *Table, r logRecord) (string, error) {
	img := r.New
	if img == nil {
		img = r.Old
	}
	if img == nil {
		return "", nil
	}
	_, js, err := splitStored(img)
	if err != nil {
		return "", err
	}
	item, err := ddb.DecodeItem(append([]byte(nil), js...))
	if err != nil {
		return "", err
	}
	pk, sk, err := t.keyValues(item, false)
	if err != nil {
		return "", err
	}
	return string(t.engineKey(pk, sk)[9:]), nil
}

// exportIncremental writes, per item changed in the window, its last image
// (and the image before the window for NEW_AND_OLD_IMAGES).
func (n *Node) exportIncremental(t *Table, j *dataJob, w *exportWriter) error {
	type change struct {
		keys     []byte
		old, new []byte
		oldSet   bool
		nanos    int64
	}
	from, to := int64(j.FromTime*1e9), int64(j.ToTime*1e9)
	changes := map[string]*change{}
	var order []string
	lt := n.clog.logTableByID(t.ID)
	if lt == nil {
		return w.flushFile()
	}
	err := n.clog.scan(t.ID, lt.horizon.Load(), j.UntilSeq, func(r logRecord) (bool, error) {
		if r.Nanos > to || r.Cause == CauseTableDeleted {
			return false, nil
		}
		if r.Nanos <= from {
			return true, nil
		}
		key, err := recordKeySuffix(t, r)
		if err != nil || key == "" {
			return err == nil, err
		}
		c, ok := changes[key]
		if !ok {
			c = &change{}
			changes[key] = c
			order = append(order, key)
		}
		if !c.oldSet {
			c.old, c.oldSet = append([]byte(nil), r.Old...), true
			if r.Old == nil {
				c.old = nil
			}
		}
		c.new = nil
		if r.New != nil {
			c.new = append([]byte(nil), r.New...)
		}
		c.nanos = r.Nanos
		img := r.New
		if img == nil {
			img = r.Old
		}
		_, js, err := splitStored(img)
		if err != nil {
			return false, err
		}
		item, err := ddb.DecodeItem(append([]byte(nil), js...))
		if err != nil {
			return false, err
		}
		keyItem := ddb.Item{}
		for _, k := range t.KeySchema {
			if name := aws.ToString(k.AttributeName); name != "" {
				keyItem[name] = item[name]
			}
		}
		c.keys = ddb.AppendItem(nil, keyItem)
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, k := range order {
		c := changes[k]
		b := append([]byte(nil), `{"Metadata":{"WriteTimestampMicros":{"N":"`...)
		b = strconv.AppendInt(b, c.nanos/1000, 10)
		b = append(b, `"}},"Keys":`...)
		b = append(b, c.keys...)
		size := 0
		if c.new != nil {
			sz, js, err := splitStored(c.new)
			if err != nil {
				return err
			}
			size = sz
			b = append(b, `,"NewImage":`...)
			b = append(b, js...)
		}
		if j.View == "NEW_AND_OLD_IMAGES" && c.old != nil {
			_, js, err := splitStored(c.old)
			if err != nil {
				return err
			}
			b = append(b, `,"OldImage":`...)
			b = append(b, js...)
		}
		b = append(b, '}')
		if err := w.line(b, size); err != nil {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// DescribeExport / ListExports

type exportDescription struct {
	ExportArn                      string          `json:"ExportArn"`
	ExportStatus                   string          `json:"ExportStatus"`
	StartTime                      float64         `json:"StartTime"`
	EndTime                        *float64        `json:"EndTime,omitempty"`
	ExportManifest                 string          `json:"ExportManifest,omitempty"`
	TableArn                       string          `json:"TableArn"`
	TableId                        string          `json:"TableId"`
	ExportTime                     float64         `json:"ExportTime"`
	ClientToken                    string          `json:"ClientToken,omitempty"`
	S3Bucket                       string          `json:"S3Bucket"`
	S3BucketOwner                  string          `json:"S3BucketOwner,omitempty"`
	S3Prefix                       string          `json:"S3Prefix,omitempty"`
	S3SseAlgorithm                 string          `json:"S3SseAlgorithm,omitempty"`
	S3SseKmsKeyId                  string          `json:"S3SseKmsKeyId,omitempty"`
	FailureCode                    string          `json:"FailureCode,omitempty"`
	FailureMessage                 string          `json:"FailureMessage,omitempty"`
	ExportFormat                   string          `json:"ExportFormat"`
	BilledSizeBytes                *int64          `json:"BilledSizeBytes,omitempty"`
	ItemCount                      *int64          `json:"ItemCount,omitempty"`
	ExportType                     string          `json:"ExportType"`
	IncrementalExportSpecification *incrementalOut `json:"IncrementalExportSpecification,omitempty"`
}

type incrementalOut struct {
	ExportFromTime float64 `json:"ExportFromTime"`
	ExportToTime   float64 `json:"ExportToTime"`
	ExportViewType string  `json:"ExportViewType"`
}

func describeExport(j *dataJob) exportDescription {
	d := exportDescription{ExportArn: j.Arn, ExportStatus: j.Status, StartTime: j.Start, ExportManifest: j.Manifest,
		TableArn: j.TableArn, TableId: j.TableID, ExportTime: j.ExportTime, ClientToken: j.Token, S3Bucket: j.Bucket,
		S3BucketOwner: j.Owner, S3Prefix: j.Prefix, S3SseAlgorithm: j.SSE, S3SseKmsKeyId: j.SSEKey, FailureCode: j.Failure,
		FailureMessage: j.FailMsg, ExportFormat: j.Format, ExportType: j.ExportType}
	if j.End > 0 {
		e := j.End
		d.EndTime = &e
	}
	if j.Status == jobCompleted {
		items, bytes := j.Items, j.Bytes
		d.ItemCount, d.BilledSizeBytes = &items, &bytes
	}
	if j.ExportType == "INCREMENTAL_EXPORT" {
		d.IncrementalExportSpecification = &incrementalOut{ExportFromTime: j.FromTime, ExportToTime: j.ToTime, ExportViewType: j.View}
	}
	return d
}

type exportArnIn struct {
	ExportArn *string
}

func opDescribeExport(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in exportArnIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	c.checkRequired("exportArn", in.ExportArn, 37, 1024)
	if err := c.err(); err != nil {
		return nil, err
	}
	j, ok := n.jobs.get(*in.ExportArn)
	if !ok || j.Kind != "export" {
		return nil, &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "ExportNotFoundException", Message: "Export not found: " + *in.ExportArn}
	}
	return json.Marshal(map[string]any{"ExportDescription": describeExport(&j)})
}

type listJobsIn struct {
	TableArn   *string
	MaxResults *int64
	PageSize   *int64
	NextToken  *string
}

// pageJobs returns the page of jobs after token (an ARN) of at most limit,
// and the next token.
func pageJobs(all []dataJob, token *string, limit int) ([]dataJob, string) {
	start := 0
	if token != nil {
		for i, j := range all {
			if j.Arn == *token {
				start = i + 1
			}
		}
	}
	end := min(len(all), start+limit)
	next := ""
	if end < len(all) {
		next = all[end-1].Arn
	}
	return all[start:end], next
}

// listJobs decodes a ListExports or ListImports request (page size in
// member size, lower-camel path sizePath) and returns its page of jobs of
// kind and the next token.
func (n *Node) listJobs(body []byte, kind, sizePath string, size func(*listJobsIn) *int64) ([]dataJob, string, error) {
	var in listJobsIn
	if err := decode(body, &in); err != nil {
		return nil, "", err
	}
	var c checker
	c.checkLen("tableArn", in.TableArn, 1, 1024)
	c.checkRange(sizePath, size(&in), 1, 25)
	if err := c.err(); err != nil {
		return nil, "", err
	}
	limit := 25
	if v := size(&in); v != nil {
		limit = int(*v)
	}
	page, next := pageJobs(n.jobs.list(kind, aws.ToString(in.TableArn)), in.NextToken, limit)
	return page, next, nil
}

func opListExports(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	page, next, err := n.listJobs(req.Body, "export", "maxResults", func(in *listJobsIn) *int64 { return in.MaxResults })
	if err != nil {
		return nil, err
	}
	type summary struct {
		ExportArn    string `json:"ExportArn"`
		ExportStatus string `json:"ExportStatus"`
		ExportType   string `json:"ExportType"`
	}
	out := struct {
		ExportSummaries []summary `json:"ExportSummaries"`
		NextToken       string    `json:"NextToken,omitempty"`
	}{ExportSummaries: []summary{}, NextToken: next}
	for _, j := range page {
		out.ExportSummaries = append(out.ExportSummaries, summary{j.Arn, j.Status, j.ExportType})
	}
	return json.Marshal(out)
}
