package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/ddb"
)

// Helpers shared by the Query and Scan tests.

type qsAV = types.AttributeValue
type qsItem = map[string]types.AttributeValue

func qsS(s string) qsAV { return &types.AttributeValueMemberS{Value: s} }
func qsN(s string) qsAV { return &types.AttributeValueMemberN{Value: s} }
func qsB(b []byte) qsAV { return &types.AttributeValueMemberB{Value: b} }

// qsText renders a value deterministically.

func qsItemsText(items []qsItem) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = itemText(it)
	}
	return strings.Join(parts, "\n")
}

func qsWantItems(t testing.TB, got, want []qsItem) {
	t.Helper()
	if g, w := qsItemsText(got), qsItemsText(want); g != w {
		t.Fatalf("items mismatch\n got (%d):\n%s\nwant (%d):\n%s", len(got), g, len(want), w)
	}
}

// qsAttr adds an attribute definition.
func qsAttr(in *dynamodb.CreateTableInput, name, typ string) {
	in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeType(typ)})
}

// qsKeySchema builds a key schema from "hash" and optional "range" names.
func qsKeySchema(names ...string) []types.KeySchemaElement {
	ks := []types.KeySchemaElement{{AttributeName: aws.String(names[0]), KeyType: types.KeyTypeHash}}
	if len(names) > 1 {
		ks = append(ks, types.KeySchemaElement{AttributeName: aws.String(names[1]), KeyType: types.KeyTypeRange})
	}
	return ks
}

func qsProjection(typ types.ProjectionType, nonKey ...string) *types.Projection {
	return &types.Projection{ProjectionType: typ, NonKeyAttributes: nonKey}
}

func qsPut(t testing.TB, ts *testServer, table string, it qsItem) {
	t.Helper()
	if _, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
}

func qsQuery(t testing.TB, ts *testServer, in dynamodb.QueryInput) *dynamodb.QueryOutput {
	t.Helper()
	out, err := ts.Client.Query(bg, &in)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	return out
}

// qsQueryAll pages a query to exhaustion and returns the items and pages.
func qsQueryAll(t testing.TB, ts *testServer, in dynamodb.QueryInput) ([]qsItem, int) {
	t.Helper()
	var items []qsItem
	pages := 0
	for {
		out := qsQuery(t, ts, in)
		pages++
		items = append(items, out.Items...)
		if int(out.Count) != len(out.Items) && in.Select != types.SelectCount {
			t.Fatalf("Count %d with %d items", out.Count, len(out.Items))
		}
		if len(out.LastEvaluatedKey) == 0 {
			return items, pages
		}
		if in.Limit != nil && int(out.ScannedCount) != int(*in.Limit) {
			t.Fatalf("page ended with ScannedCount %d < Limit %d", out.ScannedCount, *in.Limit)
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
		if pages > 10000 {
			t.Fatal("too many pages")
		}
	}
}

// qsRaw posts a raw JSON body and returns the status and body. The
// connection is not kept alive, so the server's shutdown does not wait
// for it.
func qsRaw(t testing.TB, ts *testServer, op, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", ts.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Close = true
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// qsRawErr posts a raw JSON body and returns the error type and message.
func qsRawErr(t testing.TB, ts *testServer, op, body string) (code, msg string) {
	t.Helper()
	status, resp := qsRaw(t, ts, op, body)
	if status == 200 {
		return "", ""
	}
	var e struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	if err := json.Unmarshal([]byte(resp), &e); err != nil {
		t.Fatalf("bad error body %q", resp)
	}
	if i := strings.LastIndexByte(e.Type, '#'); i >= 0 {
		e.Type = e.Type[i+1:]
	}
	if e.Message == "" {
		e.Message = e.Message2
	}
	return e.Type, e.Message
}

// qsRawOK posts a raw JSON body that must succeed and decodes the answer.
func qsRawOK(t testing.TB, ts *testServer, op, body string) map[string]any {
	t.Helper()
	status, resp := qsRaw(t, ts, op, body)
	if status != 200 {
		t.Fatalf("%s %s: %d %s", op, body, status, resp)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(resp), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func qsSortKeys(items []qsItem, attr string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = avText(it[attr])
	}
	return out
}

// qsSortKeyLines returns, for each item, its sort key and its attribute i
// ("sk i=N"), as qsCheckSortOrder states them.
func qsSortKeyLines(items []qsItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		n := it["i"].(*types.AttributeValueMemberN).Value
		out[i] = avText(it["sk"]) + " i=" + n
	}
	return out
}

// qsKeyOp is one sort key condition to try: the expression form, the
// legacy form and the predicate it stands for.
type qsKeyOp struct {
	name  string
	expr  string // uses :v1, :v2
	op    types.ComparisonOperator
	vals  []qsAV
	match func(v qsAV) bool
}

func qsCompareAV(a, b qsAV) int {
	switch x := a.(type) {
	case *types.AttributeValueMemberN:
		// Exact rational arithmetic of the standard library, not the
		// comparison under test.
		var ra, rb big.Rat
		if _, ok := ra.SetString(x.Value); !ok {
			panic("bad number " + x.Value)
		}
		if _, ok := rb.SetString(b.(*types.AttributeValueMemberN).Value); !ok {
			panic("bad number " + b.(*types.AttributeValueMemberN).Value)
		}
		return ra.Cmp(&rb)
	case *types.AttributeValueMemberS:
		return strings.Compare(x.Value, b.(*types.AttributeValueMemberS).Value)
	case *types.AttributeValueMemberB:
		return bytes.Compare(x.Value, b.(*types.AttributeValueMemberB).Value)
	}
	panic("not a key type")
}

func qsHasPrefix(a, b qsAV) bool {
	switch x := a.(type) {
	case *types.AttributeValueMemberS:
		return strings.HasPrefix(x.Value, b.(*types.AttributeValueMemberS).Value)
	case *types.AttributeValueMemberB:
		return bytes.HasPrefix(x.Value, b.(*types.AttributeValueMemberB).Value)
	}
	return false
}

// qsKeyOps returns every sort key operator against values v (and w for BETWEEN's upper bound).
func qsKeyOps(v, w qsAV, prefixes bool) []qsKeyOp {
	ops := []qsKeyOp{
		{"EQ", "sk = :v1", types.ComparisonOperatorEq, []qsAV{v}, func(x qsAV) bool { return qsCompareAV(x, v) == 0 }},
		{"LT", "sk < :v1", types.ComparisonOperatorLt, []qsAV{v}, func(x qsAV) bool { return qsCompareAV(x, v) < 0 }},
		{"LE", "sk <= :v1", types.ComparisonOperatorLe, []qsAV{v}, func(x qsAV) bool { return qsCompareAV(x, v) <= 0 }},
		{"GT", "sk > :v1", types.ComparisonOperatorGt, []qsAV{v}, func(x qsAV) bool { return qsCompareAV(x, v) > 0 }},
		{"GE", "sk >= :v1", types.ComparisonOperatorGe, []qsAV{v}, func(x qsAV) bool { return qsCompareAV(x, v) >= 0 }},
		{"GT-flipped", ":v1 < sk", types.ComparisonOperatorGt, []qsAV{v}, func(x qsAV) bool { return qsCompareAV(x, v) > 0 }},
		{"LE-flipped", ":v1 >= sk", types.ComparisonOperatorLe, []qsAV{v}, func(x qsAV) bool { return qsCompareAV(x, v) <= 0 }},
		{"BETWEEN", "sk BETWEEN :v1 AND :v2", types.ComparisonOperatorBetween, []qsAV{v, w}, func(x qsAV) bool {
			return qsCompareAV(x, v) >= 0 && qsCompareAV(x, w) <= 0
		}},
	}
	if prefixes {
		ops = append(ops, qsKeyOp{"BEGINS_WITH", "begins_with(sk, :v1)", types.ComparisonOperatorBeginsWith, []qsAV{v}, func(x qsAV) bool { return qsHasPrefix(x, v) }})
	}
	return ops
}

// qsCheckSortOrder loads values into one partition of table (sort key of
// the values' type) and checks every operator, both directions, with and
// without paging, in expression and legacy form. stored[i] is what values[i]
// must read back as (nil: the same); the expected order comes from the
// standard library's comparisons (qsCompareAV), never from the store's.
func qsCheckSortOrder(t *testing.T, ts *testServer, table string, values, stored []qsAV, probes [][2]qsAV, prefixes bool) {
	if stored == nil {
		stored = values
	}
	for i, v := range values {
		qsPut(t, ts, table, qsItem{"pk": qsS("p"), "sk": v, "i": qsN(fmt.Sprint(i))})
		qsPut(t, ts, table, qsItem{"pk": qsS("other"), "sk": v})
	}
	// The expected items in sort key order: the stored sort key and i.
	order := make([]int, len(stored))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return qsCompareAV(stored[a], stored[b]) })
	line := func(i int) string { return avText(stored[i]) + " i=" + strconv.Itoa(i) }
	for _, pr := range probes {
		for _, op := range qsKeyOps(pr[0], pr[1], prefixes) {
			var want []string
			for _, i := range order {
				if op.match(stored[i]) {
					want = append(want, line(i))
				}
			}
			for _, forward := range []bool{true, false} {
				exp := slices.Clone(want)
				if !forward {
					slices.Reverse(exp)
				}
				vals := map[string]qsAV{":p": qsS("p"), ":v1": op.vals[0]}
				if len(op.vals) > 1 {
					vals[":v2"] = op.vals[1]
				}
				for _, limit := range []int32{0, 1, 3} {
					in := dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :p AND " + op.expr),
						ExpressionAttributeValues: vals, ScanIndexForward: aws.Bool(forward), ConsistentRead: aws.Bool(true)}
					if limit > 0 {
						in.Limit = aws.Int32(limit)
					}
					items, _ := qsQueryAll(t, ts, in)
					if got := qsSortKeyLines(items); !slices.Equal(got, exp) && !(len(got) == 0 && len(exp) == 0) {
						t.Fatalf("%s %s %v forward=%v limit=%d:\n got %v\nwant %v", table, op.name, op.vals, forward, limit, got, exp)
					}
				}
				legacy := dynamodb.QueryInput{TableName: aws.String(table), ScanIndexForward: aws.Bool(forward),
					KeyConditions: map[string]types.Condition{
						"pk": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []qsAV{qsS("p")}},
						"sk": {ComparisonOperator: op.op, AttributeValueList: op.vals},
					}}
				items, _ := qsQueryAll(t, ts, legacy)
				if got := qsSortKeyLines(items); !slices.Equal(got, exp) && !(len(got) == 0 && len(exp) == 0) {
					t.Fatalf("%s legacy %s %v forward=%v:\n got %v\nwant %v", table, op.name, op.vals, forward, got, exp)
				}
			}
		}
	}
	// The whole partition, both ways.
	var all []string
	for _, i := range order {
		all = append(all, line(i))
	}
	items, _ := qsQueryAll(t, ts, dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]qsAV{":p": qsS("p")}})
	if got := qsSortKeyLines(items); !slices.Equal(got, all) {
		t.Fatalf("%s all:\n got %v\nwant %v", table, got, all)
	}
	items, _ = qsQueryAll(t, ts, dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]qsAV{":p": qsS("p")}, ScanIndexForward: aws.Bool(false), Limit: aws.Int32(2)})
	slices.Reverse(all)
	if got := qsSortKeyLines(items); !slices.Equal(got, all) {
		t.Fatalf("%s all reversed:\n got %v\nwant %v", table, got, all)
	}
}

