package store

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/ddb/wire"
)

// ctlRaw posts a raw JSON body to operation op and returns the HTTP
// status, the error name (after '#') and message, or the raw body on
// success.
func ctlRaw(t testing.TB, url, op, body string) (status int, errType, msg, raw string) {
	t.Helper()
	return targetRaw(t, url, "DynamoDB_20120810."+op, body)
}

// targetRaw is ctlRaw for any X-Amz-Target.
func targetRaw(t testing.TB, url, target, body string) (status int, errType, msg, raw string) {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", target)
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
	if resp.StatusCode == 200 {
		return 200, "", "", string(b)
	}
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Msg     string `json:"Message"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	if e.Message == "" {
		e.Message = e.Msg
	}
	return resp.StatusCode, e.Type[strings.LastIndexByte(e.Type, '#')+1:], e.Message, string(b)
}

// ctlOK posts a raw request that must succeed and returns the decoded body.
func ctlOK(t testing.TB, url, op, body string) map[string]any {
	t.Helper()
	st, typ, msg, raw := ctlRaw(t, url, op, body)
	if st != 200 {
		t.Fatalf("%s %s: %d %s %s", op, body, st, typ, msg)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Request fragments.
const (
	ctlDefsAB = `"AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"},{"AttributeName":"b","AttributeType":"S"}]`
	ctlKeysAB = `"KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}]`
	ctlKeysA  = `"KeySchema":[{"AttributeName":"a","KeyType":"HASH"}]`
	ctlPT11   = `"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}`
	ctlIdxAB  = `"KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}]`
)

