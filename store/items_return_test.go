package store

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestItemsReturnValuesPutDelete(t *testing.T) {
	ts := itemsServer(t)
	k := avItem{"pk": avS("r")}
	v1 := avItem{"pk": avS("r"), "v": avN("1")}
	v2 := avItem{"pk": avS("r"), "v": avN("2"), "w": avS("x")}

	out, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"), Item: v1, ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		t.Fatal(err)
	}
	if out.Attributes != nil {
		t.Fatalf("ALL_OLD on a new item: got %s", itemText(out.Attributes))
	}
	out, err = ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"), Item: v2, ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		t.Fatal(err)
	}
	wantItem(t, out.Attributes, v1)
	out, err = ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"), Item: v2, ReturnValues: types.ReturnValueNone})
	if err != nil {
		t.Fatal(err)
	}
	if out.Attributes != nil {
		t.Fatalf("NONE: got %s", itemText(out.Attributes))
	}
	dout, err := ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("hash"), Key: k, ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		t.Fatal(err)
	}
	wantItem(t, dout.Attributes, v2)
	dout, err = ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("hash"), Key: k, ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		t.Fatal(err)
	}
	if dout.Attributes != nil {
		t.Fatalf("ALL_OLD deleting a missing item: got %s", itemText(dout.Attributes))
	}
	if got := itemsGet(t, ts, "hash", k); got != nil {
		t.Fatalf("deleted item still there: %s", itemText(got))
	}
	// The raw body of a plain write is an empty object.
	status, body := itemsRaw(t, ts, "PutItem", `{"TableName":"hash","Item":{"pk":{"S":"raw"}}}`)
	if status != 200 || body != "{}" {
		t.Fatalf("PutItem raw: %d %s", status, body)
	}
	status, body = itemsRaw(t, ts, "GetItem", `{"TableName":"hash","Key":{"pk":{"S":"nothing"}}}`)
	if status != 200 || body != "{}" {
		t.Fatalf("GetItem of a missing item: %d %s", status, body)
	}
	status, body = itemsRaw(t, ts, "GetItem", `{"TableName":"hash","Key":{"pk":{"S":"raw"}}}`)
	if status != 200 || body != `{"Item":{"pk":{"S":"raw"}}}` {
		t.Fatalf("GetItem raw: %d %s", status, body)
	}
}

