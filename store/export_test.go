package store

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/klauspost/compress/zstd"
)

func enablePITR(t *testing.T, ts *testServer, table string) *types.PointInTimeRecoveryDescription {
	t.Helper()
	out, err := ts.Client.UpdateContinuousBackups(bg, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String(table),
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	return out.ContinuousBackupsDescription.PointInTimeRecoveryDescription
}

func waitExport(t *testing.T, ts *testServer, arn string) *types.ExportDescription {
	t.Helper()
	for i := 0; i < 1000; i++ {
		out, err := ts.Client.DescribeExport(bg, &dynamodb.DescribeExportInput{ExportArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if out.ExportDescription.ExportStatus != types.ExportStatusInProgress {
			return out.ExportDescription
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("export %s still in progress", arn)
	return nil
}

func waitImport(t *testing.T, ts *testServer, arn string) *types.ImportTableDescription {
	t.Helper()
	for i := 0; i < 1000; i++ {
		out, err := ts.Client.DescribeImport(bg, &dynamodb.DescribeImportInput{ImportArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if out.ImportTableDescription.ImportStatus != types.ImportStatusInProgress {
			return out.ImportTableDescription
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("import %s still in progress", arn)
	return nil
}

// richItems are items of every attribute type (pk S, v N).
func richItems(n int) []map[string]types.AttributeValue {
	var out []map[string]types.AttributeValue
	for i := 0; i < n; i++ {
		out = append(out, map[string]types.AttributeValue{
			"pk":  &types.AttributeValueMemberS{Value: fmt.Sprintf("p%03d \"q\" é\n", i)},
			"v":   &types.AttributeValueMemberN{Value: fmt.Sprint(i % 5)},
			"d":   &types.AttributeValueMemberN{Value: "-0.000125"},
			"b":   &types.AttributeValueMemberB{Value: []byte{0, byte(i), 255}},
			"ok":  &types.AttributeValueMemberBOOL{Value: i%2 == 0},
			"nul": &types.AttributeValueMemberNULL{Value: true},
			"l":   &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "x"}, &types.AttributeValueMemberN{Value: "1e3"}}},
			"m":   &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k y": &types.AttributeValueMemberS{Value: "v"}}},
			"ss":  &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
			"ns":  &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
			"bs":  &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}},
		})
	}
	return out
}

// scanJSON returns every item of table as canonical JSON lines, sorted.
func scanJSON(t *testing.T, ts *testServer, table string) []string {
	t.Helper()
	st, _, _, raw := ctlRaw(t, ts.URL, "Scan", `{"TableName":"`+table+`","ConsistentRead":true}`)
	if st != 200 {
		t.Fatalf("Scan %s: %d %s", table, st, raw)
	}
	var out struct {
		Items []json.RawMessage
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, it := range out.Items {
		var m map[string]any
		_ = json.Unmarshal(it, &m)
		b, _ := json.Marshal(m) // sorted keys
		lines = append(lines, string(b))
	}
	sort.Strings(lines)
	return lines
}

func TestExportImportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServerOpts(t, Options{Dir: dir, NoSync: true})
	backupTableWithIndex(t, ts, "exsrc")
	for _, it := range richItems(40) {
		if _, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("exsrc"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := ts.Client.ExportTableToPointInTime(bg, &dynamodb.ExportTableToPointInTimeInput{TableArn: aws.String("exsrc"), S3Bucket: aws.String("bkt")})
	wantErr(t, err, "PointInTimeRecoveryUnavailableException", "Point in time recovery is not enabled for table 'exsrc'")
	enablePITR(t, ts, "exsrc")
	want := scanJSON(t, ts, "exsrc")
	for _, format := range []types.ExportFormat{types.ExportFormatDynamodbJson, types.ExportFormatIon} {
		out, err := ts.Client.ExportTableToPointInTime(bg, &dynamodb.ExportTableToPointInTimeInput{
			TableArn: aws.String("arn:aws:dynamodb:us-east-1:000000000000:table/exsrc"), S3Bucket: aws.String("bkt"),
			S3Prefix: aws.String("exports/run1"), ExportFormat: format})
		if err != nil {
			t.Fatal(err)
		}
		if out.ExportDescription.ExportStatus != types.ExportStatusInProgress {
			t.Errorf("new export %s", out.ExportDescription.ExportStatus)
		}
		d := waitExport(t, ts, aws.ToString(out.ExportDescription.ExportArn))
		if d.ExportStatus != types.ExportStatusCompleted || aws.ToInt64(d.ItemCount) != 40 {
			t.Fatalf("%s export: %s %s %d items", format, d.ExportStatus, aws.ToString(d.FailureMessage), aws.ToInt64(d.ItemCount))
		}
		arn := aws.ToString(d.ExportArn)
		id := arn[strings.LastIndex(arn, "/")+1:]
		exportDir := filepath.Join(dir, "s3", "bkt", "exports", "run1", "AWSDynamoDB", id)
		if aws.ToString(d.ExportManifest) != "exports/run1/AWSDynamoDB/"+id+"/manifest-summary.json" {
			t.Errorf("ExportManifest %q", aws.ToString(d.ExportManifest))
		}
		for _, f := range []string{"_started", "manifest-summary.json", "manifest-summary.checksum", "manifest-files.json", "manifest-files.checksum"} {
			if _, err := os.Stat(filepath.Join(exportDir, f)); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
		summary, _ := os.ReadFile(filepath.Join(exportDir, "manifest-summary.json"))
		sum, _ := os.ReadFile(filepath.Join(exportDir, "manifest-summary.checksum"))
		if h := md5.Sum(summary); hex.EncodeToString(h[:]) != string(sum) {
			t.Errorf("manifest-summary.checksum %q does not match", sum)
		}
		var ms map[string]any
		if err := json.Unmarshal(summary, &ms); err != nil {
			t.Fatal(err)
		}
		if ms["version"] != "2020-06-30" || ms["exportArn"] != arn || ms["itemCount"] != float64(40) || ms["outputFormat"] != string(format) ||
			ms["manifestFilesS3Key"] != "exports/run1/AWSDynamoDB/"+id+"/manifest-files.json" {
			t.Errorf("manifest-summary.json: %s", summary)
		}
		files, _ := os.ReadFile(filepath.Join(exportDir, "manifest-files.json"))
		var lines int64
		for _, l := range strings.Split(strings.TrimSpace(string(files)), "\n") {
			var mf struct {
				ItemCount     int64  `json:"itemCount"`
				DataFileS3Key string `json:"dataFileS3Key"`
			}
			if err := json.Unmarshal([]byte(l), &mf); err != nil {
				t.Fatal(err)
			}
			gz, err := os.ReadFile(filepath.Join(dir, "s3", "bkt", filepath.FromSlash(mf.DataFileS3Key)))
			if err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(zr)
			var n int64
			for sc.Scan() {
				n++
				first := sc.Text()
				if format == types.ExportFormatIon && !strings.HasPrefix(first, "$ion_1_0 {Item:{") ||
					format == types.ExportFormatDynamodbJson && !strings.HasPrefix(first, `{"Item":{`) {
					t.Fatalf("data line %q", first)
				}
			}
			if n != mf.ItemCount {
				t.Errorf("%s: %d lines, manifest says %d", mf.DataFileS3Key, n, mf.ItemCount)
			}
			lines += n
		}
		if lines != 40 {
			t.Errorf("%d data lines", lines)
		}

		// Import the export back into a new table with the same index.
		target := "exdst_" + strings.ToLower(string(format))
		imp, err := ts.Client.ImportTable(bg, &dynamodb.ImportTableInput{
			S3BucketSource: &types.S3BucketSource{S3Bucket: aws.String("bkt"), S3KeyPrefix: aws.String("exports/run1/AWSDynamoDB/" + id + "/")},
			InputFormat:    types.InputFormat(format), InputCompressionType: types.InputCompressionTypeGzip,
			TableCreationParameters: &types.TableCreationParameters{TableName: aws.String(target), BillingMode: types.BillingModePayPerRequest,
				KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
					{AttributeName: aws.String("v"), AttributeType: types.ScalarAttributeTypeN}},
				GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("byv"),
					KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("v"), KeyType: types.KeyTypeHash}},
					Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}}})
		if err != nil {
			t.Fatal(err)
		}
		id2 := waitImport(t, ts, aws.ToString(imp.ImportTableDescription.ImportArn))
		if id2.ImportStatus != types.ImportStatusCompleted || id2.ImportedItemCount != 40 || id2.ProcessedItemCount != 40 || id2.ErrorCount != 0 {
			t.Fatalf("%s import: %s %s imported %d processed %d errors %d", format, id2.ImportStatus, aws.ToString(id2.FailureMessage),
				id2.ImportedItemCount, id2.ProcessedItemCount, id2.ErrorCount)
		}
		waitTableActive(t, ts, target)
		if got := scanJSON(t, ts, target); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s round trip differs:\n got %s\nwant %s", format, got[0], want[0])
		}
		if got := indexState(t, ts, target, 3); len(got) != 8 {
			t.Errorf("%s: imported index v=3 has %d entries, want 8", format, len(got))
		}
	}
	le, err := ts.Client.ListExports(bg, &dynamodb.ListExportsInput{MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(le.ExportSummaries) != 1 || le.NextToken == nil {
		t.Errorf("ListExports page: %+v", le)
	}
	li, err := ts.Client.ListImports(bg, &dynamodb.ListImportsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(li.ImportSummaryList) != 2 {
		t.Errorf("ListImports: %d", len(li.ImportSummaryList))
	}
}

func TestExportAtTimeAndIncremental(t *testing.T) {
	clk := newFakeClock()
	ts := newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true, Now: clk.Now})
	backupTableWithIndex(t, ts, "extime")
	backupPut(t, ts, "extime", "a", 1)
	backupPut(t, ts, "extime", "b", 1)
	p := enablePITR(t, ts, "extime")
	clk.Add(time.Until(*p.EarliestRestorableDateTime) + 2*time.Second)
	backupPut(t, ts, "extime", "c", 1)
	backupPut(t, ts, "extime", "a", 2)
	clk.Add(time.Second)
	mark := clk.Now()
	clk.Add(time.Second)
	backupDelete(t, ts, "extime", "b")
	backupPut(t, ts, "extime", "d", 4)
	clk.Add(20 * time.Minute)

	out, err := ts.Client.ExportTableToPointInTime(bg, &dynamodb.ExportTableToPointInTimeInput{TableArn: aws.String("extime"),
		S3Bucket: aws.String("bkt"), ExportTime: aws.Time(mark)})
	if err != nil {
		t.Fatal(err)
	}
	d := waitExport(t, ts, aws.ToString(out.ExportDescription.ExportArn))
	if d.ExportStatus != types.ExportStatusCompleted {
		t.Fatalf("export at a time: %s %s", d.ExportStatus, aws.ToString(d.FailureMessage))
	}
	if got := exportedKeys(t, ts, d); got != "a=2,b=1,c=1" {
		t.Errorf("state at the mark: %s", got)
	}

	from := p.EarliestRestorableDateTime.Add(time.Second)
	out, err = ts.Client.ExportTableToPointInTime(bg, &dynamodb.ExportTableToPointInTimeInput{TableArn: aws.String("extime"),
		S3Bucket: aws.String("bkt"), ExportType: types.ExportTypeIncrementalExport,
		IncrementalExportSpecification: &types.IncrementalExportSpecification{ExportFromTime: aws.Time(from), ExportToTime: aws.Time(clk.Now()),
			ExportViewType: types.ExportViewTypeNewAndOldImages}})
	if err != nil {
		t.Fatal(err)
	}
	d = waitExport(t, ts, aws.ToString(out.ExportDescription.ExportArn))
	if d.ExportStatus != types.ExportStatusCompleted || aws.ToInt64(d.ItemCount) != 4 {
		t.Fatalf("incremental export: %s %s %d", d.ExportStatus, aws.ToString(d.FailureMessage), aws.ToInt64(d.ItemCount))
	}
	lines := exportLines(t, ts, d)
	got := map[string]string{}
	for _, l := range lines {
		var rec struct {
			Metadata struct{ WriteTimestampMicros struct{ N string } }
			Keys     struct{ Pk struct{ S string } }
			NewImage *struct{ V struct{ N string } }
			OldImage *struct{ V struct{ N string } }
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Metadata.WriteTimestampMicros.N == "" {
			t.Errorf("no WriteTimestampMicros: %s", l)
		}
		s := "old="
		if rec.OldImage != nil {
			s += rec.OldImage.V.N
		}
		s += " new="
		if rec.NewImage != nil {
			s += rec.NewImage.V.N
		}
		got[rec.Keys.Pk.S] = s
	}
	want := map[string]string{"a": "old=1 new=2", "b": "old=1 new=", "c": "old= new=1", "d": "old= new=4"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("incremental:\n got %v\nwant %v", got, want)
	}
	_, err = ts.Client.ExportTableToPointInTime(bg, &dynamodb.ExportTableToPointInTimeInput{TableArn: aws.String("extime"),
		S3Bucket: aws.String("bkt"), ExportType: types.ExportTypeIncrementalExport,
		IncrementalExportSpecification: &types.IncrementalExportSpecification{ExportFromTime: aws.Time(from), ExportToTime: aws.Time(from.Add(time.Minute))}})
	wantErr(t, err, "InvalidExportTimeException", "The incremental export period must be at least 15 minutes and at most 24 hours.")
}

// exportLines returns the data lines of a completed local export.
func exportLines(t *testing.T, ts *testServer, d *types.ExportDescription) []string {
	t.Helper()
	root := filepath.Join(ts.Node.opts.Dir, "s3", aws.ToString(d.S3Bucket))
	summary, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(aws.ToString(d.ExportManifest))))
	if err != nil {
		t.Fatal(err)
	}
	var ms struct {
		ManifestFilesS3Key string `json:"manifestFilesS3Key"`
	}
	_ = json.Unmarshal(summary, &ms)
	files, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(ms.ManifestFilesS3Key)))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(files)), "\n") {
		var mf struct{ DataFileS3Key string }
		_ = json.Unmarshal([]byte(l), &mf)
		gz, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(mf.DataFileS3Key)))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(zr)
		for sc.Scan() {
			out = append(out, sc.Text())
		}
	}
	return out
}

