package store

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/ddb"
)

// capCreate creates a provisioned table "pk"(S) with read/write units and
// optional GSIs on attribute "g"(S), each with its own units.
func capCreate(t *testing.T, c *dynamodb.Client, name string, rcu, wcu int64, gsis map[string][2]int64, tags ...types.Tag) {
	t.Helper()
	in := &dynamodb.CreateTableInput{
		TableName:             aws.String(name),
		AttributeDefinitions:  []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(rcu), WriteCapacityUnits: aws.Int64(wcu)},
		Tags:                  tags,
	}
	if len(gsis) > 0 {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS})
	}
	for ix, u := range gsis {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:             aws.String(ix),
			KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection:            &types.Projection{ProjectionType: types.ProjectionTypeAll},
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(u[0]), WriteCapacityUnits: aws.Int64(u[1])},
		})
	}
	if _, err := c.CreateTable(bg, in); err != nil {
		t.Fatal(err)
	}
}

func TestCapacityStatsRows(t *testing.T) {
	ts := newTestServer(t)
	capCreate(t, ts.Client, "bbb", 5, 6, map[string][2]int64{"zzz": {1, 2}, "aaa": {3, 4}})
	capCreate(t, ts.Client, "aaa", 7, 8, nil)
	got := ts.Node.CapacityStats()
	want := []CapacityStats{
		{Table: "aaa", ProvisionedRead: 7, ProvisionedWrite: 8},
		{Table: "bbb", ProvisionedRead: 5, ProvisionedWrite: 6},
		{Table: "bbb", Index: "aaa", ProvisionedRead: 3, ProvisionedWrite: 4},
		{Table: "bbb", Index: "zzz", ProvisionedRead: 1, ProvisionedWrite: 2},
	}
	if len(got) != len(want) {
		t.Fatalf("rows %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: got %+v want %+v", i, got[i], want[i])
		}
	}
}

// capClock is an injected clock (Options.Now) that tests move by hand.
type capClock struct{ ns atomic.Int64 }

func newCapClock() *capClock {
	c := &capClock{}
	c.ns.Store(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *capClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *capClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// newCapServer is a node with an injected clock and the given capacity
// mode, and a client (no retries) talking to it directly.
func newCapServer(t *testing.T, mode string) (*testServer, *capClock, *dynamodb.Client) {
	t.Helper()
	clk := newCapClock()
	ts := newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true, Now: clk.Now, Capacity: mode})
	c, tr := newClientTransport(ts.Direct)
	t.Cleanup(tr.CloseIdleConnections)
	return ts, clk, c
}

func capIsThrottle(err error) bool {
	var pt *types.ProvisionedThroughputExceededException
	return errors.As(err, &pt)
}

// TestCapacityReadThrottleExact drives a 5-RCU table at 20 strongly
// consistent 1-unit reads a second and checks that exactly the reads the
// bucket arithmetic admits succeed: first from the one second of capacity
// a new bucket holds, then, after 300 s idle, from a full burst until it
// runs out.
func TestCapacityReadThrottleExact(t *testing.T) {
	ts, clk, c := newCapServer(t, CapacityEnforce)
	capCreate(t, ts.Client, "hot", 5, 5, nil)
	if _, err := c.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hot"),
		Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}}}); err != nil {
		t.Fatal(err)
	}
	// The model, in quarter units: 5 RCU refill 1/4 unit every 50 ms.
	quarter := int64(5 * 4) // one second of capacity at first use
	const full = 300 * 5 * 4
	model := func(steps int, first bool) (ok int) {
		for k := 0; k < steps; k++ {
			if k > 0 || !first {
				quarter = min(full, quarter+1)
			}
			if quarter > 0 {
				ok++
				quarter -= 4
			}
		}
		return ok
	}
	drive := func(steps int) (ok, throttled int) {
		for k := 0; k < steps; k++ {
			if k > 0 {
				clk.Advance(50 * time.Millisecond)
			}
			_, err := c.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("hot"), ConsistentRead: aws.Bool(true),
				Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}}})
			switch {
			case err == nil:
				ok++
			case capIsThrottle(err):
				throttled++
			default:
				t.Fatal(err)
			}
		}
		return ok, throttled
	}
	ok, thr := drive(1200) // 60 s
	if want := model(1200, true); ok != want || thr != 1200-want {
		t.Fatalf("first minute: %d ok, %d throttled; the bucket admits %d", ok, thr, want)
	}
	clk.Advance(300 * time.Second)
	quarter = min(full, quarter+300*5*4)
	ok, thr = drive(2400) // 120 s: the burst (1500 units) runs out after 100 s
	want := model(2400, true)
	if ok != want || thr != 2400-want {
		t.Fatalf("after the burst: %d ok, %d throttled; the bucket admits %d", ok, thr, want)
	}
	if thr == 0 || ok < 1500 {
		t.Fatalf("burst not seen: %d ok, %d throttled", ok, thr)
	}
	st := ts.Node.CapacityStats()[0]
	if st.ReadThrottleEvents == 0 || st.ThrottledRequests != st.ReadThrottleEvents {
		t.Fatalf("stats %+v", st)
	}
}

