package store

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/changefeed"
	"github.com/dynax/dynax/ddb/wire"
)

const testPeerSecret = "0123456789abcdef0123"

// newRegions starts one real node per Region, each on its own loopback
// listener and the peer of all the others.
func newRegions(t testing.TB, regions ...string) map[string]*testServer {
	return newRegionsOpts(t, true, regions...)
}

func newRegionsOpts(t testing.TB, noSync bool, regions ...string) map[string]*testServer {
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
	out := map[string]*testServer{}
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
		t.Cleanup(func() {
			tr.CloseIdleConnections()
			_ = srv.Shutdown()
			_ = n.Close()
		})
		out[r] = &testServer{Node: n, URL: urls[r], Direct: urls[r], Client: client}
	}
	return out
}

func createPPRTable(t testing.TB, c *dynamodb.Client, name string) {
	t.Helper()
	_, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func addReplica(t testing.TB, c *dynamodb.Client, table, region string) *types.TableDescription {
	t.Helper()
	out, err := c.UpdateTable(context.Background(), &dynamodb.UpdateTableInput{TableName: aws.String(table),
		ReplicaUpdates: []types.ReplicationGroupUpdate{{Create: &types.CreateReplicationGroupMemberAction{RegionName: aws.String(region)}}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.TableDescription
}

// waitReplicaActive waits until c's table lists region as ACTIVE.
func waitReplicaActive(t testing.TB, c *dynamodb.Client, table, region string) *types.TableDescription {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		d, err := c.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range d.Table.Replicas {
			if aws.ToString(r.RegionName) == region && r.ReplicaStatus == types.ReplicaStatusActive {
				return d.Table
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s of %s never ACTIVE: %+v", region, table, d.Table.Replicas)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// snapshot returns pk → v of every item of table.
func snapshot(t testing.TB, c *dynamodb.Client, table string) map[string]string {
	t.Helper()
	out := map[string]string{}
	p := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			v := ""
			if s, ok := it["v"].(*types.AttributeValueMemberS); ok {
				v = s.Value
			}
			out[it["pk"].(*types.AttributeValueMemberS).Value] = v
		}
	}
	return out
}

// waitConverged waits until every Region holds the same items, and
// returns them.
func waitConverged(t testing.TB, rs map[string]*testServer, table string) map[string]string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var first map[string]string
		same := true
		for _, s := range rs {
			snap := snapshot(t, s.Client, table)
			if first == nil {
				first = snap
			} else if !mapsEqual(first, snap) {
				same = false
			}
		}
		if same {
			return first
		}
		if time.Now().After(deadline) {
			for r, s := range rs {
				t.Logf("%s: %d items", r, len(snapshot(t, s.Client, table)))
			}
			t.Fatal("replicas never converged")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func put(t testing.TB, c *dynamodb.Client, table, pk, v string) {
	t.Helper()
	_, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk}, "v": &types.AttributeValueMemberS{Value: v}}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGlobalTableLifecycle(t *testing.T) {
	rs := newRegions(t, "us-east-1", "us-west-2", "eu-west-1")
	east, west, eu := rs["us-east-1"].Client, rs["us-west-2"].Client, rs["eu-west-1"].Client
	ctx := context.Background()
	createPPRTable(t, east, "glob")
	for i := range 50 {
		put(t, east, "glob", fmt.Sprint("pre", i), "east")
	}
	d := addReplica(t, east, "glob", "us-west-2")
	if aws.ToString(d.GlobalTableVersion) != "2019.11.21" || len(d.Replicas) != 2 {
		t.Fatalf("after Create: version %q replicas %+v", aws.ToString(d.GlobalTableVersion), d.Replicas)
	}
	if d.StreamSpecification == nil || d.StreamSpecification.StreamViewType != types.StreamViewTypeNewAndOldImages {
		t.Fatalf("stream not turned on: %+v", d.StreamSpecification)
	}
	waitReplicaActive(t, east, "glob", "us-west-2")
	// The remote table exists, holds the backfilled items, and knows its group.
	got := waitConverged(t, map[string]*testServer{"a": rs["us-east-1"], "b": rs["us-west-2"]}, "glob")
	if len(got) != 50 {
		t.Fatalf("backfill: %d items, want 50", len(got))
	}
	wd, err := west.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("glob")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(wd.Table.TableArn), "arn:aws:dynamodb:us-west-2:") || len(wd.Table.Replicas) != 2 {
		t.Fatalf("replica description: arn %s replicas %+v", aws.ToString(wd.Table.TableArn), wd.Table.Replicas)
	}
	// Writes in both Regions replicate both ways.
	put(t, west, "glob", "w1", "west")
	put(t, east, "glob", "e1", "east")
	if _, err := west.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("glob"),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "pre0"}}}); err != nil {
		t.Fatal(err)
	}
	got = waitConverged(t, map[string]*testServer{"a": rs["us-east-1"], "b": rs["us-west-2"]}, "glob")
	if got["w1"] != "west" || got["e1"] != "east" || len(got) != 51 {
		t.Fatalf("after writes: %d items, w1=%q e1=%q", len(got), got["w1"], got["e1"])
	}
	// A third Region, added from the second: all three converge.
	addReplica(t, west, "glob", "eu-west-1")
	waitReplicaActive(t, east, "glob", "eu-west-1")
	put(t, eu, "glob", "eu1", "eu")
	got = waitConverged(t, rs, "glob")
	if got["eu1"] != "eu" || len(got) != 52 {
		t.Fatalf("three Regions: %d items", len(got))
	}
	// DeleteTable in one Region deletes that replica only; the others
	// drop it from their list.
	createPPRTable(t, east, "solo")
	addReplica(t, east, "solo", "us-west-2")
	waitReplicaActive(t, east, "solo", "us-west-2")
	if _, err := west.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("solo")}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		sd, err := east.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("solo")})
		if err != nil {
			t.Fatal(err)
		}
		if len(sd.Table.Replicas) == 0 && sd.Table.GlobalTableVersion == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("us-east-1 still lists %+v", sd.Table.Replicas)
		}
	}
	// The stream cannot be turned off while the table is global.
	_, err = east.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("glob"),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}})
	wantErr(t, err, "ValidationException", msgStreamGlobal)
	// Remove the replicas: the table is regional again, its stream stays.
	for _, r := range []string{"eu-west-1", "us-west-2"} {
		if _, err := east.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("glob"),
			ReplicaUpdates: []types.ReplicationGroupUpdate{{Delete: &types.DeleteReplicationGroupMemberAction{RegionName: aws.String(r)}}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := eu.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("glob")}); err == nil {
		t.Fatal("deleted replica still there")
	}
	ed, err := east.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("glob")})
	if err != nil {
		t.Fatal(err)
	}
	if ed.Table.GlobalTableVersion != nil || len(ed.Table.Replicas) != 0 || ed.Table.StreamSpecification == nil {
		t.Fatalf("regional again: version %v replicas %+v stream %+v", ed.Table.GlobalTableVersion, ed.Table.Replicas, ed.Table.StreamSpecification)
	}
}

