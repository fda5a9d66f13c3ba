package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	proxyAddrRE = regexp.MustCompile(`(?:^|\s)addr=(127\.0\.0\.1:\d+)`)
	storeAddrRE = regexp.MustCompile(`store_addr=(127\.0\.0\.1:\d+)`)
)

// startCmd runs `dynax args…` and waits for the log lines naming its
// addresses (the proxy's addr=, and store_addr= when wantStore).
func startCmd(t *testing.T, bin string, env []string, wantStore bool, args ...string) (proxyURL, storeURL string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	type found struct{ p, s string }
	ch := make(chan found, 1)
	go func() {
		var f found
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if m := storeAddrRE.FindStringSubmatch(line); m != nil {
				f.s = m[1]
			} else if m := proxyAddrRE.FindStringSubmatch(line); m != nil && f.p == "" {
				f.p = m[1]
			}
			if !sent && f.p != "" && (!wantStore || f.s != "") {
				ch <- f
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case f := <-ch:
		if f.s != "" {
			storeURL = "http://" + f.s
		}
		return "http://" + f.p, storeURL
	case <-time.After(20 * time.Second):
		t.Fatalf("dynax %v did not report its addresses", args)
	}
	return "", ""
}

// call posts one DynamoDB call and returns status, x-dynax-cache and body.
func call(t *testing.T, url, op, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=abc")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("x-dynax-cache"), string(b)
}

// TestServeAndProxyCommands runs `dynax serve` (proxy in front of the
// in-process store, store also served directly) and `dynax proxy` in front
// of serve's store port.
func TestServeAndProxyCommands(t *testing.T) {
	bin := buildBinary(t)
	proxyURL, storeURL := startCmd(t, bin, nil, true, "serve", "--listen", "127.0.0.1:0", "--store-listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	if storeURL == "" {
		t.Fatal("serve did not report its store address")
	}
	if st, _, b := call(t, proxyURL, "CreateTable", `{"TableName":"cmdt","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`); st != 200 || !strings.Contains(b, "arn:aws:dynamodb:eu-west-1:") {
		t.Fatalf("CreateTable: %d %s", st, b)
	}
	call(t, proxyURL, "PutItem", `{"TableName":"cmdt","Item":{"pk":{"S":"a"},"v":{"S":"1"}}}`)
	get := `{"TableName":"cmdt","Key":{"pk":{"S":"a"}}}`
	if st, c, b := call(t, proxyURL, "GetItem", get); st != 200 || c != "hit" || !strings.Contains(b, `"v":{"S":"1"}`) {
		t.Fatalf("GetItem through serve's proxy: %d %q %s", st, c, b)
	}
	if st, c, b := call(t, storeURL, "GetItem", get); st != 200 || c != "" || !strings.Contains(b, `"v":{"S":"1"}`) {
		t.Fatalf("GetItem on serve's store port: %d %q %s", st, c, b)
	}

	// dynax proxy in front of the store port; flags from the environment.
	p2, _ := startCmd(t, bin, []string{"DYNAX_ITEM_TTL=1h", "DYNAX_QUERY_INVALIDATION=table"}, false,
		"proxy", "--listen", "127.0.0.1:0", "--backend", storeURL)
	if st, c, _ := call(t, p2, "GetItem", get); st != 200 || c != "miss" {
		t.Fatalf("first GetItem through dynax proxy: %d %q", st, c)
	}
	// Entries filled before the proxy's change-feed follower has caught up
	// with the feed are dropped once it has (it cannot know what changed
	// before), so the hit may take a moment on a loaded machine.
	misses := 1
	for i := 0; ; i++ {
		st, c, _ := call(t, p2, "GetItem", get)
		if st == 200 && c == "hit" {
			break
		}
		if c == "miss" {
			misses++
		}
		if st != 200 || i == 50 {
			t.Fatalf("GetItem through dynax proxy after the fill: %d %q", st, c)
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get(p2 + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(page, []byte("\nItemCacheHits 1\n")) || !bytes.Contains(page, []byte(fmt.Sprintf("\nItemCacheMisses %d\n", misses))) {
		t.Fatalf("metrics:\n%s", page)
	}
}

func TestProxyHelpAndBadFlags(t *testing.T) {
	var out, errw bytes.Buffer
	if code := run([]string{"proxy", "--help"}, &out, &errw); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	for _, flag := range []string{"-listen", "-backend", "-item-ttl", "-negative-ttl", "-query-ttl", "-cache-size", "-query-invalidation", "-sign", "-region", "(default 5m0s)", "(default 256MiB)", `(default "partition")`} {
		if !strings.Contains(errw.String(), flag) {
			t.Errorf("proxy --help lacks %q:\n%s", flag, errw.String())
		}
	}
	errw.Reset()
	if code := run([]string{"serve", "--help"}, &out, &errw); code != 0 || !strings.Contains(errw.String(), "-store-listen") || !strings.Contains(errw.String(), "-item-ttl") {
		t.Fatalf("serve --help: %d\n%s", code, errw.String())
	}
	for _, args := range [][]string{
		{"proxy", "--query-invalidation", "sometimes"},
		{"proxy", "--cache-size", "lots"},
		{"proxy", "--backend", "ftp://x"},
		{"proxy", "--item-ttl", "-1s"},
	} {
		errw.Reset()
		if code := run(args, &out, &errw); code != 2 {
			t.Errorf("%v: exit %d (%s)", args, code, errw.String())
		}
	}
	for in, want := range map[string]int64{"256MiB": 256 << 20, "1GiB": 1 << 30, "500MB": 500e6, "1024": 1024, "64k": 64 << 10} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}