func TestControlValidation(t *testing.T) {
	ts := newTestServer(t)
	ctlOK(t, ts.URL, "CreateTable", `{"TableName":"exists",`+ctlDefsAB+`,`+ctlKeysAB+`,"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}}`)
	ctlOK(t, ts.URL, "CreateTable", `{"TableName":"prov",`+ctlDefsAB+`,`+ctlKeysAB+`,`+ctlPT11+`,"GlobalSecondaryIndexes":[{"IndexName":"gsi",`+ctlIdxAB+`,"Projection":{"ProjectionType":"ALL"},`+ctlPT11+`}]}`)
	ctlOK(t, ts.URL, "CreateTable", `{"TableName":"protected","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}],`+ctlKeysA+`,"BillingMode":"PAY_PER_REQUEST","DeletionProtectionEnabled":true}`)

	long := strings.Repeat("a", 256)
	gsis21 := make([]string, 21)
	for i := range gsis21 {
		gsis21[i] = `{"IndexName":"g` + strings.Repeat("x", i+2) + `",` + ctlIdxAB + `,"Projection":{"ProjectionType":"ALL"},` + ctlPT11 + `}`
	}
	lsi := func(name string) string {
		return `{"IndexName":"` + name + `",` + ctlIdxAB + `,"Projection":{"ProjectionType":"ALL"}}`
	}
	const V = "ValidationException"
	const inv = "One or more parameter values were invalid: "
	cases := []struct {
		name, op, body, typ, msg string
	}{
		// Serialization and presence.
		{"table name not a string", "CreateTable", `{"TableName":12}`, "SerializationException", "NUMBER_VALUE cannot be converted to String"},
		{"key schema not a list", "CreateTable", `{"TableName":"abc","KeySchema":"x"}`, "SerializationException", "Unexpected field type"},
		{"capacity not a long", "CreateTable", `{"TableName":"abc","ProvisionedThroughput":{"ReadCapacityUnits":"1"}}`, "SerializationException", "STRING_VALUE cannot be converted to Long"},
		{"no table name", "CreateTable", `{}`, V, "The parameter 'TableName' is required but was not present in the request"},
		// Lengths are member constraints in current DynamoDB (paritysuite/dynamodb-conformance
		// captures, CreateTable TableName='ab'); dynalite recorded a bespoke sentence.
		{"empty table name", "CreateTable", `{"TableName":"",` + ctlDefsAB + `,` + ctlKeysAB + `,"BillingMode":"PAY_PER_REQUEST"}`, V,
			"1 validation error detected: Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"short table name", "CreateTable", `{"TableName":"ab",` + ctlDefsAB + `,` + ctlKeysAB + `,"BillingMode":"PAY_PER_REQUEST"}`, V,
			"1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"},
		{"long table name", "CreateTable", `{"TableName":"` + long + `",` + ctlDefsAB + `,` + ctlKeysAB + `,"BillingMode":"PAY_PER_REQUEST"}`, V,
			"1 validation error detected: Value '" + long + "' at 'tableName' failed to satisfy constraint: Member must have length less than or equal to 255"},

		// Constraint lists.
		{"null attributes", "CreateTable", `{"TableName":"abc;"}`, V,
			"3 validation errors detected: Value null at 'attributeDefinitions' failed to satisfy constraint: Member must not be null; " +
				"Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
				"Value null at 'keySchema' failed to satisfy constraint: Member must not be null"},
		{"empty throughput", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[],"ProvisionedThroughput":{}}`, V,
			"3 validation errors detected: Value null at 'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'keySchema' failed to satisfy constraint: Member must not be null"},
		{"low throughput", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[],"KeySchema":[],"ProvisionedThroughput":{"ReadCapacityUnits":-1,"WriteCapacityUnits":-1}}`, V,
			"3 validation errors detected: Value '-1' at 'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
				"Value '-1' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
				"Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"key element names", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[],"KeySchema":[{"KeyType":"HASH"},{"AttributeName":"a"},{"KeyType":"Woop","AttributeName":"a"}],"ProvisionedThroughput":{"ReadCapacityUnits":1000000000001,"WriteCapacityUnits":1000000000001}}`, V,
			"4 validation errors detected: Value '[KeySchemaElement(attributeName=null, keyType=HASH), KeySchemaElement(attributeName=a, keyType=null), KeySchemaElement(attributeName=a, keyType=Woop)]' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2; " +
				"Value null at 'keySchema.1.member.attributeName' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'keySchema.2.member.keyType' failed to satisfy constraint: Member must not be null; " +
				"Value 'Woop' at 'keySchema.3.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]"},
		{"attribute type SS", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[{"AttributeName":"b","AttributeType":"SS"}],` + ctlKeysA + `,` + ctlPT11 + `}`, V,
			"1 validation error detected: Value 'SS' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]"},
		{"billing mode enum", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysAB + `,"BillingMode":"FREE"}`, V,
			"1 validation error detected: Value 'FREE' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"},
		{"bad index names", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysA + `,"LocalSecondaryIndexes":[{"IndexName":"h;","KeySchema":[],"Projection":{}},{"IndexName":"` + long + `",` + ctlKeysA + `,"Projection":{}}],` + ctlPT11 + `}`, V,
			"4 validation errors detected: Value 'h;' at 'localSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
				"Value 'h;' at 'localSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must have length greater than or equal to 3; " +
				"Value '[]' at 'localSecondaryIndexes.1.member.keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value '" + long + "' at 'localSecondaryIndexes.2.member.indexName' failed to satisfy constraint: Member must have length less than or equal to 255"},
		{"projection constraints", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysAB + `,"GlobalSecondaryIndexes":[{"IndexName":"abc",` + ctlIdxAB + `,"Projection":{"NonKeyAttributes":[],"ProjectionType":"abc"},"ProvisionedThroughput":{"ReadCapacityUnits":0,"WriteCapacityUnits":1}}],` + ctlPT11 + `}`, V,
			"3 validation errors detected: Value 'abc' at 'globalSecondaryIndexes.1.member.projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]; " +
				"Value '[]' at 'globalSecondaryIndexes.1.member.projection.nonKeyAttributes' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value '0' at 'globalSecondaryIndexes.1.member.provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"stream enabled null", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysAB + `,"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamViewType":"NEW"}}`, V,
			"2 validation errors detected: Value null at 'streamSpecification.streamEnabled' failed to satisfy constraint: Member must not be null; " +
				"Value 'NEW' at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]"},

		// CreateTable semantic checks, in DynamoDB's order.
		{"missing throughput", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[],` + ctlKeysA + `}`, V,
			inv + "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"},
		{"throughput with on-demand", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[],` + ctlKeysA + `,"BillingMode":"PAY_PER_REQUEST",` + ctlPT11 + `}`, V,
			inv + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"},
		{"read out of bounds", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[],` + ctlKeysA + `,"ProvisionedThroughput":{"ReadCapacityUnits":1000000000001,"WriteCapacityUnits":1000000000001}}`, V,
			"Given value 1000000000001 for ReadCapacityUnits is out of bounds"},
		{"write out of bounds", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[],` + ctlKeysA + `,"ProvisionedThroughput":{"ReadCapacityUnits":1000000000000,"WriteCapacityUnits":1000000000001}}`, V,
			"Given value 1000000000001 for WriteCapacityUnits is out of bounds"},
		{"more keys than definitions", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[{"AttributeName":"b","AttributeType":"S"}],` + ctlKeysAB + `,` + ctlPT11 + `}`, V,
			"Invalid KeySchema: Some index key attribute have no definition"},
		{"key not defined", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[{"AttributeName":"b","AttributeType":"S"}],` + ctlKeysA + `,` + ctlPT11 + `}`, V,
			inv + "Some index key attributes are not defined in AttributeDefinitions. Keys: [a], AttributeDefinitions: [b]"},
		{"same key names", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,"KeySchema":[{"KeyType":"HASH","AttributeName":"a"},{"KeyType":"HASH","AttributeName":"a"}],` + ctlPT11 + `}`, V,
			"Both the Hash Key and the Range Key element in the KeySchema have the same name"},
		{"first key not hash", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,"KeySchema":[{"KeyType":"RANGE","AttributeName":"a"},{"KeyType":"HASH","AttributeName":"b"}],` + ctlPT11 + `}`, V,
			"Invalid KeySchema: The first KeySchemaElement is not a HASH key type"},
		{"second key not range", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,"KeySchema":[{"KeyType":"HASH","AttributeName":"a"},{"KeyType":"HASH","AttributeName":"b"}],` + ctlPT11 + `}`, V,
			"Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"},
		{"extra definition", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysA + `,` + ctlPT11 + `}`, V,
			inv + "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"},
		{"empty LSI list", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysA + `,"LocalSecondaryIndexes":[],` + ctlPT11 + `}`, V,
			inv + "List of LocalSecondaryIndexes is empty"},
		{"LSI without table range key", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysA + `,"LocalSecondaryIndexes":[{"IndexName":"abc","KeySchema":[{"AttributeName":"c","KeyType":"RANGE"}],"Projection":{}}],` + ctlPT11 + `}`, V,
			inv + "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"},
		{"LSI keys not defined", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysAB + `,"LocalSecondaryIndexes":[{"IndexName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"c","KeyType":"RANGE"}],"Projection":{}}],` + ctlPT11 + `}`, V,
			inv + "Some index key attributes are not defined in AttributeDefinitions. Keys: [a, c], AttributeDefinitions: [a, b]"},
		{"LSI without range key", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysAB + `,"LocalSecondaryIndexes":[{"IndexName":"abc","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],"Projection":{}}],` + ctlPT11 + `}`, V,
			inv + "Index KeySchema does not have a range key for index: abc"},
		{"LSI other hash key", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysAB + `,"LocalSecondaryIndexes":[{"IndexName":"abc","KeySchema":[{"AttributeName":"b","KeyType":"HASH"},{"AttributeName":"a","KeyType":"RANGE"}],"Projection":{}}],` + ctlPT11 + `}`, V,
			inv + "Index KeySchema does not have the same leading hash key as table KeySchema for index: abc. index hash key: b, table hash key: a"},
		{"empty projection", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysAB + `,"LocalSecondaryIndexes":[{"IndexName":"abc",` + ctlIdxAB + `,"Projection":{}}],` + ctlPT11 + `}`, V,
			inv + "Unknown ProjectionType: null"},
		{"non-key attributes with ALL", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysAB + `,"LocalSecondaryIndexes":[{"IndexName":"abc",` + ctlIdxAB + `,"Projection":{"ProjectionType":"ALL","NonKeyAttributes":["x"]}}],` + ctlPT11 + `}`, V,
			inv + "ProjectionType is ALL, but NonKeyAttributes is specified"},
		{"INCLUDE without non-key attributes", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysAB + `,"LocalSecondaryIndexes":[{"IndexName":"abc",` + ctlIdxAB + `,"Projection":{"ProjectionType":"INCLUDE"}}],` + ctlPT11 + `}`, V,
			inv + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified"},
		{"duplicate LSI and GSI names", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysAB + `,"LocalSecondaryIndexes":[` + lsi("abc") + `],"GlobalSecondaryIndexes":[{"IndexName":"abc",` + ctlIdxAB + `,"Projection":{"ProjectionType":"ALL"},` + ctlPT11 + `}],` + ctlPT11 + `}`, V,
			inv + "Duplicate index name: abc"},
		{"six LSIs", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysAB + `,"LocalSecondaryIndexes":[` + strings.Join([]string{lsi("ab1"), lsi("ab2"), lsi("ab3"), lsi("ab4"), lsi("ab5"), lsi("ab6")}, ",") + `],` + ctlPT11 + `}`, V,
			inv + "Number of LocalSecondaryIndexes exceeds per-table limit of 5"},
		{"empty GSI list", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysA + `,"GlobalSecondaryIndexes":[],` + ctlPT11 + `}`, V,
			inv + "List of GlobalSecondaryIndexes is empty"},
		{"GSI throughput when on demand", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysA + `,"BillingMode":"PAY_PER_REQUEST","GlobalSecondaryIndexes":[{"IndexName":"gsi","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"},` + ctlPT11 + `}]}`, V,
			inv + "ProvisionedThroughput should not be specified for index: gsi when BillingMode is PAY_PER_REQUEST"},
		{"GSI throughput missing", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysA + `,"GlobalSecondaryIndexes":[{"IndexName":"gsi","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}],` + ctlPT11 + `}`, V,
			inv + "ProvisionedThroughput is not specified for index: gsi"},
		{"21 GSIs", "CreateTable", `{"TableName":"abc",` + ctlDefsAB + `,` + ctlKeysAB + `,"GlobalSecondaryIndexes":[` + strings.Join(gsis21, ",") + `],` + ctlPT11 + `}`, V,
			inv + "GlobalSecondaryIndex count exceeds the per-table limit of 20"},
		{"unused definition with index", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"},{"AttributeName":"b","AttributeType":"S"},{"AttributeName":"c","AttributeType":"S"}],` + ctlKeysA + `,"BillingMode":"PAY_PER_REQUEST","GlobalSecondaryIndexes":[{"IndexName":"gsi","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]}`, V,
			inv + "Some AttributeDefinitions are not used. AttributeDefinitions: [a, b, c], keys used: [a, b]"},
		{"stream without view type", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}],` + ctlKeysA + `,"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true}}`, V,
			inv + "Table is being created with a stream enabled, UpdateViewType is required"},
		{"disabled stream with view type", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}],` + ctlKeysA + `,"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":false,"StreamViewType":"KEYS_ONLY"}}`, V,
			inv + "Table is being created with a stream disabled, UpdateViewType should not be specified"},
		{"SSE type while disabled", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}],` + ctlKeysA + `,"BillingMode":"PAY_PER_REQUEST","SSESpecification":{"Enabled":false,"SSEType":"KMS"}}`, V,
			inv + "SSEType can not be specified if Enabled is false"},
		{"bad table class", "CreateTable", `{"TableName":"abc","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}],` + ctlKeysA + `,"BillingMode":"PAY_PER_REQUEST","TableClass":"GLACIER"}`, V,
			"Invalid table-class parameter provided. Please try again with a valid table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS]."},
		{"table exists", "CreateTable", `{"TableName":"exists",` + ctlDefsAB + `,` + ctlKeysAB + `,"BillingMode":"PAY_PER_REQUEST"}`, "ResourceInUseException",
			"Table already exists: exists"},

		// DescribeTable, DeleteTable, ListTables.
		{"describe no name", "DescribeTable", `{}`, V, "The parameter 'TableName' is required but was not present in the request"},
		{"describe short name", "DescribeTable", `{"TableName":"ab"}`, V, "TableName must be at least 3 characters long and at most 255 characters long"},
		{"describe bad name", "DescribeTable", `{"TableName":"abc;"}`, V,
			"1 validation error detected: Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"},
		{"describe missing", "DescribeTable", `{"TableName":"nope"}`, "ResourceNotFoundException", "Requested resource not found: Table: nope not found"},
		{"delete missing", "DeleteTable", `{"TableName":"nope"}`, "ResourceNotFoundException", "Requested resource not found: Table: nope not found"},
		{"delete protected", "DeleteTable", `{"TableName":"protected"}`, V,
			"Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."},
		{"list limit low", "ListTables", `{"Limit":0}`, V,
			"1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"list limit high and bad start", "ListTables", `{"Limit":101,"ExclusiveStartTableName":"a;"}`, V,
			"3 validation errors detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100; " +
				"Value 'a;' at 'exclusiveStartTableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
				"Value 'a;' at 'exclusiveStartTableName' failed to satisfy constraint: Member must have length greater than or equal to 3"},

		// UpdateTable.
		{"update nothing", "UpdateTable", `{"TableName":"exists"}`, V,
			"At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, " +
				"MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required"},
		{"update missing table", "UpdateTable", `{"TableName":"nope","DeletionProtectionEnabled":true}`, "ResourceNotFoundException",
			"Requested resource not found: Table: nope not found"},
		{"update low throughput", "UpdateTable", `{"TableName":"prov","ProvisionedThroughput":{"ReadCapacityUnits":0}}`, V,
			"2 validation errors detected: Value null at 'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must not be null; " +
				"Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"update provisioned without throughput", "UpdateTable", `{"TableName":"exists","BillingMode":"PROVISIONED"}`, V,
			inv + "ProvisionedThroughput must be specified when BillingMode is PROVISIONED"},
		{"update same throughput", "UpdateTable", `{"TableName":"prov",` + ctlPT11 + `}`, V,
			"The provisioned throughput for the table will not change. The requested value equals the current value. " +
				"Current ReadCapacityUnits provisioned for the table: 1. Requested ReadCapacityUnits: 1. " +
				"Current WriteCapacityUnits provisioned for the table: 1. Requested WriteCapacityUnits: 1. " +
				"Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."},
		{"update throughput on demand", "UpdateTable", `{"TableName":"exists",` + ctlPT11 + `}`, V,
			inv + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"},
		{"update to provisioned without index throughput", "UpdateTable", `{"TableName":"exists","BillingMode":"PROVISIONED",` + ctlPT11 + `}`, "", ""},
		{"enable enabled stream", "UpdateTable", `{"TableName":"exists","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"}}`, V,
			"Table already has an enabled stream: TableName: exists"},
		{"disable missing stream", "UpdateTable", `{"TableName":"prov","StreamSpecification":{"StreamEnabled":false}}`, V,
			"Table has no stream to disable: TableName: prov"},
		{"enable stream without view type", "UpdateTable", `{"TableName":"prov","StreamSpecification":{"StreamEnabled":true}}`, V,
			inv + "If stream is being enabled then UpdateViewType is required"},
		{"SSE with other change", "UpdateTable", `{"TableName":"prov","SSESpecification":{"Enabled":true},"DeletionProtectionEnabled":true}`, V,
			inv + "Server-Side Encryption modification must be the only operation in the request"},
		{"stream with throughput", "UpdateTable", `{"TableName":"prov","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"},"ProvisionedThroughput":{"ReadCapacityUnits":2,"WriteCapacityUnits":2}}`, V,
			inv + "You cannot modify stream status while updating table IOPS"},
		{"empty index update", "UpdateTable", `{"TableName":"prov","GlobalSecondaryIndexUpdates":[{}]}`, V,
			inv + "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null"},
		{"update unknown index", "UpdateTable", `{"TableName":"prov","GlobalSecondaryIndexUpdates":[{"Update":{"IndexName":"nope",` + ctlPT11 + `}}]}`, V,
			"Cannot update an index that is not a GlobalSecondaryIndex: nope"},
		{"update index same throughput", "UpdateTable", `{"TableName":"prov","GlobalSecondaryIndexUpdates":[{"Update":{"IndexName":"gsi",` + ctlPT11 + `}}]}`, V,
			"The provisioned throughput for the index gsi will not change. The requested value equals the current value. " +
				"Current ReadCapacityUnits provisioned for the index: 1. Requested ReadCapacityUnits: 1. " +
				"Current WriteCapacityUnits provisioned for the index: 1. Requested WriteCapacityUnits: 1. " +
				"Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."},
		{"create existing index", "UpdateTable", `{"TableName":"prov","GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"gsi",` + ctlIdxAB + `,"Projection":{"ProjectionType":"ALL"},` + ctlPT11 + `}}]}`, V,
			"Attempting to create an index which already exists"},
		{"delete unknown index", "UpdateTable", `{"TableName":"prov","GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"nope"}}]}`, "ResourceNotFoundException",
			"Requested resource not found: Index nope for table prov"},
		// Two online index changes are refused before either is checked
		// (here the create would also be a duplicate, the delete unknown).
		{"two index changes", "UpdateTable", `{"TableName":"prov","GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"gsi",` + ctlIdxAB + `,"Projection":{"ProjectionType":"ALL"},` + ctlPT11 + `}},{"Delete":{"IndexName":"nope"}}]}`, "LimitExceededException",
			"Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"},
		{"null replica updates", "UpdateTable", `{"TableName":"prov","ReplicaUpdates":null}`, V,
			"At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, " +
				"MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required"},
		{"switch to on demand with throughput", "UpdateTable", `{"TableName":"prov","BillingMode":"PAY_PER_REQUEST","ProvisionedThroughput":{"ReadCapacityUnits":2,"WriteCapacityUnits":2}}`, V,
			inv + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"},
		{"constraints before semantics", "UpdateTable", `{"TableName":"prov","BillingMode":"PAY_PER_REQUEST","ProvisionedThroughput":{"ReadCapacityUnits":0,"WriteCapacityUnits":2}}`, V,
			"1 validation error detected: Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"KMS key without KMS type", "UpdateTable", `{"TableName":"prov","SSESpecification":{"Enabled":true,"KMSMasterKeyId":"k1"}}`, V,
			inv + "SSEType KMS is required if KMSMasterKeyId is specified"},
		{"duplicate index updates", "UpdateTable", `{"TableName":"prov","GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"gsi"}},{"Update":{"IndexName":"gsi",` + ctlPT11 + `}}]}`, V,
			inv + "Only one global secondary index update per index is allowed simultaneously. Index: gsi"},
		{"bad class update", "UpdateTable", `{"TableName":"prov","TableClass":"COLD"}`, V,
			"Invalid table-class parameter provided. Please try again with a valid table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS]."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, typ, msg, _ := ctlRaw(t, ts.URL, tc.op, tc.body)
			if tc.typ == "" { // a success case in the sequence
				if st != 200 {
					t.Fatalf("got %d %s %q, want success", st, typ, msg)
				}
				return
			}
			if st != 400 || typ != tc.typ || msg != tc.msg {
				t.Fatalf("got %d %s %q\nwant 400 %s %q", st, typ, msg, tc.typ, tc.msg)
			}
		})
	}
}

