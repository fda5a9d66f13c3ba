package store

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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
