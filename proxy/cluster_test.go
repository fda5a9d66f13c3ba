package proxy

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"math/rand"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/cache"
	"github.com/dynax/dynax/cluster"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

const clusterSecret = "test-cluster-secret-0123456789"

// clusterEnv is an embedded etcd, one storage node and proxies in front of
// it that form a cache cluster, each with an SDK client.
type clusterEnv struct {
	t     testing.TB
	etcd  *cluster.Etcd
	node  *store.Node
	nodes []*clusterProxy
	ttl   time.Duration // the members' lease TTL
	// tls and clientTLS, when set, secure the peer ports.
	tls, clientTLS *tls.Config
}

type clusterProxy struct {
	id  string
	p   *Proxy
	cn  *ClusterNode
	url string
	c   *dynamodb.Client
	srv interface{ Shutdown() error }
}

const testSettle = 150 * time.Millisecond

// newClusterEnv starts etcd, a store and n proxies joined as one cluster,
// with 3 s leases: long enough that a loaded test machine (the race
// detector on two shared cores) does not detach a member, which would
// empty its cache and turn expected hits into misses.
func newClusterEnv(t testing.TB, n int) *clusterEnv {
	t.Helper()
	return newClusterEnvTTL(t, n, 3*time.Second)
}

// newClusterEnvTTL is newClusterEnv with the members' lease TTL, for the
// tests that wait for a dead member's lease to expire.
func newClusterEnvTTL(t testing.TB, n int, ttl time.Duration) *clusterEnv {
	t.Helper()
	e, err := cluster.StartEtcd(cluster.EtcdOptions{Dir: t.TempDir(), ClientAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	node, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	ce := &clusterEnv{t: t, etcd: e, node: node, ttl: ttl}
	for i := 0; i < n; i++ {
		ce.add(fmt.Sprintf("p%d", i+1))
	}
	ce.settle()
	return ce
}

// add starts one more proxy and joins it to the cluster.
func (ce *clusterEnv) add(id string) *clusterProxy {
	t := ce.t
	p, err := New(Options{Backend: &StoreBackend{Node: ce.node, Logger: quiet}, ItemTTL: DefaultTTL, QueryTTL: DefaultTTL, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cn, err := p.JoinCluster(context.Background(), ClusterOptions{
		Membership: cluster.Options{Endpoints: []string{ce.etcd.Endpoint()}, ID: id, LeaseTTL: ce.ttl,
			SettleWindow: testSettle, Logger: quiet},
		Secret: clusterSecret, TLS: ce.tls, ClientTLS: ce.clientTLS,
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := p.Server()
	go func() { _ = srv.Serve(ln) }()
	cp := &clusterProxy{id: id, p: p, cn: cn, url: "http://" + ln.Addr().String(), srv: srv}
	var tr interface{ CloseIdleConnections() }
	cp.c, tr = newClient(cp.url)
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		_ = srv.Shutdown()
		_ = cn.Close()
		p.Close()
	})
	ce.nodes = append(ce.nodes, cp)
	return cp
}

// settle waits until every proxy sees every other one and the settle
// window has passed.
func (ce *clusterEnv) settle() {
	ce.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, n := range ce.nodes {
		for {
			v := n.cn.Membership.View()
			if len(v.Members) == ce.live() && v.Self >= 0 {
				break
			}
			if time.Now().After(deadline) {
				ce.t.Fatalf("%s sees %d members, want %d", n.id, len(v.Members), ce.live())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	time.Sleep(testSettle + 50*time.Millisecond)
}

func (ce *clusterEnv) live() int {
	n := 0
	for _, c := range ce.nodes {
		if c.cn.Membership.View().Self >= 0 {
			n++
		}
	}
	return n
}

// owner returns the proxy that owns the item key of table t, pk=v.
func (ce *clusterEnv) owner(key string) *clusterProxy {
	r := ce.nodes[0].cn.Membership.Route(key)
	for _, n := range ce.nodes {
		if n.id == r.Owner.ID {
			return n
		}
	}
	ce.t.Fatalf("no proxy owns %q (owner %q)", key, r.Owner.ID)
	return nil
}

func itemKey(table, pk string) string {
	// A hash-only table with a string key pk: see keys.go.
	return string(cache.AppendItemKeyPart(cache.AppendItemKeyTable(nil, table), ddb.TypeS, []byte(pk)))
}

func (ce *clusterEnv) post(n *clusterProxy, op, body string) rawResp {
	ce.t.Helper()
	r := post(ce.t, n.url, op, body)
	if r.Status != 200 {
		ce.t.Fatalf("%s via %s: %d %s", op, n.id, r.Status, r.Body)
	}
	return r
}

func (ce *clusterEnv) createTable(name string) {
	ce.post(ce.nodes[0], "CreateTable", `{"TableName":"`+name+`","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`)
}

func TestClusterOwnershipAndForwarding(t *testing.T) {
	ce := newClusterEnv(t, 3)
	ce.createTable("items")
	const n = 60
	for i := 0; i < n; i++ {
		ce.post(ce.nodes[i%3], "PutItem", fmt.Sprintf(`{"TableName":"items","Item":{"pk":{"S":"k%d"},"v":{"N":"%d"}}}`, i, i))
	}
	owners := map[string]int{}
	for i := 0; i < n; i++ {
		pk := fmt.Sprintf("k%d", i)
		key := itemKey("items", pk)
		own := ce.owner(key)
		owners[own.id]++
		body := `{"TableName":"items","Key":{"pk":{"S":"` + pk + `"}}}`
		for round := 0; round < 2; round++ {
			for _, via := range ce.nodes {
				r := ce.post(via, "GetItem", body)
				if got := r.Header.Get(hdrOwner); got != own.id {
					t.Fatalf("GetItem %s via %s: answered by %q, owner is %s", pk, via.id, got, own.id)
				}
				want := fmt.Sprintf(`{"Item":{"pk":{"S":"%s"},"v":{"N":"%d"}}}`, pk, i)
				if !itemsEqual(itemOf(t, r.Body), itemOf(t, []byte(want))) {
					t.Fatalf("GetItem %s via %s: %s", pk, via.id, r.Body)
				}
				// The owner installed the image of a write through itself;
				// a write through another node invalidated its entry, so
				// the first read fills it.
				writer := ce.nodes[i%3]
				wantCache := cacheHit
				if round == 0 && via == ce.nodes[0] && writer != own {
					wantCache = cacheMiss
				}
				if r.cache() != wantCache {
					t.Fatalf("GetItem %s via %s (round %d, written via %s, owner %s): cache %q, want %q", pk, via.id, round, writer.id, own.id, r.cache(), wantCache)
				}
			}
		}
		// Exactly one cached copy: the owner's.
		for _, c := range ce.nodes {
			if _, hit := c.p.items.Get(key); hit != (c == own) {
				t.Fatalf("%s: %s holds a copy: %v (owner %s)", pk, c.id, hit, own.id)
			}
		}
	}
	if len(owners) != 3 {
		t.Fatalf("owners %v: every node should own some of %d keys", owners, n)
	}
	var fwd, served uint64
	for _, c := range ce.nodes {
		fwd += c.p.cl.forwarded.Load()
		served += c.p.cl.peerReads.Load()
	}
	if fwd != 2*n*2 || served != fwd {
		t.Fatalf("forwarded %d, served for peers %d, want %d each", fwd, served, 2*n*2)
	}
}

func TestClusterReadYourWritesThroughEveryNode(t *testing.T) {
	ce := newClusterEnv(t, 3)
	ce.createTable("ryw")
	ctx := context.Background()
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 150; i++ {
		pk := fmt.Sprintf("k%d", rng.Intn(12))
		w := ce.nodes[rng.Intn(3)]
		val := fmt.Sprint(i)
		key := map[string]types.AttributeValue{"pk": sv(pk)}
		switch i % 3 {
		case 0:
			_, err := w.c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("ryw"), Item: map[string]types.AttributeValue{"pk": sv(pk), "v": nv(val)}})
			if err != nil {
				t.Fatal(err)
			}
		case 1:
			_, err := w.c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("ryw"), Key: key,
				UpdateExpression: aws.String("SET v = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": nv(val)}})
			if err != nil {
				t.Fatal(err)
			}
		case 2:
			if _, err := w.c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("ryw"), Key: key}); err != nil {
				t.Fatal(err)
			}
			val = ""
		}
		for _, r := range ce.nodes {
			out, err := r.c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("ryw"), Key: key})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if v, ok := out.Item["v"].(*types.AttributeValueMemberN); ok {
				got = v.Value
			}
			if got != val {
				t.Fatalf("write %d of %s via %s, read via %s: v=%q, want %q", i, pk, w.id, r.id, got, val)
			}
		}
		// Queries cached on every node see the write too (generation bumps
		// fan out).
		for _, r := range ce.nodes {
			out, err := r.c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("ryw"), KeyConditionExpression: aws.String("pk = :p"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":p": sv(pk)}})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if len(out.Items) == 1 {
				got = out.Items[0]["v"].(*types.AttributeValueMemberN).Value
			}
			if got != val {
				t.Fatalf("write %d of %s via %s, Query via %s: v=%q, want %q", i, pk, w.id, r.id, got, val)
			}
		}
	}
	// BatchWriteItem through one node, read through the others.
	var reqs []types.WriteRequest
	for i := 0; i < 12; i++ {
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"pk": sv(fmt.Sprintf("k%d", i)), "v": nv("1000")}}})
	}
	if _, err := ce.nodes[1].c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"ryw": reqs}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12; i++ {
		for _, r := range ce.nodes {
			out, err := r.c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("ryw"), Key: map[string]types.AttributeValue{"pk": sv(fmt.Sprintf("k%d", i))}})
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := out.Item["v"].(*types.AttributeValueMemberN); v == nil || v.Value != "1000" {
				t.Fatalf("after BatchWriteItem via p2, k%d via %s: %v", i, r.id, out.Item)
			}
		}
	}
}

