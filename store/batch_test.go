package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/ddb"
)

// Helpers shared by the batch and transaction tests.

// multiRawErr posts a raw body and returns the error code (without
// namespace) and message of the answer, failing the test on a success.
// capital reports whether the message key was "Message".
func multiRawErr(t testing.TB, ts *testServer, op, body string) (code, msg string, capital bool, fields map[string]json.RawMessage) {
	t.Helper()
	status, resp := itemsRaw(t, ts, op, body)
	if status == 200 {
		t.Fatalf("%s %s: want an error, got 200 %s", op, body, resp)
	}
	if err := json.Unmarshal([]byte(resp), &fields); err != nil {
		t.Fatalf("%s: bad error body %q", op, resp)
	}
	var typ string
	_ = json.Unmarshal(fields["__type"], &typ)
	code = typ[strings.LastIndexByte(typ, '#')+1:]
	if m, ok := fields["Message"]; ok {
		_ = json.Unmarshal(m, &msg)
		capital = true
	} else {
		_ = json.Unmarshal(fields["message"], &msg)
	}
	return code, msg, capital, fields
}

// capUnits returns the CapacityUnits per table of a ConsumedCapacity list.
func capUnits(cs []types.ConsumedCapacity) map[string]float64 {
	out := map[string]float64{}
	for _, c := range cs {
		out[aws.ToString(c.TableName)] = aws.ToFloat64(c.CapacityUnits)
	}
	return out
}

func wantUnits(t testing.TB, cs []types.ConsumedCapacity, want map[string]float64) {
	t.Helper()
	got := capUnits(cs)
	if fmt.Sprint(got) != fmt.Sprint(want) || len(cs) != len(want) {
		t.Fatalf("ConsumedCapacity %v, want %v", got, want)
	}
}

// itemsText renders a list of items in a deterministic order.
func itemsText(items []avItem) string {
	s := make([]string, len(items))
	for i, it := range items {
		s[i] = itemText(it)
	}
	sort.Strings(s)
	return strings.Join(s, "\n")
}

// pad returns a string of n bytes.
func pad(n int) string { return strings.Repeat("x", n) }

