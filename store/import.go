package store

// ImportTable, DescribeImport and ListImports.
//
// ImportTable creates a new table from TableCreationParameters (validated
// as CreateTable validates them), CREATING and refused to item operations,
// and fills it in the background from every object under S3KeyPrefix in
// S3Bucket (except an export's own _started, manifest-* and *.checksum
// files, so an export's directory can be imported as it is). Objects are
// CSV, DynamoDB JSON ({"Item":{…}} lines, what exports write) or Ion,
// uncompressed, GZIP or ZSTD. Items go through the ordinary write path in
// chunks (indexes, change records with cause ImportTable). Duplicate keys:
// the last wins. A line that cannot be read, or whose item is not valid for
// the table, is counted in ErrorCount and logged, and the import goes on.
// A missing bucket fails the import and removes the table. A restart
// starts an unfinished import over.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/klauspost/compress/zstd"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

func init() {
	register("ImportTable", opImportTable)
	register("DescribeImport", opDescribeImport)
	register("ListImports", opListImports)
}

// ImportState marks a table made by ImportTable (part of TableExtra).
type ImportState struct {
	Arn        string `json:"arn"`
	InProgress bool   `json:"inProgress"`
}

// maxImportLine bounds one input line (an item is at most 400 KB; its
// JSON or CSV text can be a few times larger).
const maxImportLine = 4 << 20

type s3SourceIn struct {
	S3Bucket      *string
	S3BucketOwner *string
	S3KeyPrefix   *string
}

type csvOptionsIn struct {
	Delimiter  *string
	HeaderList []string
}

type inputFormatOptionsIn struct {
	Csv *csvOptionsIn
}

type importIn struct {
	ClientToken             *string
	S3BucketSource          *s3SourceIn
	InputFormat             *string
	InputFormatOptions      *inputFormatOptionsIn
	InputCompressionType    *string
	TableCreationParameters json.RawMessage
}

func importNotFound(arn string) error {
	return &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "ImportNotFoundException", Message: "Import not found: " + arn}
}

func opImportTable(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in importIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	if in.S3BucketSource == nil {
		c.fail(nil, "s3BucketSource", cMustNotBeNull)
	} else if in.S3BucketSource.S3Bucket == nil {
		c.fail(nil, "s3BucketSource.s3Bucket", cMustNotBeNull)
	} else {
		c.checkLen("s3BucketSource.s3Bucket", in.S3BucketSource.S3Bucket, 0, 255)
	}
	if in.InputFormat == nil {
		c.fail(nil, "inputFormat", cMustNotBeNull)
	}
	tblEnum(&c, in.InputFormat, "inputFormat", "DYNAMODB_JSON", "ION", "CSV")
	tblEnum(&c, in.InputCompressionType, "inputCompressionType", "GZIP", "ZSTD", "NONE")
	if len(in.TableCreationParameters) == 0 || string(in.TableCreationParameters) == "null" {
		c.fail(nil, "tableCreationParameters", cMustNotBeNull)
	}
	if o := in.InputFormatOptions; o != nil && o.Csv != nil && o.Csv.Delimiter != nil {
		c.checkLen("inputFormatOptions.csv.delimiter", o.Csv.Delimiter, 1, 1)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	if in.ClientToken != nil {
		for _, j := range n.jobs.list("import", "") {
			if j.Token != *in.ClientToken {
				continue
			}
			if j.Bucket != *in.S3BucketSource.S3Bucket || j.Prefix != aws.ToString(in.S3BucketSource.S3KeyPrefix) ||
				j.Format != *in.InputFormat || string(j.Creation) != string(in.TableCreationParameters) {
				return nil, &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "ImportConflictException",
					Message: "There was a conflict when importing from the specified S3 source. This can occur when the current import conflicts with a previous import request that had the same client token."}
			}
			return json.Marshal(map[string]any{"ImportTableDescription": describeImport(&j)})
		}
	}
	var create createTableIn
	if err := decode(in.TableCreationParameters, &create); err != nil {
		return nil, err
	}
	if create.StreamSpecification != nil || create.LocalSecondaryIndexes != nil || create.Tags != nil {
		return nil, ddb.Validation("TableCreationParameters supports only TableName, AttributeDefinitions, KeySchema, BillingMode, ProvisionedThroughput, OnDemandThroughput, SSESpecification and GlobalSecondaryIndexes")
	}
	t, err := n.newTable(&create, req.Region)
	if err != nil {
		return nil, err
	}
	now := n.opts.Now()
	j := &dataJob{Kind: "import", Arn: jobArn(t, "import", now), TableName: t.Name, TableArn: t.Arn(), TableID: t.TableID,
		Status: jobInProgress, Start: unixSeconds(now), Bucket: *in.S3BucketSource.S3Bucket, Format: *in.InputFormat,
		Compression: "NONE", Creation: in.TableCreationParameters}
	if s := in.S3BucketSource; s.S3BucketOwner != nil {
		j.Owner = *s.S3BucketOwner
	}
	if s := in.S3BucketSource; s.S3KeyPrefix != nil {
		j.Prefix = *s.S3KeyPrefix
	}
	if in.InputCompressionType != nil {
		j.Compression = *in.InputCompressionType
	}
	if in.ClientToken != nil {
		j.Token = *in.ClientToken
	}
	if o := in.InputFormatOptions; o != nil && o.Csv != nil {
		if o.Csv.Delimiter != nil {
			j.CSVDelim = *o.Csv.Delimiter
		}
		j.CSVHeader = o.Csv.HeaderList
	}
	store, err := n.objects(req.Region)
	if err != nil {
		return nil, err
	}
	t.Desc.Import = &ImportState{Arn: j.Arn, InProgress: true}
	controlMu.Lock()
	created, err := n.cat.create(t)
	controlMu.Unlock()
	if err != nil {
		return nil, err
	}
	if !created {
		return nil, ddb.ResourceInUse("Table already exists: " + t.Name)
	}
	j.TableNum = t.ID
	if err := n.jobs.add(j); err != nil {
		return nil, err
	}
	n.startImport(store, t, j.Arn)
	return json.Marshal(map[string]any{"ImportTableDescription": describeImport(j)})
}

