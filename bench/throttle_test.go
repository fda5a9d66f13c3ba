package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/dynax/dynax/store"
)

// TestThrottledPerSecond drives writes at a table of 1 WCU on a node that
// enforces capacity: the throttled series counts exactly the operations
// answered ProvisionedThroughputExceededException, and the report plots it.
func TestThrottledPerSecond(t *testing.T) {
	ep, _ := startStoreWith(t, store.Options{Capacity: store.CapacityEnforce}, nil)
	c := newTestClient(t, ep)
	create := `{"TableName":"thr","BillingMode":"PROVISIONED","ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1},` +
		`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`
	if status, body, err := c.Do(Request{Operation: "CreateTable", Body: []byte(create)}); err != nil || status != 200 {
		t.Fatalf("CreateTable: %d %s %v", status, body, err)
	}
	put := Request{Operation: "PutItem", Body: []byte(`{"TableName":"thr","Item":{"pk":{"S":"k"}}}`)}
	stats := Drive(c, Load{Concurrency: 2, Duration: 2 * time.Second}, func(int) Worker {
		return WorkerFunc(func(*Session) (string, error) {
			status, body, err := c.Do(put)
			if err == nil && status != 200 {
				err = apiError(status, body)
			}
			return "put", err
		})
	})
	want := stats.Ops["put"].Errors["ProvisionedThroughputExceededException"]
	var got int64
	for _, n := range stats.ThrottledPerSecond {
		got += n
	}
	// The series keeps whole seconds only, so it holds at most the
	// throttles counted over the whole run.
	if got == 0 || got > want {
		t.Fatalf("throttled per second sum %d, throttling errors %d; series %v", got, want, stats.ThrottledPerSecond)
	}
	if len(stats.ThrottledPerSecond) != len(stats.PerSecond) {
		t.Fatalf("series lengths %d and %d", len(stats.ThrottledPerSecond), len(stats.PerSecond))
	}
	// At 1 WCU (a bucket that starts with one second's worth) at most two
	// writes a second succeed: everything else in the second is a throttle.
	for i, n := range stats.PerSecond {
		if ok := n - stats.ThrottledPerSecond[i]; ok < 0 || ok > 2 {
			t.Errorf("second %d: %d operations, %d throttled", i, n, stats.ThrottledPerSecond[i])
		}
	}
	rep := &Report{Generated: time.Now(), Results: []*EndpointResult{NewEndpointResult(ep, "custom", Load{Concurrency: 2}, stats, nil)}}
	var page bytes.Buffer
	if err := rep.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), "Throttled operations over time") || !strings.Contains(page.String(), `id="throttled"`) {
		t.Error("report lacks the throttle chart")
	}
	if !IsThrottle("ThrottlingException") || IsThrottle("ValidationException") {
		t.Error("IsThrottle")
	}
}