func TestClusterBatchGetSplitByOwner(t *testing.T) {
	ce := newClusterEnv(t, 3)
	ce.createTable("bgt")
	var keys []string
	for i := 0; i < 40; i++ {
		pk := fmt.Sprintf("b%d", i)
		keys = append(keys, `{"pk":{"S":"`+pk+`"}}`)
		if i < 30 { // b30…b39 do not exist
			ce.post(ce.nodes[0], "PutItem", fmt.Sprintf(`{"TableName":"bgt","Item":{"pk":{"S":"%s"},"v":{"N":"%d"},"w":{"S":"x"}}}`, pk, i))
		}
	}
	body := `{"RequestItems":{"bgt":{"Keys":[` + strings.Join(keys, ",") + `],"ProjectionExpression":"pk, v"}},"ReturnConsumedCapacity":"TOTAL"}`
	want := map[string]string{}
	for i := 0; i < 30; i++ {
		want[fmt.Sprintf("b%d", i)] = fmt.Sprint(i)
	}
	check := func(via *clusterProxy, r rawResp) {
		t.Helper()
		var resp struct {
			Responses        map[string][]map[string]map[string]string
			UnprocessedKeys  map[string]json.RawMessage
			ConsumedCapacity []struct {
				TableName     string
				CapacityUnits float64
			}
		}
		if err := json.Unmarshal(r.Body, &resp); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, it := range resp.Responses["bgt"] {
			if _, ok := it["w"]; ok {
				t.Fatalf("projection not applied: %v", it)
			}
			got[it["pk"]["S"]] = it["v"]["N"]
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || len(resp.UnprocessedKeys) != 0 {
			t.Fatalf("BatchGetItem via %s: %v (unprocessed %v)", via.id, got, resp.UnprocessedKeys)
		}
		// 40 eventually consistent reads of small items: 0.5 units each.
		if len(resp.ConsumedCapacity) != 1 || resp.ConsumedCapacity[0].TableName != "bgt" || resp.ConsumedCapacity[0].CapacityUnits != 20 {
			t.Fatalf("BatchGetItem via %s: ConsumedCapacity %+v, want 20 units", via.id, resp.ConsumedCapacity)
		}
	}
	for _, via := range ce.nodes {
		before := via.p.cl.forwarded.Load()
		r := ce.post(via, "BatchGetItem", body)
		check(via, r)
		if got := via.p.cl.forwarded.Load() - before; got != 2 {
			t.Fatalf("BatchGetItem via %s forwarded %d shares, want 2 (one per other owner)", via.id, got)
		}
	}
	// Everything is cached at its owner now.
	r := ce.post(ce.nodes[1], "BatchGetItem", body)
	check(ce.nodes[1], r)
	if r.cache() != cacheHit {
		t.Fatalf("second BatchGetItem: cache %q, want hit", r.cache())
	}
	for i := 0; i < 40; i++ {
		key := itemKey("bgt", fmt.Sprintf("b%d", i))
		own := ce.owner(key)
		for _, c := range ce.nodes {
			if _, hit := c.p.items.Get(key); hit != (c == own) {
				t.Fatalf("b%d: copy at %s %v (owner %s)", i, c.id, hit, own.id)
			}
		}
	}
}

func TestClusterPeerPortRefusesStrangers(t *testing.T) {
	ce := newClusterEnv(t, 2)
	ce.createTable("sec")
	peer := ce.nodes[1].cn.PeerAddr
	// A DynamoDB client pointed at the peer port gets no DynamoDB answer.
	c, tr := newClient("http://" + peer)
	defer tr.CloseIdleConnections()
	_, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("sec"), Key: map[string]types.AttributeValue{"pk": sv("a")}})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("SDK GetItem on the peer port: %v, want a 403", err)
	}
	// A peer with another secret is refused.
	pc, err := cluster.NewPeerClient(cluster.PeerClientOptions{Secret: "not-the-cluster-secret!!"})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, _, _, err := pc.Read(context.Background(), peer, &cluster.PeerRead{Operation: "GetItem", Body: []byte(`{"TableName":"sec","Key":{"pk":{"S":"a"}}}`)}); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("wrong secret: %v", err)
	}
	if ce.nodes[1].p.cl.peerReads.Load() != 0 {
		t.Fatal("a stranger's read reached the proxy")
	}
}

