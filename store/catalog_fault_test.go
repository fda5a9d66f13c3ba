package store

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/dynax/dynax/ddb/wire"
)

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// nodeCall runs one DynamoDB operation on n in process.
func nodeCall(n *Node, op, body string) (string, error) {
	out, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: op,
		Body: []byte(body), Region: "us-east-1"})
	return string(out), err
}

func mustCall(t testing.TB, n *Node, op, body string) string {
	t.Helper()
	out, err := nodeCall(n, op, body)
	if err != nil {
		t.Fatalf("%s %s: %v", op, body, err)
	}
	return out
}

// tableStatus returns the TableStatus DescribeTable reports for name, or
// "NOT FOUND".
func tableStatus(t testing.TB, n *Node, name string) string {
	t.Helper()
	out, err := nodeCall(n, "DescribeTable", `{"TableName":"`+name+`"}`)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return "NOT FOUND"
		}
		t.Fatalf("DescribeTable %s: %v", name, err)
	}
	i := strings.Index(out, `"TableStatus":"`)
	if i < 0 {
		t.Fatalf("DescribeTable %s: no TableStatus in %s", name, out)
	}
	s := out[i+len(`"TableStatus":"`):]
	return s[:strings.IndexByte(s, '"')]
}

func waitTableStatus(t testing.TB, n *Node, name, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := tableStatus(t, n, name)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("table %s is %s, want %s", name, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const faultTableBody = `{"TableName":"%s","BillingMode":"PAY_PER_REQUEST",` +
	`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`

func createBody(name string) string { return strings.Replace(faultTableBody, "%s", name, 1) }

// walFaults fails every write and sync of the write-ahead log while armed.
func walFaults(armed *atomic.Bool) errorfs.Injector {
	return errorfs.InjectorFunc(func(op errorfs.Op) error {
		if armed.Load() && op.Kind.ReadOrWrite() == errorfs.OpIsWrite && strings.HasSuffix(op.Path, ".log") {
			return errorfs.ErrInjected
		}
		return nil
	})
}

// TestCatalogDelayedChangeWALFault fails the write-ahead log while a
// CREATING table waits to turn ACTIVE and a DELETING one to be dropped.
// The node must not crash or forget them: DescribeTable keeps the
// committed state, the failure is logged and StuckTables lists both with
// several attempts; once the faults stop, the changes complete (on the next
// Open, as Pebble's WAL errors are sticky).
func TestCatalogDelayedChangeWALFault(t *testing.T) {
	mem := vfs.NewMem()
	var armed atomic.Bool
	var logs lockedBuffer
	opts := Options{Dir: "/db", FS: errorfs.Wrap(mem, walFaults(&armed)), CreateDelay: 150 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	n, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	n.cat.retryBase = 20 * time.Millisecond
	mustCall(t, n, "CreateTable", createBody("gone"))
	waitTableStatus(t, n, "gone", "ACTIVE")
	mustCall(t, n, "CreateTable", createBody("born"))
	mustCall(t, n, "DeleteTable", `{"TableName":"gone"}`)
	armed.Store(true)

	deadline := time.Now().Add(10 * time.Second)
	for {
		st := n.StuckTables()
		if len(st) == 2 && st[0].Attempts >= 3 && st[1].Attempts >= 3 {
			if st[0].Table != "born" || st[0].Status != "CREATING" || st[0].Target != "ACTIVE" || st[0].Err == nil ||
				st[1].Table != "gone" || st[1].Status != "DELETING" || st[1].Target != "DELETED" || st[1].Err == nil {
				t.Fatalf("stuck tables %+v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stuck tables %+v, want born and gone with 3 attempts each", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := tableStatus(t, n, "born"); got != "CREATING" {
		t.Fatalf("born is %s during the fault, want CREATING", got)
	}
	if got := tableStatus(t, n, "gone"); got != "DELETING" {
		t.Fatalf("gone is %s during the fault, want DELETING", got)
	}
	if l := logs.String(); !strings.Contains(l, "table stuck, retrying") || !strings.Contains(l, "table=born") || !strings.Contains(l, "table=gone") {
		t.Fatalf("the failures were not logged:\n%s", l)
	}
	armed.Store(false)
	if err := n.Close(); err == nil {
		t.Fatal("Close after a write-ahead log fault returned no error")
	}

	opts.FS = mem
	n, err = Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if got := tableStatus(t, n, "born"); got != "ACTIVE" {
		t.Fatalf("born is %s after the fault, want ACTIVE", got)
	}
	if got := tableStatus(t, n, "gone"); got != "NOT FOUND" {
		t.Fatalf("gone is %s after the fault, want NOT FOUND", got)
	}
	if st := n.StuckTables(); len(st) != 0 {
		t.Fatalf("stuck tables after recovery: %+v", st)
	}
}

func TestCatalogRetryDelay(t *testing.T) {
	c := &catalog{retryBase: 100 * time.Millisecond, retryMax: time.Second}
	f := func(attempt int, want time.Duration) {
		t.Helper()
		if got := c.retryDelay(attempt); got != want {
			t.Errorf("retryDelay(%d) = %v, want %v", attempt, got, want)
		}
	}
	f(1, 100*time.Millisecond)
	f(2, 200*time.Millisecond)
	f(3, 400*time.Millisecond)
	f(4, 800*time.Millisecond)
	f(5, time.Second)
	f(60, time.Second)
}
