package store

import (
	"context"
	"log/slog"
	"testing"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// FuzzGlobalRequests sends arbitrary bodies to UpdateTable (ReplicaUpdates),
// the legacy global-table operations and the replication operations (with
// the right secret, so their decoders are reached): each answer is a
// success or a DynamoDB client error, never a panic or an internal error.
func FuzzGlobalRequests(f *testing.F) {
	n, err := Open(Options{Dir: f.TempDir(), NoSync: true, Region: "us-east-1", Logger: slog.New(slog.DiscardHandler),
		Peers: map[string]string{"us-west-2": "http://127.0.0.1:1"}, PeerSecret: testPeerSecret})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { n.Close() })
	for _, body := range []string{
		`{"TableName":"fzz","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`,
	} {
		if _, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "CreateTable", Body: []byte(body)}); err != nil {
			f.Fatal(err)
		}
	}
	peer := func(body string) string {
		return `{"Source":"us-west-2","Secret":"` + testPeerSecret + `","Body":` + body + `}`
	}
	seeds := []struct{ op, body string }{
		{"UpdateTable", `{"TableName":"fzz","ReplicaUpdates":[{"Create":{"RegionName":"us-west-2"}}]}`},
		{"UpdateTable", `{"TableName":"fzz","ReplicaUpdates":[{"Create":{"RegionName":"us-east-1"}},{"Delete":{"RegionName":"x"}}]}`},
		{"UpdateTable", `{"TableName":"fzz","ReplicaUpdates":[{"Update":{"RegionName":"us-west-2","ProvisionedThroughputOverride":{"ReadCapacityUnits":5}}}]}`},
		{"UpdateTable", `{"TableName":"fzz","ReplicaUpdates":[{}],"MultiRegionConsistency":"STRONG"}`},
		{"UpdateTable", `{"TableName":"fzz","ReplicaUpdates":[]}`},
		{"CreateGlobalTable", `{"GlobalTableName":"fzz","ReplicationGroup":[{"RegionName":"us-east-1"}]}`},
		{"DescribeGlobalTable", `{"GlobalTableName":"fzz"}`},
		{"ListGlobalTables", `{}`},
		{"ApplyChanges", peer(`{"Changes":[{"Seq":"1","TableName":"fzz","TableId":"1","Time":1,"Cause":"PutItem","Keys":{"pk":{"S":"a"}},"NewImage":{"pk":{"S":"a"},"v":{"N":"1"}},"Stamp":"5"}],"Next":"1"}`)},
		{"ApplyChanges", peer(`{"Changes":[{"Seq":"2","TableName":"fzz","TableId":"1","Time":1,"Cause":"DeleteItem","Keys":{"pk":{"S":"a"}},"Stamp":"6","Origin":"eu-west-1"}],"Next":"2"}`)},
		{"ApplyChanges", `{"Source":"us-west-2","Secret":"wrong","Body":{}}`},
		{"SetReplicas", peer(`{"TableName":"fzz","Replicas":[{"region":"us-east-1","status":"ACTIVE"},{"region":"us-west-2","status":"ACTIVE"}]}`)},
		{"CreateReplica", peer(`{"Create":{"TableName":"fzz2","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]},"Replicas":[]}`)},
		{"DropReplica", peer(`{"TableName":"fzz2"}`)},
		{"UpdateTable", `{"TableName":"fzz","ReplicaUpdates":[{"Create":{"RegionName":"us-west-2"}},{"Create":{"RegionName":"eu-west-1"}}],"MultiRegionConsistency":"STRONG"}`},
		{"UpdateTable", `{"TableName":"fzz","ReplicaUpdates":[{"Create":{"RegionName":"us-west-2"}}],"GlobalTableWitnessUpdates":[{"Create":{"RegionName":"eu-west-1"}}],"MultiRegionConsistency":"STRONG"}`},
		{"UpdateTable", `{"TableName":"fzz","GlobalTableWitnessUpdates":[{"Delete":{"RegionName":"eu-west-1"}},{}]}`},
		{"StrongPrepare", peer(`{"Table":"fzz","Keys":{"pk":{"S":"a"}},"Stamp":5,"LocalStamp":0,"LocalOrigin":""}`)},
		{"StrongRead", peer(`{"Table":"fzz","Keys":{"pk":{"S":"a"}}}`)},
		{"StrongAbort", peer(`{"Table":"fzz","Keys":{"pk":{"S":"a"}}}`)},
		{"StrongCommit", peer(`{"Table":"fzz","Keys":{"pk":{"S":"a"}},"Stamp":7,"Origin":"us-west-2","Cause":"PutItem","Item":{"pk":{"S":"a"}}}`)},
	}
	for _, s := range seeds {
		f.Add(s.op, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		prefix := ""
		switch op {
		case "UpdateTable", "CreateGlobalTable", "UpdateGlobalTable", "DescribeGlobalTable", "DescribeGlobalTableSettings",
			"UpdateGlobalTableSettings", "ListGlobalTables":
			prefix = wire.PrefixDynamoDB
		case opApplyChanges, opSetReplicas, opCreateReplica, opDropReplica, opStrongPrepare, opStrongRead, opStrongAbort, opStrongCommit:
			prefix = wire.PrefixFeed
		default:
			return
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
