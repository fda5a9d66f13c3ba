package proxy

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/dynax/dynax/cache"
)

func countOf(t testing.TB, body []byte) int {
	t.Helper()
	var out struct{ Count int }
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("bad answer %s", body)
	}
	return out.Count
}

// TestQueryInvalidationModes: after a write through the proxy to partition
// p1, what each mode does to a cached Query of p1, a Query of p2, a Scan
// and an index Query.
func TestQueryInvalidationModes(t *testing.T) {
	type want struct {
		q1, q2, scan, idx  string // x-dynax-cache after the write
		q1Count, scanCount int
	}
	modes := map[cache.InvalidationMode]want{
		cache.ModePartition: {q1: "miss", q2: "hit", scan: "miss", idx: "miss", q1Count: 4, scanCount: 7},
		cache.ModeTable:     {q1: "miss", q2: "miss", scan: "miss", idx: "miss", q1Count: 4, scanCount: 7},
		cache.ModeNone:      {q1: "hit", q2: "hit", scan: "hit", idx: "hit", q1Count: 3, scanCount: 6}, // DAX: stale
	}
	for mode, w := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, envOpts{mut: func(o *Options) { o.Invalidation = mode }})
			e.ok("CreateTable", `{"TableName":"qinv","BillingMode":"PAY_PER_REQUEST",`+
				`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],`+
				`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"}],`+
				`"GlobalSecondaryIndexes":[{"IndexName":"byg","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]}`)
			for _, p := range []string{"p1", "p2"} {
				for i := 1; i <= 3; i++ {
					e.ok("PutItem", fmt.Sprintf(`{"TableName":"qinv","Item":{"pk":{"S":"%s"},"sk":{"N":"%d"},"g":{"S":"G"}}}`, p, i))
				}
			}
			q1 := `{"TableName":"qinv","KeyConditionExpression":"pk = :p AND sk > :z","ExpressionAttributeValues":{":p":{"S":"p1"},":z":{"N":"0"}}}`
			q2 := `{"TableName":"qinv","KeyConditions":{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"p2"}]}}}`
			scan := `{"TableName":"qinv","Select":"COUNT"}`
			idx := `{"TableName":"qinv","IndexName":"byg","KeyConditionExpression":"#g = :g","ExpressionAttributeNames":{"#g":"g"},"ExpressionAttributeValues":{":g":{"S":"G"}}}`
			for _, q := range []struct{ op, body string }{{"Query", q1}, {"Query", q2}, {"Scan", scan}, {"Query", idx}} {
				if r := e.ok(q.op, q.body); r.cache() != "miss" {
					t.Fatalf("first %s: %q", q.body, r.cache())
				}
				if r := e.ok(q.op, q.body); r.cache() != "hit" {
					t.Fatalf("second %s: %q", q.body, r.cache())
				}
			}
			e.ok("PutItem", `{"TableName":"qinv","Item":{"pk":{"S":"p1"},"sk":{"N":"4"},"g":{"S":"G"}}}`)
			r := e.ok("Query", q1)
			if r.cache() != w.q1 || countOf(t, r.Body) != w.q1Count {
				t.Fatalf("query of the written partition: %q count %d, want %q %d", r.cache(), countOf(t, r.Body), w.q1, w.q1Count)
			}
			if r := e.ok("Query", q2); r.cache() != w.q2 || countOf(t, r.Body) != 3 {
				t.Fatalf("query of another partition: %q %s, want %q", r.cache(), r.Body, w.q2)
			}
			r = e.ok("Scan", scan)
			if r.cache() != w.scan || countOf(t, r.Body) != w.scanCount {
				t.Fatalf("scan: %q count %d, want %q %d", r.cache(), countOf(t, r.Body), w.scan, w.scanCount)
			}
			if r := e.ok("Query", idx); r.cache() != w.idx {
				t.Fatalf("index query: %q, want %q", r.cache(), w.idx)
			}
		})
	}
}

// TestQueryCacheAnswers compares cached Query and Scan answers (pages,
// filters, projections, counts) with the store's.
func TestQueryCacheAnswers(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.createTable("qans", "sk", "N")
	for i := 0; i < 20; i++ {
		e.ok("PutItem", fmt.Sprintf(`{"TableName":"qans","Item":{"pk":{"S":"p%d"},"sk":{"N":"%d"},"v":{"N":"%d"},"m":{"M":{"x":{"S":"%d"}}}}}`, i%3, i, i*7%5, i))
	}
	reqs := []struct{ op, body string }{
		{"Query", `{"TableName":"qans","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p1"}}}`},
		{"Query", `{"TableName":"qans","KeyConditionExpression":"pk = :p AND sk BETWEEN :a AND :b","ExpressionAttributeValues":{":p":{"S":"p1"},":a":{"N":"3"},":b":{"N":"12"}},"ScanIndexForward":false,"Limit":2}`},
		{"Query", `{"TableName":"qans","KeyConditionExpression":"pk = :p","FilterExpression":"v > :v","ProjectionExpression":"sk, m.x","ExpressionAttributeValues":{":p":{"S":"p0"},":v":{"N":"1"}}}`},
		{"Query", `{"TableName":"qans","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p2"}},"ExclusiveStartKey":{"pk":{"S":"p2"},"sk":{"N":"5"}},"Select":"COUNT"}`},
		{"Query", `{"TableName":"qans","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p2"}},"ReturnConsumedCapacity":"INDEXES"}`},
		{"Scan", `{"TableName":"qans","Limit":5}`},
		{"Scan", `{"TableName":"qans","Segment":1,"TotalSegments":3,"ScanFilter":{"v":{"ComparisonOperator":"EQ","AttributeValueList":[{"N":"2"}]}}}`},
		{"Scan", `{"TableName":"qans","ReturnConsumedCapacity":"TOTAL"}`},
	}
	for _, q := range reqs {
		s := e.storeOK(q.op, q.body)
		for round := 0; round < 2; round++ {
			r := e.ok(q.op, q.body)
			if want := []string{"miss", "hit"}[round]; r.cache() != want {
				t.Fatalf("%s round %d: %q", q.body, round, r.cache())
			}
			pb, sb := r.Body, s.Body
			if msg := diffAnswers(pb, sb); msg != "" {
				t.Fatalf("%s round %d: %s\nproxy %s\nstore %s", q.body, round, msg, pb, sb)
			}
		}
	}
	// Equivalent spellings share an entry; different parameters do not.
	if r := e.ok("Query", `{ "ExpressionAttributeValues" : {":p":{"S":"p1"}}, "KeyConditionExpression":"pk = :p","TableName":"qans", "ReturnConsumedCapacity":"NONE","ConsistentRead":false}`); r.cache() != "hit" {
		t.Fatalf("equivalent query: %q", r.cache())
	}
	if r := e.ok("Query", `{"TableName":"qans","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p1"}},"Limit":1}`); r.cache() != "miss" {
		t.Fatalf("another Limit: %q", r.cache())
	}
	// A member the proxy does not know stays part of the key.
	if r := e.ok("Query", `{"TableName":"qans","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p1"}},"Unknown":1}`); r.cache() != "miss" {
		t.Fatalf("unknown member: %q", r.cache())
	}
}
