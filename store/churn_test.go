package store

import (
	"strconv"
	"testing"
	"time"
)

// catalogSizes are the sizes of the node's per-table structures.
type catalogSizes struct{ tables, stats, pending, backfills int }

func sizesOf(n *Node) catalogSizes {
	c := n.cat
	c.mu.RLock()
	defer c.mu.RUnlock()
	return catalogSizes{len(c.tables), len(c.stats), len(c.pending), len(c.backfills)}
}

// TestTableChurnPrunesPerTableState creates and deletes thousands of
// tables (with an index, a stream and TTL on some, and a creation delay
// for a part) and checks that the catalog's per-table structures are back
// at their baseline size: nothing keyed by a table outlives it.
func TestTableChurnPrunesPerTableState(t *testing.T) {
	opts := Options{Dir: t.TempDir(), NoSync: true, ChangeFeedRetention: time.Millisecond, LogTrimInterval: 10 * time.Millisecond}
	n, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { n.Close() }()
	mustCall(t, n, "CreateTable", createBody("keep"))
	mustCall(t, n, "PutItem", `{"TableName":"keep","Item":{"pk":{"S":"a"}}}`)
	base := sizesOf(n)
	if base != (catalogSizes{1, 1, 0, 0}) {
		t.Fatalf("baseline %+v", base)
	}
	churns := 2000
	if testing.Short() {
		churns = 300
	}
	for i := range churns {
		name := "churn" + strconv.Itoa(i)
		body := createBody(name)
		if i%3 == 0 {
			body = `{"TableName":"` + name + `","BillingMode":"PAY_PER_REQUEST",` +
				`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],` +
				`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"g","AttributeType":"S"}],` +
				`"GlobalSecondaryIndexes":[{"IndexName":"byG","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}],` +
				`"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}}`
		}
		mustCall(t, n, "CreateTable", body)
		mustCall(t, n, "PutItem", `{"TableName":"`+name+`","Item":{"pk":{"S":"a"},"g":{"S":"x"},"ttl":{"N":"1"}}}`)
		if i%5 == 0 {
			mustCall(t, n, "UpdateTimeToLive", `{"TableName":"`+name+`","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"ttl"}}`)
		}
		if i%7 == 0 {
			mustCall(t, n, "UpdateTable", `{"TableName":"`+name+`","AttributeDefinitions":[{"AttributeName":"h","AttributeType":"S"}],`+
				`"GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"byH","KeySchema":[{"AttributeName":"h","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}}]}`)
		}
		mustCall(t, n, "DeleteTable", `{"TableName":"`+name+`"}`)
	}
	// With a creation delay, tables pass through CREATING and DELETING,
	// which the pending changes track.
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	opts.CreateDelay = time.Millisecond
	if n, err = Open(opts); err != nil {
		t.Fatal(err)
	}
	if got := sizesOf(n); got != base {
		t.Fatalf("after reopening: %+v, baseline %+v", got, base)
	}
	for i := range churns / 20 {
		name := "slow" + strconv.Itoa(i)
		mustCall(t, n, "CreateTable", createBody(name))
		waitTableStatus(t, n, name, "ACTIVE")
		mustCall(t, n, "DeleteTable", `{"TableName":"`+name+`"}`)
		if i%2 == 0 {
			waitTableStatus(t, n, name, "NOT FOUND")
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for sizesOf(n) != base {
		if time.Now().After(deadline) {
			t.Fatalf("after %d tables churned: %+v, baseline %+v", churns+churns/20, sizesOf(n), base)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := tableStatus(t, n, "keep"); got != "ACTIVE" {
		t.Fatalf("keep is %s", got)
	}
	// The change log's and the stream registry's per-table state is pruned
	// by retention (retention.go, streams.go); reported, not asserted here.
	n.clog.mu.RLock()
	logTables := len(n.clog.tables)
	n.clog.mu.RUnlock()
	n.streams.mu.Lock()
	streams := len(n.streams.byKey)
	n.streams.mu.Unlock()
	t.Logf("after churn: change log tables %d, streams %d", logTables, streams)
}
