package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/dynax/dynax/changefeed"
	"github.com/dynax/dynax/ddb/wire"
)

// feedText renders changes as "table cause keys old new".
func feedText(cs []changefeed.Change) string {
	var b strings.Builder
	for _, c := range cs {
		if c.TableDeleted {
			fmt.Fprintf(&b, "%s %s deleted\n", c.Table, c.Cause)
			continue
		}
		fmt.Fprintf(&b, "%s %s %s old=%s new=%s\n", c.Table, c.Cause, canon(c.Keys), canon(c.Old), canon(c.New))
	}
	return b.String()
}

// testFeed runs the feed checks against src, the feed of ts's node.
func testFeed(t *testing.T, ts *testServer, src changefeed.Source) {
	ctx := context.Background()
	head, err := src.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	itemsCreateTable(t, ts, "fda", []string{"pk:S"})
	itemsCreateTable(t, ts, "fdb", []string{"pk:S", "sk:N"})
	itemsPut(t, ts, "fda", avItem{"pk": avS("1"), "v": avN("1")})
	itemsPut(t, ts, "fdb", avItem{"pk": avS("x"), "sk": avN("2")})
	itemsPut(t, ts, "fda", avItem{"pk": avS("1"), "v": avN("2")})
	if _, err := ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("fda"), Key: avItem{"pk": avS("1")}}); err != nil {
		t.Fatal(err)
	}
	b, err := src.Read(ctx, changefeed.Request{After: head})
	if err != nil {
		t.Fatal(err)
	}
	want := `fda PutItem {"pk":{"S":"1"}} old= new={"pk":{"S":"1"},"v":{"N":"1"}}
fdb PutItem {"pk":{"S":"x"},"sk":{"N":"2"}} old= new={"pk":{"S":"x"},"sk":{"N":"2"}}
fda PutItem {"pk":{"S":"1"}} old={"pk":{"S":"1"},"v":{"N":"1"}} new={"pk":{"S":"1"},"v":{"N":"2"}}
fda DeleteItem {"pk":{"S":"1"}} old={"pk":{"S":"1"},"v":{"N":"2"}} new=
`
	if got := feedText(b.Changes); got != want {
		t.Fatalf("feed:\n got %s\nwant %s", got, want)
	}
	for i := 1; i < len(b.Changes); i++ {
		if b.Changes[i].Seq <= b.Changes[i-1].Seq {
			t.Fatalf("sequence numbers out of order: %d after %d", b.Changes[i].Seq, b.Changes[i-1].Seq)
		}
	}
	if b.Next != b.Changes[3].Seq || len(b.Trimmed) != 0 {
		t.Fatalf("Next %d (last change %d), Trimmed %v", b.Next, b.Changes[3].Seq, b.Trimmed)
	}
	// Paging with Limit.
	p, err := src.Read(ctx, changefeed.Request{After: head, Limit: 2})
	if err != nil || len(p.Changes) != 2 || p.Next != b.Changes[1].Seq {
		t.Fatalf("limit 2: %d changes, next %d, %v", len(p.Changes), p.Next, err)
	}
	p, err = src.Read(ctx, changefeed.Request{After: p.Next})
	if err != nil || len(p.Changes) != 2 || p.Changes[0].Seq != b.Changes[2].Seq {
		t.Fatalf("page 2: %+v %v", p, err)
	}

	// A read at the head waits for the next change.
	go func() {
		time.Sleep(50 * time.Millisecond)
		itemsPut(t, ts, "fdb", avItem{"pk": avS("y"), "sk": avN("1")})
	}()
	start := time.Now()
	w, err := src.Read(ctx, changefeed.Request{After: b.Next, Wait: 10 * time.Second})
	if err != nil || len(w.Changes) != 1 || !strings.Contains(string(w.Changes[0].Keys), `"y"`) {
		t.Fatalf("waited read: %+v %v", w, err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the waiting read did not wake up on the write")
	}
	// Nothing new: an empty batch once the wait is over.
	e, err := src.Read(ctx, changefeed.Request{After: w.Next, Wait: 30 * time.Millisecond})
	if err != nil || len(e.Changes) != 0 || e.Next < w.Next {
		t.Fatalf("idle read: %+v %v", e, err)
	}
	// Deleting a table ends its log with a TableDeleted change.
	if _, err := ts.Client.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String("fdb")}); err != nil {
		t.Fatal(err)
	}
	d, err := src.Read(ctx, changefeed.Request{After: e.Next})
	if err != nil || feedText(d.Changes) != "fdb DeleteTable deleted\n" {
		t.Fatalf("after DeleteTable: %q %v", feedText(d.Changes), err)
	}
}

// canon renders a JSON document with object members sorted ("" for nil).
func canon(b []byte) string {
	if b == nil {
		return ""
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "!" + string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// feedRaw posts a raw GetChanges body to the feed at url.
func feedRaw(t testing.TB, url, body string) (status int, errType, msg, raw string) {
	t.Helper()
	return targetRaw(t, url, wire.PrefixFeed+"."+changefeed.OpGetChanges, body)
}

func TestFeedInProcess(t *testing.T) {
	ts := newTestServer(t)
	testFeed(t, ts, ts.Node.Feed())
}

func TestFeedRemote(t *testing.T) {
	ts := newTestServer(t)
	// The feed is served on the store's own listener (not through a proxy).
	url := ts.Direct
	testFeed(t, ts, changefeed.NewClient(url))
	status, typ, msg, _ := feedRaw(t, url, `{"WaitMillis":-1}`)
	if status != 400 || typ != "ValidationException" || msg != "WaitMillis must be between 0 and 60000" {
		t.Fatalf("bad request: %d %s %q", status, typ, msg)
	}
}

func TestFeedTrimmed(t *testing.T) {
	clock := newFakeClock()
	ts := newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true, Now: clock.Now, LogTrimInterval: time.Hour})
	src := ts.Node.Feed()
	ctx := context.Background()
	itemsCreateTable(t, ts, "fdt", []string{"pk:S"})
	itemsCreateTable(t, ts, "fdu", []string{"pk:S"})
	head, _ := src.Head(ctx)
	itemsPut(t, ts, "fdt", avItem{"pk": avS("a")})
	clock.Add(10 * time.Minute) // past the feed's 5 minutes
	itemsPut(t, ts, "fdu", avItem{"pk": avS("b")})
	if err := ts.Node.trimLogs(); err != nil {
		t.Fatal(err)
	}
	b, err := src.Read(ctx, changefeed.Request{After: head})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(b.Trimmed) != "[fdt]" || len(b.Changes) != 1 || b.Changes[0].Table != "fdu" {
		t.Fatalf("after trimming: trimmed %v, changes %q", b.Trimmed, feedText(b.Changes))
	}
}
