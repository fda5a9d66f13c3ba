package bench

import (
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// opCounter counts requests by X-Amz-Target operation.
type opCounter struct {
	mu sync.Mutex
	n  map[string]int64
}

func (c *opCounter) get(op string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

func (c *opCounter) reset() {
	c.mu.Lock()
	c.n = map[string]int64{}
	c.mu.Unlock()
}

func targetOp(ctx *fasthttp.RequestCtx) string {
	t := string(ctx.Request.Header.Peek("X-Amz-Target"))
	return t[strings.LastIndexByte(t, '.')+1:]
}

// startStore starts a real storage node on 127.0.0.1:0; wrap (optional)
// wraps its handler. It returns the endpoint URL and a request counter.
func startStore(t *testing.T, wrap func(next fasthttp.RequestHandler) fasthttp.RequestHandler) (string, *opCounter) {
	t.Helper()
	return startStoreWith(t, store.Options{}, wrap)
}

// startStoreWith is startStore with options (Dir, NoSync and Logger are
// set here).
func startStoreWith(t *testing.T, opts store.Options, wrap func(next fasthttp.RequestHandler) fasthttp.RequestHandler) (string, *opCounter) {
	t.Helper()
	opts.Dir, opts.NoSync, opts.Logger = t.TempDir(), true, slog.New(slog.DiscardHandler)
	node, err := store.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := wire.NewServer(node, slog.New(slog.DiscardHandler))
	var h fasthttp.RequestHandler = srv.ServeFastHTTP
	if wrap != nil {
		h = wrap(h)
	}
	cnt := &opCounter{n: map[string]int64{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		op := targetOp(ctx)
		cnt.mu.Lock()
		cnt.n[op]++
		cnt.mu.Unlock()
		h(ctx)
	}}
	t.Cleanup(func() {
		if err := node.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	serveTest(t, fs, ln)
	return "http://" + ln.Addr().String(), cnt
}

// serveTest serves srv on ln until the test ends, then shuts it down and
// fails the test if Serve failed.
func serveTest(t *testing.T, srv *fasthttp.Server, ln net.Listener) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Shutdown()
		_ = ln.Close() // in case Shutdown came before Serve registered ln
		if err := <-done; err != nil {
			t.Errorf("test server: %v", err)
		}
	})
}

func newTestClient(t *testing.T, endpoint string) *Client {
	t.Helper()
	c, err := NewClient(endpoint, 64)
	if err != nil {
		t.Fatal(err)
	}
	c.Signer = NewSigner(TestCredentials, "us-east-1")
	return c
}