func capItem(pk string, extra ...string) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}
	for i := 0; i+1 < len(extra); i += 2 {
		it[extra[i]] = &types.AttributeValueMemberS{Value: extra[i+1]}
	}
	return it
}

// throttleOf returns the throttling error's reason and resource, or fails.
func throttleOf(t *testing.T, err error) (msg, reason, resource string) {
	t.Helper()
	var pt *types.ProvisionedThroughputExceededException
	if errors.As(err, &pt) {
		if len(pt.ThrottlingReasons) != 1 {
			t.Fatalf("reasons %+v", pt.ThrottlingReasons)
		}
		return aws.ToString(pt.Message), aws.ToString(pt.ThrottlingReasons[0].Reason), aws.ToString(pt.ThrottlingReasons[0].Resource)
	}
	var te *types.ThrottlingException
	if errors.As(err, &te) {
		if len(te.ThrottlingReasons) != 1 {
			t.Fatalf("reasons %+v", te.ThrottlingReasons)
		}
		return aws.ToString(te.Message), aws.ToString(te.ThrottlingReasons[0].Reason), aws.ToString(te.ThrottlingReasons[0].Resource)
	}
	t.Fatalf("not a throttling error: %v", err)
	return
}

// TestCapacityGSIBackPressure: a GSI out of write capacity throttles the
// table's writes that touch it (DynamoDB's GSI message and reason), while
// writes that leave the index alone go on.
func TestCapacityGSIBackPressure(t *testing.T) {
	ts, _, c := newCapServer(t, CapacityEnforce)
	capCreate(t, ts.Client, "tbl", 100, 100, map[string][2]int64{"byg": {100, 1}})
	put := func(it map[string]types.AttributeValue) error {
		_, err := c.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("tbl"), Item: it})
		return err
	}
	// The GSI bucket holds 1 unit: the first indexed write takes it.
	if err := put(capItem("a", "g", "x")); err != nil {
		t.Fatal(err)
	}
	err := put(capItem("b", "g", "y"))
	msg, reason, res := throttleOf(t, err)
	if msg != msgThrottledIndex || reason != "IndexWriteProvisionedThroughputExceeded" || res != "arn:aws:dynamodb:us-east-1:000000000000:table/tbl/index/byg" {
		t.Fatalf("got %q %q %q", msg, reason, res)
	}
	// Nothing was written.
	out, err := c.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("tbl"), Key: capItem("b"), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item != nil {
		t.Fatalf("throttled write stored: %v %v", out, err)
	}
	// Not in the index: the table's capacity alone decides.
	if err := put(capItem("c")); err != nil {
		t.Fatal(err)
	}
	var gsi CapacityStats
	for _, st := range ts.Node.CapacityStats() {
		if st.Index == "byg" {
			gsi = st
		}
	}
	if gsi.WriteThrottleEvents != 1 || gsi.ConsumedWrite != 1 {
		t.Fatalf("gsi stats %+v", gsi)
	}
}