func TestGlobalTableErrors(t *testing.T) {
	rs := newRegions(t, "us-east-1", "us-west-2")
	c := rs["us-east-1"].Client
	ctx := context.Background()
	createPPRTable(t, c, "errs")
	create := func(r string) types.ReplicationGroupUpdate {
		return types.ReplicationGroupUpdate{Create: &types.CreateReplicationGroupMemberAction{RegionName: aws.String(r)}}
	}
	_, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("errs"), ReplicaUpdates: []types.ReplicationGroupUpdate{create("us-east-1")}})
	wantErr(t, err, "ValidationException", msgReplicaLocal)
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("errs"), ReplicaUpdates: []types.ReplicationGroupUpdate{create("us-west-2"), create("eu-west-1")}})
	wantErr(t, err, "ValidationException", msgReplicaTooMany)
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("errs"), BillingMode: types.BillingModePayPerRequest, ReplicaUpdates: []types.ReplicationGroupUpdate{create("us-west-2")}})
	wantErr(t, err, "ValidationException", msgReplicaOnly)
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("nope"), ReplicaUpdates: []types.ReplicationGroupUpdate{create("us-west-2")}})
	if code, _ := apiErr(t, err); code != "ResourceNotFoundException" {
		t.Fatalf("missing table: %s", code)
	}
	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("prov"),
		AttributeDefinitions:  []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("prov"), ReplicaUpdates: []types.ReplicationGroupUpdate{create("us-west-2")}})
	wantErr(t, err, "ValidationException", msgReplicaCapacity)
	// The peer already has a table of that name.
	createPPRTable(t, rs["us-west-2"].Client, "taken")
	createPPRTable(t, c, "taken")
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("taken"), ReplicaUpdates: []types.ReplicationGroupUpdate{create("us-west-2")}})
	wantErr(t, err, "ValidationException", "Failed to create a the new replica of table with name: 'taken' because one or more replicas already existed as tables.")
	// Legacy operations.
	_, err = c.CreateGlobalTable(ctx, &dynamodb.CreateGlobalTableInput{GlobalTableName: aws.String("errs"),
		ReplicationGroup: []types.Replica{{RegionName: aws.String("us-east-1")}}})
	wantErr(t, err, "ValidationException", msgLegacyCreate)
	_, err = c.DescribeGlobalTable(ctx, &dynamodb.DescribeGlobalTableInput{GlobalTableName: aws.String("errs")})
	wantErr(t, err, "GlobalTableNotFoundException", "Global table with name 'errs' does not exist.")
	lg, err := c.ListGlobalTables(ctx, &dynamodb.ListGlobalTablesInput{})
	if err != nil || len(lg.GlobalTables) != 0 {
		t.Fatalf("ListGlobalTables: %v %+v", err, lg)
	}
}

