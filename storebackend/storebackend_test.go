package storebackend

import (
	"context"
	"log/slog"
	"os/exec"
	"strings"
	"testing"

	"github.com/dynax/dynax/backend"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// TestDo: answers and error answers come back as the store's HTTP server
// writes them.
func TestDo(t *testing.T) {
	n, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	b := &Backend{Node: n}
	f := func(op, body string, wantStatus int, wantIn string) {
		t.Helper()
		st, out, err := b.Do(context.Background(), &backend.Call{Prefix: wire.PrefixDynamoDB, Operation: op, Body: []byte(body)})
		if err != nil || st != wantStatus || !strings.Contains(string(out), wantIn) {
			t.Fatalf("%s %s: %d %s %v; want %d containing %s", op, body, st, out, err, wantStatus, wantIn)
		}
	}
	f("CreateTable", `{"TableName":"sbt","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`, 200, `"TableName":"sbt"`)
	f("PutItem", `{"TableName":"sbt","Item":{"pk":{"S":"a"}}}`, 200, `{}`)
	f("GetItem", `{"TableName":"sbt","Key":{"pk":{"S":"a"}}}`, 200, `"Item":{"pk":{"S":"a"}}`)
	f("GetItem", `{"TableName":"nope","Key":{"pk":{"S":"a"}}}`, 400, `ResourceNotFoundException`)
	f("GetItem", `{"TableName":"sbt","Key":{"pk":{"N":"1"}}}`, 400, `The provided key element does not match the schema`)
	if !b.Known(wire.PrefixDynamoDB, "GetItem") || b.Known(wire.PrefixDynamoDB, "NoSuchOperation") {
		t.Fatal("Known disagrees with the store")
	}
}

// TestProxyCacheClusterNeverImportStore: the proxy, the cache and the
// cluster work in front of any DynamoDB endpoint (DESIGN.md).
func TestProxyCacheClusterNeverImportStore(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/dynax/dynax/proxy", "github.com/dynax/dynax/cache", "github.com/dynax/dynax/cluster").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if l == "github.com/dynax/dynax/store" || l == "github.com/dynax/dynax/storebackend" {
			t.Fatalf("proxy, cache or cluster imports %s", l)
		}
	}
}