func TestItemsReturnValuesUpdate(t *testing.T) {
	ts := itemsServer(t)
	base := avItem{
		"pk": avS("r"),
		"a":  avN("1"),
		"b":  avS("keep"),
		"m":  avM(map[string]av{"x": avN("1"), "y": avS("y"), "l": avL(avS("l0"), avS("l1"))}),
		"l":  avL(avN("0"), avM(map[string]av{"deep": avS("d"), "other": avS("o")})),
	}
	cases := []struct {
		rv        types.ReturnValue
		expr      string
		values    avItem
		want      avItem // nil: no Attributes
		onMissing avItem // the answer when the item did not exist; nil: no Attributes
	}{
		{types.ReturnValueNone, "SET a = :v", avItem{":v": avN("2")}, nil, nil},
		{types.ReturnValueAllOld, "SET a = :v", avItem{":v": avN("2")}, base, nil},
		{types.ReturnValueAllNew, "SET a = :v", avItem{":v": avN("2")}, with(base, "a", avN("2")), avItem{"pk": avS("r"), "a": avN("2")}},
		{types.ReturnValueUpdatedOld, "SET a = :v, c = :v", avItem{":v": avN("2")}, avItem{"a": avN("1")}, nil},
		{types.ReturnValueUpdatedNew, "SET a = :v, c = :v", avItem{":v": avN("2")}, avItem{"a": avN("2"), "c": avN("2")}, avItem{"a": avN("2"), "c": avN("2")}},
		{types.ReturnValueUpdatedOld, "SET m.x = :v", avItem{":v": avN("2")}, avItem{"m": avM(map[string]av{"x": avN("1")})}, nil},
		{types.ReturnValueUpdatedNew, "SET m.x = :v", avItem{":v": avN("2")}, avItem{"m": avM(map[string]av{"x": avN("2")})}, nil},
		{types.ReturnValueUpdatedOld, "SET m.l[1] = :v, l[1].deep = :v", avItem{":v": avN("2")},
			avItem{"m": avM(map[string]av{"l": avL(avS("l1"))}), "l": avL(avM(map[string]av{"deep": avS("d")}))}, nil},
		{types.ReturnValueUpdatedNew, "SET m.l[1] = :v, l[1].deep = :v", avItem{":v": avN("2")},
			avItem{"m": avM(map[string]av{"l": avL(avN("2"))}), "l": avL(avM(map[string]av{"deep": avN("2")}))}, nil},
		{types.ReturnValueUpdatedOld, "REMOVE b", nil, avItem{"b": avS("keep")}, nil},
		{types.ReturnValueUpdatedNew, "REMOVE b", nil, nil, nil},
		{types.ReturnValueUpdatedNew, "ADD a :v", avItem{":v": avN("5")}, avItem{"a": avN("6")}, avItem{"a": avN("5")}},
	}
	for _, c := range cases {
		t.Run(string(c.rv)+"/"+c.expr, func(t *testing.T) {
			itemsPut(t, ts, "hash", base)
			in := &dynamodb.UpdateItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("r")},
				UpdateExpression: aws.String(c.expr), ExpressionAttributeValues: c.values, ReturnValues: c.rv}
			out, err := ts.Client.UpdateItem(bg, in)
			if err != nil {
				t.Fatal(err)
			}
			if c.want == nil {
				if out.Attributes != nil {
					t.Fatalf("want no Attributes, got %s", itemText(out.Attributes))
				}
			} else {
				wantItem(t, out.Attributes, c.want)
			}
			// The same update on a missing item.
			if !strings.Contains(c.expr, ".") && !strings.Contains(c.expr, "[") {
				if _, err := ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("r")}}); err != nil {
					t.Fatal(err)
				}
				out, err := ts.Client.UpdateItem(bg, in)
				if err != nil {
					t.Fatal(err)
				}
				if c.onMissing == nil {
					if out.Attributes != nil {
						t.Fatalf("missing item: want no Attributes, got %s", itemText(out.Attributes))
					}
				} else {
					wantItem(t, out.Attributes, c.onMissing)
				}
			}
		})
	}
	// Legacy AttributeUpdates: UPDATED_* cover the named attributes.
	itemsPut(t, ts, "hash", base)
	out, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("r")},
		AttributeUpdates: map[string]types.AttributeValueUpdate{"a": {Action: types.AttributeActionAdd, Value: avN("1")}, "z": {Value: avS("z")}},
		ReturnValues:     types.ReturnValueUpdatedNew})
	if err != nil {
		t.Fatal(err)
	}
	wantItem(t, out.Attributes, avItem{"a": avN("2"), "z": avS("z")})
}

