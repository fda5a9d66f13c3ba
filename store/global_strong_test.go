package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// stoppableRegion is one Region of strongRegions: a real node behind a
// real listener that the test can take down.
type stoppableRegion struct {
	*testServer
	stop  func()
	start func() // serves again on the same address after stop
}

// strongRegions starts one node per Region, each the peer of the others,
// whose listeners can be stopped (a Region that is down).
func strongRegions(t testing.TB, noSync bool, regions ...string) map[string]*stoppableRegion {
	t.Helper()
	lns := map[string]net.Listener{}
	urls := map[string]string{}
	for _, r := range regions {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[r], urls[r] = ln, "http://"+ln.Addr().String()
	}
	out := map[string]*stoppableRegion{}
	for _, r := range regions {
		peers := map[string]string{}
		for _, o := range regions {
			if o != r {
				peers[o] = urls[o]
			}
		}
		log := slog.New(slog.DiscardHandler)
		n, err := Open(Options{Dir: t.TempDir(), NoSync: noSync, Region: r, Peers: peers, PeerSecret: testPeerSecret, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		srv := wire.NewServer(n, log)
		ln := lns[r]
		go func() { _ = srv.Serve(ln) }()
		client, tr := newClientTransport(urls[r])
		var mu sync.Mutex
		cur := srv
		stop := func() {
			mu.Lock()
			defer mu.Unlock()
			if cur != nil {
				_ = cur.Shutdown()
				cur = nil
			}
		}
		addr := ln.Addr().String()
		start := func() {
			mu.Lock()
			defer mu.Unlock()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			cur = wire.NewServer(n, log)
			s := cur
			go func() { _ = s.Serve(ln) }()
		}
		t.Cleanup(func() {
			tr.CloseIdleConnections()
			stop()
			_ = n.Close()
		})
		out[r] = &stoppableRegion{testServer: &testServer{Node: n, URL: urls[r], Direct: urls[r], Client: client}, stop: stop, start: start}
	}
	return out
}

// makeStrong turns table (in Region from) into a STRONG global table with
// the given replicas and witness ("" for none).
func makeStrong(c *dynamodb.Client, table string, witness string, replicas ...string) (*dynamodb.UpdateTableOutput, error) {
	in := &dynamodb.UpdateTableInput{TableName: aws.String(table), MultiRegionConsistency: types.MultiRegionConsistencyStrong}
	for _, r := range replicas {
		in.ReplicaUpdates = append(in.ReplicaUpdates, types.ReplicationGroupUpdate{Create: &types.CreateReplicationGroupMemberAction{RegionName: aws.String(r)}})
	}
	if witness != "" {
		in.GlobalTableWitnessUpdates = []types.GlobalTableWitnessGroupUpdate{{Create: &types.CreateGlobalTableWitnessGroupMemberAction{RegionName: aws.String(witness)}}}
	}
	return c.UpdateTable(context.Background(), in)
}

func strongGet(t testing.TB, c *dynamodb.Client, table, pk string) (string, error) {
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}})
	if err != nil {
		return "", err
	}
	if s, ok := out.Item["v"].(*types.AttributeValueMemberS); ok {
		return s.Value, nil
	}
	return "", nil
}

func putErr(c *dynamodb.Client, table, pk, v string) error {
	_, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk}, "v": &types.AttributeValueMemberS{Value: v}}})
	return err
}