func TestClusterDeadOwnerFallsBackToBackend(t *testing.T) {
	ce := newClusterEnvTTL(t, 3, time.Second)
	ce.createTable("dead")
	victim := ce.nodes[2]
	var pks []string
	for i := 0; len(pks) < 5; i++ {
		pk := fmt.Sprintf("d%d", i)
		if ce.owner(itemKey("dead", pk)) == victim {
			pks = append(pks, pk)
			ce.post(ce.nodes[0], "PutItem", `{"TableName":"dead","Item":{"pk":{"S":"`+pk+`"},"v":{"S":"1"}}}`)
		}
	}
	// The victim's peer server dies without leaving (its lease lives on
	// until it expires).
	victim.cn.Membership.Abandon()
	_ = victim.cn.server.Close()
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		for _, pk := range pks {
			r := ce.post(ce.nodes[0], "GetItem", `{"TableName":"dead","Key":{"pk":{"S":"`+pk+`"}}}`)
			if !strings.Contains(string(r.Body), `"v":{"S":"1"}`) {
				t.Fatalf("read of %s with its owner dead: %s", pk, r.Body)
			}
		}
		if len(ce.nodes[0].cn.Membership.View().Members) == 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(ce.nodes[0].cn.Membership.View().Members); n != 2 {
		t.Fatalf("the dead owner is still in the view after %v", time.Since(start))
	}
	time.Sleep(testSettle + 50*time.Millisecond)
	for _, pk := range pks {
		ce.post(ce.nodes[0], "GetItem", `{"TableName":"dead","Key":{"pk":{"S":"`+pk+`"}}}`)
		r := ce.post(ce.nodes[1], "GetItem", `{"TableName":"dead","Key":{"pk":{"S":"`+pk+`"}}}`)
		if r.cache() != cacheHit || r.Header.Get(hdrOwner) == victim.id {
			t.Fatalf("%s after the view dropped the dead owner: cache %q owner %q", pk, r.cache(), r.Header.Get(hdrOwner))
		}
	}
}

