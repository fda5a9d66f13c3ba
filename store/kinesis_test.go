package store

import (
	"encoding/json"
	"fmt"
	"strings"
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

func kinesisTestClient(url string) *kinesis.Client {
	return kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
}

// kinesisRecords reads every record of a one-shard stream.
func kinesisRecords(t *testing.T, kc *kinesis.Client, stream string) []map[string]any {
	t.Helper()
	shards, err := kc.ListShards(bg, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, sh := range shards.Shards {
		it, err := kc.GetShardIterator(bg, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: sh.ShardId,
			ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for iter != nil {
			page, err := kc.GetRecords(bg, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Records {
				var m map[string]any
				if err := json.Unmarshal(r.Data, &m); err != nil {
					t.Fatalf("record data %q: %v", r.Data, err)
				}
				m["_partitionKey"] = aws.ToString(r.PartitionKey)
				out = append(out, m)
			}
			if len(page.Records) == 0 {
				break
			}
			iter = page.NextShardIterator
		}
	}
	return out
}

func waitDestination(t *testing.T, ts *testServer, table, want string) {
	t.Helper()
	for i := 0; i < 300; i++ {
		out, err := ts.Client.DescribeKinesisStreamingDestination(bg, &dynamodb.DescribeKinesisStreamingDestinationInput{TableName: aws.String(table)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.KinesisDataStreamDestinations) > 0 && string(out.KinesisDataStreamDestinations[0].DestinationStatus) == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("destination of %s never reached %s", table, want)
}

func TestKinesisDestination(t *testing.T) {
	url := testpeer.Kinesalite(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	kc := kinesisTestClient(url)
	if _, err := kc.CreateStream(bg, &kinesis.CreateStreamInput{StreamName: aws.String("changes"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:kinesis:us-east-1:000000000000:stream/changes"
	dir := t.TempDir()
	ts := newTestServerOpts(t, Options{Dir: dir, NoSync: true, KinesisEndpoint: url})
	itemsCreateTable(t, ts, "kds", []string{"pk:S"})
	backupPut(t, ts, "kds", "before", 0) // before the destination: not sent

	out, err := ts.Client.EnableKinesisStreamingDestination(bg, &dynamodb.EnableKinesisStreamingDestinationInput{TableName: aws.String("kds"), StreamArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if out.DestinationStatus != types.DestinationStatusEnabling {
		t.Errorf("enable answered %s", out.DestinationStatus)
	}
	_, err = ts.Client.EnableKinesisStreamingDestination(bg, &dynamodb.EnableKinesisStreamingDestinationInput{TableName: aws.String("kds"), StreamArn: aws.String(arn)})
	wantErr(t, err, "ValidationException", "Table is not in a valid state to enable Kinesis Streaming Destination: EnableKinesisStreamingDestination must be DISABLED or ENABLE_FAILED to perform ENABLE operation.")
	waitDestination(t, ts, "kds", "ACTIVE")

	for i := 0; i < 30; i++ {
		backupPut(t, ts, "kds", fmt.Sprintf("k%d", i%10), i)
	}
	backupDelete(t, ts, "kds", "k3")
	// A restart in the middle: nothing may be lost.
	if err := ts.Node.Close(); err != nil {
		t.Fatal(err)
	}
	ts = newTestServerOpts(t, Options{Dir: dir, NoSync: true, KinesisEndpoint: url})
	backupPut(t, ts, "kds", "after", 99)

	var recs []map[string]any
	for i := 0; ; i++ {
		recs = kinesisRecords(t, kc, "changes")
		if len(recs) >= 32 && recs[len(recs)-1]["dynamodb"].(map[string]any)["Keys"].(map[string]any)["pk"].(map[string]any)["S"] == "after" {
			break
		}
		if i > 200 {
			t.Fatalf("%d records in Kinesis, want 32", len(recs))
		}
		time.Sleep(25 * time.Millisecond)
	}
	// Per item, the values arrive in write order, each at least once.
	seen := map[string][]string{}
	for _, r := range recs {
		d := r["dynamodb"].(map[string]any)
		pk := d["Keys"].(map[string]any)["pk"].(map[string]any)["S"].(string)
		v := "-"
		if img, ok := d["NewImage"].(map[string]any); ok {
			v = img["v"].(map[string]any)["N"].(string)
		}
		if l := seen[pk]; len(l) == 0 || l[len(l)-1] != v {
			seen[pk] = append(seen[pk], v)
		}
		if r["eventSource"] != "aws:dynamodb" || r["recordFormat"] != "application/json" || r["tableName"] != "kds" || r["awsRegion"] != "us-east-1" {
			t.Fatalf("record %v", r)
		}
		if pk := r["_partitionKey"].(string); len(pk) != 32 || strings.ToUpper(pk) != pk {
			t.Fatalf("partition key %q", pk)
		}
	}
	if _, ok := seen["before"]; ok {
		t.Errorf("a write before the destination was enabled was sent")
	}
	if got := strings.Join(seen["k3"], ","); got != "3,13,23,-" {
		t.Errorf("k3: %s", got)
	}
	if got := strings.Join(seen["k7"], ","); got != "7,17,27" {
		t.Errorf("k7: %s", got)
	}
	first := recs[0]
	if first["eventName"] != "INSERT" || first["userIdentity"] != nil {
		t.Errorf("first record %v", first)
	}
	if ms := first["dynamodb"].(map[string]any)["ApproximateCreationDateTime"].(float64); ms < 1e12 || ms > 1e13 {
		t.Errorf("ApproximateCreationDateTime %v is not epoch milliseconds", ms)
	}

	_, err = ts.Client.UpdateKinesisStreamingDestination(bg, &dynamodb.UpdateKinesisStreamingDestinationInput{TableName: aws.String("kds"), StreamArn: aws.String(arn),
		UpdateKinesisStreamingConfiguration: &types.UpdateKinesisStreamingConfiguration{ApproximateCreationDateTimePrecision: types.ApproximateCreationDateTimePrecisionMillisecond}})
	tb, _ := ts.Node.cat.get("kds")
	wantErr(t, err, "ValidationException", "Invalid Request: Precision is already set to the desired value of MILLISECOND for tableId: "+tb.TableID+", kdsArn: "+arn)
	if _, err := ts.Client.DisableKinesisStreamingDestination(bg, &dynamodb.DisableKinesisStreamingDestinationInput{TableName: aws.String("kds"), StreamArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	waitDestination(t, ts, "kds", "DISABLED")
	_, err = ts.Client.DisableKinesisStreamingDestination(bg, &dynamodb.DisableKinesisStreamingDestinationInput{TableName: aws.String("kds"), StreamArn: aws.String(arn)})
	wantErr(t, err, "ValidationException", "Table is not in a valid state to disable Kinesis Streaming Destination: DisableKinesisStreamingDestination must be ACTIVE to perform DISABLE operation.")

	// A stream that does not exist: ENABLE_FAILED.
	itemsCreateTable(t, ts, "kds2", []string{"pk:S"})
	if _, err := ts.Client.EnableKinesisStreamingDestination(bg, &dynamodb.EnableKinesisStreamingDestinationInput{TableName: aws.String("kds2"),
		StreamArn: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/missing")}); err != nil {
		t.Fatal(err)
	}
	waitDestination(t, ts, "kds2", "ENABLE_FAILED")
}
