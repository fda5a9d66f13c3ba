package store

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// updBase is the item the update tests start from.
func updBase() avItem {
	return avItem{
		"pk":  avS("u"),
		"n":   avN("10"),
		"s":   avS("str"),
		"l":   avL(avN("1"), avN("2"), avN("3")),
		"m":   avM(map[string]av{"a": avN("1"), "sb": avM(map[string]av{"x": avS("y")}), "lst": avL(avS("p"))}),
		"ss":  avSS("a", "b", "c"),
		"ns":  avNS("1", "2"),
		"bs":  avBS("x", "y"),
		"one": avSS("only"),
	}
}

func with(it avItem, kv ...any) avItem {
	out := avItem{}
	for k, v := range it {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
			continue
		}
		out[k] = kv[i+1].(av)
	}
	return out
}

func TestItemsUpdateExpressions(t *testing.T) {
	ts := itemsServer(t)
	base := updBase()
	cases := []struct {
		name   string
		expr   string
		names  map[string]string
		values avItem
		want   avItem
	}{
		{"set-literal", "SET x = :v", nil, avItem{":v": avS("new")}, with(base, "x", avS("new"))},
		{"set-replace", "SET s = :v", nil, avItem{":v": avN("5")}, with(base, "s", avN("5"))},
		{"set-plus", "SET n = n + :d", nil, avItem{":d": avN("2.5")}, with(base, "n", avN("12.5"))},
		{"set-minus", "SET n = n - :d", nil, avItem{":d": avN("15")}, with(base, "n", avN("-5"))},
		{"set-two-attrs", "SET n = :a, s = :b", nil, avItem{":a": avN("1"), ":b": avS("b")}, with(base, "n", avN("1"), "s", avS("b"))},
		{"set-copy", "SET c = s", nil, nil, with(base, "c", avS("str"))},
		{"if_not_exists-absent", "SET x = if_not_exists(x, :v)", nil, avItem{":v": avN("0")}, with(base, "x", avN("0"))},
		{"if_not_exists-present", "SET n = if_not_exists(n, :v)", nil, avItem{":v": avN("0")}, base},
		{"if_not_exists-plus", "SET c = if_not_exists(c, :z) + :one", nil, avItem{":z": avN("0"), ":one": avN("1")}, with(base, "c", avN("1"))},
		{"list_append-end", "SET l = list_append(l, :v)", nil, avItem{":v": avL(avN("4"))}, with(base, "l", avL(avN("1"), avN("2"), avN("3"), avN("4")))},
		{"list_append-front", "SET l = list_append(:v, l)", nil, avItem{":v": avL(avS("0"))}, with(base, "l", avL(avS("0"), avN("1"), avN("2"), avN("3")))},
		{"list_append-new", "SET x = list_append(if_not_exists(x, :e), :v)", nil, avItem{":e": avL(), ":v": avL(avN("9"))}, with(base, "x", avL(avN("9")))},
		{"nested-map-set", "SET m.sb.x = :v, m.b = :w", nil, avItem{":v": avS("z"), ":w": avBool(true)},
			with(base, "m", avM(map[string]av{"a": avN("1"), "b": avBool(true), "sb": avM(map[string]av{"x": avS("z")}), "lst": avL(avS("p"))}))},
		{"nested-names", "SET #m.#a = #m.#a + :one", map[string]string{"#m": "m", "#a": "a"}, avItem{":one": avN("1")},
			with(base, "m", avM(map[string]av{"a": avN("2"), "sb": avM(map[string]av{"x": avS("y")}), "lst": avL(avS("p"))}))},
		{"list-index-set", "SET l[1] = :v", nil, avItem{":v": avS("two")}, with(base, "l", avL(avN("1"), avS("two"), avN("3")))},
		{"list-index-append", "SET l[10] = :v", nil, avItem{":v": avN("4")}, with(base, "l", avL(avN("1"), avN("2"), avN("3"), avN("4")))},
		{"nested-list-index", "SET m.lst[0] = :v", nil, avItem{":v": avS("q")},
			with(base, "m", avM(map[string]av{"a": avN("1"), "sb": avM(map[string]av{"x": avS("y")}), "lst": avL(avS("q"))}))},
		{"remove", "REMOVE s, m.sb", nil, nil, with(base, "s", nil, "m", avM(map[string]av{"a": avN("1"), "lst": avL(avS("p"))}))},
		{"remove-absent", "REMOVE nothere", nil, nil, base},
		{"remove-list-index", "REMOVE l[0], l[2]", nil, nil, with(base, "l", avL(avN("2")))},
		{"add-number", "ADD n :d", nil, avItem{":d": avN("-10")}, with(base, "n", avN("0"))},
		{"add-number-new", "ADD c :d", nil, avItem{":d": avN("3")}, with(base, "c", avN("3"))},
		{"add-set", "ADD ss :v", nil, avItem{":v": avSS("c", "d")}, with(base, "ss", avSS("a", "b", "c", "d"))},
		{"add-set-new", "ADD nss :v", nil, avItem{":v": avNS("5")}, with(base, "nss", avNS("5"))},
		{"add-binary-set", "ADD bs :v", nil, avItem{":v": avBS("z")}, with(base, "bs", avBS("x", "y", "z"))},
		{"delete-set", "DELETE ss :v", nil, avItem{":v": avSS("a", "z")}, with(base, "ss", avSS("b", "c"))},
		{"delete-number-set", "DELETE ns :v", nil, avItem{":v": avNS("2")}, with(base, "ns", avNS("1"))},
		{"delete-set-all", "DELETE one :v", nil, avItem{":v": avSS("only")}, with(base, "one", nil)},
		{"delete-absent", "DELETE zz :v", nil, avItem{":v": avSS("a")}, base},
		{"all-clauses", "SET a = :a REMOVE s ADD n :one DELETE ss :b", nil, avItem{":a": avS("A"), ":one": avN("1"), ":b": avSS("b")},
			with(base, "a", avS("A"), "s", nil, "n", avN("11"), "ss", avSS("a", "c"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			itemsPut(t, ts, "hash", base)
			out, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("u")},
				UpdateExpression: aws.String(c.expr), ExpressionAttributeNames: c.names, ExpressionAttributeValues: c.values,
				ReturnValues: types.ReturnValueAllNew})
			if err != nil {
				t.Fatal(err)
			}
			wantItem(t, out.Attributes, c.want)
			wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("u")}), c.want)
		})
	}
}

