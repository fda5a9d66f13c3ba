package store

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// sdkOperations lists the operations of the AWS SDK's DynamoDB client:
// its methods of the form Op(ctx, *OpInput, ...func(*Options))
// (*OpOutput, error), one per api_op_*.go file.
func sdkOperations() []string {
	var ops []string
	ct := reflect.TypeOf(&dynamodb.Client{})
	for i := range ct.NumMethod() {
		m := ct.Method(i)
		if m.Type.NumIn() != 4 || m.Type.NumOut() != 2 {
			continue
		}
		in := m.Type.In(2)
		if in.Kind() == reflect.Pointer && in.Elem().Name() == m.Name+"Input" {
			ops = append(ops, m.Name)
		}
	}
	return ops
}

// TestEveryOperationAnswered walks the SDK's operation list and fails for
// any operation the node answers UnknownOperationException: each one is
// implemented, or answers shaped as DynamoDB (docs/compatibility.md).
func TestEveryOperationAnswered(t *testing.T) {
	ts := newTestServer(t)
	ops := sdkOperations()
	if len(ops) < 62 {
		t.Fatalf("found only %d operations on the SDK client: %v", len(ops), ops)
	}
	for _, op := range ops {
		status, typ, msg, raw := ctlRaw(t, ts.URL, op, `{}`)
		if typ == "UnknownOperationException" || status >= 500 {
			t.Errorf("%s: %d %s %q %s", op, status, typ, msg, raw)
		}
	}
}

// TestReplicaAutoScaling: a regional or missing table is not a global
// table; an on-demand global table refuses settings with DynamoDB's text
// and describes its replicas.
func TestReplicaAutoScaling(t *testing.T) {
	rs := newRegions(t, "us-east-1", "us-west-2")
	c := rs["us-east-1"].Client
	createPPRTable(t, c, "ras")
	_, err := c.DescribeTableReplicaAutoScaling(bg, &dynamodb.DescribeTableReplicaAutoScalingInput{TableName: aws.String("ras")})
	wantErr(t, err, "ResourceNotFoundException", "Global table with name: 'ras' does not exist.")
	_, err = c.UpdateTableReplicaAutoScaling(bg, &dynamodb.UpdateTableReplicaAutoScalingInput{TableName: aws.String("nope")})
	wantErr(t, err, "ResourceNotFoundException", "Global table with name: 'nope' does not exist.")
	addReplica(t, c, "ras", "us-west-2")
	waitReplicaActive(t, c, "ras", "us-west-2")
	out, err := c.DescribeTableReplicaAutoScaling(bg, &dynamodb.DescribeTableReplicaAutoScalingInput{TableName: aws.String("ras")})
	if err != nil {
		t.Fatal(err)
	}
	d := out.TableAutoScalingDescription
	var regions []string
	for _, r := range d.Replicas {
		regions = append(regions, aws.ToString(r.RegionName)+":"+string(r.ReplicaStatus))
	}
	if aws.ToString(d.TableName) != "ras" || d.TableStatus != types.TableStatusActive || strings.Join(regions, ",") != "us-east-1:ACTIVE,us-west-2:ACTIVE" {
		t.Fatalf("description: %+v %v", d, regions)
	}
	_, err = c.UpdateTableReplicaAutoScaling(bg, &dynamodb.UpdateTableReplicaAutoScalingInput{TableName: aws.String("ras"),
		ProvisionedWriteCapacityAutoScalingUpdate: &types.AutoScalingSettingsUpdate{MinimumUnits: aws.Int64(1), MaximumUnits: aws.Int64(10)}})
	wantErr(t, err, "ValidationException", "Failed to update global table with name \u2018ras\u2018. Replicas 'US-EAST-1', 'US-WEST-2' BillingMode is PayPerRequest. "+
		"You must convert table's BillingMode to PROVISIONED to set parameters: 'GlobalTableProvisionedWriteCapacityAutoScalingSettingsUpdate'.")
	if _, err := c.UpdateTableReplicaAutoScaling(bg, &dynamodb.UpdateTableReplicaAutoScalingInput{TableName: aws.String("ras"),
		ProvisionedWriteCapacityAutoScalingUpdate: &types.AutoScalingSettingsUpdate{AutoScalingDisabled: aws.Bool(true)}}); err != nil {
		t.Fatalf("disabling only: %v", err)
	}
	_, _, _, raw := ctlRaw(t, rs["us-east-1"].URL, "DescribeTableReplicaAutoScaling", `{"TableName":"ras"}`)
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil || m["TableAutoScalingDescription"] == nil {
		t.Fatalf("raw: %s %v", raw, err)
	}
}
