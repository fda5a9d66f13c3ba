package proxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// The HTTP layer of both servers (the storage node's and the proxy's):
// every answer is a DynamoDB answer, also for bodies fasthttp refuses, and
// fasthttp's log lines go through slog.

// rawExchange sends head (the request line and headers, without the
// final CRLF) and then body on a fresh connection, and reads the answer.
func rawExchange(t *testing.T, url, head string, body func(w io.Writer)) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	go func() {
		w := bufio.NewWriterSize(c, 1<<20)
		_, _ = io.WriteString(w, head+"\r\n")
		body(w)
		_ = w.Flush() // the server may close early: errors are expected
	}()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

const reqHead = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.GetItem\r\n" +
	"X-Amz-Date: 20260101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=abc\r\n"

// paddedBody returns a GetItem body of exactly n bytes.
func paddedBody(n int) []byte {
	pre, post := `{"TableName":"nope","Key":{"pk":{"S":"a"}},"Pad":"`, `"}`
	b := make([]byte, n)
	copy(b, pre)
	for i := len(pre); i < n-len(post); i++ {
		b[i] = 'x'
	}
	copy(b[n-len(post):], post)
	return b
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, srv := range []struct{ name, url string }{{"store", e.storeURL}, {"proxy", e.proxyURL}} {
		f := func(size int, chunked bool, want int) {
			t.Helper()
			body := paddedBody(size)
			head := reqHead + fmt.Sprintf("Content-Length: %d\r\n", size)
			send := func(w io.Writer) { _, _ = w.Write(body) }
			if chunked {
				head = reqHead + "Transfer-Encoding: chunked\r\n"
				send = func(w io.Writer) {
					for off := 0; off < len(body); off += 1 << 20 {
						end := min(off+1<<20, len(body))
						fmt.Fprintf(w, "%x\r\n", end-off)
						_, _ = w.Write(body[off:end])
						_, _ = io.WriteString(w, "\r\n")
					}
					_, _ = io.WriteString(w, "0\r\n\r\n")
				}
			}
			resp := rawExchange(t, srv.url, head, send)
			got, _ := io.ReadAll(resp.Body)
			what := fmt.Sprintf("%s: body of %d bytes (chunked %v)", srv.name, size, chunked)
			if resp.StatusCode != want {
				t.Fatalf("%s: %d %q, want %d", what, resp.StatusCode, got, want)
			}
			if resp.Header.Get("x-amzn-RequestId") == "" {
				t.Fatalf("%s: no x-amzn-RequestId", what)
			}
			switch want {
			case 413:
				if len(got) != 0 || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
					t.Fatalf("%s: 413 with body %q (transfer encoding %v), want it empty and chunked", what, got, resp.TransferEncoding)
				}
			default:
				if !bytes.Contains(got, []byte(`"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"`)) {
					t.Fatalf("%s: %d %q, want DynamoDB's ResourceNotFoundException", what, resp.StatusCode, got)
				}
			}
		}
		const limit = 16 * 1024 * 1024
		f(limit, false, 400)
		f(limit, true, 400)
		f(limit+1, false, 413)
		f(limit+1, true, 413)
		f(limit+2<<20, false, 413) // beyond the old fasthttp limit of 17 MiB
		f(limit+2<<20, true, 413)
	}
}

func TestMalformedHTTP(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, url := range []string{e.storeURL, e.proxyURL} {
		resp := rawExchange(t, url, reqHead+"Content-Length: 12x\r\n", func(io.Writer) {})
		got, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 || !bytes.Contains(got, []byte(`"__type":"com.amazon.coral.service#SerializationException"`)) ||
			resp.Header.Get("x-amzn-RequestId") == "" {
			t.Fatalf("%s: %d %v %q, want DynamoDB's SerializationException", url, resp.StatusCode, resp.Header, got)
		}
	}
}

// flakyListener fails its first Accept with a timeout.
type flakyListener struct {
	net.Listener
	once sync.Once
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "injected accept timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func (l *flakyListener) Accept() (net.Conn, error) {
	var err error
	l.once.Do(func() { err = timeoutErr{} })
	if err != nil {
		return nil, err
	}
	return l.Listener.Accept()
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestFastHTTPLogsToSlog(t *testing.T) {
	n, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	p, err := New(Options{Backend: &StoreBackend{Node: n, Logger: quiet}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for name, serve := range map[string]func(net.Listener) (func(), error){
		"store": func(ln net.Listener) (func(), error) {
			s := wire.NewServer(n, log)
			go func() { _ = s.Serve(ln) }()
			return func() { _ = s.Shutdown() }, nil
		},
		"proxy": func(ln net.Listener) (func(), error) {
			s := p.Server()
			go func() { _ = s.Serve(ln) }()
			return func() { _ = s.Shutdown() }, nil
		},
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		stop, _ := serve(&flakyListener{Listener: ln})
		// A request still gets served after the failed Accept.
		r := post(t, "http://"+ln.Addr().String(), "ListTables", `{}`)
		stop()
		if r.Status != 200 {
			t.Fatalf("%s: ListTables %d %s", name, r.Status, r.Body)
		}
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(logs.String(), "injected accept timeout") {
			if time.Now().After(deadline) {
				t.Fatalf("%s: fasthttp's log line did not reach slog; slog has %q", name, logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		if !strings.Contains(logs.String(), `"component":"fasthttp"`) {
			t.Fatalf("%s: %q", name, logs.String())
		}
		logs.mu.Lock()
		logs.b.Reset()
		logs.mu.Unlock()
	}
}