func TestItemsConsumedCapacity(t *testing.T) {
	ts := itemsServer(t)
	small := avItem{"pk": avS("small"), "v": avS("x")}
	// 5000 bytes: 5 write units, 2 read units.
	big := avItem{"pk": avS("big"), "v": avS(strings.Repeat("b", 5000-len("pk")-len("big")-len("v")))}
	capOf := func(c *types.ConsumedCapacity) float64 {
		t.Helper()
		if c == nil || c.CapacityUnits == nil {
			t.Fatalf("no ConsumedCapacity")
		}
		if aws.ToString(c.TableName) != "hash" {
			t.Fatalf("TableName %q", aws.ToString(c.TableName))
		}
		return *c.CapacityUnits
	}
	check := func(what string, got, want float64) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: %v units, want %v", what, got, want)
		}
	}
	put := func(it avItem, mode types.ReturnConsumedCapacity) *types.ConsumedCapacity {
		t.Helper()
		out, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"), Item: it, ReturnConsumedCapacity: mode})
		if err != nil {
			t.Fatal(err)
		}
		return out.ConsumedCapacity
	}
	get := func(pk string, consistent bool, mode types.ReturnConsumedCapacity, proj *string) *types.ConsumedCapacity {
		t.Helper()
		out, err := ts.Client.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS(pk)},
			ConsistentRead: aws.Bool(consistent), ReturnConsumedCapacity: mode, ProjectionExpression: proj})
		if err != nil {
			t.Fatal(err)
		}
		return out.ConsumedCapacity
	}
	check("put small", capOf(put(small, types.ReturnConsumedCapacityTotal)), 1)
	check("put big", capOf(put(big, types.ReturnConsumedCapacityTotal)), 5)
	if c := put(small, types.ReturnConsumedCapacityNone); c != nil {
		t.Fatalf("NONE returned capacity %+v", c)
	}
	if c := put(small, ""); c != nil {
		t.Fatalf("absent mode returned capacity %+v", c)
	}
	c := put(small, types.ReturnConsumedCapacityIndexes)
	check("put INDEXES", capOf(c), 1)
	if c.Table == nil || aws.ToFloat64(c.Table.CapacityUnits) != 1 {
		t.Fatalf("INDEXES: Table %+v", c.Table)
	}
	// Overwriting the big item with a small one costs the larger size.
	check("overwrite big", capOf(put(avItem{"pk": avS("big")}, types.ReturnConsumedCapacityTotal)), 5)
	put(big, types.ReturnConsumedCapacityNone)

	check("get small eventual", capOf(get("small", false, types.ReturnConsumedCapacityTotal, nil)), 0.5)
	check("get small consistent", capOf(get("small", true, types.ReturnConsumedCapacityTotal, nil)), 1)
	check("get big eventual", capOf(get("big", false, types.ReturnConsumedCapacityTotal, nil)), 1)
	check("get big consistent", capOf(get("big", true, types.ReturnConsumedCapacityTotal, nil)), 2)
	check("get big projected", capOf(get("big", true, types.ReturnConsumedCapacityTotal, aws.String("pk"))), 2)
	check("get missing eventual", capOf(get("none", false, types.ReturnConsumedCapacityTotal, nil)), 0.5)
	check("get missing consistent", capOf(get("none", true, types.ReturnConsumedCapacityTotal, nil)), 1)
	c = get("big", true, types.ReturnConsumedCapacityIndexes, nil)
	if c.Table == nil || aws.ToFloat64(c.Table.CapacityUnits) != 2 {
		t.Fatalf("get INDEXES: Table %+v", c.Table)
	}
	if c := get("big", true, types.ReturnConsumedCapacityNone, nil); c != nil {
		t.Fatalf("get NONE returned capacity %+v", c)
	}

	uout, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("big")},
		UpdateExpression: aws.String("REMOVE v"), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	check("update shrinking big", capOf(uout.ConsumedCapacity), 5)
	uout, err = ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("new")},
		UpdateExpression: aws.String("SET v = :v"), ExpressionAttributeValues: avItem{":v": avS(strings.Repeat("x", 2000))},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	check("update creating 2 KB", capOf(uout.ConsumedCapacity), 2)

	put(big, types.ReturnConsumedCapacityNone)
	dout, err := ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("big")},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	check("delete big", capOf(dout.ConsumedCapacity), 5)
	dout, err = ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("big")},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	check("delete missing", capOf(dout.ConsumedCapacity), 1)

	// Raw figures are written as DynamoDB writes doubles.
	_, body := itemsRaw(t, ts, "GetItem", `{"TableName":"hash","Key":{"pk":{"S":"none"}},"ReturnConsumedCapacity":"INDEXES"}`)
	if want := `{"ConsumedCapacity":{"TableName":"hash","CapacityUnits":0.5,"Table":{"CapacityUnits":0.5}}}`; body != want {
		t.Fatalf("raw capacity:\n got %s\nwant %s", body, want)
	}
	_, body = itemsRaw(t, ts, "DeleteItem", `{"TableName":"hash","Key":{"pk":{"S":"none"}},"ReturnConsumedCapacity":"TOTAL"}`)
	if want := `{"ConsumedCapacity":{"TableName":"hash","CapacityUnits":1.0}}`; body != want {
		t.Fatalf("raw capacity:\n got %s\nwant %s", body, want)
	}
}

