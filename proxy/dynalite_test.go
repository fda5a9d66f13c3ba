package proxy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dynax/dynax/internal/testpeer"
)

// The proxy in front of a foreign backend: dynalite, a DynamoDB emulator in
// Node.js. DYNAX_DYNALITE names its cli.js; the test fails without it (CI
// installs it: npm install --prefix DIR dynalite, then
// DYNAX_DYNALITE=DIR/node_modules/dynalite/cli.js).

func startDynalite(t testing.TB) string {
	return testpeer.NodeCLI(t, "DYNAX_DYNALITE", "dynalite/node_modules/dynalite/cli.js", func(port string) []string {
		return []string{"--host", "127.0.0.1", "--port", port, "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"}
	})
}

func TestDynaliteBackend(t *testing.T) {
	dl := startDynalite(t)
	e := newEnv(t, envOpts{mut: func(o *Options) {
		b, err := NewHTTPBackend(HTTPOptions{URL: dl, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		o.Backend = b
	}})
	// Compare with dynalite itself rather than with the dynax store.
	e.storeURL = dl
	for _, name := range []string{"dlp", "dld"} {
		e.ok("CreateTable", `{"TableName":"`+name+`","ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5},`+
			`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],`+
			`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}`)
	}
	for _, name := range []string{"dlp", "dld"} {
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(string(e.ok("DescribeTable", `{"TableName":"`+name+`"}`).Body), `"TableStatus":"ACTIVE"`) {
			if time.Now().After(deadline) {
				t.Fatalf("table %s never ACTIVE", name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	item := `"pk":{"S":"a"},"sk":{"N":"1"},"name":{"S":"Ada"},"n":{"N":"5"},"m":{"M":{"x":{"N":"1"},"l":{"L":[{"S":"p"},{"S":"q"}]}}}`
	for _, name := range []string{"dlp", "dld"} {
		e.ok("PutItem", `{"TableName":"`+name+`","Item":{`+item+`}}`)
		e.ok("PutItem", `{"TableName":"`+name+`","Item":{"pk":{"S":"a"},"sk":{"N":"2"},"n":{"N":"6"}}}`)
	}
	get := func(table, extra string) string {
		return `{"TableName":"` + table + `","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}` + extra + `}`
	}
	t.Run("GetItem", func(t *testing.T) {
		for _, extra := range []string{"", `,"ProjectionExpression":"#n, m.l[1]","ExpressionAttributeNames":{"#n":"name"}`, `,"AttributesToGet":["n"]`,
			`,"ProjectionExpression":"m.x, n"`, `,"ProjectionExpression":"a b"`, `,"ProjectionExpression":"#nope"`} {
			direct := post(t, dl, "GetItem", get("dlp", extra))
			for round := 0; round < 2; round++ {
				r := post(t, e.proxyURL, "GetItem", get("dlp", extra))
				sameAnswer(t, "GetItem "+extra, r, direct, "", "")
				if direct.Status == 200 && r.cache() != "hit" {
					t.Fatalf("GetItem %s round %d: %q", extra, round, r.cache())
				}
			}
		}
		absent := `{"TableName":"dlp","Key":{"pk":{"S":"zz"},"sk":{"N":"1"}}}`
		if r := e.ok("GetItem", absent); r.cache() != "miss" || string(r.Body) != "{}" {
			t.Fatalf("absent: %q %s", r.cache(), r.Body)
		}
		if r := e.ok("GetItem", absent); r.cache() != "hit" || string(r.Body) != "{}" {
			t.Fatalf("absent again: %q %s", r.cache(), r.Body)
		}
	})
	t.Run("UpdateItem", func(t *testing.T) {
		for _, rv := range []string{"NONE", "ALL_NEW", "UPDATED_NEW", "ALL_OLD", "UPDATED_OLD"} {
			body := func(table string) string {
				return `{"TableName":"` + table + `","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET n = n + :one, m.x = :one","ExpressionAttributeValues":{":one":{"N":"1"}},"ReturnValues":"` + rv + `"}`
			}
			sameAnswer(t, "UpdateItem "+rv, post(t, e.proxyURL, "UpdateItem", body("dlp")), post(t, dl, "UpdateItem", body("dld")), "dld", "dlp")
			got := e.ok("GetItem", get("dlp", ""))
			want := post(t, dl, "GetItem", get("dld", ""))
			if !itemsEqual(itemOf(t, got.Body), itemOf(t, want.Body)) {
				t.Fatalf("after UpdateItem %s: proxy %s, dynalite %s", rv, got.Body, want.Body)
			}
		}
	})
	t.Run("QueryAndBatch", func(t *testing.T) {
		q := `{"TableName":"dlp","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}}}`
		if r := e.ok("Query", q); r.cache() != "miss" || countOf(t, r.Body) != 2 {
			t.Fatalf("query: %q %s", r.cache(), r.Body)
		}
		if r := e.ok("Query", q); r.cache() != "hit" {
			t.Fatalf("query again: %q", r.cache())
		}
		e.ok("PutItem", `{"TableName":"dlp","Item":{"pk":{"S":"a"},"sk":{"N":"3"}}}`)
		if r := e.ok("Query", q); r.cache() != "miss" || countOf(t, r.Body) != 3 {
			t.Fatalf("query after a write: %q %s", r.cache(), r.Body)
		}
		b := `{"RequestItems":{"dlp":{"Keys":[{"pk":{"S":"a"},"sk":{"N":"1"}},{"pk":{"S":"a"},"sk":{"N":"2"}},{"pk":{"S":"a"},"sk":{"N":"9"}}],"ProjectionExpression":"sk, n"}}}`
		direct := post(t, dl, "BatchGetItem", b)
		for round := 0; round < 2; round++ {
			sameBatch(t, post(t, e.proxyURL, "BatchGetItem", b), direct)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		for _, c := range []struct{ op, body string }{
			{"GetItem", `{"TableName":"nope","Key":{"pk":{"S":"a"}}}`},
			{"GetItem", `{"TableName":"dlp","Key":{"pk":{"N":"1"}}}`},
			{"PutItem", `{"TableName":"dlp","Item":{"pk":{"S":"a"},"sk":{"N":"1"}},"ConditionExpression":"attribute_not_exists(pk)"}`},
			{"Query", `{"TableName":"dlp","KeyConditionExpression":"n = :v","ExpressionAttributeValues":{":v":{"N":"1"}}}`},
			{"DeleteTable", `{"TableName":"nope"}`},
			{"Bogus", `{}`},
		} {
			p, s := post(t, e.proxyURL, c.op, c.body), post(t, dl, c.op, c.body)
			if p.Status != s.Status || string(p.Body) != string(s.Body) {
				t.Fatalf("%s %s:\nproxy %d %s\ndynalite %d %s", c.op, c.body, p.Status, p.Body, s.Status, s.Body)
			}
		}
	})
	t.Run("Metrics", func(t *testing.T) {
		m := metricValues(t, e.metrics())
		if m["ItemCacheHits"] == 0 || m["QueryCacheHits"] == 0 || m["BackendRequestCount"] == 0 {
			t.Fatalf("metrics: %v", fmt.Sprint(m["ItemCacheHits"], m["QueryCacheHits"], m["BackendRequestCount"]))
		}
	})
}