func TestTableCreateVariants(t *testing.T) {
	ts := newTestServer(t)
	c := ts.Client
	hashDef := []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}
	hashKey := []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}}
	rangeDefs := append(hashDef[:1:1], types.AttributeDefinition{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN})
	rangeKeys := append(hashKey[:1:1], types.KeySchemaElement{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange})
	pt := func(r, w int64) *types.ProvisionedThroughput {
		return &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(r), WriteCapacityUnits: aws.Int64(w)}
	}
	arnRE := regexp.MustCompile(`^arn:aws:dynamodb:us-east-1:000000000000:table/`)
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

	cases := []struct {
		name  string
		in    dynamodb.CreateTableInput
		check func(t *testing.T, d *types.TableDescription)
	}{
		{"hash", dynamodb.CreateTableInput{AttributeDefinitions: hashDef, KeySchema: hashKey, ProvisionedThroughput: pt(5, 6)},
			func(t *testing.T, d *types.TableDescription) {
				if len(d.KeySchema) != 1 || *d.ProvisionedThroughput.ReadCapacityUnits != 5 || *d.ProvisionedThroughput.WriteCapacityUnits != 6 ||
					*d.ProvisionedThroughput.NumberOfDecreasesToday != 0 {
					t.Fatalf("throughput %+v", d.ProvisionedThroughput)
				}
				if d.BillingModeSummary != nil || d.TableClassSummary != nil || d.SSEDescription != nil || d.StreamSpecification != nil {
					t.Fatalf("unexpected summaries: %+v %+v %+v %+v", d.BillingModeSummary, d.TableClassSummary, d.SSEDescription, d.StreamSpecification)
				}
				if *d.DeletionProtectionEnabled {
					t.Fatal("protected")
				}
			}},
		{"hash-range", dynamodb.CreateTableInput{AttributeDefinitions: rangeDefs, KeySchema: rangeKeys, ProvisionedThroughput: pt(1, 1)},
			func(t *testing.T, d *types.TableDescription) {
				if len(d.KeySchema) != 2 || d.KeySchema[1].KeyType != types.KeyTypeRange || len(d.AttributeDefinitions) != 2 {
					t.Fatalf("keys %+v", d.KeySchema)
				}
			}},
		{"provisioned-explicit", dynamodb.CreateTableInput{AttributeDefinitions: hashDef, KeySchema: hashKey, BillingMode: types.BillingModeProvisioned, ProvisionedThroughput: pt(3, 4)},
			func(t *testing.T, d *types.TableDescription) {
				if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModeProvisioned || d.BillingModeSummary.LastUpdateToPayPerRequestDateTime != nil {
					t.Fatalf("billing %+v", d.BillingModeSummary)
				}
				if d.WarmThroughput == nil || *d.WarmThroughput.ReadUnitsPerSecond != 3 || *d.WarmThroughput.WriteUnitsPerSecond != 4 {
					t.Fatalf("warm %+v", d.WarmThroughput)
				}
			}},
		{"pay-per-request", dynamodb.CreateTableInput{AttributeDefinitions: hashDef, KeySchema: hashKey, BillingMode: types.BillingModePayPerRequest},
			func(t *testing.T, d *types.TableDescription) {
				if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest ||
					d.BillingModeSummary.LastUpdateToPayPerRequestDateTime == nil || !d.BillingModeSummary.LastUpdateToPayPerRequestDateTime.Equal(*d.CreationDateTime) {
					t.Fatalf("billing %+v", d.BillingModeSummary)
				}
				if *d.ProvisionedThroughput.ReadCapacityUnits != 0 || *d.ProvisionedThroughput.WriteCapacityUnits != 0 || *d.ProvisionedThroughput.NumberOfDecreasesToday != 0 {
					t.Fatalf("throughput %+v", d.ProvisionedThroughput)
				}
				if *d.WarmThroughput.ReadUnitsPerSecond != 12000 || *d.WarmThroughput.WriteUnitsPerSecond != 4000 || d.WarmThroughput.Status != types.TableStatusActive {
					t.Fatalf("warm %+v", d.WarmThroughput)
				}
			}},
		{"lsi", dynamodb.CreateTableInput{
			AttributeDefinitions: append(rangeDefs[:2:2], types.AttributeDefinition{AttributeName: aws.String("l"), AttributeType: types.ScalarAttributeTypeB}),
			KeySchema:            rangeKeys, BillingMode: types.BillingModePayPerRequest,
			LocalSecondaryIndexes: []types.LocalSecondaryIndex{{
				IndexName:  aws.String("byL"),
				KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("l"), KeyType: types.KeyTypeRange}},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"x", "y"}},
			}}},
			func(t *testing.T, d *types.TableDescription) {
				if len(d.LocalSecondaryIndexes) != 1 {
					t.Fatalf("lsi %+v", d.LocalSecondaryIndexes)
				}
				l := d.LocalSecondaryIndexes[0]
				if *l.IndexName != "byL" || *l.IndexArn != *d.TableArn+"/index/byL" || *l.ItemCount != 0 || *l.IndexSizeBytes != 0 ||
					l.Projection.ProjectionType != types.ProjectionTypeInclude || strings.Join(l.Projection.NonKeyAttributes, ",") != "x,y" {
					t.Fatalf("lsi %+v", l)
				}
			}},
		{"gsi", dynamodb.CreateTableInput{
			AttributeDefinitions: append(hashDef[:1:1], types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeN}),
			KeySchema:            hashKey, ProvisionedThroughput: pt(2, 2),
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
				IndexName:             aws.String("byG"),
				KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
				Projection:            &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
				ProvisionedThroughput: pt(7, 8),
			}}},
			func(t *testing.T, d *types.TableDescription) {
				if len(d.GlobalSecondaryIndexes) != 1 {
					t.Fatalf("gsi %+v", d.GlobalSecondaryIndexes)
				}
				g := d.GlobalSecondaryIndexes[0]
				if *g.IndexName != "byG" || g.IndexStatus != types.IndexStatusActive || *g.IndexArn != *d.TableArn+"/index/byG" ||
					*g.ProvisionedThroughput.ReadCapacityUnits != 7 || *g.ProvisionedThroughput.WriteCapacityUnits != 8 || *g.ItemCount != 0 || *g.IndexSizeBytes != 0 {
					t.Fatalf("gsi %+v", g)
				}
			}},
		{"tags-stream-sse-class-protection", dynamodb.CreateTableInput{AttributeDefinitions: hashDef, KeySchema: hashKey, BillingMode: types.BillingModePayPerRequest,
			Tags:                      []types.Tag{{Key: aws.String("team"), Value: aws.String("db")}},
			StreamSpecification:       &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
			SSESpecification:          &types.SSESpecification{Enabled: aws.Bool(true)},
			TableClass:                types.TableClassStandardInfrequentAccess,
			DeletionProtectionEnabled: aws.Bool(true),
			OnDemandThroughput:        &types.OnDemandThroughput{MaxReadRequestUnits: aws.Int64(100), MaxWriteRequestUnits: aws.Int64(50)},
		},
			func(t *testing.T, d *types.TableDescription) {
				if d.StreamSpecification == nil || !*d.StreamSpecification.StreamEnabled || d.StreamSpecification.StreamViewType != types.StreamViewTypeNewAndOldImages {
					t.Fatalf("stream %+v", d.StreamSpecification)
				}
				if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$`).MatchString(*d.LatestStreamLabel) ||
					*d.LatestStreamArn != *d.TableArn+"/stream/"+*d.LatestStreamLabel {
					t.Fatalf("stream arn %s label %s", *d.LatestStreamArn, *d.LatestStreamLabel)
				}
				if d.SSEDescription == nil || d.SSEDescription.Status != types.SSEStatusEnabled || d.SSEDescription.SSEType != types.SSETypeKms ||
					!strings.HasPrefix(*d.SSEDescription.KMSMasterKeyArn, "arn:aws:kms:us-east-1:000000000000:key/") {
					t.Fatalf("sse %+v", d.SSEDescription)
				}
				if d.TableClassSummary == nil || d.TableClassSummary.TableClass != types.TableClassStandardInfrequentAccess {
					t.Fatalf("class %+v", d.TableClassSummary)
				}
				if !*d.DeletionProtectionEnabled {
					t.Fatal("not protected")
				}
				if d.OnDemandThroughput == nil || *d.OnDemandThroughput.MaxReadRequestUnits != 100 || *d.OnDemandThroughput.MaxWriteRequestUnits != 50 {
					t.Fatalf("on demand %+v", d.OnDemandThroughput)
				}
			}},
		{"sse-kms-key", dynamodb.CreateTableInput{AttributeDefinitions: hashDef, KeySchema: hashKey, BillingMode: types.BillingModePayPerRequest,
			SSESpecification: &types.SSESpecification{SSEType: types.SSETypeKms, KMSMasterKeyId: aws.String("1234abcd-12ab-34cd-56ef-1234567890ab")}},
			func(t *testing.T, d *types.TableDescription) {
				if d.SSEDescription == nil || *d.SSEDescription.KMSMasterKeyArn != "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab" {
					t.Fatalf("sse %+v", d.SSEDescription)
				}
			}},
		{"sse-disabled", dynamodb.CreateTableInput{AttributeDefinitions: hashDef, KeySchema: hashKey, BillingMode: types.BillingModePayPerRequest,
			SSESpecification: &types.SSESpecification{Enabled: aws.Bool(false)}},
			func(t *testing.T, d *types.TableDescription) {
				if d.SSEDescription != nil {
					t.Fatalf("sse %+v", d.SSEDescription)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now().Add(-time.Second)
			in := tc.in
			in.TableName = aws.String("t-" + tc.name)
			out, err := c.CreateTable(bg, &in)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range []*types.TableDescription{out.TableDescription, describe(t, c, *in.TableName)} {
				if *d.TableName != *in.TableName || d.TableStatus != types.TableStatusActive || !arnRE.MatchString(*d.TableArn) ||
					!uuidRE.MatchString(*d.TableId) || d.CreationDateTime.Before(before) || d.CreationDateTime.After(time.Now().Add(time.Second)) ||
					*d.ItemCount != 0 || *d.TableSizeBytes != 0 || d.DeletionProtectionEnabled == nil {
					t.Fatalf("description %+v", d)
				}
				if *d.TableArn != "arn:aws:dynamodb:us-east-1:000000000000:table/"+*in.TableName {
					t.Fatalf("arn %s", *d.TableArn)
				}
				tc.check(t, d)
			}
		})
	}
}

func describe(t testing.TB, c *dynamodb.Client, name string) *types.TableDescription {
	t.Helper()
	out, err := c.DescribeTable(bg, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeTable %s: %v", name, err)
	}
	return out.Table
}

func ctlCreatePPR(t testing.TB, c *dynamodb.Client, name string) {
	t.Helper()
	_, err := c.CreateTable(bg, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("CreateTable %s: %v", name, err)
	}
}

func TestTableDescribeCounts(t *testing.T) {
	ts := newTestServer(t)
	ctlCreatePPR(t, ts.Client, "counted")
	// ItemCount and TableSizeBytes are the catalog's live statistics.
	tbl, _ := ts.Node.cat.get("counted")
	st := ts.Node.cat.statsOf(tbl)
	st.items.Add(3)
	st.bytes.Add(42)
	d := describe(t, ts.Client, "counted")
	if *d.ItemCount != 3 || *d.TableSizeBytes != 42 {
		t.Fatalf("ItemCount %d TableSizeBytes %d", *d.ItemCount, *d.TableSizeBytes)
	}
	// CreationDateTime is a JSON number (seconds with fraction).
	_, _, _, raw := ctlRaw(t, ts.URL, "DescribeTable", `{"TableName":"counted"}`)
	if !regexp.MustCompile(`"CreationDateTime":\d+(\.\d+)?[,}]`).MatchString(raw) {
		t.Fatalf("CreationDateTime not a number: %s", raw)
	}
	// The DELETING description keeps the counts.
	out, err := ts.Client.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String("counted")})
	if err != nil {
		t.Fatal(err)
	}
	if *out.TableDescription.ItemCount != 3 {
		t.Fatalf("deleted ItemCount %d", *out.TableDescription.ItemCount)
	}
}

func TestTableListPaging(t *testing.T) {
	ts := newTestServer(t)
	names := []string{"B-table", "a-table", "a.table", "a_table", "zzz"}
	for _, n := range names {
		ctlCreatePPR(t, ts.Client, n)
	}
	want := []string{"B-table", "a-table", "a.table", "a_table", "zzz"} // byte order
	out, err := ts.Client.ListTables(bg, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(out.TableNames, " ") != strings.Join(want, " ") || out.LastEvaluatedTableName != nil {
		t.Fatalf("got %v last %v", out.TableNames, out.LastEvaluatedTableName)
	}
	var got []string
	var start *string
	pages := 0
	for {
		out, err := ts.Client.ListTables(bg, &dynamodb.ListTablesInput{Limit: aws.Int32(2), ExclusiveStartTableName: start})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, out.TableNames...)
		if out.LastEvaluatedTableName == nil {
			break
		}
		if *out.LastEvaluatedTableName != out.TableNames[len(out.TableNames)-1] {
			t.Fatalf("last %s of %v", *out.LastEvaluatedTableName, out.TableNames)
		}
		start = out.LastEvaluatedTableName
	}
	if strings.Join(got, " ") != strings.Join(want, " ") || pages != 3 {
		t.Fatalf("paged %v in %d pages", got, pages)
	}
	// A start name that is not a table starts after it.
	out, err = ts.Client.ListTables(bg, &dynamodb.ListTablesInput{ExclusiveStartTableName: aws.String("a-tablf")})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(out.TableNames, " ") != "a.table a_table zzz" {
		t.Fatalf("after a-tablf: %v", out.TableNames)
	}
	// Exactly Limit names left: no LastEvaluatedTableName.
	out, err = ts.Client.ListTables(bg, &dynamodb.ListTablesInput{Limit: aws.Int32(5)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TableNames) != 5 || out.LastEvaluatedTableName != nil {
		t.Fatalf("limit 5: %v %v", out.TableNames, out.LastEvaluatedTableName)
	}
	// Empty result is an empty list.
	m := ctlOK(t, ts.URL, "ListTables", `{"ExclusiveStartTableName":"zzz"}`)
	if l, ok := m["TableNames"].([]any); !ok || len(l) != 0 {
		t.Fatalf("empty list: %v", m)
	}
}

func TestTableDelete(t *testing.T) {
	ts := newTestServer(t)
	c := ts.Client
	ctlCreatePPR(t, c, "gone")
	out, err := c.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String("gone")})
	if err != nil {
		t.Fatal(err)
	}
	if out.TableDescription.TableStatus != types.TableStatusDeleting || *out.TableDescription.TableName != "gone" {
		t.Fatalf("delete %+v", out.TableDescription)
	}
	_, err = c.DescribeTable(bg, &dynamodb.DescribeTableInput{TableName: aws.String("gone")})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Table: gone not found")
	_, err = c.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String("gone")})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Table: gone not found")

	// A recreated table is a new table.
	ctlCreatePPR(t, c, "gone")
	if d := describe(t, c, "gone"); d.TableStatus != types.TableStatusActive {
		t.Fatalf("recreated %+v", d)
	}

	// Deletion protection.
	_, err = c.UpdateTable(bg, &dynamodb.UpdateTableInput{TableName: aws.String("gone"), DeletionProtectionEnabled: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String("gone")})
	wantErr(t, err, "ValidationException", "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
	_, err = c.UpdateTable(bg, &dynamodb.UpdateTableInput{TableName: aws.String("gone"), DeletionProtectionEnabled: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err = c.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String("gone")}); err != nil {
		t.Fatal(err)
	}
}

func TestTableUpdate(t *testing.T) {
	ts := newTestServer(t)
	c := ts.Client
	_, err := c.CreateTable(bg, &dynamodb.CreateTableInput{
		TableName: aws.String("upd"),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:             aws.String("byG"),
			KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection:            &types.Projection{ProjectionType: types.ProjectionTypeAll},
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	update := func(in dynamodb.UpdateTableInput) *types.TableDescription {
		t.Helper()
		in.TableName = aws.String("upd")
		out, err := c.UpdateTable(bg, &in)
		if err != nil {
			t.Fatalf("UpdateTable: %v", err)
		}
		d := describe(t, c, "upd")
		if out.TableDescription.TableStatus != types.TableStatusActive || d.TableStatus != types.TableStatusActive {
			t.Fatalf("status %s / %s", out.TableDescription.TableStatus, d.TableStatus)
		}
		return d
	}

	// Throughput: increase, then decrease.
	d := update(dynamodb.UpdateTableInput{ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(10), WriteCapacityUnits: aws.Int64(5)}})
	if p := d.ProvisionedThroughput; *p.ReadCapacityUnits != 10 || *p.WriteCapacityUnits != 5 || p.LastIncreaseDateTime == nil || p.LastDecreaseDateTime != nil {
		t.Fatalf("increase %+v", p)
	}
	d = update(dynamodb.UpdateTableInput{ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(2), WriteCapacityUnits: aws.Int64(5)}})
	if p := d.ProvisionedThroughput; *p.ReadCapacityUnits != 2 || p.LastDecreaseDateTime == nil || *p.NumberOfDecreasesToday != 1 {
		t.Fatalf("decrease %+v", p)
	}
	// Index throughput.
	d = update(dynamodb.UpdateTableInput{GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Update: &types.UpdateGlobalSecondaryIndexAction{
		IndexName: aws.String("byG"), ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(9), WriteCapacityUnits: aws.Int64(9)}}}}})
	if p := d.GlobalSecondaryIndexes[0].ProvisionedThroughput; *p.ReadCapacityUnits != 9 || *p.WriteCapacityUnits != 9 {
		t.Fatalf("index throughput %+v", p)
	}

	// Billing: to on demand and back.
	d = update(dynamodb.UpdateTableInput{BillingMode: types.BillingModePayPerRequest})
	if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest || d.BillingModeSummary.LastUpdateToPayPerRequestDateTime == nil ||
		*d.ProvisionedThroughput.ReadCapacityUnits != 0 || *d.GlobalSecondaryIndexes[0].ProvisionedThroughput.ReadCapacityUnits != 0 {
		t.Fatalf("to on demand %+v %+v", d.BillingModeSummary, d.ProvisionedThroughput)
	}
	_, err = c.UpdateTable(bg, &dynamodb.UpdateTableInput{TableName: aws.String("upd"), BillingMode: types.BillingModeProvisioned,
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(3), WriteCapacityUnits: aws.Int64(3)}})
	wantErr(t, err, "ValidationException", "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: byG")
	d = update(dynamodb.UpdateTableInput{BillingMode: types.BillingModeProvisioned,
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(3), WriteCapacityUnits: aws.Int64(4)},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Update: &types.UpdateGlobalSecondaryIndexAction{
			IndexName: aws.String("byG"), ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(6), WriteCapacityUnits: aws.Int64(7)}}}}})
	if d.BillingModeSummary.BillingMode != types.BillingModeProvisioned || *d.ProvisionedThroughput.ReadCapacityUnits != 3 || *d.ProvisionedThroughput.WriteCapacityUnits != 4 ||
		*d.GlobalSecondaryIndexes[0].ProvisionedThroughput.WriteCapacityUnits != 7 || d.BillingModeSummary.LastUpdateToPayPerRequestDateTime == nil {
		t.Fatalf("to provisioned %+v %+v", d.BillingModeSummary, d.ProvisionedThroughput)
	}

	// Table class.
	d = update(dynamodb.UpdateTableInput{TableClass: types.TableClassStandardInfrequentAccess})
	if d.TableClassSummary == nil || d.TableClassSummary.TableClass != types.TableClassStandardInfrequentAccess || d.TableClassSummary.LastUpdateDateTime == nil {
		t.Fatalf("class %+v", d.TableClassSummary)
	}

	// Deletion protection.
	if d = update(dynamodb.UpdateTableInput{DeletionProtectionEnabled: aws.Bool(true)}); !*d.DeletionProtectionEnabled {
		t.Fatal("protection not set")
	}
	if d = update(dynamodb.UpdateTableInput{DeletionProtectionEnabled: aws.Bool(false)}); *d.DeletionProtectionEnabled {
		t.Fatal("protection not cleared")
	}

	// Stream: enable, disable (ARN and label stay), re-enable (new label).
	d = update(dynamodb.UpdateTableInput{StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeKeysOnly}})
	if d.StreamSpecification == nil || d.StreamSpecification.StreamViewType != types.StreamViewTypeKeysOnly || d.LatestStreamArn == nil {
		t.Fatalf("stream %+v", d.StreamSpecification)
	}
	arn := *d.LatestStreamArn
	d = update(dynamodb.UpdateTableInput{StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}})
	if d.StreamSpecification != nil || d.LatestStreamArn == nil || *d.LatestStreamArn != arn {
		t.Fatalf("disabled stream %+v %v", d.StreamSpecification, d.LatestStreamArn)
	}
	time.Sleep(2 * time.Millisecond)
	d = update(dynamodb.UpdateTableInput{StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage}})
	if d.StreamSpecification == nil || *d.LatestStreamArn == arn {
		t.Fatalf("re-enabled stream %+v %v", d.StreamSpecification, *d.LatestStreamArn)
	}

	// Encryption.
	d = update(dynamodb.UpdateTableInput{SSESpecification: &types.SSESpecification{Enabled: aws.Bool(true)}})
	if d.SSEDescription == nil || d.SSEDescription.Status != types.SSEStatusEnabled {
		t.Fatalf("sse %+v", d.SSEDescription)
	}
	_, err = c.UpdateTable(bg, &dynamodb.UpdateTableInput{TableName: aws.String("upd"), SSESpecification: &types.SSESpecification{Enabled: aws.Bool(true)}})
	wantErr(t, err, "ValidationException", "One or more parameter values were invalid: Table is already encrypted with given KMSMasterKeyId. Use KMSMasterKeyId parameter if you want to change Master Key")
	if d = update(dynamodb.UpdateTableInput{SSESpecification: &types.SSESpecification{Enabled: aws.Bool(false)}}); d.SSEDescription != nil {
		t.Fatalf("sse not disabled %+v", d.SSEDescription)
	}
	_, err = c.UpdateTable(bg, &dynamodb.UpdateTableInput{TableName: aws.String("upd"), SSESpecification: &types.SSESpecification{Enabled: aws.Bool(false)}})
	wantErr(t, err, "ValidationException", "One or more parameter values were invalid: Table is already encrypted by default")

	// Global index: create on the empty table, then delete; the unused
	// attribute definition goes with it.
	d = update(dynamodb.UpdateTableInput{
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("h"), AttributeType: types.ScalarAttributeTypeN}},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName:             aws.String("byH"),
			KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("h"), KeyType: types.KeyTypeHash}},
			Projection:            &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)},
		}}}})
	if len(d.GlobalSecondaryIndexes) != 2 || *d.GlobalSecondaryIndexes[1].IndexName != "byH" || d.GlobalSecondaryIndexes[1].IndexStatus != types.IndexStatusActive || len(d.AttributeDefinitions) != 3 {
		t.Fatalf("created index %+v defs %+v", d.GlobalSecondaryIndexes, d.AttributeDefinitions)
	}
	d = update(dynamodb.UpdateTableInput{GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("byH")}}}})
	if len(d.GlobalSecondaryIndexes) != 1 || len(d.AttributeDefinitions) != 2 {
		t.Fatalf("deleted index %+v defs %+v", d.GlobalSecondaryIndexes, d.AttributeDefinitions)
	}
}

func TestTableArnAsTableName(t *testing.T) {
	ts := newTestServer(t)
	c := ts.Client
	arn := "arn:aws:dynamodb:us-east-1:000000000000:table/byarn"
	ctlCreatePPR(t, c, arn) // CreateTable accepts an ARN too
	d := describe(t, c, arn)
	if *d.TableName != "byarn" || *d.TableArn != arn {
		t.Fatalf("described %s %s", *d.TableName, *d.TableArn)
	}
	if d = describe(t, c, "byarn"); *d.TableArn != arn {
		t.Fatalf("by name %s", *d.TableArn)
	}
	if _, err := c.UpdateTable(bg, &dynamodb.UpdateTableInput{TableName: aws.String(arn), TableClass: types.TableClassStandard}); err != nil {
		t.Fatal(err)
	}
	_, err := c.DescribeTable(bg, &dynamodb.DescribeTableInput{TableName: aws.String("arn:aws:dynamodb:us-east-1:111111111111:table/byarn")})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Table: arn:aws:dynamodb:us-east-1:111111111111:table/byarn not found")
	_, err = c.DescribeTable(bg, &dynamodb.DescribeTableInput{TableName: aws.String("arn:aws:dynamodb:us-east-1:000000000000:table/nope")})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Table: nope not found")
	if got := ts.Node.resolveTableName("arn:aws:dynamodb:eu-west-1:000000000000:table/x/index/y"); got != "arn:aws:dynamodb:eu-west-1:000000000000:table/x/index/y" {
		t.Fatalf("index ARN resolved to %s", got)
	}
	out, err := c.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if *out.TableDescription.TableName != "byarn" {
		t.Fatalf("deleted %s", *out.TableDescription.TableName)
	}
}

func TestTableCreateDelay(t *testing.T) {
	// Long enough that the checks of the transient states below always
	// run within it; a state that is missing fails the test.
	delay := 1500 * time.Millisecond
	ts := newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true, CreateDelay: delay})
	c := ts.Client
	_, err := c.CreateTable(bg, &dynamodb.CreateTableInput{
		TableName: aws.String("slow"),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema:   []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode: types.BillingModePayPerRequest,
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("byG"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := describe(t, c, "slow")
	if d.TableStatus != types.TableStatusCreating || d.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusCreating {
		t.Fatalf("new table %s, index %s; want both CREATING for %v", d.TableStatus, d.GlobalSecondaryIndexes[0].IndexStatus, delay)
	}
	_, err = c.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String("slow")})
	wantErr(t, err, "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being created: slow")
	waitStatus(t, c, "slow", types.TableStatusActive)
	if d := describe(t, c, "slow"); d.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusActive {
		t.Fatalf("index %s", d.GlobalSecondaryIndexes[0].IndexStatus)
	}

	out, err := c.UpdateTable(bg, &dynamodb.UpdateTableInput{TableName: aws.String("slow"),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeKeysOnly}})
	if err != nil {
		t.Fatal(err)
	}
	if out.TableDescription.TableStatus != types.TableStatusUpdating {
		t.Fatalf("update status %s", out.TableDescription.TableStatus)
	}
	_, err = c.UpdateTable(bg, &dynamodb.UpdateTableInput{TableName: aws.String("slow"), TableClass: types.TableClassStandard})
	if err == nil {
		t.Fatalf("UpdateTable of an UPDATING table (for %v) succeeded", delay)
	}
	wantErr(t, err, "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being updated: slow")
	// Deletion protection may change while UPDATING.
	if _, err = c.UpdateTable(bg, &dynamodb.UpdateTableInput{TableName: aws.String("slow"), DeletionProtectionEnabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "slow", types.TableStatusActive)

	del, err := c.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String("slow")})
	if err != nil {
		t.Fatal(err)
	}
	if del.TableDescription.TableStatus != types.TableStatusDeleting {
		t.Fatalf("delete status %s", del.TableDescription.TableStatus)
	}
	if d := describe(t, c, "slow"); d.TableStatus != types.TableStatusDeleting {
		t.Fatalf("deleting table described as %s", d.TableStatus)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.DescribeTable(bg, &dynamodb.DescribeTableInput{TableName: aws.String("slow")})
		if err != nil {
			wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Table: slow not found")
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("table never went away")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitStatus(t testing.TB, c *dynamodb.Client, name string, want types.TableStatus) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := describe(t, c, name)
		if d.TableStatus == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s stayed %s", name, d.TableStatus)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestControlEndpointsAndLimits(t *testing.T) {
	ts := newTestServer(t)
	ep, err := ts.Client.DescribeEndpoints(bg, &dynamodb.DescribeEndpointsInput{})
	if err != nil {
		t.Fatal(err)
	}
	// The address the client reached: the node's own, or the proxy's when
	// the suite runs through one (the proxy names itself).
	if len(ep.Endpoints) != 1 || *ep.Endpoints[0].Address != strings.TrimPrefix(ts.URL, "http://") || ep.Endpoints[0].CachePeriodInMinutes != 1440 {
		t.Fatalf("endpoints %+v", ep.Endpoints)
	}
	lim, err := ts.Client.DescribeLimits(bg, &dynamodb.DescribeLimitsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *lim.AccountMaxReadCapacityUnits != 80000 || *lim.AccountMaxWriteCapacityUnits != 80000 ||
		*lim.TableMaxReadCapacityUnits != 40000 || *lim.TableMaxWriteCapacityUnits != 40000 {
		t.Fatalf("limits %+v", lim)
	}
}

// ctlServe serves node n on a fresh loopback port.
func ctlServe(t *testing.T, n *Node) (url string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := wire.NewServer(n, slog.New(slog.DiscardHandler))
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Shutdown() }
}

func TestTableRestart(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, NoSync: true, Logger: slog.New(slog.DiscardHandler)}
	n, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	url, stop := ctlServe(t, n)
	bodies := []string{
		`{"TableName":"plain","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}],` + ctlKeysA + `,` + ctlPT11 + `}`,
		`{"TableName":"rich",` + ctlDefsAB[:len(ctlDefsAB)-1] + `,{"AttributeName":"c","AttributeType":"N"},{"AttributeName":"d","AttributeType":"B"}],` + ctlKeysAB +
			`,"BillingMode":"PAY_PER_REQUEST","LocalSecondaryIndexes":[{"IndexName":"byC","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"c","KeyType":"RANGE"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["x"]}}]` +
			`,"GlobalSecondaryIndexes":[{"IndexName":"byD","KeySchema":[{"AttributeName":"d","KeyType":"HASH"},{"AttributeName":"a","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}]` +
			`,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"},"SSESpecification":{"Enabled":true},"TableClass":"STANDARD_INFREQUENT_ACCESS","DeletionProtectionEnabled":true,"Tags":[{"Key":"k","Value":"v"}]}`,
	}
	for _, b := range bodies {
		ctlOK(t, url, "CreateTable", b)
	}
	ctlOK(t, url, "UpdateTable", `{"TableName":"plain","ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":9}}`)
	before := map[string]string{}
	for _, name := range []string{"plain", "rich"} {
		_, _, _, before[name] = ctlRaw(t, url, "DescribeTable", `{"TableName":"`+name+`"}`)
	}
	stop()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	n, err = Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	url, stop = ctlServe(t, n)
	defer stop()
	for name, want := range before {
		_, _, _, got := ctlRaw(t, url, "DescribeTable", `{"TableName":"`+name+`"}`)
		if got != want {
			t.Fatalf("%s after restart:\n got %s\nwant %s", name, got, want)
		}
	}
	m := ctlOK(t, url, "ListTables", `{}`)
	if l := m["TableNames"].([]any); len(l) != 2 {
		t.Fatalf("tables after restart: %v", l)
	}
	if tbl, _ := n.cat.get("rich"); len(tbl.Tags) != 1 || *tbl.Tags[0].Key != "k" {
		t.Fatalf("tags after restart: %+v", tbl.Tags)
	}
}