// TestGlobalTableConflicts writes the same keys from three Regions at once,
// puts racing deletes, and checks that every replica ends with the same
// items.
func TestGlobalTableConflicts(t *testing.T) {
	regions := []string{"us-east-1", "us-west-2", "eu-west-1"}
	rs := newRegions(t, regions...)
	createPPRTable(t, rs["us-east-1"].Client, "conf")
	addReplica(t, rs["us-east-1"].Client, "conf", "us-west-2")
	waitReplicaActive(t, rs["us-east-1"].Client, "conf", "us-west-2")
	addReplica(t, rs["us-east-1"].Client, "conf", "eu-west-1")
	waitReplicaActive(t, rs["us-east-1"].Client, "conf", "eu-west-1")
	var wg sync.WaitGroup
	for i, r := range regions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := rs[r].Client
			rnd := rand.New(rand.NewPCG(uint64(i), 7))
			for j := range 300 {
				pk := fmt.Sprint("k", rnd.IntN(20))
				var err error
				if rnd.IntN(4) == 0 {
					_, err = c.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String("conf"),
						Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}})
				} else {
					_, err = c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("conf"), Item: map[string]types.AttributeValue{
						"pk": &types.AttributeValueMemberS{Value: pk}, "v": &types.AttributeValueMemberS{Value: fmt.Sprint(r, j)}}})
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got := waitConverged(t, rs, "conf")
	// Every surviving value was written by some Region.
	for k, v := range got {
		if !slices.ContainsFunc(regions, func(r string) bool { return strings.HasPrefix(v, r) }) {
			t.Fatalf("%s = %q", k, v)
		}
	}
	st := rs["us-east-1"].Node.ReplicationStats()
	t.Logf("converged on %d items; lag p50 %v p99 %v over %d changes", len(got), st.P50, st.P99, st.Shipped)
}

