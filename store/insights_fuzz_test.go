package store

import (
	"context"
	"log/slog"
	"testing"

	"github.com/dynax/dynax/ddb/wire"
)

// FuzzInsightsRequests sends arbitrary bodies of the operations added for
// contributor insights, bulk operations and replica auto scaling to a
// node with a table and a GSI: each answer is a success or a DynamoDB
// client error, never a panic or an internal error.
func FuzzInsightsRequests(f *testing.F) {
	n, err := Open(Options{Dir: f.TempDir(), NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { n.Close() })
	if _, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "CreateTable", Region: "us-east-1",
		Body: []byte(`{"TableName":"fzi","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
		"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"}],
		"GlobalSecondaryIndexes":[{"IndexName":"byG","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]}`)}); err != nil {
		f.Fatal(err)
	}
	ops := map[string]bool{"UpdateContributorInsights": true, "DescribeContributorInsights": true, "ListContributorInsights": true,
		"StartBulkPutItems": true, "DescribeBulkOperation": true, "ListBulkOperations": true, "CancelBulkOperation": true,
		"DescribeTableReplicaAutoScaling": true, "UpdateTableReplicaAutoScaling": true}
	for _, s := range []struct{ op, body string }{
		{"UpdateContributorInsights", `{"TableName":"fzi","ContributorInsightsAction":"ENABLE"}`},
		{"UpdateContributorInsights", `{"TableName":"fzi","IndexName":"byG","ContributorInsightsAction":"ENABLE","ContributorInsightsMode":"THROTTLED_KEYS"}`},
		{"DescribeContributorInsights", `{"TableName":"fzi","IndexName":"byG"}`},
		{"ListContributorInsights", `{"MaxResults":1,"NextToken":"ZnppAA"}`},
		{"StartBulkPutItems", `{"TableName":"fzi","InputS3Configuration":{"S3Bucket":"b","InputFormat":"ION","InputCompressionType":"ZSTD"},"OutputS3Configuration":{"OutputType":["ERROR","CONDITION_CHECK_FAILURE"]},"MaxWriteRequestUnits":1024,"ClientToken":"t"}`},
		{"ListBulkOperations", `{"MaxResults":0,"NextToken":"x"}`},
		{"CancelBulkOperation", `{"BulkOperationArn":""}`},
		{"UpdateTableReplicaAutoScaling", `{"TableName":"fzi","ReplicaUpdates":[{"RegionName":"us-west-2","ReplicaProvisionedReadCapacityAutoScalingUpdate":{"MinimumUnits":1}}]}`},
		{"DescribeTableReplicaAutoScaling", `{"TableName":"arn:aws:dynamodb:us-east-1:000000000000:table/fzi"}`},
	} {
		f.Add(s.op, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		if !ops[op] {
			return
		}
		fuzzServe(t, n, op, body)
	})
}