func TestStrongGlobalTable(t *testing.T) {
	rs := strongRegions(t, true, "us-east-1", "us-east-2", "us-west-2")
	east, ohio, west := rs["us-east-1"].Client, rs["us-east-2"].Client, rs["us-west-2"].Client
	ctx := context.Background()
	createPPRTable(t, east, "pad") // the replicas' table IDs differ
	createPPRTable(t, east, "mrsc")
	out, err := makeStrong(east, "mrsc", "", "us-east-2", "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	d := out.TableDescription
	if d.MultiRegionConsistency != types.MultiRegionConsistencyStrong || len(d.Replicas) != 3 || aws.ToString(d.GlobalTableVersion) != "2019.11.21" {
		t.Fatalf("after create: %v %+v", d.MultiRegionConsistency, d.Replicas)
	}
	if d.StreamSpecification != nil {
		t.Fatalf("MRSC turned a stream on: %+v", d.StreamSpecification)
	}
	wd, err := west.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("mrsc")})
	if err != nil || wd.Table.MultiRegionConsistency != types.MultiRegionConsistencyStrong || len(wd.Table.Replicas) != 3 {
		t.Fatalf("replica: %v %+v", err, wd)
	}
	// A write in one Region is read at once, strongly, in the others.
	for i := range 20 {
		v := fmt.Sprint("e", i)
		if err := putErr(east, "mrsc", "k", v); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*dynamodb.Client{ohio, west} {
			if got, err := strongGet(t, c, "mrsc", "k"); err != nil || got != v {
				t.Fatalf("strong read after write %s: %q %v", v, got, err)
			}
		}
	}
	// Conditions see the latest version, wherever it was written.
	_, err = west.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("mrsc"),
		Item:                map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}, "v": &types.AttributeValueMemberS{Value: "w"}},
		ConditionExpression: aws.String("v = :old"), ExpressionAttributeValues: map[string]types.AttributeValue{":old": &types.AttributeValueMemberS{Value: "e19"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := east.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("mrsc"),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}}}); err != nil {
		t.Fatal(err)
	}
	if got, err := strongGet(t, ohio, "mrsc", "k"); err != nil || got != "" {
		t.Fatalf("after delete: %q %v", got, err)
	}
	// BatchWriteItem goes item by item through the protocol.
	if _, err := ohio.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"mrsc": {
		{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "b1"}, "v": &types.AttributeValueMemberS{Value: "1"}}}},
		{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "b2"}, "v": &types.AttributeValueMemberS{Value: "2"}}}},
	}}}); err != nil {
		t.Fatal(err)
	}
	if got, err := strongGet(t, east, "mrsc", "b2"); err != nil || got != "2" {
		t.Fatalf("batch write: %q %v", got, err)
	}
	// What MRSC excludes.
	_, err = east.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String("mrsc"),
		Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "t"}}}}}})
	wantErr(t, err, "ValidationException", msgMRSCTxn)
	_, err = east.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("mrsc"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("ttl")}})
	wantErr(t, err, "ValidationException", msgMRSCTTL)
	_, err = east.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("mrsc"),
		ReplicaUpdates: []types.ReplicationGroupUpdate{{Create: &types.CreateReplicationGroupMemberAction{RegionName: aws.String("eu-west-1")}}}})
	wantErr(t, err, "ValidationException", msgMRSCAddReplica)
	_, err = east.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("mrsc"),
		ReplicaUpdates: []types.ReplicationGroupUpdate{{Delete: &types.DeleteReplicationGroupMemberAction{RegionName: aws.String("us-west-2")}}}})
	wantErr(t, err, "ValidationException", msgMRSCDeleteOne)
	// Deleting two replicas leaves a regional table.
	if _, err := east.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("mrsc"), ReplicaUpdates: []types.ReplicationGroupUpdate{
		{Delete: &types.DeleteReplicationGroupMemberAction{RegionName: aws.String("us-west-2")}},
		{Delete: &types.DeleteReplicationGroupMemberAction{RegionName: aws.String("us-east-2")}}}}); err != nil {
		t.Fatal(err)
	}
	ed, err := east.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("mrsc")})
	if err != nil || ed.Table.GlobalTableVersion != nil || len(ed.Table.Replicas) != 0 || ed.Table.MultiRegionConsistency != "" {
		t.Fatalf("regional again: %v %+v", err, ed)
	}
	if _, err := west.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("mrsc")}); err == nil {
		t.Fatal("deleted replica still there")
	}
}

