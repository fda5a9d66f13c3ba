package main

import (
	"strings"
	"testing"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	st, _, b := get(t, url)
	return st, b
}

// TestConsoleOnListeners: serve (both listeners), store and proxy serve
// the console at /console; --console=false leaves /console to the
// DynamoDB endpoint's 404.
func TestConsoleOnListeners(t *testing.T) {
	bin := buildBinary(t)
	proxyURL, storeURL := startCmd(t, bin, nil, true, "serve", "--listen", "127.0.0.1:0", "--store-listen", "127.0.0.1:0", "--etcd-listen", "", "--data-dir", t.TempDir())
	for _, u := range []string{proxyURL, storeURL} {
		if st, b := httpGet(t, u+"/console"); st != 200 || !strings.Contains(b, `<span class="node">serve</span>`) {
			t.Errorf("GET %s/console: %d\n%s", u, st, b)
		}
	}
	if st, b := httpGet(t, proxyURL+"/console/api/stats.json"); st != 200 || !strings.Contains(b, `"ItemHits"`) {
		t.Errorf("stats.json: %d %s", st, b)
	}
	if st, b := httpGet(t, proxyURL+"/console/api/cache"); st != 200 || !strings.Contains(b, `id="chart-hits"`) {
		t.Errorf("cache fragment: %d %s", st, b)
	}
	p2, _ := startCmd(t, bin, nil, false, "proxy", "--listen", "127.0.0.1:0", "--backend", storeURL)
	if st, b := httpGet(t, p2+"/console/cache"); st != 200 || !strings.Contains(b, `<span class="node">proxy</span>`) {
		t.Errorf("proxy's console: %d", st)
	}
	s2, _ := startCmd(t, bin, nil, false, "store", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--console=false")
	if st, b := httpGet(t, s2+"/console"); st != 404 || b != "<UnknownOperationException/>\n" {
		t.Errorf("--console=false: GET /console answered %d %q", st, b)
	}
}
