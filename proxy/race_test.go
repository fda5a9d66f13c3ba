package proxy

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// delaying holds every backend call a random moment before and after it
// runs, so fills and writes overlap in every order.
type delaying struct{ Backend }

func (d delaying) Do(ctx context.Context, c *Call) (int, []byte, error) {
	time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
	s, b, err := d.Backend.Do(ctx, c)
	time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
	return s, b, err
}

// TestNoStaleReadsUnderRace: writers raise per-key versions with
// conditional writes of every kind while readers read the same keys
// through the proxy (fills in flight all the time). A read must never
// return a version older than the newest write acknowledged (successful)
// before the read began.
func TestNoStaleReadsUnderRace(t *testing.T) {
	e := newEnv(t, envOpts{wrap: func(b Backend) Backend { return delaying{b} }})
	e.createTable("race", "", "")
	const keys = 4
	var next, acked [keys]atomic.Int64
	ackAtLeast := func(k int, v int64) {
		for {
			cur := acked[k].Load()
			if cur >= v || acked[k].CompareAndSwap(cur, v) {
				return
			}
		}
	}
	c := e.c
	table := aws.String("race")
	key := func(k int) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": sv("k" + strconv.Itoa(k))}
	}
	cond := aws.String("attribute_not_exists(v) OR v < :v")
	rvs := []types.ReturnValue{types.ReturnValueNone, types.ReturnValueAllNew, types.ReturnValueUpdatedNew, types.ReturnValueAllOld, types.ReturnValueUpdatedOld}

	write := func(k int, v int64) error {
		vs := strconv.FormatInt(v, 10)
		vals := map[string]types.AttributeValue{":v": nv(vs)}
		var err error
		switch rand.IntN(5) {
		case 0:
			_, err = c.PutItem(bg, &dynamodb.PutItemInput{TableName: table, Item: map[string]types.AttributeValue{"pk": sv("k" + strconv.Itoa(k)), "v": nv(vs)},
				ConditionExpression: cond, ExpressionAttributeValues: vals})
		case 1, 2:
			_, err = c.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: table, Key: key(k), UpdateExpression: aws.String("SET v = :v"),
				ConditionExpression: cond, ExpressionAttributeValues: vals, ReturnValues: rvs[rand.IntN(len(rvs))]})
		case 3:
			_, err = c.TransactWriteItems(bg, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: &types.Put{
				TableName: table, Item: map[string]types.AttributeValue{"pk": sv("k" + strconv.Itoa(k)), "v": nv(vs)},
				ConditionExpression: cond, ExpressionAttributeValues: vals}}}})
		case 4:
			_, err = c.ExecuteStatement(bg, &dynamodb.ExecuteStatementInput{
				Statement:  aws.String(`UPDATE race SET v = ? WHERE pk = ? AND v < ?`),
				Parameters: []types.AttributeValue{nv(vs), sv("k" + strconv.Itoa(k)), nv(vs)}})
		}
		return err
	}
	versionOf := func(it map[string]types.AttributeValue) int64 {
		n, ok := it["v"].(*types.AttributeValueMemberN)
		if !ok {
			return 0
		}
		v, _ := strconv.ParseInt(n.Value, 10, 64)
		return v
	}

	// Seed every key so PartiQL updates (which need the item) apply.
	for k := 0; k < keys; k++ {
		v := next[k].Add(1)
		if _, err := c.PutItem(bg, &dynamodb.PutItemInput{TableName: table, Item: map[string]types.AttributeValue{"pk": sv("k" + strconv.Itoa(k)), "v": nv(strconv.FormatInt(v, 10))}}); err != nil {
			t.Fatal(err)
		}
		ackAtLeast(k, v)
	}

	deadline := time.Now().Add(1500 * time.Millisecond)
	var wg sync.WaitGroup
	var failed atomic.Bool
	var reads, writes atomic.Int64
	fail := func(format string, args ...any) {
		if failed.CompareAndSwap(false, true) {
			t.Errorf(format, args...)
		}
	}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && !failed.Load() {
				k := rand.IntN(keys)
				v := next[k].Add(1)
				err := write(k, v)
				var ae smithy.APIError
				switch {
				case err == nil:
				case errors.As(err, &ae) && (ae.ErrorCode() == "ConditionalCheckFailedException" ||
					ae.ErrorCode() == "TransactionCanceledException" || ae.ErrorCode() == "TransactionConflictException"):
					// Not applied: a newer version was there (or a transaction
					// was in the way). Only acknowledged writes set the bound:
					// the newer write is acknowledged when its answer comes.
					continue
				default:
					fail("write k%d v%d: %v", k, v, err)
					return
				}
				ackAtLeast(k, v)
				writes.Add(1)
			}
		}()
	}
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			for time.Now().Before(deadline) && !failed.Load() {
				if r == 0 && rand.IntN(2) == 0 {
					var lows [keys]int64
					var ks []map[string]types.AttributeValue
					for k := 0; k < keys; k++ {
						lows[k] = acked[k].Load()
						ks = append(ks, key(k))
					}
					out, err := c.BatchGetItem(bg, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"race": {Keys: ks}}})
					if err != nil {
						fail("batch get: %v", err)
						return
					}
					for _, it := range out.Responses["race"] {
						k, _ := strconv.Atoi(it["pk"].(*types.AttributeValueMemberS).Value[1:])
						if got := versionOf(it); got < lows[k] {
							fail("BatchGetItem k%d returned v%d after v%d was acknowledged", k, got, lows[k])
						}
					}
					reads.Add(1)
					continue
				}
				k := rand.IntN(keys)
				low := acked[k].Load()
				out, err := c.GetItem(bg, &dynamodb.GetItemInput{TableName: table, Key: key(k)})
				if err != nil {
					fail("get: %v", err)
					return
				}
				if got := versionOf(out.Item); got < low {
					fail("GetItem k%d returned v%d after v%d was acknowledged", k, got, low)
				}
				reads.Add(1)
			}
		}(r)
	}
	wg.Wait()
	st := e.p.items.Stats()
	t.Logf("%d writes, %d reads; item cache: %d hits, %d misses, %d superseded fills, %d invalidations",
		writes.Load(), reads.Load(), st.Hits, st.Misses, st.Superseded, st.Invalidations)
	if writes.Load() < 20 || reads.Load() < 20 || st.Hits == 0 {
		t.Fatalf("too little happened: %d writes, %d reads, %d hits", writes.Load(), reads.Load(), st.Hits)
	}
	// Finally every key reads its latest version.
	for k := 0; k < keys; k++ {
		out, err := c.GetItem(bg, &dynamodb.GetItemInput{TableName: table, Key: key(k)})
		if err != nil {
			t.Fatal(err)
		}
		direct, err := e.direct.GetItem(bg, &dynamodb.GetItemInput{TableName: table, Key: key(k), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if versionOf(out.Item) != versionOf(direct.Item) {
			t.Fatalf("k%d: proxy v%d, store v%d", k, versionOf(out.Item), versionOf(direct.Item))
		}
	}
}