func TestStrongGlobalTableWitness(t *testing.T) {
	rs := strongRegions(t, true, "us-east-1", "us-east-2", "us-west-2")
	east, ohio, wit := rs["us-east-1"].Client, rs["us-east-2"].Client, rs["us-west-2"].Client
	ctx := context.Background()
	createPPRTable(t, east, "wit")
	out, err := makeStrong(east, "wit", "us-west-2", "us-east-2")
	if err != nil {
		t.Fatal(err)
	}
	d := out.TableDescription
	if len(d.Replicas) != 2 || len(d.GlobalTableWitnesses) != 1 || aws.ToString(d.GlobalTableWitnesses[0].RegionName) != "us-west-2" ||
		d.GlobalTableWitnesses[0].WitnessStatus != types.WitnessStatusActive {
		t.Fatalf("witness table: replicas %+v witnesses %+v", d.Replicas, d.GlobalTableWitnesses)
	}
	// The witness is not a table of the account in its Region.
	_, err = wit.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("wit")})
	if code, _ := apiErr(t, err); code != "ResourceNotFoundException" {
		t.Fatalf("witness DescribeTable: %s", code)
	}
	if err := putErr(wit, "wit", "k", "x"); err == nil {
		t.Fatal("the witness took a write")
	}
	// With the second replica down, the witness makes the quorum.
	rs["us-east-2"].stop()
	if err := putErr(east, "wit", "k", "v1"); err != nil {
		t.Fatal(err)
	}
	if got, err := strongGet(t, east, "wit", "k"); err != nil || got != "v1" {
		t.Fatalf("read: %q %v", got, err)
	}
	_ = ohio
	// Witness down too: no quorum, writes and strong reads refused;
	// eventually consistent reads still answer.
	rs["us-west-2"].stop()
	err = putErr(east, "wit", "k", "v2")
	wantErr(t, err, "InternalServerError", msgMRSCUnavail)
	_, err = strongGet(t, east, "wit", "k")
	wantErr(t, err, "InternalServerError", msgMRSCUnavail)
	g, err := east.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("wit"), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}}})
	if err != nil || g.Item["v"].(*types.AttributeValueMemberS).Value != "v1" {
		t.Fatalf("eventual read: %v %+v", err, g)
	}
}

func TestStrongGlobalTableErrors(t *testing.T) {
	rs := strongRegions(t, true, "us-east-1", "us-east-2", "us-west-2")
	c := rs["us-east-1"].Client
	ctx := context.Background()
	createPPRTable(t, c, "err1")
	_, err := makeStrong(c, "err1", "", "us-east-2")
	wantErr(t, err, "ValidationException", msgMRSCThree)
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("err1"),
		ReplicaUpdates:            []types.ReplicationGroupUpdate{{Create: &types.CreateReplicationGroupMemberAction{RegionName: aws.String("us-east-2")}}},
		GlobalTableWitnessUpdates: []types.GlobalTableWitnessGroupUpdate{{Create: &types.CreateGlobalTableWitnessGroupMemberAction{RegionName: aws.String("us-west-2")}}}})
	wantErr(t, err, "ValidationException", msgMRSCWitnessEventual)
	put(t, c, "err1", "a", "b")
	_, err = makeStrong(c, "err1", "", "us-east-2", "us-west-2")
	wantErr(t, err, "ValidationException", msgMRSCEmpty)
	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("lsi"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}, {AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS}, {AttributeName: aws.String("l"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{{IndexName: aws.String("byl"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("l"), KeyType: types.KeyTypeRange}}}},
	}); err != nil {
		t.Fatal(err)
	}
	_, err = makeStrong(c, "lsi", "", "us-east-2", "us-west-2")
	wantErr(t, err, "ValidationException", msgMRSCLocalIdx)
	// An eventual global table cannot become STRONG.
	createPPRTable(t, c, "evt")
	addReplica(t, c, "evt", "us-east-2")
	_, err = makeStrong(c, "evt", "", "us-west-2", "eu-west-1")
	wantErr(t, err, "ValidationException", msgMRCExisting)
}

