package store

import (
	"bytes"
	"testing"
)

func TestRequestTable(t *testing.T) {
	for _, c := range []struct{ op, body, want string }{
		{"GetItem", `{"TableName":"t1","Key":{"pk":{"S":"a"}}}`, "t1"},
		{"PutItem", `{"Item":{"TableName":{"S":"not me"},"x":{"S":"\"TableName\":\"nor me\""}},"TableName":"real"}`, "real"},
		{"PutItem", `{"Item":{"a":{"S":"b"}}, "TableName" : "spaced"}`, "spaced"},
		{"Query", `{"ExpressionAttributeNames":{"#t":"TableName"},"TableName":"q"}`, "q"},
		{"GetItem", `{"TableName":"arn:aws:dynamodb:us-east-1:000000000000:table/byarn","Key":{}}`, "byarn"},
		{"BatchGetItem", `{"RequestItems":{"b1":{"Keys":[]},"b2":{"Keys":[]}}}`, "b1"},
		{"BatchWriteItem", `{"ReturnConsumedCapacity":"TOTAL","RequestItems": { "w1":[]}}`, "w1"},
		{"TransactWriteItems", `{"TransactItems":[{"Put":{"Item":{},"TableName":"tx1"}},{"Put":{"TableName":"tx2"}}]}`, "tx1"},
		{"ListTables", `{}`, ""},
		{"GetItem", `{"TableName":"bad\"name"}`, ""},
		{"GetItem", `{"TableName":"unterminated`, ""},
		{"GetItem", `{"TableName":5}`, ""},
	} {
		if got := string(requestTable(c.op, []byte(c.body))); got != c.want {
			t.Errorf("requestTable(%s, %s) = %q, want %q", c.op, c.body, got, c.want)
		}
	}
}

func TestReturnedCount(t *testing.T) {
	for _, c := range []struct {
		out  string
		want int
		ok   bool
	}{
		{`{"Items":[{"Count":{"N":"9"}}],"Count":12,"ScannedCount":40}`, 12, true},
		{`{"Count":0,"ScannedCount":0,"LastEvaluatedKey":{"Count":{"S":"x"}}}`, 0, true},
		{`{"Items":[]}`, 0, false},
		{`{"X":1,"ScannedCount":3}`, 0, false},
	} {
		got, ok := returnedCount([]byte(c.out))
		if got != c.want || ok != c.ok {
			t.Errorf("returnedCount(%s) = %d, %v; want %d, %v", c.out, got, ok, c.want, c.ok)
		}
	}
}

// FuzzRequestTable: any body gives a name that is part of it, without
// panicking.
func FuzzRequestTable(f *testing.F) {
	f.Add("GetItem", []byte(`{"TableName":"t1","Key":{"pk":{"S":"a"}}}`))
	f.Add("BatchGetItem", []byte(`{"RequestItems":{"b1":{"Keys":[]}}}`))
	f.Add("PutItem", []byte(`{"TableName" :"arn:aws:dynamodb:r:1:table/x/stream/y"}`))
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		name := requestTable(op, body)
		if len(name) > 0 && !bytes.Contains(body, name) {
			t.Fatalf("requestTable(%q) = %q, not in the body", body, name)
		}
		returnedCount(body)
	})
}