func (n *Node) startImport(store objectStore, t *Table, arn string) {
	n.jobs.run(arn, func() error {
		err := n.runImport(store, t, arn)
		if err != nil && !errors.Is(err, ErrClosed) {
			// A failed import removes its table.
			controlMu.Lock()
			if cur, ok := n.cat.get(t.Name); ok && cur.ID == t.ID {
				if _, rerr := n.cat.remove(cur); rerr != nil {
					n.log.Error("import: cannot remove the table of a failed import", "table", t.Name, "err", rerr)
				}
			}
			controlMu.Unlock()
		}
		return err
	})
}

// resumeImports starts over the imports a restart interrupted.
func (n *Node) resumeImports() error {
	for _, j := range n.jobs.list("import", "") {
		if j.Status != jobInProgress {
			continue
		}
		t, ok := n.cat.get(j.TableName)
		if !ok || t.ID != j.TableNum || !t.filling() {
			_ = n.jobs.update(j.Arn, func(d *dataJob) {
				d.Status, d.End, d.Failure, d.FailMsg = jobFailed, unixSeconds(n.opts.Now()), "InternalServerError", "The import's table is gone"
			})
			continue
		}
		n.log.Warn("import: restarting an import interrupted by a restart", "import", j.Arn, "table", j.TableName)
		if err := n.clearTableData(t); err != nil {
			return err
		}
		store, err := n.objects(t.Region)
		if err != nil {
			return err
		}
		n.startImport(store, t, j.Arn)
	}
	return nil
}

// importSkipped reports whether key is an export's bookkeeping object.
func importSkipped(key string) bool {
	base := path.Base(key)
	return base == "_started" || strings.HasPrefix(base, "manifest-") || strings.HasSuffix(base, ".checksum") || strings.HasSuffix(base, ".md5")
}

// importer fills one table.
type importer struct {
	n     *Node
	t     *Table
	j     *dataJob
	keys  [][]byte
	items []ddb.Item
	sizes []int
	seen  map[string]bool
}