func TestQuerySortKeyNumbers(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "qnum", []string{"pk:S", "sk:N"})
	// Each number as written and as it must come back (DynamoDB drops
	// exponents and insignificant zeros), in ascending order.
	tiny := "0." + strings.Repeat("0", 129) + "1" // 1E-130
	huge := "99999999999999999999999999999999999999" + strings.Repeat("0", 88)
	cases := [][2]string{
		{"-9.9999999999999999999999999999999999999E+125", "-" + huge},
		{"-1E+10", "-10000000000"},
		{"-100.250", "-100.25"},
		{"-7.5", "-7.5"},
		{"-1", "-1"},
		{"-0.9", "-0.9"},
		{"-0.01", "-0.01"},
		{"-1E-3", "-0.001"},
		{"-1E-130", "-" + tiny},
		{"0", "0"},
		{"1E-130", tiny},
		{"0.001", "0.001"},
		{"0.01", "0.01"},
		{"0.5", "0.5"},
		{"1", "1"},
		{"1.50", "1.5"},
		{"2", "2"},
		{"3.14159", "3.14159"},
		{"9", "9"},
		{"9.1", "9.1"},
		{"10", "10"},
		{"1.01E1", "10.1"},
		{"99.1", "99.1"},
		{"1E2", "100"},
		{"1000000000000000000000", "1000000000000000000000"},
		{"12345678901234567890123456789012345678", "12345678901234567890123456789012345678"},
	}
	var values, stored []qsAV
	for _, c := range cases {
		values = append(values, qsN(c[0]))
		stored = append(stored, qsN(c[1]))
	}
	if !slices.IsSortedFunc(stored, qsCompareAV) {
		t.Fatal("the cases are not in ascending order")
	}
	probes := [][2]qsAV{{qsN("1"), qsN("10")}, {qsN("-0.5"), qsN("0.5")}, {qsN("0"), qsN("0")}, {qsN("-100.25"), qsN("-1")}, {qsN("1000"), qsN("1E+30")}}
	qsCheckSortOrder(t, ts, "qnum", values, stored, probes, false)
}

func TestQuerySortKeyStrings(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "qstr", []string{"pk:S", "sk:S"})
	var values []qsAV
	for _, s := range []string{"a", "aa", "ab", "abc", "abd", "b", "B", "A", "10", "2", "1", "ü", "ünï", "z", "a b", "a\x7f", "a\u0001", "~", "ab\u00ff", "日本"} {
		values = append(values, qsS(s))
	}
	probes := [][2]qsAV{{qsS("a"), qsS("ab")}, {qsS("ab"), qsS("b")}, {qsS("ü"), qsS("日本")}, {qsS("0"), qsS("1")}, {qsS("abz"), qsS("z")}}
	qsCheckSortOrder(t, ts, "qstr", values, nil, probes, true)
}

func TestQuerySortKeyBinary(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "qbin", []string{"pk:S", "sk:B"})
	var values []qsAV
	for _, b := range [][]byte{{0x00}, {0x00, 0x00}, {0x00, 0x01}, {0x00, 0xff}, {0x01}, {0x10, 0x20}, {0x7f}, {0x80}, {0x80, 0x00},
		{0xfe, 0xff}, {0xff}, {0xff, 0x00}, {0xff, 0xff}, {0xff, 0xff, 0xff}, []byte("abc")} {
		values = append(values, qsB(b))
	}
	probes := [][2]qsAV{{qsB([]byte{0x00}), qsB([]byte{0x01})}, {qsB([]byte{0xff}), qsB([]byte{0xff, 0xff, 0xff})},
		{qsB([]byte{0x80}), qsB([]byte{0xfe})}, {qsB([]byte{0x00, 0x00}), qsB([]byte{0x7f})}}
	qsCheckSortOrder(t, ts, "qbin", values, nil, probes, true)
}

func TestQueryHashOnlyAndEmpty(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "qhash", []string{"pk:N"})
	qsPut(t, ts, "qhash", qsItem{"pk": qsN("1.5"), "x": qsS("a")})
	qsPut(t, ts, "qhash", qsItem{"pk": qsN("2"), "x": qsS("b")})
	out := qsQuery(t, ts, dynamodb.QueryInput{TableName: aws.String("qhash"), KeyConditionExpression: aws.String(":v = #k"),
		ExpressionAttributeNames: map[string]string{"#k": "pk"}, ExpressionAttributeValues: map[string]qsAV{":v": qsN("1.50")}})
	qsWantItems(t, out.Items, []qsItem{{"pk": qsN("1.5"), "x": qsS("a")}})
	if out.Count != 1 || out.ScannedCount != 1 || out.LastEvaluatedKey != nil {
		t.Fatalf("got %+v", out)
	}
	// An empty partition: Items is present and empty.
	m := qsRawOK(t, ts, "Query", `{"TableName":"qhash","KeyConditionExpression":"pk = :v","ExpressionAttributeValues":{":v":{"N":"3"}}}`)
	if b, _ := json.Marshal(m); string(b) != `{"Count":0,"Items":[],"ScannedCount":0}` {
		t.Fatalf("empty query: %s", b)
	}
	// Limit reached on the last item still gives a LastEvaluatedKey; the
	// next page is empty and has none.
	out = qsQuery(t, ts, dynamodb.QueryInput{TableName: aws.String("qhash"), KeyConditions: map[string]types.Condition{
		"pk": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []qsAV{qsN("2")}}}, Limit: aws.Int32(1)})
	if itemText(out.LastEvaluatedKey) != `{pk=N:2}` {
		t.Fatalf("LastEvaluatedKey %s", itemText(out.LastEvaluatedKey))
	}
	out = qsQuery(t, ts, dynamodb.QueryInput{TableName: aws.String("qhash"), KeyConditions: map[string]types.Condition{
		"pk": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []qsAV{qsN("2")}}}, Limit: aws.Int32(1),
		ExclusiveStartKey: out.LastEvaluatedKey})
	if out.Count != 0 || out.LastEvaluatedKey != nil {
		t.Fatalf("after the end: %+v", out)
	}
}

