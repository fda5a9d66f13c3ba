package store

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// condItem is the stored item the condition tests run against.
func condItem() avItem {
	return avItem{
		"pk":   avS("c"),
		"s":    avS("hello"),
		"n":    avN("10"),
		"b":    avB("\x01\x02"),
		"t":    avBool(true),
		"nul":  avNull(),
		"l":    avL(avS("x"), avN("2"), avM(map[string]av{"in": avS("deep")})),
		"m":    avM(map[string]av{"k": avS("v"), "n": avN("3"), "sb": avM(map[string]av{"z": avN("0")})}),
		"ss":   avSS("a", "b"),
		"ns":   avNS("1", "2"),
		"bs":   avBS("x"),
		"e":    avS(""),
		"name": avS("reserved word attribute"),
	}
}

func TestItemsConditionExpressions(t *testing.T) {
	ts := itemsServer(t)
	cases := []struct {
		cond   string
		names  map[string]string
		values avItem
		pass   bool
	}{
		{"attribute_exists(s)", nil, nil, true},
		{"attribute_exists(zz)", nil, nil, false},
		{"attribute_not_exists(zz)", nil, nil, true},
		{"attribute_not_exists(pk)", nil, nil, false},
		{"attribute_exists(m.sb.z)", nil, nil, true},
		{"attribute_exists(m.sb.y)", nil, nil, false},
		{"attribute_exists(l[2].#i)", map[string]string{"#i": "in"}, nil, true},
		{"attribute_exists(l[3])", nil, nil, false},
		{"s = :v", nil, avItem{":v": avS("hello")}, true},
		{"s = :v", nil, avItem{":v": avS("Hello")}, false},
		{"s <> :v", nil, avItem{":v": avS("Hello")}, true},
		{"n = :v", nil, avItem{":v": avN("10.00")}, true},
		{"n < :v", nil, avItem{":v": avN("11")}, true},
		{"n <= :v", nil, avItem{":v": avN("10")}, true},
		{"n > :v", nil, avItem{":v": avN("10")}, false},
		{"n >= :v", nil, avItem{":v": avN("9.5")}, true},
		{"n < :v", nil, avItem{":v": avS("11")}, false}, // different types never compare
		{"s < :v", nil, avItem{":v": avS("help")}, true},
		{"b < :v", nil, avItem{":v": avB("\x01\x03")}, true},
		{"n BETWEEN :lo AND :hi", nil, avItem{":lo": avN("1"), ":hi": avN("10")}, true},
		{"n BETWEEN :lo AND :hi", nil, avItem{":lo": avN("11"), ":hi": avN("20")}, false},
		{"n IN (:a, :b)", nil, avItem{":a": avN("1"), ":b": avN("10")}, true},
		{"n IN (:a, :b)", nil, avItem{":a": avN("1"), ":b": avN("2")}, false},
		{"begins_with(s, :p)", nil, avItem{":p": avS("he")}, true},
		{"begins_with(s, :p)", nil, avItem{":p": avS("lo")}, false},
		{"contains(s, :p)", nil, avItem{":p": avS("ll")}, true},
		{"contains(ss, :p)", nil, avItem{":p": avS("b")}, true},
		{"contains(ns, :p)", nil, avItem{":p": avN("3")}, false},
		{"contains(l, :p)", nil, avItem{":p": avS("x")}, true},
		{"size(s) = :n", nil, avItem{":n": avN("5")}, true},
		{"size(l) > :n", nil, avItem{":n": avN("2")}, true},
		{"size(m) = :n", nil, avItem{":n": avN("3")}, true},
		{"size(e) = :n", nil, avItem{":n": avN("0")}, true},
		{"attribute_type(nul, :t)", nil, avItem{":t": avS("NULL")}, true},
		{"attribute_type(ns, :t)", nil, avItem{":t": avS("SS")}, false},
		{"m.k = :v AND l[1] = :two", nil, avItem{":v": avS("v"), ":two": avN("2")}, true},
		{"m.k = :v AND l[1] = :two", nil, avItem{":v": avS("v"), ":two": avN("3")}, false},
		{"m.k = :x OR l[1] = :two", nil, avItem{":x": avS("nope"), ":two": avN("2")}, true},
		{"NOT (t = :f)", nil, avItem{":f": avBool(false)}, true},
		{"#n = :v", map[string]string{"#n": "name"}, avItem{":v": avS("reserved word attribute")}, true},
		{"(attribute_exists(s) AND n > :a) OR attribute_not_exists(zz)", nil, avItem{":a": avN("100")}, true},
		{"zz = :v", nil, avItem{":v": avS("x")}, false},
		{"zz <> :v", nil, avItem{":v": avS("x")}, true},
	}
	for _, op := range []string{"PutItem", "DeleteItem", "UpdateItem"} {
		for _, c := range cases {
			t.Run(op+"/"+c.cond, func(t *testing.T) {
				itemsPut(t, ts, "hash", condItem())
				key := avItem{"pk": avS("c")}
				var err error
				switch op {
				case "PutItem":
					it := condItem()
					it["new"] = avS("yes")
					_, err = ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"), Item: it,
						ConditionExpression: aws.String(c.cond), ExpressionAttributeNames: c.names, ExpressionAttributeValues: c.values})
				case "DeleteItem":
					_, err = ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("hash"), Key: key,
						ConditionExpression: aws.String(c.cond), ExpressionAttributeNames: c.names, ExpressionAttributeValues: c.values})
				case "UpdateItem":
					names := map[string]string{"#new": "new"}
					for k, v := range c.names {
						names[k] = v
					}
					values := avItem{":yes": avS("yes")}
					for k, v := range c.values {
						values[k] = v
					}
					_, err = ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("hash"), Key: key,
						UpdateExpression:    aws.String("SET #new = :yes"),
						ConditionExpression: aws.String(c.cond), ExpressionAttributeNames: names, ExpressionAttributeValues: values})
				}
				got := itemsGet(t, ts, "hash", key)
				if c.pass {
					if err != nil {
						t.Fatalf("want success, got %v", err)
					}
					switch op {
					case "DeleteItem":
						if got != nil {
							t.Fatalf("item not deleted: %s", itemText(got))
						}
					default:
						want := condItem()
						want["new"] = avS("yes")
						wantItem(t, got, want)
					}
					return
				}
				wantErr(t, err, "ConditionalCheckFailedException", "The conditional request failed")
				wantItem(t, got, condItem())
			})
		}
	}
}