func (n *Node) runImport(store objectStore, t *Table, arn string) error {
	ctx := context.Background()
	j, _ := n.jobs.get(arn)
	_ = n.jobs.update(arn, func(d *dataJob) { d.Processed, d.Imported, d.Errors, d.SizeBytes = 0, 0, 0, 0 })
	keys, err := store.List(ctx, j.Bucket, j.Prefix)
	if errors.Is(err, errNoSuchBucket) {
		return &ddb.Error{Status: 400, Type: "S3NoSuchBucket", Message: "The specified bucket does not exist: " + j.Bucket}
	}
	if err != nil {
		return err
	}
	im := &importer{n: n, t: t, j: &j, seen: map[string]bool{}}
	var processed, errs, size int64
	for _, key := range keys {
		if importSkipped(key) || strings.HasSuffix(key, "/") {
			continue
		}
		if n.jobs.stopped() {
			return ErrClosed
		}
		body, err := store.Get(ctx, j.Bucket, key)
		if err != nil {
			return err
		}
		size += int64(len(body))
		p, e, err := im.object(key, body)
		processed += p
		errs += e
		if err != nil {
			return err
		}
	}
	if err := im.flush(); err != nil {
		return err
	}
	imported := n.cat.statsOf(t).items.Load()
	if err := n.cat.modify(t.Name, t.ID, func(nt *Table) bool {
		s := *nt.Desc.Import
		s.InProgress = false
		nt.Desc.Import = &s
		nt.Status = statusActive
		return true
	}); err != nil {
		return err
	}
	return n.jobs.update(arn, func(d *dataJob) {
		d.Status, d.End = jobCompleted, unixSeconds(n.opts.Now())
		d.Processed, d.Imported, d.Errors, d.SizeBytes = processed, imported, errs, size
	})
}

// object imports one source object; it returns the lines processed and
// the lines in error (a bad line is not fatal; a bad object is counted as
// one error).
func (im *importer) object(key string, body []byte) (processed, errs int64, err error) {
	var r io.Reader = bytes.NewReader(body)
	switch im.j.Compression {
	case "GZIP":
		zr, zerr := gzip.NewReader(r)
		if zerr != nil {
			im.n.log.Warn("import: not a GZIP object", "import", im.j.Arn, "object", key, "err", zerr)
			return 0, 1, nil
		}
		defer zr.Close()
		r = zr
	case "ZSTD":
		zr, zerr := zstd.NewReader(r, zstd.WithDecoderMaxMemory(1<<30))
		if zerr != nil {
			return 0, 1, nil
		}
		defer zr.Close()
		r = zr
	}
	if im.j.Format == "CSV" {
		return im.csvObject(key, r)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxImportLine)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		processed++
		var item ddb.Item
		var perr error
		if im.j.Format == "ION" {
			if item, perr = parseIonItem(text); perr != nil {
				perr = &importLineError{perr.Error()}
			}
		} else {
			item, perr = parseJSONItemLine([]byte(text))
		}
		if perr == nil {
			perr = im.add(item)
		}
		if perr != nil {
			if isEngineError(perr) {
				return processed, errs, perr
			}
			errs++
			im.n.log.Warn("import: bad line", "import", im.j.Arn, "object", key, "line", line, "err", perr)
		}
	}
	if err := sc.Err(); err != nil {
		errs++
		im.n.log.Warn("import: unreadable object", "import", im.j.Arn, "object", key, "err", err)
	}
	return processed, errs, nil
}

// isEngineError reports whether err came from the engine rather than from
// the input (input errors are counted, engine errors fail the import).
func isEngineError(err error) bool {
	var e *ddb.Error
	var ie *importLineError
	return !errors.As(err, &e) && !errors.As(err, &ie)
}

type importLineError struct{ msg string }

func (e *importLineError) Error() string { return e.msg }

// parseJSONItemLine reads {"Item":{…}}.
func parseJSONItemLine(b []byte) (ddb.Item, error) {
	var line struct {
		Item *ddb.ItemJSON `json:"Item"`
	}
	if err := json.Unmarshal(b, &line); err != nil {
		return nil, &importLineError{"not a DynamoDB JSON line: " + err.Error()}
	}
	if line.Item == nil {
		return nil, &importLineError{`a line must be {"Item":{…}}`}
	}
	return line.Item.Item, nil
}

