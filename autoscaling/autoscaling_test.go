package autoscaling_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/autoscaling"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// load is a synthetic workload: consumed capacity accrues at a rate that
// the test sets, integrated over real time, so the scaler's per-minute
// figures are exact whatever the scheduler does.
type load struct {
	mu    sync.Mutex
	rate  map[string]float64 // table → write units per second
	total map[string]float64
	at    time.Time
}

func newLoad() *load {
	return &load{rate: map[string]float64{}, total: map[string]float64{}, at: time.Now()}
}

func (l *load) advance() {
	now := time.Now()
	d := now.Sub(l.at).Seconds()
	for t, r := range l.rate {
		l.total[t] += r * d
	}
	l.at = now
}

func (l *load) set(table string, rate float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.advance()
	l.rate[table] = rate
}

func (l *load) consumed(table string) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.advance()
	return l.total[table]
}

// env is a real store node and the auto scaling service on one listener,
// with SDK clients of both services pointed at it.
type env struct {
	node *store.Node
	svc  *autoscaling.Service
	opts autoscaling.Options
	url  string
	ddb  *dynamodb.Client
	aas  *aas.Client
	load *load
	srv  *fasthttp.Server
}

func newEnv(t *testing.T, dir string, period time.Duration) *env {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	node, err := store.Open(store.Options{Dir: dir + "/store", NoSync: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{node: node, load: newLoad()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.url = "http://" + ln.Addr().String()
	tr := &http.Transport{}
	hc := &http.Client{Transport: tr}
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	e.ddb = dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.url), Credentials: creds, HTTPClient: hc})
	e.aas = aas.New(aas.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.url), Credentials: creds, HTTPClient: hc})
	e.opts = autoscaling.Options{Dir: dir, DynamoDB: node, Period: period, Logger: log, Usage: e.usage}
	if e.svc, err = autoscaling.Open(e.opts); err != nil {
		t.Fatal(err)
	}
	ws := wire.NewServer(node, log)
	as := wire.NewServer(e.svc, log)
	e.srv = ws.FastHTTP(as.ForPrefix(wire.PrefixAutoScaling, ws.ServeFastHTTP))
	go func() { _ = e.srv.Serve(ln) }()
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		_ = e.srv.Shutdown()
		_ = e.svc.Close()
		_ = node.Close()
	})
	return e
}

// usage reads the provisioned figures from the node's DescribeTable and
// the consumed ones from the synthetic load.
func (e *env) usage() []autoscaling.Usage {
	ctx := context.Background()
	var out []autoscaling.Usage
	lt, err := e.ddb.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		return nil
	}
	for _, name := range lt.TableNames {
		d, err := e.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			continue
		}
		tb := d.Table
		u := autoscaling.Usage{Table: name, ConsumedWrite: e.load.consumed(name)}
		if tb.BillingModeSummary != nil && tb.BillingModeSummary.BillingMode == ddbtypes.BillingModePayPerRequest {
			u.OnDemand = true
		} else if pt := tb.ProvisionedThroughput; pt != nil {
			u.ProvisionedRead, u.ProvisionedWrite = aws.ToInt64(pt.ReadCapacityUnits), aws.ToInt64(pt.WriteCapacityUnits)
		}
		out = append(out, u)
		for _, g := range tb.GlobalSecondaryIndexes {
			gu := autoscaling.Usage{Table: name, Index: aws.ToString(g.IndexName), OnDemand: u.OnDemand}
			if pt := g.ProvisionedThroughput; pt != nil {
				gu.ProvisionedRead, gu.ProvisionedWrite = aws.ToInt64(pt.ReadCapacityUnits), aws.ToInt64(pt.WriteCapacityUnits)
			}
			out = append(out, gu)
		}
	}
	return out
}

