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

// metricsTraffic creates table name (provisioned, with GSI "gsi1") and
// drives SDK traffic at it: 5 puts, 1 failed conditional put, 4 gets, 1
// query of 5 items and 3 user errors. It returns the capacity units the
// answers reported (ReturnConsumedCapacity TOTAL).
func metricsTraffic(t *testing.T, client *dynamodb.Client, name string) (reads, writes float64) {
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
	key := func(i int) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "p"}, "sk": &types.AttributeValueMemberN{Value: fmt.Sprint(i)}}
	}
	for i := range 5 {
		item := key(i)
		item["g"] = &types.AttributeValueMemberS{Value: "x"}
		out, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
		if err != nil {
			t.Fatal(err)
		}
		writes += aws.ToFloat64(out.ConsumedCapacity.CapacityUnits)
	}
	_, err = client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: key(0), ConditionExpression: aws.String("attribute_not_exists(pk)")})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("conditional put: %v, want ConditionalCheckFailedException", err)
	}
	for i := range 4 {
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: key(i), ConsistentRead: aws.Bool(i%2 == 0), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
		if err != nil {
			t.Fatal(err)
		}
		reads += aws.ToFloat64(out.ConsumedCapacity.CapacityUnits)
	}
	q, err := client.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(name), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "p"}},
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal})
	if err != nil || q.Count != 5 {
		t.Fatalf("query: %v, count %d", err, q.Count)
	}
	reads += aws.ToFloat64(q.ConsumedCapacity.CapacityUnits)
	// User errors: two calls on a table that does not exist, one bad key.
	for range 2 {
		if _, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("no-such-table"), Key: key(0)}); err == nil {
			t.Fatal("GetItem of a missing table succeeded")
		}
	}
	if _, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "p"}}}); err == nil {
		t.Fatal("GetItem with half a key succeeded")
	}
	return reads, writes
}

// TestStoreMetricsAfterSDKTraffic scrapes GET /metrics of a real `dynax
// store` after SDK traffic: latency counts equal the successful requests,
// errors are counted by kind, Query's items and the engine's syncs show.
func TestStoreMetricsAfterSDKTraffic(t *testing.T) {
	bin := buildBinary(t)
	_, url := startStore(t, bin, t.TempDir())
	client := sdkClient(url)
	metricsTraffic(t, client, "metrics1")

	f, err := scrape.Get(nil, url+"/metrics")
	if err != nil {
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
