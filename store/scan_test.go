package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/ddb"
)

func qsScan(t testing.TB, ts *testServer, in dynamodb.ScanInput) *dynamodb.ScanOutput {
	t.Helper()
	out, err := ts.Client.Scan(bg, &in)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return out
}

// qsScanAll pages a scan to exhaustion.
func qsScanAll(t testing.TB, ts *testServer, in dynamodb.ScanInput) ([]qsItem, int) {
	t.Helper()
	var items []qsItem
	pages := 0
	for {
		out := qsScan(t, ts, in)
		pages++
		items = append(items, out.Items...)
		if in.Select != types.SelectCount && int(out.Count) != len(out.Items) {
			t.Fatalf("Count %d with %d items", out.Count, len(out.Items))
		}
		if len(out.LastEvaluatedKey) == 0 {
			return items, pages
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
		if pages > 100000 {
			t.Fatal("too many pages")
		}
	}
}

// qsKeySet returns the items' keys (attrs) as strings, checking there are
// no duplicates.
func qsKeySet(t testing.TB, items []qsItem, attrs ...string) map[string]bool {
	t.Helper()
	set := make(map[string]bool, len(items))
	for _, it := range items {
		var parts []string
		for _, a := range attrs {
			parts = append(parts, avText(it[a]))
		}
		k := strings.Join(parts, "|")
		if set[k] {
			t.Fatalf("duplicate item %s", k)
		}
		set[k] = true
	}
	return set
}

func TestScanWholeTableAndSegments(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "sseg", []string{"pk:S", "sk:N"})
	want := map[string]bool{}
	for p := 0; p < 60; p++ {
		for s := 0; s < 1+p%4; s++ {
			it := qsItem{"pk": qsS(fmt.Sprintf("part-%d", p)), "sk": qsN(fmt.Sprint(s)), "v": qsN(fmt.Sprint(p * s))}
			qsPut(t, ts, "sseg", it)
			want[avText(it["pk"])+"|"+avText(it["sk"])] = true
		}
	}
	check := func(name string, got map[string]bool) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d items, want %d", name, len(got), len(want))
		}
		for k := range want {
			if !got[k] {
				t.Fatalf("%s: missing %s", name, k)
			}
		}
	}
	items, pages := qsScanAll(t, ts, dynamodb.ScanInput{TableName: aws.String("sseg")})
	if pages != 1 {
		t.Fatalf("pages %d", pages)
	}
	check("scan", qsKeySet(t, items, "pk", "sk"))
	// Items of one partition come out together, in sort key order.
	for i := 1; i < len(items); i++ {
		if avText(items[i]["pk"]) == avText(items[i-1]["pk"]) &&
			ddb.CompareNumbers(items[i]["sk"].(*types.AttributeValueMemberN).Value, items[i-1]["sk"].(*types.AttributeValueMemberN).Value) <= 0 {
			t.Fatalf("partition out of order at %d", i)
		}
	}
	order := qsSortKeys(items, "pk")
	for _, limit := range []int32{1, 7, 50} {
		got, _ := qsScanAll(t, ts, dynamodb.ScanInput{TableName: aws.String("sseg"), Limit: aws.Int32(limit)})
		check(fmt.Sprint("limit ", limit), qsKeySet(t, got, "pk", "sk"))
		if !slices.Equal(qsSortKeys(got, "pk"), order) {
			t.Fatalf("limit %d: another order", limit)
		}
	}
	for _, total := range []int32{1, 3, 7} {
		segments := make([][]string, total)
		var union []qsItem
		for s := int32(0); s < total; s++ {
			got, _ := qsScanAll(t, ts, dynamodb.ScanInput{TableName: aws.String("sseg"), Segment: aws.Int32(s), TotalSegments: aws.Int32(total)})
			segments[s] = qsSortKeys(got, "pk")
			union = append(union, got...)
			// Paging within the segment gives the same items.
			for _, limit := range []int32{1, 4} {
				paged, _ := qsScanAll(t, ts, dynamodb.ScanInput{TableName: aws.String("sseg"), Segment: aws.Int32(s), TotalSegments: aws.Int32(total),
					Limit: aws.Int32(limit), ConsistentRead: aws.Bool(true)})
				if !slices.Equal(qsSortKeys(paged, "pk"), segments[s]) {
					t.Fatalf("segment %d/%d limit %d differs", s, total, limit)
				}
			}
			if total > 1 && len(got) == len(want) {
				t.Fatalf("segment %d/%d holds everything", s, total)
			}
		}
		check(fmt.Sprint("segments ", total), qsKeySet(t, union, "pk", "sk"))
	}
}