// TestFeedLimitOneTable reads a backlog of one table larger than a batch:
// no change may be skipped (Next once passed the rest of a table cut at
// the limit).
func TestFeedLimitOneTable(t *testing.T) {
	s := newTestServer(t)
	createPPRTable(t, s.Client, "backlog")
	head, err := s.Node.Feed().Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		put(t, s.Client, "backlog", fmt.Sprint(i), "v")
	}
	seen := 0
	for pos := head; ; {
		b, err := s.Node.Feed().Read(context.Background(), changefeed.Request{After: pos, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		seen += len(b.Changes)
		if len(b.Changes) == 0 {
			break
		}
		pos = b.Next
	}
	if seen != 25 {
		t.Fatalf("read %d changes, want 25", seen)
	}
}

// BenchmarkReplicationLag writes into one Region of a two-Region table at
// about 1,000 writes/s and reports the replication lag (commit in the
// source Region to durably applied and acknowledged by the replica).
func BenchmarkReplicationLag(b *testing.B) {
	b.ReportAllocs()
	rs := newRegionsOpts(b, false, "us-east-1", "us-west-2")
	src := rs["us-east-1"]
	createPPRTable(b, src.Client, "lag")
	addReplica(b, src.Client, "lag", "us-west-2")
	waitReplicaActive(b, src.Client, "lag", "us-west-2")
	before := src.Node.ReplicationStats().Shipped
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	b.ResetTimer()
	for i := range b.N {
		<-tick.C
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			put(b, src.Client, "lag", fmt.Sprint("k", i), "v")
		}()
	}
	wg.Wait()
	for deadline := time.Now().Add(30 * time.Second); src.Node.ReplicationStats().Shipped-before < b.N && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	st := src.Node.ReplicationStats()
	b.ReportMetric(float64(st.P50.Microseconds())/1000, "p50-lag-ms")
	b.ReportMetric(float64(st.P99.Microseconds())/1000, "p99-lag-ms")
}

// BenchmarkPutItemGlobal measures what replication costs a PutItem: the
// same writes into a regional table and into one with a replica.
func BenchmarkPutItemGlobal(b *testing.B) {
	for _, global := range []bool{false, true} {
		name := "regional"
		if global {
			name = "global"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			rs := newRegionsOpts(b, false, "us-east-1", "us-west-2")
			src := rs["us-east-1"]
			createPPRTable(b, src.Client, "cost")
			if global {
				addReplica(b, src.Client, "cost", "us-west-2")
				waitReplicaActive(b, src.Client, "cost", "us-west-2")
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					put(b, src.Client, "cost", fmt.Sprint(rand.Int64(), i), "v")
				}
			})
		})
	}
}

// BenchmarkReplicationCatchUp stops the replica's listener, writes b.N
// items into the source Region (the backlog of an outage), serves the
// replica again and reports how fast the backlog drains. The time includes
// the shipper's retry backoff (at most 2 s).
func BenchmarkReplicationCatchUp(b *testing.B) {
	b.ReportAllocs()
	log := slog.New(slog.DiscardHandler)
	lnA, _ := net.Listen("tcp", "127.0.0.1:0")
	lnB, _ := net.Listen("tcp", "127.0.0.1:0")
	urlA, urlB := "http://"+lnA.Addr().String(), "http://"+lnB.Addr().String()
	open := func(region, peer, url string) *Node {
		n, err := Open(Options{Dir: b.TempDir(), Region: region, Peers: map[string]string{peer: url}, PeerSecret: testPeerSecret, Logger: log})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { n.Close() })
		return n
	}
	nA, nB := open("us-east-1", "us-west-2", urlB), open("us-west-2", "us-east-1", urlA)
	srvA, srvB := wire.NewServer(nA, log), wire.NewServer(nB, log)
	go func() { _ = srvA.Serve(lnA) }()
	go func() { _ = srvB.Serve(lnB) }()
	b.Cleanup(func() { _ = srvA.Shutdown() })
	c, tr := newClientTransport(urlA)
	b.Cleanup(tr.CloseIdleConnections)
	createPPRTable(b, c, "outage")
	addReplica(b, c, "outage", "us-west-2")
	waitReplicaActive(b, c, "outage", "us-west-2")
	_ = srvB.Shutdown() // the outage
	before := nA.ReplicationStats().Shipped
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < b.N; i += 4 {
				put(b, c, "outage", fmt.Sprint("k", i), "v")
			}
		}()
	}
	wg.Wait()
	b.ResetTimer()
	start := time.Now()
	ln, err := net.Listen("tcp", lnB.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	srvB2 := wire.NewServer(nB, log)
	go func() { _ = srvB2.Serve(ln) }()
	b.Cleanup(func() { _ = srvB2.Shutdown() })
	for deadline := time.Now().Add(60 * time.Second); nA.ReplicationStats().Shipped-before < b.N; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("shipped %d of %d", nA.ReplicationStats().Shipped-before, b.N)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "changes/s")
}
