package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

const crashBackupItems = 20000

// loadBackupTable creates table name (pk S, GSI byg on g N) and writes
// crashBackupItems items with BatchWriteItem.
func loadBackupTable(t *testing.T, client *dynamodb.Client, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeN}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("byg"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}},
	}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < crashBackupItems; i += 25 {
		var reqs []types.WriteRequest
		for j := i; j < i+25; j++ {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("k%06d", j)},
				"g":  &types.AttributeValueMemberN{Value: strconv.Itoa(j % 10)},
				"v":  &types.AttributeValueMemberS{Value: "0123456789012345678901234567890123456789"},
			}}})
		}
		out, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{name: reqs}})
		if err != nil || len(out.UnprocessedItems) > 0 {
			t.Fatalf("BatchWriteItem: %v (%d unprocessed)", err, len(out.UnprocessedItems))
		}
	}
}

// countItems counts a table's items with a consistent Select=COUNT scan,
// and the GSI entries with g = 3.
func countItems(t *testing.T, client *dynamodb.Client, name string) (items, g3 int32) {
	t.Helper()
	ctx := context.Background()
	var start map[string]types.AttributeValue
	for {
		out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(name), Select: types.SelectCount,
			ConsistentRead: aws.Bool(true), ExclusiveStartKey: start})
		if err != nil {
			t.Fatalf("Scan %s: %v", name, err)
		}
		items += out.Count
		if out.LastEvaluatedKey == nil {
			break
		}
		start = out.LastEvaluatedKey
	}
	start = nil
	for {
		out, err := client.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), IndexName: aws.String("byg"), Select: types.SelectCount,
			KeyConditionExpression: aws.String("g = :g"), ExclusiveStartKey: start,
			ExpressionAttributeValues: map[string]types.AttributeValue{":g": &types.AttributeValueMemberN{Value: "3"}}})
		if err != nil {
			t.Fatalf("Query %s: %v", name, err)
		}
		g3 += out.Count
		if out.LastEvaluatedKey == nil {
			break
		}
		start = out.LastEvaluatedKey
	}
	return items, g3
}

func waitActiveTable(t *testing.T, client *dynamodb.Client, name string, timeout time.Duration) *types.TableDescription {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		out, err := client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatalf("DescribeTable %s: %v", name, err)
		}
		if out.Table.TableStatus == types.TableStatusActive {
			return out.Table
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("table %s not ACTIVE after %v", name, timeout)
	return nil
}