func TestItemsUpdateErrors(t *testing.T) {
	ts := itemsServer(t)
	base := updBase()
	cases := []struct {
		name   string
		expr   string
		values avItem
		msg    string
	}{
		{"plus-string", "SET s = s + :one", avItem{":one": avN("1")}, "An operand in the update expression has an incorrect data type"},
		{"plus-missing", "SET x = nothere + :one", avItem{":one": avN("1")}, "The provided expression refers to an attribute that does not exist in the item"},
		{"copy-missing", "SET x = nothere", nil, "The provided expression refers to an attribute that does not exist in the item"},
		{"list_append-not-list", "SET s = list_append(s, :l)", avItem{":l": avL()}, "An operand in the update expression has an incorrect data type"},
		{"nested-missing-parent", "SET zz.a = :one", avItem{":one": avN("1")}, "The document path provided in the update expression is invalid for update"},
		{"index-on-map", "SET m[0] = :one", avItem{":one": avN("1")}, "The document path provided in the update expression is invalid for update"},
		{"add-to-string", "ADD s :one", avItem{":one": avN("1")}, "An operand in the update expression has an incorrect data type"},
		{"add-set-type", "ADD ss :v", avItem{":v": avNS("1")}, "An operand in the update expression has an incorrect data type"},
		{"delete-type", "DELETE ss :v", avItem{":v": avNS("1")}, "An operand in the update expression has an incorrect data type"},
		{"overlap", "SET m = :one, m.a = :one", avItem{":one": avN("1")}, "1 validation error detected: Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m], path two: [m, a]"},
		{"same-path", "SET n = :one REMOVE n", avItem{":one": avN("1")}, "1 validation error detected: Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [n], path two: [n]"},
		{"empty", "", nil, "1 validation error detected: Invalid UpdateExpression: The expression can not be empty;"},
		{"key-attr", "SET pk = :one", avItem{":one": avN("1")}, "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"},
		{"key-attr-remove", "REMOVE pk", nil, "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			itemsPut(t, ts, "hash", base)
			_, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("u")},
				UpdateExpression: aws.String(c.expr), ExpressionAttributeValues: c.values})
			wantErr(t, err, "ValidationException", c.msg)
			wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("u")}), base)
		})
	}
}

