package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/ddb"
)

const getA = `{"TableName":"items","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}}`

func TestGetItemMissHitBypass(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.createTable("items", "sk", "N")
	e.ok("PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1.0"},"v":{"N":"010"},"s":{"S":"x"}}}`)

	// Write-through: the first read is already a hit, with canonical numbers.
	r := e.ok("GetItem", getA)
	if r.cache() != "hit" {
		t.Fatalf("after PutItem: %q", r.cache())
	}
	if want := mustItem(t, `{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"N":"10"},"s":{"S":"x"}}`); !itemsEqual(itemOf(t, r.Body), want) {
		t.Fatalf("got %s", r.Body)
	}
	direct := e.storeOK("GetItem", getA)
	if !itemsEqual(itemOf(t, r.Body), itemOf(t, direct.Body)) {
		t.Fatalf("proxy %s, store %s", r.Body, direct.Body)
	}
	// A key written differently (non-canonical number, member order) is the same entry.
	if r := e.ok("GetItem", `{"Key":{"sk":{"N":"1.000"},"pk":{"S":"a"}},"TableName":"items"}`); r.cache() != "hit" || !itemsEqual(itemOf(t, r.Body), itemOf(t, direct.Body)) {
		t.Fatalf("equivalent key: %q %s", r.cache(), r.Body)
	}
	// Strongly consistent reads pass through.
	if r := e.ok("GetItem", `{"TableName":"items","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConsistentRead":true}`); r.cache() != "bypass" {
		t.Fatalf("consistent read: %q", r.cache())
	}
	// A key never read: miss, then hit.
	e.storeOK("PutItem", `{"TableName":"items","Item":{"pk":{"S":"b"},"sk":{"N":"2"},"v":{"S":"direct"}}}`)
	getB := `{"TableName":"items","Key":{"pk":{"S":"b"},"sk":{"N":"2"}}}`
	if r := e.ok("GetItem", getB); r.cache() != "miss" || itemOf(t, r.Body)["v"].S != "direct" {
		t.Fatalf("first read: %q %s", r.cache(), r.Body)
	}
	if r := e.ok("GetItem", getB); r.cache() != "hit" || itemOf(t, r.Body)["v"].S != "direct" {
		t.Fatalf("second read: %q %s", r.cache(), r.Body)
	}
	// A write that bypasses the proxy is invisible until the entry goes (DAX).
	e.storeOK("PutItem", `{"TableName":"items","Item":{"pk":{"S":"b"},"sk":{"N":"2"},"v":{"S":"bypassed"}}}`)
	if r := e.ok("GetItem", getB); r.cache() != "hit" || itemOf(t, r.Body)["v"].S != "direct" {
		t.Fatalf("after a direct write: %q %s", r.cache(), r.Body)
	}
	// ReturnConsumedCapacity on a hit reports what the backend would charge.
	for _, mode := range []string{"TOTAL", "INDEXES"} {
		body := `{"TableName":"items","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ReturnConsumedCapacity":"` + mode + `"}`
		r = e.ok("GetItem", body)
		if r.cache() != "hit" {
			t.Fatalf("capacity %s: %q", mode, r.cache())
		}
		sameAnswer(t, "GetItem "+body, r, e.storeOK("GetItem", body), "", "")
	}
}

func TestNegativeEntries(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.createTable("items", "sk", "N")
	get := `{"TableName":"items","Key":{"pk":{"S":"nobody"},"sk":{"N":"5"}}}`
	if r := e.ok("GetItem", get); r.cache() != "miss" || string(r.Body) != "{}" {
		t.Fatalf("first: %q %s", r.cache(), r.Body)
	}
	if r := e.ok("GetItem", get); r.cache() != "hit" || string(r.Body) != "{}" {
		t.Fatalf("negative hit: %q %s", r.cache(), r.Body)
	}
	// With a projection, a negative hit is still {}.
	if r := e.ok("GetItem", `{"TableName":"items","Key":{"pk":{"S":"nobody"},"sk":{"N":"5"}},"ProjectionExpression":"v"}`); r.cache() != "hit" || string(r.Body) != "{}" {
		t.Fatalf("projected negative hit: %q %s", r.cache(), r.Body)
	}
	// An item written directly stays hidden by the negative entry (DAX) …
	e.storeOK("PutItem", `{"TableName":"items","Item":{"pk":{"S":"nobody"},"sk":{"N":"5"},"v":{"S":"direct"}}}`)
	if r := e.ok("GetItem", get); string(r.Body) != "{}" {
		t.Fatalf("negative entry should hide a direct write: %s", r.Body)
	}
	// … but a write through the proxy replaces it, for every write kind.
	writes := []struct{ op, body string }{
		{"PutItem", `{"TableName":"items","Item":{"pk":{"S":"nobody"},"sk":{"N":"5"},"v":{"S":"put"}}}`},
		{"DeleteItem", `{"TableName":"items","Key":{"pk":{"S":"nobody"},"sk":{"N":"5"}}}`},
		{"UpdateItem", `{"TableName":"items","Key":{"pk":{"S":"nobody"},"sk":{"N":"5"}},"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"S":"update"}}}`},
		{"DeleteItem", `{"TableName":"items","Key":{"pk":{"S":"nobody"},"sk":{"N":"5"}}}`},
		{"BatchWriteItem", `{"RequestItems":{"items":[{"PutRequest":{"Item":{"pk":{"S":"nobody"},"sk":{"N":"5"},"v":{"S":"batch"}}}}]}}`},
		{"BatchWriteItem", `{"RequestItems":{"items":[{"DeleteRequest":{"Key":{"pk":{"S":"nobody"},"sk":{"N":"5"}}}}]}}`},
		{"TransactWriteItems", `{"TransactItems":[{"Put":{"TableName":"items","Item":{"pk":{"S":"nobody"},"sk":{"N":"5"},"v":{"S":"txn"}}}}]}`},
		{"ExecuteStatement", `{"Statement":"DELETE FROM items WHERE pk = 'nobody' AND sk = 5"}`},
		{"ExecuteStatement", `{"Statement":"INSERT INTO items VALUE {'pk': 'nobody', 'sk': 5, 'v': 'partiql'}"}`},
	}
	for _, w := range writes {
		e.ok("GetItem", get) // make sure something is cached
		e.ok(w.op, w.body)
		got := itemOf(t, e.ok("GetItem", get).Body)
		want := itemOf(t, e.storeOK("GetItem", `{"TableName":"items","Key":{"pk":{"S":"nobody"},"sk":{"N":"5"}},"ConsistentRead":true}`).Body)
		if !itemsEqual(got, want) {
			t.Fatalf("after %s %s: proxy %s, store %s", w.op, w.body, show(got), show(want))
		}
	}
}

