package store

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

func ttlUpdate(ts *testServer, table string, enabled bool, attr string) error {
	_, err := ts.Client.UpdateTimeToLive(bg, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(enabled), AttributeName: aws.String(attr)}})
	return err
}

func ttlDescribe(t testing.TB, ts *testServer, table string) string {
	t.Helper()
	out, err := ts.Client.DescribeTimeToLive(bg, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("DescribeTimeToLive: %v", err)
	}
	d := out.TimeToLiveDescription
	return string(d.TimeToLiveStatus) + " " + aws.ToString(d.AttributeName)
}

func TestTTLValidation(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "ttlv", []string{"pk:S"})
	f := func(body, wantType, wantMsg string) {
		t.Helper()
		status, typ, msg, _ := ctlRaw(t, ts.URL, "UpdateTimeToLive", body)
		if status != 400 || typ != wantType || msg != wantMsg {
			t.Errorf("%s\n got %d %s %q\nwant 400 %s %q", body, status, typ, msg, wantType, wantMsg)
		}
	}
	f(`{"TableName":"ttlv"}`, "ValidationException",
		"1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null")
	f(`{"TableName":"ttlv","TimeToLiveSpecification":{"AttributeName":"x"}}`, "ValidationException",
		"1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null")
	f(`{"TableName":"ttlv","TimeToLiveSpecification":{"Enabled":true}}`, "ValidationException",
		"1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null")
	f(`{"TableName":"ttlv","TimeToLiveSpecification":{"Enabled":true,"AttributeName":""}}`, "ValidationException",
		"1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1")
	f(`{"TimeToLiveSpecification":{"Enabled":true,"AttributeName":"x"}}`, "ValidationException",
		"1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
	f(`{"TableName":"nope","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"x"}}`, "ResourceNotFoundException",
		"Requested resource not found: Table: nope not found")
	f(`{"TableName":"ttlv","TimeToLiveSpecification":{"Enabled":false,"AttributeName":"x"}}`, "ValidationException", msgTTLAlreadyDisabled)
	status, typ, msg, _ := ctlRaw(t, ts.URL, "DescribeTimeToLive", `{"TableName":"nope"}`)
	if status != 400 || typ != "ResourceNotFoundException" || msg != "Requested resource not found: Table: nope not found" {
		t.Errorf("DescribeTimeToLive of a missing table: %d %s %q", status, typ, msg)
	}

	if got := ttlDescribe(t, ts, "ttlv"); got != "DISABLED " {
		t.Fatalf("fresh table: %q", got)
	}
	out, err := ts.Client.UpdateTimeToLive(bg, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("ttlv"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("exp")}})
	if err != nil || !*out.TimeToLiveSpecification.Enabled || *out.TimeToLiveSpecification.AttributeName != "exp" {
		t.Fatalf("UpdateTimeToLive: %+v %v", out, err)
	}
	if got := ttlDescribe(t, ts, "ttlv"); got != "ENABLED exp" {
		t.Fatalf("enabled: %q", got)
	}
	wantErr(t, ttlUpdate(ts, "ttlv", true, "exp"), "ValidationException", msgTTLAlreadyEnabled)
	wantErr(t, ttlUpdate(ts, "ttlv", true, "other"), "ValidationException", msgTTLAlreadyEnabled)
	if err := ttlUpdate(ts, "ttlv", false, "exp"); err != nil {
		t.Fatal(err)
	}
	if got := ttlDescribe(t, ts, "ttlv"); got != "DISABLED " {
		t.Fatalf("disabled: %q", got)
	}
	wantErr(t, ttlUpdate(ts, "ttlv", false, "exp"), "ValidationException", msgTTLAlreadyDisabled)
	if err := ttlUpdate(ts, "ttlv", true, "other"); err != nil {
		t.Fatal(err)
	}
	if got := ttlDescribe(t, ts, "ttlv"); got != "ENABLED other" {
		t.Fatalf("re-enabled with another attribute: %q", got)
	}
}