func TestQueryPaging(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "qpage", []string{"pk:S", "sk:N"})
	for i := 0; i < 20; i++ {
		qsPut(t, ts, "qpage", qsItem{"pk": qsS("p"), "sk": qsN(fmt.Sprint(i)), "odd": &types.AttributeValueMemberBOOL{Value: i%2 == 1}})
	}
	base := dynamodb.QueryInput{TableName: aws.String("qpage"), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]qsAV{":p": qsS("p")}}
	for _, limit := range []int32{1, 2, 3, 7, 10, 19, 20, 21, 100} {
		for _, forward := range []bool{true, false} {
			in := base
			in.Limit = aws.Int32(limit)
			in.ScanIndexForward = aws.Bool(forward)
			items, pages := qsQueryAll(t, ts, in)
			if len(items) != 20 {
				t.Fatalf("limit %d: %d items", limit, len(items))
			}
			// DynamoDB returns a LastEvaluatedKey whenever a page stops at
			// Limit, so 20 items in pages of 20 take two requests.
			wantPages := 20/int(limit) + 1
			if limit > 20 {
				wantPages = 1
			}
			if pages != wantPages {
				t.Fatalf("limit %d: %d pages, want %d", limit, pages, wantPages)
			}
			for i, it := range items {
				want := i
				if !forward {
					want = 19 - i
				}
				if avText(it["sk"]) != fmt.Sprintf("N:%d", want) {
					t.Fatalf("limit %d forward %v: item %d is %s", limit, forward, i, itemText(it))
				}
			}
		}
	}
	// LastEvaluatedKey is the key of the last item read, and a filter
	// does not change where the page ends.
	in := base
	in.Limit = aws.Int32(5)
	in.FilterExpression = aws.String("#o = :t")
	in.ExpressionAttributeNames = map[string]string{"#o": "odd"}
	in.ExpressionAttributeValues = map[string]qsAV{":p": qsS("p"), ":t": &types.AttributeValueMemberBOOL{Value: true}}
	out := qsQuery(t, ts, in)
	if out.Count != 2 || out.ScannedCount != 5 || itemText(out.LastEvaluatedKey) != `{pk=S:"p" sk=N:4}` {
		t.Fatalf("filtered page: Count %d ScannedCount %d LEK %s", out.Count, out.ScannedCount, itemText(out.LastEvaluatedKey))
	}
	in.ExclusiveStartKey = out.LastEvaluatedKey
	in.ScanIndexForward = aws.Bool(false)
	out = qsQuery(t, ts, in)
	if got := qsSortKeys(out.Items, "sk"); !slices.Equal(got, []string{"N:3", "N:1"}) || out.ScannedCount != 4 || out.LastEvaluatedKey != nil {
		t.Fatalf("reverse from ESK: %v ScannedCount %d LEK %v", got, out.ScannedCount, out.LastEvaluatedKey)
	}
	// Select=COUNT with Limit keeps the LastEvaluatedKey.
	in = base
	in.Select = types.SelectCount
	in.Limit = aws.Int32(4)
	out = qsQuery(t, ts, in)
	if out.Items != nil || out.Count != 4 || itemText(out.LastEvaluatedKey) != `{pk=S:"p" sk=N:3}` {
		t.Fatalf("COUNT page: %+v", out)
	}
}

// qsBigItem returns an item of partition "p", sort key i, whose size is
// exactly size bytes.
func qsBigItem(t testing.TB, i, size int) (qsItem, int) {
	t.Helper()
	it := ddb.Item{"pk": ddb.S("p"), "sk": ddb.N(fmt.Sprint(i)), "d": ddb.S("")}
	pad := size - ddb.ItemSize(it)
	if pad < 0 {
		t.Fatalf("size %d too small", size)
	}
	d := strings.Repeat("x", pad)
	it["d"] = ddb.S(d)
	return qsItem{"pk": qsS("p"), "sk": qsN(fmt.Sprint(i)), "d": qsS(d)}, ddb.ItemSize(it)
}

func TestQueryPageSize(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "qbig", []string{"pk:S", "sk:N"})
	// 25 items of about 100 KB: a page holds the items read until the
	// total of their page sizes reaches 1 MB, the item that crosses
	// included; capacity counts their item sizes.
	var sizes, pages []int
	for i := 0; i < 25; i++ {
		it, sz := qsBigItem(t, i, 100000+i*7)
		qsPut(t, ts, "qbig", it)
		sizes = append(sizes, sz)
		d := it["d"].(*types.AttributeValueMemberS).Value
		pages = append(pages, ddb.PageSize(ddb.Item{"pk": ddb.S("p"), "sk": ddb.N(fmt.Sprint(i)), "d": ddb.S(d)}, "sk"))
	}
	var wantPages [][2]int // first and last item of each page
	for first := 0; first < len(sizes); {
		sum, last := 0, first
		for ; last < len(sizes); last++ {
			sum += pages[last]
			if sum >= 1<<20 {
				break
			}
		}
		if last == len(sizes) {
			last--
		}
		wantPages = append(wantPages, [2]int{first, last})
		first = last + 1
	}
	in := dynamodb.QueryInput{TableName: aws.String("qbig"), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]qsAV{":p": qsS("p")}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal}
	for pi, wp := range wantPages {
		out := qsQuery(t, ts, in)
		n := wp[1] - wp[0] + 1
		if int(out.Count) != n || int(out.ScannedCount) != n {
			t.Fatalf("page %d: Count %d ScannedCount %d, want %d", pi, out.Count, out.ScannedCount, n)
		}
		if got := avText(out.Items[0]["sk"]); got != fmt.Sprintf("N:%d", wp[0]) {
			t.Fatalf("page %d starts at %s", pi, got)
		}
		sum := 0
		for i := wp[0]; i <= wp[1]; i++ {
			sum += sizes[i]
		}
		if want := float64((sum+4095)/4096) / 2; *out.ConsumedCapacity.CapacityUnits != want {
			t.Fatalf("page %d: capacity %v, want %v", pi, *out.ConsumedCapacity.CapacityUnits, want)
		}
		last := pi == len(wantPages)-1
		if last != (out.LastEvaluatedKey == nil) {
			t.Fatalf("page %d: LastEvaluatedKey %v", pi, out.LastEvaluatedKey)
		}
		if !last {
			if got := itemText(out.LastEvaluatedKey); got != fmt.Sprintf(`{pk=S:"p" sk=N:%d}`, wp[1]) {
				t.Fatalf("page %d: LastEvaluatedKey %s", pi, got)
			}
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if len(wantPages) != 3 {
		t.Fatalf("expected 3 pages, computed %v", wantPages)
	}
}

func TestQueryPageSizeBoundary(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "qedge", []string{"pk:S", "sk:N"})
	// Items whose page sizes (ddb.PageSize) add up to exactly 1 MB: the
	// page ends there. With the fourth one byte smaller the total stays
	// under 1 MB and the page goes on to the fifth item. Capacity counts
	// item sizes, not page sizes.
	pageOf := func(it qsItem) (int, int) {
		d := it["d"].(*types.AttributeValueMemberS).Value
		sk := it["sk"].(*types.AttributeValueMemberN).Value
		di := ddb.Item{"pk": ddb.S("p"), "sk": ddb.N(sk), "d": ddb.S(d)}
		return ddb.PageSize(di, "sk"), ddb.ItemSize(di)
	}
	sum, sizes := 0, 0
	for i := 0; i < 6; i++ {
		if i == 3 {
			continue
		}
		it, _ := qsBigItem(t, i, 250000)
		qsPut(t, ts, "qedge", it)
		if i < 3 {
			p, sz := pageOf(it)
			sum, sizes = sum+p, sizes+sz
		}
	}
	// fourth returns the item 3 whose page size is want.
	fourth := func(want int) (qsItem, int) {
		// Page sizes grow with the item size: the smallest item that
		// reaches want.
		lo, hi := 200000, 300000
		for lo < hi {
			mid := (lo + hi) / 2
			if it, _ := qsBigItem(t, 3, mid); func() bool { p, _ := pageOf(it); return p >= want }() {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		it, _ := qsBigItem(t, 3, lo)
		p, sz := pageOf(it)
		if p != want {
			t.Fatalf("no item of page size %d (%d)", want, p)
		}
		return it, sz
	}
	in := dynamodb.QueryInput{TableName: aws.String("qedge"), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]qsAV{":p": qsS("p")}, Select: types.SelectCount, ConsistentRead: aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes}
	it, sz := fourth(1<<20 - sum)
	qsPut(t, ts, "qedge", it)
	out := qsQuery(t, ts, in)
	if want := float64((sizes + sz + 4095) / 4096); out.Count != 4 || itemText(out.LastEvaluatedKey) != `{pk=S:"p" sk=N:3}` ||
		*out.ConsumedCapacity.CapacityUnits != want || *out.ConsumedCapacity.Table.CapacityUnits != want {
		t.Fatalf("exact 1 MB: Count %d LEK %s capacity %v, want %v", out.Count, itemText(out.LastEvaluatedKey), *out.ConsumedCapacity.CapacityUnits, want)
	}
	it, _ = fourth(1<<20 - sum - 1)
	qsPut(t, ts, "qedge", it)
	out = qsQuery(t, ts, in)
	if out.Count != 5 || itemText(out.LastEvaluatedKey) != `{pk=S:"p" sk=N:4}` {
		t.Fatalf("1 MB - 1: Count %d LEK %s", out.Count, itemText(out.LastEvaluatedKey))
	}
	// A filter that matches nothing does not make the page longer.
	in.FilterExpression = aws.String("attribute_exists(nothing)")
	out = qsQuery(t, ts, in)
	if out.Count != 0 || out.ScannedCount != 5 || out.LastEvaluatedKey == nil {
		t.Fatalf("filtered: %+v", out)
	}
}

func TestQueryFiltersAndCounts(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "qfilt", []string{"pk:S", "sk:N"})
	for i := 0; i < 10; i++ {
		it := qsItem{"pk": qsS("p"), "sk": qsN(fmt.Sprint(i)), "n": qsN(fmt.Sprint(i % 4)),
			"m": &types.AttributeValueMemberM{Value: qsItem{"tag": qsS(fmt.Sprintf("t%d", i%3))}}}
		if i%2 == 0 {
			it["even"] = qsS("yes")
		}
		qsPut(t, ts, "qfilt", it)
	}
	qsPut(t, ts, "qfilt", qsItem{"pk": qsS("q"), "sk": qsN("0"), "n": qsN("1")})
	kc := map[string]types.Condition{"pk": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []qsAV{qsS("p")}}}
	cases := []struct {
		name string
		in   dynamodb.QueryInput
		want []string
	}{
		{"expr", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), FilterExpression: aws.String("n = :one"),
			ExpressionAttributeValues: map[string]qsAV{":p": qsS("p"), ":one": qsN("1")}}, []string{"N:1", "N:5", "N:9"}},
		{"nested", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk > :s"), FilterExpression: aws.String("m.tag IN (:a, :b) AND attribute_exists(even)"),
			ExpressionAttributeValues: map[string]qsAV{":p": qsS("p"), ":s": qsN("2"), ":a": qsS("t0"), ":b": qsS("t1")}}, []string{"N:4", "N:6"}},
		{"legacy-and", dynamodb.QueryInput{KeyConditions: kc, QueryFilter: map[string]types.Condition{
			"n":    {ComparisonOperator: types.ComparisonOperatorGe, AttributeValueList: []qsAV{qsN("2")}},
			"even": {ComparisonOperator: types.ComparisonOperatorNotNull}}}, []string{"N:2", "N:6"}},
		{"legacy-or", dynamodb.QueryInput{KeyConditions: kc, ConditionalOperator: types.ConditionalOperatorOr, QueryFilter: map[string]types.Condition{
			"n":    {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []qsAV{qsN("3")}},
			"even": {ComparisonOperator: types.ComparisonOperatorNotNull}}}, []string{"N:0", "N:2", "N:3", "N:4", "N:6", "N:7", "N:8"}},
		{"keyconditions-with-filter-expression", dynamodb.QueryInput{KeyConditions: kc, FilterExpression: aws.String("n BETWEEN :a AND :b"),
			ExpressionAttributeValues: map[string]qsAV{":a": qsN("2"), ":b": qsN("3")}}, []string{"N:2", "N:3", "N:6", "N:7"}},
	}
	for _, c := range cases {
		in := c.in
		in.TableName = aws.String("qfilt")
		out := qsQuery(t, ts, in)
		if got := qsSortKeys(out.Items, "sk"); !slices.Equal(got, c.want) {
			t.Fatalf("%s: got %v want %v", c.name, got, c.want)
		}
		if int(out.Count) != len(c.want) {
			t.Fatalf("%s: Count %d", c.name, out.Count)
		}
		scanned := int32(10)
		if c.name == "nested" {
			scanned = 7
		}
		if out.ScannedCount != scanned {
			t.Fatalf("%s: ScannedCount %d", c.name, out.ScannedCount)
		}
		in.Select = types.SelectCount
		out = qsQuery(t, ts, in)
		if out.Items != nil || int(out.Count) != len(c.want) || out.ScannedCount != scanned {
			t.Fatalf("%s COUNT: %+v", c.name, out)
		}
	}
}