// TestKillNineDuringBackupAndRestore kills a real `dynax store` with SIGKILL
// right after CreateBackup answers (the copy runs) and again right after
// RestoreTableFromBackup answers (the fill runs). After each restart the
// source table is untouched, the backup either is complete or gone (never
// half there), and the restored table finishes with every item and index
// entry.
func TestKillNineDuringBackupAndRestore(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	ctx := context.Background()
	proc, url := startStore(t, bin, dir)
	client := sdkClient(url)
	loadBackupTable(t, client, "crashsrc")

	// 1. Kill during the backup copy.
	out, err := client.CreateBackup(ctx, &dynamodb.CreateBackupInput{TableName: aws.String("crashsrc"), BackupName: aws.String("killed")})
	if err != nil {
		t.Fatal(err)
	}
	killed := aws.ToString(out.BackupDetails.BackupArn)
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()
	proc, url = startStore(t, bin, dir)
	client = sdkClient(url)
	if n, g3 := countItems(t, client, "crashsrc"); n != crashBackupItems || g3 != crashBackupItems/10 {
		t.Fatalf("source after kill: %d items, %d index entries for g=3", n, g3)
	}
	d, err := client.DescribeBackup(ctx, &dynamodb.DescribeBackupInput{BackupArn: aws.String(killed)})
	var ae smithy.APIError
	switch {
	case errors.As(err, &ae) && ae.ErrorCode() == "BackupNotFoundException":
		t.Logf("the interrupted backup was removed at restart")
	case err != nil:
		t.Fatalf("DescribeBackup after kill: %v", err)
	case d.BackupDescription.BackupDetails.BackupStatus != types.BackupStatusAvailable || aws.ToInt64(d.BackupDescription.SourceTableDetails.ItemCount) != crashBackupItems:
		t.Fatalf("backup after kill: %s with %d items", d.BackupDescription.BackupDetails.BackupStatus, aws.ToInt64(d.BackupDescription.SourceTableDetails.ItemCount))
	default:
		t.Logf("the backup had finished before the kill")
	}

	// 2. A complete backup; kill during the restore's fill.
	out, err = client.CreateBackup(ctx, &dynamodb.CreateBackupInput{TableName: aws.String("crashsrc"), BackupName: aws.String("whole")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.BackupDetails.BackupArn)
	for i := 0; ; i++ {
		d, err := client.DescribeBackup(ctx, &dynamodb.DescribeBackupInput{BackupArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if d.BackupDescription.BackupDetails.BackupStatus == types.BackupStatusAvailable {
			break
		}
		if i > 1000 {
			t.Fatal("backup never became AVAILABLE")
		}
		time.Sleep(10 * time.Millisecond)
	}
	rt, err := client.RestoreTableFromBackup(ctx, &dynamodb.RestoreTableFromBackupInput{TargetTableName: aws.String("crashdst"), BackupArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(rt.TableDescription.RestoreSummary.RestoreInProgress) {
		t.Fatal("restore not in progress when it answered")
	}
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()
	_, url = startStore(t, bin, dir)
	client = sdkClient(url)
	td := waitActiveTable(t, client, "crashdst", 60*time.Second)
	if aws.ToBool(td.RestoreSummary.RestoreInProgress) || aws.ToInt64(td.ItemCount) != crashBackupItems {
		t.Fatalf("restored table: in progress %v, ItemCount %d", aws.ToBool(td.RestoreSummary.RestoreInProgress), aws.ToInt64(td.ItemCount))
	}
	if n, g3 := countItems(t, client, "crashdst"); n != crashBackupItems || g3 != crashBackupItems/10 {
		t.Fatalf("restored table: %d items, %d index entries for g=3", n, g3)
	}
	if n, _ := countItems(t, client, "crashsrc"); n != crashBackupItems {
		t.Fatalf("source after the restore: %d items", n)
	}
}

// TestKillNineDuringExportAndImport kills a real `dynax store` right after
// ExportTableToPointInTime answers and again right after ImportTable
// answers. After restart the export is FAILED (or finished), the source is
// untouched, and the import starts over and completes with every item.
func TestKillNineDuringExportAndImport(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	ctx := context.Background()
	// The import's source: DynamoDB JSON lines in the local bucket "in".
	var lines []byte
	for i := 0; i < crashBackupItems; i++ {
		lines = append(lines, fmt.Sprintf(`{"Item":{"pk":{"S":"i%06d"},"g":{"N":"%d"}}}`+"\n", i, i%10)...)
	}
	if err := os.MkdirAll(filepath.Join(dir, "s3", "in", "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "s3", "in", "src", "items.json"), lines, 0o644); err != nil {
		t.Fatal(err)
	}
	proc, url := startStore(t, bin, dir)
	client := sdkClient(url)
	loadBackupTable(t, client, "exsrc")
	if _, err := client.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String("exsrc"),
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	ex, err := client.ExportTableToPointInTime(ctx, &dynamodb.ExportTableToPointInTimeInput{TableArn: aws.String("exsrc"), S3Bucket: aws.String("out")})
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()
	proc, url = startStore(t, bin, dir)
	client = sdkClient(url)
	d, err := client.DescribeExport(ctx, &dynamodb.DescribeExportInput{ExportArn: ex.ExportDescription.ExportArn})
	if err != nil {
		t.Fatal(err)
	}
	switch st := d.ExportDescription.ExportStatus; {
	case st == types.ExportStatusFailed:
		t.Logf("the interrupted export is FAILED: %s", aws.ToString(d.ExportDescription.FailureMessage))
	case st == types.ExportStatusCompleted && aws.ToInt64(d.ExportDescription.ItemCount) == crashBackupItems:
		t.Logf("the export had finished before the kill")
	default:
		t.Fatalf("export after kill: %s, %d items", st, aws.ToInt64(d.ExportDescription.ItemCount))
	}
	if n, g3 := countItems(t, client, "exsrc"); n != crashBackupItems || g3 != crashBackupItems/10 {
		t.Fatalf("source after kill: %d items, %d index entries", n, g3)
	}

	imp, err := client.ImportTable(ctx, &dynamodb.ImportTableInput{
		S3BucketSource: &types.S3BucketSource{S3Bucket: aws.String("in"), S3KeyPrefix: aws.String("src/")},
		InputFormat:    types.InputFormatDynamodbJson,
		TableCreationParameters: &types.TableCreationParameters{TableName: aws.String("imported"), BillingMode: types.BillingModePayPerRequest,
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
				{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeN}},
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("byg"),
				KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()
	_, url = startStore(t, bin, dir)
	client = sdkClient(url)
	deadline := time.Now().Add(60 * time.Second)
	for {
		d, err := client.DescribeImport(ctx, &dynamodb.DescribeImportInput{ImportArn: imp.ImportTableDescription.ImportArn})
		if err != nil {
			t.Fatal(err)
		}
		if st := d.ImportTableDescription.ImportStatus; st != types.ImportStatusInProgress {
			if st != types.ImportStatusCompleted || d.ImportTableDescription.ImportedItemCount != crashBackupItems {
				t.Fatalf("import after kill: %s %s, %d items", st, aws.ToString(d.ImportTableDescription.FailureMessage), d.ImportTableDescription.ImportedItemCount)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("import still in progress after 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitActiveTable(t, client, "imported", 10*time.Second)
	if n, g3 := countItems(t, client, "imported"); n != crashBackupItems || g3 != crashBackupItems/10 {
		t.Fatalf("imported table: %d items, %d index entries", n, g3)
	}
}
