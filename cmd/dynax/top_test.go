package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestTopOnce runs `dynax top --once` against a real `dynax serve`
// after SDK traffic through its proxy: the frame has the table and its
// GSI with the write units the answers reported, the provisioned
// capacity, latency and the cache's hit ratio.
func TestTopOnce(t *testing.T) {
	bin := buildBinary(t)
	proxyURL, _ := startCmd(t, bin, nil, true, "serve", "--listen", "127.0.0.1:0", "--store-listen", "127.0.0.1:0", "--etcd-listen", "", "--data-dir", t.TempDir())
	_, writes := metricsTable(t, sdkClient(proxyURL), "metrics1")

	var out, errs bytes.Buffer
	if code := runTop([]string{"--endpoint", proxyURL, "--once"}, &out, &errs); code != 0 {
		t.Fatalf("top exited %d: %s", code, errs.String())
	}
	frame := out.String()
	t.Logf("frame:\n%s", frame)
	if !strings.Contains(frame, "item hit ratio ") || strings.Contains(frame, "item hit ratio -") {
		t.Errorf("frame lacks the item hit ratio")
	}
	var table, gsi []string
	for _, line := range strings.Split(frame, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 0 && f[0] == "metrics1":
			table = f
		case len(f) > 0 && f[0] == "gsi1":
			gsi = f
		}
	}
	// TABLE REQS REQ/S RCU RCU/S PROV-RCU WCU WCU/S PROV-WCU THROTTLED P50 P99
	if len(table) != 12 || table[5] != "1000" || table[6] != num(writes[""]) || table[8] != "1000" || table[9] != "0" || table[10] == "-" {
		t.Errorf("table row %q: want provisioned 1000/1000, %s write units, no throttles, a p50", table, num(writes[""]))
	}
	// INDEX RCU RCU/S PROV-RCU WCU WCU/S PROV-WCU THROTTLED
	if len(gsi) != 8 || gsi[3] != "7" || gsi[4] != num(writes["gsi1"]) || gsi[6] != "8" {
		t.Errorf("GSI row %q: want provisioned 7/8 and %s write units", gsi, num(writes["gsi1"]))
	}

	if code := runTop([]string{"--endpoint", "http://127.0.0.1:1", "--once"}, &out, &errs); code != 1 {
		t.Errorf("top of a dead endpoint exited %d, want 1", code)
	}
	if code := runTop([]string{"--interval", "0", "--once"}, &out, &errs); code != 2 {
		t.Errorf("top --interval 0 exited %d, want 2", code)
	}
}