func TestQueryProjections(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "qproj", []string{"pk:S", "sk:S"})
	qsPut(t, ts, "qproj", qsItem{"pk": qsS("p"), "sk": qsS("1"), "b": qsS("b1"),
		"e": &types.AttributeValueMemberM{Value: qsItem{"a": qsS("ea"), "d": qsS("ed"), "z": qsS("ez")}},
		"f": &types.AttributeValueMemberL{Value: []qsAV{qsS("f0"), qsS("f1"), qsS("f2")}}})
	qsPut(t, ts, "qproj", qsItem{"pk": qsS("p"), "sk": qsS("2"), "b": qsS("b2")})
	qsPut(t, ts, "qproj", qsItem{"pk": qsS("p"), "sk": qsS("3"), "d": qsS("d3")})
	base := dynamodb.QueryInput{TableName: aws.String("qproj"), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]qsAV{":p": qsS("p")}}
	in := base
	in.ProjectionExpression = aws.String("f[2], #f[0], e.d, e.#a, d")
	in.ExpressionAttributeNames = map[string]string{"#f": "f", "#a": "a"}
	out := qsQuery(t, ts, in)
	qsWantItems(t, out.Items, []qsItem{
		{"e": &types.AttributeValueMemberM{Value: qsItem{"a": qsS("ea"), "d": qsS("ed")}}, "f": &types.AttributeValueMemberL{Value: []qsAV{qsS("f0"), qsS("f2")}}},
		{},
		{"d": qsS("d3")},
	})
	in = base
	in.ProjectionExpression = aws.String("sk, b")
	in.Select = types.SelectSpecificAttributes
	out = qsQuery(t, ts, in)
	qsWantItems(t, out.Items, []qsItem{{"sk": qsS("1"), "b": qsS("b1")}, {"sk": qsS("2"), "b": qsS("b2")}, {"sk": qsS("3")}})
	legacy := dynamodb.QueryInput{TableName: aws.String("qproj"), AttributesToGet: []string{"b", "d"},
		KeyConditions: map[string]types.Condition{"pk": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []qsAV{qsS("p")}}}}
	out = qsQuery(t, ts, legacy)
	qsWantItems(t, out.Items, []qsItem{{"b": qsS("b1")}, {"b": qsS("b2")}, {"d": qsS("d3")}})
	in = base
	in.Select = types.SelectAllAttributes
	out = qsQuery(t, ts, in)
	if len(out.Items) != 3 || len(out.Items[0]) != 5 {
		t.Fatalf("ALL_ATTRIBUTES: %s", qsItemsText(out.Items))
	}
}

// qsIndexTable creates "qidx": pk S, sk S, with local indexes lsiall
// (pk, c, ALL) and lsiinc (pk, d, INCLUDE c), and global indexes gall
// (c, ALL) and ginc (c, d, INCLUDE e).
func qsIndexTable(t testing.TB, ts *testServer, name string) {
	t.Helper()
	itemsCreateTable(t, ts, name, []string{"pk:S", "sk:S"}, func(in *dynamodb.CreateTableInput) {
		qsAttr(in, "c", "S")
		qsAttr(in, "d", "S")
		in.LocalSecondaryIndexes = []types.LocalSecondaryIndex{
			{IndexName: aws.String("lsiall"), KeySchema: qsKeySchema("pk", "c"), Projection: qsProjection(types.ProjectionTypeAll)},
			{IndexName: aws.String("lsiinc"), KeySchema: qsKeySchema("pk", "d"), Projection: qsProjection(types.ProjectionTypeInclude, "c")},
		}
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{
			{IndexName: aws.String("gall"), KeySchema: qsKeySchema("c"), Projection: qsProjection(types.ProjectionTypeAll)},
			{IndexName: aws.String("ginc"), KeySchema: qsKeySchema("c", "d"), Projection: qsProjection(types.ProjectionTypeInclude, "e")},
		}
	})
}

