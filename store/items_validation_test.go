package store

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestItemsValidation checks DynamoDB's error code and message for bad
// requests sent through the SDK.
func TestItemsValidation(t *testing.T) {
	ts := itemsServer(t)
	itemsPut(t, ts, "hash", avItem{"pk": avS("x"), "s": avS("str")})
	const (
		ve  = "ValidationException"
		inv = "One or more parameter values were invalid: "
	)
	tn := aws.String("hash")
	key := avItem{"pk": avS("x")}
	item := avItem{"pk": avS("x")}
	type tc struct {
		name string
		call func(c *dynamodb.Client) error
		code string
		msg  string
	}
	put := func(name string, in dynamodb.PutItemInput, code, msg string) tc {
		if in.TableName == nil {
			in.TableName = tn
		}
		if in.Item == nil {
			in.Item = item
		}
		return tc{"PutItem/" + name, func(c *dynamodb.Client) error { _, err := c.PutItem(bg, &in); return err }, code, msg}
	}
	get := func(name string, in dynamodb.GetItemInput, code, msg string) tc {
		if in.TableName == nil {
			in.TableName = tn
		}
		if in.Key == nil {
			in.Key = key
		}
		return tc{"GetItem/" + name, func(c *dynamodb.Client) error { _, err := c.GetItem(bg, &in); return err }, code, msg}
	}
	del := func(name string, in dynamodb.DeleteItemInput, code, msg string) tc {
		if in.TableName == nil {
			in.TableName = tn
		}
		if in.Key == nil {
			in.Key = key
		}
		return tc{"DeleteItem/" + name, func(c *dynamodb.Client) error { _, err := c.DeleteItem(bg, &in); return err }, code, msg}
	}
	upd := func(name string, in dynamodb.UpdateItemInput, code, msg string) tc {
		if in.TableName == nil {
			in.TableName = tn
		}
		if in.Key == nil {
			in.Key = key
		}
		return tc{"UpdateItem/" + name, func(c *dynamodb.Client) error { _, err := c.UpdateItem(bg, &in); return err }, code, msg}
	}
	ev := func(op types.ComparisonOperator, vals ...av) types.ExpectedAttributeValue {
		return types.ExpectedAttributeValue{ComparisonOperator: op, AttributeValueList: vals}
	}
	enumRV := "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"
	// PutItem, DeleteItem and UpdateItem answer their checks before the
	// table lookup inside the validation envelope (paritysuite/dynamodb-conformance
	// tier3 error-messages, 2026-10).
	env := "1 validation error detected: "
	cases := []tc{
		// Member constraints.
		put("capacity-enum", dynamodb.PutItemInput{ReturnConsumedCapacity: "FOO"}, ve,
			"1 validation error detected: Value 'FOO' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"),
		put("table-short", dynamodb.PutItemInput{TableName: aws.String("ab")}, ve,
			"1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"),
		put("table-pattern-and-short", dynamodb.PutItemInput{TableName: aws.String("a;")}, ve,
			"2 validation errors detected: Value 'a;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'a;' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"),
		put("table-long", dynamodb.PutItemInput{TableName: aws.String(strings.Repeat("t", 256))}, ve,
			"1 validation error detected: Value '"+strings.Repeat("t", 256)+"' at 'tableName' failed to satisfy constraint: Member must have length less than or equal to 255"),
		put("return-values-enum", dynamodb.PutItemInput{ReturnValues: "FOO"}, ve,
			"1 validation error detected: Value 'FOO' at 'returnValues' failed to satisfy constraint: "+enumRV),
		put("metrics-enum", dynamodb.PutItemInput{ReturnItemCollectionMetrics: "FOO"}, ve,
			"1 validation error detected: Value 'FOO' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]"),
		put("conditional-operator-enum", dynamodb.PutItemInput{ConditionalOperator: "XOR"}, ve,
			"1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]"),
		put("comparison-operator-enum", dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": ev("FOO", avS("x"))}}, ve,
			"1 validation error detected: Value 'FOO' at 'expected.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"),
		put("on-condition-enum", dynamodb.PutItemInput{ReturnValuesOnConditionCheckFailure: "ALL_NEW"}, ve,
			"1 validation error detected: Value 'ALL_NEW' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"),
		put("three-errors", dynamodb.PutItemInput{ReturnConsumedCapacity: "A", TableName: aws.String("ab"), ReturnValues: "B"}, ve,
			"3 validation errors detected: Value 'A' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; "+
				"Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3; "+
				"Value 'B' at 'returnValues' failed to satisfy constraint: "+enumRV),
		// Custom checks, in order.
		put("mix-expected-condition", dynamodb.PutItemInput{ConditionExpression: aws.String("attribute_exists(a)"), Expected: map[string]types.ExpectedAttributeValue{"a": {Exists: aws.Bool(false)}}}, ve,
			env+"Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"),
		put("names-without-expression", dynamodb.PutItemInput{ExpressionAttributeNames: map[string]string{"#a": "a"}}, ve,
			env+"ExpressionAttributeNames can only be specified when using expressions"),
		put("values-without-expression", dynamodb.PutItemInput{ExpressionAttributeValues: avItem{":a": avS("a")}}, ve,
			env+"ExpressionAttributeValues can only be specified when using expressions"),
		put("empty-string-set", dynamodb.PutItemInput{Item: avItem{"pk": avS("x"), "ss": avSS()}}, ve,
			env+inv+"An string set  may not be empty"),
		put("duplicate-string-set", dynamodb.PutItemInput{Item: avItem{"pk": avS("x"), "ss": avSS("a", "a")}}, ve,
			env+inv+`Input collection ["a", "a"] contains duplicates.`),
		put("bad-number", dynamodb.PutItemInput{Item: avItem{"pk": avS("x"), "n": avN("abc")}}, ve,
			env+"The parameter cannot be converted to a numeric value: abc"),
		put("number-overflow", dynamodb.PutItemInput{Item: avItem{"pk": avS("x"), "n": avN("1e126")}}, ve,
			env+"Number overflow. Attempting to store a number with magnitude larger than supported range"),
		put("nested-problem", dynamodb.PutItemInput{Item: avItem{"pk": avS("x"), "l": avL(avM(map[string]av{"ns": avNS()}))}}, ve,
			env+inv+"An number set  may not be empty"),
		put("return-values-all-new", dynamodb.PutItemInput{ReturnValues: types.ReturnValueAllNew}, ve, env+"ReturnValues can only be ALL_OLD or NONE"),
		put("return-values-updated-old", dynamodb.PutItemInput{ReturnValues: types.ReturnValueUpdatedOld}, ve, env+"ReturnValues can only be ALL_OLD or NONE"),
		put("too-large", dynamodb.PutItemInput{Item: avItem{"pk": avS("x"), "v": avS(strings.Repeat("v", 400*1024))}}, ve,
			env+"Item size has exceeded the maximum allowed size"),
		put("expected-value-and-list", dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {Value: avS("x"), ComparisonOperator: "EQ", AttributeValueList: []av{avS("x")}}}}, ve,
			env+inv+"Value and AttributeValueList cannot be used together for Attribute: a"),
		put("expected-exists-and-operator", dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {Exists: aws.Bool(true), ComparisonOperator: "EQ", Value: avS("x")}}}, ve,
			env+inv+"Exists and ComparisonOperator cannot be used together for Attribute: a"),
		put("expected-operator-without-value", dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {ComparisonOperator: "EQ"}}}, ve,
			env+inv+"Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"),
		put("expected-argument-count", dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": ev("BETWEEN", avN("1"))}}, ve,
			env+inv+"Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
		put("expected-null-with-value", dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": ev("NULL", avN("1"))}}, ve,
			env+inv+"Invalid number of argument(s) for the NULL ComparisonOperator"),
		put("expected-exists-without-value", dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {Exists: aws.Bool(true)}}}, ve,
			env+inv+"Value must be provided when Exists is true for Attribute: a"),
		put("expected-nothing", dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {}}}, ve,
			env+inv+"Value must be provided when Exists is null for Attribute: a"),
		put("expected-not-exists-with-value", dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {Exists: aws.Bool(false), Value: avS("x")}}}, ve,
			env+inv+"Value cannot be used when Exists is false for Attribute: a"),
		put("expected-list-without-operator", dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {AttributeValueList: []av{avS("x")}}}}, ve,
			env+inv+"AttributeValueList can only be used with a ComparisonOperator for Attribute: a"),
		put("expected-list-types", dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": ev("IN", avS("x"), avN("1"))}}, ve,
			env+inv+"AttributeValues inside AttributeValueList must be of same type"),
		put("names-empty", dynamodb.PutItemInput{ConditionExpression: aws.String("a = b"), ExpressionAttributeNames: map[string]string{}}, ve,
			env+"ExpressionAttributeNames must not be empty"),
		put("names-bad-key", dynamodb.PutItemInput{ConditionExpression: aws.String("a = b"), ExpressionAttributeNames: map[string]string{"a": "b"}}, ve,
			env+`ExpressionAttributeNames contains invalid key: Syntax error; key: "a"`),
		put("values-empty", dynamodb.PutItemInput{ConditionExpression: aws.String("a = b"), ExpressionAttributeValues: avItem{}}, ve,
			env+"ExpressionAttributeValues must not be empty"),
		put("values-bad-key", dynamodb.PutItemInput{ConditionExpression: aws.String("a = b"), ExpressionAttributeValues: avItem{"v": avS("x")}}, ve,
			env+`ExpressionAttributeValues contains invalid key: Syntax error; key: "v"`),
		put("values-bad-value", dynamodb.PutItemInput{ConditionExpression: aws.String("a = :v"), ExpressionAttributeValues: avItem{":v": avSS()}}, ve,
			env+inv+"An string set  may not be empty"),
		put("condition-empty", dynamodb.PutItemInput{ConditionExpression: aws.String("")}, ve,
			env+"Invalid ConditionExpression: The expression can not be empty;"),
		put("condition-undefined-value", dynamodb.PutItemInput{ConditionExpression: aws.String("a = :nope")}, ve,
			env+"Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"),
		put("condition-undefined-name", dynamodb.PutItemInput{ConditionExpression: aws.String("#nope = a")}, ve,
			env+"Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #nope"),
		put("condition-reserved", dynamodb.PutItemInput{ConditionExpression: aws.String("name = a")}, ve,
			env+"Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name"),
		put("condition-syntax", dynamodb.PutItemInput{ConditionExpression: aws.String("a = ")}, ve,
			env+`Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "= "`),
		put("unused-name", dynamodb.PutItemInput{ConditionExpression: aws.String("a = b"), ExpressionAttributeNames: map[string]string{"#u": "u"}}, ve,
			env+"Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}"),
		put("unused-value", dynamodb.PutItemInput{ConditionExpression: aws.String("a = b"), ExpressionAttributeValues: avItem{":u": avS("u")}}, ve,
			env+"Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}"),
		// Table and schema checks.
		put("no-table", dynamodb.PutItemInput{TableName: aws.String("nosuchtable")}, "ResourceNotFoundException", "Requested resource not found"),
		put("no-table-arn", dynamodb.PutItemInput{TableName: aws.String("arn:aws:dynamodb:us-east-1:000000000000:table/nosuchtable")}, "ResourceNotFoundException", "Requested resource not found"),
		put("missing-key", dynamodb.PutItemInput{Item: avItem{"a": avS("x")}}, ve, inv+"Missing the key pk in the item"),
		put("key-type", dynamodb.PutItemInput{Item: avItem{"pk": avN("1")}}, ve, inv+"Type mismatch for key pk expected: S actual: N"),
		put("key-empty", dynamodb.PutItemInput{Item: avItem{"pk": avS("")}}, ve,
			"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"),
		put("key-empty-binary", dynamodb.PutItemInput{TableName: aws.String("bin"), Item: avItem{"pk": avB("")}}, ve,
			"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: pk"),
		put("hash-key-too-long", dynamodb.PutItemInput{Item: avItem{"pk": avS(strings.Repeat("k", 2049))}}, ve,
			inv+"Size of hashkey has exceeded the maximum size limit of2048 bytes"),
		put("range-key-missing", dynamodb.PutItemInput{TableName: aws.String("range"), Item: avItem{"pk": avS("x")}}, ve, inv+"Missing the key sk in the item"),

		get("attributes-to-get-empty", dynamodb.GetItemInput{AttributesToGet: []string{}}, ve,
			"1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1"),
		get("capacity-enum", dynamodb.GetItemInput{ReturnConsumedCapacity: "X", TableName: aws.String("x")}, ve,
			"2 validation errors detected: Value 'X' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; "+
				"Value 'x' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"),
		get("mix", dynamodb.GetItemInput{AttributesToGet: []string{"a"}, ProjectionExpression: aws.String("a")}, ve,
			"Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"),
		get("names-without-projection", dynamodb.GetItemInput{ExpressionAttributeNames: map[string]string{"#a": "a"}}, ve,
			"ExpressionAttributeNames can only be specified when using expressions"),
		get("duplicate-attributes-to-get", dynamodb.GetItemInput{AttributesToGet: []string{"a", "b", "a"}}, ve,
			inv+"Duplicate value in attribute name: a"),
		get("key-problem", dynamodb.GetItemInput{Key: avItem{"pk": avNS()}}, ve, inv+"An number set  may not be empty"),
		get("projection-empty", dynamodb.GetItemInput{ProjectionExpression: aws.String("")}, ve, "Invalid ProjectionExpression: The expression can not be empty;"),
		get("projection-unused-name", dynamodb.GetItemInput{ProjectionExpression: aws.String("a"), ExpressionAttributeNames: map[string]string{"#b": "b"}}, ve,
			"Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"),
		get("no-table", dynamodb.GetItemInput{TableName: aws.String("nosuchtable")}, "ResourceNotFoundException", "Requested resource not found"),
		get("key-wrong-name", dynamodb.GetItemInput{Key: avItem{"id": avS("x")}}, ve, "The provided key element does not match the schema"),
		get("key-extra", dynamodb.GetItemInput{Key: avItem{"pk": avS("x"), "b": avS("y")}}, ve, "The provided key element does not match the schema"),
		get("key-type", dynamodb.GetItemInput{Key: avItem{"pk": avN("1")}}, ve, "The provided key element does not match the schema"),
		get("key-missing-range", dynamodb.GetItemInput{TableName: aws.String("range"), Key: avItem{"pk": avS("x")}}, ve, "The provided key element does not match the schema"),
		get("key-empty", dynamodb.GetItemInput{Key: avItem{"pk": avS("")}}, ve,
			"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"),
		get("projection-key-nested", dynamodb.GetItemInput{ProjectionExpression: aws.String("pk.a")}, ve,
			"Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk"),

		del("return-values-enum", dynamodb.DeleteItemInput{ReturnValues: "FOO"}, ve,
			"1 validation error detected: Value 'FOO' at 'returnValues' failed to satisfy constraint: "+enumRV),
		del("return-values-all-new", dynamodb.DeleteItemInput{ReturnValues: types.ReturnValueAllNew}, ve, env+"ReturnValues can only be ALL_OLD or NONE"),
		del("mix", dynamodb.DeleteItemInput{ConditionExpression: aws.String("attribute_exists(a)"), Expected: map[string]types.ExpectedAttributeValue{"a": {Exists: aws.Bool(false)}}}, ve,
			env+"Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"),
		del("values-without-expression", dynamodb.DeleteItemInput{ExpressionAttributeValues: avItem{":a": avS("a")}}, ve,
			env+"ExpressionAttributeValues can only be specified when using expressions"),
		del("key-schema", dynamodb.DeleteItemInput{Key: avItem{"pk": avS("x"), "sk": avN("1")}}, ve, "The provided key element does not match the schema"),
		del("no-table", dynamodb.DeleteItemInput{TableName: aws.String("nosuchtable")}, "ResourceNotFoundException", "Requested resource not found"),

		upd("return-values-enum", dynamodb.UpdateItemInput{ReturnValues: "FOO"}, ve,
			"1 validation error detected: Value 'FOO' at 'returnValues' failed to satisfy constraint: "+enumRV),
		upd("action-enum", dynamodb.UpdateItemInput{AttributeUpdates: map[string]types.AttributeValueUpdate{"a": {Action: "FOO", Value: avS("x")}}}, ve,
			"1 validation error detected: Value 'FOO' at 'attributeUpdates.a.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"),
		upd("mix-updates", dynamodb.UpdateItemInput{UpdateExpression: aws.String("SET a = :a"), AttributeUpdates: map[string]types.AttributeValueUpdate{"a": {Value: avS("x")}}}, ve,
			env+"Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}"),
		upd("mix-all", dynamodb.UpdateItemInput{UpdateExpression: aws.String("SET a = :a"), ConditionExpression: aws.String("a = :a"),
			AttributeUpdates: map[string]types.AttributeValueUpdate{"a": {Value: avS("x")}}, Expected: map[string]types.ExpectedAttributeValue{"a": {Exists: aws.Bool(false)}}}, ve,
			env+"Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates, Expected} Expression parameters: {UpdateExpression, ConditionExpression}"),
		upd("values-without-expression", dynamodb.UpdateItemInput{ExpressionAttributeValues: avItem{":a": avS("a")}}, ve,
			env+"ExpressionAttributeValues can only be specified when using expressions"),
		upd("put-without-value", dynamodb.UpdateItemInput{AttributeUpdates: map[string]types.AttributeValueUpdate{"a": {Action: types.AttributeActionPut}}}, ve,
			env+inv+"Only DELETE action is allowed when no attribute value is specified"),
		upd("delete-scalar", dynamodb.UpdateItemInput{AttributeUpdates: map[string]types.AttributeValueUpdate{"a": {Action: types.AttributeActionDelete, Value: avS("x")}}}, ve,
			env+inv+"DELETE action with value is not supported for the type S"),
		upd("add-string", dynamodb.UpdateItemInput{AttributeUpdates: map[string]types.AttributeValueUpdate{"a": {Action: types.AttributeActionAdd, Value: avS("x")}}}, ve,
			env+inv+"ADD action is not supported for the type S"),
		upd("update-syntax", dynamodb.UpdateItemInput{UpdateExpression: aws.String("SET")}, ve,
			env+`Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "SET"`),
		upd("update-unused-value", dynamodb.UpdateItemInput{UpdateExpression: aws.String("SET a = :a"), ExpressionAttributeValues: avItem{":a": avS("a"), ":b": avS("b")}}, ve,
			env+"Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}"),
		upd("value-used-by-condition", dynamodb.UpdateItemInput{UpdateExpression: aws.String("SET a = :a"), ConditionExpression: aws.String("#b = :b"),
			ExpressionAttributeNames: map[string]string{"#b": "b", "#c": "c"}, ExpressionAttributeValues: avItem{":a": avS("a"), ":b": avS("b")}}, ve,
			env+"Value provided in ExpressionAttributeNames unused in expressions: keys: {#c}"),
		upd("key-schema", dynamodb.UpdateItemInput{Key: avItem{"nope": avS("x")}, UpdateExpression: aws.String("SET a = :a"), ExpressionAttributeValues: avItem{":a": avS("a")}}, ve,
			"The provided key element does not match the schema"),
		upd("no-table", dynamodb.UpdateItemInput{TableName: aws.String("nosuchtable")}, "ResourceNotFoundException", "Requested resource not found"),
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantErr(t, c.call(ts.Client), c.code, c.msg)
		})
	}
	// Nothing above changed the stored item.
	wantItem(t, itemsGet(t, ts, "hash", key), avItem{"pk": avS("x"), "s": avS("str")})
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}
}