func TestItemsConditionOnMissingItem(t *testing.T) {
	ts := itemsServer(t)
	put := func(cond string, values avItem) error {
		_, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"),
			Item: avItem{"pk": avS("m"), "v": avN("1")}, ConditionExpression: aws.String(cond), ExpressionAttributeValues: values})
		return err
	}
	wantErr(t, put("attribute_exists(pk)", nil), "ConditionalCheckFailedException", "The conditional request failed")
	wantErr(t, put("v = :one", avItem{":one": avN("1")}), "ConditionalCheckFailedException", "The conditional request failed")
	if err := put("attribute_not_exists(pk)", nil); err != nil {
		t.Fatal(err)
	}
	wantErr(t, put("attribute_not_exists(pk)", nil), "ConditionalCheckFailedException", "The conditional request failed")
	// Deleting a missing item with a condition that holds for "no item" succeeds.
	_, err := ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("none")},
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if err != nil {
		t.Fatal(err)
	}
	// UpdateItem with a failing condition does not create the item.
	_, err = ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("none")},
		UpdateExpression: aws.String("SET v = :one"), ConditionExpression: aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: avItem{":one": avN("1")}})
	wantErr(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	if got := itemsGet(t, ts, "hash", avItem{"pk": avS("none")}); got != nil {
		t.Fatalf("item created: %s", itemText(got))
	}
}

