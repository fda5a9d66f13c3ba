package store

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Streams tests: the Go SDK's dynamodbstreams client against a real node
// (through the proxy too, when the suite runs via DYNAX_TEST_VIA_PROXY).

// streamsClient returns a dynamodbstreams client for ts.
func streamsClient(ts *testServer) *dynamodbstreams.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second}
	return dynamodbstreams.New(dynamodbstreams.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(ts.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: ownBody{tr}},
	})
}

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// withStream sets a StreamSpecification on CreateTable.
func withStream(view types.StreamViewType) func(*dynamodb.CreateTableInput) {
	return func(in *dynamodb.CreateTableInput) {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: view}
	}
}

// savText renders a stream AttributeValue deterministically.
func savText(v stypes.AttributeValue) string {
	switch x := v.(type) {
	case *stypes.AttributeValueMemberS:
		return fmt.Sprintf("S:%q", x.Value)
	case *stypes.AttributeValueMemberN:
		return "N:" + x.Value
	case *stypes.AttributeValueMemberB:
		return fmt.Sprintf("B:%q", x.Value)
	case *stypes.AttributeValueMemberBOOL:
		return fmt.Sprintf("BOOL:%v", x.Value)
	case *stypes.AttributeValueMemberNULL:
		return "NULL"
	case *stypes.AttributeValueMemberSS:
		s := slices.Clone(x.Value)
		sort.Strings(s)
		return fmt.Sprintf("SS:%q", s)
	case *stypes.AttributeValueMemberL:
		parts := make([]string, len(x.Value))
		for i, e := range x.Value {
			parts[i] = savText(e)
		}
		return "L:[" + strings.Join(parts, ",") + "]"
	case *stypes.AttributeValueMemberM:
		return "M:" + simgText(x.Value)
	}
	return fmt.Sprintf("%T", v)
}