func TestScanFiltersSelectAndProjection(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "sfilt", []string{"pk:N"})
	for i := 0; i < 30; i++ {
		it := qsItem{"pk": qsN(fmt.Sprint(i)), "mod": qsN(fmt.Sprint(i % 5)), "name": qsS(fmt.Sprintf("n%02d", i))}
		if i%3 == 0 {
			it["tags"] = &types.AttributeValueMemberSS{Value: []string{"three", fmt.Sprint(i)}}
		}
		qsPut(t, ts, "sfilt", it)
	}
	type sc struct {
		name  string
		in    dynamodb.ScanInput
		count int
	}
	cases := []sc{
		{"expression", dynamodb.ScanInput{FilterExpression: aws.String("#m = :z"), ExpressionAttributeNames: map[string]string{"#m": "mod"},
			ExpressionAttributeValues: map[string]qsAV{":z": qsN("0")}}, 6},
		{"key-attribute", dynamodb.ScanInput{FilterExpression: aws.String("pk < :n"), ExpressionAttributeValues: map[string]qsAV{":n": qsN("10")}}, 10},
		{"contains", dynamodb.ScanInput{FilterExpression: aws.String("contains(tags, :t) AND begins_with(#n, :p)"), ExpressionAttributeNames: map[string]string{"#n": "name"},
			ExpressionAttributeValues: map[string]qsAV{":t": qsS("three"), ":p": qsS("n1")}}, 3},
		{"legacy", dynamodb.ScanInput{ScanFilter: map[string]types.Condition{
			"mod":  {ComparisonOperator: types.ComparisonOperatorIn, AttributeValueList: []qsAV{qsN("1"), qsN("2")}},
			"tags": {ComparisonOperator: types.ComparisonOperatorNull},
		}}, 8},
	}
	cases = append(cases, sc{"legacy-or", dynamodb.ScanInput{ConditionalOperator: types.ConditionalOperatorOr, ScanFilter: map[string]types.Condition{
		"mod":  {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []qsAV{qsN("4")}},
		"name": {ComparisonOperator: types.ComparisonOperatorBetween, AttributeValueList: []qsAV{qsS("n00"), qsS("n02")}},
	}}, 9})
	for _, c := range cases {
		in := c.in
		in.TableName = aws.String("sfilt")
		out := qsScan(t, ts, in)
		if int(out.Count) != c.count || len(out.Items) != c.count || out.ScannedCount != 30 {
			t.Fatalf("%s: Count %d items %d ScannedCount %d", c.name, out.Count, len(out.Items), out.ScannedCount)
		}
		in.Select = types.SelectCount
		out = qsScan(t, ts, in)
		if int(out.Count) != c.count || out.Items != nil || out.ScannedCount != 30 {
			t.Fatalf("%s COUNT: %+v", c.name, out)
		}
		// Limit bounds the items read, not those returned.
		in.Limit = aws.Int32(10)
		in.Select = ""
		total := 0
		for {
			out = qsScan(t, ts, in)
			if out.ScannedCount > 10 {
				t.Fatalf("%s: ScannedCount %d", c.name, out.ScannedCount)
			}
			total += int(out.Count)
			if out.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
		if total != c.count {
			t.Fatalf("%s paged: %d", c.name, total)
		}
	}
	out := qsScan(t, ts, dynamodb.ScanInput{TableName: aws.String("sfilt"), ProjectionExpression: aws.String("#n"),
		ExpressionAttributeNames: map[string]string{"#n": "name"}, FilterExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]qsAV{":p": qsN("7")}})
	qsWantItems(t, out.Items, []qsItem{{"name": qsS("n07")}})
	out = qsScan(t, ts, dynamodb.ScanInput{TableName: aws.String("sfilt"), AttributesToGet: []string{"pk", "tags"}, Select: types.SelectSpecificAttributes,
		ScanFilter: map[string]types.Condition{"pk": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []qsAV{qsN("3")}}}})
	qsWantItems(t, out.Items, []qsItem{{"pk": qsN("3"), "tags": &types.AttributeValueMemberSS{Value: []string{"three", "3"}}}})
}