func TestItemsConditionFailureReturnsOldItem(t *testing.T) {
	ts := itemsServer(t)
	itemsPut(t, ts, "hash", avItem{"pk": avS("k"), "v": avN("1"), "m": avM(map[string]av{"x": avS("y")})})
	check := func(err error, want avItem) {
		t.Helper()
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			t.Fatalf("want ConditionalCheckFailedException, got %v", err)
		}
		if want == nil {
			if ccf.Item != nil {
				t.Fatalf("want no Item, got %s", itemText(ccf.Item))
			}
			return
		}
		wantItem(t, ccf.Item, want)
	}
	old := avItem{"pk": avS("k"), "v": avN("1"), "m": avM(map[string]av{"x": avS("y")})}
	_, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"), Item: avItem{"pk": avS("k")},
		ConditionExpression: aws.String("attribute_not_exists(pk)"), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	check(err, old)
	_, err = ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"), Item: avItem{"pk": avS("k")},
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	check(err, nil)
	_, err = ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"), Item: avItem{"pk": avS("k")},
		ConditionExpression: aws.String("attribute_not_exists(pk)"), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureNone})
	check(err, nil)
	_, err = ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("k")},
		ConditionExpression: aws.String("v = :two"), ExpressionAttributeValues: avItem{":two": avN("2")},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	check(err, old)
	_, err = ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("k")},
		UpdateExpression: aws.String("SET v = :two"), ConditionExpression: aws.String("v = :two"), ExpressionAttributeValues: avItem{":two": avN("2")},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	check(err, old)
	// A missing item gives no Item even with ALL_OLD.
	_, err = ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("gone")},
		ConditionExpression: aws.String("attribute_exists(pk)"), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	check(err, nil)
}