func TestBatchGetItem(t *testing.T) {
	ts := itemsServer(t)
	itemsPut(t, ts, "hash", avItem{"pk": avS("a"), "v": avN("1"), "big": avS(pad(5000))})
	itemsPut(t, ts, "hash", avItem{"pk": avS("b"), "v": avN("2"), "m": avM(avItem{"x": avS("y"), "z": avN("3")})})
	itemsPut(t, ts, "range", avItem{"pk": avS("p"), "sk": avN("1"), "v": avS("r1")})
	itemsPut(t, ts, "range", avItem{"pk": avS("p"), "sk": avN("2"), "v": avS("r2")})

	out, err := ts.Client.BatchGetItem(bg, &dynamodb.BatchGetItemInput{
		RequestItems: map[string]types.KeysAndAttributes{
			"hash": {Keys: []avItem{{"pk": avS("a")}, {"pk": avS("b")}, {"pk": avS("missing")}}, ConsistentRead: aws.Bool(true)},
			"range": {Keys: []avItem{{"pk": avS("p"), "sk": avN("1")}, {"pk": avS("p"), "sk": avN("2.0")}},
				ProjectionExpression: aws.String("#v, sk"), ExpressionAttributeNames: map[string]string{"#v": "v"}},
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := itemsText(out.Responses["hash"]), itemsText([]avItem{
		{"pk": avS("a"), "v": avN("1"), "big": avS(pad(5000))},
		{"pk": avS("b"), "v": avN("2"), "m": avM(avItem{"x": avS("y"), "z": avN("3")})},
	}); got != want {
		t.Fatalf("hash responses\n got %s\nwant %s", got, want)
	}
	if got, want := itemsText(out.Responses["range"]), itemsText([]avItem{
		{"sk": avN("1"), "v": avS("r1")}, {"sk": avN("2"), "v": avS("r2")},
	}); got != want {
		t.Fatalf("range responses\n got %s\nwant %s", got, want)
	}
	if len(out.UnprocessedKeys) != 0 {
		t.Fatalf("UnprocessedKeys %v", out.UnprocessedKeys)
	}
	// Per-item rounding, then the sum: hash (consistent) 2 (5 KB item) + 1 + 1
	// (missing); range (eventually consistent) 0.5 + 0.5.
	wantUnits(t, out.ConsumedCapacity, map[string]float64{"hash": 4, "range": 1})

	// INDEXES adds the Table arm; a table ARN names the table.
	out, err = ts.Client.BatchGetItem(bg, &dynamodb.BatchGetItemInput{
		RequestItems: map[string]types.KeysAndAttributes{
			"arn:aws:dynamodb:us-east-1:000000000000:table/hash": {Keys: []avItem{{"pk": avS("b")}}, AttributesToGet: []string{"v"}},
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Responses["arn:aws:dynamodb:us-east-1:000000000000:table/hash"]; len(got) != 1 || itemText(got[0]) != itemText(avItem{"v": avN("2")}) {
		t.Fatalf("responses %v", out.Responses)
	}
	if c := out.ConsumedCapacity; len(c) != 1 || c[0].Table == nil || aws.ToFloat64(c[0].Table.CapacityUnits) != 0.5 {
		t.Fatalf("ConsumedCapacity %+v", c)
	}
	// No ReturnConsumedCapacity, no figures; a table without hits answers [].
	out, err = ts.Client.BatchGetItem(bg, &dynamodb.BatchGetItemInput{
		RequestItems: map[string]types.KeysAndAttributes{"bin": {Keys: []avItem{{"pk": avB("\x00")}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.ConsumedCapacity != nil || out.Responses["bin"] == nil || len(out.Responses["bin"]) != 0 {
		t.Fatalf("got %+v", out)
	}
}

// TestBatchGetItemUnprocessed fills a response past 16 MB: the keys that
// do not fit come back in UnprocessedKeys, with the table's other
// parameters, and a second call fetches them.
func TestBatchGetItemUnprocessed(t *testing.T) {
	ts := itemsServer(t)
	const count, size = 45, 390 * 1024
	var keys []avItem
	for i := 0; i < count; i += 15 {
		var reqs []types.WriteRequest
		for j := i; j < i+15 && j < count; j++ {
			k := fmt.Sprintf("k%02d", j)
			keys = append(keys, avItem{"pk": avS(k)})
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: avItem{"pk": avS(k), "blob": avS(pad(size))}}})
		}
		out, err := ts.Client.BatchWriteItem(bg, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"hash": reqs}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.UnprocessedItems) != 0 {
			t.Fatalf("unprocessed %v", out.UnprocessedItems)
		}
	}
	out, err := ts.Client.BatchGetItem(bg, &dynamodb.BatchGetItemInput{
		RequestItems: map[string]types.KeysAndAttributes{"hash": {Keys: keys, ConsistentRead: aws.Bool(true),
			ProjectionExpression: aws.String("pk, #b"), ExpressionAttributeNames: map[string]string{"#b": "blob"}}},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := len(out.Responses["hash"])
	un := out.UnprocessedKeys["hash"]
	itemSize := 2 + 3 + 4 + size // pk=kNN, blob=…
	if wantGot := (16 << 20) / itemSize; got != wantGot || len(un.Keys) != count-got {
		t.Fatalf("returned %d, unprocessed %d; want %d and %d", got, len(un.Keys), wantGot, count-wantGot)
	}
	if !aws.ToBool(un.ConsistentRead) || aws.ToString(un.ProjectionExpression) != "pk, #b" || un.ExpressionAttributeNames["#b"] != "blob" {
		t.Fatalf("unprocessed parameters %+v", un)
	}
	// Only the processed items are charged: 98 units each (390 KB / 4 KB).
	wantUnits(t, out.ConsumedCapacity, map[string]float64{"hash": float64(got * 98)})
	out2, err := ts.Client.BatchGetItem(bg, &dynamodb.BatchGetItemInput{RequestItems: out.UnprocessedKeys})
	if err != nil {
		t.Fatal(err)
	}
	if len(out2.Responses["hash"]) != count-got || len(out2.UnprocessedKeys) != 0 {
		t.Fatalf("second call: %d items, unprocessed %v", len(out2.Responses["hash"]), out2.UnprocessedKeys)
	}
	seen := map[string]bool{}
	for _, it := range append(out.Responses["hash"], out2.Responses["hash"]...) {
		seen[it["pk"].(*types.AttributeValueMemberS).Value] = true
	}
	if len(seen) != count {
		t.Fatalf("saw %d distinct items", len(seen))
	}
}

func TestBatchWriteItem(t *testing.T) {
	ts := itemsServer(t)
	itemsPut(t, ts, "hash", avItem{"pk": avS("old"), "v": avS(pad(3000))})
	itemsPut(t, ts, "range", avItem{"pk": avS("p"), "sk": avN("9")})
	out, err := ts.Client.BatchWriteItem(bg, &dynamodb.BatchWriteItemInput{
		RequestItems: map[string][]types.WriteRequest{
			"hash": {
				{PutRequest: &types.PutRequest{Item: avItem{"pk": avS("new"), "v": avN("1.50")}}},
				{PutRequest: &types.PutRequest{Item: avItem{"pk": avS("old"), "v": avS("small")}}},
				{DeleteRequest: &types.DeleteRequest{Key: avItem{"pk": avS("absent")}}},
			},
			"range": {
				{DeleteRequest: &types.DeleteRequest{Key: avItem{"pk": avS("p"), "sk": avN("9")}}},
				{PutRequest: &types.PutRequest{Item: avItem{"pk": avS("p"), "sk": avN("1"), "s": avSS("a", "b")}}},
			},
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.UnprocessedItems) != 0 || out.ItemCollectionMetrics != nil {
		t.Fatalf("got %+v", out)
	}
	// Per-item rounding: hash 1 + 3 (replacing a 3 KB item) + 1 (absent); range 1 + 1.
	wantUnits(t, out.ConsumedCapacity, map[string]float64{"hash": 5, "range": 2})
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("new")}), avItem{"pk": avS("new"), "v": avN("1.5")})
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("old")}), avItem{"pk": avS("old"), "v": avS("small")})
	wantItem(t, itemsGet(t, ts, "range", avItem{"pk": avS("p"), "sk": avN("9")}), nil)
	wantItem(t, itemsGet(t, ts, "range", avItem{"pk": avS("p"), "sk": avN("1")}), avItem{"pk": avS("p"), "sk": avN("1"), "s": avSS("a", "b")})

	// The item count statistics follow.
	d, err := ts.Client.DescribeTable(bg, &dynamodb.DescribeTableInput{TableName: aws.String("hash")})
	if err != nil {
		t.Fatal(err)
	}
	if n := aws.ToInt64(d.Table.ItemCount); n != 2 {
		t.Fatalf("ItemCount %d", n)
	}
}

// TestBatchWriteItemIndexes: index entries are maintained and charged,
// and ItemCollectionMetrics name each item collection written in a table
// with a local secondary index.
func TestBatchWriteItemIndexes(t *testing.T) {
	ts := itemsServer(t)
	txIndexedTable(t, ts, "idx")
	out, err := ts.Client.BatchWriteItem(bg, &dynamodb.BatchWriteItemInput{
		RequestItems: map[string][]types.WriteRequest{
			"idx": {
				{PutRequest: &types.PutRequest{Item: avItem{"pk": avS("a"), "sk": avN("1"), "gk": avS("g1"), "ls": avN("5")}}},
				{PutRequest: &types.PutRequest{Item: avItem{"pk": avS("a"), "sk": avN("2"), "gk": avS("g1")}}},
				{PutRequest: &types.PutRequest{Item: avItem{"pk": avS("b"), "sk": avN("1")}}},
			},
		},
		ReturnConsumedCapacity:      types.ReturnConsumedCapacityIndexes,
		ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsSize,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.ConsumedCapacity
	if len(c) != 1 || aws.ToFloat64(c[0].CapacityUnits) != 6 || aws.ToFloat64(c[0].Table.CapacityUnits) != 3 ||
		aws.ToFloat64(c[0].GlobalSecondaryIndexes["gsi"].CapacityUnits) != 2 || aws.ToFloat64(c[0].LocalSecondaryIndexes["lsi"].CapacityUnits) != 1 {
		t.Fatalf("ConsumedCapacity %+v", c)
	}
	m := out.ItemCollectionMetrics["idx"]
	var pks []string
	for _, e := range m {
		pks = append(pks, e.ItemCollectionKey["pk"].(*types.AttributeValueMemberS).Value)
		if len(e.SizeEstimateRangeGB) != 2 {
			t.Fatalf("metrics %+v", e)
		}
	}
	sort.Strings(pks)
	if fmt.Sprint(pks) != "[a b]" {
		t.Fatalf("ItemCollectionMetrics keys %v", pks)
	}
	q, err := ts.Client.Query(bg, &dynamodb.QueryInput{TableName: aws.String("idx"), IndexName: aws.String("gsi"),
		KeyConditionExpression: aws.String("gk = :g"), ExpressionAttributeValues: avItem{":g": avS("g1")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Items) != 2 {
		t.Fatalf("gsi query: %v", q.Items)
	}
	// Deleting through a batch removes the index entries.
	_, err = ts.Client.BatchWriteItem(bg, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"idx": {{DeleteRequest: &types.DeleteRequest{Key: avItem{"pk": avS("a"), "sk": avN("1")}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	q, err = ts.Client.Query(bg, &dynamodb.QueryInput{TableName: aws.String("idx"), IndexName: aws.String("gsi"),
		KeyConditionExpression: aws.String("gk = :g"), ExpressionAttributeValues: avItem{":g": avS("g1")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Items) != 1 {
		t.Fatalf("gsi query after delete: %v", q.Items)
	}
}

// TestBatchWriteItemInFlightTransaction: a request on an item held by an
// in-flight transaction is not applied and comes back in UnprocessedItems;
// the others are applied.
func TestBatchWriteItemInFlightTransaction(t *testing.T) {
	ts := itemsServer(t)
	tbl, _ := ts.Node.cat.get("hash")
	held := tbl.engineKey(ddb.S("held"), ddb.Value{})
	if ts.Node.marks.mark([][]byte{held}) >= 0 {
		t.Fatal("mark failed")
	}
	out, err := ts.Client.BatchWriteItem(bg, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"hash": {
			{PutRequest: &types.PutRequest{Item: avItem{"pk": avS("held"), "v": avN("1")}}},
			{PutRequest: &types.PutRequest{Item: avItem{"pk": avS("free"), "v": avN("2")}}},
		}}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	un := out.UnprocessedItems["hash"]
	if len(un) != 1 || itemText(un[0].PutRequest.Item) != itemText(avItem{"pk": avS("held"), "v": avN("1")}) {
		t.Fatalf("UnprocessedItems %+v", out.UnprocessedItems)
	}
	wantUnits(t, out.ConsumedCapacity, map[string]float64{"hash": 1})
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("held")}), nil)
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("free")}), avItem{"pk": avS("free"), "v": avN("2")})
	ts.Node.marks.unmark([][]byte{held})
	out, err = ts.Client.BatchWriteItem(bg, &dynamodb.BatchWriteItemInput{RequestItems: out.UnprocessedItems})
	if err != nil || len(out.UnprocessedItems) != 0 {
		t.Fatalf("retry: %v %+v", err, out)
	}
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("held")}), avItem{"pk": avS("held"), "v": avN("1")})
}

func TestBatchValidation(t *testing.T) {
	ts := itemsServer(t)
	txIndexedTable(t, ts, "idx")
	const (
		ve  = "ValidationException"
		rnf = "ResourceNotFoundException"
	)
	type tc struct {
		name     string
		op, body string // raw request, or
		call     func(c *dynamodb.Client) error
		code     string
		msg      string
	}
	get := func(name string, in dynamodb.BatchGetItemInput, code, msg string) tc {
		return tc{name: "BatchGetItem/" + name, call: func(c *dynamodb.Client) error { _, err := c.BatchGetItem(bg, &in); return err }, code: code, msg: msg}
	}
	write := func(name string, in dynamodb.BatchWriteItemInput, code, msg string) tc {
		return tc{name: "BatchWriteItem/" + name, call: func(c *dynamodb.Client) error { _, err := c.BatchWriteItem(bg, &in); return err }, code: code, msg: msg}
	}
	keys := func(n int) []avItem {
		out := make([]avItem, n)
		for i := range out {
			out[i] = avItem{"pk": avS(fmt.Sprint("k", i))}
		}
		return out
	}
	puts := func(n int) []types.WriteRequest {
		out := make([]types.WriteRequest, n)
		for i := range out {
			out[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: avItem{"pk": avS(fmt.Sprint("k", i))}}}
		}
		return out
	}
	ka := func(k ...avItem) types.KeysAndAttributes { return types.KeysAndAttributes{Keys: k} }
	enumRCC := "Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"
	enumRICM := "Value 'BOGUS2' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]"
	mapKeys := "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]"
	// javaList renders n request elements as DynamoDB's messages do.
	javaList := func(n int, format string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(format, i)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	cases := []tc{
		// BatchGetItem.
		get("empty", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{}}, ve,
			"1 validation error detected: Value at 'RequestItems' failed to satisfy constraint: Member must have length greater than or equal to 1"),
		{name: "BatchGetItem/null", op: "BatchGetItem", body: `{}`, code: ve,
			msg: "The requestItems parameter is required for BatchGetItem"},
		get("keys-101", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"hash": ka(keys(101)...)}}, ve,
			"1 validation error detected: Value at 'RequestItems.hash.member.Keys' failed to satisfy constraint: Member must have length less than or equal to 100"),
		{name: "BatchGetItem/keys-empty", op: "BatchGetItem", body: `{"RequestItems":{"hash":{"Keys":[]}}}`, code: ve,
			msg: "1 validation error detected: Value at 'RequestItems.hash.member.Keys' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		get("too-many-over-tables", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			"hash": ka(keys(60)...), "idx": ka(keys(41)...)}}, ve, "Too many items requested for the BatchGetItem call"),
		get("bad-name-and-enum", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"bad!name": ka(avItem{"pk": avS("a")})},
			ReturnConsumedCapacity: "BOGUS"}, ve,
			`2 validation errors detected: Value '{"bad!name":{"Keys":[{"pk":{"S":"a"}}]}}' at 'requestItems' failed to satisfy constraint: `+mapKeys+"; "+enumRCC),
		get("missing-table", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"nosuch": ka(avItem{"pk": avS("a")})}}, rnf,
			"Requested resource not found"),
		get("enum-before-missing-table", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"nosuch": ka(avItem{"pk": avS("a")})},
			ReturnConsumedCapacity: "BOGUS"}, ve, "1 validation error detected: "+enumRCC),
		get("duplicates", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			"range": ka(avItem{"pk": avS("a"), "sk": avN("1")}, avItem{"pk": avS("a"), "sk": avN("1.0")})}}, ve,
			"Provided list of item keys contains duplicates"),
		get("key-schema", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"hash": ka(avItem{"pk": avN("1")})}}, ve,
			"The provided key element does not match the schema"),
		get("key-extra-attr", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"hash": ka(avItem{"pk": avS("a"), "x": avS("b")})}}, ve,
			"The provided key element does not match the schema"),
		get("empty-binary-key", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"bin": ka(avItem{"pk": avB("")})}}, ve,
			"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: pk"),
		get("mixed-projection", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			"hash": {Keys: []avItem{{"pk": avS("a")}}, AttributesToGet: []string{"pk"}, ProjectionExpression: aws.String("pk")}}}, ve,
			"Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"),
		get("mixed-projection-across-tables", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			"hash":  {Keys: []avItem{{"pk": avS("a")}}, ProjectionExpression: aws.String("pk")},
			"range": {Keys: []avItem{{"pk": avS("a"), "sk": avN("1")}}, AttributesToGet: []string{"pk"}}}}, ve,
			"Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"),
		get("overlapping-projection", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			"hash": {Keys: []avItem{{"pk": avS("a")}}, ProjectionExpression: aws.String("a, a.b")}}}, ve,
			"Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"),
		get("names-without-expression", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			"hash": {Keys: []avItem{{"pk": avS("a")}}, ExpressionAttributeNames: map[string]string{"#a": "a"}}}}, ve,
			"ExpressionAttributeNames can only be specified when using expressions"),
		get("duplicate-attributes-to-get", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			"hash": {Keys: []avItem{{"pk": avS("a")}}, AttributesToGet: []string{"a", "a"}}}}, ve,
			"One or more parameter values were invalid: Duplicate value in attribute name: a"),
		get("projection-into-key", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			"hash": {Keys: []avItem{{"pk": avS("a")}}, ProjectionExpression: aws.String("pk.x")}}}, ve,
			"Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk"),
		get("bad-key-value", dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"hash": ka(avItem{"pk": avSS()})}}, ve,
			"One or more parameter values were invalid: An string set  may not be empty"),

		// BatchWriteItem.
		write("empty", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{}}, ve,
			"The requestItems parameter is required for BatchWriteItem"),
		write("26-requests", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"hash": puts(26)}}, ve,
			"1 validation error detected: Value '{hash="+javaList(26, "{PutRequest={Item={pk={S=k%d}}}}")+"}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"),
		write("26-over-tables", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"hash": puts(13), "bin": puts(13)}}, ve,
			"Too many items requested for the BatchWriteItem call"),
		write("empty-list", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"hash": {}}}, ve,
			"1 validation error detected: Value '{hash=[]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"),
		write("enums", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"hash": puts(1)},
			ReturnConsumedCapacity: "BOGUS", ReturnItemCollectionMetrics: "BOGUS2"}, ve,
			"2 validation errors detected: "+enumRCC+"; "+enumRICM),
		write("enum-alone-over-bad-name", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"bad!name": puts(1)},
			ReturnConsumedCapacity: "BOGUS"}, ve, "1 validation error detected: "+enumRCC),
		write("bad-name", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"bad!name": puts(1)}}, ve,
			"1 validation error detected: Value at 'RequestItems' failed to satisfy constraint: "+mapKeys),
		write("missing-table", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"nosuch": puts(1)}}, rnf,
			"Requested resource not found"),
		write("put-and-delete-same-key", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"hash": {
			{PutRequest: &types.PutRequest{Item: avItem{"pk": avS("dup")}}},
			{DeleteRequest: &types.DeleteRequest{Key: avItem{"pk": avS("dup")}}}}}}, ve,
			"Provided list of item keys contains duplicates"),
		write("wrong-key-type", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"hash": {
			{PutRequest: &types.PutRequest{Item: avItem{"pk": avN("5")}}}}}}, ve,
			"The provided key element does not match the schema"),
		write("missing-key", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"hash": {
			{PutRequest: &types.PutRequest{Item: avItem{"other": avS("x")}}}}}}, ve,
			"The provided key element does not match the schema"),
		write("delete-missing-key", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"hash": {
			{DeleteRequest: &types.DeleteRequest{Key: avItem{"other": avS("x")}}}}}}, ve,
			"The provided key element does not match the schema"),
		write("empty-string-key", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"hash": {
			{PutRequest: &types.PutRequest{Item: avItem{"pk": avS("")}}}}}}, ve,
			"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"),
		write("empty-binary-delete-key", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"bin": {
			{DeleteRequest: &types.DeleteRequest{Key: avItem{"pk": avB("")}}}}}}, ve,
			"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: pk"),
		write("item-too-large", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"hash": {
			{PutRequest: &types.PutRequest{Item: avItem{"pk": avS("big"), "v": avS(pad(400 * 1024))}}}}}}, ve,
			"Item size has exceeded the maximum allowed size"),
		write("index-key-type", dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"idx": {
			{PutRequest: &types.PutRequest{Item: avItem{"pk": avS("a"), "sk": avN("1"), "gk": avN("1")}}}}}}, ve,
			"One or more parameter values were invalid: Type mismatch for Index Key gk Expected: S Actual: N IndexName: gsi"),
		{name: "BatchWriteItem/empty-request", op: "BatchWriteItem", body: `{"RequestItems":{"hash":[{}]}}`, code: ve,
			msg: "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"},
		{name: "BatchWriteItem/null-item", op: "BatchWriteItem", body: `{"RequestItems":{"hash":[{"PutRequest":{}}]}}`, code: ve,
			msg: "1 validation error detected: Value null at 'requestItems.hash.member.1.member.putRequest.item' failed to satisfy constraint: Member must not be null"},
		{name: "BatchWriteItem/bad-number", op: "BatchWriteItem", body: `{"RequestItems":{"hash":[{"PutRequest":{"Item":{"pk":{"S":"a"},"n":{"N":"x"}}}}]}}`, code: ve,
			msg: "The parameter cannot be converted to a numeric value: x"},
		{name: "BatchWriteItem/serialization", op: "BatchWriteItem", body: `{"RequestItems":{"hash":{}}}`, code: "SerializationException",
			msg: "Start of structure or map found where not expected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.call != nil {
				wantErr(t, c.call(ts.Client), c.code, c.msg)
				return
			}
			code, msg, _, _ := multiRawErr(t, ts, c.op, c.body)
			if code != c.code || msg != c.msg {
				t.Fatalf("got %s %q\nwant %s %q", code, msg, c.code, c.msg)
			}
		})
	}
	// Nothing of the refused batches was written.
	out, err := ts.Client.Scan(bg, &dynamodb.ScanInput{TableName: aws.String("hash")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 0 {
		t.Fatalf("refused batches wrote %v", out.Items)
	}
}