// TestItemsValidationRaw covers requests the SDK refuses to send.
func TestItemsValidationRaw(t *testing.T) {
	ts := itemsServer(t)
	cases := []struct {
		op, body   string
		code, msg  string
		capitalMsg bool
	}{
		{"PutItem", `{"TableName":"hash"}`, "ValidationException", "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null", false},
		{"PutItem", `{"Item":{"pk":{"S":"x"}}}`, "ValidationException", "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null", false},
		{"PutItem", `{}`, "ValidationException", "2 validation errors detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null; Value null at 'item' failed to satisfy constraint: Member must not be null", false},
		{"GetItem", `{"TableName":"hash"}`, "ValidationException", "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null", false},
		{"DeleteItem", `{"TableName":"hash","Key":null}`, "ValidationException", "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null", false},
		{"UpdateItem", `{"TableName":"hash"}`, "ValidationException", "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null", false},
		{"PutItem", `{"TableName":"hash","Item":{"pk":{}}}`, "ValidationException", "1 validation error detected: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes", false},
		{"PutItem", `{"TableName":"hash","Item":{"pk":{"S":"a","N":"1"}}}`, "ValidationException", "1 validation error detected: Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes", false},
		{"PutItem", `{"TableName":"hash","Item":{"pk":{"S":1}}}`, "SerializationException", "NUMBER_VALUE cannot be converted to String", true},
		{"PutItem", `{"TableName":1,"Item":{"pk":{"S":"x"}}}`, "SerializationException", "NUMBER_VALUE cannot be converted to String", true},
		{"PutItem", `{"TableName":"hash","Item":[]}`, "SerializationException", "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>", true},
		{"GetItem", `{"TableName":"hash","Key":{"pk":{"S":"x"}},"ConsistentRead":"maybe"}`, "SerializationException", "Unexpected token received from parser", true},
		{"GetItem", `{"TableName":"hash","Key":{"pk":{"S":"x"}},"AttributesToGet":"a"}`, "SerializationException", "Unexpected field type", true},
		{"PutItem", `{"TableName":"hash","Item":{"pk":{"S":"x"}},"Expected":{"a":{"AttributeValueList":[{"S":"x"},null],"ComparisonOperator":"EQ"}}}`, "ConditionalCheckFailedException", "The conditional request failed", false},
	}
	for _, c := range cases {
		t.Run(c.op+c.body, func(t *testing.T) {
			status, body := itemsRaw(t, ts, c.op, c.body)
			var e map[string]any
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("%d %s", status, body)
			}
			key := "message"
			if c.capitalMsg {
				key = "Message"
			}
			typ, _ := e["__type"].(string)
			if status != 400 || !strings.HasSuffix(typ, "#"+c.code) || e[key] != c.msg {
				t.Fatalf("got %d %s\nwant %s %q", status, body, c.code, c.msg)
			}
		})
	}
	// ConsistentRead accepts the strings DynamoDB's binder converts.
	if status, body := itemsRaw(t, ts, "GetItem", `{"TableName":"hash","Key":{"pk":{"S":"x"}},"ConsistentRead":"TRUE"}`); status != 200 {
		t.Fatalf("%d %s", status, body)
	}
}