// simgText renders a stream image ("-" for none).
func simgText(m map[string]stypes.AttributeValue) string {
	if m == nil {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + savText(m[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// recText renders a record as "EVENT keys new old".
func recText(r stypes.Record) string {
	return fmt.Sprintf("%s %s new=%s old=%s", r.EventName, simgText(r.Dynamodb.Keys), simgText(r.Dynamodb.NewImage), simgText(r.Dynamodb.OldImage))
}

// latestStream returns the table's LatestStreamArn.
func latestStream(t testing.TB, ts *testServer, table string) string {
	t.Helper()
	d := describe(t, ts.Client, table)
	if d.LatestStreamArn == nil {
		t.Fatalf("table %s has no LatestStreamArn", table)
	}
	return *d.LatestStreamArn
}

// readShardAll reads one shard from TRIM_HORIZON until GetRecords returns
// no more records (open shard) or the shard ends; ended reports the latter.
func readShardAll(t testing.TB, sc *dynamodbstreams.Client, arn, shard string) (recs []stypes.Record, ended bool) {
	t.Helper()
	it, err := sc.GetShardIterator(bg, &dynamodbstreams.GetShardIteratorInput{StreamArn: &arn, ShardId: &shard, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatalf("GetShardIterator: %v", err)
	}
	iter := it.ShardIterator
	for i := 0; i < 1000; i++ {
		out, err := sc.GetRecords(bg, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
		if err != nil {
			t.Fatalf("GetRecords: %v", err)
		}
		recs = append(recs, out.Records...)
		if out.NextShardIterator == nil {
			return recs, true
		}
		if len(out.Records) == 0 {
			return recs, false
		}
		iter = out.NextShardIterator
	}
	t.Fatal("GetRecords never caught up")
	return nil, false
}

// readStream reads every shard of a stream, parents first.
func readStream(t testing.TB, sc *dynamodbstreams.Client, arn string) []stypes.Record {
	t.Helper()
	d, err := sc.DescribeStream(bg, &dynamodbstreams.DescribeStreamInput{StreamArn: &arn})
	if err != nil {
		t.Fatalf("DescribeStream: %v", err)
	}
	var all []stypes.Record
	for _, sh := range d.StreamDescription.Shards {
		recs, _ := readShardAll(t, sc, arn, *sh.ShardId)
		all = append(all, recs...)
	}
	return all
}

func TestStreamRecordsAndViewTypes(t *testing.T) {
	ts := newTestServer(t)
	sc := streamsClient(ts)
	views := []types.StreamViewType{types.StreamViewTypeNewAndOldImages, types.StreamViewTypeNewImage,
		types.StreamViewTypeOldImage, types.StreamViewTypeKeysOnly}
	for _, v := range views {
		itemsCreateTable(t, ts, "st_"+string(v), []string{"pk:S", "sk:N"}, withStream(v))
	}
	for _, v := range views {
		tab := "st_" + string(v)
		key := avItem{"pk": avS("a"), "sk": avN("1")}
		itemsPut(t, ts, tab, avItem{"pk": avS("a"), "sk": avN("1"), "x": avN("1")})                        // INSERT
		itemsPut(t, ts, tab, avItem{"pk": avS("a"), "sk": avN("1"), "x": avN("2"), "s": avSS("p", "q")})   // MODIFY
		itemsPut(t, ts, tab, avItem{"sk": avN("1.0"), "pk": avS("a"), "s": avSS("q", "p"), "x": avN("2")}) // no change: no record
		if _, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: &tab, Key: key,
			UpdateExpression: aws.String("SET x = x + :one"), ExpressionAttributeValues: avItem{":one": avN("1")}}); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: &tab, Key: key,
			UpdateExpression: aws.String("SET x = :three"), ExpressionAttributeValues: avItem{":three": avN("3")}}); err != nil {
			t.Fatal(err) // sets the value it already has: no record
		}
		if _, err := ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: &tab, Key: key}); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: &tab, Key: key}); err != nil {
			t.Fatal(err) // deletes nothing: no record
		}
	}
	keys := `{pk=S:"a",sk=N:1}`
	v1 := `{pk=S:"a",sk=N:1,x=N:1}`
	v2 := `{pk=S:"a",s=SS:["p" "q"],sk=N:1,x=N:2}`
	v3 := `{pk=S:"a",s=SS:["p" "q"],sk=N:1,x=N:3}`
	want := map[types.StreamViewType][]string{
		types.StreamViewTypeNewAndOldImages: {
			"INSERT " + keys + " new=" + v1 + " old=-",
			"MODIFY " + keys + " new=" + v2 + " old=" + v1,
			"MODIFY " + keys + " new=" + v3 + " old=" + v2,
			"REMOVE " + keys + " new=- old=" + v3,
		},
		types.StreamViewTypeNewImage: {
			"INSERT " + keys + " new=" + v1 + " old=-",
			"MODIFY " + keys + " new=" + v2 + " old=-",
			"MODIFY " + keys + " new=" + v3 + " old=-",
			"REMOVE " + keys + " new=- old=-",
		},
		types.StreamViewTypeOldImage: {
			"INSERT " + keys + " new=- old=-",
			"MODIFY " + keys + " new=- old=" + v1,
			"MODIFY " + keys + " new=- old=" + v2,
			"REMOVE " + keys + " new=- old=" + v3,
		},
		types.StreamViewTypeKeysOnly: {
			"INSERT " + keys + " new=- old=-",
			"MODIFY " + keys + " new=- old=-",
			"MODIFY " + keys + " new=- old=-",
			"REMOVE " + keys + " new=- old=-",
		},
	}
	for _, v := range views {
		arn := latestStream(t, ts, "st_"+string(v))
		recs := readStream(t, sc, arn)
		var got []string
		var prev string
		for _, r := range recs {
			got = append(got, recText(r))
			d := r.Dynamodb
			if *r.EventSource != "aws:dynamodb" || *r.AwsRegion != "us-east-1" || *r.EventVersion != "1.1" || len(*r.EventID) != 32 {
				t.Errorf("%s: record envelope %+v", v, r)
			}
			if d.StreamViewType != stypes.StreamViewType(v) || d.SizeBytes == nil || *d.SizeBytes <= 0 || d.ApproximateCreationDateTime == nil {
				t.Errorf("%s: stream record %+v", v, d)
			}
			if since := time.Since(*d.ApproximateCreationDateTime); since < -time.Second || since > time.Minute {
				t.Errorf("%s: ApproximateCreationDateTime %v", v, *d.ApproximateCreationDateTime)
			}
			if len(*d.SequenceNumber) < 21 || *d.SequenceNumber <= prev {
				t.Errorf("%s: sequence number %q after %q", v, *d.SequenceNumber, prev)
			}
			if r.UserIdentity != nil {
				t.Errorf("%s: userIdentity on a user write", v)
			}
			prev = *d.SequenceNumber
		}
		if strings.Join(got, "\n") != strings.Join(want[v], "\n") {
			t.Errorf("%s records:\n got %s\nwant %s", v, strings.Join(got, "\n     "), strings.Join(want[v], "\n     "))
		}
	}
	// Event ids are stable across reads and distinct across records.
	arn := latestStream(t, ts, "st_NEW_AND_OLD_IMAGES")
	a, b := readStream(t, sc, arn), readStream(t, sc, arn)
	ids := map[string]bool{}
	for i := range a {
		if *a[i].EventID != *b[i].EventID {
			t.Errorf("eventID changed between reads: %s, %s", *a[i].EventID, *b[i].EventID)
		}
		ids[*a[i].EventID] = true
	}
	if len(ids) != len(a) {
		t.Errorf("eventIDs not unique: %d of %d", len(ids), len(a))
	}
}