func (e *env) createTable(t *testing.T, name string, rcu, wcu int64) {
	t.Helper()
	in := &dynamodb.CreateTableInput{TableName: aws.String(name),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}}}
	if rcu == 0 {
		in.BillingMode = ddbtypes.BillingModePayPerRequest
	} else {
		in.ProvisionedThroughput = &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(rcu), WriteCapacityUnits: aws.Int64(wcu)}
	}
	if _, err := e.ddb.CreateTable(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func (e *env) writeCapacity(t *testing.T, name string) int64 {
	t.Helper()
	d, err := e.ddb.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToInt64(d.Table.ProvisionedThroughput.WriteCapacityUnits)
}

// waitCapacity waits until the table's write capacity is within [lo, hi]
// and returns it.
func (e *env) waitCapacity(t *testing.T, name string, lo, hi int64, within time.Duration) int64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := e.writeCapacity(t, name)
		if got >= lo && got <= hi {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("write capacity of %s is %d after %v, want %d to %d", name, got, within, lo, hi)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func registerAndTrack(t *testing.T, c *aas.Client, id string, lo, hi int32, target float64) *aas.PutScalingPolicyOutput {
	t.Helper()
	ctx := context.Background()
	if _, err := c.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb,
		ResourceId: aws.String(id), ScalableDimension: aastypes.ScalableDimensionDynamoDBTableWriteCapacityUnits,
		MinCapacity: aws.Int32(lo), MaxCapacity: aws.Int32(hi)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String("write-tracking"),
		ServiceNamespace: aastypes.ServiceNamespaceDynamodb, ResourceId: aws.String(id),
		ScalableDimension: aastypes.ScalableDimensionDynamoDBTableWriteCapacityUnits, PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
			TargetValue:                   aws.Float64(target),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeDynamoDBWriteCapacityUtilization},
		}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestScalerRaisesAndLowers drives a table with a synthetic write load
// under a compressed clock: capacity rises to consumed/target after the
// high alarm's two minutes, then falls to the minimum after the low
// alarm's fifteen once the load stops.
func TestScalerRaisesAndLowers(t *testing.T) {
	e := newEnv(t, t.TempDir(), 20*time.Millisecond)
	e.createTable(t, "orders", 5, 5)
	pol := registerAndTrack(t, e.aas, "table/orders", 5, 100, 50)
	if len(pol.Alarms) != 4 || !strings.HasPrefix(aws.ToString(pol.Alarms[0].AlarmName), "TargetTracking-table/orders-AlarmHigh-") {
		t.Fatalf("alarms: %+v", pol.Alarms)
	}
	if !strings.HasPrefix(aws.ToString(pol.PolicyARN), "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:") ||
		!strings.HasSuffix(aws.ToString(pol.PolicyARN), ":resource/dynamodb/table/orders:policyName/write-tracking") {
		t.Fatalf("policy ARN %s", aws.ToString(pol.PolicyARN))
	}

	// 20 WCU/s is 400% of 5 WCU: the new capacity holds 50%, 40 units
	// (a little more when a minute's figure runs long on a busy machine).
	e.load.set("orders", 20)
	up := e.waitCapacity(t, "orders", 40, 50, 5*time.Second)
	e.load.set("orders", 0)
	e.waitCapacity(t, "orders", 5, 5, 5*time.Second)
	upText := strconv.FormatInt(up, 10)

	// The scale-in's activity turns Successful once UpdateTable returned.
	var acts *aas.DescribeScalingActivitiesOutput
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var err error
		acts, err = e.aas.DescribeScalingActivities(context.Background(), &aas.DescribeScalingActivitiesInput{
			ServiceNamespace: aastypes.ServiceNamespaceDynamodb, ResourceId: aws.String("table/orders")})
		if err != nil {
			t.Fatal(err)
		}
		if len(acts.ScalingActivities) != 2 || acts.ScalingActivities[0].StatusCode == aastypes.ScalingActivityStatusCodeSuccessful || time.Now().After(deadline) {
			break
		}
	}
	if len(acts.ScalingActivities) != 2 {
		t.Fatalf("%d activities, want 2: %+v", len(acts.ScalingActivities), acts.ScalingActivities)
	}
	in, out := acts.ScalingActivities[0], acts.ScalingActivities[1] // newest first
	for _, c := range []struct {
		a          aastypes.ScalingActivity
		n, alarm   string
		statusText string
	}{{out, upText, "AlarmHigh", "Successfully set write capacity units to " + upText + ". Change successfully fulfilled by dynamodb."},
		{in, "5", "AlarmLow", "Successfully set write capacity units to 5. Change successfully fulfilled by dynamodb."}} {
		if aws.ToString(c.a.Description) != "Setting write capacity units to "+c.n+"." || c.a.StatusCode != aastypes.ScalingActivityStatusCodeSuccessful ||
			aws.ToString(c.a.StatusMessage) != c.statusText ||
			!strings.HasPrefix(aws.ToString(c.a.Cause), "monitor alarm TargetTracking-table/orders-"+c.alarm+"-") ||
			!strings.HasSuffix(aws.ToString(c.a.Cause), " in state ALARM triggered policy write-tracking") {
			t.Errorf("activity: %+v", c.a)
		}
	}
}