func TestScanIndexes(t *testing.T) {
	ts := newTestServer(t)
	qsIndexTable(t, ts, "sidx")
	items := []qsItem{
		{"pk": qsS("a"), "sk": qsS("1"), "c": qsS("x"), "d": qsS("1"), "e": qsS("e"), "f": qsS("f")},
		{"pk": qsS("a"), "sk": qsS("2"), "c": qsS("x"), "d": qsS("1")},
		{"pk": qsS("b"), "sk": qsS("1"), "c": qsS("y")},
		{"pk": qsS("c"), "sk": qsS("1"), "d": qsS("2")},
		{"pk": qsS("d"), "sk": qsS("1")},
	}
	for _, it := range items {
		qsPut(t, ts, "sidx", it)
	}
	// Sparse global index: only items with both c and d.
	// Equal index keys come in DynamoDB's hash order of the table key
	// (dynalite's hashPrefix: a/2 → 2a4546 before a/1 → a55310).
	got, _ := qsScanAll(t, ts, dynamodb.ScanInput{TableName: aws.String("sidx"), IndexName: aws.String("ginc")})
	qsWantItems(t, got, []qsItem{
		{"pk": qsS("a"), "sk": qsS("2"), "c": qsS("x"), "d": qsS("1")},
		{"pk": qsS("a"), "sk": qsS("1"), "c": qsS("x"), "d": qsS("1"), "e": qsS("e")},
	})
	out := qsScan(t, ts, dynamodb.ScanInput{TableName: aws.String("sidx"), IndexName: aws.String("ginc"), Limit: aws.Int32(1)})
	if g := itemText(out.LastEvaluatedKey); g != `{c=S:"x" d=S:"1" pk=S:"a" sk=S:"2"}` {
		t.Fatalf("index scan LEK %s", g)
	}
	got, _ = qsScanAll(t, ts, dynamodb.ScanInput{TableName: aws.String("sidx"), IndexName: aws.String("gall"), Limit: aws.Int32(1)})
	if len(qsKeySet(t, got, "pk", "sk")) != 3 {
		t.Fatalf("gall: %s", qsItemsText(got))
	}
	for _, total := range []int32{1, 3, 7} {
		var union []qsItem
		for s := int32(0); s < total; s++ {
			seg, _ := qsScanAll(t, ts, dynamodb.ScanInput{TableName: aws.String("sidx"), IndexName: aws.String("gall"),
				Segment: aws.Int32(s), TotalSegments: aws.Int32(total), Limit: aws.Int32(1)})
			union = append(union, seg...)
		}
		if len(qsKeySet(t, union, "pk", "sk")) != 3 {
			t.Fatalf("gall segments %d: %s", total, qsItemsText(union))
		}
	}
	// Local index: projected attributes by default, table items on request.
	got, _ = qsScanAll(t, ts, dynamodb.ScanInput{TableName: aws.String("sidx"), IndexName: aws.String("lsiinc"), ConsistentRead: aws.Bool(true)})
	slices.SortFunc(got, func(a, b qsItem) int { return strings.Compare(itemText(a), itemText(b)) })
	qsWantItems(t, got, []qsItem{
		{"pk": qsS("a"), "sk": qsS("1"), "c": qsS("x"), "d": qsS("1")},
		{"pk": qsS("a"), "sk": qsS("2"), "c": qsS("x"), "d": qsS("1")},
		{"pk": qsS("c"), "sk": qsS("1"), "d": qsS("2")},
	})
	got, _ = qsScanAll(t, ts, dynamodb.ScanInput{TableName: aws.String("sidx"), IndexName: aws.String("lsiinc"), Select: types.SelectAllAttributes,
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes})
	if len(qsKeySet(t, got, "pk", "sk")) != 3 {
		t.Fatalf("lsiinc ALL_ATTRIBUTES: %s", qsItemsText(got))
	}
	for _, it := range got {
		if avText(it["pk"]) == `S:"a"` && avText(it["sk"]) == `S:"1"` && len(it) != 6 {
			t.Fatalf("lsiinc ALL_ATTRIBUTES item: %s", itemText(it))
		}
	}
	out = qsScan(t, ts, dynamodb.ScanInput{TableName: aws.String("sidx"), IndexName: aws.String("lsiinc"), Select: types.SelectAllAttributes,
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes, ConsistentRead: aws.Bool(true)})
	cc := out.ConsumedCapacity
	if *cc.CapacityUnits != 2 || *cc.Table.CapacityUnits != 1 || *cc.LocalSecondaryIndexes["lsiinc"].CapacityUnits != 1 {
		t.Fatalf("lsi scan capacity: %+v", cc)
	}
}