func (im *importer) csvObject(key string, r io.Reader) (processed, errs int64, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	if im.j.CSVDelim != "" {
		cr.Comma = rune(im.j.CSVDelim[0])
	}
	header := im.j.CSVHeader
	hashName, hashType := im.t.HashKey()
	rangeName, rangeType := im.t.RangeKey()
	for {
		rec, rerr := cr.Read()
		if rerr == io.EOF {
			return processed, errs, nil
		}
		if rerr != nil {
			var pe *csv.ParseError
			if errors.As(rerr, &pe) {
				processed++
				errs++
				im.n.log.Warn("import: bad CSV line", "import", im.j.Arn, "object", key, "err", rerr)
				if pe.Err == csv.ErrFieldCount {
					continue
				}
				return processed, errs, nil
			}
			return processed, errs, rerr
		}
		if header == nil {
			header = append([]string(nil), rec...)
			continue
		}
		processed++
		if len(rec) != len(header) {
			errs++
			im.n.log.Warn("import: CSV line with the wrong number of fields", "import", im.j.Arn, "object", key, "fields", len(rec))
			continue
		}
		item := ddb.Item{}
		bad := ""
		for i, col := range header {
			v := rec[i]
			switch col {
			case hashName:
				item[col], bad = csvKeyValue(v, hashType)
			case rangeName:
				item[col], bad = csvKeyValue(v, rangeType)
			default:
				if v == "" {
					continue // an empty column is no attribute
				}
				item[col] = ddb.S(v)
			}
			if bad != "" {
				break
			}
		}
		if bad == "" {
			if err := im.add(item); err != nil {
				if isEngineError(err) {
					return processed, errs, err
				}
				bad = err.Error()
			}
		}
		if bad != "" {
			errs++
			im.n.log.Warn("import: bad CSV line", "import", im.j.Arn, "object", key, "err", bad)
		}
	}
}

// csvKeyValue types a CSV key column by the table's definitions.
func csvKeyValue(v string, typ ddb.Type) (ddb.Value, string) {
	switch typ {
	case ddb.TypeN:
		n, err := ddb.CanonicalNumber(v)
		if err != nil {
			return ddb.Value{}, "bad number key " + v
		}
		return ddb.N(n), ""
	case ddb.TypeB:
		b, err := ddb.DecodeBase64(v)
		if err != nil {
			return ddb.Value{}, "bad binary key"
		}
		return ddb.B(b), ""
	}
	return ddb.S(v), ""
}

// add validates an item for the table and queues it.
func (im *importer) add(item ddb.Item) error {
	if msg := ddb.ItemProblem(item); msg != "" {
		return &importLineError{msg}
	}
	size := ddb.ItemSize(item)
	if size > 400*1024 {
		return &importLineError{"Item size has exceeded the maximum allowed size"}
	}
	pk, sk, err := im.t.keyValues(item, false)
	if err == nil {
		err = im.t.itemCheckIndexKeys(item)
	}
	if err != nil {
		return &importLineError{err.Error()}
	}
	key := im.t.engineKey(pk, sk)
	if im.seen[string(key)] || len(im.keys) >= backupCopyChunk {
		if err := im.flush(); err != nil {
			return err
		}
	}
	im.seen[string(key)] = true
	im.keys = append(im.keys, key)
	im.items = append(im.items, item)
	im.sizes = append(im.sizes, size)
	return nil
}

func (im *importer) flush() error {
	if len(im.keys) == 0 {
		return nil
	}
	items, sizes := im.items, im.sizes
	err := im.n.restoreChunkCause(im.t, im.keys, CauseImport, func(i int, _ currentItem) (mutation, bool) {
		return mutation{put: items[i], putSize: sizes[i]}, true
	})
	im.keys, im.items, im.sizes = im.keys[:0], nil, nil
	clear(im.seen)
	return err
}

// ---------------------------------------------------------------------------
// DescribeImport / ListImports