func TestItemsSizeLimit(t *testing.T) {
	ts := itemsServer(t)
	// Size = len("pk") + len("s") + len("v") + len(value).
	exact := avItem{"pk": avS("s"), "v": avS(strings.Repeat("a", 400*1024-4))}
	itemsPut(t, ts, "hash", exact)
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("s")}), exact)
	over := avItem{"pk": avS("s"), "v": avS(strings.Repeat("a", 400*1024-3))}
	_, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"), Item: over})
	wantErr(t, err, "ValidationException", "1 validation error detected: Item size has exceeded the maximum allowed size")
	// Binary values count raw bytes, not base64.
	bexact := avItem{"pk": avS("s"), "v": avB(strings.Repeat("\xff", 400*1024-4))}
	itemsPut(t, ts, "hash", bexact)
	_, err = ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"), Item: avItem{"pk": avS("s"), "v": avB(strings.Repeat("\xff", 400*1024-3))}})
	wantErr(t, err, "ValidationException", "1 validation error detected: Item size has exceeded the maximum allowed size")
	// Nested: a map costs 3 bytes plus 1 per element.
	nested := avItem{"pk": avS("s"), "m": avM(map[string]av{"k": avS(strings.Repeat("a", 400*1024-3-1-3-1-1))})}
	itemsPut(t, ts, "hash", nested)
	nested = avItem{"pk": avS("s"), "m": avM(map[string]av{"k": avS(strings.Repeat("a", 400*1024-3-1-3-1))})}
	_, err = ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"), Item: nested})
	wantErr(t, err, "ValidationException", "1 validation error detected: Item size has exceeded the maximum allowed size")
}

func TestItemsProjection(t *testing.T) {
	ts := itemsServer(t)
	it := avItem{
		"pk":   avS("p"),
		"a":    avS("a"),
		"b":    avN("2"),
		"name": avS("reserved"),
		"m":    avM(map[string]av{"x": avN("1"), "y": avM(map[string]av{"z": avS("z"), "w": avS("w")})}),
		"l":    avL(avS("l0"), avM(map[string]av{"k": avS("v"), "j": avS("j")}), avS("l2")),
	}
	itemsPut(t, ts, "hash", it)
	cases := []struct {
		proj  string
		names map[string]string
		atg   []string
		want  avItem
	}{
		{"a", nil, nil, avItem{"a": avS("a")}},
		{"a, b, zz", nil, nil, avItem{"a": avS("a"), "b": avN("2")}},
		{"#n", map[string]string{"#n": "name"}, nil, avItem{"name": avS("reserved")}},
		{"m.y.z", nil, nil, avItem{"m": avM(map[string]av{"y": avM(map[string]av{"z": avS("z")})})}},
		{"m.x, m.y.w", nil, nil, avItem{"m": avM(map[string]av{"x": avN("1"), "y": avM(map[string]av{"w": avS("w")})})}},
		{"l[1].k, l[2]", nil, nil, avItem{"l": avL(avM(map[string]av{"k": avS("v")}), avS("l2"))}},
		{"l[5]", nil, nil, avItem{}},
		{"", nil, []string{"a", "m", "zz"}, avItem{"a": avS("a"), "m": it["m"]}},
	}
	for _, c := range cases {
		t.Run(c.proj+strings.Join(c.atg, ","), func(t *testing.T) {
			in := &dynamodb.GetItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("p")}, ExpressionAttributeNames: c.names, AttributesToGet: c.atg}
			if c.proj != "" {
				in.ProjectionExpression = aws.String(c.proj)
			}
			out, err := ts.Client.GetItem(bg, in)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.want) == 0 {
				if len(out.Item) != 0 {
					t.Fatalf("want empty item, got %s", itemText(out.Item))
				}
				return
			}
			wantItem(t, out.Item, c.want)
		})
	}
}