// TestStrongConflicts writes one item from the three Regions at once:
// some writes get ReplicatedWriteConflictException, and afterwards every
// Region reads, strongly, the same value, the last acknowledged one of
// some Region.
func TestStrongConflicts(t *testing.T) {
	regions := []string{"us-east-1", "us-east-2", "us-west-2"}
	rs := strongRegions(t, true, regions...)
	createPPRTable(t, rs["us-east-1"].Client, "conf")
	if _, err := makeStrong(rs["us-east-1"].Client, "conf", "", "us-east-2", "us-west-2"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	conflicts, oks := 0, 0
	var wg sync.WaitGroup
	for _, r := range regions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 150 {
				err := putErr(rs[r].Client, "conf", "hot", fmt.Sprint(r, j))
				var ce *types.ReplicatedWriteConflictException
				mu.Lock()
				switch {
				case err == nil:
					oks++
				case errors.As(err, &ce):
					conflicts++
					if ce.ErrorMessage() != msgReplicatedConflict {
						t.Errorf("message %q", ce.ErrorMessage())
					}
				default:
					t.Errorf("%s: %v", r, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d writes acknowledged, %d conflicts", oks, conflicts)
	if conflicts == 0 || oks == 0 {
		t.Fatalf("%d acknowledged, %d conflicts: want both", oks, conflicts)
	}
	var first string
	for i, r := range regions {
		got, err := strongGet(t, rs[r].Client, "conf", "hot")
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = got
		} else if got != first {
			t.Fatalf("%s reads %q, us-east-1 %q", r, got, first)
		}
	}
}

// histOp is one operation of a history: a write of value (ok: it was
// acknowledged) or a strongly consistent read that returned value.
type histOp struct {
	write      bool
	key, value string
	start, end time.Time
	ok         bool
}

// TestStrongHistory runs writers and strongly consistent readers in every
// Region at once over a few items, records when each operation was
// invoked and answered, and checks that no read returned a value older
// than the last write acknowledged before the read began: a read of v is
// stale when some acknowledged write w of the item ended before the read
// began and v's write ended before w began (or v is the initial absence).
// In the middle of the run one Region is cut off for a while (its
// listener stopped), so that it misses writes and must catch up when its
// clients read again.
func TestStrongHistory(t *testing.T) {
	regions := []string{"us-east-1", "us-east-2", "us-west-2"}
	rs := strongRegions(t, true, regions...)
	createPPRTable(t, rs["us-west-2"].Client, "pad") // the replicas' table IDs differ
	createPPRTable(t, rs["us-east-1"].Client, "hist")
	if _, err := makeStrong(rs["us-east-1"].Client, "hist", "", "us-east-2", "us-west-2"); err != nil {
		t.Fatal(err)
	}
	keys := []string{"a", "b", "c"}
	var mu sync.Mutex
	var hist []histOp
	record := func(op histOp) {
		mu.Lock()
		hist = append(hist, op)
		mu.Unlock()
	}
	begin := time.Now()
	deadline := begin.Add(2400 * time.Millisecond)
	var down atomic.Bool     // us-west-2 cut off
	var upAgain atomic.Int64 // when it serves again (Unix ns)
	upAgain.Store(math.MaxInt64)
	go func() {
		time.Sleep(700 * time.Millisecond)
		down.Store(true)
		rs["us-west-2"].stop()
		time.Sleep(900 * time.Millisecond)
		rs["us-west-2"].start()
		upAgain.Store(time.Now().UnixNano())
		down.Store(false)
	}()
	var wg sync.WaitGroup
	for i, r := range regions {
		c := rs[r].Client
		// An operation that failed because its Region was cut off.
		cutOff := func(err error, start time.Time) bool {
			return err != nil && r == "us-west-2" && (down.Load() || start.UnixNano() < upAgain.Load())
		}
		wg.Add(2)
		go func() { // writer
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(i), 1))
			for j := 0; time.Now().Before(deadline); j++ {
				op := histOp{write: true, key: keys[rnd.IntN(len(keys))], value: fmt.Sprint(r, "-", j), start: time.Now()}
				err := putErr(c, "hist", op.key, op.value)
				op.end, op.ok = time.Now(), err == nil
				if cutOff(err, op.start) {
					time.Sleep(10 * time.Millisecond)
					continue // never reached the Region
				}
				var ce *types.ReplicatedWriteConflictException
				if err != nil && !errors.As(err, &ce) {
					t.Errorf("write: %v", err)
				}
				record(op)
			}
		}()
		go func() { // reader
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(i), 2))
			for time.Now().Before(deadline) {
				op := histOp{key: keys[rnd.IntN(len(keys))], start: time.Now()}
				v, err := strongGet(t, c, "hist", op.key)
				op.end, op.value, op.ok = time.Now(), v, err == nil
				if cutOff(err, op.start) {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				if err != nil {
					t.Errorf("read: %v", err)
					continue
				}
				record(op)
			}
		}()
	}
	wg.Wait()
	writes := map[string]histOp{}
	reads, acked := 0, 0
	for _, op := range hist {
		if op.write {
			writes[op.value] = op
			if op.ok {
				acked++
			}
		}
	}
	for _, r := range hist {
		if r.write {
			continue
		}
		reads++
		var src *histOp
		if r.value != "" {
			w, ok := writes[r.value]
			if !ok || w.key != r.key {
				t.Fatalf("read of %s returned %q, never written there", r.key, r.value)
			}
			src = &w
		}
		for _, w := range hist {
			if !w.write || !w.ok || w.key != r.key || !w.end.Before(r.start) {
				continue
			}
			// w was acknowledged before the read began.
			if src == nil || (src.ok && src.end.Before(w.start)) {
				t.Fatalf("stale read of %s: %q (ended %v) although %q was acknowledged at %v, before the read began at %v",
					r.key, r.value, srcEnd(src), w.value, w.end, r.start)
			}
		}
	}
	t.Logf("%d strongly consistent reads checked against %d acknowledged writes (%d writes in all)", reads, acked, len(writes))
	if reads < 20 || acked < 20 {
		t.Fatalf("too short a history: %d reads, %d acknowledged writes", reads, acked)
	}
}

