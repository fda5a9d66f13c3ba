package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/internal/scrape"
)

// consumed are capacity units by index ("": the table).
type consumed map[string]float64

func (c consumed) add(cc *types.ConsumedCapacity) {
	if cc.Table != nil {
		c[""] += aws.ToFloat64(cc.Table.CapacityUnits)
	}
	for name, g := range cc.GlobalSecondaryIndexes {
		c[name] += aws.ToFloat64(g.CapacityUnits)
	}
}

// metricsTable creates table name (provisioned 1000/1000, with GSI "gsi1"
// at 7/8) and puts 5 items and gets 4 of them through the SDK. It
// returns the capacity units the answers reported
// (ReturnConsumedCapacity INDEXES).
func metricsTable(t *testing.T, client *dynamodb.Client, name string) (reads, writes consumed) {
	t.Helper()
	ctx := context.Background()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN},
			{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:             aws.String("gsi1"),
			KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection:            &types.Projection{ProjectionType: types.ProjectionTypeAll},
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(7), WriteCapacityUnits: aws.Int64(8)},
		}},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1000), WriteCapacityUnits: aws.Int64(1000)},
	})
	if err != nil {
		t.Fatal(err)
	}
	reads, writes = consumed{}, consumed{}
	for i := range 5 {
		item := metricsKey(i)
		item["g"] = &types.AttributeValueMemberS{Value: "x"}
		out, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item, ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes})
		if err != nil {
			t.Fatal(err)
		}
		writes.add(out.ConsumedCapacity)
	}
	for i := range 4 {
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: metricsKey(i), ConsistentRead: aws.Bool(i%2 == 0), ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes})
		if err != nil {
			t.Fatal(err)
		}
		reads.add(out.ConsumedCapacity)
	}
	return reads, writes
}

func metricsKey(i int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "p"}, "sk": &types.AttributeValueMemberN{Value: fmt.Sprint(i)}}
}

// metricsErrors drives 1 failed conditional put, 1 query of 5 items and
// 3 user errors at table name (made by metricsTable).
func metricsErrors(t *testing.T, client *dynamodb.Client, name string) {
	t.Helper()
	ctx := context.Background()
	key := metricsKey
	_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: key(0), ConditionExpression: aws.String("attribute_not_exists(pk)")})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("conditional put: %v, want ConditionalCheckFailedException", err)
	}
	q, err := client.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "p"}}})
	if err != nil || q.Count != 5 {
		t.Fatalf("query: %v, count %d", err, q.Count)
	}
	// User errors: two calls on a table that does not exist, one bad key.
	for range 2 {
		if _, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("no-such-table"), Key: key(0)}); err == nil {
			t.Fatal("GetItem of a missing table succeeded")
		}
	}
	if _, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "p"}}}); err == nil {
		t.Fatal("GetItem with half a key succeeded")
	}
}

// TestStoreMetricsAfterSDKTraffic scrapes GET /metrics of a real `dynax
// store` after SDK traffic: consumed units match what the answers
// reported, per table and GSI; latency counts equal the successful
// requests; errors are counted by kind; Query's items and the engine's
// syncs show.
func TestStoreMetricsAfterSDKTraffic(t *testing.T) {
	bin := buildBinary(t)
	_, url := startStore(t, bin, t.TempDir())
	client := sdkClient(url)
	reads, writes := metricsTable(t, client, "metrics1")
	f, err := scrape.Get(nil, url+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if reads[""] == 0 || writes[""] == 0 || writes["gsi1"] == 0 {
		t.Fatalf("answers reported reads %v, writes %v", reads, writes)
	}
	for _, ix := range []string{"", "gsi1"} {
		l := scrape.Labels{"TableName": "metrics1", "GlobalSecondaryIndexName": ix}
		if got := f.Sum("ConsumedReadCapacityUnits", l); got != reads[ix] {
			t.Errorf("ConsumedReadCapacityUnits%v = %v, answers reported %v", l, got, reads[ix])
		}
		if got := f.Sum("ConsumedWriteCapacityUnits", l); got != writes[ix] {
			t.Errorf("ConsumedWriteCapacityUnits%v = %v, answers reported %v", l, got, writes[ix])
		}
		pr, pw := map[string]float64{"": 1000, "gsi1": 7}[ix], map[string]float64{"": 1000, "gsi1": 8}[ix]
		if got := f.Sum("ProvisionedReadCapacityUnits", l); got != pr {
			t.Errorf("ProvisionedReadCapacityUnits%v = %v, want %v", l, got, pr)
		}
		if got := f.Sum("ProvisionedWriteCapacityUnits", l); got != pw {
			t.Errorf("ProvisionedWriteCapacityUnits%v = %v, want %v", l, got, pw)
		}
		if !f.Has("ReadThrottleEvents") || !f.Has("WriteThrottleEvents") || !f.Has("ThrottledRequests") {
			t.Error("throttle figures missing")
		}
	}

	metricsErrors(t, client, "metrics1")
	if f, err = scrape.Get(nil, url+"/metrics"); err != nil {
		t.Fatal(err)
	}
	lat := func(op string) float64 {
		return f.Histogram("SuccessfulRequestLatency", scrape.Labels{"TableName": "metrics1", "Operation": op}).Count
	}
	for op, want := range map[string]float64{"CreateTable": 1, "PutItem": 5, "GetItem": 4, "Query": 1} {
		if got := lat(op); got != want {
			t.Errorf("SuccessfulRequestLatency count of %s = %v, want %v", op, got, want)
		}
	}
	checks := []struct {
		name   string
		labels scrape.Labels
		want   float64
	}{
		{"UserErrors", nil, 3},
		{"ConditionalCheckFailedRequests", scrape.Labels{"TableName": "metrics1"}, 1},
		{"ReturnedItemCount", scrape.Labels{"TableName": "metrics1", "Operation": "Query"}, 5},
		{"SystemErrors", nil, 0},
	}
	for _, c := range checks {
		if got := f.Sum(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := f.Sum("PebbleWALSyncs", nil); got < 1 {
		t.Errorf("PebbleWALSyncs = %v after synced writes", got)
	}
	if !f.Has("PebbleLevelSizeBytes") || !f.Has("PebbleCompactions") {
		t.Error("engine figures missing")
	}
	if v := f.Values("SuccessfulRequestLatency", "TableName"); len(v) != 1 || v[0] != "metrics1" {
		t.Errorf("SuccessfulRequestLatency tables = %q, want only metrics1 (unknown names are not labels)", v)
	}
}