func TestQueryGlobalIndex(t *testing.T) {
	ts := newTestServer(t)
	qsIndexTable(t, ts, "qidx")
	items := []qsItem{
		{"pk": qsS("a"), "sk": qsS("a"), "c": qsS("C"), "d": qsS("f"), "e": qsS("e1"), "f": qsS("f1")},
		{"pk": qsS("b"), "sk": qsS("b"), "c": qsS("C"), "d": qsS("a"), "e": qsS("e2"), "f": qsS("f2")},
		{"pk": qsS("c"), "sk": qsS("e"), "c": qsS("C"), "d": qsS("b")},
		{"pk": qsS("c"), "sk": qsS("d"), "c": qsS("C"), "d": qsS("c")},
		{"pk": qsS("c"), "sk": qsS("c"), "c": qsS("other"), "d": qsS("d")},
		{"pk": qsS("d"), "sk": qsS("a"), "c": qsS("C"), "d": qsS("b")}, // same index key as c/e
		{"pk": qsS("e"), "sk": qsS("a"), "c": qsS("C")},                // no d: not in ginc
		{"pk": qsS("f"), "sk": qsS("a"), "d": qsS("a")},                // no c: in no global index
		{"pk": qsS("g"), "sk": qsS("a"), "c": qsS("C"), "d": qsS("b")}, // same index key again
	}
	for _, it := range items {
		qsPut(t, ts, "qidx", it)
	}
	q := func(in dynamodb.QueryInput) dynamodb.QueryInput {
		in.TableName = aws.String("qidx")
		return in
	}
	// Range global index: ordered by d, then by the table key; sparse.
	in := q(dynamodb.QueryInput{IndexName: aws.String("ginc"), KeyConditionExpression: aws.String("c = :c"),
		ExpressionAttributeValues: map[string]qsAV{":c": qsS("C")}})
	got, _ := qsQueryAll(t, ts, in)
	qsWantItems(t, got, []qsItem{
		{"pk": qsS("b"), "sk": qsS("b"), "c": qsS("C"), "d": qsS("a"), "e": qsS("e2")},
		{"pk": qsS("c"), "sk": qsS("e"), "c": qsS("C"), "d": qsS("b")},
		{"pk": qsS("d"), "sk": qsS("a"), "c": qsS("C"), "d": qsS("b")},
		{"pk": qsS("g"), "sk": qsS("a"), "c": qsS("C"), "d": qsS("b")},
		{"pk": qsS("c"), "sk": qsS("d"), "c": qsS("C"), "d": qsS("c")},
		{"pk": qsS("a"), "sk": qsS("a"), "c": qsS("C"), "d": qsS("f"), "e": qsS("e1")},
	})
	// Paging one by one through duplicate index keys, both ways; the
	// LastEvaluatedKey holds the index key and the table key.
	for _, forward := range []bool{true, false} {
		in.Limit = aws.Int32(1)
		in.ScanIndexForward = aws.Bool(forward)
		in.ExclusiveStartKey = nil
		out := qsQuery(t, ts, in)
		wantLEK := `{c=S:"C" d=S:"a" pk=S:"b" sk=S:"b"}`
		if !forward {
			wantLEK = `{c=S:"C" d=S:"f" pk=S:"a" sk=S:"a"}`
		}
		if g := itemText(out.LastEvaluatedKey); g != wantLEK {
			t.Fatalf("forward=%v LEK %s", forward, g)
		}
		paged, pages := qsQueryAll(t, ts, in)
		want := slices.Clone(got)
		if !forward {
			slices.Reverse(want)
		}
		qsWantItems(t, paged, want)
		if pages != 7 {
			t.Fatalf("pages %d", pages)
		}
	}
	// Sort key condition on the index, and a filter on a projected attribute.
	out := qsQuery(t, ts, q(dynamodb.QueryInput{IndexName: aws.String("ginc"), KeyConditionExpression: aws.String("c = :c AND d BETWEEN :x AND :y"),
		FilterExpression: aws.String("pk <> :g"), ExpressionAttributeValues: map[string]qsAV{":c": qsS("C"), ":x": qsS("b"), ":y": qsS("c"), ":g": qsS("g")}}))
	if got := qsSortKeys(out.Items, "pk"); !slices.Equal(got, []string{`S:"c"`, `S:"d"`, `S:"c"`}) || out.ScannedCount != 4 {
		t.Fatalf("range condition on index: %v scanned %d", got, out.ScannedCount)
	}
	// Hash-only ALL index: whole items, ordered by table key.
	all, _ := qsQueryAll(t, ts, q(dynamodb.QueryInput{IndexName: aws.String("gall"), KeyConditionExpression: aws.String("c = :c"),
		ExpressionAttributeValues: map[string]qsAV{":c": qsS("C")}, Limit: aws.Int32(2)}))
	if len(all) != 7 || len(all[0]) != 6 {
		t.Fatalf("gall: %s", qsItemsText(all))
	}
	// A projection of an attribute the index does not hold is refused
	// (DynamoDB, localstack#478).
	bad := q(dynamodb.QueryInput{IndexName: aws.String("ginc"), KeyConditionExpression: aws.String("c = :c AND d = :d"),
		ProjectionExpression: aws.String("pk, e, f"), ExpressionAttributeValues: map[string]qsAV{":c": qsS("C"), ":d": qsS("f")}})
	_, err := ts.Client.Query(bg, &bad)
	wantErr(t, err, "ValidationException", "One or more parameter values were invalid: Global secondary index ginc does not project [f]")
	out = qsQuery(t, ts, q(dynamodb.QueryInput{IndexName: aws.String("ginc"), KeyConditionExpression: aws.String("c = :c AND d = :d"),
		ProjectionExpression: aws.String("pk, e"), ExpressionAttributeValues: map[string]qsAV{":c": qsS("C"), ":d": qsS("f")}}))
	qsWantItems(t, out.Items, []qsItem{{"pk": qsS("a"), "e": qsS("e1")}})

	// Index maintenance: update, overwrite and delete are visible.
	if _, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("qidx"), Key: qsItem{"pk": qsS("a"), "sk": qsS("a")},
		UpdateExpression: aws.String("SET d = :d"), ExpressionAttributeValues: map[string]qsAV{":d": qsS("0")}}); err != nil {
		t.Fatal(err)
	}
	qsPut(t, ts, "qidx", qsItem{"pk": qsS("b"), "sk": qsS("b"), "c": qsS("other")})
	if _, err := ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("qidx"), Key: qsItem{"pk": qsS("g"), "sk": qsS("a")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("qidx"), Key: qsItem{"pk": qsS("e"), "sk": qsS("a")},
		UpdateExpression: aws.String("SET d = :d"), ExpressionAttributeValues: map[string]qsAV{":d": qsS("z")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("qidx"), Key: qsItem{"pk": qsS("c"), "sk": qsS("d")},
		UpdateExpression: aws.String("REMOVE c")}); err != nil {
		t.Fatal(err)
	}
	in = q(dynamodb.QueryInput{IndexName: aws.String("ginc"), KeyConditionExpression: aws.String("c = :c"),
		ExpressionAttributeValues: map[string]qsAV{":c": qsS("C")}, ProjectionExpression: aws.String("pk, d")})
	got, _ = qsQueryAll(t, ts, in)
	qsWantItems(t, got, []qsItem{
		{"pk": qsS("a"), "d": qsS("0")},
		{"pk": qsS("c"), "d": qsS("b")},
		{"pk": qsS("d"), "d": qsS("b")},
		{"pk": qsS("e"), "d": qsS("z")},
	})
	got, _ = qsQueryAll(t, ts, q(dynamodb.QueryInput{IndexName: aws.String("gall"), KeyConditionExpression: aws.String("c = :c"),
		ExpressionAttributeValues: map[string]qsAV{":c": qsS("other")}, ProjectionExpression: aws.String("pk, sk")}))
	qsWantItems(t, got, []qsItem{{"pk": qsS("b"), "sk": qsS("b")}, {"pk": qsS("c"), "sk": qsS("c")}})
}

func TestQueryLocalIndex(t *testing.T) {
	ts := newTestServer(t)
	qsIndexTable(t, ts, "qlsi")
	items := []qsItem{
		{"pk": qsS("p"), "sk": qsS("1"), "c": qsS("c1"), "d": qsS("d1")},
		{"pk": qsS("p"), "sk": qsS("2")},
		{"pk": qsS("p"), "sk": qsS("3"), "d": qsS("d3"), "e": qsS("e3"), "f": qsS(strings.Repeat("f", 5000))},
		{"pk": qsS("p"), "sk": qsS("4"), "c": qsS("c4"), "d": qsS("d0"), "e": qsS("e4")},
		{"pk": qsS("q"), "sk": qsS("1"), "c": qsS("c1"), "d": qsS("d1")},
	}
	for _, it := range items {
		qsPut(t, ts, "qlsi", it)
	}
	base := dynamodb.QueryInput{TableName: aws.String("qlsi"), IndexName: aws.String("lsiinc"), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]qsAV{":p": qsS("p")}, ConsistentRead: aws.Bool(true)}
	// Default: the projected attributes, in index order.
	out := qsQuery(t, ts, base)
	qsWantItems(t, out.Items, []qsItem{
		{"pk": qsS("p"), "sk": qsS("4"), "c": qsS("c4"), "d": qsS("d0")},
		{"pk": qsS("p"), "sk": qsS("1"), "c": qsS("c1"), "d": qsS("d1")},
		{"pk": qsS("p"), "sk": qsS("3"), "d": qsS("d3")},
	})
	// Explicit ALL_PROJECTED_ATTRIBUTES is the default.
	in := base
	in.Select = types.SelectAllProjectedAttributes
	if again := qsQuery(t, ts, in); qsItemsText(again.Items) != qsItemsText(out.Items) {
		t.Fatalf("ALL_PROJECTED_ATTRIBUTES:\n%s", qsItemsText(again.Items))
	}
	// ALL_ATTRIBUTES reads the table's items.
	in = base
	in.Select = types.SelectAllAttributes
	in.Limit = aws.Int32(2)
	out = qsQuery(t, ts, in)
	qsWantItems(t, out.Items, []qsItem{items[3], items[0]})
	if g := itemText(out.LastEvaluatedKey); g != `{d=S:"d1" pk=S:"p" sk=S:"1"}` {
		t.Fatalf("LSI LEK %s", g)
	}
	in.ExclusiveStartKey = out.LastEvaluatedKey
	out = qsQuery(t, ts, in)
	qsWantItems(t, out.Items, []qsItem{items[2]})
	// A projection or a filter naming attributes not in the index too.
	in = base
	in.ProjectionExpression = aws.String("sk, e")
	in.FilterExpression = aws.String("attribute_exists(e) OR c = :c")
	in.ExpressionAttributeValues = map[string]qsAV{":p": qsS("p"), ":c": qsS("c1")}
	out = qsQuery(t, ts, in)
	qsWantItems(t, out.Items, []qsItem{{"sk": qsS("4"), "e": qsS("e4")}, {"sk": qsS("1")}, {"sk": qsS("3"), "e": qsS("e3")}})
	// Range condition on the local index sort key; the table sort key may
	// be filtered on.
	out = qsQuery(t, ts, dynamodb.QueryInput{TableName: aws.String("qlsi"), IndexName: aws.String("lsiinc"),
		KeyConditionExpression: aws.String("pk = :p AND d >= :d"), FilterExpression: aws.String("sk <> :s"),
		ExpressionAttributeValues: map[string]qsAV{":p": qsS("p"), ":d": qsS("d1"), ":s": qsS("3")}})
	qsWantItems(t, out.Items, []qsItem{{"pk": qsS("p"), "sk": qsS("1"), "c": qsS("c1"), "d": qsS("d1")}})
	// An ALL local index with a legacy query, reversed.
	out = qsQuery(t, ts, dynamodb.QueryInput{TableName: aws.String("qlsi"), IndexName: aws.String("lsiall"), ScanIndexForward: aws.Bool(false),
		KeyConditions: map[string]types.Condition{"pk": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []qsAV{qsS("p")}}}})
	qsWantItems(t, out.Items, []qsItem{items[3], items[0]})
}

