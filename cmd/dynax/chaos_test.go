package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Real-process chaos test of the cache cluster (docs/cluster.md): a `dynax
// etcd`, a `dynax store` and three `dynax proxy` members; history-checking
// clients write versioned values and read them through random nodes while
// a member is SIGKILLed and restarted, etcd is frozen (SIGSTOP) for three
// seconds, a fourth member joins and one leaves gracefully. A first phase
// writes straight to the store (bypassing every proxy) and measures the
// staleness of every read through the proxies.

const (
	chaosLease  = 2 * time.Second
	chaosSettle = time.Second
	// chaosBound is the stated bound on the staleness of a read during
	// membership changes: the settle window plus a lease TTL.
	chaosBound = chaosSettle + chaosLease
	// bypassReadBound is the stated bound on the staleness of a read of a
	// write that bypassed every proxy.
	bypassReadBound = time.Second
)

var endpointRE = regexp.MustCompile(`etcd_endpoint=(http://127\.0\.0\.1:\d+)`)

// proc is a dynax process the test controls.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	args []string
	url  string // its endpoint (addr=, or etcd_endpoint= for etcd)
	done chan struct{}
}

// startProc runs `bin args…` and waits for the log line matching re.
func startProc(t *testing.T, bin string, re *regexp.Regexp, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, args: args, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case u := <-found:
		if !strings.HasPrefix(u, "http") {
			u = "http://" + u
		}
		p.url = u
	case <-p.done:
		t.Fatalf("dynax %v exited before it was ready", args)
	case <-time.After(20 * time.Second):
		t.Fatalf("dynax %v was not ready after 20 s", args)
	}
	return p
}

func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stop ends the process gracefully (SIGTERM) and waits for it.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.t.Errorf("dynax %v did not stop after SIGTERM", p.args)
		p.kill()
	}
}

// hop is one history operation.
type hop struct {
	key      int
	ver      int64 // written, or read (-1: not found)
	inv, ret time.Time
	acked    bool // writes: acknowledged
	node     string
}

// history records operations from many goroutines.
type history struct {
	table  string
	mu     sync.Mutex
	writes [][]hop // per key, in version order
	reads  []hop
	failed int // reads without an answer
}

// nodes is the set of live endpoints reads (and writes) pick from.
type nodes struct {
	mu   sync.Mutex
	urls []string
}

func (n *nodes) set(urls ...string) { n.mu.Lock(); n.urls = urls; n.mu.Unlock() }
func (n *nodes) pick(r *rand.Rand) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.urls[r.IntN(len(n.urls))]
}

var chaosClient = &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: 5 * time.Second}}

// ddbCall posts one DynamoDB call; ok is false without a 200 answer.
func ddbCall(url, op, body string) (string, bool) {
	req, err := http.NewRequest("POST", url+"/", strings.NewReader(body))
	if err != nil {
		return "", false
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=abc")
	resp, err := chaosClient.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err == nil && resp.StatusCode == 200
}

var verRE = regexp.MustCompile(`"v":\{"N":"(\d+)"\}`)

// runHistory runs writers and readers for d: writers put increasing
// versions of their own keys through writeTo, readers get random keys
// through readFrom.
func runHistory(h *history, keys, writers, readers int, d time.Duration, writeTo, readFrom *nodes) {
	h.writes = make([][]hop, keys)
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			ver := int64(0)
			for time.Now().Before(stop) {
				k := w + writers*r.IntN(keys/writers)
				ver++
				u := writeTo.pick(r)
				op := hop{key: k, ver: ver, inv: time.Now(), node: u}
				_, op.acked = ddbCall(u, "PutItem", fmt.Sprintf(`{"TableName":"%s","Item":{"pk":{"S":"k%d"},"v":{"N":"%d"},"w":{"N":"%d"}}}`, h.table, k, ver*int64(writers)+int64(w), w))
				op.ret = time.Now()
				op.ver = ver*int64(writers) + int64(w)
				h.mu.Lock()
				h.writes[k] = append(h.writes[k], op)
				h.mu.Unlock()
				time.Sleep(time.Duration(2+r.IntN(4)) * time.Millisecond)
			}
		}(w)
	}
	for g := 0; g < readers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 2))
			for time.Now().Before(stop) {
				k := r.IntN(keys)
				u := readFrom.pick(r)
				op := hop{key: k, inv: time.Now(), node: u}
				body, ok := ddbCall(u, "GetItem", fmt.Sprintf(`{"TableName":"%s","Key":{"pk":{"S":"k%d"}}}`, h.table, k))
				op.ret = time.Now()
				h.mu.Lock()
				if !ok {
					h.failed++
					h.mu.Unlock()
					continue
				}
				op.ver = -1
				if m := verRE.FindStringSubmatch(body); m != nil {
					op.ver, _ = strconv.ParseInt(m[1], 10, 64)
				}
				h.reads = append(h.reads, op)
				h.mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
}