func TestClusterOwnershipLostAndRegainedIsNotServedStale(t *testing.T) {
	ce := newClusterEnv(t, 2)
	ce.createTable("regain")
	a := ce.nodes[0]
	// Keys a owns now.
	var pks []string
	for i := 0; len(pks) < 40; i++ {
		pk := fmt.Sprintf("r%d", i)
		if ce.owner(itemKey("regain", pk)) == a {
			pks = append(pks, pk)
			ce.post(a, "PutItem", `{"TableName":"regain","Item":{"pk":{"S":"`+pk+`"},"v":{"S":"old"}}}`)
		}
	}
	// A third node joins and takes some of them; they change while it owns
	// them; it leaves, and a owns them again.
	d := ce.add("p9")
	ce.settle()
	var moved []string
	for _, pk := range pks {
		if ce.owner(itemKey("regain", pk)) == d {
			moved = append(moved, pk)
		}
	}
	if len(moved) == 0 {
		t.Fatal("the join moved none of a's keys")
	}
	for _, pk := range moved {
		if _, hit := a.p.items.Get(itemKey("regain", pk)); hit {
			t.Fatalf("%s: a still caches a key it lost", pk)
		}
		ce.post(d, "PutItem", `{"TableName":"regain","Item":{"pk":{"S":"`+pk+`"},"v":{"S":"new"}}}`)
	}
	if err := d.cn.Close(); err != nil {
		t.Fatal(err)
	}
	ce.nodes = ce.nodes[:2]
	ce.settle()
	for _, pk := range moved {
		for _, via := range ce.nodes {
			r := ce.post(via, "GetItem", `{"TableName":"regain","Key":{"pk":{"S":"`+pk+`"}}}`)
			if !strings.Contains(string(r.Body), `"new"`) {
				t.Fatalf("%s via %s after a regained it: %s", pk, via.id, r.Body)
			}
		}
	}
}

var _ = wire.PrefixDynamoDB
