package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

func streamsSDKClient(url string) *dynamodbstreams.Client {
	return dynamodbstreams.New(dynamodbstreams.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		// Reads only: a retry cannot change what is checked, and it rides
		// out a connection the loaded test machine drops now and then.
		RetryMaxAttempts: 3,
		HTTPClient:       &http.Client{Timeout: 30 * time.Second},
	})
}

// streamRecords reads every shard of the stream (parents first, as listed)
// to its current end.
func streamRecords(t *testing.T, sc *dynamodbstreams.Client, arn string) []stypes.Record {
	t.Helper()
	ctx := context.Background()
	d, err := sc.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	var all []stypes.Record
	for _, sh := range d.StreamDescription.Shards {
		it, err := sc.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: &arn, ShardId: sh.ShardId,
			ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for iter != nil {
			out, err := sc.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, out.Records...)
			if len(out.Records) == 0 {
				break // caught up with an open shard
			}
			iter = out.NextShardIterator
		}
	}
	return all
}

// TestKillNineStreamRecords kills a real `dynax store` with SIGKILL while
// writers run, restarts it, and checks the stream: every acknowledged
// write has exactly one record, per-item order is kept, sequence numbers
// strictly increase, and numbers handed out after the restart are higher
// than every number before it.
func TestKillNineStreamRecords(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	proc, url := startStore(t, bin, dir, "--stream-shard-rollover", "300ms")
	ctx := context.Background()
	client := sdkClient(url)
	if _, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("crashlog"),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage},
	}); err != nil {
		t.Fatal(err)
	}
	d, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("crashlog")})
	if err != nil {
		t.Fatal(err)
	}
	arn := *d.Table.LatestStreamArn

	// Each writer owns its keys and writes them in turn with increasing
	// versions, one write at a time: per key, the versions written form a
	// known sequence, all acknowledged but possibly the last.
	const writers, keysPer = 8, 20
	var mu sync.Mutex
	acked := map[string]int{} // key → last acknowledged version
	sent := map[string]int{}  // key → last version sent
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
				pk := fmt.Sprintf("w%d-%d", w, i%keysPer)
				mu.Lock()
				sent[pk] = i
				mu.Unlock()
				_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("crashlog"),
					Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "v": &types.AttributeValueMemberN{Value: strconv.Itoa(i)}}})
				if err != nil {
					return
				}
				mu.Lock()
				acked[pk] = i
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
		t.Fatalf("only %d keys acknowledged before the kill", len(acked))
	}

	_, url2 := startStore(t, bin, dir, "--stream-shard-rollover", "300ms")
	sc := streamsSDKClient(url2)
	recs := streamRecords(t, sc, arn)
	var seqs []string
	got := map[string][]int{}
	for _, r := range recs {
		seqs = append(seqs, *r.Dynamodb.SequenceNumber)
		pk := r.Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value
		v, _ := strconv.Atoi(r.Dynamodb.NewImage["v"].(*stypes.AttributeValueMemberN).Value)
		got[pk] = append(got[pk], v)
	}
	if !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
		t.Fatal("sequence numbers not strictly increasing")
	}
	total := 0
	for pk, last := range acked {
		// The versions of pk are w, w+keysPer, … for the key's index.
		var idx, w int
		fmt.Sscanf(pk, "w%d-%d", &w, &idx)
		var want []int
		for v := idx; v <= last; v += keysPer {
			want = append(want, v)
		}
		g := got[pk]
		// An unacknowledged last write may or may not have committed.
		if len(g) == len(want)+1 && g[len(g)-1] == sent[pk] && sent[pk] > last {
			g = g[:len(g)-1]
		}
		if !slices.Equal(g, want) {
			t.Errorf("%s: stream has %v, acknowledged %v", pk, got[pk], want)
		}
		total += len(want)
	}
	for pk := range got {
		if _, ok := acked[pk]; !ok && len(got[pk]) > 1 {
			t.Errorf("%s: %d records but nothing acknowledged", pk, len(got[pk]))
		}
	}

	// After the restart, new records are numbered above all old ones.
	client2 := sdkClient(url2)
	if _, err := client2.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("crashlog"),
		Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "after"}}}); err != nil {
		t.Fatal(err)
	}
	recs = streamRecords(t, sc, arn)
	lastRec := recs[len(recs)-1]
	if pk := lastRec.Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value; pk != "after" || *lastRec.Dynamodb.SequenceNumber <= seqs[len(seqs)-1] {
		t.Fatalf("record after restart: %s %s, last before %s", pk, *lastRec.Dynamodb.SequenceNumber, seqs[len(seqs)-1])
	}
	t.Logf("%d acknowledged writes, each with exactly one stream record, after kill -9", total)
}

// TestKillNineTTL kills a store while its expirer deletes items, restarts
// it and checks that every expired item goes, exactly once in the stream,
// and no unexpired item is touched.
func TestKillNineTTL(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	proc, url := startStore(t, bin, dir, "--ttl-interval", "1h")
	ctx := context.Background()
	client := sdkClient(url)
	if _, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("crashttl"),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeKeysOnly},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("crashttl"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("exp")}}); err != nil {
		t.Fatal(err)
	}
	const expired, kept = 3000, 200
	past := strconv.FormatInt(time.Now().Unix()-10, 10)
	future := strconv.FormatInt(time.Now().Unix()+3600, 10)
	put := func(c *dynamodb.Client, batch []types.WriteRequest) {
		if _, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"crashttl": batch}}); err != nil {
			t.Fatal(err)
		}
	}
	var batch []types.WriteRequest
	for i := range expired + kept {
		exp := past
		if i >= expired {
			exp = future
		}
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: fmt.Sprint("k", i)}, "exp": &types.AttributeValueMemberN{Value: exp}}}})
		if len(batch) == 25 {
			put(client, batch)
			batch = nil
		}
	}
	proc.Process.Signal(syscall.SIGKILL)
	_ = proc.Wait()
	// Restart with a fast expirer and kill it again mid-expiry.
	proc, _ = startStore(t, bin, dir, "--ttl-interval", "5ms")
	time.Sleep(300 * time.Millisecond)
	proc.Process.Signal(syscall.SIGKILL)
	_ = proc.Wait()

	_, url3 := startStore(t, bin, dir, "--ttl-interval", "5ms")
	client3 := sdkClient(url3)
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := client3.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("crashttl"), Select: types.SelectCount, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if d.Count == kept {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d items left, want %d", d.Count, kept)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := expired; i < expired+kept; i++ {
		out, err := client3.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("crashttl"), ConsistentRead: aws.Bool(true),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: fmt.Sprint("k", i)}}})
		if err != nil || out.Item == nil {
			t.Fatalf("unexpired k%d: %v %v", i, out, err)
		}
	}
	d, err := client3.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("crashttl")})
	if err != nil {
		t.Fatal(err)
	}
	removes := map[string]int{}
	for _, r := range streamRecords(t, streamsSDKClient(url3), *d.Table.LatestStreamArn) {
		if r.EventName == stypes.OperationTypeRemove {
			if r.UserIdentity == nil || *r.UserIdentity.PrincipalId != "dynamodb.amazonaws.com" {
				t.Fatalf("TTL removal without the service identity: %+v", r)
			}
			removes[r.Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value]++
		}
	}
	if len(removes) != expired {
		t.Fatalf("%d REMOVE records, want %d", len(removes), expired)
	}
	for k, c := range removes {
		if c != 1 {
			t.Fatalf("%s removed %d times", k, c)
		}
	}
}