// TestCapacityBatchPartial: BatchWriteItem and BatchGetItem return what
// the buckets refuse as UnprocessedItems / UnprocessedKeys, and fail
// whole only when every item is refused.
func TestCapacityBatchPartial(t *testing.T) {
	ts, clk, c := newCapServer(t, CapacityEnforce)
	capCreate(t, ts.Client, "bat", 2, 2, nil)
	var reqs []types.WriteRequest
	for i := 0; i < 5; i++ {
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: capItem(string(rune('a' + i)))}})
	}
	out, err := c.BatchWriteItem(bg, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"bat": reqs}})
	if err != nil {
		t.Fatal(err)
	}
	// 2 units in the bucket: two writes pass, three are left.
	if n := len(out.UnprocessedItems["bat"]); n != 3 {
		t.Fatalf("unprocessed %d, want 3", n)
	}
	_, err = c.BatchWriteItem(bg, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"bat": reqs[2:]}})
	if !capIsThrottle(err) {
		t.Fatalf("all throttled: %v", err)
	}
	clk.Advance(time.Second)
	if _, err := c.BatchWriteItem(bg, &dynamodb.BatchWriteItemInput{RequestItems: out.UnprocessedItems}); err != nil {
		t.Fatal(err)
	}
	var keys []map[string]types.AttributeValue
	for i := 0; i < 5; i++ {
		keys = append(keys, capItem(string(rune('a'+i))))
	}
	gout, err := c.BatchGetItem(bg, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"bat": {Keys: keys, ConsistentRead: aws.Bool(true)}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(gout.Responses["bat"]) != 2 || len(gout.UnprocessedKeys["bat"].Keys) != 3 {
		t.Fatalf("got %d, unprocessed %d", len(gout.Responses["bat"]), len(gout.UnprocessedKeys["bat"].Keys))
	}
	_, err = c.BatchGetItem(bg, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"bat": {Keys: keys}}})
	if !capIsThrottle(err) {
		t.Fatalf("all throttled: %v", err)
	}
}

// TestCapacityTransactionReasons: a throttled transaction is cancelled
// with a reason for the item over capacity, and writes nothing.
func TestCapacityTransactionReasons(t *testing.T) {
	ts, _, c := newCapServer(t, CapacityEnforce)
	capCreate(t, ts.Client, "rich", 100, 100, nil)
	capCreate(t, ts.Client, "poor", 1, 1, nil)
	tx := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("rich"), Item: capItem("r1")}},
		{Put: &types.Put{TableName: aws.String("poor"), Item: capItem("p1")}},
	}}
	// The first transaction takes poor's unit (twice over: it goes negative).
	if _, err := c.TransactWriteItems(bg, tx); err != nil {
		t.Fatal(err)
	}
	tx.ClientRequestToken = aws.String("second")
	tx.TransactItems[0].Put.Item = capItem("r2")
	tx.TransactItems[1].Put.Item = capItem("p2")
	_, err := c.TransactWriteItems(bg, tx)
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		t.Fatalf("got %v", err)
	}
	if len(tc.CancellationReasons) != 2 || aws.ToString(tc.CancellationReasons[0].Code) != "None" ||
		aws.ToString(tc.CancellationReasons[1].Code) != "ProvisionedThroughputExceeded" ||
		aws.ToString(tc.CancellationReasons[1].Message) != msgThrottledTable {
		t.Fatalf("reasons %+v", tc.CancellationReasons)
	}
	if want := "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ProvisionedThroughputExceeded]"; aws.ToString(tc.Message) != want {
		t.Fatalf("message %q", aws.ToString(tc.Message))
	}
	out, err := c.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("rich"), Key: capItem("r2"), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item != nil {
		t.Fatalf("cancelled transaction wrote: %v %v", out, err)
	}
	// poor's read bucket holds 1 unit: a strongly consistent read empties it.
	if _, err := c.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("poor"), Key: capItem("p1"), ConsistentRead: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.TransactGetItems(bg, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: aws.String("rich"), Key: capItem("r1")}},
		{Get: &types.Get{TableName: aws.String("poor"), Key: capItem("p1")}},
	}})
	if !errors.As(err, &tc) || aws.ToString(tc.CancellationReasons[0].Code) != "None" ||
		aws.ToString(tc.CancellationReasons[1].Code) != "ProvisionedThroughputExceeded" {
		t.Fatalf("transact get: %v", err)
	}
	var st CapacityStats
	for _, s := range ts.Node.CapacityStats() {
		if s.Table == "poor" {
			st = s
		}
	}
	if st.ConsumedWrite != 2 || st.ThrottledRequests == 0 {
		t.Fatalf("poor stats %+v", st)
	}
}

