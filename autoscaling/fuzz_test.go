package autoscaling_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/dynax/dynax/autoscaling"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// FuzzRequests sends arbitrary bodies to every operation: each answer is
// a result or a 400 error, never a panic or a 500, and the state file
// stays readable (the service opens again on it).
func FuzzRequests(f *testing.F) {
	for _, op := range autoscaling.Operations() {
		f.Add(op, []byte(`{"ServiceNamespace":"dynamodb"}`))
	}
	f.Add("RegisterScalableTarget", []byte(`{"ServiceNamespace":"dynamodb","ResourceId":"table/fuzz","ScalableDimension":"dynamodb:table:ReadCapacityUnits","MinCapacity":1,"MaxCapacity":9}`))
	f.Add("PutScalingPolicy", []byte(`{"PolicyName":"p","ServiceNamespace":"dynamodb","ResourceId":"table/fuzz","ScalableDimension":"dynamodb:table:ReadCapacityUnits","PolicyType":"TargetTrackingScaling","TargetTrackingScalingPolicyConfiguration":{"TargetValue":70,"PredefinedMetricSpecification":{"PredefinedMetricType":"DynamoDBReadCapacityUtilization"}}}`))
	log := slog.New(slog.DiscardHandler)
	node, err := store.Open(store.Options{Dir: f.TempDir(), NoSync: true, Logger: log})
	if err != nil {
		f.Fatal(err)
	}
	defer node.Close()
	ctx := context.Background()
	if _, err := node.ServeDynamoDB(ctx, &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "CreateTable", Body: []byte(
		`{"TableName":"fuzz","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5}}`)}); err != nil {
		f.Fatal(err)
	}
	usage := func() []autoscaling.Usage {
		return []autoscaling.Usage{{Table: "fuzz", ProvisionedRead: 5, ProvisionedWrite: 5}}
	}
	opts := autoscaling.Options{Dir: f.TempDir(), Usage: usage, DynamoDB: node, Period: time.Hour, Logger: log}
	svc, err := autoscaling.Open(opts)
	if err != nil {
		f.Fatal(err)
	}
	defer svc.Close()
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		_, err := svc.ServeDynamoDB(ctx, &wire.Request{Prefix: wire.PrefixAutoScaling, Operation: op, Body: body})
		if err != nil {
			de, ok := ddb.AsError(err)
			if !ok || de.Status != 400 {
				t.Fatalf("%s %q: %v", op, body, err)
			}
		}
		again, err := autoscaling.Open(opts)
		if err != nil {
			t.Fatalf("state unreadable after %s %q: %v", op, body, err)
		}
		again.Close()
	})
}
