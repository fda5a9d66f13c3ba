package cluster

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

const testSecret = "0123456789abcdef-test"

// recorder is a PeerHandler that answers reads with a fixed body and
// records invalidations.
type recorder struct {
	mu   sync.Mutex
	invs []Invalidation
	last PeerRead
}

func (r *recorder) ServePeerRead(ctx context.Context, pr *PeerRead) (int, []byte, string) {
	r.mu.Lock()
	r.last = *pr
	r.last.Body = append([]byte(nil), pr.Body...)
	r.mu.Unlock()
	if bytes.Contains(pr.Body, []byte("missing-table")) {
		return 400, []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}`), "bypass"
	}
	return 200, []byte(`{"Item":{"k":{"S":"v"}}}`), "hit"
}

func (r *recorder) ApplyInvalidation(inv *Invalidation) {
	r.mu.Lock()
	r.invs = append(r.invs, *inv)
	r.mu.Unlock()
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.invs)
}

func startPeer(t testing.TB, h PeerHandler, secret string) string {
	t.Helper()
	s, err := NewPeerServer(PeerServerOptions{Secret: secret, Cluster: "t", ID: "x", Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return ln.Addr().String()
}

func client(t testing.TB, secret string) *PeerClient {
	t.Helper()
	c, err := NewPeerClient(PeerClientOptions{Secret: secret, Cluster: "t"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestPeerSecretCheck(t *testing.T) {
	rec := &recorder{}
	addr := startPeer(t, rec, testSecret)
	ctx := context.Background()
	// Another secret, or another cluster name with the right secret: 403.
	for _, c := range []*PeerClient{client(t, "another-secret-0123456"), mustClient(t, testSecret, "other")} {
		_, _, _, err := c.Read(ctx, addr, &PeerRead{Operation: "GetItem", Body: []byte(`{}`)})
		if !errors.Is(err, ErrForbidden) {
			t.Fatalf("read with a wrong token: %v, want ErrForbidden", err)
		}
		if err := c.Invalidate(ctx, addr, &Invalidation{Tables: []string{"x"}}); !errors.Is(err, ErrForbidden) {
			t.Fatalf("invalidate with a wrong token: %v", err)
		}
	}
	if rec.count() != 0 || rec.last.Operation != "" {
		t.Fatal("a refused request reached the handler")
	}
	// A DynamoDB client (no token) gets 403, not a DynamoDB answer.
	f := func(method, path string, hdr map[string]string, wantStatus int) {
		t.Helper()
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI("http://" + addr + path)
		req.Header.SetMethod(method)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		req.SetBodyString(`{"TableName":"t","Key":{"k":{"S":"v"}}}`)
		if err := fasthttp.DoTimeout(req, resp, time.Second); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode() != wantStatus {
			t.Fatalf("%s %s: status %d, want %d", method, path, resp.StatusCode(), wantStatus)
		}
		if len(resp.Header.Peek("x-amzn-RequestId")) != 0 || bytes.Contains(resp.Body(), []byte("__type")) {
			t.Fatalf("%s %s answered like DynamoDB: %s", method, path, resp.Body())
		}
	}
	f("POST", "/", map[string]string{"X-Amz-Target": "DynamoDB_20120810.GetItem"}, 403)
	f("POST", pathRead, map[string]string{hdrOp: "GetItem", hdrAuth: "00"}, 403)
	f("POST", "/", map[string]string{"X-Amz-Target": "DynamoDB_20120810.GetItem", hdrAuth: Token(testSecret, "t")}, 404)
	f("GET", pathHealth, nil, 200)
	if rec.count() != 0 || rec.last.Operation != "" {
		t.Fatal("a refused request reached the handler")
	}
	if _, err := NewPeerServer(PeerServerOptions{Secret: "short", Handler: rec}); !errors.Is(err, ErrBadOptions) {
		t.Fatalf("short secret: %v", err)
	}
}

func mustClient(t testing.TB, secret, cluster string) *PeerClient {
	c, err := NewPeerClient(PeerClientOptions{Secret: secret, Cluster: cluster})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestPeerReadRoundTrip(t *testing.T) {
	rec := &recorder{}
	addr := startPeer(t, rec, testSecret)
	c := client(t, testSecret)
	ctx := context.Background()
	body := []byte(`{"TableName":"t","Key":{"k":{"S":"v"}}}`)
	status, out, cache, err := c.Read(ctx, addr, &PeerRead{Operation: "GetItem", Body: body, Region: "eu-west-1", AccessKey: "AK", RequestID: "R1"})
	if err != nil || status != 200 || string(out) != `{"Item":{"k":{"S":"v"}}}` || cache != "hit" {
		t.Fatalf("read: %d %s %q %v", status, out, cache, err)
	}
	if rec.last.Operation != "GetItem" || string(rec.last.Body) != string(body) || rec.last.Region != "eu-west-1" ||
		rec.last.AccessKey != "AK" || rec.last.RequestID != "R1" {
		t.Fatalf("handler saw %+v", rec.last)
	}
	// A DynamoDB error answer is relayed as such, not as a peer failure.
	status, out, _, err = c.Read(ctx, addr, &PeerRead{Operation: "GetItem", Body: []byte(`{"TableName":"missing-table"}`)})
	if err != nil || status != 400 || !bytes.Contains(out, []byte("ResourceNotFoundException")) {
		t.Fatalf("error relay: %d %s %v", status, out, err)
	}
	// Only cacheable reads are accepted.
	if _, _, _, err := c.Read(ctx, addr, &PeerRead{Operation: "PutItem", Body: body}); !errors.Is(err, ErrPeerStatus) {
		t.Fatalf("PutItem over the peer protocol: %v", err)
	}
	// A dead peer is unreachable.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	if _, _, _, err := c.Read(ctx, dead, &PeerRead{Operation: "GetItem", Body: body}); !IsUnreachable(err) {
		t.Fatalf("dead peer: %v", err)
	}
	inv := &Invalidation{Keys: [][]byte{[]byte("t\x00\x01\x02\xff")}, Bumps: []Bump{{Table: "t", Partition: []byte{0, 0xfe}}}, Tables: []string{"u"}}
	if err := c.Invalidate(ctx, addr, inv); err != nil {
		t.Fatal(err)
	}
	got := rec.invs[0]
	if string(got.Keys[0]) != "t\x00\x01\x02\xff" || string(got.Bumps[0].Partition) != "\x00\xfe" || got.Tables[0] != "u" {
		t.Fatalf("binary keys did not survive: %+v", got)
	}
	if s := c.Stats(); s.Reads != 4 || s.ReadFailures != 2 || s.Invalidations != 1 {
		t.Fatalf("client stats %+v", s)
	}
}

func TestFanoutToAllMembers(t *testing.T) {
	e := startEtcd(t)
	recs := []*recorder{{}, {}, {}, {}}
	var ms []*Membership
	for i, r := range recs {
		addr := startPeer(t, r, testSecret)
		id := "n" + string(rune('1'+i))
		ms = append(ms, join(t, e, id, func(o *Options) { o.PeerAddr = addr }))
	}
	for _, m := range ms {
		waitMembers(t, m, 4, 2*time.Second)
	}
	f := NewFanout(ms[0], client(t, testSecret), nil)
	defer f.Close()
	keys := map[string][][]byte{"n2": {[]byte("k2")}, "n4": {[]byte("k4a"), []byte("k4b")}}
	if failed := f.Send(context.Background(), Invalidation{Bumps: []Bump{{Table: "t", Partition: []byte("p")}}}, keys); failed != 0 {
		t.Fatalf("%d deliveries failed", failed)
	}
	if recs[0].count() != 0 {
		t.Fatal("the sender invalidated itself over the network")
	}
	for i, r := range recs[1:] {
		if r.count() != 1 || len(r.invs[0].Bumps) != 1 {
			t.Fatalf("member %d got %d invalidations", i+2, r.count())
		}
	}
	if len(recs[1].invs[0].Keys) != 1 || len(recs[2].invs[0].Keys) != 0 || len(recs[3].invs[0].Keys) != 2 {
		t.Fatal("keys went to the wrong members")
	}
}

func TestFanoutRetriesUntilDelivered(t *testing.T) {
	e := startEtcd(t)
	a := join(t, e, "n1", nil)
	// n2's peer port accepts nothing yet.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	join(t, e, "n2", func(o *Options) { o.PeerAddr = addr })
	waitMembers(t, a, 2, 2*time.Second)
	f := NewFanout(a, client(t, testSecret), nil)
	defer f.Close()
	if failed := f.Send(context.Background(), Invalidation{Tables: []string{"t"}}, nil); failed != 1 {
		t.Fatalf("failed %d, want 1", failed)
	}
	// n2 comes up: the retry delivers.
	rec := &recorder{}
	s, _ := NewPeerServer(PeerServerOptions{Secret: testSecret, Cluster: "t", Handler: rec})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	defer s.Close()
	deadline := time.Now().Add(2 * time.Second)
	for rec.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if rec.count() != 1 || rec.invs[0].Tables[0] != "t" || f.Pending() != 0 {
		t.Fatalf("retry: %d delivered, %d pending", rec.count(), f.Pending())
	}
}
