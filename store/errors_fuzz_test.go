package store

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/model"
	"github.com/dynax/dynax/ddb/wire"
)

// fuzzOps are the operations FuzzDynamoDBRequests drives: the item,
// batch, transaction, PartiQL, and read-only table operations (those
// that start background work or drop the fixture table are left out).
var fuzzOps = []string{
	"BatchExecuteStatement", "BatchGetItem", "BatchWriteItem", "DeleteItem", "DescribeTable",
	"ExecuteStatement", "ExecuteTransaction", "GetItem", "ListTables", "ListTagsOfResource",
	"PutItem", "Query", "Scan", "TagResource", "TransactGetItems", "TransactWriteItems",
	"UntagResource", "UpdateItem",
}

// FuzzDynamoDBRequests sends arbitrary bodies to the node's DynamoDB
// operations: every answer is a JSON object or a 400 DynamoDB error —
// never a panic or an internal error — and a body the model's binder
// refuses gets exactly the binder's answer.
func FuzzDynamoDBRequests(f *testing.F) {
	n, _, _ := fuzzNode(f)
	index := map[string]int{}
	for i, op := range fuzzOps {
		index[op] = i
	}
	// The error tables are the seeds.
	files, _ := filepath.Glob("testdata/errors/*.txt")
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			op, body, ok := strings.Cut(sc.Text(), " ")
			if i, known := index[op]; ok && known {
				f.Add(uint8(i), []byte(body))
			}
		}
		fh.Close()
	}
	f.Add(uint8(index["PutItem"]), []byte(`{"TableName":"fzz","Item":{"pk":{"S":"c"},"m":{"M":{"a":{"NS":["1","2"]}}}}}`))
	f.Add(uint8(index["UpdateItem"]), []byte(`{"TableName":"fzz","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET #a = :v","ExpressionAttributeNames":{"#a":"x"},"ExpressionAttributeValues":{":v":{"N":"1"}}}`))
	f.Add(uint8(index["Query"]), []byte(`{"TableName":"fzz","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}}}`))
	f.Fuzz(func(t *testing.T, opIndex uint8, body []byte) {
		op := fuzzOps[int(opIndex)%len(fuzzOps)]
		out, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: op, Body: body, Region: "us-east-1"})
		if berr := model.Bind(op, body); berr != nil {
			if err == nil || err.Error() != berr.Error() {
				t.Fatalf("%s %q: answered %v, the binder says %v", op, body, err, berr)
			}
		}
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