func srcEnd(w *histOp) any {
	if w == nil {
		return "never written"
	}
	return w.end
}

// BenchmarkStrongWriteLatency measures the latency of one PutItem at a
// time into a three-Region global table (real listeners, synced WALs), in
// eventual and in STRONG mode.
func BenchmarkStrongWriteLatency(b *testing.B) {
	for _, mode := range []string{"eventual", "strong"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			rs := strongRegions(b, false, "us-east-1", "us-east-2", "us-west-2")
			c := rs["us-east-1"].Client
			createPPRTable(b, c, "lat")
			if mode == "strong" {
				if _, err := makeStrong(c, "lat", "", "us-east-2", "us-west-2"); err != nil {
					b.Fatal(err)
				}
			} else {
				addReplica(b, c, "lat", "us-east-2")
				waitReplicaActive(b, c, "lat", "us-east-2")
				addReplica(b, c, "lat", "us-west-2")
				waitReplicaActive(b, c, "lat", "us-west-2")
			}
			lats := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				if err := putErr(c, "lat", fmt.Sprint("k", i%1000), "v"); err != nil {
					b.Fatal(err)
				}
				lats = append(lats, time.Since(start))
			}
			b.StopTimer()
			p50, p99 := percentiles(lats)
			b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		})
	}
}

// TestKeyAttrs decodes engine keys back to key attributes, which members
// of a STRONG table exchange (their table IDs differ).
func TestKeyAttrs(t *testing.T) {
	for _, typ := range []string{"S", "N", "B"} {
		tb := &Table{Name: "k", ID: 7,
			KeySchema:            []KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: aws.String("HASH")}, {AttributeName: aws.String("sk"), KeyType: aws.String("RANGE")}},
			AttributeDefinitions: []AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: aws.String(typ)}, {AttributeName: aws.String("sk"), AttributeType: aws.String("N")}}}
		var vals []ddb.Value
		switch typ {
		case "S":
			for _, s := range []string{"a", "x\x00y", "\x00", "héllo", "zz\x01"} {
				vals = append(vals, ddb.Value{T: ddb.TypeS, S: s})
			}
		case "B":
			for _, s := range []string{"\x00\xff", "b", "\x00\x01\x00"} {
				vals = append(vals, ddb.Value{T: ddb.TypeB, B: []byte(s)})
			}
		case "N":
			for _, s := range []string{"0", "1", "-1", "12.5", "-0.000123", "1E+125", "-9.9999999999999999999999999999999999999E+125", "1E-130", "100"} {
				vals = append(vals, ddb.Value{T: ddb.TypeN, S: s})
			}
		}
		for _, pk := range vals {
			for _, skS := range []string{"0", "-3.25", "42"} {
				sk := ddb.Value{T: ddb.TypeN, S: skS}
				key := tb.engineKey(pk, sk)
				js, err := tb.keyAttrs(key)
				if err != nil {
					t.Fatalf("%s %q/%s: %v", typ, pk.S+string(pk.B), skS, err)
				}
				back, err := tb.memberKey(js)
				if err != nil || string(back) != string(key) {
					t.Fatalf("%s %q/%s: %s does not give the key back (%v)", typ, pk.S+string(pk.B), skS, js, err)
				}
			}
		}
	}
}
