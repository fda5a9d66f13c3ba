package store

import (
	"context"
	"log/slog"
	"testing"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// FuzzVectorRequests sends arbitrary SearchVectors bodies, and CreateTable
// bodies with VectorIndexes, to a node holding a vector-indexed table: each
// answer is a success or a DynamoDB client error, never a panic or an
// internal error.
func FuzzVectorRequests(f *testing.F) {
	n, err := Open(Options{Dir: f.TempDir(), NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { n.Close() })
	for _, c := range []struct{ op, body string }{
		{"CreateTable", `{"TableName":"fzv","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
			"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"t","AttributeType":"S"}],
			"VectorIndexes":[{"IndexName":"emb","VectorAttribute":{"AttributeName":"v"},"Dimensions":3,"DistanceFunction":"DOT_PRODUCT",
			"Projection":{"ProjectionType":"ALL"},"SearchSchema":[{"AttributeName":"t","SearchSchemaElementType":"INLINE_FILTER"}]}]}`},
		{"PutItem", `{"TableName":"fzv","Item":{"pk":{"S":"a"},"t":{"S":"x"},"v":{"L":[{"N":"1"},{"N":"2"},{"N":"3"}]}}}`},
		{"PutItem", `{"TableName":"fzv","Item":{"pk":{"S":"b"},"v":{"L":[{"N":"1e38"},{"N":"-1e38"},{"N":"0"}]}}}`},
		{"PutItem", `{"TableName":"fzv","Item":{"pk":{"S":"c"},"v":{"L":[{"S":"1"}]}}}`},
	} {
		if _, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: c.op, Body: []byte(c.body), Region: "us-east-1"}); err != nil {
			f.Fatal(err)
		}
	}
	for _, s := range []struct{ op, body string }{
		{"SearchVectors", `{"TableName":"fzv","IndexName":"emb","SearchVector":[{"N":"1"},{"N":"0"},{"N":"0"}],"TopK":2}`},
		{"SearchVectors", `{"TableName":"fzv","IndexName":"emb","SearchVector":[{"N":"1"},{"N":"0"},{"N":"0"}],"TopK":1,"SearchConditionExpression":"t = :t","ExpressionAttributeValues":{":t":{"S":"x"}},"ProjectionExpression":"pk, v[1]","ReturnConsumedCapacity":"TOTAL"}`},
		{"SearchVectors", `{"TableName":"fzv","IndexName":"emb","SearchVector":[{"N":"1e39"},{"S":"0"},{"N":"0"}],"TopK":0}`},
		{"SearchVectors", `{"TableName":"fzv","IndexName":"emb","SearchVector":{"L":[]},"TopK":"1"}`},
		{"CreateTable", `{"TableName":"fzw","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"VectorIndexes":[{"IndexName":"e","Dimensions":-1.5,"SearchSchema":[{}]}]}`},
	} {
		f.Add(s.op, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		if op != "SearchVectors" && op != "CreateTable" {
			return
		}
		fuzzServe(t, n, op, body)
	})
}

// fuzzServe sends a DynamoDB call and fails unless the answer is a JSON
// object or a client (400) error.
func fuzzServe(t *testing.T, n *Node, op string, body []byte) {
	out, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: op, Body: body, Region: "us-east-1"})
	if err == nil {
		if len(out) == 0 || out[0] != '{' {
			t.Fatalf("%s: answer %q", op, out)
		}
		return
	}
	if de, ok := ddb.AsError(err); !ok || de.Status != 400 {
		t.Fatalf("%s %q: %v", op, body, err)
	}
}
