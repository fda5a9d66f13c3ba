package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/dynax/dynax/internal/testpeer"
)

// TestKillNineKinesisDestination writes into a real `dynax store` whose
// table streams to kinesalite, kills the store with SIGKILL mid-stream,
// restarts it, and checks that every acknowledged write reaches Kinesis
// (duplicates allowed, as with DynamoDB), in write order per item.
func TestKillNineKinesisDestination(t *testing.T) {
	kurl := testpeer.Kinesalite(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	ctx := context.Background()
	kc := kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(kurl),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("crash"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	// The store reaches kinesalite through a relay: kinesalite dies when a
	// client drops a request halfway (as a SIGKILLed store does), and the
	// relay only forwards whole requests.
	relay := kinesisRelay(t, kurl)
	proc, url := startStore(t, bin, dir, "--kinesis-endpoint", relay)
	client := sdkClient(url)
	if _, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("kcrash"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}}); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:kinesis:us-east-1:000000000000:stream/crash"
	if _, err := client.EnableKinesisStreamingDestination(ctx, &dynamodb.EnableKinesisStreamingDestinationInput{TableName: aws.String("kcrash"), StreamArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		out, err := client.DescribeKinesisStreamingDestination(ctx, &dynamodb.DescribeKinesisStreamingDestinationInput{TableName: aws.String("kcrash")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.KinesisDataStreamDestinations) == 1 && out.KinesisDataStreamDestinations[0].DestinationStatus == types.DestinationStatusActive {
			break
		}
		if i > 300 {
			t.Fatal("destination never ACTIVE")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Writers: key w<g> gets versions 1, 2, 3, … ; acked[g] is the last
	// acknowledged version.
	const writers = 6
	acked := make([]int, writers)
	var mu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for v := 1; ; v++ {
				select {
				case <-stop:
					return
				default:
				}
				_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("kcrash"), Item: map[string]types.AttributeValue{
					"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("w%d", g)}, "v": &types.AttributeValueMemberN{Value: strconv.Itoa(v)}}})
				if err != nil {
					return // the kill
				}
				mu.Lock()
				acked[g] = v
				mu.Unlock()
			}
		}(g)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	_ = proc.Wait()
	_, _ = startStore(t, bin, dir, "--kinesis-endpoint", relay)

	total := 0
	for _, v := range acked {
		total += v
	}
	if total < 50 {
		t.Fatalf("only %d acknowledged writes before the kill", total)
	}
	// Read Kinesis until every acknowledged version of every key is there.
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen, order := readVersions(t, kc, "crash")
		missing := 0
		for g := 0; g < writers; g++ {
			for v := 1; v <= acked[g]; v++ {
				if !seen[fmt.Sprintf("w%d/%d", g, v)] {
					missing++
				}
			}
		}
		if missing == 0 {
			for key, vs := range order {
				for i := 1; i < len(vs); i++ {
					if vs[i] < vs[i-1] {
						t.Fatalf("%s: versions out of order in Kinesis: %v", key, vs)
					}
				}
			}
			t.Logf("%d acknowledged writes, all in Kinesis after kill -9", total)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged writes missing from Kinesis", missing, total)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// readVersions reads a stream and returns the "key/version" pairs seen and,
// per key, the versions in first-arrival order (duplicates dropped).
func readVersions(t *testing.T, kc *kinesis.Client, stream string) (map[string]bool, map[string][]int) {
	t.Helper()
	ctx := context.Background()
	shards, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	order := map[string][]int{}
	for _, sh := range shards.Shards {
		it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: sh.ShardId,
			ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for iter != nil {
			page, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(10000)})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Records {
				var rec struct {
					Dynamodb struct {
						NewImage struct {
							Pk struct{ S string } `json:"pk"`
							V  struct{ N string } `json:"v"`
						}
					} `json:"dynamodb"`
				}
				if err := json.Unmarshal(r.Data, &rec); err != nil {
					t.Fatal(err)
				}
				key := rec.Dynamodb.NewImage.Pk.S
				v, _ := strconv.Atoi(rec.Dynamodb.NewImage.V.N)
				id := fmt.Sprintf("%s/%d", key, v)
				if !seen[id] {
					seen[id] = true
					order[key] = append(order[key], v)
				}
			}
			if len(page.Records) == 0 {
				break
			}
			iter = page.NextShardIterator
		}
	}
	return seen, order
}

// kinesisRelay returns the URL of an HTTP relay to target that reads each
// request whole before sending it on, and sends it on even if the client
// has gone meanwhile.
func kinesisRelay(t *testing.T, target string) string {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return // the client went before its request was whole: drop it
		}
		out, err := http.NewRequestWithContext(context.Background(), r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = r.Header.Clone()
		resp, err := client.Do(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
