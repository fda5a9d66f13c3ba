package main

import (
	"context"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestKillNineVectorIndex kills a real `dynax store` with SIGKILL while
// writers put vectors into a table with a vector index, restarts it on the
// same directory, and searches for acknowledged items (each writer's last
// and a sample of the others) by their own vectors: each must come back first, both right after the restart (the
// index is rebuilt from the items; exact search meanwhile) and once the
// rebuilt graph serves.
func TestKillNineVectorIndex(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	proc, url := startStore(t, bin, dir)
	ctx := context.Background()
	client := sdkClient(url)
	if _, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("vcrash"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		VectorIndexes: []types.VectorIndex{{IndexName: aws.String("emb"), VectorAttribute: &types.VectorAttributeDefinition{AttributeName: aws.String("v")},
			Dimensions: aws.Int64(4), DistanceFunction: types.VectorDistanceFunctionEuclidean, Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}},
	}); err != nil {
		t.Fatal(err)
	}
	// Item w-i has the vector (w, i, 0, 1): distinct, so each is its own
	// nearest.
	vec := func(w, i int) []types.AttributeValue {
		return []types.AttributeValue{&types.AttributeValueMemberN{Value: strconv.Itoa(w)}, &types.AttributeValueMemberN{Value: strconv.Itoa(i)},
			&types.AttributeValueMemberN{Value: "0"}, &types.AttributeValueMemberN{Value: "1"}}
	}
	const writers = 4
	var mu sync.Mutex
	acked := map[string][2]int{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				pk := strconv.Itoa(w) + "-" + strconv.Itoa(i)
				if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("vcrash"), Item: map[string]types.AttributeValue{
					"pk": &types.AttributeValueMemberS{Value: pk}, "v": &types.AttributeValueMemberL{Value: vec(w, i)}}}); err != nil {
					return
				}
				mu.Lock()
				acked[pk] = [2]int{w, i}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	_ = proc.Wait()
	if len(acked) < writers {
		t.Fatalf("only %d items acknowledged before the kill", len(acked))
	}

	_, url2 := startStore(t, bin, dir)
	c2 := sdkClient(url2)
	// Every writer's last acknowledged item, and some 150 others (map
	// order is random), keep the test to seconds.
	last := map[int]int{}
	for _, wi := range acked {
		last[wi[0]] = max(last[wi[0]], wi[1])
	}
	sample := map[string][2]int{}
	for w, i := range last {
		sample[strconv.Itoa(w)+"-"+strconv.Itoa(i)] = [2]int{w, i}
	}
	for pk, wi := range acked {
		if len(sample) >= 150+writers {
			break
		}
		sample[pk] = wi
	}
	check := func(when string) {
		for pk, wi := range sample {
			out, err := c2.SearchVectors(ctx, &dynamodb.SearchVectorsInput{TableName: aws.String("vcrash"), IndexName: aws.String("emb"),
				SearchVector: vec(wi[0], wi[1]), TopK: aws.Int32(1)})
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if len(out.SearchResults) != 1 || out.SearchResults[0].Item["pk"].(*types.AttributeValueMemberS).Value != pk || out.SearchResults[0].Score != 0 {
				t.Fatalf("%s: search for %s found %+v", when, pk, out.SearchResults)
			}
		}
	}
	t0 := time.Now()
	check("right after the restart")
	t.Logf("%d acknowledged; first check %v", len(acked), time.Since(t0))
	time.Sleep(2 * time.Second) // the rebuild of a few thousand small vectors takes well under this
	check("after the rebuild")
}
