package store

import (
	"context"
	"log/slog"
	"testing"

	"github.com/dynax/dynax/ddb/wire"
)

// FuzzDataProtectionRequests sends arbitrary bodies to the backup, PITR,
// export, import and Kinesis destination operations: each answer is a
// success or a DynamoDB client error, never a panic or an internal error.
// Kinesis calls go to a dead loopback port, S3 to the data directory.
func FuzzDataProtectionRequests(f *testing.F) {
	// Static credentials and no instance metadata: nothing may leave loopback.
	f.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	f.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	f.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	n, err := Open(Options{Dir: f.TempDir(), NoSync: true, Logger: slog.New(slog.DiscardHandler), KinesisEndpoint: "http://127.0.0.1:1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { n.Close() })
	for _, c := range []struct{ op, body string }{
		{"CreateTable", `{"TableName":"fzb","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`},
		{"PutItem", `{"TableName":"fzb","Item":{"pk":{"S":"a"}}}`},
		{"UpdateContinuousBackups", `{"TableName":"fzb","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true}}`},
	} {
		if _, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: c.op, Body: []byte(c.body), Region: "us-east-1"}); err != nil {
			f.Fatal(err)
		}
	}
	const arn = "arn:aws:dynamodb:us-east-1:000000000000:table/fzb/backup/01764680000000-00000000"
	for _, s := range []struct{ op, body string }{
		{"CreateBackup", `{"TableName":"fzb","BackupName":"fuzz"}`},
		{"CreateBackup", `{"TableName":"fzb","BackupName":""}`},
		{"DescribeBackup", `{"BackupArn":"` + arn + `"}`},
		{"DeleteBackup", `{"BackupArn":null}`},
		{"ListBackups", `{"TableName":"fzb","Limit":1,"BackupType":"ALL","TimeRangeLowerBound":1,"TimeRangeUpperBound":2e9}`},
		{"RestoreTableFromBackup", `{"TargetTableName":"fzr","BackupArn":"` + arn + `","BillingModeOverride":"PROVISIONED"}`},
		{"RestoreTableToPointInTime", `{"SourceTableName":"fzb","TargetTableName":"fzp","UseLatestRestorableTime":true,"GlobalSecondaryIndexOverride":[]}`},
		{"RestoreTableToPointInTime", `{"SourceTableArn":"x","SourceTableName":"fzb","TargetTableName":"fzp","RestoreDateTime":"now"}`},
		{"DescribeContinuousBackups", `{"TableName":"fzb"}`},
		{"UpdateContinuousBackups", `{"TableName":"fzb","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true,"RecoveryPeriodInDays":0}}`},
		{"ExportTableToPointInTime", `{"TableArn":"fzb","S3Bucket":"b","ExportFormat":"ION"}`},
		{"ExportTableToPointInTime", `{"TableArn":"fzb","S3Bucket":"b","ExportType":"INCREMENTAL_EXPORT","IncrementalExportSpecification":{"ExportFromTime":1,"ExportToTime":2}}`},
		{"DescribeExport", `{"ExportArn":"` + arn + `"}`},
		{"ListExports", `{"MaxResults":26}`},
		{"ImportTable", `{"S3BucketSource":{"S3Bucket":"b"},"InputFormat":"CSV","InputFormatOptions":{"Csv":{"Delimiter":";;"}},"TableCreationParameters":{"TableName":"fzi","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}}`},
		{"ImportTable", `{"S3BucketSource":{"S3Bucket":"b"},"InputFormat":"ION","TableCreationParameters":null}`},
		{"DescribeImport", `{"ImportArn":"` + arn + `"}`},
		{"ListImports", `{"PageSize":0}`},
		{"EnableKinesisStreamingDestination", `{"TableName":"fzb","StreamArn":"arn:aws:kinesis:us-east-1:000000000000:stream/s"}`},
		{"DescribeKinesisStreamingDestination", `{"TableName":"fzb"}`},
		{"UpdateKinesisStreamingDestination", `{"TableName":"fzb","StreamArn":"arn:aws:kinesis:us-east-1:000000000000:stream/s","UpdateKinesisStreamingConfiguration":{"ApproximateCreationDateTimePrecision":"NANOSECOND"}}`},
		{"DisableKinesisStreamingDestination", `{"TableName":"fzb","StreamArn":"x"}`},
	} {
		f.Add(s.op, []byte(s.body))
	}
	ops := map[string]bool{"CreateBackup": true, "DescribeBackup": true, "DeleteBackup": true, "ListBackups": true,
		"RestoreTableFromBackup": true, "RestoreTableToPointInTime": true, "DescribeContinuousBackups": true, "UpdateContinuousBackups": true,
		"ExportTableToPointInTime": true, "DescribeExport": true, "ListExports": true, "ImportTable": true, "DescribeImport": true,
		"ListImports": true, "EnableKinesisStreamingDestination": true, "DescribeKinesisStreamingDestination": true,
		"UpdateKinesisStreamingDestination": true, "DisableKinesisStreamingDestination": true}
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		if !ops[op] {
			return
		}
		fuzzServe(t, n, op, body)
	})
}