func TestQueryConsumedCapacity(t *testing.T) {
	ts := newTestServer(t)
	qsIndexTable(t, ts, "qcap")
	var sizes []int
	for i := 0; i < 3; i++ {
		it := ddb.Item{"pk": ddb.S("p"), "sk": ddb.S(fmt.Sprint(i)), "c": ddb.S("c"), "d": ddb.S(fmt.Sprint(i)), "big": ddb.S(strings.Repeat("b", 3000))}
		sizes = append(sizes, ddb.ItemSize(it))
		qsPut(t, ts, "qcap", qsItem{"pk": qsS("p"), "sk": qsS(fmt.Sprint(i)), "c": qsS("c"), "d": qsS(fmt.Sprint(i)), "big": qsS(strings.Repeat("b", 3000))})
	}
	total := sizes[0] + sizes[1] + sizes[2] // about 9 KB: 3 units
	if (total+4095)/4096 != 3 {
		t.Fatalf("sizes %v", sizes)
	}
	type capCase struct {
		name   string
		in     dynamodb.QueryInput
		total  float64
		table  float64
		index  string
		global bool
		units  float64
	}
	kce := aws.String("pk = :p")
	vals := map[string]qsAV{":p": qsS("p")}
	cases := []capCase{
		{name: "table-eventual", in: dynamodb.QueryInput{KeyConditionExpression: kce, ExpressionAttributeValues: vals}, total: 1.5, table: 1.5},
		{name: "table-consistent", in: dynamodb.QueryInput{KeyConditionExpression: kce, ExpressionAttributeValues: vals, ConsistentRead: aws.Bool(true)}, total: 3, table: 3},
		{name: "table-filter-counts-reads", in: dynamodb.QueryInput{KeyConditionExpression: kce, ExpressionAttributeValues: map[string]qsAV{":p": qsS("p"), ":x": qsS("x")},
			FilterExpression: aws.String("c = :x"), ConsistentRead: aws.Bool(true)}, total: 3, table: 3},
		{name: "empty", in: dynamodb.QueryInput{KeyConditionExpression: kce, ExpressionAttributeValues: map[string]qsAV{":p": qsS("none")}}, total: 0.5, table: 0.5},
		{name: "lsi-projected", in: dynamodb.QueryInput{IndexName: aws.String("lsiinc"), KeyConditionExpression: kce, ExpressionAttributeValues: vals, ConsistentRead: aws.Bool(true)},
			total: 1, table: 0, index: "lsiinc", units: 1},
		{name: "lsi-all-attributes", in: dynamodb.QueryInput{IndexName: aws.String("lsiinc"), KeyConditionExpression: kce, ExpressionAttributeValues: vals,
			ConsistentRead: aws.Bool(true), Select: types.SelectAllAttributes}, total: 4, table: 3, index: "lsiinc", units: 1},
		{name: "lsi-all-projection", in: dynamodb.QueryInput{IndexName: aws.String("lsiall"), KeyConditionExpression: kce, ExpressionAttributeValues: vals},
			total: 1.5, table: 0, index: "lsiall", units: 1.5},
		{name: "gsi", in: dynamodb.QueryInput{IndexName: aws.String("ginc"), KeyConditionExpression: aws.String("c = :p"), ExpressionAttributeValues: map[string]qsAV{":p": qsS("c")}},
			total: 0.5, table: 0, index: "ginc", global: true, units: 0.5},
	}
	for _, c := range cases {
		for _, mode := range []types.ReturnConsumedCapacity{types.ReturnConsumedCapacityTotal, types.ReturnConsumedCapacityIndexes, types.ReturnConsumedCapacityNone} {
			in := c.in
			in.TableName = aws.String("qcap")
			in.ReturnConsumedCapacity = mode
			out := qsQuery(t, ts, in)
			cc := out.ConsumedCapacity
			if mode == types.ReturnConsumedCapacityNone {
				if cc != nil {
					t.Fatalf("%s NONE: %+v", c.name, cc)
				}
				continue
			}
			if cc == nil || *cc.TableName != "qcap" || *cc.CapacityUnits != c.total {
				t.Fatalf("%s %s: %+v", c.name, mode, cc)
			}
			if mode == types.ReturnConsumedCapacityTotal {
				if cc.Table != nil || cc.LocalSecondaryIndexes != nil || cc.GlobalSecondaryIndexes != nil {
					t.Fatalf("%s TOTAL has details: %+v", c.name, cc)
				}
				continue
			}
			if cc.Table == nil || *cc.Table.CapacityUnits != c.table {
				t.Fatalf("%s INDEXES table: %+v", c.name, cc.Table)
			}
			idx := cc.LocalSecondaryIndexes
			other := cc.GlobalSecondaryIndexes
			if c.global {
				idx, other = other, idx
			}
			if other != nil || (c.index == "") != (idx == nil) {
				t.Fatalf("%s INDEXES: %+v", c.name, cc)
			}
			if c.index != "" && (len(idx) != 1 || *idx[c.index].CapacityUnits != c.units) {
				t.Fatalf("%s INDEXES index: %+v", c.name, idx)
			}
		}
	}
}

// qsValidationServer creates the tables of the validation tests: vhash
// (a S) and vrange (a S, b S) with local indexes index1 (a, c) ALL and
// index2 (a, d) INCLUDE [c], and global indexes index3 (c) ALL and index4
// (c, d) INCLUDE [e].
func qsValidationServer(t testing.TB) *testServer {
	t.Helper()
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "vhash", []string{"a:S"})
	itemsCreateTable(t, ts, "vrange", []string{"a:S", "b:S"}, func(in *dynamodb.CreateTableInput) {
		qsAttr(in, "c", "S")
		qsAttr(in, "d", "S")
		in.LocalSecondaryIndexes = []types.LocalSecondaryIndex{
			{IndexName: aws.String("index1"), KeySchema: qsKeySchema("a", "c"), Projection: qsProjection(types.ProjectionTypeAll)},
			{IndexName: aws.String("index2"), KeySchema: qsKeySchema("a", "d"), Projection: qsProjection(types.ProjectionTypeInclude, "c")},
		}
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{
			{IndexName: aws.String("index3"), KeySchema: qsKeySchema("c"), Projection: qsProjection(types.ProjectionTypeAll)},
			{IndexName: aws.String("index4"), KeySchema: qsKeySchema("c", "d"), Projection: qsProjection(types.ProjectionTypeInclude, "e")},
		}
	})
	return ts
}

type qsValCase struct {
	name, body, code, msg string
}

func qsRunValidation(t *testing.T, ts *testServer, op string, cases []qsValCase) {
	t.Helper()
	for _, c := range cases {
		code, msg := qsRawErr(t, ts, op, c.body)
		want := c.code
		if want == "" {
			want = "ValidationException"
		}
		if code != want || msg != c.msg {
			t.Errorf("%s %s:\n got %s %q\nwant %s %q", op, c.name, code, msg, want, c.msg)
		}
	}
}