func TestTTLTransitions(t *testing.T) {
	clock := newFakeClock()
	ts := newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true, Now: clock.Now, CreateDelay: time.Minute})
	if _, err := ts.Client.CreateTable(bg, &dynamodb.CreateTableInput{TableName: aws.String("ttlt"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}}); err != nil {
		t.Fatal(err)
	}
	clock.Add(2 * time.Minute) // table ACTIVE
	if err := ttlUpdate(ts, "ttlt", true, "exp"); err != nil {
		t.Fatal(err)
	}
	if got := ttlDescribe(t, ts, "ttlt"); got != "ENABLING exp" {
		t.Fatalf("after enable: %q", got)
	}
	wantErr(t, ttlUpdate(ts, "ttlt", false, "exp"), "ValidationException", msgTTLTooOften)
	clock.Add(time.Minute)
	if got := ttlDescribe(t, ts, "ttlt"); got != "ENABLED exp" {
		t.Fatalf("settled: %q", got)
	}
	if err := ttlUpdate(ts, "ttlt", false, "exp"); err != nil {
		t.Fatal(err)
	}
	if got := ttlDescribe(t, ts, "ttlt"); got != "DISABLING exp" {
		t.Fatalf("after disable: %q", got)
	}
	clock.Add(time.Minute)
	if got := ttlDescribe(t, ts, "ttlt"); got != "DISABLED " {
		t.Fatalf("disabled: %q", got)
	}
}

func TestTTLExpiry(t *testing.T) {
	clock := newFakeClock()
	ts := newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true, Now: clock.Now, TTLInterval: time.Hour})
	sc := streamsClient(ts)
	itemsCreateTable(t, ts, "ttle", []string{"pk:S"}, withStream(types.StreamViewTypeNewAndOldImages), func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{IndexName: aws.String("byg"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}
	})
	now := clock.Now().Unix()
	n := func(v int64) av { return avN(strconv.FormatInt(v, 10)) }
	put := func(pk string, exp av) {
		t.Helper()
		it := avItem{"pk": avS(pk), "g": avS("G")}
		if exp != nil {
			it["exp"] = exp
		}
		itemsPut(t, ts, "ttle", it)
	}
	// Items present before TTL is enabled are indexed by the background pass.
	put("old-expired", n(now-10))
	put("old-future", n(now+3600))
	if err := ttlUpdate(ts, "ttle", true, "exp"); err != nil {
		t.Fatal(err)
	}
	put("expired", n(now-1))
	put("fraction", avN(strconv.FormatInt(now-1, 10)+".75"))
	put("future", n(now+3600))
	put("string", avS(strconv.FormatInt(now-10, 10)))
	put("ancient", n(now-6*365*24*3600))
	put("none", nil)
	put("renewed", n(now-5))
	put("renewed", n(now+7200)) // renewed before the expirer ran
	waitIndexed(t, ts.Node, "ttle")

	// Expired but not yet deleted: still read, as in DynamoDB.
	if got := itemsGet(t, ts, "ttle", avItem{"pk": avS("expired")}); got == nil {
		t.Fatal("an expired item vanished before the expirer ran")
	}
	deleted, err := ts.Node.expireDue()
	if err != nil {
		t.Fatal(err)
	}
	if deleted != 3 {
		t.Errorf("expireDue deleted %d items, want 3", deleted)
	}
	present := func() map[string]bool {
		out, err := ts.Client.Scan(bg, &dynamodb.ScanInput{TableName: aws.String("ttle"), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, it := range out.Items {
			m[it["pk"].(*types.AttributeValueMemberS).Value] = true
		}
		return m
	}
	want := map[string]bool{"old-future": true, "future": true, "string": true, "ancient": true, "none": true, "renewed": true}
	if got := present(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("items after expiry: %v, want %v", got, want)
	}
	q, err := ts.Client.Query(bg, &dynamodb.QueryInput{TableName: aws.String("ttle"), IndexName: aws.String("byg"),
		KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: avItem{":g": avS("G")}})
	if err != nil || len(q.Items) != len(want) {
		t.Fatalf("GSI after expiry: %d items, %v", len(q.Items), err)
	}
	d := describe(t, ts.Client, "ttle")
	if *d.ItemCount != int64(len(want)) {
		t.Errorf("ItemCount %d, want %d", *d.ItemCount, len(want))
	}

	// The stream shows the deletions as the service's.
	var removes []string
	for _, r := range readStream(t, sc, *d.LatestStreamArn) {
		if r.EventName != stypes.OperationTypeRemove {
			if r.UserIdentity != nil {
				t.Errorf("userIdentity on %s", r.EventName)
			}
			continue
		}
		if r.UserIdentity == nil || *r.UserIdentity.Type != "Service" || *r.UserIdentity.PrincipalId != "dynamodb.amazonaws.com" {
			t.Errorf("REMOVE without the service identity: %+v", r.UserIdentity)
		}
		if r.Dynamodb.OldImage == nil {
			t.Error("TTL REMOVE without OldImage")
		}
		removes = append(removes, r.Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value)
	}
	slices.Sort(removes) // the sweep's order is the key order of its index
	if fmt.Sprint(removes) != "[expired fraction old-expired]" {
		t.Errorf("TTL removes in the stream: %v", removes)
	}

	// Changing the attribute later is honoured both ways.
	put("future", n(now-1)) // now due
	put("old-future", avS("x"))
	clock.Add(2 * time.Hour)
	if _, err := ts.Node.expireDue(); err != nil {
		t.Fatal(err)
	}
	want = map[string]bool{"old-future": true, "string": true, "ancient": true, "none": true}
	if got := present(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("items after the second round: %v, want %v", got, want)
	}

	// Disabling TTL stops expiry.
	put("late", n(clock.Now().Unix()-1))
	if err := ttlUpdate(ts, "ttle", false, "exp"); err != nil {
		t.Fatal(err)
	}
	if deleted, err := ts.Node.expireDue(); err != nil || deleted != 0 {
		t.Fatalf("expiry with TTL disabled: %d %v", deleted, err)
	}
}

// waitIndexed waits for the TTL indexing pass of table to finish.
func waitIndexed(t testing.TB, n *Node, table string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		if tb, ok := n.cat.get(table); ok && tb.Desc.TTL != nil && tb.Desc.TTL.Indexed {
			return
		}
	}
	t.Fatal("TTL indexing did not finish")
}