func TestScanPageSizeAndCapacity(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "sbig", []string{"pk:S", "sk:N"})
	for i := 0; i < 14; i++ {
		it, _ := qsBigItem(t, i, 150000)
		qsPut(t, ts, "sbig", it)
	}
	// One partition, so the scan reads in sort key order: 7 items of
	// 150000 bytes reach 1 MB.
	in := dynamodb.ScanInput{TableName: aws.String("sbig"), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		FilterExpression: aws.String("sk = :none"), ExpressionAttributeValues: map[string]qsAV{":none": qsN("-1")}}
	out := qsScan(t, ts, in)
	if out.Count != 0 || out.ScannedCount != 7 || itemText(out.LastEvaluatedKey) != `{pk=S:"p" sk=N:6}` {
		t.Fatalf("page 1: Count %d ScannedCount %d LEK %s", out.Count, out.ScannedCount, itemText(out.LastEvaluatedKey))
	}
	if want := float64((7*150000+4095)/4096) / 2; *out.ConsumedCapacity.CapacityUnits != want {
		t.Fatalf("capacity %v want %v", *out.ConsumedCapacity.CapacityUnits, want)
	}
	in.ExclusiveStartKey = out.LastEvaluatedKey
	out = qsScan(t, ts, in)
	if out.ScannedCount != 7 || out.LastEvaluatedKey == nil {
		t.Fatalf("page 2: ScannedCount %d LEK %v", out.ScannedCount, out.LastEvaluatedKey)
	}
	in.ExclusiveStartKey = out.LastEvaluatedKey
	out = qsScan(t, ts, in)
	if out.ScannedCount != 0 || out.LastEvaluatedKey != nil || *out.ConsumedCapacity.CapacityUnits != 0.5 {
		t.Fatalf("page 3: %+v", out)
	}
}