func TestStreamCausesAndBatches(t *testing.T) {
	ts := newTestServer(t)
	sc := streamsClient(ts)
	itemsCreateTable(t, ts, "tc1", []string{"pk:S"}, withStream(types.StreamViewTypeNewAndOldImages))
	itemsCreateTable(t, ts, "td1", []string{"pk:S"}, withStream(types.StreamViewTypeKeysOnly))
	var reqs []types.WriteRequest
	for i := range 3 {
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: avItem{"pk": avS(fmt.Sprint("b", i))}}})
	}
	if _, err := ts.Client.BatchWriteItem(bg, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"tc1": reqs}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Client.TransactWriteItems(bg, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("tc1"), Item: avItem{"pk": avS("t1")}}},
		{Put: &types.Put{TableName: aws.String("td1"), Item: avItem{"pk": avS("t2")}}},
		{Delete: &types.Delete{TableName: aws.String("tc1"), Key: avItem{"pk": avS("b0")}}},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Client.ExecuteStatement(bg, &dynamodb.ExecuteStatementInput{Statement: aws.String(`INSERT INTO "tc1" VALUE {'pk': 'q1', 'v': 1}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Client.ExecuteStatement(bg, &dynamodb.ExecuteStatementInput{Statement: aws.String(`UPDATE "tc1" SET v = 2 WHERE pk = 'q1'`)}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range readStream(t, sc, latestStream(t, ts, "tc1")) {
		got = append(got, recText(r))
	}
	want := []string{
		`INSERT {pk=S:"b0"} new={pk=S:"b0"} old=-`,
		`INSERT {pk=S:"b1"} new={pk=S:"b1"} old=-`,
		`INSERT {pk=S:"b2"} new={pk=S:"b2"} old=-`,
		`INSERT {pk=S:"t1"} new={pk=S:"t1"} old=-`,
		`REMOVE {pk=S:"b0"} new=- old={pk=S:"b0"}`,
		`INSERT {pk=S:"q1"} new={pk=S:"q1",v=N:1} old=-`,
		`MODIFY {pk=S:"q1"} new={pk=S:"q1",v=N:2} old={pk=S:"q1",v=N:1}`,
	}
	// A batch's records may be in any order among themselves; the batch
	// comes before the transaction.
	sort.Strings(got[:3])
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stream c:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	d := readStream(t, sc, latestStream(t, ts, "td1"))
	if len(d) != 1 || recText(d[0]) != `INSERT {pk=S:"t2"} new=- old=-` {
		t.Fatalf("stream d: %v", d)
	}
}

func TestStreamDescribeListAndLifecycle(t *testing.T) {
	ts := newTestServer(t)
	sc := streamsClient(ts)
	itemsCreateTable(t, ts, "life", []string{"pk:S", "sk:S"}, withStream(types.StreamViewTypeNewImage))
	itemsCreateTable(t, ts, "other", []string{"pk:S"}, withStream(types.StreamViewTypeKeysOnly))
	itemsCreateTable(t, ts, "plain", []string{"pk:S"})
	d := describe(t, ts.Client, "life")
	if d.StreamSpecification == nil || !*d.StreamSpecification.StreamEnabled || d.StreamSpecification.StreamViewType != types.StreamViewTypeNewImage {
		t.Fatalf("StreamSpecification %+v", d.StreamSpecification)
	}
	arn := *d.LatestStreamArn
	if want := "arn:aws:dynamodb:us-east-1:000000000000:table/life/stream/" + *d.LatestStreamLabel; arn != want {
		t.Fatalf("LatestStreamArn %q, want %q", arn, want)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000", *d.LatestStreamLabel); err != nil {
		t.Fatalf("label %q: %v", *d.LatestStreamLabel, err)
	}

	ds, err := sc.DescribeStream(bg, &dynamodbstreams.DescribeStreamInput{StreamArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	sd := ds.StreamDescription
	if sd.StreamStatus != stypes.StreamStatusEnabled || *sd.TableName != "life" || sd.StreamViewType != stypes.StreamViewTypeNewImage ||
		*sd.StreamArn != arn || *sd.StreamLabel != *d.LatestStreamLabel || sd.CreationRequestDateTime == nil || sd.LastEvaluatedShardId != nil {
		t.Fatalf("StreamDescription %+v", sd)
	}
	if len(sd.KeySchema) != 2 || *sd.KeySchema[0].AttributeName != "pk" || sd.KeySchema[0].KeyType != stypes.KeyTypeHash ||
		*sd.KeySchema[1].AttributeName != "sk" || sd.KeySchema[1].KeyType != stypes.KeyTypeRange {
		t.Fatalf("KeySchema %+v", sd.KeySchema)
	}
	if len(sd.Shards) != 1 || sd.Shards[0].ParentShardId != nil || sd.Shards[0].SequenceNumberRange.StartingSequenceNumber == nil ||
		sd.Shards[0].SequenceNumberRange.EndingSequenceNumber != nil || len(*sd.Shards[0].ShardId) < 28 {
		t.Fatalf("Shards %+v", sd.Shards)
	}

	// ListStreams: all, by table, paged.
	ls, err := sc.ListStreams(bg, &dynamodbstreams.ListStreamsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ls.Streams) != 2 || *ls.Streams[0].TableName != "life" || *ls.Streams[1].TableName != "other" || ls.LastEvaluatedStreamArn != nil {
		t.Fatalf("ListStreams %+v", ls.Streams)
	}
	ls, err = sc.ListStreams(bg, &dynamodbstreams.ListStreamsInput{TableName: aws.String("other")})
	if err != nil || len(ls.Streams) != 1 || *ls.Streams[0].TableName != "other" {
		t.Fatalf("ListStreams other: %+v %v", ls, err)
	}
	ls, err = sc.ListStreams(bg, &dynamodbstreams.ListStreamsInput{Limit: aws.Int32(1)})
	if err != nil || len(ls.Streams) != 1 || ls.LastEvaluatedStreamArn == nil || *ls.LastEvaluatedStreamArn != arn {
		t.Fatalf("ListStreams page 1: %+v %v", ls, err)
	}
	ls, err = sc.ListStreams(bg, &dynamodbstreams.ListStreamsInput{Limit: aws.Int32(1), ExclusiveStartStreamArn: ls.LastEvaluatedStreamArn})
	if err != nil || len(ls.Streams) != 1 || *ls.Streams[0].TableName != "other" || ls.LastEvaluatedStreamArn != nil {
		t.Fatalf("ListStreams page 2: %+v %v", ls, err)
	}

	// Errors of UpdateTable's StreamSpecification.
	upd := func(enabled bool, view types.StreamViewType) error {
		_, err := ts.Client.UpdateTable(bg, &dynamodb.UpdateTableInput{TableName: aws.String("life"),
			StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(enabled), StreamViewType: view}})
		return err
	}
	wantErr(t, upd(true, types.StreamViewTypeNewImage), "ValidationException", "Table already has an enabled stream: TableName: life")
	wantErr(t, upd(true, types.StreamViewTypeKeysOnly), "ValidationException", "Table already has an enabled stream: TableName: life")

	itemsPut(t, ts, "life", avItem{"pk": avS("a"), "sk": avS("1")})
	if err := upd(false, ""); err != nil {
		t.Fatal(err)
	}
	wantErr(t, upd(false, ""), "ValidationException", "Table has no stream to disable: TableName: life")
	itemsPut(t, ts, "life", avItem{"pk": avS("a"), "sk": avS("2")}) // not in any stream

	ds, err = sc.DescribeStream(bg, &dynamodbstreams.DescribeStreamInput{StreamArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	if ds.StreamDescription.StreamStatus != stypes.StreamStatusDisabled {
		t.Fatalf("status after disable: %s", ds.StreamDescription.StreamStatus)
	}
	sh := ds.StreamDescription.Shards[0]
	if sh.SequenceNumberRange.EndingSequenceNumber == nil {
		t.Fatal("shard of a disabled stream has no EndingSequenceNumber")
	}
	recs, ended := readShardAll(t, sc, arn, *sh.ShardId)
	if !ended || len(recs) != 1 || recText(recs[0]) != `INSERT {pk=S:"a",sk=S:"1"} new={pk=S:"a",sk=S:"1"} old=-` {
		t.Fatalf("disabled stream: ended=%v %v", ended, recs)
	}
	if d := describe(t, ts.Client, "life"); d.StreamSpecification != nil || *d.LatestStreamArn != arn {
		t.Fatalf("after disable: spec %+v latest %v", d.StreamSpecification, d.LatestStreamArn)
	}

	// Re-enabling makes a new stream; the old one stays readable.
	if err := upd(true, types.StreamViewTypeOldImage); err != nil {
		t.Fatal(err)
	}
	arn2 := latestStream(t, ts, "life")
	if arn2 == arn {
		t.Fatal("re-enabled stream kept the old ARN")
	}
	itemsPut(t, ts, "life", avItem{"pk": avS("a"), "sk": avS("3")})
	if recs := readStream(t, sc, arn2); len(recs) != 1 || recText(recs[0]) != `INSERT {pk=S:"a",sk=S:"3"} new=- old=-` {
		t.Fatalf("new stream: %v", recs)
	}
	if recs := readStream(t, sc, arn); len(recs) != 1 {
		t.Fatalf("old stream after re-enable: %d records", len(recs))
	}
	ls, err = sc.ListStreams(bg, &dynamodbstreams.ListStreamsInput{TableName: aws.String("life")})
	if err != nil || len(ls.Streams) != 2 {
		t.Fatalf("ListStreams life: %+v %v", ls, err)
	}

	// Deleting the table disables its stream, which stays readable.
	if _, err := ts.Client.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String("life")}); err != nil {
		t.Fatal(err)
	}
	ds, err = sc.DescribeStream(bg, &dynamodbstreams.DescribeStreamInput{StreamArn: &arn2})
	if err != nil || ds.StreamDescription.StreamStatus != stypes.StreamStatusDisabled {
		t.Fatalf("stream of a deleted table: %+v %v", ds, err)
	}
	if recs := readStream(t, sc, arn2); len(recs) != 1 {
		t.Fatalf("stream of a deleted table: %d records", len(recs))
	}
}

func TestStreamIteratorTypes(t *testing.T) {
	ts := newTestServer(t)
	sc := streamsClient(ts)
	itemsCreateTable(t, ts, "itt", []string{"pk:S"}, withStream(types.StreamViewTypeKeysOnly))
	for i := range 5 {
		itemsPut(t, ts, "itt", avItem{"pk": avS(fmt.Sprint("k", i))})
	}
	arn := latestStream(t, ts, "itt")
	ds, err := sc.DescribeStream(bg, &dynamodbstreams.DescribeStreamInput{StreamArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	shard := *ds.StreamDescription.Shards[0].ShardId
	all, _ := readShardAll(t, sc, arn, shard)
	if len(all) != 5 {
		t.Fatalf("%d records", len(all))
	}
	read := func(typ stypes.ShardIteratorType, seq *string, limit int32) ([]string, *string) {
		t.Helper()
		it, err := sc.GetShardIterator(bg, &dynamodbstreams.GetShardIteratorInput{StreamArn: &arn, ShardId: &shard, ShardIteratorType: typ, SequenceNumber: seq})
		if err != nil {
			t.Fatalf("GetShardIterator %s: %v", typ, err)
		}
		in := &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator}
		if limit > 0 {
			in.Limit = &limit
		}
		out, err := sc.GetRecords(bg, in)
		if err != nil {
			t.Fatalf("GetRecords: %v", err)
		}
		var keys []string
		for _, r := range out.Records {
			keys = append(keys, simgText(r.Dynamodb.Keys))
		}
		return keys, out.NextShardIterator
	}
	k := func(i int) string { return fmt.Sprintf(`{pk=S:"k%d"}`, i) }
	if got, _ := read(stypes.ShardIteratorTypeAtSequenceNumber, all[2].Dynamodb.SequenceNumber, 0); !slices.Equal(got, []string{k(2), k(3), k(4)}) {
		t.Errorf("AT_SEQUENCE_NUMBER: %v", got)
	}
	if got, _ := read(stypes.ShardIteratorTypeAfterSequenceNumber, all[2].Dynamodb.SequenceNumber, 0); !slices.Equal(got, []string{k(3), k(4)}) {
		t.Errorf("AFTER_SEQUENCE_NUMBER: %v", got)
	}
	got, next := read(stypes.ShardIteratorTypeTrimHorizon, nil, 2)
	if !slices.Equal(got, []string{k(0), k(1)}) || next == nil {
		t.Fatalf("TRIM_HORIZON limit 2: %v next %v", got, next)
	}
	out, err := sc.GetRecords(bg, &dynamodbstreams.GetRecordsInput{ShardIterator: next})
	if err != nil || len(out.Records) != 3 || out.NextShardIterator == nil {
		t.Fatalf("continued: %v %v", out, err)
	}
	got, next = read(stypes.ShardIteratorTypeLatest, nil, 0)
	if len(got) != 0 || next == nil {
		t.Fatalf("LATEST: %v next %v", got, next)
	}
	itemsPut(t, ts, "itt", avItem{"pk": avS("k5")})
	out, err = sc.GetRecords(bg, &dynamodbstreams.GetRecordsInput{ShardIterator: next})
	if err != nil || len(out.Records) != 1 || simgText(out.Records[0].Dynamodb.Keys) != k(5) {
		t.Fatalf("after LATEST: %v %v", out, err)
	}
}

func TestStreamErrors(t *testing.T) {
	clock := newFakeClock()
	ts := newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true, Now: clock.Now, LogTrimInterval: time.Hour})
	sc := streamsClient(ts)
	itemsCreateTable(t, ts, "err", []string{"pk:S"}, withStream(types.StreamViewTypeKeysOnly))
	itemsPut(t, ts, "err", avItem{"pk": avS("a")})
	arn := latestStream(t, ts, "err")
	ds, err := sc.DescribeStream(bg, &dynamodbstreams.DescribeStreamInput{StreamArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	shard := *ds.StreamDescription.Shards[0].ShardId
	missing := "arn:aws:dynamodb:us-east-1:000000000000:table/err/stream/2000-01-01T00:00:00.000"
	other := "arn:aws:dynamodb:us-east-1:111111111111:table/err/stream/" + strings.TrimPrefix(arn, "arn:aws:dynamodb:us-east-1:000000000000:table/err/stream/")

	_, err = sc.DescribeStream(bg, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(missing)})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Stream: "+missing+" not found")
	_, err = sc.DescribeStream(bg, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(other)})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Stream: "+other+" not found")
	_, err = sc.DescribeStream(bg, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String("arn:aws:dynamodb:us-east-1:000000000000:table/err")})
	wantErr(t, err, "ValidationException", "Invalid StreamArn")
	_, err = sc.DescribeStream(bg, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String("short")})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value 'short' at 'streamArn' failed to satisfy constraint: Member must have length greater than or equal to 37")
	_, err = sc.DescribeStream(bg, &dynamodbstreams.DescribeStreamInput{StreamArn: &arn, Limit: aws.Int32(101)})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100")
	_, err = sc.ListStreams(bg, &dynamodbstreams.ListStreamsInput{Limit: aws.Int32(0)})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")

	gsi := func(shardID, typ string, seq *string) error {
		_, err := sc.GetShardIterator(bg, &dynamodbstreams.GetShardIteratorInput{StreamArn: &arn, ShardId: &shardID, ShardIteratorType: stypes.ShardIteratorType(typ), SequenceNumber: seq})
		return err
	}
	wantErr(t, gsi("shardId-x", "LATEST", nil), "ValidationException", "1 validation error detected: Value 'shardId-x' at 'shardId' failed to satisfy constraint: Member must have length greater than or equal to 28")
	wantErr(t, gsi("shardId-00000000000000000000-00000000", "LATEST", nil), "ResourceNotFoundException", "Requested resource not found: Shard does not exist")
	wantErr(t, gsi(shard, "SIDEWAYS", nil), "ValidationException", "1 validation error detected: Value 'SIDEWAYS' at 'shardIteratorType' failed to satisfy constraint: "+iteratorTypeConstraint)
	wantErr(t, gsi(shard, "AT_SEQUENCE_NUMBER", aws.String("12")), "ValidationException", "1 validation error detected: Value '12' at 'sequenceNumber' failed to satisfy constraint: Member must have length greater than or equal to 21")
	wantErr(t, gsi(shard, "AT_SEQUENCE_NUMBER", aws.String("00000000000000000000x")), "ValidationException", "Invalid SequenceNumber: 00000000000000000000x")
	wantErr(t, gsi(shard, "AT_SEQUENCE_NUMBER", nil), "ValidationException", "A SequenceNumber is required for the ShardIteratorType AT_SEQUENCE_NUMBER")

	_, err = sc.GetRecords(bg, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(arn + "|1|bm9wZQ")})
	wantErr(t, err, "ValidationException", "Invalid ShardIterator")
	_, err = sc.GetRecords(bg, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String("")})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value '' at 'shardIterator' failed to satisfy constraint: Member must have length greater than or equal to 1")

	it, err := sc.GetShardIterator(bg, &dynamodbstreams.GetShardIteratorInput{StreamArn: &arn, ShardId: &shard, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.GetRecords(bg, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator, Limit: aws.Int32(1001)}); err == nil {
		t.Fatal("Limit 1001 accepted")
	}
	// A damaged iterator is invalid, not something else.
	bad := []byte(*it.ShardIterator)
	bad[len(bad)-3] ^= 1
	_, err = sc.GetRecords(bg, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(string(bad))})
	wantErr(t, err, "ValidationException", "Invalid ShardIterator")

	// 15 minutes later the iterator has expired.
	clock.Add(16 * time.Minute)
	_, err = sc.GetRecords(bg, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	wantErr(t, err, "ExpiredIteratorException", msgIteratorExpired)

	// After 24 hours the record is trimmed: an iterator taken just before
	// (and its sequence number) then reads trimmed data.
	recs, _ := readShardAll(t, sc, arn, shard)
	clock.Add(24*time.Hour - 16*time.Minute - 5*time.Minute)
	it, err = sc.GetShardIterator(bg, &dynamodbstreams.GetShardIteratorInput{StreamArn: &arn, ShardId: &shard, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(10 * time.Minute)
	itemsPut(t, ts, "err", avItem{"pk": avS("b")})
	if err := ts.Node.trimLogs(); err != nil {
		t.Fatal(err)
	}
	_, err = sc.GetRecords(bg, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	wantErr(t, err, "TrimmedDataAccessException", msgTrimmed)
	wantErr(t, gsi(shard, "AT_SEQUENCE_NUMBER", recs[0].Dynamodb.SequenceNumber), "TrimmedDataAccessException", msgTrimmed)
	if recs, _ := readShardAll(t, sc, arn, shard); len(recs) != 1 || simgText(recs[0].Dynamodb.Keys) != `{pk=S:"b"}` {
		t.Fatalf("after trimming: %v", recs)
	}
}

// TestStreamRolloverExactlyOnce reads a stream across several shard
// rollovers while writers run, following the lineage as the Kinesis
// adapter does, and checks that every change is seen exactly once and in
// order per item.
func TestStreamRolloverExactlyOnce(t *testing.T) {
	ts := newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true, StreamShardRollover: 40 * time.Millisecond, LogTrimInterval: 10 * time.Millisecond})
	sc := streamsClient(ts)
	itemsCreateTable(t, ts, "roll", []string{"pk:S"}, withStream(types.StreamViewTypeNewImage))
	arn := latestStream(t, ts, "roll")

	shardCount := func() int {
		s, _ := ts.Node.streams.get("roll", arn[strings.LastIndex(arn, "/")+1:])
		return len(s.Shards)
	}
	const writers, items, perWriter = 4, 8, 150
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				key := fmt.Sprintf("w%d-%d", w, i%items)
				if _, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("roll"),
					Item: avItem{"pk": avS(key), "v": avN(fmt.Sprint(i))}}); err != nil {
					t.Error(err)
					return
				}
				if i%30 == 29 {
					// Let a shard roll over before writing on, so writes
					// span several shards.
					for end := time.Now().Add(5 * time.Second); shardCount() <= i/30+1 && time.Now().Before(end); {
						time.Sleep(2 * time.Millisecond)
					}
				}
			}
		}()
	}
	writing := make(chan struct{})
	go func() { wg.Wait(); close(writing) }()

	// The reader: a shard is read after its parent ended; children are
	// found with DescribeStream.
	seen := map[string][]int{} // key → values in stream order
	done := map[string]bool{}
	iters := map[string]*string{}
	var seqs []string
	deadline := time.Now().Add(60 * time.Second)
	finished := false
	for !finished && time.Now().Before(deadline) {
		ds, err := sc.DescribeStream(bg, &dynamodbstreams.DescribeStreamInput{StreamArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		progressed := false
		for _, sh := range ds.StreamDescription.Shards {
			id := *sh.ShardId
			parentPending := sh.ParentShardId != nil && !done[*sh.ParentShardId] &&
				slices.ContainsFunc(ds.StreamDescription.Shards, func(s stypes.Shard) bool { return *s.ShardId == *sh.ParentShardId })
			if done[id] || parentPending {
				continue
			}
			if iters[id] == nil {
				it, err := sc.GetShardIterator(bg, &dynamodbstreams.GetShardIteratorInput{StreamArn: &arn, ShardId: &id, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
				if err != nil {
					t.Fatal(err)
				}
				iters[id] = it.ShardIterator
			}
			out, err := sc.GetRecords(bg, &dynamodbstreams.GetRecordsInput{ShardIterator: iters[id]})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Records {
				k := r.Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value
				var v int
				fmt.Sscan(r.Dynamodb.NewImage["v"].(*stypes.AttributeValueMemberN).Value, &v)
				seen[k] = append(seen[k], v)
				seqs = append(seqs, *r.Dynamodb.SequenceNumber)
			}
			progressed = progressed || len(out.Records) > 0
			iters[id] = out.NextShardIterator
			if out.NextShardIterator == nil {
				done[id] = true
				progressed = true
			}
		}
		select {
		case <-writing:
			if !progressed {
				// Writers are done and a pass found nothing new: check
				// that the last shard has caught up.
				total := 0
				for _, vs := range seen {
					total += len(vs)
				}
				finished = total >= writers*perWriter
			}
		default:
		}
		if !progressed {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if !slices.IsSorted(seqs) {
		t.Error("sequence numbers out of order across shards")
	}
	if len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
		t.Error("a sequence number was delivered twice")
	}
	closed := 0
	for range done {
		closed++
	}
	if closed < 3 {
		t.Errorf("only %d shards closed: rollover did not happen", closed)
	}
	for w := range writers {
		for k := range items {
			key := fmt.Sprintf("w%d-%d", w, k)
			var want []int
			for i := range perWriter {
				if i%items == k {
					want = append(want, i)
				}
			}
			if !slices.Equal(seen[key], want) {
				t.Errorf("%s: saw %v, want %v", key, seen[key], want)
			}
		}
	}
}
