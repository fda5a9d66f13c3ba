package cluster

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"
)

// startEtcd runs an embedded etcd on a random loopback port for one test.
func startEtcd(t testing.TB) *Etcd {
	t.Helper()
	e, err := StartEtcd(EtcdOptions{Dir: t.TempDir(), ClientAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	t.Logf("etcd ready in %v", e.ReadyTook)
	return e
}

func join(t testing.TB, e *Etcd, id string, mod func(*Options)) *Membership {
	t.Helper()
	o := Options{Endpoints: []string{e.Endpoint()}, ID: id, PeerAddr: "127.0.0.1:1" + id[len(id)-1:],
		LeaseTTL: time.Second, SettleWindow: -1, Cluster: "t"}
	if mod != nil {
		mod(&o)
	}
	m, err := Join(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// waitMembers waits until m sees exactly want members.
func waitMembers(t testing.TB, m *Membership, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if len(m.View().Members) == want && m.View().Self >= 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s sees %d members (self %d), want %d", m.opts.ID, len(m.View().Members), m.View().Self, want)
}

func TestOptionsValidate(t *testing.T) {
	f := func(o Options, wantErr bool) {
		t.Helper()
		o.EnsureDefaults()
		if err := o.Validate(); (err != nil) != wantErr {
			t.Errorf("Validate(%+v) = %v, want error %v", o, err, wantErr)
		}
	}
	f(Options{Endpoints: []string{"http://127.0.0.1:2379"}, PeerAddr: "127.0.0.1:7000"}, false)
	f(Options{PeerAddr: "127.0.0.1:7000"}, true)
	f(Options{Endpoints: []string{"http://127.0.0.1:2379"}}, true)
	f(Options{Endpoints: []string{"x"}, PeerAddr: "a:1", LeaseTTL: 500 * time.Millisecond}, true)
	f(Options{Endpoints: []string{"x"}, PeerAddr: "a:1", Cluster: "a/b"}, true)
	f(Options{Endpoints: []string{"x"}, PeerAddr: "a:1", ID: "a b"}, true)
	var o Options
	o.EnsureDefaults()
	if o.Prefix != DefaultPrefix || o.Cluster != DefaultCluster || o.LeaseTTL != DefaultLeaseTTL ||
		o.SettleWindow != DefaultSettleWindow || len(o.ID) != 16 {
		t.Errorf("defaults: %+v", o)
	}
}

func TestJoinLeave(t *testing.T) {
	e := startEtcd(t)
	a := join(t, e, "a", nil)
	waitMembers(t, a, 1, 2*time.Second)
	b := join(t, e, "b", nil)
	waitMembers(t, a, 2, 2*time.Second)
	waitMembers(t, b, 2, 2*time.Second)
	if got := b.View().Members[b.View().Self].ID; got != "b" {
		t.Fatalf("b's self is %q", got)
	}
	if a.View().Members[1].Peer != "127.0.0.1:1b" {
		t.Fatalf("a sees b at %q", a.View().Members[1].Peer)
	}
	// A graceful leave revokes the lease: a sees it at once, far below a TTL.
	start := time.Now()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	waitMembers(t, a, 1, 500*time.Millisecond)
	t.Logf("leave seen after %v", time.Since(start))
	if s := a.Stats(); s.Leaves != 1 || s.Members != 1 || s.Attached != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestCrashLeavesAfterLeaseTTL(t *testing.T) {
	e := startEtcd(t)
	a := join(t, e, "a", nil)
	b := join(t, e, "b", nil)
	waitMembers(t, a, 2, 2*time.Second)
	start := time.Now()
	b.Abandon() // no revoke: the lease must expire
	time.Sleep(500 * time.Millisecond)
	if n := len(a.View().Members); n != 2 {
		t.Fatalf("crashed member gone after %v, before its lease TTL (%d members)", time.Since(start), n)
	}
	waitMembers(t, a, 1, 3*time.Second)
	took := time.Since(start)
	t.Logf("crash seen after %v (TTL 1s)", took)
	if took < 900*time.Millisecond {
		t.Fatalf("crash seen after %v, before the 1s lease could expire", took)
	}
}

func TestOwnershipLossAdvancesEpoch(t *testing.T) {
	e := startEtcd(t)
	var losses atomic.Int32
	a := join(t, e, "a", func(o *Options) { o.OnOwnershipLoss = func(bool) { losses.Add(1) } })
	e0 := a.Epoch()
	b := join(t, e, "b", nil)
	waitMembers(t, a, 2, 2*time.Second)
	if a.Epoch() != e0+1 || losses.Load() != 1 {
		t.Fatalf("after a join: epoch %d (was %d), %d loss callbacks; want one", a.Epoch(), e0, losses.Load())
	}
	// A leave takes nothing from a: the epoch stays.
	_ = b.Close()
	waitMembers(t, a, 1, 2*time.Second)
	if a.Epoch() != e0+1 || losses.Load() != 1 {
		t.Fatalf("after a leave: epoch %d, %d loss callbacks", a.Epoch(), losses.Load())
	}
}

func TestDetachedWhenRegistrationDeleted(t *testing.T) {
	e := startEtcd(t)
	a := join(t, e, "a", nil)
	e0 := a.Epoch()
	// Someone deletes our key (an operator, or etcd expired the lease):
	// we are detached, then registered again, with a new epoch.
	if _, err := a.cli.Revoke(context.Background(), leaseOf(a)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	sawDetached := false
	for time.Now().Before(deadline) {
		r := a.Route("k")
		if r.Detached {
			sawDetached = true
		}
		if sawDetached && !r.Detached {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if !sawDetached || a.Route("k").Detached {
		t.Fatalf("detached seen %v, detached now %v", sawDetached, a.Route("k").Detached)
	}
	if a.Epoch() <= e0 || a.Stats().Reregistrations < 1 {
		t.Fatalf("epoch %d (was %d), re-registrations %d", a.Epoch(), e0, a.Stats().Reregistrations)
	}
}

func leaseOf(m *Membership) clientv3LeaseID { return clientv3LeaseID(m.lease.Load()) }

func TestOwnershipDistribution(t *testing.T) {
	e := startEtcd(t)
	ms := []*Membership{join(t, e, "n1", nil), join(t, e, "n2", nil), join(t, e, "n3", nil)}
	for _, m := range ms {
		waitMembers(t, m, 3, 2*time.Second)
	}
	const n = 30000
	counts := map[string]int{}
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("table\x00k%d", i)
		var owner string
		locals := 0
		for _, m := range ms {
			r := m.Route(key)
			if owner == "" {
				owner = r.Owner.ID
			} else if r.Owner.ID != owner {
				t.Fatalf("key %q: members disagree on the owner (%s, %s)", key, owner, r.Owner.ID)
			}
			if r.Local {
				locals++
			}
		}
		if locals != 1 {
			t.Fatalf("key %q: %d members think they own it", key, locals)
		}
		counts[owner]++
	}
	for id, c := range counts {
		share := float64(c) / n
		if math.Abs(share-1.0/3) > 0.02 {
			t.Errorf("%s owns %.3f of the keys, want 1/3 ± 0.02", id, share)
		}
	}
	if len(counts) != 3 {
		t.Fatalf("owners %v", counts)
	}
}

func TestMinimalRemappingOnJoin(t *testing.T) {
	e := startEtcd(t)
	a, b, c := join(t, e, "n1", nil), join(t, e, "n2", nil), join(t, e, "n3", nil)
	waitMembers(t, a, 3, 2*time.Second)
	const n = 20000
	before := make([]string, n)
	for i := range before {
		before[i] = a.Route(fmt.Sprintf("t\x00%d", i)).Owner.ID
	}
	d := join(t, e, "n4", nil)
	waitMembers(t, a, 4, 2*time.Second)
	moved, toNew := 0, 0
	for i := range before {
		now := a.Route(fmt.Sprintf("t\x00%d", i)).Owner.ID
		if now != before[i] {
			moved++
			if now == d.opts.ID {
				toNew++
			}
		}
	}
	if moved != toNew {
		t.Fatalf("%d keys moved, only %d of them to the new member: a join must move keys only to it", moved, toNew)
	}
	frac := float64(moved) / n
	if math.Abs(frac-0.25) > 0.02 {
		t.Fatalf("a join moved %.3f of the keys, want 1/4 ± 0.02", frac)
	}
	_, _ = b, c
}

func TestSettleWindow(t *testing.T) {
	e := startEtcd(t)
	a := join(t, e, "n1", func(o *Options) { o.SettleWindow = 300 * time.Millisecond })
	b := join(t, e, "n2", nil)
	waitMembers(t, a, 2, 2*time.Second)
	time.Sleep(350 * time.Millisecond)
	// Find keys b owns; when b leaves, a gains them, unsettled for a while.
	var gained []string
	for i := 0; len(gained) < 50; i++ {
		k := fmt.Sprintf("t\x00%d", i)
		if r := a.Route(k); !r.Local {
			gained = append(gained, k)
		} else if !r.Settled {
			t.Fatalf("key %q owned since the window passed is unsettled", k)
		}
	}
	_ = b.Close()
	waitMembers(t, a, 1, 2*time.Second)
	for _, k := range gained {
		if r := a.Route(k); !r.Local || r.Settled {
			t.Fatalf("gained key %q: route %+v, want local and unsettled", k, r)
		}
	}
	time.Sleep(350 * time.Millisecond)
	for _, k := range gained {
		if r := a.Route(k); !r.Settled {
			t.Fatalf("gained key %q still unsettled after the window", k)
		}
	}
}

func TestOwnerFunction(t *testing.T) {
	members := []Member{{ID: "x"}, {ID: "y"}, {ID: "z"}}
	o1, _ := Owner(members, "k")
	o2, _ := Owner([]Member{{ID: "z"}, {ID: "x"}, {ID: "y"}}, "k")
	if o1.ID != o2.ID {
		t.Fatalf("owner depends on member order: %s vs %s", o1.ID, o2.ID)
	}
	if _, ok := Owner(nil, "k"); ok {
		t.Fatal("owner of an empty view")
	}
	sh := Shares(members, 9000)
	for id, s := range sh {
		if math.Abs(s-1.0/3) > 0.03 {
			t.Errorf("share of %s %.3f", id, s)
		}
	}
}