func TestItemsIndexKeysAndCollectionMetrics(t *testing.T) {
	ts := itemsServer(t)
	itemsCreateTable(t, ts, "indexed", []string{"pk:S", "sk:N"}, func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String("gk"), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String("ls"), AttributeType: types.ScalarAttributeTypeN})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("gsi"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("gk"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}}
		in.LocalSecondaryIndexes = []types.LocalSecondaryIndex{{
			IndexName: aws.String("lsi"),
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("ls"), KeyType: types.KeyTypeRange}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}}
	})
	const inv = "One or more parameter values were invalid: "
	key := avItem{"pk": avS("p"), "sk": avN("1")}
	_, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("indexed"), Item: with(key, "gk", avN("1"))})
	wantErr(t, err, "ValidationException", inv+"Type mismatch for Index Key gk Expected: S Actual: N IndexName: gsi")
	_, err = ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("indexed"), Item: with(key, "ls", avS("x"))})
	wantErr(t, err, "ValidationException", inv+"Type mismatch for Index Key ls Expected: N Actual: S IndexName: lsi")
	_, err = ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("indexed"), Item: with(key, "gk", avS(""))})
	wantErr(t, err, "ValidationException", "One or more parameter values are not valid. A value specified for a secondary index key is not supported. "+
		"The AttributeValue for a key attribute cannot contain an empty string value. IndexName: gsi, IndexKey: gk")
	_, err = ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("indexed"), Key: key,
		UpdateExpression: aws.String("SET gk = :n"), ExpressionAttributeValues: avItem{":n": avN("1")}})
	wantErr(t, err, "ValidationException", inv+"Type mismatch for Index Key gk Expected: S Actual: N IndexName: gsi")
	_, err = ts.Client.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("indexed"), Key: key, ProjectionExpression: aws.String("gk.x")})
	wantErr(t, err, "ValidationException", "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: gk")
	if got := itemsGet(t, ts, "indexed", key); got != nil {
		t.Fatalf("invalid writes stored %s", itemText(got))
	}

	// Valid writes; ItemCollectionMetrics come back for the table with an LSI.
	out, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("indexed"), Item: with(key, "gk", avS("g"), "ls", avN("5"), "e", avS("")),
		ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsSize})
	if err != nil {
		t.Fatal(err)
	}
	m := out.ItemCollectionMetrics
	if m == nil || itemText(m.ItemCollectionKey) != itemText(avItem{"pk": avS("p")}) || len(m.SizeEstimateRangeGB) != 2 || m.SizeEstimateRangeGB[0] > m.SizeEstimateRangeGB[1] {
		t.Fatalf("ItemCollectionMetrics %+v", m)
	}
	uout, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("indexed"), Key: key,
		UpdateExpression: aws.String("SET gk = :g"), ExpressionAttributeValues: avItem{":g": avS("h")},
		ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsSize})
	if err != nil || uout.ItemCollectionMetrics == nil {
		t.Fatalf("UpdateItem metrics: %v %+v", err, uout)
	}
	dout, err := ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("indexed"), Key: key,
		ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsSize})
	if err != nil || dout.ItemCollectionMetrics == nil {
		t.Fatalf("DeleteItem metrics: %v %+v", err, dout)
	}
	// Not asked for, or a table without LSI: nothing.
	out, err = ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("indexed"), Item: key, ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsNone})
	if err != nil || out.ItemCollectionMetrics != nil {
		t.Fatalf("NONE: %v %+v", err, out.ItemCollectionMetrics)
	}
	out, err = ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("range"), Item: key, ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsSize})
	if err != nil || out.ItemCollectionMetrics != nil {
		t.Fatalf("no LSI: %v %+v", err, out.ItemCollectionMetrics)
	}
}

func TestItemsCapacityTableArn(t *testing.T) {
	ts := itemsServer(t)
	arn := "arn:aws:dynamodb:us-east-1:000000000000:table/hash"
	out, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String(arn), Item: avItem{"pk": avS("a")},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	// DynamoDB names the table as the request did.
	if got := aws.ToString(out.ConsumedCapacity.TableName); got != arn {
		t.Fatalf("TableName %q", got)
	}
}

