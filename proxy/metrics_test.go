package proxy

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
)

// metrics returns the /metrics page.
func (e *testEnv) metrics() []byte {
	e.t.Helper()
	resp, err := rawClient.Get(e.proxyURL + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		e.t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return b
}

// metricValues parses the Prometheus text format (samples only).
func metricValues(t testing.TB, page []byte) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(page))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("bad metrics line %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad metrics line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func TestMetrics(t *testing.T) {
	var f *failing
	e := newEnv(t, envOpts{wrap: func(b Backend) Backend {
		f = &failing{Backend: b, ops: map[string]bool{"GetItem": true}}
		return f
	}})
	e.createTable("met", "", "")                                   // Other 1
	e.ok("PutItem", `{"TableName":"met","Item":{"pk":{"S":"a"}}}`) // PutItem 1
	get := func(k string) string { return `{"TableName":"met","Key":{"pk":{"S":"` + k + `"}}}` }
	e.ok("GetItem", get("a"))                                                                     // hit
	e.ok("GetItem", get("a"))                                                                     // hit
	e.ok("GetItem", get("b"))                                                                     // miss
	e.ok("GetItem", get("b"))                                                                     // negative hit
	e.ok("GetItem", `{"TableName":"met","Key":{"pk":{"S":"a"}},"ConsistentRead":true}`)           // bypass
	post(t, e.proxyURL, "GetItem", `{"TableName":"met","Key":{"pk":{"N":"1"}}}`)                  // bypass, 400
	e.ok("BatchGetItem", `{"RequestItems":{"met":{"Keys":[{"pk":{"S":"a"}},{"pk":{"S":"c"}}]}}}`) // 1 hit, 1 miss
	q := `{"TableName":"met","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}}}`
	e.ok("Query", q)                    // miss
	e.ok("Query", q)                    // hit
	e.ok("Query", q)                    // hit
	e.ok("Scan", `{"TableName":"met"}`) // miss
	e.ok("Scan", `{"TableName":"met"}`) // hit
	e.ok("UpdateItem", `{"TableName":"met","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"N":"1"}}}`)
	e.ok("DeleteItem", `{"TableName":"met","Key":{"pk":{"S":"z"}}}`)
	e.ok("BatchWriteItem", `{"RequestItems":{"met":[{"PutRequest":{"Item":{"pk":{"S":"y"}}}}]}}`)
	e.ok("TransactWriteItems", `{"TransactItems":[{"Put":{"TableName":"met","Item":{"pk":{"S":"x"}}}}]}`)
	e.ok("TransactGetItems", `{"TransactItems":[{"Get":{"TableName":"met","Key":{"pk":{"S":"x"}}}}]}`)
	e.ok("ExecuteStatement", `{"Statement":"SELECT * FROM met"}`)
	f.on.Store(true)
	post(t, e.proxyURL, "GetItem", get("new")) // miss, transport failure: 500
	f.on.Store(false)

	m := metricValues(t, e.metrics())
	want := map[string]float64{
		"ItemCacheHits":                2 + 1 + 1,
		"ItemCacheMisses":              1 + 1 + 1,
		"ItemCacheNegativeHits":        1,
		"ItemCacheBypass":              2,
		"QueryCacheHits":               2,
		"QueryCacheMisses":             1,
		"ScanCacheHits":                1,
		"ScanCacheMisses":              1,
		"GetItemRequestCount":          7,
		"BatchGetItemRequestCount":     1,
		"QueryRequestCount":            3,
		"ScanRequestCount":             2,
		"PutItemRequestCount":          1,
		"UpdateItemRequestCount":       1,
		"DeleteItemRequestCount":       1,
		"BatchWriteItemRequestCount":   1,
		"TransactWriteItemsCount":      1,
		"TransactGetItemsCount":        1,
		"ExecuteStatementRequestCount": 1,
		"OtherRequestCount":            1,
		"TotalRequestCount":            21,
		"ErrorRequestCount":            1,
		"FaultRequestCount":            1,
		"FailedRequestCount":           2,
		"EvictedSize":                  0,
		`RequestLatencySeconds_count{operation="GetItem"}`: 7,
	}
	for name, v := range want {
		got, ok := m[name]
		if !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, v)
		}
	}
	for _, name := range []string{"EstimatedDbSize", "ItemCacheSize", "BackendLatencySeconds_count", "ItemCacheInvalidations", "QueryCacheSize"} {
		if _, ok := m[name]; !ok {
			t.Errorf("metric %s missing", name)
		}
	}
	if m["EstimatedDbSize"] <= 0 {
		t.Errorf("EstimatedDbSize = %v", m["EstimatedDbSize"])
	}
}
