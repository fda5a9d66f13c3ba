package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// TestCloseNodeExitCode: the exit code turns 1 when closing the store
// fails (here after a write-ahead log fault), and stays as it was
// otherwise.
func TestCloseNodeExitCode(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	open := func(faulty bool) *store.Node {
		t.Helper()
		var armed atomic.Bool
		fs := errorfs.Wrap(vfs.NewMem(), errorfs.InjectorFunc(func(op errorfs.Op) error {
			if armed.Load() && op.Kind.ReadOrWrite() == errorfs.OpIsWrite && strings.HasSuffix(op.Path, ".log") {
				return errorfs.ErrInjected
			}
			return nil
		}))
		n, err := store.Open(store.Options{Dir: "/db", FS: fs, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		if faulty {
			armed.Store(true)
			// The failed commit reaches the client as a 500; the engine
			// is broken from here on.
			_, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "CreateTable",
				Body: []byte(`{"TableName":"t1","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],` +
					`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`)})
			if err == nil {
				t.Fatal("CreateTable succeeded on a failing write-ahead log")
			}
		}
		return n
	}
	f := func(faulty bool, code, want int) {
		t.Helper()
		if got := closeNode(log, open(faulty), code); got != want {
			t.Errorf("closeNode(faulty %v, code %d) = %d, want %d", faulty, code, got, want)
		}
	}
	f(false, 0, 0)
	f(false, 2, 2)
	f(true, 0, 1)
	f(true, 2, 2)
}

// failingListener fails Accept with a non-temporary error.
type failingListener struct{ net.Listener }

func (failingListener) Accept() (net.Conn, error) { return nil, errors.New("accept: injected failure") }

// TestServeBackgroundReportsServeError: a server that failed in the
// background reports its error at stop; a healthy one reports nil.
func TestServeBackgroundReportsServeError(t *testing.T) {
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	h := func(ctx *fasthttp.RequestCtx) {}
	if err := serveBackground(&fasthttp.Server{Handler: h}, listen())(); err != nil {
		t.Fatalf("clean stop: %v", err)
	}
	ln := listen()
	defer ln.Close()
	err := serveBackground(&fasthttp.Server{Handler: h}, failingListener{ln})()
	if err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("failed server: stop returned %v", err)
	}
}
