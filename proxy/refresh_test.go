package proxy

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// describeHook runs hook on every DescribeTable after the first (the
// background refreshes).
type describeHook struct {
	Backend
	n    atomic.Int32
	hook func(ctx context.Context)
}

func (d *describeHook) Do(ctx context.Context, c *Call) (int, []byte, error) {
	if c.Operation == "DescribeTable" && d.n.Add(1) > 1 {
		d.hook(ctx)
	}
	return d.Backend.Do(ctx, c)
}

// staleSchema makes the proxy's schema of table old and triggers its
// background refresh (one check every 256 lookups).
func staleSchema(t *testing.T, e *testEnv, table string) {
	t.Helper()
	e.ok("GetItem", `{"TableName":"`+table+`","Key":{"pk":{"S":"a"}}}`)
	e.clock.Advance(time.Hour)
	for i := 0; i < 300; i++ {
		e.ok("GetItem", `{"TableName":"`+table+`","Key":{"pk":{"S":"a"}}}`)
	}
}

func TestSchemaRefreshPanicRecovered(t *testing.T) {
	var refreshes atomic.Int32
	hook := &describeHook{hook: func(context.Context) {
		refreshes.Add(1)
		panic("injected in DescribeTable")
	}}
	e := newEnv(t, envOpts{clock: true, wrap: func(b Backend) Backend { hook.Backend = b; return hook },
		mut: func(o *Options) { o.SchemaTTL = time.Minute }})
	e.createTable("refp", "", "")
	staleSchema(t, e, "refp")
	e.p.Close() // waits for the refresh
	if refreshes.Load() == 0 {
		t.Fatal("no background refresh ran")
	}
	// The process survived the panic, and the refresh may be tried again.
	e.p.schemas.mu.Lock()
	stuck := e.p.schemas.refreshing["refp"]
	e.p.schemas.mu.Unlock()
	if stuck {
		t.Fatal("the panicked refresh is still marked as running")
	}
}

func TestCloseWaitsForSchemaRefresh(t *testing.T) {
	var started, returned atomic.Bool
	hook := &describeHook{hook: func(ctx context.Context) {
		started.Store(true)
		<-ctx.Done() // a backend that does not answer
		time.Sleep(50 * time.Millisecond)
		returned.Store(true)
	}}
	e := newEnv(t, envOpts{clock: true, wrap: func(b Backend) Backend { hook.Backend = b; return hook },
		mut: func(o *Options) { o.SchemaTTL = time.Minute }})
	e.createTable("refc", "", "")
	staleSchema(t, e, "refc")
	deadline := time.Now().Add(5 * time.Second)
	for !started.Load() {
		if time.Now().After(deadline) {
			t.Fatal("no background refresh started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() { e.p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not stop the refresh")
	}
	if !returned.Load() {
		t.Fatal("Close returned while the schema refresh was still running")
	}
}