// TestCapacityOnDemandMaximum: an on-demand table with
// OnDemandThroughput.MaxWriteRequestUnits throttles above it with
// ThrottlingException and the MaxOnDemandThroughputExceeded reason.
func TestCapacityOnDemandMaximum(t *testing.T) {
	ts, clk, c := newCapServer(t, CapacityEnforce)
	if _, err := ts.Client.CreateTable(bg, &dynamodb.CreateTableInput{
		TableName:            aws.String("ond"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
		OnDemandThroughput:   &types.OnDemandThroughput{MaxWriteRequestUnits: aws.Int64(10)},
	}); err != nil {
		t.Fatal(err)
	}
	ok := 0
	var last error
	for i := 0; i < 20; i++ {
		_, err := c.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("ond"), Item: capItem(string(rune('a' + i)))})
		if err != nil {
			last = err
			continue
		}
		ok++
	}
	if ok != 10 {
		t.Fatalf("%d writes passed a 10-unit maximum", ok)
	}
	msg, reason, res := throttleOf(t, last)
	if msg != msgThrottledOnDemand || reason != "TableWriteMaxOnDemandThroughputExceeded" || res != "arn:aws:dynamodb:us-east-1:000000000000:table/ond" {
		t.Fatalf("got %q %q %q", msg, reason, res)
	}
	// Reads have no maximum: only the per-table quota.
	for i := 0; i < 50; i++ {
		if _, err := c.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("ond"), Key: capItem("a")}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(time.Second)
	if _, err := c.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("ond"), Item: capItem("z")}); err != nil {
		t.Fatal(err)
	}
}

// TestCapacityHotPartition: a 4,000-WCU table has 4 partitions of 1,000
// WCU; one partition key written at 2,000 units/s is throttled with the
// KeyRangeThroughputExceeded reason while the table has capacity left.
func TestCapacityHotPartition(t *testing.T) {
	ts, clk, c := newCapServer(t, CapacityEnforce)
	capCreate(t, ts.Client, "hpk", 100, 4000, nil)
	big := strings.Repeat("x", 3500) // 4 units a write
	ok, throttled := 0, 0
	var last error
	for i := 0; i < 400; i++ { // 2,000 writes (8,000 units) a second for 0.2 s, one key
		if i > 0 {
			clk.Advance(500 * time.Microsecond)
		}
		_, err := c.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hpk"), Item: capItem("hot", "v", big)})
		switch {
		case err == nil:
			ok++
		case capIsThrottle(err):
			throttled++
			last = err
		default:
			t.Fatal(err)
		}
	}
	// The partition starts with 1,000 units and earns half a unit a step;
	// the table's 4,000 (plus 800 earned) are never exhausted. In half
	// units:
	want, half := 0, 2000
	for i := 0; i < 400; i++ {
		if i > 0 {
			half = min(half+1, 2000)
		}
		if half > 0 {
			want++
			half -= 8
		}
	}
	if ok != want || throttled != 400-want || throttled == 0 {
		t.Fatalf("%d ok, %d throttled; the partition admits %d", ok, throttled, want)
	}
	if _, reason, _ := throttleOf(t, last); reason != "TableWriteKeyRangeThroughputExceeded" {
		t.Fatalf("reason %q", reason)
	}
	// Other keys (in other partitions or not) are not all throttled.
	passed := 0
	for i := 0; i < 16; i++ {
		if _, err := c.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hpk"), Item: capItem(fmt.Sprint("cold", i))}); err == nil {
			passed++
		}
	}
	if passed == 0 {
		t.Fatal("every partition throttled")
	}
}

