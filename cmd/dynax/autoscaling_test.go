package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

func aasClient(url, key, secret string) *aas.Client {
	return aas.New(aas.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""), RetryMaxAttempts: 1})
}

func writeCapacityOf(t *testing.T, c *dynamodb.Client, table string) int64 {
	t.Helper()
	d, err := c.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToInt64(d.Table.ProvisionedThroughput.WriteCapacityUnits)
}

// TestAutoScalingProcess runs `dynax store --capacity enforce
// --autoscaling-period 100ms` and drives a 5-WCU table through the real
// Application Auto Scaling API and real writes: capacity rises under the
// load and falls back to the minimum after it. Then the process is killed
// with SIGKILL: targets, policies and activities are there after the
// restart. Last, under --auth sigv4, the calls are verified for their own
// signing name.
func TestAutoScalingProcess(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	flags := []string{"--capacity", "enforce", "--autoscaling-period", "100ms", "--unsafe-no-sync"}
	cmd, url := startStore(t, bin, dir, flags...)
	ctx := context.Background()
	db := sdkClient(url)
	as := aasClient(url, "AKIDEXAMPLE", "secret")
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("load"),
		AttributeDefinitions:  []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(50), WriteCapacityUnits: aws.Int64(50)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := as.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb,
		ResourceId: aws.String("table/load"), ScalableDimension: aastypes.ScalableDimensionDynamoDBTableWriteCapacityUnits,
		MinCapacity: aws.Int32(50), MaxCapacity: aws.Int32(1000)}); err != nil {
		t.Fatal(err)
	}
	if _, err := as.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String("wcu"),
		ServiceNamespace: aastypes.ServiceNamespaceDynamodb, ResourceId: aws.String("table/load"),
		ScalableDimension: aastypes.ScalableDimensionDynamoDBTableWriteCapacityUnits, PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(25),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeDynamoDBWriteCapacityUtilization}}}); err != nil {
		t.Fatal(err)
	}

	// Writes of one WCU each as fast as one client goes: a new table has
	// no burst yet, so they succeed at the provisioned 50 a second, which
	// is 100% of it, over the 25% target (a throttled write consumes
	// nothing). The table scales out. (A scaler minute of 100 ms holds
	// about 5 writes: the figures are coarse, hence the low target, whose scale-in threshold is 5%.)
	deadline := time.Now().Add(20 * time.Second)
	throttled := 0
	for i := 0; writeCapacityOf(t, db, "load") <= 50; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("the table did not scale out under load (%d writes, %d throttled)", i, throttled)
		}
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("load"),
			Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: fmt.Sprint(i)}}})
		var ae smithy.APIError
		if err != nil && (!errors.As(err, &ae) || ae.ErrorCode() != "ProvisionedThroughputExceededException") {
			t.Fatal(err)
		}
		if err != nil {
			throttled++
		}
	}
	// Idle, the table falls back to its minimum after the low alarm's 15
	// scaler minutes.
	for writeCapacityOf(t, db, "load") != 50 {
		if time.Now().After(deadline) {
			t.Fatalf("the table did not scale in: %d WCU", writeCapacityOf(t, db, "load"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	acts, err := as.DescribeScalingActivities(ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(acts.ScalingActivities); n < 2 || !strings.HasPrefix(aws.ToString(acts.ScalingActivities[0].Cause), "monitor alarm TargetTracking-table/load-AlarmLow-") {
		t.Fatalf("activities: %+v", acts.ScalingActivities)
	}
	before := len(acts.ScalingActivities)

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	_, url = startStore(t, bin, dir, flags...)
	as = aasClient(url, "AKIDEXAMPLE", "secret")
	tg, err := as.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := as.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb})
	if err != nil {
		t.Fatal(err)
	}
	acts, err = as.DescribeScalingActivities(ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb})
	if err != nil {
		t.Fatal(err)
	}
	if len(tg.ScalableTargets) != 1 || len(pol.ScalingPolicies) != 1 || len(acts.ScalingActivities) < before {
		t.Fatalf("after kill -9: %d targets, %d policies, %d activities (had %d)", len(tg.ScalableTargets), len(pol.ScalingPolicies), len(acts.ScalingActivities), before)
	}
	autoScalingSigV4(t, bin)
}

// autoScalingSigV4: under --auth sigv4 the auto scaling calls are
// verified for their own signing name, application-autoscaling.
func autoScalingSigV4(t *testing.T, bin string) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials.json")
	if err := os.WriteFile(creds, []byte(`{"users":[{"accessKeyId":"AKIDAAS","secretAccessKey":"aas-secret","arn":"arn:aws:iam::000000000000:user/aas"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, url := startStore(t, bin, filepath.Join(dir, "data"), "--auth", "sigv4", "--credentials", creds)
	ctx := context.Background()
	in := &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb}
	if _, err := aasClient(url, "AKIDAAS", "aas-secret").DescribeScalableTargets(ctx, in); err != nil {
		t.Fatal(err)
	}
	_, err := aasClient(url, "AKIDAAS", "wrong").DescribeScalableTargets(ctx, in)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidSignatureException" {
		t.Fatalf("wrong secret: %v", err)
	}
}