// check returns the staleness of every stale read (a read older than the
// newest write acknowledged before it began: how long before the read
// began the first newer write was acknowledged), and fails on reads of
// versions never written before they returned. Every key's writes are
// sequential (one writer per key), so versions grow with time.
func (h *history) check(t *testing.T) (stale []time.Duration) {
	t.Helper()
	for _, r := range h.staleReads(t) {
		stale = append(stale, r.by)
	}
	slices.Sort(stale)
	return stale
}

// staleRead is a read older than the newest write acknowledged before it
// began.
type staleRead struct {
	inv time.Time     // when the read began
	by  time.Duration // how long before inv the first newer write was acknowledged
}

// staleReads lists the stale reads (see check).
func (h *history) staleReads(t *testing.T) (stale []staleRead) {
	t.Helper()
	for _, r := range h.reads {
		ws := h.writes[r.key]
		var newestAcked int64 = -1
		var firstNewer time.Time
		known := r.ver == -1
		for _, w := range ws {
			if w.ver == r.ver && w.inv.Before(r.ret) {
				known = true
			}
			if w.acked && w.ret.Before(r.inv) {
				newestAcked = w.ver
				if w.ver > r.ver && firstNewer.IsZero() {
					firstNewer = w.ret
				}
			}
		}
		if !known {
			t.Errorf("read of k%d through %s returned version %d, never written before the read returned", r.key, r.node, r.ver)
		}
		if newestAcked > r.ver {
			stale = append(stale, staleRead{inv: r.inv, by: r.inv.Sub(firstNewer)})
		}
	}
	return stale
}

// checkNoLostWrites reads every key consistently from the store: no
// acknowledged write may be lost.
func (h *history) checkNoLostWrites(t *testing.T, storeURL string) {
	t.Helper()
	for k, ws := range h.writes {
		var last int64 = -1
		for _, w := range ws {
			if w.acked {
				last = w.ver
			}
		}
		body, ok := ddbCall(storeURL, "GetItem", fmt.Sprintf(`{"TableName":"%s","Key":{"pk":{"S":"k%d"}},"ConsistentRead":true}`, h.table, k))
		if !ok {
			t.Fatalf("consistent read of k%d: %s", k, body)
		}
		var got int64 = -1
		if m := verRE.FindStringSubmatch(body); m != nil {
			got, _ = strconv.ParseInt(m[1], 10, 64)
		}
		if got < last {
			t.Errorf("k%d: the store holds version %d, older than the last acknowledged %d: a write was lost", k, got, last)
		}
	}
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, len(d)*p/100)]
}

