package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeAndProxyFormACluster runs `dynax serve` (embedded etcd) and a
// `dynax proxy` that joins it, checks `dynax cluster status`, and reads a
// write made through one node through the other.
func TestServeAndProxyFormACluster(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	start := time.Now()
	etcdAddr := freeAddr(t)
	serveURL, storeURL := startCmd(t, bin, nil, true, "serve", "--listen", "127.0.0.1:0", "--store-listen", "127.0.0.1:0",
		"--data-dir", dir, "--etcd-listen", etcdAddr)
	t.Logf("dynax serve with etcd ready after %v", time.Since(start))
	log, err := os.ReadFile(filepath.Join(dir, "cluster-secret"))
	if err != nil || len(bytes.TrimSpace(log)) < 32 {
		t.Fatalf("serve's cluster secret: %q %v", log, err)
	}
	etcd := "http://" + etcdAddr
	proxyURL, _ := startCmd(t, bin, nil, false, "proxy", "--listen", "127.0.0.1:0", "--backend", storeURL,
		"--etcd", etcd, "--cluster-secret-file", filepath.Join(dir, "cluster-secret"))
	var out bytes.Buffer
	deadline := time.Now().Add(5 * time.Second)
	for {
		out.Reset()
		code := run([]string{"cluster", "status", "--etcd", etcd}, &out, &out)
		if code == 0 && strings.Contains(out.String(), "2 members") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster status: %d\n%s", code, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Count(out.String(), " ok ") != 2 || !strings.Contains(out.String(), "%") {
		t.Fatalf("cluster status:\n%s", out.String())
	}
	time.Sleep(1200 * time.Millisecond) // the settle window
	if st, _, body := call(t, serveURL, "CreateTable", `{"TableName":"clt","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`); st != 200 {
		t.Fatalf("CreateTable: %d %s", st, body)
	}
	for i, pk := range []string{"a", "b", "c", "d", "e", "f"} {
		writer, reader := serveURL, proxyURL
		if i%2 == 1 {
			writer, reader = proxyURL, serveURL
		}
		for _, v := range []string{"1", "2"} {
			if st, _, body := call(t, writer, "PutItem", `{"TableName":"clt","Item":{"pk":{"S":"`+pk+`"},"v":{"S":"`+v+`"}}}`); st != 200 {
				t.Fatalf("PutItem: %d %s", st, body)
			}
			for _, r := range []string{reader, writer} {
				st, _, body := call(t, r, "GetItem", `{"TableName":"clt","Key":{"pk":{"S":"`+pk+`"}}}`)
				if st != 200 || !strings.Contains(body, `"v":{"S":"`+v+`"}`) {
					t.Fatalf("GetItem %s after writing %s: %d %s", pk, v, st, body)
				}
			}
		}
	}
	// /metrics shows the cluster.
	st, _, body := get(t, proxyURL+"/metrics")
	if st != 200 || !strings.Contains(body, "ClusterMembers 2") || !strings.Contains(body, "ClusterForwardedReads") {
		t.Fatalf("metrics: %d\n%s", st, body)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, "", string(b)
}