func TestQueryValidation(t *testing.T) {
	ts := qsValidationServer(t)
	const inv = "One or more parameter values were invalid: "
	kcH := `"KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"x"}}`
	cases := []qsValCase{
		{"no-table", `{}`, "", "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"},
		{"constraints", `{"TableName":"abc;","ReturnConsumedCapacity":"hi","AttributesToGet":[],"IndexName":"abc;","Select":"hi","Limit":-1,` +
			`"KeyConditions":{"a":{},"b":{"ComparisonOperator":""}},"ConditionalOperator":"AN","QueryFilter":{"a":{},"b":{"ComparisonOperator":""}}}`, "",
			"10 validation errors detected: " +
				"Value 'hi' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]; " +
				"Value 'abc;' at 'indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
				"Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; " +
				"Value null at 'queryFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null; " +
				"Value '' at 'queryFilter.b.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]; " +
				"Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
				"Value 'AN' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]; " +
				"Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value at 'Limit' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
				"Value null at 'keyConditions.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null"},
		{"limit-zero", `{"TableName":"vhash","Limit":0,` + kcH + `}`, "",
			"1 validation error detected: Value at 'Limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"select-specific-alone", `{"TableName":"vhash","Select":"SPECIFIC_ATTRIBUTES",` + kcH + `}`, "",
			"1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"},
		{"select-projected-no-index", `{"TableName":"vhash","Select":"ALL_PROJECTED_ATTRIBUTES",` + kcH + `}`, "",
			"1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"},
		{"select-all-projection", `{"TableName":"vhash","Select":"ALL_ATTRIBUTES","ProjectionExpression":"a",` + kcH + `}`, "",
			"1 validation error detected: Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES"},
		{"select-count-projection", `{"TableName":"vrange","IndexName":"index3","Select":"COUNT","ProjectionExpression":"a",` + kcH + `}`, "",
			"1 validation error detected: Cannot specify the ProjectionExpression when choosing to get only the Count"},
		{"select-projected-attributes-to-get", `{"TableName":"vrange","IndexName":"index3","Select":"ALL_PROJECTED_ATTRIBUTES","AttributesToGet":["a"],` +
			`"KeyConditions":{"c":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]}}}`, "",
			"1 validation error detected: Cannot specify the AttributesToGet when choosing to get ALL_PROJECTED_ATTRIBUTES"},
		{"mixed-all", `{"TableName":"abc","ExclusiveStartKey":{"a":{}},"Select":"SPECIFIC_ATTRIBUTES","AttributesToGet":["a","a"],` +
			`"QueryFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"ConditionalOperator":"OR",` +
			`"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"ProjectionExpression":"","FilterExpression":"",` +
			`"KeyConditionExpression":"","ExpressionAttributeNames":{},"ExpressionAttributeValues":{}}`, "",
			"Can not use both expression and non-expression parameters in the same request: Non-expression parameters: " +
				"{AttributesToGet, QueryFilter, ConditionalOperator, KeyConditions} Expression parameters: {ProjectionExpression, FilterExpression, KeyConditionExpression}"},
		{"mixed-without-key-expression", `{"TableName":"abc","QueryFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},` +
			`"AttributesToGet":["a","a"],"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"ConditionalOperator":"OR",` +
			`"FilterExpression":"","ProjectionExpression":"","ExpressionAttributeNames":{},"ExpressionAttributeValues":{}}`, "",
			"Can not use both expression and non-expression parameters in the same request: Non-expression parameters: " +
				"{AttributesToGet, QueryFilter, ConditionalOperator} Expression parameters: {ProjectionExpression, FilterExpression}"},
		{"names-without-expressions", `{"TableName":"abc","AttributesToGet":["a","a"],"ExpressionAttributeNames":{},"ExpressionAttributeValues":{}}`, "",
			"ExpressionAttributeNames can only be specified when using expressions"},
		{"values-without-expressions", `{"TableName":"abc","AttributesToGet":["a","a"],"ExpressionAttributeValues":{}}`, "",
			"ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null"},
		{"query-filter-empty-value", `{"TableName":"abc","ExclusiveStartKey":{"a":{}},"AttributesToGet":["a","a"],` +
			`"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"QueryFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{},{"S":""}]}}}`, "",
			"Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
		{"query-filter-arguments", `{"TableName":"abc","QueryFilter":{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"S":"a"}]}},"KeyConditions":{}}`, "",
			inv + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"},
		{"query-filter-type", `{"TableName":"abc","QueryFilter":{"a":{"ComparisonOperator":"LT","AttributeValueList":[{"BOOL":true}]}},"KeyConditions":{}}`, "",
			inv + "ComparisonOperator LT is not valid for BOOL AttributeValue type"},
		{"attributes-to-get-duplicate", `{"TableName":"abc","QueryFilter":{},"ExclusiveStartKey":{"a":{}},"AttributesToGet":["a","a"]}`, "",
			inv + "Duplicate value in attribute name: a"},
		{"start-key-empty-value", `{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"EQ"}},"ExclusiveStartKey":{"a":{}}}`, "",
			"The provided starting key is invalid: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
		{"start-key-null-false", `{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"EQ"}},"ExclusiveStartKey":{"a":{"NULL":false}}}`, "",
			"The provided starting key is invalid: " + inv + "Null attribute value types must have the value of true"},
		{"start-key-number", `{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"EQ"}},"ExclusiveStartKey":{"a":{"N":"1e126"}}}`, "",
			"Number overflow. Attempting to store a number with magnitude larger than supported range"},
		{"no-key-condition", `{"TableName":"abc"}`, "", "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."},
		{"key-conditions-arguments", `{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"EQ"}}}`, "",
			inv + "Invalid number of argument(s) for the EQ ComparisonOperator"},
		{"key-conditions-mixed-types", `{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"IN","AttributeValueList":[{"S":"b"},{"N":"1"}]}}}`, "",
			inv + "AttributeValues inside AttributeValueList must be of same type"},
		{"key-conditions-between-order", `{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"S":"b"},{"S":"a"}]}}}`, "",
			"The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"},
		{"key-conditions-none", `{"TableName":"abc","KeyConditions":{}}`, "", "Conditions can be of length 1 or 2 only"},
		// Current DynamoDB names the key's size, so the check follows the table
		// lookup (paritysuite/dynamodb-conformance queryKeyConditionOperands;
		// dynalite recorded "Conditions can be of length 1 or 2 only" before it).
		{"key-conditions-three", `{"TableName":"vrange","KeyConditionExpression":":a = a and b = :a and :a = c","ExpressionAttributeValues":{":a":{"S":"a"}}}`, "",
			"The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)"},
		{"empty-names", `{"TableName":"abc","KeyConditionExpression":"","ExpressionAttributeNames":{},"ExpressionAttributeValues":{}}`, "",
			"ExpressionAttributeNames must not be empty"},
		{"empty-key-expression", `{"TableName":"abc","KeyConditionExpression":"","FilterExpression":"","ProjectionExpression":"","ExpressionAttributeValues":{":0":{"S":"b"}}}`, "",
			"Invalid KeyConditionExpression: The expression can not be empty;"},
		{"empty-filter-expression", `{"TableName":"abc","KeyConditionExpression":"attribute_type(a, :a)","FilterExpression":"","ExpressionAttributeValues":{":a":{"S":"N"}}}`, "",
			"Invalid FilterExpression: The expression can not be empty;"},
		{"unused-value", `{"TableName":"abc","KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"a"},":b":{"S":"b"}}}`, "",
			"Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}"},
		{"operator-attribute-type", `{"TableName":"abc","KeyConditionExpression":"attribute_type(a, :a)","ExpressionAttributeValues":{":a":{"S":"S"}}}`, "",
			"Invalid operator used in KeyConditionExpression: attribute_type"},
		{"operator-or", `{"TableName":"abc","KeyConditionExpression":"a > b and size(b) > c or a > c"}`, "", "Invalid operator used in KeyConditionExpression: OR"},
		{"operator-in", `{"TableName":"abc","KeyConditionExpression":"a in (b, size(c), d)"}`, "", "Invalid operator used in KeyConditionExpression: IN"},
		{"operator-exists", `{"TableName":"abc","KeyConditionExpression":"attribute_exists(a)"}`, "", "Invalid operator used in KeyConditionExpression: attribute_exists"},
		{"operator-not-exists", `{"TableName":"abc","KeyConditionExpression":"attribute_not_exists(a)"}`, "", "Invalid operator used in KeyConditionExpression: attribute_not_exists"},
		{"operator-contains", `{"TableName":"abc","KeyConditionExpression":"contains(a.d, b)"}`, "", "Invalid operator used in KeyConditionExpression: contains"},
		{"operator-not", `{"TableName":"abc","KeyConditionExpression":"not a > b"}`, "", "Invalid operator used in KeyConditionExpression: NOT"},
		{"operator-ne", `{"TableName":"abc","KeyConditionExpression":"a <> b"}`, "", "Invalid operator used in KeyConditionExpression: <>"},
		{"between-first-operand", `{"TableName":"abc","KeyConditionExpression":":a between size(b) and size(a) and b > :b","ExpressionAttributeValues":{":a":{"S":"1"},":b":{"S":"1"}}}`, "",
			"Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"},
		{"begins-with-first-operand", `{"TableName":"abc","KeyConditionExpression":"begins_with(:a, b) and a > :b","ExpressionAttributeValues":{":a":{"S":"1"},":b":{"S":"1"}}}`, "",
			"Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"},
		{"nested-operation", `{"TableName":"abc","KeyConditionExpression":"size(b) > a AND a.b > b AND b > c"}`, "", "KeyConditionExpressions cannot contain nested operations"},
		{"nested-operation-operand", `{"TableName":"abc","KeyConditionExpression":"a between size(b) and size(a)"}`, "", "KeyConditionExpressions cannot contain nested operations"},
		{"multiple-names", `{"TableName":"abc","KeyConditionExpression":"b between c[1] and d"}`, "",
			"Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
		{"nested-attribute", `{"TableName":"abc","KeyConditionExpression":"b[0] > a"}`, "", "KeyConditionExpressions cannot have conditions on nested attributes"},
		{"no-key-attribute", `{"TableName":"abc","KeyConditionExpression":":b > :a AND a < :b","ExpressionAttributeValues":{":a":{"N":"1"},":b":{"N":"1"}}}`, "",
			"Invalid condition in KeyConditionExpression: No key attribute specified"},
		{"one-per-key", `{"TableName":"abc","KeyConditionExpression":"b > :a AND b < :a and c = :a and d = :a","ExpressionAttributeValues":{":a":{"N":"1"}}}`, "",
			"Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"},
		{"between-types", `{"TableName":"abc","KeyConditionExpression":"a between :b and :a","ExpressionAttributeValues":{":a":{"S":"a"},":b":{"N":"1"}}}`, "",
			"Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}"},
		{"table-missing", `{"TableName":"abc","KeyConditionExpression":"z = :a","ExpressionAttributeValues":{":a":{"N":"1"}},"ExclusiveStartKey":{"b":{"S":"a"}}}`,
			"ResourceNotFoundException", "Requested resource not found"},
		{"index-missing", `{"TableName":"vhash","IndexName":"whatever","ExclusiveStartKey":{},"KeyConditions":{"z":{"ComparisonOperator":"NULL"}}}`, "",
			"The table does not have the specified index: whatever"},
		{"gsi-consistent", `{"TableName":"vrange","IndexName":"index3","ConsistentRead":true,"ExclusiveStartKey":{},"KeyConditions":{"z":{"ComparisonOperator":"NULL"}}}`, "",
			"Consistent reads are not supported on global secondary indexes"},
		{"start-key-count", `{"TableName":"vrange","ExclusiveStartKey":{"a":{"S":"a"}},"KeyConditionExpression":"z = :a","ExpressionAttributeValues":{":a":{"N":"1"}}}`, "",
			"The provided starting key is invalid"},
		{"start-key-schema", `{"TableName":"vhash","ExclusiveStartKey":{"a":{"N":"1"}},"KeyConditionExpression":"z = :a","ExpressionAttributeValues":{":a":{"N":"1"}}}`, "",
			"The provided key element does not match the schema"},
		{"start-key-index-missing-part", `{"TableName":"vrange","IndexName":"index1","ExclusiveStartKey":{"a":{"S":"a"},"b":{"S":"a"},"z":{"S":"a"}},"KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"b"}}}`, "",
			"The provided starting key is invalid"},
		{"start-key-table-part", `{"TableName":"vrange","IndexName":"index1","ExclusiveStartKey":{"a":{"S":"1"},"b":{"N":"1"},"c":{"S":"a"}},"KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"b"}}}`, "",
			"The provided starting key is invalid: The provided key element does not match the schema"},
		{"missed-hash", `{"TableName":"vrange","KeyConditionExpression":"z between :a and :b","ExpressionAttributeValues":{":a":{"N":"1"},":b":{"N":"1"}}}`, "",
			"Query condition missed key schema element: a"},
		{"missed-global-hash", `{"TableName":"vrange","IndexName":"index3","KeyConditions":{"z":{"ComparisonOperator":"NULL"}}}`, "",
			"Query condition missed key schema element: c"},
		{"missed-range", `{"TableName":"vrange","KeyConditionExpression":"a = :a and c = :b","ExpressionAttributeValues":{":a":{"S":"b"},":b":{"N":"1"}}}`, "",
			"Query condition missed key schema element: b"},
		{"not-indexable", `{"TableName":"vhash","KeyConditions":{"a":{"ComparisonOperator":"NE","AttributeValueList":[{"N":"1"}]}}}`, "",
			"Attempted conditional constraint is not an indexable operation"},
		{"not-indexable-range", `{"TableName":"vrange","KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]},"b":{"ComparisonOperator":"CONTAINS","AttributeValueList":[{"S":"a"}]}}}`, "",
			"Attempted conditional constraint is not an indexable operation"},
		{"param-type", `{"TableName":"vhash","KeyConditionExpression":":a > a","ExpressionAttributeValues":{":a":{"N":"1"}}}`, "",
			inv + "Condition parameter type does not match schema type"},
		{"hash-not-eq", `{"TableName":"vhash","KeyConditionExpression":":a <= a","ExpressionAttributeValues":{":a":{"S":"1"}}}`, "", "Query key condition not supported"},
		{"hash-only-two", `{"TableName":"vhash","KeyConditionExpression":"a = :a AND b = :a","ExpressionAttributeValues":{":a":{"S":"1"}}}`, "", "Query key condition not supported"},
		{"global-begins-with", `{"TableName":"vrange","IndexName":"index3","KeyConditionExpression":"begins_with(c, :a)","ExpressionAttributeValues":{":a":{"S":"1"}}}`, "",
			"Query key condition not supported"},
		{"outside-boundaries", `{"TableName":"vrange","ExclusiveStartKey":{"a":{"S":"a"},"b":{"S":"a"}},"KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"b"}}}`, "",
			"The provided starting key is outside query boundaries based on provided conditions"},
		{"outside-boundaries-global", `{"TableName":"vrange","IndexName":"index3","ExclusiveStartKey":{"a":{"S":"a"},"b":{"S":"a"},"c":{"S":"a"}},"KeyConditionExpression":"c = :a","ExpressionAttributeValues":{":a":{"S":"b"}}}`, "",
			"The provided starting key is outside query boundaries based on provided conditions"},
		{"range-predicate", `{"TableName":"vrange","ExclusiveStartKey":{"a":{"S":"a"},"b":{"S":"a"}},"KeyConditionExpression":"a = :a and b > :a","ExpressionAttributeValues":{":a":{"S":"b"}}}`, "",
			"The provided starting key does not match the range key predicate"},
		{"one-row", `{"TableName":"vrange","ExclusiveStartKey":{"a":{"S":"a"},"b":{"S":"a"}},"KeyConditionExpression":"a = :a and b < :a","ExpressionAttributeValues":{":a":{"S":"b"}}}`, "",
			"The query can return at most one row and cannot be restarted"},
		{"query-filter-hash", `{"TableName":"vhash","KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]}},"QueryFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]}}}`, "",
			"QueryFilter can only contain non-primary key attributes: Primary key attribute: a"},
		{"query-filter-global-range", `{"TableName":"vrange","IndexName":"index4","KeyConditions":{"c":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]}},"QueryFilter":{"d":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]}}}`, "",
			"QueryFilter can only contain non-primary key attributes: Primary key attribute: d"},
		{"filter-expression-range", `{"TableName":"vrange","FilterExpression":"attribute_exists(b.c) AND c = :b","KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"1"},":b":{"N":"1"}}}`, "",
			"Filter Expression can only contain non-primary key attributes: Primary key attribute: b"},
		{"filter-index-key-nested", `{"TableName":"vrange","FilterExpression":"d[1] = :b","KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"1"},":b":{"N":"1"}}}`, "",
			"Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: d"},
		{"projection-key-nested", `{"TableName":"vrange","ProjectionExpression":"b.x","KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"1"}}}`, "",
			"Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: b"},
		{"gsi-all-attributes", `{"TableName":"vrange","IndexName":"index4","Select":"ALL_ATTRIBUTES","ExclusiveStartKey":{"a":{"S":"a"},"b":{"S":"b"},"c":{"S":"a"},"d":{"S":"b"}},` +
			`"KeyConditionExpression":"c = :a","FilterExpression":"a = :b and a.b = :a","ExpressionAttributeValues":{":a":{"S":"a"},":b":{"N":"1"}}}`, "",
			inv + "Select type ALL_ATTRIBUTES is not supported for global secondary index index4 because its projection type is not ALL"},
		{"serialization", `{"TableName":"vhash","Limit":"x"}`, "SerializationException", "STRING_VALUE cannot be converted to Integer"},
	}
	qsRunValidation(t, ts, "Query", cases)

	// The same checks pass the SDK's own validation.
	_, err := ts.Client.Query(bg, &dynamodb.QueryInput{TableName: aws.String("vrange"), IndexName: aws.String("index3"),
		ConsistentRead: aws.Bool(true), KeyConditionExpression: aws.String("c = :c"), ExpressionAttributeValues: map[string]qsAV{":c": qsS("x")}})
	wantErr(t, err, "ValidationException", "Consistent reads are not supported on global secondary indexes")
	_, err = ts.Client.Query(bg, &dynamodb.QueryInput{TableName: aws.String("nope"), KeyConditionExpression: aws.String("c = :c"),
		ExpressionAttributeValues: map[string]qsAV{":c": qsS("x")}})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found")
}

func TestQueryTableArn(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "qarn", []string{"pk:S"})
	qsPut(t, ts, "qarn", qsItem{"pk": qsS("x")})
	desc, err := ts.Client.DescribeTable(bg, &dynamodb.DescribeTableInput{TableName: aws.String("qarn")})
	if err != nil {
		t.Fatal(err)
	}
	out := qsQuery(t, ts, dynamodb.QueryInput{TableName: desc.Table.TableArn, KeyConditionExpression: aws.String("pk = :v"),
		ExpressionAttributeValues: map[string]qsAV{":v": qsS("x")}})
	if out.Count != 1 {
		t.Fatalf("query by ARN: %+v", out)
	}
}