// TestClusterChaosProcesses is bounded (about 15 s of workload) and stops
// by itself.
func TestClusterChaosProcesses(t *testing.T) {
	bin := buildBinary(t)
	etcd := startProc(t, bin, endpointRE, "etcd", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	st := startProc(t, bin, addrRE, "store", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	secret := "chaos-test-secret-0123456789"
	startProxy := func(listen string) *proc {
		return startProc(t, bin, proxyAddrRE, "proxy", "--listen", listen, "--backend", st.url, "--etcd", etcd.url,
			"--cluster-secret", secret, "--lease-ttl", chaosLease.String(), "--settle-window", chaosSettle.String(),
			"--peer-timeout", "500ms")
	}
	addrs := []string{freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)}
	px := make([]*proc, 4)
	for i := 0; i < 3; i++ {
		px[i] = startProxy(addrs[i])
	}
	for _, table := range []string{"bypass", "chaos"} {
		if body, ok := ddbCall(st.url, "CreateTable", `{"TableName":"`+table+`","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`); !ok {
			t.Fatalf("CreateTable: %s", body)
		}
	}
	time.Sleep(chaosSettle + 200*time.Millisecond)
	proxies := &nodes{}
	proxies.set(px[0].url, px[1].url, px[2].url)

	t.Run("bypass", func(t *testing.T) {
		// Writes straight to the store, reads through the proxies.
		h := history{table: "bypass"}
		runHistory(&h, 24, 4, 6, 3*time.Second, &nodes{urls: []string{st.url}}, proxies)
		stale := h.check(t)
		t.Logf("bypass: %d reads (%d failed), %d acknowledged direct writes; %d reads older than the newest acknowledged write, staleness p50 %v p99 %v max %v",
			len(h.reads), h.failed, countAcked(&h), len(stale), pct(stale, 50), pct(stale, 99), pct(stale, 100))
		if len(h.reads) < 300 {
			t.Fatalf("only %d reads", len(h.reads))
		}
		if m := pct(stale, 100); m > bypassReadBound {
			t.Fatalf("a read was %v stale, above the bound %v", m, bypassReadBound)
		}
		h.checkNoLostWrites(t, st.url)
	})

	t.Run("chaos", func(t *testing.T) {
		h := history{table: "chaos"}
		done := make(chan struct{})
		events := make(chan string, 16)
		var changes []time.Time // when each membership change began
		go func() {
			defer close(done)
			step := func(at time.Duration, start time.Time, what string, f func()) {
				time.Sleep(time.Until(start.Add(at)))
				changes = append(changes, time.Now())
				f()
				events <- fmt.Sprintf("%5.1fs %s", time.Since(start).Seconds(), what)
			}
			s := time.Now()
			step(2*time.Second, s, "SIGKILL node 1", func() {
				proxies.set(px[0].url, px[2].url)
				px[1].kill()
			})
			step(3500*time.Millisecond, s, "node 1 restarted", func() {
				px[1] = startProxy(addrs[1])
				proxies.set(px[0].url, px[1].url, px[2].url)
			})
			step(5*time.Second, s, "etcd stopped (SIGSTOP)", func() { _ = etcd.cmd.Process.Signal(syscall.SIGSTOP) })
			step(8*time.Second, s, "etcd resumed (SIGCONT)", func() { _ = etcd.cmd.Process.Signal(syscall.SIGCONT) })
			step(9*time.Second, s, "node 3 joined", func() {
				px[3] = startProxy(addrs[3])
				proxies.set(px[0].url, px[1].url, px[2].url, px[3].url)
			})
			step(11*time.Second, s, "node 2 left gracefully", func() {
				proxies.set(px[0].url, px[1].url, px[3].url)
				px[2].stop()
			})
		}()
		runHistory(&h, 24, 4, 8, 13*time.Second, proxies, proxies)
		<-done
		close(events)
		for e := range events {
			t.Log(e)
		}
		stale := h.check(t)
		t.Logf("chaos: %d reads (%d without an answer), %d writes (%d acknowledged); %d stale reads, staleness p50 %v p99 %v max %v (bound %v)",
			len(h.reads), h.failed, countWrites(&h), countAcked(&h), len(stale), pct(stale, 50), pct(stale, 99), pct(stale, 100), chaosBound)
		if len(h.reads) < 1000 {
			t.Fatalf("only %d reads", len(h.reads))
		}
		// Guarantee 1: with every node healthy (no membership change
		// began within chaosBound before the read), no read is stale.
		healthy := 0
		for _, r := range h.staleReads(t) {
			near := false
			for _, c := range changes {
				if !r.inv.Before(c.Add(-100*time.Millisecond)) && r.inv.Before(c.Add(chaosBound)) {
					near = true
				}
			}
			if !near {
				healthy++
			}
		}
		t.Logf("chaos: %d stale reads outside the membership-change windows", healthy)
		if m := pct(stale, 100); m > chaosBound {
			t.Fatalf("a read was %v stale, above the bound %v", m, chaosBound)
		}
		if healthy > 0 {
			t.Fatalf("%d reads were stale while no membership change was under way (guarantee 1)", healthy)
		}
		h.checkNoLostWrites(t, st.url)
	})
}

func countAcked(h *history) (n int) {
	for _, ws := range h.writes {
		for _, w := range ws {
			if w.acked {
				n++
			}
		}
	}
	return n
}

func countWrites(h *history) (n int) {
	for _, ws := range h.writes {
		n += len(ws)
	}
	return n
}
