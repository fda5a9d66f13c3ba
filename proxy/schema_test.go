package proxy

import (
	"testing"
	"time"
)

const createHashS = `{"TableName":"%s","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`
const createHashN = `{"TableName":"%s","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"N"},{"AttributeName":"sk","AttributeType":"S"}]}`

func sprintf1(f, a string) string {
	out := make([]byte, 0, len(f)+len(a))
	for i := 0; i < len(f); i++ {
		if f[i] == '%' && i+1 < len(f) && f[i+1] == 's' {
			out = append(out, a...)
			i++
			continue
		}
		out = append(out, f[i])
	}
	return string(out)
}

// TestTableRecreatedThroughProxy: DeleteTable and CreateTable through the
// proxy make it forget the schema and the items.
func TestTableRecreatedThroughProxy(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.ok("CreateTable", sprintf1(createHashS, "sch"))
	e.ok("PutItem", `{"TableName":"sch","Item":{"pk":{"S":"a"},"v":{"S":"old"}}}`)
	oldGet := `{"TableName":"sch","Key":{"pk":{"S":"a"}}}`
	if r := e.ok("GetItem", oldGet); r.cache() != "hit" {
		t.Fatalf("%q", r.cache())
	}
	e.ok("DeleteTable", `{"TableName":"sch"}`)
	e.ok("CreateTable", sprintf1(createHashN, "sch"))
	newGet := `{"TableName":"sch","Key":{"pk":{"N":"1"},"sk":{"S":"x"}}}`
	e.ok("PutItem", `{"TableName":"sch","Item":{"pk":{"N":"1"},"sk":{"S":"x"},"v":{"S":"new"}}}`)
	if r := e.ok("GetItem", newGet); r.cache() != "hit" || itemOf(t, r.Body)["v"].S != "new" {
		t.Fatalf("new schema: %q %s", r.cache(), r.Body)
	}
	p, s := post(t, e.proxyURL, "GetItem", oldGet), post(t, e.storeURL, "GetItem", oldGet)
	if p.Status != 400 || string(p.Body) != string(s.Body) {
		t.Fatalf("old key: %d %s, store %s", p.Status, p.Body, s.Body)
	}
}

// TestTableRecreatedBehindProxy: a table deleted and recreated directly on
// the backend with another key schema is noticed from the backend's
// answers.
func TestTableRecreatedBehindProxy(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.ok("CreateTable", sprintf1(createHashS, "sch"))
	e.ok("PutItem", `{"TableName":"sch","Item":{"pk":{"S":"a"},"v":{"S":"old"}}}`)
	oldGet := `{"TableName":"sch","Key":{"pk":{"S":"a"}}}`
	e.ok("GetItem", oldGet)
	e.storeOK("DeleteTable", `{"TableName":"sch"}`)
	e.storeOK("CreateTable", sprintf1(createHashN, "sch"))
	e.storeOK("PutItem", `{"TableName":"sch","Item":{"pk":{"N":"1"},"sk":{"S":"x"},"v":{"S":"new"}}}`)
	newGet := `{"TableName":"sch","Key":{"pk":{"N":"1"},"sk":{"S":"x"}}}`
	// The key does not fit the learned schema, yet the backend takes it:
	// the schema is relearned and the old items are dropped.
	if r := e.ok("GetItem", newGet); r.cache() != "bypass" || itemOf(t, r.Body)["v"].S != "new" {
		t.Fatalf("first read with the new schema: %q %s", r.cache(), r.Body)
	}
	if r := e.ok("GetItem", newGet); r.cache() != "miss" {
		t.Fatalf("second read: %q", r.cache())
	}
	if r := e.ok("GetItem", newGet); r.cache() != "hit" {
		t.Fatalf("third read: %q", r.cache())
	}
	p, s := post(t, e.proxyURL, "GetItem", oldGet), post(t, e.storeURL, "GetItem", oldGet)
	if p.Status != 400 || string(p.Body) != string(s.Body) {
		t.Fatalf("old key: %d %s, store %s", p.Status, p.Body, s.Body)
	}
}

// TestTableDeletedBehindProxy: a miss answered ResourceNotFoundException
// drops the table's cached items.
func TestTableDeletedBehindProxy(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.ok("CreateTable", sprintf1(createHashS, "gone"))
	e.ok("PutItem", `{"TableName":"gone","Item":{"pk":{"S":"a"}}}`)
	e.ok("GetItem", `{"TableName":"gone","Key":{"pk":{"S":"a"}}}`)
	e.storeOK("DeleteTable", `{"TableName":"gone"}`)
	// Cached items are still served (the proxy cannot know) …
	if r := e.ok("GetItem", `{"TableName":"gone","Key":{"pk":{"S":"a"}}}`); r.cache() != "hit" {
		t.Fatalf("%q", r.cache())
	}
	// … until the backend says the table is gone.
	if r := post(t, e.proxyURL, "GetItem", `{"TableName":"gone","Key":{"pk":{"S":"b"}}}`); r.Status != 400 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	p, s := post(t, e.proxyURL, "GetItem", `{"TableName":"gone","Key":{"pk":{"S":"a"}}}`), post(t, e.storeURL, "GetItem", `{"TableName":"gone","Key":{"pk":{"S":"a"}}}`)
	if p.Status != 400 || string(p.Body) != string(s.Body) {
		t.Fatalf("after RNF: %d %s, store %s", p.Status, p.Body, s.Body)
	}
}

// TestSchemaRefresh: the schema is checked again after SchemaTTL; a table
// recreated behind the proxy (same key schema, new TableId) loses its
// cached items.
func TestSchemaRefresh(t *testing.T) {
	e := newEnv(t, envOpts{clock: true, mut: func(o *Options) { o.SchemaTTL = time.Minute }})
	e.ok("CreateTable", sprintf1(createHashS, "refr"))
	e.ok("PutItem", `{"TableName":"refr","Item":{"pk":{"S":"a"},"v":{"S":"old"}}}`)
	get := `{"TableName":"refr","Key":{"pk":{"S":"a"}}}`
	e.storeOK("DeleteTable", `{"TableName":"refr"}`)
	e.storeOK("CreateTable", sprintf1(createHashS, "refr"))
	e.storeOK("PutItem", `{"TableName":"refr","Item":{"pk":{"S":"a"},"v":{"S":"new"}}}`)
	e.clock.Advance(2 * time.Minute)
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := e.ok("GetItem", get)
		if itemOf(t, r.Body)["v"].S == "new" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("recreated table never noticed: %s", r.Body)
		}
	}
}