type importDescription struct {
	ImportArn               string            `json:"ImportArn"`
	ImportStatus            string            `json:"ImportStatus"`
	TableArn                string            `json:"TableArn"`
	TableId                 string            `json:"TableId"`
	ClientToken             string            `json:"ClientToken,omitempty"`
	S3BucketSource          map[string]string `json:"S3BucketSource"`
	ErrorCount              int64             `json:"ErrorCount"`
	InputFormat             string            `json:"InputFormat"`
	InputFormatOptions      map[string]any    `json:"InputFormatOptions,omitempty"`
	InputCompressionType    string            `json:"InputCompressionType"`
	TableCreationParameters json.RawMessage   `json:"TableCreationParameters,omitempty"`
	StartTime               float64           `json:"StartTime"`
	EndTime                 *float64          `json:"EndTime,omitempty"`
	ProcessedSizeBytes      int64             `json:"ProcessedSizeBytes"`
	ProcessedItemCount      int64             `json:"ProcessedItemCount"`
	ImportedItemCount       int64             `json:"ImportedItemCount"`
	FailureCode             string            `json:"FailureCode,omitempty"`
	FailureMessage          string            `json:"FailureMessage,omitempty"`
	CloudWatchLogGroupArn   string            `json:"CloudWatchLogGroupArn,omitempty"`
}

func s3Source(j *dataJob) map[string]string {
	m := map[string]string{"S3Bucket": j.Bucket}
	if j.Owner != "" {
		m["S3BucketOwner"] = j.Owner
	}
	if j.Prefix != "" {
		m["S3KeyPrefix"] = j.Prefix
	}
	return m
}

func describeImport(j *dataJob) importDescription {
	d := importDescription{ImportArn: j.Arn, ImportStatus: j.Status, TableArn: j.TableArn, TableId: j.TableID, ClientToken: j.Token,
		S3BucketSource: s3Source(j), ErrorCount: j.Errors, InputFormat: j.Format, InputCompressionType: j.Compression,
		TableCreationParameters: j.Creation, StartTime: j.Start, ProcessedSizeBytes: j.SizeBytes, ProcessedItemCount: j.Processed,
		ImportedItemCount: j.Imported, FailureCode: j.Failure, FailureMessage: j.FailMsg}
	if j.End > 0 {
		e := j.End
		d.EndTime = &e
	}
	if j.CSVDelim != "" || j.CSVHeader != nil {
		csvOpts := map[string]any{}
		if j.CSVDelim != "" {
			csvOpts["Delimiter"] = j.CSVDelim
		}
		if j.CSVHeader != nil {
			csvOpts["HeaderList"] = j.CSVHeader
		}
		d.InputFormatOptions = map[string]any{"Csv": csvOpts}
	}
	return d
}

type importArnIn struct {
	ImportArn *string
}

func opDescribeImport(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in importArnIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	c.checkRequired("importArn", in.ImportArn, 37, 1024)
	if err := c.err(); err != nil {
		return nil, err
	}
	j, ok := n.jobs.get(*in.ImportArn)
	if !ok || j.Kind != "import" {
		return nil, importNotFound(*in.ImportArn)
	}
	return json.Marshal(map[string]any{"ImportTableDescription": describeImport(&j)})
}

func opListImports(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	page, next, err := n.listJobs(req.Body, "import", "pageSize", func(in *listJobsIn) *int64 { return in.PageSize })
	if err != nil {
		return nil, err
	}
	type summary struct {
		ImportArn      string            `json:"ImportArn"`
		ImportStatus   string            `json:"ImportStatus"`
		TableArn       string            `json:"TableArn"`
		S3BucketSource map[string]string `json:"S3BucketSource"`
		InputFormat    string            `json:"InputFormat"`
		StartTime      float64           `json:"StartTime"`
		EndTime        *float64          `json:"EndTime,omitempty"`
	}
	out := struct {
		ImportSummaryList []summary `json:"ImportSummaryList"`
		NextToken         string    `json:"NextToken,omitempty"`
	}{ImportSummaryList: []summary{}, NextToken: next}
	for _, j := range page {
		s := summary{ImportArn: j.Arn, ImportStatus: j.Status, TableArn: j.TableArn, S3BucketSource: s3Source(&j), InputFormat: j.Format, StartTime: j.Start}
		if j.End > 0 {
			e := j.End
			s.EndTime = &e
		}
		out.ImportSummaryList = append(out.ImportSummaryList, s)
	}
	return json.Marshal(out)
}