func TestItemsTableArn(t *testing.T) {
	ts := itemsServer(t)
	arn := "arn:aws:dynamodb:us-east-1:000000000000:table/hash"
	if _, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String(arn), Item: avItem{"pk": avS("a"), "v": avN("1")}}); err != nil {
		t.Fatal(err)
	}
	out, err := ts.Client.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String(arn), Key: avItem{"pk": avS("a")}})
	if err != nil {
		t.Fatal(err)
	}
	wantItem(t, out.Item, avItem{"pk": avS("a"), "v": avN("1")})
	if _, err := ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String(arn), Key: avItem{"pk": avS("a")},
		UpdateExpression: aws.String("ADD v :one"), ExpressionAttributeValues: avItem{":one": avN("1")}}); err != nil {
		t.Fatal(err)
	}
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("a")}), avItem{"pk": avS("a"), "v": avN("2")})
	if _, err := ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String(arn), Key: avItem{"pk": avS("a")}}); err != nil {
		t.Fatal(err)
	}
	if got := itemsGet(t, ts, "hash", avItem{"pk": avS("a")}); got != nil {
		t.Fatalf("not deleted: %s", itemText(got))
	}
	_, err = ts.Client.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("arn:aws:dynamodb:us-east-1:111111111111:table/hash"), Key: avItem{"pk": avS("a")}})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found")
}

func TestItemsTableNotActive(t *testing.T) {
	ts := newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true, CreateDelay: time.Hour})
	itemsCreateTable(t, ts, "slow", []string{"pk:S"})
	_, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("slow"), Item: avItem{"pk": avS("a")}})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found")
	_, err = ts.Client.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("slow"), Key: avItem{"pk": avS("a")}})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found")
	_, err = ts.Client.UpdateItem(bg, &dynamodb.UpdateItemInput{TableName: aws.String("slow"), Key: avItem{"pk": avS("a")}})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found")
	_, err = ts.Client.DeleteItem(bg, &dynamodb.DeleteItemInput{TableName: aws.String("slow"), Key: avItem{"pk": avS("a")}})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found")
}