func TestItemsUpdateUpsert(t *testing.T) {
	ts := itemsServer(t)
	upd := func(pk string, in *dynamodb.UpdateItemInput) *dynamodb.UpdateItemOutput {
		t.Helper()
		in.TableName = aws.String("range")
		in.Key = avItem{"pk": avS(pk), "sk": avN("1")}
		out, err := ts.Client.UpdateItem(bg, in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	key := func(pk string) avItem { return avItem{"pk": avS(pk), "sk": avN("1")} }
	get := func(pk string) avItem { return itemsGet(t, ts, "range", key(pk)) }

	upd("a", &dynamodb.UpdateItemInput{UpdateExpression: aws.String("SET v = :v"), ExpressionAttributeValues: avItem{":v": avS("x")}})
	wantItem(t, get("a"), with(key("a"), "v", avS("x")))
	// An update that only removes creates nothing (DynamoDB; alternator's
	// test_item.py, issue #5862).
	upd("b", &dynamodb.UpdateItemInput{UpdateExpression: aws.String("REMOVE v")})
	wantItem(t, get("b"), nil)
	// So does an UpdateItem without any update.
	upd("c", &dynamodb.UpdateItemInput{})
	wantItem(t, get("c"), key("c"))
	// ADD on a new item starts from zero / the empty set.
	upd("d", &dynamodb.UpdateItemInput{UpdateExpression: aws.String("ADD cnt :one, tags :t"), ExpressionAttributeValues: avItem{":one": avN("1"), ":t": avSS("x")}})
	wantItem(t, get("d"), with(key("d"), "cnt", avN("1"), "tags", avSS("x")))
	// Legacy AttributeUpdates upsert too.
	upd("e", &dynamodb.UpdateItemInput{AttributeUpdates: map[string]types.AttributeValueUpdate{
		"p":    {Action: types.AttributeActionPut, Value: avS("put")},
		"cnt":  {Action: types.AttributeActionAdd, Value: avN("2")},
		"gone": {Action: types.AttributeActionDelete},
	}})
	wantItem(t, get("e"), with(key("e"), "p", avS("put"), "cnt", avN("2")))
}

func TestItemsLegacyAttributeUpdates(t *testing.T) {
	ts := itemsServer(t)
	base := updBase()
	cases := []struct {
		name    string
		updates map[string]types.AttributeValueUpdate
		want    avItem
		err     string
	}{
		{"put", map[string]types.AttributeValueUpdate{"s": {Action: types.AttributeActionPut, Value: avN("1")}}, with(base, "s", avN("1")), ""},
		{"default-action-put", map[string]types.AttributeValueUpdate{"x": {Value: avS("v")}}, with(base, "x", avS("v")), ""},
		{"add-number", map[string]types.AttributeValueUpdate{"n": {Action: types.AttributeActionAdd, Value: avN("5")}}, with(base, "n", avN("15")), ""},
		{"add-set", map[string]types.AttributeValueUpdate{"ss": {Action: types.AttributeActionAdd, Value: avSS("z")}}, with(base, "ss", avSS("a", "b", "c", "z")), ""},
		{"add-list", map[string]types.AttributeValueUpdate{"l": {Action: types.AttributeActionAdd, Value: avL(avN("4"))}}, with(base, "l", avL(avN("1"), avN("2"), avN("3"), avN("4"))), ""},
		{"delete-attr", map[string]types.AttributeValueUpdate{"s": {Action: types.AttributeActionDelete}}, with(base, "s", nil), ""},
		{"delete-from-set", map[string]types.AttributeValueUpdate{"ss": {Action: types.AttributeActionDelete, Value: avSS("a")}}, with(base, "ss", avSS("b", "c")), ""},
		{"delete-whole-set", map[string]types.AttributeValueUpdate{"one": {Action: types.AttributeActionDelete, Value: avSS("only")}}, with(base, "one", nil), ""},
		{"add-type-mismatch", map[string]types.AttributeValueUpdate{"s": {Action: types.AttributeActionAdd, Value: avN("1")}}, nil, "Type mismatch for attribute to update"},
		{"key", map[string]types.AttributeValueUpdate{"pk": {Action: types.AttributeActionPut, Value: avS("x")}}, nil, "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			itemsPut(t, ts, "hash", base)
			out, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS("u")},
				AttributeUpdates: c.updates, ReturnValues: types.ReturnValueAllNew})
			if c.err != "" {
				wantErr(t, err, "ValidationException", c.err)
				wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("u")}), base)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantItem(t, out.Attributes, c.want)
			wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("u")}), c.want)
		})
	}
}

func TestItemsUpdateSizeLimit(t *testing.T) {
	ts := itemsServer(t)
	// pk (2+30) + "big" (3) + value: exactly 400 KB after the update. The
	// key is long enough that the finished item, not the statement's own
	// charge (expr.StatementSize, update_size scenario), binds.
	key := strings.Repeat("z", 30)
	big := strings.Repeat("x", 400*1024-35)
	itemsPut(t, ts, "hash", avItem{"pk": avS(key), "big": avS(big[:1000])})
	_, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS(key)},
		UpdateExpression: aws.String("SET big = :b"), ExpressionAttributeValues: avItem{":b": avS(big)}})
	if err != nil {
		t.Fatalf("exactly 400 KB: %v", err)
	}
	_, err = ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS(key)},
		UpdateExpression: aws.String("SET c = :c"), ExpressionAttributeValues: avItem{":c": avBool(true)}})
	wantErr(t, err, "ValidationException", "Item size to update has exceeded the maximum allowed size")
	got := itemsGet(t, ts, "hash", avItem{"pk": avS(key)})
	if _, ok := got["c"]; ok {
		t.Fatal("oversized update was stored")
	}
}