// TestRegisterBringsCapacityIntoRange: registering a range that excludes
// the current capacity sets it to the nearest bound, with the service's
// activity texts.
func TestRegisterBringsCapacityIntoRange(t *testing.T) {
	e := newEnv(t, t.TempDir(), time.Hour)
	e.createTable(t, "tbl", 5, 5)
	ctx := context.Background()
	if _, err := e.aas.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb,
		ResourceId: aws.String("table/tbl"), ScalableDimension: aastypes.ScalableDimensionDynamoDBTableWriteCapacityUnits,
		MinCapacity: aws.Int32(15), MaxCapacity: aws.Int32(20)}); err != nil {
		t.Fatal(err)
	}
	if got := e.writeCapacity(t, "tbl"); got != 15 {
		t.Fatalf("write capacity %d, want 15", got)
	}
	acts, err := e.aas.DescribeScalingActivities(ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb})
	if err != nil {
		t.Fatal(err)
	}
	if len(acts.ScalingActivities) != 1 || aws.ToString(acts.ScalingActivities[0].Cause) != "minimum capacity was set to 15" ||
		aws.ToString(acts.ScalingActivities[0].Description) != "Setting write capacity units to 15." {
		t.Fatalf("activities: %+v", acts.ScalingActivities)
	}
	tg, err := e.aas.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb})
	if err != nil {
		t.Fatal(err)
	}
	if len(tg.ScalableTargets) != 1 || aws.ToInt32(tg.ScalableTargets[0].MinCapacity) != 15 || aws.ToInt32(tg.ScalableTargets[0].MaxCapacity) != 20 ||
		!strings.HasPrefix(aws.ToString(tg.ScalableTargets[0].ScalableTargetARN), "arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/") ||
		tg.ScalableTargets[0].CreationTime == nil {
		t.Fatalf("targets: %+v", tg.ScalableTargets)
	}
	// An update of the range alone keeps the target and its ARN.
	if _, err := e.aas.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb,
		ResourceId: aws.String("table/tbl"), ScalableDimension: aastypes.ScalableDimensionDynamoDBTableWriteCapacityUnits, MaxCapacity: aws.Int32(12),
		MinCapacity: aws.Int32(10)}); err != nil {
		t.Fatal(err)
	}
	if got := e.writeCapacity(t, "tbl"); got != 12 {
		t.Fatalf("write capacity %d, want 12", got)
	}
}

