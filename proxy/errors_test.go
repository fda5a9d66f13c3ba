package proxy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// errorCases are requests the store refuses; the proxy must pass every
// answer on byte for byte (status and body), whichever path it takes.
var errorCases = []struct{ op, body string }{
	{"GetItem", `{"TableName":"nope","Key":{"pk":{"S":"a"}}}`},
	{"GetItem", `{"TableName":"errs","Key":{"pk":{"S":"a"}}}`},
	{"GetItem", `{"TableName":"errs","Key":{"pk":{"N":"1"},"sk":{"N":"1"}}}`},
	{"GetItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"},"x":{"S":"y"}}}`},
	{"GetItem", `{"TableName":"errs","Key":{"pk":{"S":""},"sk":{"N":"1"}}}`},
	{"GetItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1e999"}}}`},
	{"GetItem", `{"TableName":"errs","Key":{"pk":{"S":"a","N":"1"},"sk":{"N":"1"}}}`},
	{"GetItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ProjectionExpression":"a b"}`},
	{"GetItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ProjectionExpression":"#x"}`},
	{"GetItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ExpressionAttributeNames":{"#x":"y"}}`},
	{"GetItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConsistentRead":"maybe"}`},
	{"GetItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ReturnConsumedCapacity":"SOME"}`},
	{"GetItem", `{"TableName":"er","Key":{"pk":{"S":"a"}}}`},
	{"GetItem", `{"TableName":"errs"}`},
	{"GetItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}`},
	{"GetItem", `[1,2]`},
	{"GetItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"Key":null}`},
	{"GetItem", `{"tablename":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}}`},
	{"GetItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"Other":01}`},
	{"PutItem", `{"TableName":"errs","Item":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConditionExpression":"attribute_not_exists(pk)","ReturnValuesOnConditionCheckFailure":"ALL_OLD"}`},
	{"PutItem", `{"TableName":"errs","Item":{"pk":{"S":"a"}}}`},
	{"PutItem", `{"TableName":"nope","Item":{"pk":{"S":"a"}}}`},
	{"UpdateItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET"}`},
	{"UpdateItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET v = :v","ConditionExpression":"v = :v","ExpressionAttributeValues":{":v":{"N":"99"}},"ReturnValues":"UPDATED_NEW"}`},
	{"UpdateItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET pk = :v","ExpressionAttributeValues":{":v":{"S":"b"}}}`},
	{"UpdateItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"N":"1"}},"ReturnValues":"SOMETIMES"}`},
	{"DeleteItem", `{"TableName":"nope","Key":{"pk":{"S":"a"}}}`},
	{"DeleteItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConditionExpression":"v = :x","ExpressionAttributeValues":{":x":{"N":"5"}}}`},
	{"Query", `{"TableName":"errs","KeyConditionExpression":"v = :v","ExpressionAttributeValues":{":v":{"N":"1"}}}`},
	{"Query", `{"TableName":"errs","KeyConditionExpression":"pk = :v"}`},
	{"Query", `{"TableName":"nope","KeyConditionExpression":"pk = :v","ExpressionAttributeValues":{":v":{"S":"a"}}}`},
	{"Scan", `{"TableName":"errs","Segment":3,"TotalSegments":2}`},
	{"Scan", `{"TableName":"errs","ConsistentRead":true,"IndexName":"nope"}`},
	{"BatchGetItem", `{"RequestItems":{"errs":{"Keys":[{"pk":{"S":"a"},"sk":{"N":"1"}},{"pk":{"S":"a"},"sk":{"N":"1"}}]}}}`},
	{"BatchGetItem", `{"RequestItems":{"nope":{"Keys":[{"pk":{"S":"a"}}]}}}`},
	{"BatchWriteItem", `{"RequestItems":{"nope":[{"PutRequest":{"Item":{"pk":{"S":"a"}}}}]}}`},
	{"BatchWriteItem", `{"RequestItems":{"errs":[{"PutRequest":{"Item":{"pk":{"S":"a"}}}}]}}`},
	{"TransactWriteItems", `{"TransactItems":[{"ConditionCheck":{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConditionExpression":"attribute_not_exists(pk)"}},{"Put":{"TableName":"errs","Item":{"pk":{"S":"b"},"sk":{"N":"1"}}}}]}`},
	{"TransactGetItems", `{"TransactItems":[{"Get":{"TableName":"nope","Key":{"pk":{"S":"a"}}}}]}`},
	{"ExecuteStatement", `{"Statement":"SELEC * FROM errs"}`},
	{"ExecuteStatement", `{"Statement":"UPDATE errs SET v = 1 WHERE pk = 'a'"}`},
	{"CreateTable", `{"TableName":"errs","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`},
	{"DescribeTable", `{"TableName":"nope"}`},
	{"Bogus", `{}`},
	{"DynamoDBStreams_20120810.DescribeStream", `{"StreamArn":"arn:aws:dynamodb:us-east-1:000000000000:table/nope/stream/2026-01-01T00:00:00.000"}`},
	{"DynamoDBStreams_20120810.GetRecords", `{}`},
	{"GetItem", ``},
}

func TestErrorPassThrough(t *testing.T) {
	for _, remote := range []bool{false, true} {
		t.Run(fmt.Sprintf("remote=%v", remote), func(t *testing.T) {
			e := newEnv(t, envOpts{remote: remote})
			e.createTable("errs", "sk", "N")
			e.ok("PutItem", `{"TableName":"errs","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"N":"1"}}}`)
			e.ok("GetItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}}`)
			for _, c := range errorCases {
				for round := 0; round < 2; round++ {
					s := post(t, e.storeURL, c.op, c.body)
					if s.Status == 200 {
						t.Fatalf("%s %s: the store accepted it: %s", c.op, c.body, s.Body)
					}
					p := post(t, e.proxyURL, c.op, c.body)
					// Bytes must match; an item inside an error (ALL_OLD on a
					// failed condition) is a map the store writes in random
					// order, so it is compared as an item.
					same := string(p.Body) == string(s.Body) || (strings.Contains(string(s.Body), `"Item":`) && diffAnswers(p.Body, s.Body) == "")
					if p.Status != s.Status || !same {
						t.Fatalf("%s %s:\nproxy %d %s\nstore %d %s", c.op, c.body, p.Status, p.Body, s.Status, s.Body)
					}
				}
			}
			// The failed writes changed nothing that is cached.
			if r := e.ok("GetItem", `{"TableName":"errs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}}`); itemOf(t, r.Body)["v"].S != "1" {
				t.Fatalf("after the failures: %s", r.Body)
			}
		})
	}
}

// TestPassThrough checks operations the proxy does not cache are answered
// by the backend unchanged.
func TestPassThrough(t *testing.T) {
	e := newEnv(t, envOpts{remote: true})
	e.createTable("pass", "", "")
	arn := "arn:aws:dynamodb:us-east-1:000000000000:table/pass"
	for _, c := range []struct{ op, body string }{
		{"ListTables", `{}`},
		{"DescribeTable", `{"TableName":"pass"}`},
		{"TagResource", `{"ResourceArn":"` + arn + `","Tags":[{"Key":"k","Value":"v"}]}`},
		{"ListTagsOfResource", `{"ResourceArn":"` + arn + `"}`},
		{"DescribeLimits", `{}`},
		{"TransactGetItems", `{"TransactItems":[{"Get":{"TableName":"pass","Key":{"pk":{"S":"a"}}}}]}`},
		{"ExecuteStatement", `{"Statement":"SELECT * FROM pass"}`},
		{"GetItem", `{"TableName":"` + arn + `","Key":{"pk":{"S":"a"}}}`},
	} {
		p := post(t, e.proxyURL, c.op, c.body)
		s := post(t, e.storeURL, c.op, c.body)
		if p.Status != 200 || p.Status != s.Status {
			t.Fatalf("%s: proxy %d %s, store %d %s", c.op, p.Status, p.Body, s.Status, s.Body)
		}
		if c.op != "DescribeTable" && string(p.Body) != string(s.Body) && diffAnswers(p.Body, s.Body) != "" {
			t.Fatalf("%s:\nproxy %s\nstore %s", c.op, p.Body, s.Body)
		}
		if c.op == "TransactGetItems" || c.op == "ExecuteStatement" {
			if p.cache() != "" {
				t.Fatalf("%s carries x-dynax-cache %q", c.op, p.cache())
			}
		}
	}
	// DescribeEndpoints names the proxy (as the client reached it), in
	// process and remote, never the backend: an SDK with endpoint
	// discovery must not learn its way around the cache.
	for _, remote := range []bool{false, true} {
		e := newEnv(t, envOpts{remote: remote})
		r := post(t, e.proxyURL, "DescribeEndpoints", `{}`)
		want := `{"Endpoints":[{"Address":"` + strings.TrimPrefix(e.proxyURL, "http://") + `","CachePeriodInMinutes":1440}]}`
		if r.Status != 200 || string(r.Body) != want {
			t.Fatalf("DescribeEndpoints (remote %v): %d %s, want %s", remote, r.Status, r.Body, want)
		}
	}
	// GET / is the health check; GET /metrics the metrics.
	resp, err := rawClient.Get(e.proxyURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /: %d", resp.StatusCode)
	}
}

// TestCacheHeaders checks x-dynax-cache on the cacheable reads.
func TestCacheHeaders(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.createTable("hdrs", "sk", "N")
	e.ok("PutItem", `{"TableName":"hdrs","Item":{"pk":{"S":"a"},"sk":{"N":"1"}}}`)
	get := `{"TableName":"hdrs","Key":{"pk":{"S":"b"},"sk":{"N":"1"}}}`
	q := `{"TableName":"hdrs","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}}}`
	bgi := `{"RequestItems":{"hdrs":{"Keys":[{"pk":{"S":"a"},"sk":{"N":"1"}},{"pk":{"S":"c"},"sk":{"N":"1"}}]}}}`
	steps := []struct{ op, body, want string }{
		{"GetItem", get, "miss"},
		{"GetItem", get, "hit"},
		{"GetItem", `{"TableName":"hdrs","Key":{"pk":{"S":"b"},"sk":{"N":"1"}},"ConsistentRead":true}`, "bypass"},
		{"BatchGetItem", bgi, "miss"},
		{"BatchGetItem", bgi, "hit"},
		{"BatchGetItem", `{"RequestItems":{"hdrs":{"Keys":[{"pk":{"S":"a"},"sk":{"N":"1"}}],"ConsistentRead":true}}}`, "bypass"},
		{"Query", q, "miss"},
		{"Query", q, "hit"},
		{"Query", `{"TableName":"hdrs","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}},"ConsistentRead":true}`, "bypass"},
		{"Scan", `{"TableName":"hdrs"}`, "miss"},
		{"Scan", `{"TableName":"hdrs"}`, "hit"},
		{"Scan", `{"TableName":"hdrs","ReturnConsumedCapacity":"TOTAL"}`, "hit"},
		{"Scan", `{"TableName":"hdrs","ConsistentRead":true}`, "bypass"},
		{"PutItem", `{"TableName":"hdrs","Item":{"pk":{"S":"z"},"sk":{"N":"1"}}}`, ""},
		{"DescribeTable", `{"TableName":"hdrs"}`, ""},
	}
	for _, s := range steps {
		if r := e.ok(s.op, s.body); r.cache() != s.want {
			t.Fatalf("%s %s: x-dynax-cache %q, want %q", s.op, s.body, r.cache(), s.want)
		}
	}
}

// failing fails the backend calls of chosen operations with a transport
// error (optionally after the backend ran them: an ambiguous outcome).
type failing struct {
	Backend
	ops   map[string]bool
	after bool // run the call, then report a failure
	on    atomic.Bool
}

var errInjected = errors.New("injected transport failure")

func (f *failing) Do(ctx context.Context, c *Call) (int, []byte, error) {
	if f.on.Load() && f.ops[c.Operation] {
		if f.after {
			_, _, _ = f.Backend.Do(ctx, c)
		}
		return 0, nil, errInjected
	}
	return f.Backend.Do(ctx, c)
}

// TestAmbiguousWrites: a write whose answer is lost (it may or may not
// have happened) invalidates the key, and the next read fetches the truth.
func TestAmbiguousWrites(t *testing.T) {
	var f *failing
	e := newEnv(t, envOpts{wrap: func(b Backend) Backend {
		f = &failing{Backend: b, after: true, ops: map[string]bool{"PutItem": true, "UpdateItem": true, "DeleteItem": true,
			"BatchWriteItem": true, "TransactWriteItems": true, "ExecuteStatement": true}}
		return f
	}})
	e.createTable("amb", "", "")
	get := `{"TableName":"amb","Key":{"pk":{"S":"a"}}}`
	q := `{"TableName":"amb","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}}}`
	writes := []struct{ op, body string }{
		{"PutItem", `{"TableName":"amb","Item":{"pk":{"S":"a"},"v":{"S":"put"}}}`},
		{"UpdateItem", `{"TableName":"amb","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"S":"upd"}}}`},
		{"DeleteItem", `{"TableName":"amb","Key":{"pk":{"S":"a"}}}`},
		{"BatchWriteItem", `{"RequestItems":{"amb":[{"PutRequest":{"Item":{"pk":{"S":"a"},"v":{"S":"batch"}}}}]}}`},
		{"TransactWriteItems", `{"TransactItems":[{"Put":{"TableName":"amb","Item":{"pk":{"S":"a"},"v":{"S":"txn"}}}}]}`},
		{"ExecuteStatement", `{"Statement":"UPDATE amb SET v = 'pql' WHERE pk = 'a'"}`},
	}
	for _, w := range writes {
		e.ok("GetItem", get)
		e.ok("Query", q)
		f.on.Store(true)
		r := post(t, e.proxyURL, w.op, w.body)
		f.on.Store(false)
		if r.Status != 500 {
			t.Fatalf("%s with a lost answer: %d %s", w.op, r.Status, r.Body)
		}
		got := e.ok("GetItem", get)
		want := e.storeOK("GetItem", get)
		if got.cache() != "miss" || !itemsEqual(itemOf(t, got.Body), itemOf(t, want.Body)) {
			t.Fatalf("after %s: %q %s, store %s", w.op, got.cache(), got.Body, want.Body)
		}
		if r := e.ok("Query", q); r.cache() != "miss" {
			t.Fatalf("query after %s: %q", w.op, r.cache())
		}
	}
	if !strings.Contains(string(e.metrics()), "FaultRequestCount 6\n") {
		t.Fatalf("faults not counted:\n%s", e.metrics())
	}
}
