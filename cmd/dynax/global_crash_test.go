package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// freePort returns a loopback port that was free a moment ago (the peers
// of a Region must know its address before it starts).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestKillNineGlobalTable runs two real `dynax store` Regions, writes into
// one while first the shipping node and then the receiving node are killed
// with SIGKILL and restarted, and checks that every acknowledged write
// reaches the other Region.
func TestKillNineGlobalTable(t *testing.T) {
	bin := buildBinary(t)
	const secret = "kill-nine-peer-secret"
	pa, pb := freePort(t), freePort(t)
	dirA, dirB := t.TempDir(), t.TempDir()
	startA := func() (*procHandle, string) {
		p, url := startStore(t, bin, dirA, "--listen", "127.0.0.1:"+pa, "--region", "us-east-1",
			"--peer-region", "us-west-2=http://127.0.0.1:"+pb, "--peer-secret", secret)
		return &procHandle{p.Process.Kill, func() { _ = p.Wait() }}, url
	}
	startB := func() (*procHandle, string) {
		p, url := startStore(t, bin, dirB, "--listen", "127.0.0.1:"+pb, "--region", "us-west-2",
			"--peer-region", "us-east-1=http://127.0.0.1:"+pa, "--peer-secret", secret)
		return &procHandle{p.Process.Kill, func() { _ = p.Wait() }}, url
	}
	a, urlA := startA()
	b, _ := startB()
	ca := sdkClient(urlA)
	ctx := context.Background()
	if _, err := ca.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("crashglobal"),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("crashglobal"),
		ReplicaUpdates: []types.ReplicationGroupUpdate{{Create: &types.CreateReplicationGroupMemberAction{RegionName: aws.String("us-west-2")}}}}); err != nil {
		t.Fatal(err)
	}
	// Writers into A; acked records what A acknowledged.
	var mu sync.Mutex
	acked := map[string]bool{}
	var stop atomic.Bool
	var next atomic.Int64
	var wg sync.WaitGroup
	var cur atomic.Pointer[dynamodb.Client]
	cur.Store(ca)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				k := fmt.Sprint("k", next.Add(1))
				_, err := cur.Load().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("crashglobal"),
					Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: k}}})
				if err == nil {
					mu.Lock()
					acked[k] = true
					mu.Unlock()
				} else {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	a.kill() // the shipper, mid-stream
	a, urlA = startA()
	cur.Store(sdkClient(urlA))
	time.Sleep(700 * time.Millisecond)
	b.kill() // the receiver, mid-stream
	time.Sleep(300 * time.Millisecond)
	b, urlB := startB()
	cb := sdkClient(urlB)
	time.Sleep(500 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	defer a.kill()
	defer b.kill()
	if len(acked) < 50 {
		t.Fatalf("only %d writes acknowledged", len(acked))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		missing := 0
		have := map[string]bool{}
		p := dynamodb.NewScanPaginator(cb, &dynamodb.ScanInput{TableName: aws.String("crashglobal")})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				missing = -1 // a read the loaded machine dropped: read again
				break
			}
			for _, it := range page.Items {
				have[it["pk"].(*types.AttributeValueMemberS).Value] = true
			}
		}
		for k := range acked {
			if !have[k] && missing >= 0 {
				missing++
			}
		}
		if missing == 0 {
			t.Logf("%d acknowledged writes, all replicated (%d items in us-west-2)", len(acked), len(have))
			return
		}
		if time.Now().After(deadline) {
			var ms []int
			for k := range acked {
				if !have[k] {
					n, _ := strconv.Atoi(k[1:])
					ms = append(ms, n)
				}
			}
			slices.Sort(ms)
			t.Logf("missing: first %v last %v (next %d)", ms[:min(10, len(ms))], ms[max(0, len(ms)-10):], next.Load())
			t.Fatalf("%d of %d acknowledged writes never reached us-west-2", missing, len(acked))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type procHandle struct {
	killFn func() error
	wait   func()
}

func (p *procHandle) kill() {
	_ = p.killFn()
	p.wait()
}

var regionRE = regexp.MustCompile(`region=(\S+) endpoint=(http://127\.0\.0\.1:\d+)`)

// TestServeRegions runs `dynax serve --regions` and makes a global table
// between two of its Regions through their endpoints.
func TestServeRegions(t *testing.T) {
	bin := buildBinary(t)
	// Bad flag combinations are refused before anything starts.
	for _, args := range [][]string{
		{"store", "--peer-region", "us-west-2=http://127.0.0.1:1", "--peer-secret", "0123456789abcdef"},
		{"store", "--region", "us-east-1", "--peer-region", "us-west-2=http://127.0.0.1:1"},
		{"store", "--region", "us-east-1", "--peer-region", "us-west-2"},
	} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Fatalf("%v: %v %s", args, err, out)
		}
	}
	cmd := exec.Command(bin, "serve", "--regions", "us-east-1,us-west-2", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	urls := map[string]string{}
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := regionRE.FindStringSubmatch(sc.Text()); m != nil {
				urls[m[1]] = m[2]
				if len(urls) == 2 {
					close(found)
				}
			}
		}
	}()
	select {
	case <-found:
	case <-time.After(20 * time.Second):
		t.Fatal("dynax serve --regions did not log its Regions")
	}
	east, west := sdkClient(urls["us-east-1"]), sdkClient(urls["us-west-2"])
	ctx := context.Background()
	if _, err := east.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("served"),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := east.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("served"),
		ReplicaUpdates: []types.ReplicationGroupUpdate{{Create: &types.CreateReplicationGroupMemberAction{RegionName: aws.String("us-west-2")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := east.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("served"),
		Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "x"}}}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, err := west.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("served"),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "x"}}})
		if err == nil && out.Item != nil {
			d, err := west.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("served")})
			if err != nil || !strings.Contains(aws.ToString(d.Table.TableArn), ":us-west-2:") {
				t.Fatalf("us-west-2 replica: %v %v", err, d)
			}
			resp, err := http.Get(urls["us-east-1"] + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range []string{`ReplicationLatency{ReceivingRegion="us-west-2",quantile="0.99"}`, `PendingReplicationCount{ReceivingRegion="us-west-2"}`} {
				if !strings.Contains(string(body), want) {
					t.Fatalf("/metrics lacks %s:\n%s", want, body)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("item never reached us-west-2: %v", err)
		}
	}
}
