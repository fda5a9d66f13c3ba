package store

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/dynax/dynax/ddb"
)

// The backfill tests keep their own model of the table (bfModel) and
// compare what a Scan of the index returns, values included, with the
// entries the model states: an item is in index byG exactly when it has
// attribute g.

// bfItem is the model of one item: pk, an optional number g (the index
// key) and a number v.
type bfItem struct {
	g    int
	hasG bool
	v    int
}

type bfModel map[string]bfItem

// version returns the item that write number v of pk stores: every third
// version lacks the index key (a sparse index).
func bfVersion(v int) bfItem {
	return bfItem{g: v % 7, hasG: v%3 != 0, v: v}
}

// wantIndex states the index contents: one line per item with g, sorted.
func (m bfModel) wantIndex() []string {
	var out []string
	for pk, it := range m {
		if it.hasG {
			out = append(out, fmt.Sprintf("g=N:%d pk=S:%s v=N:%d", it.g, pk, it.v))
		}
	}
	slices.Sort(out)
	return out
}

// wantTable states the table contents, sorted.
func (m bfModel) wantTable() []string {
	var out []string
	for pk, it := range m {
		if it.hasG {
			out = append(out, fmt.Sprintf("g=N:%d pk=S:%s v=N:%d", it.g, pk, it.v))
		} else {
			out = append(out, fmt.Sprintf("pk=S:%s v=N:%d", pk, it.v))
		}
	}
	slices.Sort(out)
	return out
}

// bfItemJSON is the wire form of version it of pk.
func bfItemJSON(pk string, it bfItem) string {
	s := `{"pk":{"S":"` + pk + `"},"v":{"N":"` + strconv.Itoa(it.v) + `"}`
	if it.hasG {
		s += `,"g":{"N":"` + strconv.Itoa(it.g) + `"}`
	}
	return s + "}"
}

// scanLines returns every item a Scan of table (of index, if not empty)
// returns, one sorted line per item ("name=TYPE:value …", names sorted).
func scanLines(t testing.TB, n *Node, table, index string) []string {
	t.Helper()
	var out []string
	start := ""
	for {
		body := `{"TableName":"` + table + `"`
		if index != "" {
			body += `,"IndexName":"` + index + `"`
		}
		if start != "" {
			body += `,"ExclusiveStartKey":` + start
		}
		var page struct {
			Items            []map[string]map[string]string
			LastEvaluatedKey json.RawMessage
		}
		if err := json.Unmarshal([]byte(mustCall(t, n, "Scan", body+"}")), &page); err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			var attrs []string
			for name, v := range it {
				for typ, val := range v {
					attrs = append(attrs, name+"="+typ+":"+val)
				}
			}
			slices.Sort(attrs)
			out = append(out, strings.Join(attrs, " "))
		}
		if len(page.LastEvaluatedKey) == 0 {
			break
		}
		start = string(page.LastEvaluatedKey)
	}
	slices.Sort(out)
	return out
}

// wantLines fails unless got equals want, naming the first difference.
func wantLines(t testing.TB, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Fatalf("%s: %d entries, want %d; first difference at %d: got %q, want %q", what, len(got), len(want), i, g, w)
		}
	}
}

const bfAddIndex = `{"TableName":"bfill","AttributeDefinitions":[{"AttributeName":"g","AttributeType":"N"}],` +
	`"GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"byG","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],` +
	`"Projection":{"ProjectionType":"ALL"}}}]}`

// indexStatus returns the IndexStatus of table's first global index ("" if none).
func indexStatus(t testing.TB, n *Node, table string) string {
	t.Helper()
	var d struct {
		Table struct {
			GlobalSecondaryIndexes []struct{ IndexStatus string }
		}
	}
	if err := json.Unmarshal([]byte(mustCall(t, n, "DescribeTable", `{"TableName":"`+table+`"}`)), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Table.GlobalSecondaryIndexes) == 0 {
		return ""
	}
	return d.Table.GlobalSecondaryIndexes[0].IndexStatus
}

