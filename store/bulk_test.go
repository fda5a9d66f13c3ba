package store

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// bulkObject writes an input object into the node's directory buckets.
func bulkWrite(t *testing.T, ts *testServer, bucket, key string, body []byte) {
	t.Helper()
	p := filepath.Join(ts.Node.opts.Dir, "s3", bucket, key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
}

func bulkWait(t *testing.T, ts *testServer, arn *string) *types.BulkOperationDescription {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := ts.Client.DescribeBulkOperation(bg, &dynamodb.DescribeBulkOperationInput{BulkOperationArn: arn})
		if err != nil {
			t.Fatal(err)
		}
		d := out.BulkOperationDescription
		if s := d.BulkOperationStatus; s != types.BulkOperationStatusInProgress && s != types.BulkOperationStatusCancelling {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("bulk operation still %s", d.BulkOperationStatus)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func bulkStart(ts *testServer, table, bucket, prefix string, mod ...func(*dynamodb.StartBulkPutItemsInput)) (*dynamodb.StartBulkPutItemsOutput, error) {
	in := &dynamodb.StartBulkPutItemsInput{TableName: aws.String(table),
		InputS3Configuration:  &types.InputS3Configuration{S3Bucket: aws.String(bucket), S3KeyPrefix: aws.String(prefix), InputFormat: types.BulkOperationInputFormatDynamodbJson},
		OutputS3Configuration: &types.OutputS3Configuration{OutputType: []types.OutputTypeEnum{types.OutputTypeEnumError}, S3Bucket: aws.String("out"), S3KeyPrefix: aws.String("reports")}}
	for _, m := range mod {
		m(in)
	}
	return ts.Client.StartBulkPutItems(bg, in)
}

// TestBulkPutItems loads JSON lines (one object gzipped) into a table:
// good lines are written as items, bad ones counted and reported in the
// output bucket; then idempotency, listing, a missing bucket and the
// validation of the request.
func TestBulkPutItems(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "bulk", []string{"pk:S", "sk:N"})
	var a, z bytes.Buffer
	for i := range 30 {
		fmt.Fprintf(&a, `{"Item":{"pk":{"S":"a%d"},"sk":{"N":"%d"},"v":{"S":"x"}}}`+"\n", i, i)
	}
	a.WriteString(`{"Item":{"pk":{"S":"nokey"}}}` + "\n") // no sort key
	a.WriteString("not json\n")
	zw := gzip.NewWriter(&z)
	for i := range 20 {
		fmt.Fprintf(zw, `{"Item":{"pk":{"S":"z%d"},"sk":{"N":"1"}}}`+"\n", i)
	}
	zw.Close()
	bulkWrite(t, ts, "in", "load/a.json", a.Bytes())
	bulkWrite(t, ts, "in", "other/skip.json", []byte(`{"Item":{"pk":{"S":"skip"},"sk":{"N":"1"}}}`))
	// Objects of one operation share a compression type: the gzipped one
	// is loaded by a second operation.
	bulkWrite(t, ts, "inz", "load/z.json.gz", z.Bytes())

	out, err := bulkStart(ts, "bulk", "in", "load/", func(in *dynamodb.StartBulkPutItemsInput) { in.ClientToken = aws.String("tok-1") })
	if err != nil {
		t.Fatal(err)
	}
	d := out.BulkOperationDescription
	if !strings.Contains(aws.ToString(d.BulkOperationArn), ":table/bulk/bulk-operation/") || d.PerformanceTier != types.BulkOperationPerformanceTierStandard ||
		len(d.TableDetails) != 1 || aws.ToString(d.TableDetails[0].TableName) != "bulk" {
		t.Fatalf("start: %+v", d)
	}
	d = bulkWait(t, ts, d.BulkOperationArn)
	if d.BulkOperationStatus != types.BulkOperationStatusCompletedWithErrors || d.ProcessedItemCount != 32 || d.FailedItemCount != 2 ||
		d.EndTime == nil || aws.ToInt64(d.TotalInputBytes) != int64(a.Len()) || aws.ToInt64(d.ProcessedInputBytes) != int64(a.Len()) ||
		len(d.BulkOperationUsage) != 1 || aws.ToInt64(d.BulkOperationUsage[0].BulkPutBytes) == 0 {
		t.Fatalf("done: %+v", d)
	}
	got, err := ts.Client.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("bulk"), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "a7"}, "sk": &types.AttributeValueMemberN{Value: "7"}}})
	if err != nil || got.Item["v"] == nil {
		t.Fatalf("loaded item: %+v %v", got, err)
	}
	id := aws.ToString(d.BulkOperationArn)[strings.LastIndex(aws.ToString(d.BulkOperationArn), "/")+1:]
	report, err := os.ReadFile(filepath.Join(ts.Node.opts.Dir, "s3", "out", "reports", id, "errors.json"))
	if err != nil || bytes.Count(report, []byte("\n")) != 2 || !bytes.Contains(report, []byte("not json")) {
		t.Fatalf("error report: %q %v", report, err)
	}
	// The same token and parameters: the same operation; other parameters: a mismatch.
	again, err := bulkStart(ts, "bulk", "in", "load/", func(in *dynamodb.StartBulkPutItemsInput) { in.ClientToken = aws.String("tok-1") })
	if err != nil || aws.ToString(again.BulkOperationDescription.BulkOperationArn) != aws.ToString(d.BulkOperationArn) {
		t.Fatalf("same token: %+v %v", again, err)
	}
	_, err = bulkStart(ts, "bulk", "in", "other/", func(in *dynamodb.StartBulkPutItemsInput) { in.ClientToken = aws.String("tok-1") })
	if c, _ := apiErr(t, err); c != "IdempotentParameterMismatchException" {
		t.Fatalf("other parameters, same token: %v", err)
	}

	zout, err := bulkStart(ts, "bulk", "inz", "", func(in *dynamodb.StartBulkPutItemsInput) {
		in.InputS3Configuration.InputCompressionType = types.InputCompressionTypeGzip
		in.MaxWriteRequestUnits = aws.Int64(2048)
	})
	if err != nil {
		t.Fatal(err)
	}
	if zd := bulkWait(t, ts, zout.BulkOperationDescription.BulkOperationArn); zd.BulkOperationStatus != types.BulkOperationStatusCompleted || zd.ProcessedItemCount != 20 {
		t.Fatalf("gzip: %+v", zd)
	}
	missing, err := bulkStart(ts, "bulk", "nobucket", "")
	if err != nil {
		t.Fatal(err)
	}
	if md := bulkWait(t, ts, missing.BulkOperationDescription.BulkOperationArn); md.BulkOperationStatus != types.BulkOperationStatusFailed || aws.ToString(md.FailureCode) != "S3NoSuchBucket" {
		t.Fatalf("missing bucket: %+v", md)
	}

	var arns []string
	in := &dynamodb.ListBulkOperationsInput{MaxResults: aws.Int32(2)}
	for {
		page, err := ts.Client.ListBulkOperations(bg, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.BulkOperationsSummaryList {
			arns = append(arns, aws.ToString(s.BulkOperationArn))
		}
		if page.NextToken == nil {
			break
		}
		in.NextToken = page.NextToken
	}
	if len(arns) != 3 || arns[0] != aws.ToString(d.BulkOperationArn) {
		t.Fatalf("list: %v", arns)
	}
	_, err = ts.Client.CancelBulkOperation(bg, &dynamodb.CancelBulkOperationInput{BulkOperationArn: d.BulkOperationArn})
	if c, _ := apiErr(t, err); c != "ValidationException" {
		t.Fatalf("cancel of a finished operation: %v", err)
	}
	_, err = ts.Client.DescribeBulkOperation(bg, &dynamodb.DescribeBulkOperationInput{BulkOperationArn: aws.String("arn:nope")})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: BulkOperation: arn:nope not found")

	f := func(body, wantMsg string) {
		t.Helper()
		status, typ, msg, _ := ctlRaw(t, ts.URL, "StartBulkPutItems", body)
		if status != 400 || msg != wantMsg {
			t.Errorf("%s\n got %d %s %q\nwant %q", body, status, typ, msg, wantMsg)
		}
	}
	f(`{"TableName":"bulk"}`, "2 validation errors detected: Value null at 'inputS3Configuration' failed to satisfy constraint: Member must not be null; "+
		"Value null at 'outputS3Configuration' failed to satisfy constraint: Member must not be null")
	f(`{"TableName":"bulk","InputS3Configuration":{"S3Bucket":"in","InputFormat":"CSV"},"OutputS3Configuration":{"OutputType":["ERROR"]},"MaxWriteRequestUnits":5}`,
		"2 validation errors detected: Value 'CSV' at 'inputS3Configuration.inputFormat' failed to satisfy constraint: Member must satisfy enum value set: [DYNAMODB_JSON, ION]; "+
			"Value '5' at 'maxWriteRequestUnits' failed to satisfy constraint: Member must have value greater than or equal to 1024")
	f(`{"TableName":"nope","InputS3Configuration":{"S3Bucket":"in","InputFormat":"ION"},"OutputS3Configuration":{"OutputType":["ERROR"]}}`,
		"Requested resource not found: Table: nope not found")
}