// TestItemsIndexWriteCapacity follows DynamoDB's measured index charges:
// an index write per index whose stored view changes, two when its key
// changes, none when the item is not in the index.
func TestItemsIndexWriteCapacity(t *testing.T) {
	ts := itemsServer(t)
	itemsCreateTable(t, ts, "idxcap", []string{"pk:S", "sk:S"}, func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String("gsiPk"), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String("lsiSk"), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("gsi-inc"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("gsiPk"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"proj"}},
		}}
		in.LocalSecondaryIndexes = []types.LocalSecondaryIndex{{
			IndexName: aws.String("lsi1"),
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("lsiSk"), KeyType: types.KeyTypeRange}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}}
	})
	n := 0
	fresh := func() string { n++; return fmt.Sprint("item-", n) }
	type arms struct{ total, table, gsi, lsi float64 }
	check := func(what string, c *types.ConsumedCapacity, want arms) {
		t.Helper()
		got := arms{aws.ToFloat64(c.CapacityUnits), -1, 0, 0}
		if c.Table != nil {
			got.table = aws.ToFloat64(c.Table.CapacityUnits)
		}
		if v, ok := c.GlobalSecondaryIndexes["gsi-inc"]; ok {
			got.gsi = aws.ToFloat64(v.CapacityUnits)
		} else if c.GlobalSecondaryIndexes != nil {
			t.Fatalf("%s: empty GlobalSecondaryIndexes arm", what)
		}
		if v, ok := c.LocalSecondaryIndexes["lsi1"]; ok {
			got.lsi = aws.ToFloat64(v.CapacityUnits)
		} else if c.LocalSecondaryIndexes != nil {
			t.Fatalf("%s: empty LocalSecondaryIndexes arm", what)
		}
		if got != want {
			t.Fatalf("%s: got %+v, want %+v", what, got, want)
		}
	}
	put := func(it avItem) *types.ConsumedCapacity {
		t.Helper()
		out, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("idxcap"), Item: it, ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes})
		if err != nil {
			t.Fatal(err)
		}
		return out.ConsumedCapacity
	}
	check("gsi put", put(avItem{"pk": avS(fresh()), "sk": avS("1"), "gsiPk": avS("g1"), "proj": avS("p")}), arms{2, 1, 1, 0})
	check("sparse put", put(avItem{"pk": avS(fresh()), "sk": avS("1"), "other": avS("o")}), arms{1, 1, 0, 0})
	check("lsi put", put(avItem{"pk": avS(fresh()), "sk": avS("1"), "lsiSk": avS("L1")}), arms{2, 1, 0, 1})
	both := avItem{"pk": avS(fresh()), "sk": avS("1"), "gsiPk": avS("g3"), "lsiSk": avS("L1"), "proj": avS("p")}
	check("both put", put(both), arms{3, 1, 1, 1})
	check("identical overwrite", put(both), arms{1, 1, 0, 0})
	out, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("idxcap"), Item: both, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if c := out.ConsumedCapacity; aws.ToFloat64(c.CapacityUnits) != 1 || c.Table != nil || c.GlobalSecondaryIndexes != nil {
		t.Fatalf("TOTAL: %+v", c)
	}

	seed := func() string {
		pk := fresh()
		put(avItem{"pk": avS(pk), "sk": avS("1"), "gsiPk": avS("g-ladder"), "lsiSk": avS("L1"), "proj": avS("p"), "oth": avS("o")})
		return pk
	}
	update := func(pk, expr string, values avItem) *types.ConsumedCapacity {
		t.Helper()
		out, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("idxcap"), Key: avItem{"pk": avS(pk), "sk": avS("1")},
			UpdateExpression: aws.String(expr), ExpressionAttributeValues: values, ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes})
		if err != nil {
			t.Fatal(err)
		}
		return out.ConsumedCapacity
	}
	check("update non-projected", update(seed(), "SET oth = :v", avItem{":v": avS("o2")}), arms{2, 1, 0, 1})
	check("update projected", update(seed(), "SET proj = :v", avItem{":v": avS("p2")}), arms{3, 1, 1, 1})
	check("update gsi key", update(seed(), "SET gsiPk = :v", avItem{":v": avS("g-moved")}), arms{4, 1, 2, 1})
	check("remove gsi key", update(seed(), "REMOVE gsiPk", nil), arms{3, 1, 1, 1})
	check("update lsi key", update(seed(), "SET lsiSk = :v", avItem{":v": avS("L2")}), arms{3, 1, 0, 2})

	dout, err := ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("idxcap"), Key: avItem{"pk": avS(seed()), "sk": avS("1")},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes})
	if err != nil {
		t.Fatal(err)
	}
	check("delete", dout.ConsumedCapacity, arms{3, 1, 1, 1})
	// Reads report the table only.
	gout, err := ts.Client.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("idxcap"), Key: avItem{"pk": avS("item-1"), "sk": avS("1")},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes})
	if err != nil {
		t.Fatal(err)
	}
	check("get", gout.ConsumedCapacity, arms{0.5, 0.5, 0, 0})
}