func TestScanValidation(t *testing.T) {
	ts := qsValidationServer(t)
	const inv = "One or more parameter values were invalid: "
	for i := 0; i < 10; i++ {
		qsPut(t, ts, "vhash", qsItem{"a": qsS(fmt.Sprint(i))})
	}
	// A key of an item outside segment 0 of 2.
	seg1, _ := qsScanAll(t, ts, dynamodb.ScanInput{TableName: aws.String("vhash"), Segment: aws.Int32(1), TotalSegments: aws.Int32(2)})
	if len(seg1) == 0 {
		t.Fatal("segment 1 of 2 is empty")
	}
	otherSeg := string(ddb.AppendItem(nil, ddb.Item{"a": ddb.S(seg1[0]["a"].(*types.AttributeValueMemberS).Value)}))
	cases := []qsValCase{
		{"no-table", `{}`, "", "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"},
		{"constraints", `{"TableName":"abc;","ReturnConsumedCapacity":"hi","AttributesToGet":[],"IndexName":"abc;","Segment":-1,"TotalSegments":-1,` +
			`"Select":"hi","Limit":-1,"ScanFilter":{"a":{},"b":{"ComparisonOperator":""}},"ConditionalOperator":"AN","ExpressionAttributeNames":{},` +
			`"ExpressionAttributeValues":{},"ProjectionExpression":""}`, "",
			"10 validation errors detected: " +
				"Value 'hi' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]; " +
				"Value 'abc;' at 'indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
				"Value '-1' at 'totalSegments' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
				"Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; " +
				"Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
				"Value 'AN' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]; " +
				"Value null at 'scanFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null; " +
				"Value '' at 'scanFilter.b.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]; " +
				"Value '-1' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0; " +
				"Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"total-segments-max", `{"TableName":"vhash","Segment":0,"TotalSegments":1000001}`, "",
			"1 validation error detected: Value '1000001' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000"},
		{"segment-max", `{"TableName":"vhash","Segment":1000000,"TotalSegments":1000000}`, "",
			"1 validation error detected: Value '1000000' at 'segment' failed to satisfy constraint: Member must have value less than or equal to 999999"},
		{"select-specific-alone", `{"TableName":"vhash","Select":"SPECIFIC_ATTRIBUTES"}`, "",
			"Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"},
		{"select-projected-no-index", `{"TableName":"vhash","Select":"ALL_PROJECTED_ATTRIBUTES"}`, "",
			"ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"},
		{"select-count-attributes", `{"TableName":"vhash","Select":"COUNT","AttributesToGet":["a"]}`, "",
			"Cannot specify the AttributesToGet when choosing to get only the Count"},
		{"select-projected-projection", `{"TableName":"vrange","IndexName":"index3","Select":"ALL_PROJECTED_ATTRIBUTES","ProjectionExpression":"c"}`, "",
			"Cannot specify the ProjectionExpression when choosing to get ALL_PROJECTED_ATTRIBUTES"},
		{"mixed", `{"TableName":"abc","ScanFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{}]}},"Segment":1,"Limit":1,` +
			`"AttributesToGet":["a","a"],"ExclusiveStartKey":{"a":{}},"ConditionalOperator":"OR","Select":"SPECIFIC_ATTRIBUTES",` +
			`"FilterExpression":"","ProjectionExpression":"","ExpressionAttributeNames":{},"ExpressionAttributeValues":{}}`, "",
			"Can not use both expression and non-expression parameters in the same request: Non-expression parameters: " +
				"{AttributesToGet, ScanFilter, ConditionalOperator} Expression parameters: {ProjectionExpression, FilterExpression}"},
		{"names-without-expressions", `{"TableName":"abc","Segment":1,"AttributesToGet":["a","a"],"ExpressionAttributeNames":{},"ExpressionAttributeValues":{}}`, "",
			"ExpressionAttributeNames can only be specified when using expressions"},
		{"values-without-expressions", `{"TableName":"abc","Segment":1,"AttributesToGet":["a","a"],"ExpressionAttributeValues":{}}`, "",
			"ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"},
		{"attributes-to-get-duplicate", `{"TableName":"abc","Segment":1,"ScanFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{},{"a":""},{"S":""}]}},` +
			`"ExclusiveStartKey":{"a":{}},"AttributesToGet":["a","a"]}`, "", inv + "Duplicate value in attribute name: a"},
		{"scan-filter-value", `{"TableName":"abc","Segment":1,"ExclusiveStartKey":{"a":{}},"ScanFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"N":"1"},{"S":"a","N":"1"}]}}}`, "",
			"Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"},
		{"scan-filter-begins-with-type", `{"TableName":"abc","Segment":1,"ScanFilter":{"a":{"ComparisonOperator":"BEGINS_WITH","AttributeValueList":[{"N":"1"}]}}}`, "",
			inv + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"},
		{"start-key-value", `{"TableName":"abc","Segment":1,"FilterExpression":"","ExclusiveStartKey":{"a":{"L":[{}]}}}`, "",
			"The provided starting key is invalid: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
		{"missing-total-segments", `{"TableName":"abc","Segment":1,"FilterExpression":""}`, "",
			"The TotalSegments parameter is required but was not present in the request when Segment parameter is present"},
		{"missing-segment", `{"TableName":"abc","TotalSegments":1,"FilterExpression":""}`, "",
			"The Segment parameter is required but was not present in the request when parameter TotalSegments is present"},
		{"segment-too-big", `{"TableName":"abc","Segment":1,"TotalSegments":1,"FilterExpression":""}`, "",
			"The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 1 is not less than TotalSegments: 1"},
		{"empty-filter", `{"TableName":"abc","FilterExpression":"","ProjectionExpression":"","ExpressionAttributeValues":{":0":{"S":"b"}}}`, "",
			"Invalid FilterExpression: The expression can not be empty;"},
		{"empty-projection", `{"TableName":"abc","FilterExpression":"a > b","ProjectionExpression":""}`, "",
			"Invalid ProjectionExpression: The expression can not be empty;"},
		{"filter-syntax", `{"TableName":"abc","FilterExpression":"a > 4"}`, "", `Invalid FilterExpression: Syntax error; token: "4", near: "> 4"`},
		{"table-missing", `{"TableName":"abc","ExclusiveStartKey":{"a":{"S":"a"},"b":{"S":"a"}}}`, "ResourceNotFoundException", "Requested resource not found"},
		{"index-missing", `{"TableName":"vrange","IndexName":"whatever","FilterExpression":"attribute_exists(a.b.c)","ExclusiveStartKey":{}}`, "",
			"The table does not have the specified index: whatever"},
		{"gsi-consistent", `{"TableName":"vrange","IndexName":"index4","ConsistentRead":true}`, "",
			"Consistent reads are not supported on global secondary indexes"},
		{"start-key-count-index", `{"TableName":"vrange","IndexName":"index1","ExclusiveStartKey":{"a":{"S":"a"},"b":{"S":"a"}}}`, "",
			"The provided starting key is invalid"},
		{"start-key-missing-index-key", `{"TableName":"vrange","IndexName":"index3","ExclusiveStartKey":{"a":{"S":"a"},"b":{"S":"a"},"z":{"S":"a"}}}`, "",
			"The provided starting key is invalid"},
		{"start-key-index-schema", `{"TableName":"vrange","IndexName":"index3","ExclusiveStartKey":{"x":{"S":"1"},"y":{"S":"1"},"c":{"N":"1"}}}`, "",
			"The provided key element does not match the schema"},
		{"start-key-table-part", `{"TableName":"vrange","IndexName":"index3","ExclusiveStartKey":{"a":{"N":"1"},"b":{"S":"1"},"c":{"S":"a"}}}`, "",
			"The provided starting key is invalid: The provided key element does not match the schema"},
		{"start-key-count-table", `{"TableName":"vhash","FilterExpression":"attribute_exists(a.b.c)","ExclusiveStartKey":{}}`, "",
			"The provided starting key is invalid: The provided key element does not match the schema"},
		{"start-key-table-schema", `{"TableName":"vrange","ExclusiveStartKey":{"a":{"S":"a"},"b":{"N":"1"}}}`, "",
			"The provided starting key is invalid: The provided key element does not match the schema"},
		{"start-key-empty-string", `{"TableName":"vhash","ExclusiveStartKey":{"a":{"S":""}}}`, "",
			"The provided starting key is invalid: One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: a"},
		{"gsi-all-attributes", `{"TableName":"vrange","FilterExpression":"attribute_exists(a.b.c)","IndexName":"index4","Select":"ALL_ATTRIBUTES",` +
			`"ExclusiveStartKey":{"x":{"N":"1"},"y":{"N":"1"},"c":{"S":"a"},"d":{"S":"a"}}}`, "",
			inv + "Select type ALL_ATTRIBUTES is not supported for global secondary index index4 because its projection type is not ALL"},
		{"start-key-other-segment", `{"TableName":"vhash","Segment":0,"TotalSegments":2,"FilterExpression":"attribute_exists(x)","ExclusiveStartKey":` + otherSeg + `}`, "",
			"The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: 2 Segment: 0"},
		{"key-nested", `{"TableName":"vhash","FilterExpression":"attribute_exists(#a.b.c)","ExpressionAttributeNames":{"#a":"a"}}`, "",
			"Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: a"},
		{"index-key-nested-projection", `{"TableName":"vrange","ProjectionExpression":"c.d"}`, "",
			"Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: c"},
	}
	qsRunValidation(t, ts, "Scan", cases)
}

func TestScanSegmentsCoverHashSpace(t *testing.T) {
	for _, h := range []keyHash{keyHashFNV, keyHashDynamo} {
		for total := 1; total <= 64; total++ {
			next := uint64(0)
			for s := 0; s < total; s++ {
				lo, hi := h.segment(s, total)
				if lo != next || hi <= lo {
					t.Fatalf("hash %d segment %d/%d: [%d, %d) after %d", h, s, total, lo, hi, next)
				}
				next = hi
			}
			if next != 1<<32 {
				t.Fatalf("hash %d: %d segments end at %d", h, total, next)
			}
		}
	}
	lo, hi := keyHashFNV.segment(999999, 1000000)
	if hi != 1<<32 || lo == 0 {
		t.Fatalf("last of a million: [%d, %d)", lo, hi)
	}
}

func TestScanBackfillingIndex(t *testing.T) {
	tb := &Table{Name: "t", KeySchema: []KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: aws.String("HASH")}},
		AttributeDefinitions: []AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: aws.String("S")},
			{AttributeName: aws.String("g"), AttributeType: aws.String("S")}}}
	tb.Desc.GlobalIndexes = []GlobalIndex{{IndexDef: IndexDef{IndexName: "gidx",
		KeySchema: []KeySchemaElement{{AttributeName: aws.String("g"), KeyType: aws.String("HASH")}}}, Backfilling: true}}
	_, err := qsResolve(tb, aws.String("gidx"), false)
	if de, ok := ddb.AsError(err); !ok || de.Message != "Cannot read from backfilling global secondary index: gidx" {
		t.Fatalf("got %v", err)
	}
	tb.Desc.GlobalIndexes[0].Backfilling = false
	tg, err := qsResolve(tb, aws.String("gidx"), false)
	if err != nil || !slices.Equal(tg.keyNames, []string{"pk", "g"}) {
		t.Fatalf("got %v %v", tg, err)
	}
}