func TestItemsLegacyExpected(t *testing.T) {
	ts := itemsServer(t)
	ev := func(op types.ComparisonOperator, vals ...av) types.ExpectedAttributeValue {
		return types.ExpectedAttributeValue{ComparisonOperator: op, AttributeValueList: vals}
	}
	cases := []struct {
		name     string
		expected map[string]types.ExpectedAttributeValue
		op       types.ConditionalOperator
		pass     bool
	}{
		{"EQ", map[string]types.ExpectedAttributeValue{"n": ev("EQ", avN("10"))}, "", true},
		{"EQ-false", map[string]types.ExpectedAttributeValue{"n": ev("EQ", avN("11"))}, "", false},
		{"EQ-set", map[string]types.ExpectedAttributeValue{"ss": ev("EQ", avSS("b", "a"))}, "", true},
		{"NE", map[string]types.ExpectedAttributeValue{"n": ev("NE", avN("11"))}, "", true},
		{"NE-missing", map[string]types.ExpectedAttributeValue{"zz": ev("NE", avN("11"))}, "", true},
		{"LE", map[string]types.ExpectedAttributeValue{"n": ev("LE", avN("10"))}, "", true},
		{"LT", map[string]types.ExpectedAttributeValue{"n": ev("LT", avN("10"))}, "", false},
		{"GE", map[string]types.ExpectedAttributeValue{"s": ev("GE", avS("hello"))}, "", true},
		{"GT", map[string]types.ExpectedAttributeValue{"s": ev("GT", avS("hell"))}, "", true},
		{"NOT_NULL", map[string]types.ExpectedAttributeValue{"s": ev("NOT_NULL")}, "", true},
		{"NOT_NULL-missing", map[string]types.ExpectedAttributeValue{"zz": ev("NOT_NULL")}, "", false},
		{"NULL", map[string]types.ExpectedAttributeValue{"zz": ev("NULL")}, "", true},
		{"NULL-present", map[string]types.ExpectedAttributeValue{"s": ev("NULL")}, "", false},
		{"CONTAINS", map[string]types.ExpectedAttributeValue{"ss": ev("CONTAINS", avS("a"))}, "", true},
		{"CONTAINS-string", map[string]types.ExpectedAttributeValue{"s": ev("CONTAINS", avS("ell"))}, "", true},
		{"NOT_CONTAINS", map[string]types.ExpectedAttributeValue{"ns": ev("NOT_CONTAINS", avN("5"))}, "", true},
		{"NOT_CONTAINS-false", map[string]types.ExpectedAttributeValue{"ns": ev("NOT_CONTAINS", avN("1"))}, "", false},
		{"BEGINS_WITH", map[string]types.ExpectedAttributeValue{"s": ev("BEGINS_WITH", avS("he"))}, "", true},
		{"BEGINS_WITH-false", map[string]types.ExpectedAttributeValue{"s": ev("BEGINS_WITH", avS("lo"))}, "", false},
		{"IN", map[string]types.ExpectedAttributeValue{"n": ev("IN", avN("1"), avN("10"))}, "", true},
		{"IN-false", map[string]types.ExpectedAttributeValue{"n": ev("IN", avN("1"), avN("2"))}, "", false},
		{"BETWEEN", map[string]types.ExpectedAttributeValue{"n": ev("BETWEEN", avN("10"), avN("12"))}, "", true},
		{"BETWEEN-false", map[string]types.ExpectedAttributeValue{"n": ev("BETWEEN", avN("11"), avN("12"))}, "", false},
		{"Value", map[string]types.ExpectedAttributeValue{"s": {Value: avS("hello")}}, "", true},
		{"Value-false", map[string]types.ExpectedAttributeValue{"s": {Value: avS("bye")}}, "", false},
		{"Exists-true", map[string]types.ExpectedAttributeValue{"s": {Exists: aws.Bool(true), Value: avS("hello")}}, "", true},
		{"Exists-true-mismatch", map[string]types.ExpectedAttributeValue{"s": {Exists: aws.Bool(true), Value: avS("bye")}}, "", false},
		{"Exists-false", map[string]types.ExpectedAttributeValue{"zz": {Exists: aws.Bool(false)}}, "", true},
		{"Exists-false-present", map[string]types.ExpectedAttributeValue{"s": {Exists: aws.Bool(false)}}, "", false},
		{"AND", map[string]types.ExpectedAttributeValue{"s": ev("EQ", avS("hello")), "n": ev("EQ", avN("1"))}, "AND", false},
		{"default-AND", map[string]types.ExpectedAttributeValue{"s": ev("EQ", avS("hello")), "n": ev("EQ", avN("1"))}, "", false},
		{"OR", map[string]types.ExpectedAttributeValue{"s": ev("EQ", avS("hello")), "n": ev("EQ", avN("1"))}, "OR", true},
		{"OR-false", map[string]types.ExpectedAttributeValue{"s": ev("EQ", avS("x")), "n": ev("EQ", avN("1"))}, "OR", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			itemsPut(t, ts, "hash", condItem())
			it := condItem()
			it["new"] = avS("yes")
			_, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hash"), Item: it, Expected: c.expected, ConditionalOperator: c.op})
			if c.pass {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("c")}), it)
			} else {
				wantErr(t, err, "ConditionalCheckFailedException", "The conditional request failed")
			}
			// Same condition on UpdateItem (legacy AttributeUpdates) and DeleteItem.
			itemsPut(t, ts, "hash", condItem())
			_, err = ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("c")},
				AttributeUpdates: map[string]types.AttributeValueUpdate{"new": {Action: types.AttributeActionPut, Value: avS("yes")}},
				Expected:         c.expected, ConditionalOperator: c.op})
			if c.pass != (err == nil) {
				t.Fatalf("UpdateItem: pass=%v, err=%v", c.pass, err)
			}
			_, err = ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("c")},
				Expected: c.expected, ConditionalOperator: c.op})
			if c.pass != (err == nil) {
				t.Fatalf("DeleteItem: pass=%v, err=%v", c.pass, err)
			}
		})
	}
}