// TestBulkPutItemsCancel: a paced operation over many items is cancelled
// midway: CANCELLING, then CANCELLED with part of the items written.
func TestBulkPutItemsCancel(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "bulkc", []string{"pk:S"})
	var a bytes.Buffer
	for i := range 5000 {
		fmt.Fprintf(&a, `{"Item":{"pk":{"S":"k%d"}}}`+"\n", i)
	}
	bulkWrite(t, ts, "in", "c.json", a.Bytes())
	out, err := bulkStart(ts, "bulkc", "in", "", func(in *dynamodb.StartBulkPutItemsInput) { in.MaxWriteRequestUnits = aws.Int64(1024) })
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	c, err := ts.Client.CancelBulkOperation(bg, &dynamodb.CancelBulkOperationInput{BulkOperationArn: out.BulkOperationDescription.BulkOperationArn})
	if err != nil || c.BulkOperationStatus != types.BulkOperationStatusCancelling {
		t.Fatalf("cancel: %+v %v", c, err)
	}
	d := bulkWait(t, ts, out.BulkOperationDescription.BulkOperationArn)
	if d.BulkOperationStatus != types.BulkOperationStatusCancelled || d.ProcessedItemCount == 0 || d.ProcessedItemCount >= 5000 || d.FailureCode == nil {
		t.Fatalf("cancelled: %+v", d)
	}
}