func waitIndexActive(t testing.TB, n *Node, table string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for indexStatus(t, n, table) != "ACTIVE" {
		if time.Now().After(deadline) {
			t.Fatalf("index of %s is %q, want ACTIVE", table, indexStatus(t, n, table))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestGSIBackfillUnderConcurrentWrites(t *testing.T) {
	ts := newTestServer(t)
	c := ts.Client
	_, err := c.CreateTable(bg, &dynamodb.CreateTableInput{
		TableName:            aws.String("bfill"),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
	})
	if err != nil {
		t.Fatal(err)
	}
	put := func(pk string, it bfItem) error {
		item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk},
			"v": &types.AttributeValueMemberN{Value: strconv.Itoa(it.v)}}
		if it.hasG {
			item["g"] = &types.AttributeValueMemberN{Value: strconv.Itoa(it.g)}
		}
		_, err := c.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("bfill"), Item: item})
		return err
	}
	const items, writers = 1000, 4
	model := bfModel{}
	for i := 0; i < items; i++ {
		pk := "k" + strconv.Itoa(i)
		model[pk] = bfVersion(i)
		if err := put(pk, model[pk]); err != nil {
			t.Fatal(err)
		}
	}

	// Each writer owns the keys i ≡ w (mod writers) and models them, so the
	// final state of every key is known.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, writers)
	models := make([]bfModel, writers)
	for w := range writers {
		models[w] = bfModel{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := models[w]
			for v := items; ; v++ {
				select {
				case <-stop:
					return
				default:
				}
				pk := "k" + strconv.Itoa(w+writers*((v*7919)%(items/writers)))
				if err := put(pk, bfVersion(v)); err != nil {
					errs[w] = err
					return
				}
				m[pk] = bfVersion(v)
				if v%5 == 0 {
					pk := "k" + strconv.Itoa(w+writers*((v*31)%(items/writers)))
					_, err := c.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("bfill"),
						Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}})
					if err != nil {
						errs[w] = err
						return
					}
					m[pk] = bfItem{v: -1} // deleted
				}
			}
		}()
	}

	time.Sleep(20 * time.Millisecond) // writers running before the index exists
	mustCall(t, ts.Node, "UpdateTable", bfAddIndex)
	waitIndexActive(t, ts.Node, "bfill")
	time.Sleep(50 * time.Millisecond) // let the writers run on the ACTIVE index too
	close(stop)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range models {
		for pk, it := range m {
			if it.v < 0 {
				delete(model, pk)
			} else {
				model[pk] = it
			}
		}
	}
	if n := len(model.wantIndex()); n < items/3 {
		t.Fatalf("only %d items in the index: the test lost its point", n)
	}
	wantLines(t, "table", scanLines(t, ts.Node, "bfill", ""), model.wantTable())
	wantLines(t, "index byG", scanLines(t, ts.Node, "bfill", "byG"), model.wantIndex())
}