// TestTTLBackgroundExpirer checks the expirer's own loop deletes items
// within a couple of intervals, with the real clock.
func TestTTLBackgroundExpirer(t *testing.T) {
	ts := newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true, TTLInterval: 20 * time.Millisecond})
	itemsCreateTable(t, ts, "ttlb", []string{"pk:S"})
	if err := ttlUpdate(ts, "ttlb", true, "exp"); err != nil {
		t.Fatal(err)
	}
	itemsPut(t, ts, "ttlb", avItem{"pk": avS("a"), "exp": avN(strconv.FormatInt(time.Now().Unix()-1, 10))})
	itemsPut(t, ts, "ttlb", avItem{"pk": avS("b"), "exp": avN(strconv.FormatInt(time.Now().Unix()+3600, 10))})
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if itemsGet(t, ts, "ttlb", avItem{"pk": avS("a")}) == nil {
			if itemsGet(t, ts, "ttlb", avItem{"pk": avS("b")}) == nil {
				t.Fatal("the expirer deleted an item that is not due")
			}
			return
		}
	}
	t.Fatal("the expirer did not delete the expired item")
}

// TestTTLRenewalRace renews items while the expirer deletes them: an item
// whose conditional renewal succeeded must survive.
func TestTTLRenewalRace(t *testing.T) {
	clock := newFakeClock()
	ts := newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true, Now: clock.Now, TTLInterval: time.Hour})
	itemsCreateTable(t, ts, "ttlr", []string{"pk:S"})
	if err := ttlUpdate(ts, "ttlr", true, "exp"); err != nil {
		t.Fatal(err)
	}
	const count = 400
	past := strconv.FormatInt(clock.Now().Unix()-1, 10)
	future := strconv.FormatInt(clock.Now().Unix()+3600, 10)
	for i := range count {
		itemsPut(t, ts, "ttlr", avItem{"pk": avS(fmt.Sprint("k", i)), "exp": avN(past)})
	}
	var renewed sync.Map
	var renewals atomic.Int32
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < count; i += 4 {
				_, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("ttlr"),
					Key: avItem{"pk": avS(fmt.Sprint("k", i))}, ConditionExpression: aws.String("attribute_exists(pk)"),
					UpdateExpression: aws.String("SET exp = :f"), ExpressionAttributeValues: avItem{":f": avN(future)}})
				var ccf *types.ConditionalCheckFailedException
				switch {
				case err == nil:
					renewed.Store(i, true)
					renewals.Add(1)
				case errors.As(err, &ccf):
				default:
					t.Error(err)
				}
			}
		}()
	}
	// Let some renewals land first, so both outcomes occur.
	for end := time.Now().Add(10 * time.Second); renewals.Load() < 40 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	total := 0
	for range 50 {
		n, err := ts.Node.expireDue()
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	wg.Wait()
	if n, err := ts.Node.expireDue(); err != nil {
		t.Fatal(err)
	} else {
		total += n
	}
	kept := 0
	for i := range count {
		got := itemsGet(t, ts, "ttlr", avItem{"pk": avS(fmt.Sprint("k", i))})
		_, ok := renewed.Load(i)
		if ok && got == nil {
			t.Errorf("k%d was renewed and then deleted", i)
		}
		if !ok && got != nil {
			t.Errorf("k%d was neither renewed nor deleted", i)
		}
		if got != nil {
			kept++
		}
	}
	if total+kept != count || total == 0 || kept == 0 {
		t.Errorf("deleted %d, kept %d of %d: the race was not exercised", total, kept, count)
	}
}