// exportedKeys returns "pk=v,…" of a full DynamoDB JSON export, sorted.
func exportedKeys(t *testing.T, ts *testServer, d *types.ExportDescription) string {
	t.Helper()
	var kv []string
	for _, l := range exportLines(t, ts, d) {
		var rec struct {
			Item struct {
				Pk struct{ S string }
				V  struct{ N string }
			}
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		kv = append(kv, rec.Item.Pk.S+"="+rec.Item.V.N)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

func TestImportCSVAndErrors(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServerOpts(t, Options{Dir: dir, NoSync: true})
	put := func(key string, body []byte) {
		t.Helper()
		if err := (dirStore{root: filepath.Join(dir, "s3")}).Put(bg, "src", key, body); err != nil {
			t.Fatal(err)
		}
	}
	put("csv/a.csv", []byte("id,n,name\n1,a,Ada\n2,b,\n1,c,Later\nbad,x\n"))
	var zbuf bytes.Buffer
	zw, _ := zstd.NewWriter(&zbuf)
	_, _ = zw.Write([]byte("3;z;Zed\n"))
	_ = zw.Close()
	put("zstd/b.csv.zst", zbuf.Bytes())
	params := func(name string) *types.TableCreationParameters {
		return &types.TableCreationParameters{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest,
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeN}}}
	}
	imp, err := ts.Client.ImportTable(bg, &dynamodb.ImportTableInput{S3BucketSource: &types.S3BucketSource{S3Bucket: aws.String("src"), S3KeyPrefix: aws.String("csv/")},
		InputFormat: types.InputFormatCsv, TableCreationParameters: params("csvtab")})
	if err != nil {
		t.Fatal(err)
	}
	if imp.ImportTableDescription.ImportStatus != types.ImportStatusInProgress {
		t.Errorf("new import %s", imp.ImportTableDescription.ImportStatus)
	}
	d := waitImport(t, ts, aws.ToString(imp.ImportTableDescription.ImportArn))
	if d.ImportStatus != types.ImportStatusCompleted || d.ProcessedItemCount != 4 || d.ImportedItemCount != 2 || d.ErrorCount != 1 {
		t.Fatalf("CSV import: %s processed %d imported %d errors %d", d.ImportStatus, d.ProcessedItemCount, d.ImportedItemCount, d.ErrorCount)
	}
	waitTableActive(t, ts, "csvtab")
	got := scanJSON(t, ts, "csvtab")
	want := []string{`{"id":{"N":"1"},"n":{"S":"c"},"name":{"S":"Later"}}`, `{"id":{"N":"2"},"n":{"S":"b"}}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CSV import (last duplicate wins, empty columns absent, non-keys as strings):\n got %v\nwant %v", got, want)
	}

	imp, err = ts.Client.ImportTable(bg, &dynamodb.ImportTableInput{S3BucketSource: &types.S3BucketSource{S3Bucket: aws.String("src"), S3KeyPrefix: aws.String("zstd/")},
		InputFormat: types.InputFormatCsv, InputCompressionType: types.InputCompressionTypeZstd,
		InputFormatOptions:      &types.InputFormatOptions{Csv: &types.CsvOptions{Delimiter: aws.String(";"), HeaderList: []string{"id", "n", "name"}}},
		TableCreationParameters: params("zsttab")})
	if err != nil {
		t.Fatal(err)
	}
	if d := waitImport(t, ts, aws.ToString(imp.ImportTableDescription.ImportArn)); d.ImportStatus != types.ImportStatusCompleted || d.ImportedItemCount != 1 {
		t.Fatalf("ZSTD import: %s %d", d.ImportStatus, d.ImportedItemCount)
	}
	if got := scanJSON(t, ts, "zsttab"); len(got) != 1 || got[0] != `{"id":{"N":"3"},"n":{"S":"z"},"name":{"S":"Zed"}}` {
		t.Errorf("ZSTD import: %v", got)
	}

	// Malformed DynamoDB JSON and Ion lines are counted, the rest imported.
	put("json/a.json", []byte("{\"Item\":{\"id\":{\"N\":\"7\"}}}\n{\"Item\":{\"id\":{\"S\":\"wrong type\"}}}\n{not json\n{\"Item\":{\"id\":{\"N\":\"8\"},\"x\":{\"SS\":[]}}}\n{\"Other\":1}\n"))
	put("ion/a.ion", []byte("$ion_1_0 {Item:{id:9}}\n$ion_1_0 {Item:{id:\"str\"}}\n{Item:{id:\n$ion_1_0 {Item:{id:10, s:$dynamodb_SS::[1]}}\n"))
	for _, c := range []struct {
		prefix string
		format types.InputFormat
		table  string
		want   string
	}{{"json/", types.InputFormatDynamodbJson, "badjson", `{"id":{"N":"7"}}`}, {"ion/", types.InputFormatIon, "badion", `{"id":{"N":"9"}}`}} {
		imp, err := ts.Client.ImportTable(bg, &dynamodb.ImportTableInput{S3BucketSource: &types.S3BucketSource{S3Bucket: aws.String("src"), S3KeyPrefix: aws.String(c.prefix)},
			InputFormat: c.format, TableCreationParameters: params(c.table)})
		if err != nil {
			t.Fatal(err)
		}
		d := waitImport(t, ts, aws.ToString(imp.ImportTableDescription.ImportArn))
		if d.ImportStatus != types.ImportStatusCompleted || d.ImportedItemCount != 1 || d.ErrorCount != d.ProcessedItemCount-1 || d.ProcessedItemCount < 4 {
			t.Errorf("%s: %s processed %d imported %d errors %d", c.format, d.ImportStatus, d.ProcessedItemCount, d.ImportedItemCount, d.ErrorCount)
		}
		if got := scanJSON(t, ts, c.table); len(got) != 1 || got[0] != c.want {
			t.Errorf("%s: %v", c.format, got)
		}
	}

	// A missing bucket fails the import and removes its table.
	imp, err = ts.Client.ImportTable(bg, &dynamodb.ImportTableInput{S3BucketSource: &types.S3BucketSource{S3Bucket: aws.String("nobucket")},
		InputFormat: types.InputFormatDynamodbJson, TableCreationParameters: params("failtab")})
	if err != nil {
		t.Fatal(err)
	}
	if d := waitImport(t, ts, aws.ToString(imp.ImportTableDescription.ImportArn)); d.ImportStatus != types.ImportStatusFailed || aws.ToString(d.FailureCode) != "S3NoSuchBucket" {
		t.Errorf("missing bucket: %s %s", d.ImportStatus, aws.ToString(d.FailureCode))
	}
	for i := 0; ; i++ {
		if _, ok := ts.Node.cat.get("failtab"); !ok {
			break
		}
		if i > 200 {
			t.Fatal("the failed import's table is still there")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err = ts.Client.ImportTable(bg, &dynamodb.ImportTableInput{S3BucketSource: &types.S3BucketSource{S3Bucket: aws.String("src")},
		InputFormat: types.InputFormatCsv, TableCreationParameters: params("csvtab")})
	wantErr(t, err, "ResourceInUseException", "Table already exists: csvtab")
	// ClientToken: the same request again is the same import; another request is a conflict.
	tok := func(table, prefix string) (*dynamodb.ImportTableOutput, error) {
		return ts.Client.ImportTable(bg, &dynamodb.ImportTableInput{ClientToken: aws.String("tok-1"),
			S3BucketSource: &types.S3BucketSource{S3Bucket: aws.String("src"), S3KeyPrefix: aws.String(prefix)},
			InputFormat:    types.InputFormatCsv, TableCreationParameters: params(table)})
	}
	first, err := tok("toktab", "csv/")
	if err != nil {
		t.Fatal(err)
	}
	again, err := tok("toktab", "csv/")
	if err != nil || aws.ToString(again.ImportTableDescription.ImportArn) != aws.ToString(first.ImportTableDescription.ImportArn) {
		t.Errorf("the same ClientToken again: %v %v", again, err)
	}
	_, err = tok("toktab", "zstd/")
	wantErr(t, err, "ImportConflictException", "There was a conflict when importing from the specified S3 source. This can occur when the current import conflicts with a previous import request that had the same client token.")
	waitImport(t, ts, aws.ToString(first.ImportTableDescription.ImportArn))
	const missing = "arn:aws:dynamodb:us-east-1:000000000000:table/csvtab/import/01764680000000-00000000"
	_, err = ts.Client.DescribeImport(bg, &dynamodb.DescribeImportInput{ImportArn: aws.String(missing)})
	wantErr(t, err, "ImportNotFoundException", "Import not found: "+missing)
	_, err = ts.Client.DescribeExport(bg, &dynamodb.DescribeExportInput{ExportArn: aws.String(strings.Replace(missing, "import", "export", 1))})
	wantErr(t, err, "ExportNotFoundException", "Export not found: "+strings.Replace(missing, "import", "export", 1))
}

// TestExportImportS3 exports to and imports from a real S3-compatible
// server (gofakes3, in memory) on loopback, through the AWS SDK's S3 client.
func TestExportImportS3(t *testing.T) {
	faker := gofakes3.New(s3mem.New())
	srv := httptest.NewServer(faker.Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	ts := newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true, S3Endpoint: srv.URL, S3PathStyle: true})
	s3c, err := ts.Node.objects("us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.(*s3Store).c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("exports")}); err != nil {
		t.Fatal(err)
	}
	itemsCreateTable(t, ts, "s3src", []string{"pk:S"})
	for _, it := range richItems(12) {
		if _, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("s3src"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	enablePITR(t, ts, "s3src")
	out, err := ts.Client.ExportTableToPointInTime(bg, &dynamodb.ExportTableToPointInTimeInput{TableArn: aws.String("s3src"), S3Bucket: aws.String("exports"), S3Prefix: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	d := waitExport(t, ts, aws.ToString(out.ExportDescription.ExportArn))
	if d.ExportStatus != types.ExportStatusCompleted || aws.ToInt64(d.ItemCount) != 12 {
		t.Fatalf("S3 export: %s %s", d.ExportStatus, aws.ToString(d.FailureMessage))
	}
	keys, err := s3c.List(bg, "exports", "p/AWSDynamoDB/")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 6 {
		t.Errorf("objects in the bucket: %v", keys)
	}
	arn := aws.ToString(d.ExportArn)
	imp, err := ts.Client.ImportTable(bg, &dynamodb.ImportTableInput{
		S3BucketSource: &types.S3BucketSource{S3Bucket: aws.String("exports"), S3KeyPrefix: aws.String("p/AWSDynamoDB/" + arn[strings.LastIndex(arn, "/")+1:] + "/data/")},
		InputFormat:    types.InputFormatDynamodbJson, InputCompressionType: types.InputCompressionTypeGzip,
		TableCreationParameters: &types.TableCreationParameters{TableName: aws.String("s3dst"), BillingMode: types.BillingModePayPerRequest,
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := waitImport(t, ts, aws.ToString(imp.ImportTableDescription.ImportArn)); d.ImportStatus != types.ImportStatusCompleted || d.ImportedItemCount != 12 {
		t.Fatalf("S3 import: %s %s %d", d.ImportStatus, aws.ToString(d.FailureMessage), d.ImportedItemCount)
	}
	if got, want := scanJSON(t, ts, "s3dst"), scanJSON(t, ts, "s3src"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("S3 round trip differs")
	}
	// A bucket that does not exist fails the export.
	out, err = ts.Client.ExportTableToPointInTime(bg, &dynamodb.ExportTableToPointInTimeInput{TableArn: aws.String("s3src"), S3Bucket: aws.String("nobucket")})
	if err != nil {
		t.Fatal(err)
	}
	if d := waitExport(t, ts, aws.ToString(out.ExportDescription.ExportArn)); d.ExportStatus != types.ExportStatusFailed || aws.ToString(d.FailureCode) != "S3NoSuchBucket" {
		t.Errorf("export to a missing bucket: %s %s", d.ExportStatus, aws.ToString(d.FailureCode))
	}
}