// TestGSIBackfillCrash crashes the node in the middle of a backfill, with
// Pebble's crashable file system: a crash image holds exactly what was
// synced (and, in the random variants, a part of what was not). Backfill
// chunks are committed without sync; the first image is taken before any
// synced write follows them (so they are lost), the second after
// acknowledged writes of backfilled and not yet backfilled items (so they
// are durable). After restart on either image, the backfill must finish
// with exactly the entries the model states.
func TestGSIBackfillCrash(t *testing.T) {
	mem := vfs.NewCrashableMem()
	opts := Options{Dir: "/db", FS: mem}
	n, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	mustCall(t, n, "CreateTable", strings.Replace(faultTableBody, "%s", "bfill", 1))
	const items = 2000
	model := bfModel{}
	for i := 0; i < items; i += 25 {
		var reqs []string
		for j := i; j < i+25; j++ {
			pk := "k" + strconv.Itoa(j)
			model[pk] = bfVersion(j)
			reqs = append(reqs, `{"PutRequest":{"Item":`+bfItemJSON(pk, model[pk])+`}}`)
		}
		mustCall(t, n, "BatchWriteItem", `{"RequestItems":{"bfill":[`+strings.Join(reqs, ",")+`]}}`)
	}

	// Stall the backfill half way: hold the lock of the item in the middle
	// of the table's key order.
	tb, _ := n.cat.get("bfill")
	lo, hi := tableBounds(tb.ID)
	keys, err := n.scanKeys(lo, hi, items)
	if err != nil || len(keys) != items {
		t.Fatalf("%d keys, %v", len(keys), err)
	}
	stall := items / 2 / backfillChunk * backfillChunk // first key of the stalled chunk
	blocked := n.locks.slot(keys[items/2])
	blocked.Lock()
	// The stalled chunk may hold the locks of its keys below the blocked
	// one: writes in the test avoid all of them.
	held := map[*sync.Mutex]bool{}
	for _, k := range keys[stall : stall+backfillChunk] {
		held[n.locks.slot(k)] = true
	}
	// pkOf returns the pk of an item from the backfilled (first) or the
	// not yet backfilled part of the key order, whose lock is free.
	used := map[string]bool{}
	pkOf := func(first bool) string {
		lo, hi := 0, stall
		if !first {
			lo, hi = stall+backfillChunk, items
		}
		for _, k := range keys[lo:hi] {
			it, _, found, err := n.getItem(k)
			if err != nil || !found {
				t.Fatalf("read item: %v", err)
			}
			if pk := it["pk"].S; !held[n.locks.slot(k)] && !used[pk] {
				used[pk] = true
				return pk
			}
		}
		t.Fatal("no free key")
		return ""
	}
	newPK := func() string {
		for i := 0; ; i++ {
			pk := "new" + strconv.Itoa(i)
			if !held[n.locks.slot(itemKey(nil, tb.ID, tb.KeyHash, ddb.S(pk), ddb.Value{}))] {
				return pk
			}
		}
	}
	updated := make(chan error, 1)
	go func() { _, err := nodeCall(n, "UpdateTable", bfAddIndex); updated <- err }()
	// Wait until the backfill has written its first chunks and stalls.
	p := indexPrefix(tb.ID, "byG")
	last, stable := -1, 0
	for stable < 20 {
		k, err := n.scanKeys(p, prefixEnd(p), items)
		if err != nil {
			t.Fatal(err)
		}
		if len(k) > 0 && len(k) == last {
			stable++
		} else {
			stable = 0
		}
		last = len(k)
		time.Sleep(5 * time.Millisecond)
	}
	if last < items/4 {
		t.Fatalf("backfill stalled after %d entries, want about %d", last, stall*2/3)
	}
	if s := indexStatus(t, n, "bfill"); s != "CREATING" {
		t.Fatalf("index is %s while its backfill is stalled", s)
	}
	images := []*vfs.MemFS{mem.CrashClone(vfs.CrashCloneCfg{})}
	models := []bfModel{maps(model)}

	// Acknowledged writes: they sync the WAL, and so the chunks before them.
	set := func(pk string, v int) {
		model[pk] = bfVersion(v)
		mustCall(t, n, "PutItem", `{"TableName":"bfill","Item":`+bfItemJSON(pk, model[pk])+`}`)
	}
	set(pkOf(true), 7001)  // backfilled, index key changes
	set(pkOf(true), 7003)  // backfilled, leaves the index (7003 % 3 == 0)
	set(pkOf(false), 7004) // not yet backfilled
	set(newPK(), 7005)
	del := pkOf(true)
	delete(model, del)
	mustCall(t, n, "DeleteItem", `{"TableName":"bfill","Key":{"pk":{"S":"`+del+`"}}}`)
	tx := pkOf(false)
	model[tx] = bfVersion(7007)
	mustCall(t, n, "TransactWriteItems", `{"TransactItems":[{"Put":{"TableName":"bfill","Item":`+bfItemJSON(tx, model[tx])+`}}]}`)
	images = append(images, mem.CrashClone(vfs.CrashCloneCfg{}))
	models = append(models, maps(model))
	for seed := range uint64(2) {
		images = append(images, mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 50, RNG: rand.New(rand.NewPCG(seed, 1))}))
		models = append(models, maps(model))
	}
	blocked.Unlock()
	if err := <-updated; err != nil {
		t.Fatal(err)
	}

	for i, img := range images {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			n, err := Open(Options{Dir: "/db", FS: img})
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			waitIndexActive(t, n, "bfill")
			wantLines(t, "table", scanLines(t, n, "bfill", ""), models[i].wantTable())
			wantLines(t, "index byG", scanLines(t, n, "bfill", "byG"), models[i].wantIndex())
		})
	}
}

func maps(m bfModel) bfModel {
	out := make(bfModel, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