// TestCapacityTagOverride: the dynax:capacity tag turns enforcement on
// for one table of a node that does not enforce, and off for one of a
// node that does.
func TestCapacityTagOverride(t *testing.T) {
	for _, mode := range []string{CapacityOff, CapacityEnforce} {
		ts, _, c := newCapServer(t, mode)
		other := CapacityEnforce
		if mode == CapacityEnforce {
			other = CapacityOff
		}
		capCreate(t, ts.Client, "plain", 1, 1, nil)
		capCreate(t, ts.Client, "tagged", 1, 1, nil, types.Tag{Key: aws.String(CapacityTagKey), Value: aws.String(other)})
		throttledOf := func(table string) bool {
			for i := 0; i < 5; i++ {
				if _, err := c.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String(table), Item: capItem("k")}); capIsThrottle(err) {
					return true
				}
			}
			return false
		}
		if got := throttledOf("plain"); got != (mode == CapacityEnforce) {
			t.Errorf("node %s: plain table throttled=%v", mode, got)
		}
		if got := throttledOf("tagged"); got != (other == CapacityEnforce) {
			t.Errorf("node %s: tagged table throttled=%v", mode, got)
		}
	}
}

// TestCapacitySDKRetries: a Go SDK client with its default retryer,
// against a throttled table (real clock), completes every write.
func TestCapacitySDKRetries(t *testing.T) {
	ts := newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true, Capacity: CapacityEnforce})
	capCreate(t, ts.Client, "retry", 5, 10, nil)
	c := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.Direct),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	const n = 40
	for i := 0; i < n; i++ {
		if _, err := c.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("retry"), Item: capItem(fmt.Sprint("k", i))}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	st := ts.Node.CapacityStats()[0]
	if st.ConsumedWrite != n || st.WriteThrottleEvents == 0 {
		t.Fatalf("stats %+v: expected throttles the SDK retried", st)
	}
}

