package store

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// itemsConcurrentClient returns an SDK client for many concurrent
// requests. Its idle connections are closed before the server shuts down:
// fasthttp's Shutdown otherwise waits for the client to drop them (90 s).
func itemsConcurrentClient(t *testing.T, ts *testServer) *dynamodb.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return dynamodb.New(dynamodb.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(ts.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: ownBody{tr}},
	})
}

func TestItemsConcurrentCounter(t *testing.T) {
	ts := itemsServer(t)
	ts.Client = itemsConcurrentClient(t, ts)
	itemsPut(t, ts, "hash", avItem{"pk": avS("ctr"), "n": avN("0")})
	const workers, each = 32, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("ctr")},
					UpdateExpression: aws.String("SET n = n + :one"), ExpressionAttributeValues: avItem{":one": avN("1")}})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("ctr")}), avItem{"pk": avS("ctr"), "n": avN(fmt.Sprint(workers * each))})
}

func TestItemsConcurrentConditionalPut(t *testing.T) {
	ts := itemsServer(t)
	ts.Client = itemsConcurrentClient(t, ts)
	for round := 0; round < 5; round++ {
		pk := fmt.Sprintf("race%d", round)
		const workers = 32
		var wins, losses atomic.Int32
		var winner atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"),
					Item:                avItem{"pk": avS(pk), "owner": avN(fmt.Sprint(w))},
					ConditionExpression: aws.String("attribute_not_exists(pk)")})
				var ccf *types.ConditionalCheckFailedException
				switch {
				case err == nil:
					wins.Add(1)
					winner.Store(int32(w))
				case errors.As(err, &ccf):
					losses.Add(1)
				default:
					errs <- err
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if wins.Load() != 1 || losses.Load() != workers-1 {
			t.Fatalf("round %d: %d winners, %d losers", round, wins.Load(), losses.Load())
		}
		wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS(pk)}), avItem{"pk": avS(pk), "owner": avN(fmt.Sprint(winner.Load()))})
	}
}

func TestItemsConcurrentMixed(t *testing.T) {
	// Conditional increments racing plain puts and deletes of other items
	// of the same table: the counter ends exact, the table statistics
	// match what is stored.
	ts := itemsServer(t)
	ts.Client = itemsConcurrentClient(t, ts)
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers)
	for w := 0; w < workers; w++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				// Optimistic concurrency with a version attribute.
				for {
					out, err := ts.Client.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("ver")}, ConsistentRead: aws.Bool(true)})
					if err != nil {
						errs <- err
						return
					}
					v := "0"
					if n, ok := out.Item["v"].(*types.AttributeValueMemberN); ok {
						v = n.Value
					}
					var next int
					fmt.Sscan(v, &next)
					next++
					in := &dynamodb.PutItemInput{TableName: aws.String("hash"), Item: avItem{"pk": avS("ver"), "v": avN(fmt.Sprint(next))}}
					if out.Item == nil {
						in.ConditionExpression = aws.String("attribute_not_exists(v)")
					} else {
						in.ConditionExpression = aws.String("v = :v")
						in.ExpressionAttributeValues = avItem{":v": avN(v)}
					}
					_, err = ts.Client.PutItem(bg, in)
					var ccf *types.ConditionalCheckFailedException
					if errors.As(err, &ccf) {
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				k := avItem{"pk": avS(fmt.Sprintf("w%d-%d", w, i%3))}
				var err error
				if i%2 == 0 {
					_, err = ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"), Item: with(k, "x", avN(fmt.Sprint(i)))})
				} else {
					_, err = ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("hash"), Key: k})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("ver")}), avItem{"pk": avS("ver"), "v": avN(fmt.Sprint(workers * each))})
	tb, _ := ts.Node.cat.get("hash")
	st := ts.Node.cat.statsOf(tb)
	lo, hi := tableBounds(tb.ID)
	it, err := ts.Node.db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	count := int64(0)
	for ok := it.SeekGE(lo); ok && string(it.Key()) < string(hi); ok = it.Next() {
		count++
	}
	if st.items.Load() != count {
		t.Fatalf("ItemCount statistic %d, stored %d", st.items.Load(), count)
	}
}
