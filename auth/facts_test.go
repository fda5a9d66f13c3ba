package auth

import (
	"reflect"
	"testing"

	"github.com/dynax/dynax/ddb"
)

// TestFastFactsAgree checks that the GetItem fast path and the general
// decoder give the same checks, and that the fast path declines what it
// does not handle.
func TestFastFactsAgree(t *testing.T) {
	sc := Scope{Region: "us-east-1", Account: "000000000000"}
	f := func(body string, fast bool) {
		t.Helper()
		c, ok := getItemFacts([]byte(body), sc, benchSchemas{})
		if ok != fast {
			t.Fatalf("%s: fast path taken = %v, want %v", body, ok, fast)
		}
		var r itemReq
		if err := ddb.Unmarshal([]byte(body), &r); err != nil {
			if ok {
				t.Fatalf("%s: the fast path read what the decoder refuses: %v", body, err)
			}
			return
		}
		want := itemCheck("dynamodb:GetItem", &r, sc, benchSchemas{}, "")
		if ok && !reflect.DeepEqual(c, want) {
			t.Fatalf("%s:\n fast %+v\n want %+v", body, c, want)
		}
	}
	f(`{"TableName":"t","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}}`, true)
	f(`{"TableName":"t","Key":{"pk":{"S":"a\u0062"}},"ProjectionExpression":"#a, b.c","ExpressionAttributeNames":{"#a":"x"},"ReturnConsumedCapacity":"TOTAL","ConsistentRead":true}`, true)
	f(`{"TableName":"t","Key":{"pk":{"S":"a"}},"AttributesToGet":["a","b"]}`, true)
	f(`{"TableName":"t","Key":{"pk":{"S":"a"}},"TableName":"u"}`, true)
	f(`{"TableName":"t","Key":{"pk":{"B":"YQ=="}}}`, false)
	f(`{"TableName":"t","Key":{"pk":{"S":"a","N":"1"}}}`, false)
	f(`{"TableName":"t","Key":{"pk":{"S":"a"}},"Other":1}`, false)
	f(`{"TableName":"t","Key":{"pk":{"S":"a"}}`, false)
	f(`{"TableName":7,"Key":{"pk":{"S":"a"}}}`, false)
}

// FuzzFacts feeds random bodies to every operation's facts: no panic, and
// for GetItem the fast path agrees with the decoder.
func FuzzFacts(f *testing.F) {
	for _, s := range []string{
		`{"TableName":"t","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}}`,
		`{"TableName":"t","KeyConditionExpression":"pk = :p AND sk > :s","ExpressionAttributeValues":{":p":{"S":"a"},":s":{"N":"1"}}}`,
		`{"RequestItems":{"t":{"Keys":[{"pk":{"S":"a"}}],"ProjectionExpression":"a.b, #c"}}}`,
		`{"TransactItems":[{"Get":{"TableName":"t","Key":{"pk":{"S":"a"}}}},{"Put":{"TableName":"t","Item":{"pk":{"S":"b"}}}}]}`,
		`{"Statement":"SELECT * FROM t WHERE pk = ? AND x IN [1,2]","Parameters":[{"S":"a"}]}`,
		`{"ShardIterator":"arn:aws:dynamodb:us-east-1:0:table/t/stream/x|1|AAAA"}`,
	} {
		for _, op := range []string{"GetItem", "Query", "BatchGetItem", "TransactWriteItems", "ExecuteStatement", "Scan"} {
			f.Add(op, s)
		}
	}
	sc := Scope{Region: "us-east-1", Account: "000000000000"}
	f.Fuzz(func(t *testing.T, op, body string) {
		checks, err := Facts("DynamoDB_20120810", op, []byte(body), sc, benchSchemas{})
		if err == nil {
			for _, c := range checks {
				if c.Action == "" || len(c.Resources) == 0 {
					t.Fatalf("%s %s: incomplete check %+v", op, body, c)
				}
			}
		}
		_, _ = Facts("DynamoDBStreams_20120810", op, []byte(body), sc, benchSchemas{})
		if c, ok := getItemFacts([]byte(body), sc, benchSchemas{}); ok {
			var r itemReq
			if err := ddb.Unmarshal([]byte(body), &r); err != nil {
				t.Fatalf("%s: the fast path read what the decoder refuses: %v", body, err)
			}
			if want := itemCheck("dynamodb:GetItem", &r, sc, benchSchemas{}, ""); !reflect.DeepEqual(c, want) {
				t.Fatalf("%s:\n fast %+v\n want %+v", body, c, want)
			}
		}
	})
}