func TestTTLExpiry(t *testing.T) {
	e := newEnv(t, envOpts{clock: true, mut: func(o *Options) {
		o.ItemTTL, o.NegativeTTL, o.QueryTTL = time.Minute, 10*time.Second, 30*time.Second
	}})
	e.createTable("items", "sk", "N")
	e.storeOK("PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"S":"one"}}}`)
	getAbsent := `{"TableName":"items","Key":{"pk":{"S":"later"},"sk":{"N":"1"}}}`
	query := `{"TableName":"items","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}}}`
	e.ok("GetItem", getA)
	e.ok("GetItem", getAbsent)
	e.ok("Query", query)
	// Direct writes: invisible while the entries live.
	e.storeOK("PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"S":"two"}}}`)
	e.storeOK("PutItem", `{"TableName":"items","Item":{"pk":{"S":"later"},"sk":{"N":"1"}}}`)
	e.clock.Advance(9 * time.Second)
	if r := e.ok("GetItem", getA); r.cache() != "hit" || itemOf(t, r.Body)["v"].S != "one" {
		t.Fatalf("item at 9s: %q %s", r.cache(), r.Body)
	}
	if r := e.ok("GetItem", getAbsent); r.cache() != "hit" || string(r.Body) != "{}" {
		t.Fatalf("negative at 9s: %q %s", r.cache(), r.Body)
	}
	if r := e.ok("Query", query); r.cache() != "hit" || !strings.Contains(string(r.Body), `"one"`) {
		t.Fatalf("query at 9s: %q %s", r.cache(), r.Body)
	}
	e.clock.Advance(2 * time.Second) // 11s: the negative entry is gone
	if r := e.ok("GetItem", getAbsent); r.cache() != "miss" || itemOf(t, r.Body) == nil {
		t.Fatalf("negative at 11s: %q %s", r.cache(), r.Body)
	}
	if r := e.ok("GetItem", getA); r.cache() != "hit" {
		t.Fatalf("item at 11s: %q", r.cache())
	}
	e.clock.Advance(20 * time.Second) // 31s: the query entry is gone
	if r := e.ok("Query", query); r.cache() != "miss" || !strings.Contains(string(r.Body), `"two"`) {
		t.Fatalf("query at 31s: %q %s", r.cache(), r.Body)
	}
	e.clock.Advance(30 * time.Second) // 61s: the item entry is gone
	if r := e.ok("GetItem", getA); r.cache() != "miss" || itemOf(t, r.Body)["v"].S != "two" {
		t.Fatalf("item at 61s: %q %s", r.cache(), r.Body)
	}
	// A write through the proxy restarts the item's TTL.
	e.clock.Advance(50 * time.Second)
	e.ok("PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"S":"three"}}}`)
	e.clock.Advance(50 * time.Second)
	if r := e.ok("GetItem", getA); r.cache() != "hit" || itemOf(t, r.Body)["v"].S != "three" {
		t.Fatalf("after write-through: %q %s", r.cache(), r.Body)
	}
}

func TestZeroTTLs(t *testing.T) {
	e := newEnv(t, envOpts{clock: true, mut: func(o *Options) { o.ItemTTL, o.QueryTTL = 0, 0 }})
	e.createTable("items", "sk", "N")
	e.ok("PutItem", `{"TableName":"items","Item":{"pk":{"S":"a"},"sk":{"N":"1"}}}`)
	e.clock.Advance(1000 * time.Hour)
	if r := e.ok("GetItem", getA); r.cache() != "hit" {
		t.Fatalf("item-ttl 0 keeps items: %q", r.cache())
	}
	q := `{"TableName":"items","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}}}`
	e.ok("Query", q)
	if r := e.ok("Query", q); r.cache() != "bypass" {
		t.Fatalf("query-ttl 0 disables the query cache: %q", r.cache())
	}
}

// TestReadYourWrites writes every way the proxy supports, each time after
// the item was cached, and checks the next read equals the store's.
func TestReadYourWrites(t *testing.T) {
	for _, remote := range []bool{false, true} {
		t.Run(fmt.Sprintf("remote=%v", remote), func(t *testing.T) {
			e := newEnv(t, envOpts{remote: remote})
			e.createTable("items", "sk", "N")
			key := `{"pk":{"S":"k"},"sk":{"N":"1"}}`
			get := `{"TableName":"items","Key":` + key + `}`
			upd := func(rv, expr string) string {
				vals := `":v":{"N":"7"}`
				if strings.Contains(expr, ":s") {
					vals += `,":s":{"SS":["x","y"]}`
				}
				b := `{"TableName":"items","Key":` + key + `,"UpdateExpression":"` + expr + `"`
				if strings.Contains(expr, ":") {
					b += `,"ExpressionAttributeValues":{` + vals + `}`
				}
				if rv != "" {
					b += `,"ReturnValues":"` + rv + `"`
				}
				return b + "}"
			}
			writes := []struct{ op, body string }{
				{"PutItem", `{"TableName":"items","Item":{"pk":{"S":"k"},"sk":{"N":"1"},"n":{"N":"1"},"m":{"M":{"a":{"N":"1"}}}}}`},
				{"UpdateItem", upd("", "SET n = n + :v")},
				{"UpdateItem", upd("NONE", "SET m.b = :v")},
				{"UpdateItem", upd("ALL_NEW", "ADD n :v")},
				{"UpdateItem", upd("UPDATED_NEW", "SET m.a = :v, t = :s REMOVE zz")},
				{"UpdateItem", upd("ALL_OLD", "SET n = :v")},
				{"UpdateItem", upd("UPDATED_OLD", "REMOVE t")},
				{"UpdateItem", `{"TableName":"items","Key":` + key + `,"AttributeUpdates":{"legacy":{"Action":"PUT","Value":{"S":"L"}}},"ReturnValues":"UPDATED_NEW"}`},
				{"DeleteItem", `{"TableName":"items","Key":` + key + `,"ReturnValues":"ALL_OLD"}`},
				{"UpdateItem", upd("UPDATED_NEW", "SET n = :v")}, // creates the item
				{"BatchWriteItem", `{"RequestItems":{"items":[{"PutRequest":{"Item":{"pk":{"S":"k"},"sk":{"N":"1"},"b":{"BOOL":true}}}},{"PutRequest":{"Item":{"pk":{"S":"other"},"sk":{"N":"1"}}}}]}}`},
				{"BatchWriteItem", `{"RequestItems":{"items":[{"DeleteRequest":{"Key":` + key + `}}]}}`},
				{"TransactWriteItems", `{"TransactItems":[{"Put":{"TableName":"items","Item":{"pk":{"S":"k"},"sk":{"N":"1"},"t":{"S":"1"}}}}]}`},
				{"TransactWriteItems", `{"TransactItems":[{"Update":{"TableName":"items","Key":` + key + `,"UpdateExpression":"SET t = :v","ExpressionAttributeValues":{":v":{"S":"2"}}}}]}`},
				{"TransactWriteItems", `{"TransactItems":[{"Delete":{"TableName":"items","Key":` + key + `}}]}`},
				{"TransactWriteItems", `{"TransactItems":[{"Put":{"TableName":"items","Item":{"pk":{"S":"k"},"sk":{"N":"1"},"t":{"S":"3"}}}}],"ClientRequestToken":"tok1"}`},
				{"ExecuteStatement", `{"Statement":"UPDATE items SET t = 'pql' WHERE pk = 'k' AND sk = 1"}`},
				{"ExecuteStatement", `{"Statement":"UPDATE items SET t = ? WHERE pk = ? AND sk = ?","Parameters":[{"S":"param"},{"S":"k"},{"N":"1"}]}`},
				{"BatchExecuteStatement", `{"Statements":[{"Statement":"DELETE FROM items WHERE pk = 'k' AND sk = 1"}]}`},
				{"ExecuteTransaction", `{"TransactStatements":[{"Statement":"INSERT INTO items VALUE {'pk':'k','sk':1,'t':'tx'}"}]}`},
				{"ExecuteStatement", `{"Statement":"UPDATE \"items\" SET t = 'quoted' WHERE sk = 1 AND pk = 'k'"}`},
			}
			for i, w := range writes {
				e.ok("GetItem", get)
				e.ok("GetItem", get) // cached now
				e.ok(w.op, w.body)
				got := itemOf(t, e.ok("GetItem", get).Body)
				want := itemOf(t, e.storeOK("GetItem", `{"TableName":"items","Key":`+key+`,"ConsistentRead":true}`).Body)
				if !itemsEqual(got, want) {
					t.Fatalf("write %d %s %s: proxy reads %s, store has %s", i, w.op, w.body, show(got), show(want))
				}
			}
		})
	}
}

// TestUpdateItemReturnValues compares the proxy's UpdateItem answers (it
// asks the backend for ALL_NEW and shapes them) with the store's own, on
// twin tables.
func TestUpdateItemReturnValues(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, n := range []string{"twinP", "twinS"} {
		e.createTable(n, "sk", "N")
		e.ok("PutItem", `{"TableName":"`+n+`","Item":{"pk":{"S":"k"},"sk":{"N":"1"},"n":{"N":"1"},"m":{"M":{"a":{"N":"1"},"l":{"L":[{"S":"x"},{"S":"y"}]}}},"s":{"SS":["a"]}}}`)
	}
	cases := []string{
		`"UpdateExpression":"SET n = n + :one","ExpressionAttributeValues":{":one":{"N":"1"}}`,
		`"UpdateExpression":"SET m.a = :one, m.l[1] = :one REMOVE s","ExpressionAttributeValues":{":one":{"N":"1"}}`,
		`"UpdateExpression":"ADD s :s","ExpressionAttributeValues":{":s":{"SS":["b","c"]}}`,
		`"UpdateExpression":"REMOVE nothing"`,
		`"UpdateExpression":"SET #x = :v","ExpressionAttributeNames":{"#x":"new"},"ExpressionAttributeValues":{":v":{"S":"v"}}`,
		`"AttributeUpdates":{"n":{"Action":"ADD","Value":{"N":"5"}},"z":{"Action":"DELETE"}}`,
		`"AttributeUpdates":{"q":{"Value":{"N":"5"}}}`,
		``,
	}
	rvs := []string{"", "NONE", "ALL_NEW", "UPDATED_NEW", "ALL_OLD", "UPDATED_OLD"}
	extras := []string{"", `,"ReturnConsumedCapacity":"TOTAL","ReturnItemCollectionMetrics":"SIZE"`}
	for _, c := range cases {
		for _, rv := range rvs {
			for _, x := range extras {
				body := func(table string) string {
					b := `{"TableName":"` + table + `","Key":{"pk":{"S":"k"},"sk":{"N":"1"}}`
					if c != "" {
						b += "," + c
					}
					if rv != "" {
						b += `,"ReturnValues":"` + rv + `"`
					}
					return b + x + "}"
				}
				pr := post(t, e.proxyURL, "UpdateItem", body("twinP"))
				sr := post(t, e.storeURL, "UpdateItem", body("twinS"))
				sameAnswer(t, "UpdateItem "+body("twinP"), pr, sr, "twinS", "twinP")
				// The item cache holds the new image.
				got := itemOf(t, e.ok("GetItem", `{"TableName":"twinP","Key":{"pk":{"S":"k"},"sk":{"N":"1"}}}`).Body)
				want := itemOf(t, e.storeOK("GetItem", `{"TableName":"twinS","Key":{"pk":{"S":"k"},"sk":{"N":"1"}}}`).Body)
				if !itemsEqual(got, want) {
					t.Fatalf("%s: cached %s, store %s", body("twinP"), show(got), show(want))
				}
			}
		}
	}
}

// sameAnswer compares a proxy answer with the store's: same status; error
// bodies byte for byte; success bodies member by member (items compared as
// AttributeValues, lists of items as multisets). In the store's body, from
// is replaced by to (twin table names).
func sameAnswer(t testing.TB, what string, proxy, direct rawResp, from, to string) {
	t.Helper()
	db := direct.Body
	if from != "" {
		db = []byte(strings.ReplaceAll(string(db), `"`+from+`"`, `"`+to+`"`))
	}
	if proxy.Status != direct.Status {
		t.Fatalf("%s: proxy %d %s, store %d %s", what, proxy.Status, proxy.Body, direct.Status, db)
	}
	if proxy.Status != 200 {
		if string(proxy.Body) != string(db) && !(strings.Contains(string(db), `"Item":`) && diffAnswers(proxy.Body, db) == "") {
			t.Fatalf("%s: error bodies differ:\nproxy %s\nstore %s", what, proxy.Body, db)
		}
		return
	}
	if msg := diffAnswers(proxy.Body, db); msg != "" {
		t.Fatalf("%s: %s\nproxy %s\nstore %s", what, msg, proxy.Body, db)
	}
}

// diffAnswers compares two success bodies semantically.
func diffAnswers(a, b []byte) string {
	var ma, mb map[string]json.RawMessage
	if err := json.Unmarshal(a, &ma); err != nil {
		return "proxy body: " + err.Error()
	}
	if err := json.Unmarshal(b, &mb); err != nil {
		return "store body: " + err.Error()
	}
	if len(ma) != len(mb) {
		return fmt.Sprintf("members differ: %d vs %d", len(ma), len(mb))
	}
	for k, va := range ma {
		vb, ok := mb[k]
		if !ok {
			return "member " + k + " only in the proxy's answer"
		}
		if msg := diffValue(k, va, vb); msg != "" {
			return msg
		}
	}
	return ""
}

func diffValue(name string, va, vb json.RawMessage) string {
	switch name {
	case "Item", "Attributes", "LastEvaluatedKey":
		ia, err1 := ddb.DecodeItem(va)
		ib, err2 := ddb.DecodeItem(vb)
		if err1 != nil || err2 != nil || !itemsEqual(ia, ib) {
			return name + " differs"
		}
		return ""
	case "Items":
		var la, lb []json.RawMessage
		_ = json.Unmarshal(va, &la)
		_ = json.Unmarshal(vb, &lb)
		return diffItemLists(name, la, lb)
	case "Responses":
		var ra, rb map[string][]json.RawMessage
		_ = json.Unmarshal(va, &ra)
		_ = json.Unmarshal(vb, &rb)
		if len(ra) != len(rb) {
			return "Responses tables differ"
		}
		for tname, la := range ra {
			if msg := diffItemLists("Responses."+tname, la, rb[tname]); msg != "" {
				return msg
			}
		}
		return ""
	}
	if canon(va) != canon(vb) {
		return name + " differs"
	}
	return ""
}

func diffItemLists(name string, la, lb []json.RawMessage) string {
	if len(la) != len(lb) {
		return fmt.Sprintf("%s: %d items vs %d", name, len(la), len(lb))
	}
	used := make([]bool, len(lb))
outer:
	for _, a := range la {
		ia, _ := ddb.DecodeItem(a)
		for j, b := range lb {
			if used[j] {
				continue
			}
			if ib, _ := ddb.DecodeItem(b); itemsEqual(ia, ib) {
				used[j] = true
				continue outer
			}
		}
		return name + ": item " + string(a) + " not in the store's answer"
	}
	return ""
}

func canon(v []byte) string {
	c, ok := appendCanonical(nil, v, 0)
	if !ok {
		return string(v)
	}
	return string(c)
}

// TestProjectionsMatchBackend applies many projections to cached items and
// compares every answer with the store's.
func TestProjectionsMatchBackend(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.ok("CreateTable", `{"TableName":"proj","BillingMode":"PAY_PER_REQUEST",`+
		`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],`+
		`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"}],`+
		`"GlobalSecondaryIndexes":[{"IndexName":"gix","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]}`)
	items := []string{
		`{"pk":{"S":"a"},"sk":{"N":"1"},"g":{"S":"G"},"name":{"S":"Ada"},"age":{"N":"36"},"tags":{"SS":["x","y"]},` +
			`"addr":{"M":{"city":{"S":"London"},"zip":{"S":"W1"},"geo":{"M":{"lat":{"N":"51.5"},"lon":{"N":"-0.1"}}}}},` +
			`"list":{"L":[{"S":"l0"},{"M":{"a":{"N":"1"},"b":{"N":"2"}}},{"L":[{"N":"3"},{"N":"4"}]},{"NULL":true}]},` +
			`"bin":{"B":"AAEC"},"ok":{"BOOL":false},"a.b":{"S":"dotted"},"quote\"d":{"S":"q"},"émoji😀":{"S":"u"}}`,
		`{"pk":{"S":"b"},"sk":{"N":"2"},"only":{"S":"x"}}`,
	}
	for _, it := range items {
		e.ok("PutItem", `{"TableName":"proj","Item":`+it+`}`)
	}
	projs := []string{
		`"ProjectionExpression":"pk"`,
		`"ProjectionExpression":"#n, age"`,
		`"ProjectionExpression":"tags, bin, ok, missing"`,
		`"ProjectionExpression":"addr.city"`,
		`"ProjectionExpression":"addr.geo.lat, addr.zip"`,
		`"ProjectionExpression":"list[1].b, list[2][0]"`,
		`"ProjectionExpression":"list[3], list[0], list[7]"`,
		`"ProjectionExpression":"addr.nothing"`,
		`"ProjectionExpression":"#ab"`,
		`"ProjectionExpression":"#q, #u"`,
		`"ProjectionExpression":"name.first"`,
		`"ProjectionExpression":"only"`,
		`"ProjectionExpression":"missing"`,
		`"AttributesToGet":["name","age","missing"]`,
		`"AttributesToGet":["a.b"]`,
		`"ProjectionExpression":"  pk ,sk "`,
		// Invalid: the backend's error must come back unchanged.
		`"ProjectionExpression":"name, name"`,
		`"ProjectionExpression":"addr, addr.city"`,
		`"ProjectionExpression":"#n"`,
		`"ProjectionExpression":"pk.x"`,
		`"ProjectionExpression":"g.x"`,
		`"ProjectionExpression":"size"`,
		`"ProjectionExpression":""`,
		`"ProjectionExpression":"a,,b"`,
		`"ProjectionExpression":"age","AttributesToGet":["age"]`,
		`"AttributesToGet":[]`,
		`"AttributesToGet":["x","x"]`,
		`"ExpressionAttributeNames":{"#n":"name"}`,
		`"ProjectionExpression":"age","ExpressionAttributeNames":{}`,
		`"ProjectionExpression":"age","ExpressionAttributeNames":{"#unused":"x"}`,
		`"ProjectionExpression":"list[-1]"`,
		`"ProjectionExpression":17`,
	}
	names := map[string]string{
		`#n`: `"#n":"name"`, `#ab`: `"#ab":"a.b"`, `#q`: `"#q":"quote\"d","#u":"émoji😀"`,
	}
	keys := []string{`{"pk":{"S":"a"},"sk":{"N":"1"}}`, `{"pk":{"S":"b"},"sk":{"N":"2"}}`, `{"pk":{"S":"zz"},"sk":{"N":"9"}}`}
	for _, k := range keys {
		for _, pj := range projs {
			extra := ""
			if !strings.Contains(pj, "ExpressionAttributeNames") {
				for ph, decl := range names {
					if strings.Contains(pj, ph+`"`) || strings.Contains(pj, ph+",") || strings.Contains(pj, ph+" ") {
						extra = `,"ExpressionAttributeNames":{` + decl + `}`
					}
				}
			}
			body := `{"TableName":"proj","Key":` + k + `,` + pj + extra + `}`
			direct := post(t, e.storeURL, "GetItem", body)
			for round := 0; round < 2; round++ { // miss (or write-through hit), then hit
				r := post(t, e.proxyURL, "GetItem", body)
				sameAnswer(t, "GetItem "+body, r, direct, "", "")
				if want := map[bool]string{true: "hit", false: "bypass"}[direct.Status == 200]; round == 1 && r.cache() != want {
					t.Fatalf("GetItem %s: cache %q, want %q", body, r.cache(), want)
				}
			}
		}
	}
}

func TestBatchGetItem(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.createTable("bta", "", "")
	e.createTable("btb", "sk", "N")
	for i := 0; i < 6; i++ {
		e.storeOK("PutItem", fmt.Sprintf(`{"TableName":"bta","Item":{"pk":{"S":"a%d"},"v":{"N":"%d"},"m":{"M":{"x":{"N":"%d"}}}}}`, i, i, i))
		e.storeOK("PutItem", fmt.Sprintf(`{"TableName":"btb","Item":{"pk":{"S":"b"},"sk":{"N":"%d"},"v":{"S":"s%d"}}}`, i, i))
	}
	// Warm some keys (a0, a1 and the absent a9; b/0).
	for _, k := range []string{"a0", "a1", "a9"} {
		e.ok("GetItem", `{"TableName":"bta","Key":{"pk":{"S":"`+k+`"}}}`)
	}
	e.ok("GetItem", `{"TableName":"btb","Key":{"pk":{"S":"b"},"sk":{"N":"0"}}}`)
	req := `{"RequestItems":{` +
		`"bta":{"Keys":[{"pk":{"S":"a0"}},{"pk":{"S":"a1"}},{"pk":{"S":"a2"}},{"pk":{"S":"a9"}},{"pk":{"S":"a8"}}],"ProjectionExpression":"v, m.x"},` +
		`"btb":{"Keys":[{"pk":{"S":"b"},"sk":{"N":"0"}},{"pk":{"S":"b"},"sk":{"N":"3"}}]}},"ReturnConsumedCapacity":"TOTAL"}`
	direct := post(t, e.storeURL, "BatchGetItem", req)
	r := post(t, e.proxyURL, "BatchGetItem", req)
	if r.cache() != "miss" {
		t.Fatalf("mixed batch: %q", r.cache())
	}
	sameBatch(t, r, direct)
	r = post(t, e.proxyURL, "BatchGetItem", req)
	if r.cache() != "hit" {
		t.Fatalf("second batch: %q %s", r.cache(), r.Body)
	}
	sameBatch(t, r, direct)
	// A strongly consistent table is forwarded as written.
	creq := `{"RequestItems":{"bta":{"Keys":[{"pk":{"S":"a0"}}]},"btb":{"Keys":[{"pk":{"S":"b"},"sk":{"N":"1"}}],"ConsistentRead":true,"AttributesToGet":["v"]}}}`
	sameBatch(t, post(t, e.proxyURL, "BatchGetItem", creq), post(t, e.storeURL, "BatchGetItem", creq))
	// Invalid batches are the backend's business.
	for _, bad := range []string{
		`{"RequestItems":{"bta":{"Keys":[{"pk":{"S":"a0"}},{"pk":{"S":"a0"}}]}}}`,
		`{"RequestItems":{"bta":{"Keys":[{"pk":{"N":"1"}}]}}}`,
		`{"RequestItems":{"bta":{"Keys":[]}}}`,
		`{"RequestItems":{"nope":{"Keys":[{"pk":{"S":"a0"}}]}}}`,
		`{"RequestItems":{"bta":{"Keys":[{"pk":{"S":"a0"}}],"ProjectionExpression":"v"},"btb":{"Keys":[{"pk":{"S":"b"},"sk":{"N":"1"}}],"AttributesToGet":["v"]}}}`,
		`{"RequestItems":{}}`,
	} {
		sameAnswer(t, "BatchGetItem "+bad, post(t, e.proxyURL, "BatchGetItem", bad), post(t, e.storeURL, "BatchGetItem", bad), "", "")
	}
}

func sameBatch(t testing.TB, proxy, direct rawResp) {
	t.Helper()
	sameAnswer(t, "BatchGetItem", proxy, direct, "", "")
}

// TestBatchGetUnprocessedKeys: keys the backend leaves unprocessed are
// passed on with the caller's projection, and not cached.
func TestBatchGetUnprocessedKeys(t *testing.T) {
	e := newEnv(t, envOpts{wrap: func(b Backend) Backend { return &unprocessing{Backend: b} }})
	e.createTable("bta", "", "")
	for i := 0; i < 3; i++ {
		e.ok("PutItem", fmt.Sprintf(`{"TableName":"bta","Item":{"pk":{"S":"a%d"},"v":{"N":"%d"},"w":{"N":"0"}}}`, i, i))
	}
	e.ok("DeleteItem", `{"TableName":"bta","Key":{"pk":{"S":"a0"}}}`) // a negative entry
	req := `{"RequestItems":{"bta":{"Keys":[{"pk":{"S":"a0"}},{"pk":{"S":"x1"}},{"pk":{"S":"x2"}}],"ProjectionExpression":"#v","ExpressionAttributeNames":{"#v":"v"}}}}`
	r := e.ok("BatchGetItem", req)
	var out struct {
		Responses       map[string][]json.RawMessage
		UnprocessedKeys map[string]struct {
			Keys                     []json.RawMessage
			ProjectionExpression     string
			ExpressionAttributeNames map[string]string
		}
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	u := out.UnprocessedKeys["bta"]
	if len(u.Keys) != 1 || u.ProjectionExpression != "#v" || u.ExpressionAttributeNames["#v"] != "v" {
		t.Fatalf("unprocessed keys: %s", r.Body)
	}
	// The unprocessed key was not cached as absent: the next read asks the backend.
	var k struct {
		Pk struct{ S string } `json:"pk"`
	}
	_ = json.Unmarshal(u.Keys[0], &k)
	if got := e.ok("GetItem", `{"TableName":"bta","Key":{"pk":{"S":"`+k.Pk.S+`"}}}`); got.cache() != "miss" {
		t.Fatalf("unprocessed key %s was cached: %q", k.Pk.S, got.cache())
	}
}

// unprocessing leaves the last key of every BatchGetItem table unprocessed.
type unprocessing struct{ Backend }

func (u *unprocessing) Do(ctx context.Context, c *Call) (int, []byte, error) {
	if c.Operation != "BatchGetItem" {
		return u.Backend.Do(ctx, c)
	}
	var in struct {
		RequestItems map[string]map[string]json.RawMessage
	}
	if json.Unmarshal(c.Body, &in) != nil {
		return u.Backend.Do(ctx, c)
	}
	left := map[string]json.RawMessage{}
	for t, ka := range in.RequestItems {
		var keys []json.RawMessage
		_ = json.Unmarshal(ka["Keys"], &keys)
		if len(keys) < 2 {
			continue
		}
		last := keys[len(keys)-1]
		keys = keys[:len(keys)-1]
		ka["Keys"], _ = json.Marshal(keys)
		left[t] = json.RawMessage(`{"Keys":[` + string(last) + `]}`)
	}
	body, _ := json.Marshal(in)
	status, out, err := u.Backend.Do(ctx, &Call{Prefix: c.Prefix, Operation: c.Operation, Body: body, Region: c.Region})
	if err != nil || status != 200 {
		return status, out, err
	}
	var resp map[string]json.RawMessage
	_ = json.Unmarshal(out, &resp)
	resp["UnprocessedKeys"], _ = json.Marshal(left)
	out, _ = json.Marshal(resp)
	return status, out, nil
}

// TestSDKClient drives the proxy with the AWS SDK's typed API.
func TestSDKClient(t *testing.T) {
	e := newEnv(t, envOpts{remote: true})
	_, err := e.c.CreateTable(bg, &dynamodb.CreateTableInput{
		TableName:            aws.String("sdk"),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		_, err := e.c.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("sdk"),
			Item: map[string]types.AttributeValue{"pk": sv(fmt.Sprint(i)), "n": nv(fmt.Sprint(i))}})
		if err != nil {
			t.Fatal(err)
		}
	}
	for round := 0; round < 2; round++ {
		out, err := e.c.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("sdk"), Key: map[string]types.AttributeValue{"pk": sv("1")},
			ProjectionExpression: aws.String("n")})
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := out.Item["n"].(*types.AttributeValueMemberN); !ok || n.Value != "1" || len(out.Item) != 1 {
			t.Fatalf("GetItem: %#v", out.Item)
		}
		bo, err := e.c.BatchGetItem(bg, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			"sdk": {Keys: []map[string]types.AttributeValue{{"pk": sv("0")}, {"pk": sv("2")}, {"pk": sv("9")}}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(bo.Responses["sdk"]) != 2 {
			t.Fatalf("BatchGetItem: %#v", bo.Responses)
		}
		qo, err := e.c.Query(bg, &dynamodb.QueryInput{TableName: aws.String("sdk"), KeyConditionExpression: aws.String("pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": sv("2")}})
		if err != nil || qo.Count != 1 {
			t.Fatalf("Query: %v %#v", err, qo)
		}
		so, err := e.c.Scan(bg, &dynamodb.ScanInput{TableName: aws.String("sdk")})
		if err != nil || so.Count != 3 {
			t.Fatalf("Scan: %v %#v", err, so)
		}
	}
	uo, err := e.c.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("sdk"), Key: map[string]types.AttributeValue{"pk": sv("1")},
		UpdateExpression: aws.String("SET n = n + :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": nv("1")},
		ReturnValues: types.ReturnValueUpdatedNew})
	if err != nil || len(uo.Attributes) != 1 || uo.Attributes["n"].(*types.AttributeValueMemberN).Value != "2" {
		t.Fatalf("UpdateItem: %v %#v", err, uo)
	}
	out, err := e.c.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("sdk"), Key: map[string]types.AttributeValue{"pk": sv("1")}})
	if err != nil || out.Item["n"].(*types.AttributeValueMemberN).Value != "2" {
		t.Fatalf("read after update: %v %#v", err, out)
	}
	_, err = e.c.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("sdk"), Item: map[string]types.AttributeValue{"pk": sv("1")},
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("conditional put: %v", err)
	}
	// A failed condition changed nothing: the item is still cached.
	if r := e.ok("GetItem", `{"TableName":"sdk","Key":{"pk":{"S":"1"}}}`); r.cache() != "hit" || itemOf(t, r.Body)["n"].S != "2" {
		t.Fatalf("after a failed condition: %q %s", r.cache(), r.Body)
	}
}
