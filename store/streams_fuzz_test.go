package store

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// fuzzNode opens a node with a streamed, TTL-enabled table holding items,
// for the request fuzzers.
func fuzzNode(f *testing.F) (n *Node, arn, shard string) {
	n, err := Open(Options{Dir: f.TempDir(), NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { n.Close() })
	call := func(prefix, op, body string) []byte {
		out, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: prefix, Operation: op, Body: []byte(body), Region: "us-east-1"})
		if err != nil {
			f.Fatalf("%s %s: %v", op, body, err)
		}
		return out
	}
	call(wire.PrefixDynamoDB, "CreateTable", `{"TableName":"fzz","BillingMode":"PAY_PER_REQUEST",
		"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
		"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}}`)
	call(wire.PrefixDynamoDB, "UpdateTimeToLive", `{"TableName":"fzz","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"exp"}}`)
	call(wire.PrefixDynamoDB, "PutItem", `{"TableName":"fzz","Item":{"pk":{"S":"a"},"exp":{"N":"1"}}}`)
	call(wire.PrefixDynamoDB, "PutItem", `{"TableName":"fzz","Item":{"pk":{"S":"b"},"v":{"L":[{"S":"x"}]}}}`)
	t, _ := n.cat.get("fzz")
	arn = t.LatestStreamArn()
	s, _ := n.streams.get("fzz", t.Desc.Stream.Label)
	return n, arn, s.Shards[0].ID
}

// FuzzStreamsRequests sends arbitrary bodies to every Streams, TTL and
// change-feed operation: each answer is a success or a DynamoDB client
// error, never a panic or an internal error.
func FuzzStreamsRequests(f *testing.F) {
	n, arn, shard := fuzzNode(f)
	it := shardIterator{issued: n.opts.Now().UnixMilli(), next: 1, shard: shard}.encode(arn)
	seeds := []struct{ op, body string }{
		{"ListStreams", `{}`},
		{"ListStreams", `{"TableName":"fzz","Limit":1,"ExclusiveStartStreamArn":"` + arn + `"}`},
		{"ListStreams", `{"Limit":0}`},
		{"DescribeStream", `{"StreamArn":"` + arn + `"}`},
		{"DescribeStream", `{"StreamArn":"` + arn + `","Limit":1,"ExclusiveStartShardId":"` + shard + `"}`},
		{"DescribeStream", `{"StreamArn":"` + arn + `","ShardFilter":{"Type":"CHILD_SHARDS","ShardId":"` + shard + `"}}`},
		{"DescribeStream", `{"StreamArn":"arn:aws:dynamodb:us-east-1:000000000000:table/fz"}`},
		{"GetShardIterator", `{"StreamArn":"` + arn + `","ShardId":"` + shard + `","ShardIteratorType":"TRIM_HORIZON"}`},
		{"GetShardIterator", `{"StreamArn":"` + arn + `","ShardId":"` + shard + `","ShardIteratorType":"AT_SEQUENCE_NUMBER","SequenceNumber":"000000000000000000001"}`},
		{"GetShardIterator", `{"StreamArn":"` + arn + `","ShardId":"` + shard + `","ShardIteratorType":"AFTER_SEQUENCE_NUMBER","SequenceNumber":"99999999999999999999999999"}`},
		{"GetShardIterator", `{"StreamArn":"` + arn + `","ShardId":"` + shard + `","ShardIteratorType":"LATEST"}`},
		{"GetRecords", `{"ShardIterator":"` + it + `"}`},
		{"GetRecords", `{"ShardIterator":"` + it + `","Limit":1}`},
		{"GetRecords", `{"ShardIterator":"` + arn + `|1|AAAA"}`},
		{"GetRecords", `{"ShardIterator":null}`},
		{"UpdateTimeToLive", `{"TableName":"fzz","TimeToLiveSpecification":{"Enabled":false,"AttributeName":"exp"}}`},
		{"UpdateTimeToLive", `{"TableName":"fzz","TimeToLiveSpecification":{"Enabled":"yes"}}`},
		{"DescribeTimeToLive", `{"TableName":"fzz"}`},
		{"DescribeTimeToLive", `{"TableName":["fz"]}`},
		{"GetChanges", `{"After":"0","Limit":10}`},
		{"GetChanges", `{"After":"x","WaitMillis":-5}`},
		{"GetHead", `{}`},
	}
	for _, s := range seeds {
		f.Add(s.op, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		prefix := ""
		for _, p := range []string{wire.PrefixStreams, wire.PrefixDynamoDB, wire.PrefixFeed} {
			if n.Known(p, op) {
				prefix = p
			}
		}
		if prefix == "" || (prefix == wire.PrefixDynamoDB && op != "UpdateTimeToLive" && op != "DescribeTimeToLive") {
			return
		}
		if prefix == wire.PrefixFeed && strings.Contains(string(body), "WaitMillis") {
			return // a valid wait would only slow the fuzzer down
		}
		out, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: prefix, Operation: op, Body: body, Region: "us-east-1"})
		if err == nil {
			if len(out) == 0 || out[0] != '{' {
				t.Fatalf("%s: answer %q", op, out)
			}
			return
		}
		de, ok := ddb.AsError(err)
		if !ok || de.Status != 400 {
			t.Fatalf("%s %q: %v", op, body, err)
		}
	})
}

// FuzzShardIterator decodes arbitrary iterators: never a panic, and what
// decodes re-encodes to the same text.
func FuzzShardIterator(f *testing.F) {
	arn := "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000"
	f.Add(shardIterator{issued: 1, next: 2, shard: "shardId-00000000000000000001-0000abcd"}.encode(arn))
	f.Add(arn + "|1|")
	f.Add("|1|AQ")
	f.Add(strings.Repeat("|1|", 10))
	f.Fuzz(func(t *testing.T, s string) {
		a, it, ok := decodeIterator(s)
		if !ok {
			return
		}
		if again := it.encode(a); again != s {
			// Base64 without padding has one spelling per payload.
			t.Fatalf("re-encoded %q as %q", s, again)
		}
	})
}