func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || ae.ErrorMessage() != msg {
		t.Fatalf("got %s: %q\nwant %s: %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// TestAPIErrors: the service's errors and texts for missing objects and
// bad input.
func TestAPIErrors(t *testing.T) {
	e := newEnv(t, t.TempDir(), time.Hour)
	e.createTable(t, "tbl", 5, 5)
	e.createTable(t, "ondemand", 0, 0)
	ctx := context.Background()
	ns := aastypes.ServiceNamespaceDynamodb
	reg := func(id string, dim aastypes.ScalableDimension, lo, hi *int32) error {
		_, err := e.aas.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String(id),
			ScalableDimension: dim, MinCapacity: lo, MaxCapacity: hi})
		return err
	}
	wantAPIError(t, reg("table/nope", aastypes.ScalableDimensionDynamoDBTableReadCapacityUnits, aws.Int32(1), aws.Int32(5)),
		"ValidationException", "DynamoDB table does not exist: table/nope")
	wantAPIError(t, reg("table/tbl/index/gsi", aastypes.ScalableDimensionDynamoDBIndexReadCapacityUnits, aws.Int32(1), aws.Int32(5)),
		"ValidationException", "DynamoDB index does not exist: table/tbl/index/gsi")
	wantAPIError(t, reg("table/tbl", aastypes.ScalableDimensionDynamoDBIndexReadCapacityUnits, aws.Int32(1), aws.Int32(5)),
		"ValidationException", "Unsupported service namespace, resource type or scalable dimension")
	wantAPIError(t, reg("table/tbl", aastypes.ScalableDimensionDynamoDBTableReadCapacityUnits, aws.Int32(10), aws.Int32(5)),
		"ValidationException", "Maximum capacity cannot be less than minimum capacity")
	wantAPIError(t, reg("table/tbl", "dynamodb:table:Bogus", aws.Int32(1), aws.Int32(5)),
		"ValidationException", "1 validation error detected: Value 'dynamodb:table:Bogus' at 'scalableDimension' failed to satisfy constraint: Member must satisfy enum value set: [ecs:service:DesiredCount, ec2:spot-fleet-request:TargetCapacity, elasticmapreduce:instancegroup:InstanceCount, appstream:fleet:DesiredCapacity, dynamodb:table:ReadCapacityUnits, dynamodb:table:WriteCapacityUnits, dynamodb:index:ReadCapacityUnits, dynamodb:index:WriteCapacityUnits, rds:cluster:ReadReplicaCount, sagemaker:variant:DesiredInstanceCount, custom-resource:ResourceType:Property, comprehend:document-classifier-endpoint:DesiredInferenceUnits, comprehend:entity-recognizer-endpoint:DesiredInferenceUnits, lambda:function:ProvisionedConcurrency, cassandra:table:ReadCapacityUnits, cassandra:table:WriteCapacityUnits, kafka:broker-storage:VolumeSize, elasticache:cache-cluster:Nodes, elasticache:replication-group:NodeGroups, elasticache:replication-group:Replicas, neptune:cluster:ReadReplicaCount, sagemaker:variant:DesiredProvisionedConcurrency, sagemaker:inference-component:DesiredCopyCount, workspaces:workspacespool:DesiredUserSessions]")
	if err := reg("table/ondemand", aastypes.ScalableDimensionDynamoDBTableReadCapacityUnits, aws.Int32(1), aws.Int32(5)); err == nil {
		t.Fatal("registered an on-demand table")
	}

	_, err := e.aas.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String("p"), ServiceNamespace: ns,
		ResourceId: aws.String("table/tbl"), ScalableDimension: aastypes.ScalableDimensionDynamoDBTableReadCapacityUnits,
		PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(70),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeDynamoDBReadCapacityUtilization}}})
	wantAPIError(t, err, "ObjectNotFoundException", "No scalable target registered for service namespace: dynamodb, resource ID: table/tbl, scalable dimension: dynamodb:table:ReadCapacityUnits")

	_, err = e.aas.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{PolicyName: aws.String("p"), ServiceNamespace: ns,
		ResourceId: aws.String("table/tbl"), ScalableDimension: aastypes.ScalableDimensionDynamoDBTableReadCapacityUnits})
	wantAPIError(t, err, "ObjectNotFoundException", "No scaling policy found for service namespace: dynamodb, resource ID: table/tbl, scalable dimension: dynamodb:table:ReadCapacityUnits, policy name: p")

	_, err = e.aas.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: ns,
		ResourceId: aws.String("table/tbl"), ScalableDimension: aastypes.ScalableDimensionDynamoDBTableReadCapacityUnits})
	wantAPIError(t, err, "ObjectNotFoundException", "No scalable target found for service namespace: dynamodb, resource ID: table/tbl, scalable dimension: dynamodb:table:ReadCapacityUnits")

	// A read policy on a write dimension, and a deregistration that takes
	// the policies with it.
	if err := reg("table/tbl", aastypes.ScalableDimensionDynamoDBTableWriteCapacityUnits, aws.Int32(1), aws.Int32(50)); err != nil {
		t.Fatal(err)
	}
	_, err = e.aas.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String("p"), ServiceNamespace: ns,
		ResourceId: aws.String("table/tbl"), ScalableDimension: aastypes.ScalableDimensionDynamoDBTableWriteCapacityUnits,
		PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(70),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeDynamoDBReadCapacityUtilization}}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Fatalf("read metric on a write dimension: %v", err)
	}
	registerAndTrack(t, e.aas, "table/tbl", 1, 50, 70)
	if _, err := e.aas.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: ns,
		ResourceId: aws.String("table/tbl"), ScalableDimension: aastypes.ScalableDimensionDynamoDBTableWriteCapacityUnits}); err != nil {
		t.Fatal(err)
	}
	pols, err := e.aas.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	if len(pols.ScalingPolicies) != 0 {
		t.Fatalf("policies left after deregistration: %+v", pols.ScalingPolicies)
	}
}

// TestStateSurvivesRestart: targets, policies and activities are read
// back after the service is closed and opened again.
func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, dir, time.Hour)
	e.createTable(t, "tbl", 5, 5)
	registerAndTrack(t, e.aas, "table/tbl", 10, 20, 60)
	if err := e.svc.Close(); err != nil {
		t.Fatal(err)
	}
	svc, err := autoscaling.Open(e.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ctx := context.Background()
	body := func(op, in string) string {
		out, err := svc.ServeDynamoDB(ctx, &wire.Request{Prefix: wire.PrefixAutoScaling, Operation: op, Body: []byte(in)})
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	if got := body("DescribeScalableTargets", `{"ServiceNamespace":"dynamodb"}`); !strings.Contains(got, `"ResourceId":"table/tbl"`) || !strings.Contains(got, `"MinCapacity":10`) {
		t.Fatalf("targets after restart: %s", got)
	}
	if got := body("DescribeScalingPolicies", `{"ServiceNamespace":"dynamodb"}`); !strings.Contains(got, `"PolicyName":"write-tracking"`) || !strings.Contains(got, `"TargetValue":60`) {
		t.Fatalf("policies after restart: %s", got)
	}
	if got := body("DescribeScalingActivities", `{"ServiceNamespace":"dynamodb"}`); !strings.Contains(got, `"Cause":"minimum capacity was set to 10"`) {
		t.Fatalf("activities after restart: %s", got)
	}
}
