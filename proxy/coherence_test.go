package proxy

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// The cache never holds what the backend does not hold: requests the
// proxy and the backend could read differently, answers the proxy cannot
// fully read, foreign ARNs and panics all leave the cache agreeing with
// the backend's consistent reads.

// backendEnv is a proxy in front of the dynax store or of dynalite; in
// both, e.storeURL is the backend itself.
func backendEnv(t testing.TB, kind string, eo envOpts) *testEnv {
	t.Helper()
	if kind == "store" {
		return newEnv(t, eo)
	}
	dl := startDynalite(t)
	mut := eo.mut
	eo.mut = func(o *Options) {
		b, err := NewHTTPBackend(HTTPOptions{URL: dl, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		o.Backend = b
		if eo.wrap != nil {
			o.Backend = eo.wrap(b)
		}
		if mut != nil {
			mut(o)
		}
	}
	e := newEnv(t, eo)
	e.storeURL = dl
	return e
}

// createActive creates table (hash key pk S, range key sk N when withRange)
// on the backend through the proxy and waits until it is ACTIVE.
func (e *testEnv) createActive(table string, withRange bool) {
	e.t.Helper()
	ks := `[{"AttributeName":"pk","KeyType":"HASH"}`
	ad := `[{"AttributeName":"pk","AttributeType":"S"}`
	if withRange {
		ks += `,{"AttributeName":"sk","KeyType":"RANGE"}`
		ad += `,{"AttributeName":"sk","AttributeType":"N"}`
	}
	e.ok("CreateTable", `{"TableName":"`+table+`","ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5},"KeySchema":`+ks+`],"AttributeDefinitions":`+ad+`]}`)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(string(e.storeOK("DescribeTable", `{"TableName":"`+table+`"}`).Body), `"TableStatus":"ACTIVE"`) {
		if time.Now().After(deadline) {
			e.t.Fatalf("table %s never ACTIVE", table)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// coherent checks that an eventually consistent GetItem of key through the
// proxy (the cache, once filled) answers what the backend holds.
func (e *testEnv) coherent(what, table, key string) {
	e.t.Helper()
	get := `{"TableName":"` + table + `","Key":` + key + `}`
	for round := 0; round < 2; round++ { // the first may fill, the second hits
		viaProxy := itemOf(e.t, e.ok("GetItem", get).Body)
		truth := itemOf(e.t, e.storeOK("GetItem", `{"TableName":"`+table+`","Key":`+key+`,"ConsistentRead":true}`).Body)
		if !itemsEqual(viaProxy, truth) {
			e.t.Fatalf("%s: key %s through the proxy is %s, the backend holds %s", what, key, show(viaProxy), show(truth))
		}
	}
}

func TestMemberNamesExactCase(t *testing.T) {
	for _, kind := range []string{"store", "dynalite"} {
		t.Run(kind, func(t *testing.T) {
			e := backendEnv(t, kind, envOpts{})
			e.createActive("exact", false)
			ka, kb := `{"pk":{"S":"a"}}`, `{"pk":{"S":"b"}}`
			e.ok("PutItem", `{"TableName":"exact","Item":{"pk":{"S":"a"},"v":{"S":"a0"}}}`)
			e.ok("PutItem", `{"TableName":"exact","Item":{"pk":{"S":"b"},"v":{"S":"b0"}}}`)
			e.coherent("seed", "exact", ka)
			e.coherent("seed", "exact", kb)

			e.ok("PutItem", `{"TableName":"exact","Item":{"pk":{"S":"a"},"v":{"S":"a1"}},"item":{"pk":{"S":"a"},"v":{"S":"wrong"}}}`)
			e.coherent("PutItem with Item and item", "exact", ka)
			e.ok("PutItem", `{"TableName":"exact","item":{"pk":{"S":"b"},"v":{"S":"wrong"}},"Item":{"pk":{"S":"b"},"v":{"S":"b1"}}}`)
			e.coherent("PutItem with item before Item", "exact", kb)

			e.ok("DeleteItem", `{"TableName":"exact","Key":`+ka+`,"key":`+kb+`}`)
			e.coherent("DeleteItem with Key and key", "exact", ka)
			e.coherent("DeleteItem with Key and key", "exact", kb)

			e.ok("PutItem", `{"TableName":"exact","Item":{"pk":{"S":"a"},"v":{"S":"a2"}}}`)
			e.coherent("re-put", "exact", ka)
			e.ok("UpdateItem", `{"TableName":"exact","Key":`+ka+`,"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"S":"a3"}},"ReturnValues":"ALL_NEW","key":`+kb+`}`)
			e.coherent("UpdateItem with a second key", "exact", ka)
			e.coherent("UpdateItem with a second key", "exact", kb)
		})
	}
}

// rekeying is a backend that reads UpdateItem's key differently from the
// proxy (as a backend with other decoding rules would): it updates pk "b"
// when asked for pk "a".
type rekeying struct{ Backend }

func (r rekeying) Do(ctx context.Context, c *Call) (int, []byte, error) {
	if c.Operation == "UpdateItem" {
		c2 := *c
		c2.Body = []byte(strings.Replace(string(c.Body), `{"pk":{"S":"a"}}`, `{"pk":{"S":"b"}}`, 1))
		return r.Backend.Do(ctx, &c2)
	}
	return r.Backend.Do(ctx, c)
}

func TestUpdateImageOfAnotherKey(t *testing.T) {
	e := newEnv(t, envOpts{wrap: func(b Backend) Backend { return rekeying{b} }})
	e.createActive("rekey", false)
	e.storeOK("PutItem", `{"TableName":"rekey","Item":{"pk":{"S":"a"},"v":{"S":"a0"}}}`)
	e.coherent("seed", "rekey", `{"pk":{"S":"a"}}`)
	e.ok("UpdateItem", `{"TableName":"rekey","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"S":"new"}}}`)
	e.coherent("UpdateItem answered with another key's image", "rekey", `{"pk":{"S":"a"}}`)
}

// garbling leaves the last key of each BatchGetItem table unprocessed, and
// reports it in a form the proxy cannot read (mode "unprocessed"), or
// returns items with their key attribute renamed (mode "items").
type garbling struct {
	Backend
	mode string
}

func (g garbling) Do(ctx context.Context, c *Call) (int, []byte, error) {
	if c.Operation != "BatchGetItem" {
		return g.Backend.Do(ctx, c)
	}
	var in struct {
		RequestItems map[string]map[string]json.RawMessage
	}
	if json.Unmarshal(c.Body, &in) != nil {
		return g.Backend.Do(ctx, c)
	}
	if g.mode == "unprocessed" {
		for _, ka := range in.RequestItems {
			var keys []json.RawMessage
			_ = json.Unmarshal(ka["Keys"], &keys)
			if len(keys) > 1 {
				ka["Keys"], _ = json.Marshal(keys[:len(keys)-1])
			}
		}
	}
	body, _ := json.Marshal(in)
	status, out, err := g.Backend.Do(ctx, &Call{Prefix: c.Prefix, Operation: c.Operation, Body: body, Region: c.Region})
	if err != nil || status != 200 {
		return status, out, err
	}
	switch g.mode {
	case "unprocessed":
		var resp map[string]json.RawMessage
		_ = json.Unmarshal(out, &resp)
		left := map[string]json.RawMessage{}
		for t := range in.RequestItems {
			left[t] = json.RawMessage(`{"Keys":"the last one"}`)
		}
		resp["UnprocessedKeys"], _ = json.Marshal(left)
		out, _ = json.Marshal(resp)
	case "items":
		out = []byte(strings.ReplaceAll(string(out), `"pk":`, `"PK":`))
	}
	return status, out, nil
}

func TestBatchGetUnreadableAnswer(t *testing.T) {
	for _, mode := range []string{"unprocessed", "items"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, envOpts{wrap: func(b Backend) Backend { return garbling{b, mode} }})
			e.createActive("garb", false)
			e.storeOK("PutItem", `{"TableName":"garb","Item":{"pk":{"S":"k1"},"v":{"N":"1"}}}`)
			e.storeOK("PutItem", `{"TableName":"garb","Item":{"pk":{"S":"k2"},"v":{"N":"2"}}}`)
			post(t, e.proxyURL, "BatchGetItem", `{"RequestItems":{"garb":{"Keys":[{"pk":{"S":"k1"}},{"pk":{"S":"k2"}}]}}}`)
			e.coherent("after an unreadable BatchGetItem answer", "garb", `{"pk":{"S":"k1"}}`)
			e.coherent("after an unreadable BatchGetItem answer", "garb", `{"pk":{"S":"k2"}}`)
		})
	}
}

// twoAccounts sends calls naming a table by an ARN of account 111111111111
// to a second storage node of that account (cross-account access, as
// DynamoDB's resource policies allow); everything else to the first.
type twoAccounts struct {
	Backend
	other Backend
}

func (a twoAccounts) Do(ctx context.Context, c *Call) (int, []byte, error) {
	if strings.Contains(string(c.Body), "arn:aws:dynamodb:us-east-1:111111111111:") {
		return a.other.Do(ctx, c)
	}
	return a.Backend.Do(ctx, c)
}

func TestForeignTableARN(t *testing.T) {
	other, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true, Logger: quiet, Account: "111111111111"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	ob := &StoreBackend{Node: other, Logger: quiet}
	e := newEnv(t, envOpts{wrap: func(b Backend) Backend { return twoAccounts{b, ob} }})
	e.createActive("arnt", false)
	if st, out, err := ob.Do(context.Background(), &Call{Prefix: wire.PrefixDynamoDB, Operation: "CreateTable",
		Body: []byte(`{"TableName":"arnt","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`)}); err != nil || st != 200 {
		t.Fatalf("CreateTable on the other account: %d %s %v", st, out, err)
	}
	key := `{"pk":{"S":"a"}}`
	e.ok("PutItem", `{"TableName":"arnt","Item":{"pk":{"S":"a"},"v":{"S":"local"}}}`)
	e.coherent("seed", "arnt", key)
	foreign := "arn:aws:dynamodb:us-east-1:111111111111:table/arnt"
	e.ok("PutItem", `{"TableName":"`+foreign+`","Item":{"pk":{"S":"a"},"v":{"S":"foreign"}}}`)
	e.coherent("PutItem to another account's table of the same name", "arnt", key)
	e.ok("UpdateItem", `{"TableName":"`+foreign+`","Key":`+key+`,"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"S":"foreign2"}},"ReturnValues":"ALL_NEW"}`)
	e.coherent("UpdateItem of another account's table of the same name", "arnt", key)
	e.ok("DeleteItem", `{"TableName":"`+foreign+`","Key":`+key+`}`)
	e.coherent("DeleteItem of another account's table of the same name", "arnt", key)
	// The local table's own ARN, and another region's (which the node
	// resolves to the same table), stay coherent too.
	for _, arn := range []string{"arn:aws:dynamodb:us-east-1:000000000000:table/arnt", "arn:aws:dynamodb:eu-west-1:000000000000:table/arnt"} {
		e.ok("PutItem", `{"TableName":"`+arn+`","Item":{"pk":{"S":"a"},"v":{"S":"`+arn+`"}}}`)
		e.coherent("PutItem by ARN "+arn, "arnt", key)
	}
}

// panicking applies writes of pk "boom" at the backend, then panics (a
// bug in the proxy's handling of the answer).
type panicking struct{ Backend }

func (p panicking) Do(ctx context.Context, c *Call) (int, []byte, error) {
	status, out, err := p.Backend.Do(ctx, c)
	if c.Operation != "GetItem" && c.Operation != "DescribeTable" && strings.Contains(string(c.Body), `"boom"`) {
		panic("injected after the backend answered " + c.Operation)
	}
	return status, out, err
}

func TestPanicAfterWriteBegan(t *testing.T) {
	e := newEnv(t, envOpts{wrap: func(b Backend) Backend { return panicking{b} }})
	e.createActive("pan", false)
	key := `{"pk":{"S":"boom"}}`
	e.storeOK("PutItem", `{"TableName":"pan","Item":{"pk":{"S":"boom"},"v":{"N":"0"}}}`)
	f := func(op, body string) {
		t.Helper()
		e.coherent("before "+op, "pan", key) // cached
		if r := post(t, e.proxyURL, op, body); r.Status != 500 {
			t.Fatalf("%s: %d %s, want the 500 of a recovered panic", op, r.Status, r.Body)
		}
		e.coherent("after a panic in "+op, "pan", key)
	}
	f("PutItem", `{"TableName":"pan","Item":{"pk":{"S":"boom"},"v":{"N":"1"}}}`)
	f("UpdateItem", `{"TableName":"pan","Key":`+key+`,"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"N":"2"}}}`)
	f("BatchWriteItem", `{"RequestItems":{"pan":[{"PutRequest":{"Item":{"pk":{"S":"boom"},"v":{"N":"3"}}}}]}}`)
	f("TransactWriteItems", `{"TransactItems":[{"Put":{"TableName":"pan","Item":{"pk":{"S":"boom"},"v":{"N":"4"}}}}]}`)
	f("DeleteItem", `{"TableName":"pan","Key":`+key+`}`)
}