// TestCapacityUpdateLimits: under enforcement, decreases beyond the
// day's allowance and a fifth switch to on-demand in 24 hours are refused
// with DynamoDB's LimitExceededException texts; without it they pass.
func TestCapacityUpdateLimits(t *testing.T) {
	ts, clk, c := newCapServer(t, CapacityEnforce)
	capCreate(t, c, "dec", 100, 100, nil)
	// 00:10 UTC: four free decreases, then one an hour.
	clk.ns.Store(time.Date(2026, 3, 2, 0, 10, 0, 0, time.UTC).UnixNano())
	update := func(table string, r int64) error {
		_, err := c.UpdateTable(bg, &dynamodb.UpdateTableInput{TableName: aws.String(table),
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(r), WriteCapacityUnits: aws.Int64(5)}})
		return err
	}
	for i := int64(0); i < 4; i++ {
		if err := update("dec", 50-i); err != nil {
			t.Fatalf("decrease %d: %v", i+1, err)
		}
	}
	err := update("dec", 40)
	var le *types.LimitExceededException
	want := "Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day. " +
		"After the first 4 decreases, each subsequent decrease in the same UTC day can be performed at most once every 3600 seconds. " +
		"Number of decreases today: 4. Last decrease at Monday, March 2, 2026 at 12:10:00 AM Coordinated Universal Time. " +
		"Next decrease can be made at Monday, March 2, 2026 at 1:10:00 AM Coordinated Universal Time"
	if !errors.As(err, &le) || aws.ToString(le.Message) != want {
		t.Fatalf("fifth decrease: %v", err)
	}
	if err := update("dec", 60); err != nil { // increases are not limited
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if err := update("dec", 40); err != nil {
		t.Fatalf("decrease an hour later: %v", err)
	}
	if err := update("dec", 30); !errors.As(err, &le) {
		t.Fatalf("second decrease within the hour: %v", err)
	}

	capCreate(t, c, "swi", 5, 5, nil)
	clk.ns.Store(time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC).UnixNano())
	mode := func(m types.BillingMode) error {
		in := &dynamodb.UpdateTableInput{TableName: aws.String("swi"), BillingMode: m}
		if m == types.BillingModeProvisioned {
			in.ProvisionedThroughput = &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}
		}
		_, err := c.UpdateTable(bg, in)
		return err
	}
	for i := 0; i < 4; i++ {
		if err := mode(types.BillingModePayPerRequest); err != nil {
			t.Fatalf("switch %d: %v", i+1, err)
		}
		clk.Advance(time.Minute)
		if err := mode(types.BillingModeProvisioned); err != nil { // back: any time
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
	}
	err = mode(types.BillingModePayPerRequest)
	want = "Subscriber limit exceeded: Update to PayPerRequest mode are limited to 4 times in 1 day(s). " +
		"Last update at Tue Mar 03 08:06:00 UTC 2026. Next update can be made at Wed Mar 04 08:00:00 UTC 2026"
	if !errors.As(err, &le) || aws.ToString(le.Message) != want {
		t.Fatalf("fifth switch: %v", err)
	}
	clk.Advance(24 * time.Hour)
	if err := mode(types.BillingModePayPerRequest); err != nil {
		t.Fatalf("switch a day later: %v", err)
	}

	// The per-table maximum and the account's.
	_, err = c.CreateTable(bg, &dynamodb.CreateTableInput{TableName: aws.String("huge"),
		AttributeDefinitions:  []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(40001), WriteCapacityUnits: aws.Int64(1)}})
	if !errors.As(err, &le) || !strings.HasPrefix(aws.ToString(le.Message), "The requested ReadCapacityUnits, 40001, is above the per table maximum for the account in us-east-1. Per table maximum: 40000.") {
		t.Fatalf("over the table maximum: %v", err)
	}
	capCreate(t, c, "big1", 40000, 1, nil)
	capCreate(t, c, "big2", 39000, 1, nil)
	if err := update("dec", 1100); !errors.As(err, &le) || !strings.HasPrefix(aws.ToString(le.Message), "This request would have caused the ReadCapacityUnits limit to be exceeded for the account in us-east-1.") {
		t.Fatalf("over the account maximum: %v", err)
	}

	// Without enforcement nothing is limited.
	ts2, _, c2 := newCapServer(t, CapacityOff)
	_ = ts2
	capCreate(t, c2, "free", 100, 100, nil)
	for i := int64(0); i < 8; i++ {
		if _, err := c2.UpdateTable(bg, &dynamodb.UpdateTableInput{TableName: aws.String("free"),
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(90 - i), WriteCapacityUnits: aws.Int64(5)}}); err != nil {
			t.Fatal(err)
		}
	}
	_ = ts
}

// TestCapacityPartitionSpread: the partitions of both key layouts are
// ranges of the key hash, so a hundred keys reach every one of eight
// partitions (the DynamoDB layout's hash has its low byte zero: a modulus
// sent every key to one partition, throttling a whole table at 1,000 WCU).
func TestCapacityPartitionSpread(t *testing.T) {
	for _, h := range []keyHash{keyHashFNV, keyHashDynamo} {
		cfg := &capConfig{parts: make([]partBuckets, 8)}
		hit := map[*partBuckets]int{}
		for i := 0; i < 100; i++ {
			pk := ddb.Value{T: ddb.TypeS, S: fmt.Sprintf("key-%06d", i)}
			hit[cfg.part(itemKey(nil, 7, h, pk, ddb.Value{}))]++
		}
		if len(hit) != 8 {
			t.Errorf("layout %d: 100 keys in %d of 8 partitions: %v", h, len(hit), hit)
		}
	}
}
