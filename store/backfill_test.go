package store

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cockroachdb/pebble/v2"
)

// indexKeys returns the engine keys of all entries of index name.
func indexKeys(t *testing.T, n *Node, table, name string) map[string]bool {
	t.Helper()
	tb, ok := n.cat.get(table)
	if !ok {
		t.Fatalf("no table %s", table)
	}
	p := indexPrefix(tb.ID, name)
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	out := map[string]bool{}
	for it.First(); it.Valid(); it.Next() {
		out[string(it.Key())] = true
	}
	return out
}

// expectedIndexKeys derives the index entries every stored item should have.
func expectedIndexKeys(t *testing.T, n *Node, table, name string) map[string]bool {
	t.Helper()
	tb, _ := n.cat.get(table)
	g, ok := tb.GlobalIndex(name)
	if !ok {
		t.Fatalf("no index %s", name)
	}
	lo, hi := tableBounds(tb.ID)
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	out := map[string]bool{}
	for it.First(); it.Valid(); it.Next() {
		item, _, found, err := n.getItem(it.Key())
		if err != nil || !found {
			t.Fatalf("read item: %v", err)
		}
		if e, ok := tb.indexEntryOf(&g.IndexDef, item); ok {
			out[string(e.key)] = true
		}
	}
	return out
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
	put := func(i, v int) error {
		item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k" + strconv.Itoa(i)}}
		if v%3 != 0 { // every third version lacks the index key: sparse
			item["g"] = &types.AttributeValueMemberN{Value: strconv.Itoa(v % 7)}
		}
		_, err := c.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("bfill"), Item: item})
		return err
	}
	const items = 1000
	for i := 0; i < items; i++ {
		if err := put(i, i); err != nil {
			t.Fatal(err)
		}
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	var once sync.Once
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for v := 1; ; v++ {
				select {
				case <-stop:
					return
				default:
				}
				i := (v*7919 + w*131) % items
				if err := put(i, v+w); err != nil {
					once.Do(func() { writeErr = err })
					return
				}
				if v%5 == 0 {
					_, err := c.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("bfill"),
						Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k" + strconv.Itoa((i+1)%items)}}})
					if err != nil {
						once.Do(func() { writeErr = err })
						return
					}
				}
			}
		}(w)
	}

	_, err = c.UpdateTable(bg, &dynamodb.UpdateTableInput{
		TableName:            aws.String("bfill"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeN}},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName:  aws.String("byG"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := describe(t, c, "bfill")
	if len(d.GlobalSecondaryIndexes) != 1 {
		t.Fatalf("indexes: %+v", d.GlobalSecondaryIndexes)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		d := describe(t, c, "bfill")
		g := d.GlobalSecondaryIndexes[0]
		if g.IndexStatus == types.IndexStatusActive {
			if g.Backfilling != nil && *g.Backfilling {
				t.Fatal("ACTIVE index still backfilling")
			}
			break
		}
		if g.IndexStatus != types.IndexStatusCreating || g.Backfilling == nil || !*g.Backfilling {
			t.Fatalf("index status %s backfilling %v", g.IndexStatus, g.Backfilling)
		}
		if time.Now().After(deadline) {
			t.Fatal("backfill did not finish")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let the writers run on the ACTIVE index too
	close(stop)
	wg.Wait()
	if writeErr != nil {
		t.Fatal(writeErr)
	}
	got := indexKeys(t, ts.Node, "bfill", "byG")
	want := expectedIndexKeys(t, ts.Node, "bfill", "byG")
	if len(want) == 0 {
		t.Fatal("no item is in the index")
	}
	for k := range want {
		if !got[k] {
			t.Fatalf("missing index entry %q", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Fatalf("stale index entry %q", k)
		}
	}
	t.Logf("%d index entries consistent after backfill under writes", len(got))

}
