package store

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// pqlServer starts a node with "hash" (pk S), "range" (pk S, sk N) and
// "gsi" (pk S, with index "byG" on g S).
func pqlServer(t *testing.T) *testServer {
	t.Helper()
	ts := itemsServer(t)
	itemsCreateTable(t, ts, "gsi", []string{"pk:S"}, func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("byG"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}}
	})
	return ts
}

func pqlExec(t *testing.T, ts *testServer, stmt string, params ...av) *dynamodb.ExecuteStatementOutput {
	t.Helper()
	out, err := ts.Client.ExecuteStatement(bg, &dynamodb.ExecuteStatementInput{Statement: aws.String(stmt), Parameters: params, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	return out
}

func pqlExecErr(ts *testServer, stmt string, params ...av) error {
	_, err := ts.Client.ExecuteStatement(bg, &dynamodb.ExecuteStatementInput{Statement: aws.String(stmt), Parameters: params})
	return err
}

// pqlItems renders items sorted, for comparisons.
func pqlItems(items []avItem) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = itemText(it)
	}
	sort.Strings(parts)
	return strings.Join(parts, "\n")
}

func TestPartiQLInsertSelect(t *testing.T) {
	ts := pqlServer(t)
	out := pqlExec(t, ts, `INSERT INTO "hash" VALUE {'pk': 'a', 'n': 1.50, 'l': [1, 'x', {'q': null}], 'ns': <<3, 1>>, 'ss': <<'x'>>, 'b': true, 'gone': MISSING}`)
	if out.Items == nil || len(out.Items) != 0 {
		t.Fatalf("INSERT answered Items %v, want []", out.Items)
	}
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("a")}), avItem{
		"pk": avS("a"), "n": avN("1.5"), "l": avL(avN("1"), avS("x"), avM(avItem{"q": avNull()})),
		"ns": avNS("1", "3"), "ss": avSS("x"), "b": avBool(true),
	})
	pqlExec(t, ts, `INSERT INTO hash VALUE {'pk': ?, 'v': ?, 'bin': ?}`, avS("b"), avN("2"), avB("raw"))
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("b")}), avItem{"pk": avS("b"), "v": avN("2"), "bin": avB("raw")})

	// A duplicate key.
	err := pqlExecErr(ts, `INSERT INTO "hash" VALUE {'pk': 'a'}`)
	wantErr(t, err, "DuplicateItemException", "Duplicate primary key exists in table")
	var dup *types.DuplicateItemException
	if !errors.As(err, &dup) {
		t.Fatalf("%T is not a DuplicateItemException", err)
	}

	// SELECT by key (a Query), with projection.
	got := pqlExec(t, ts, `SELECT n, l[2].q, ss FROM "hash" WHERE pk = 'a'`)
	if s := pqlItems(got.Items); s != itemText(avItem{"n": avN("1.5"), "l": avL(avM(avItem{"q": avNull()})), "ss": avSS("x")}) {
		t.Fatalf("projection: %s", s)
	}
	// SELECT * with a filter and no key (a Scan).
	got = pqlExec(t, ts, `SELECT * FROM hash WHERE v = 2 OR contains(ss, 'x')`)
	if len(got.Items) != 2 {
		t.Fatalf("scan: %s", pqlItems(got.Items))
	}
	got = pqlExec(t, ts, `SELECT pk FROM hash WHERE pk IN ['a', 'b', 'zz'] AND attribute_exists(v)`)
	if s := pqlItems(got.Items); s != `{pk=S:"b"}` {
		t.Fatalf("IN: %s", s)
	}
	got = pqlExec(t, ts, `SELECT pk FROM hash WHERE n BETWEEN 1 AND 2 AND size(l) = 3 AND begins_with(pk, 'a') AND b IS BOOL AND missing_attr IS MISSING`)
	if s := pqlItems(got.Items); s != `{pk=S:"a"}` {
		t.Fatalf("functions: %s", s)
	}
	// Conditions of any shape translate into valid expressions.
	for _, c := range []struct {
		where string
		n     int
	}{
		{`((pk = 'a'))`, 1},
		{`pk = 'a' AND (n = 2 OR NOT (b = false)) AND NOT NOT pk = 'a'`, 1},
		{`NOT (pk = 'a' OR pk = 'b')`, 0},
		{`(pk = 'a' OR pk = 'b') AND (v = 2 OR n = 1.5)`, 2},
		{`pk NOT IN ['a'] AND v IS NOT NULL AND zz IS NULL`, 1},
		{`n NOT BETWEEN 2 AND 3 AND attribute_type(ss, 'SS') = true`, 1},
		{`contains(ss, 'x') <> false AND l[1] = 'x' AND l[2].q IS NULL`, 1},
	} {
		if got := pqlExec(t, ts, `SELECT pk FROM hash WHERE `+c.where); len(got.Items) != c.n {
			t.Errorf("%s: %s", c.where, pqlItems(got.Items))
		}
	}
	// A key value of the wrong type matches nothing.
	if got = pqlExec(t, ts, `SELECT * FROM hash WHERE pk = 1`); len(got.Items) != 0 {
		t.Fatalf("typed key: %s", pqlItems(got.Items))
	}
}

func TestPartiQLParameters(t *testing.T) {
	ts := pqlServer(t)
	params := []av{avS("k"), avN("7"), avB("bytes"), avBool(false), avNull(), avL(avS("x")), avM(avItem{"a": avN("1")}), avSS("s1"), avNS("1"), avBS("b1")}
	pqlExec(t, ts, `INSERT INTO "hash" VALUE {'pk': ?, 'n': ?, 'b': ?, 'f': ?, 'z': ?, 'l': ?, 'm': ?, 'ss': ?, 'ns': ?, 'bs': ?}`, params...)
	want := avItem{"pk": avS("k"), "n": avN("7"), "b": avB("bytes"), "f": avBool(false), "z": avNull(), "l": avL(avS("x")),
		"m": avM(avItem{"a": avN("1")}), "ss": avSS("s1"), "ns": avNS("1"), "bs": avBS("b1")}
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("k")}), want)
	got := pqlExec(t, ts, `SELECT * FROM "hash" WHERE pk = ? AND n = ? AND m.a = ?`, avS("k"), avN("7"), avN("1"))
	if len(got.Items) != 1 {
		t.Fatalf("select with parameters: %v", got.Items)
	}
	// Too few parameters; more than needed are accepted.
	wantErr(t, pqlExecErr(ts, `SELECT * FROM "hash" WHERE pk = ? AND n = ?`, avS("k")),
		"ValidationException", "Number of parameters in request and statement don't match.")
	pqlExec(t, ts, `SELECT * FROM "hash" WHERE pk = ?`, avS("k"), avS("extra"))
	// A parameter with an invalid value.
	wantErr(t, pqlExecErr(ts, `SELECT * FROM "hash" WHERE pk = ?`, avNS("1", "1")),
		"ValidationException", "Input collection contains duplicates")
}

func TestPartiQLUpdate(t *testing.T) {
	ts := pqlServer(t)
	itemsPut(t, ts, "range", avItem{"pk": avS("u"), "sk": avN("1"), "n": avN("5"), "l": avL(avN("1")), "ss": avSS("a", "z"), "gone": avS("x")})
	out := pqlExec(t, ts, `UPDATE "range" SET n = n + 2 SET l = list_append(l, [2]) SET ss = set_add(ss, <<'b'>>) REMOVE gone SET m = {'x': 1} WHERE pk = 'u' AND sk = 1 RETURNING ALL NEW *`)
	want := avItem{"pk": avS("u"), "sk": avN("1"), "n": avN("7"), "l": avL(avN("1"), avN("2")), "ss": avSS("a", "b", "z"), "m": avM(avItem{"x": avN("1")})}
	if len(out.Items) != 1 {
		t.Fatalf("RETURNING ALL NEW: %v", out.Items)
	}
	wantItem(t, out.Items[0], want)
	wantItem(t, itemsGet(t, ts, "range", avItem{"pk": avS("u"), "sk": avN("1")}), want)

	out = pqlExec(t, ts, `UPDATE "range" SET ss = set_delete(ss, <<'z'>>) SET m.x = m.x - 1 WHERE pk = 'u' AND sk = 1 RETURNING MODIFIED OLD *`)
	wantItem(t, out.Items[0], avItem{"ss": avSS("a", "b", "z"), "m": avM(avItem{"x": avN("1")})})
	out = pqlExec(t, ts, `UPDATE "range" SET n = 1 WHERE pk = 'u' AND sk = 1 RETURNING MODIFIED NEW *`)
	wantItem(t, out.Items[0], avItem{"n": avN("1")})
	out = pqlExec(t, ts, `UPDATE "range" REMOVE l WHERE sk = 1 AND pk = 'u' RETURNING ALL OLD *`)
	if len(out.Items) != 1 || out.Items[0]["l"] == nil {
		t.Fatalf("RETURNING ALL OLD: %v", out.Items)
	}
	out = pqlExec(t, ts, `UPDATE "range" SET z = 'x' WHERE pk = 'u' AND sk = 1`)
	if out.Items == nil || len(out.Items) != 0 {
		t.Fatalf("UPDATE without RETURNING answered %v", out.Items)
	}
	wantItem(t, itemsGet(t, ts, "range", avItem{"pk": avS("u"), "sk": avN("1")}),
		avItem{"pk": avS("u"), "sk": avN("1"), "n": avN("1"), "ss": avSS("a", "b"), "m": avM(avItem{"x": avN("0")}), "z": avS("x")})

	// The FROM-first form.
	pqlExec(t, ts, `FROM "range" WHERE pk = 'u' AND sk = 1 SET y = 2`)
	if it := itemsGet(t, ts, "range", avItem{"pk": avS("u"), "sk": avN("1")}); avText(it["y"]) != "N:2" {
		t.Fatalf("FROM-first update: %s", itemText(it))
	}

	// An UPDATE of a missing item fails its condition and creates nothing.
	wantErr(t, pqlExecErr(ts, `UPDATE "range" SET a = 1 WHERE pk = 'nope' AND sk = 1`),
		"ConditionalCheckFailedException", "The conditional request failed")
	if it := itemsGet(t, ts, "range", avItem{"pk": avS("nope"), "sk": avN("1")}); it != nil {
		t.Fatalf("created %s", itemText(it))
	}
	// Extra WHERE terms are the write's condition; ALL_OLD returns the item.
	_, err := ts.Client.ExecuteStatement(bg, &dynamodb.ExecuteStatementInput{
		Statement:                           aws.String(`UPDATE "range" SET a = 1 WHERE pk = 'u' AND sk = 1 AND n > 5`),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	wantErr(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || avText(ccf.Item["n"]) != "N:1" {
		t.Fatalf("ConditionalCheckFailed item: %v", err)
	}
	pqlExec(t, ts, `UPDATE "range" SET a = 1 WHERE pk = 'u' AND sk = 1 AND n <= 5 AND attribute_not_exists(a)`)
	// Runtime errors of the update expression come through.
	wantErr(t, pqlExecErr(ts, `UPDATE "range" SET ss = set_add(ss, <<1>>) WHERE pk = 'u' AND sk = 1`),
		"ValidationException", "An operand in the update expression has an incorrect data type")
	wantErr(t, pqlExecErr(ts, `UPDATE "range" SET sk = 2 WHERE pk = 'u' AND sk = 1`),
		"ValidationException", "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key")
}

func TestPartiQLDelete(t *testing.T) {
	ts := pqlServer(t)
	itemsPut(t, ts, "hash", avItem{"pk": avS("d"), "a": avN("1")})
	// A missing item: success, nothing returned.
	out := pqlExec(t, ts, `DELETE FROM "hash" WHERE pk = 'nope' AND a = 5 RETURNING ALL OLD *`)
	if out.Items == nil || len(out.Items) != 0 {
		t.Fatalf("DELETE of a missing item answered %v", out.Items)
	}
	wantErr(t, pqlExecErr(ts, `DELETE FROM "hash" WHERE pk = 'd' AND a = 5`), "ConditionalCheckFailedException", "The conditional request failed")
	out = pqlExec(t, ts, `DELETE FROM "hash" WHERE pk = 'd' AND a = 1 RETURNING ALL OLD *`)
	if len(out.Items) != 1 {
		t.Fatalf("RETURNING ALL OLD: %v", out.Items)
	}
	wantItem(t, out.Items[0], avItem{"pk": avS("d"), "a": avN("1")})
	if it := itemsGet(t, ts, "hash", avItem{"pk": avS("d")}); it != nil {
		t.Fatalf("not deleted: %s", itemText(it))
	}
}

func TestPartiQLSelectPaging(t *testing.T) {
	ts := pqlServer(t)
	for i := 0; i < 25; i++ {
		itemsPut(t, ts, "range", avItem{"pk": avS(fmt.Sprintf("p%d", i%3)), "sk": avN(fmt.Sprint(i)), "v": avN(fmt.Sprint(i % 2))})
	}
	collect := func(stmt string, limit int32) (int, int) {
		t.Helper()
		var next *string
		n, pages := 0, 0
		for {
			in := &dynamodb.ExecuteStatementInput{Statement: aws.String(stmt), NextToken: next}
			if limit > 0 {
				in.Limit = aws.Int32(limit)
			}
			out, err := ts.Client.ExecuteStatement(bg, in)
			if err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
			pages++
			n += len(out.Items)
			if out.NextToken == nil {
				if out.LastEvaluatedKey != nil {
					t.Fatal("LastEvaluatedKey without NextToken")
				}
				return n, pages
			}
			if out.LastEvaluatedKey == nil {
				t.Fatal("NextToken without LastEvaluatedKey")
			}
			next = out.NextToken
			if pages > 100 {
				t.Fatal("no end")
			}
		}
	}
	if n, pages := collect(`SELECT * FROM "range"`, 4); n != 25 || pages != 7 {
		t.Fatalf("scan: %d items in %d pages", n, pages)
	}
	if n, pages := collect(`SELECT * FROM "range" WHERE v = 1`, 5); n != 12 || pages != 6 {
		t.Fatalf("filtered scan: %d items in %d pages", n, pages)
	}
	// Two partitions of 9 and 8 items, 3 at a time.
	if n, pages := collect(`SELECT * FROM "range" WHERE pk IN ['p0', 'p1']`, 3); n != 17 || pages != 6 {
		t.Fatalf("IN query: %d items in %d pages", n, pages)
	}
	if n, pages := collect(`SELECT * FROM "range" WHERE pk = 'p2' AND sk >= 10`, 0); n != 5 || pages != 1 {
		t.Fatalf("query: %d items in %d pages", n, pages)
	}
	// Items of a query come in sort key order.
	out := pqlExec(t, ts, `SELECT sk FROM "range" WHERE pk = 'p0'`)
	var sks []string
	for _, it := range out.Items {
		sks = append(sks, avText(it["sk"]))
	}
	if strings.Join(sks, ",") != "N:0,N:3,N:6,N:9,N:12,N:15,N:18,N:21,N:24" {
		t.Fatalf("order: %v", sks)
	}
	// A token belongs to its statement.
	first, err := ts.Client.ExecuteStatement(bg, &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT * FROM "range"`), Limit: aws.Int32(2)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page: %v", err)
	}
	_, err = ts.Client.ExecuteStatement(bg, &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT * FROM "hash"`), NextToken: first.NextToken})
	wantErr(t, err, "ValidationException", "NextToken does not match request")
	_, err = ts.Client.ExecuteStatement(bg, &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT * FROM "range"`), NextToken: aws.String("garbage!")})
	wantErr(t, err, "ValidationException", "Invalid NextToken")
}

func TestPartiQLSelectIndex(t *testing.T) {
	ts := pqlServer(t)
	itemsPut(t, ts, "gsi", avItem{"pk": avS("1"), "g": avS("red")})
	itemsPut(t, ts, "gsi", avItem{"pk": avS("2"), "g": avS("red")})
	itemsPut(t, ts, "gsi", avItem{"pk": avS("3"), "g": avS("blue")})
	out, err := ts.Client.ExecuteStatement(bg, &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT pk FROM "gsi"."byG" WHERE g = 'red'`)})
	if err != nil {
		t.Fatal(err)
	}
	if s := pqlItems(out.Items); s != "{pk=S:\"1\"}\n{pk=S:\"2\"}" {
		t.Fatalf("index query: %s", s)
	}
	out, err = ts.Client.ExecuteStatement(bg, &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT * FROM "gsi"."byG"`)})
	if err != nil || len(out.Items) != 3 {
		t.Fatalf("index scan: %v %v", err, out)
	}
	_, err = ts.Client.ExecuteStatement(bg, &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT * FROM "gsi"."byG" WHERE g = 'red'`), ConsistentRead: aws.Bool(true)})
	wantErr(t, err, "ValidationException", "Strongly consistent read is not supported on Global Secondary Indexes")
	wantErr(t, pqlExecErr(ts, `SELECT * FROM "gsi"."nope"`), "ValidationException", "The table does not have the specified index")
}

func TestPartiQLStatementErrors(t *testing.T) {
	ts := pqlServer(t)
	itemsPut(t, ts, "hash", avItem{"pk": avS("e"), "ss": avSS("a")})
	const mal = "Statement wasn't well formed, can't be processed: "
	cases := []struct{ stmt, code, msg string }{
		{`SELECT * FROM "hash" WHERE pk = 'e' foo`, "ValidationException", mal + "Unexpected token after expression"},
		{`SELECT * FROM "hash" WHERE`, "ValidationException", mal + "Unexpected term"},
		{`SELECT * FROM "hash" WHERE pk = 'e' AND`, "ValidationException", mal + "Missing right-hand side expression of infix operator"},
		{`SELECT * FROM "hash" WHERE ORDER BY pk`, "ValidationException", mal + "Unexpected keyword"},
		{`SLECT * FROM "hash"`, "ValidationException", mal + "Expected data manipulation"},
		{`DELETE FROM WHERE pk = 'a'`, "ValidationException", mal + "Expected identifier for simple path"},
		{`SELECT * FROM "hash" h WHERE pk = 'e'`, "ValidationException", "Aliasing is not supported"},
		{`SELECT * FROM "nope" WHERE pk = 'e'`, "ResourceNotFoundException", "Requested resource not found"},
		{`FROM "nope" WHERE pk = 'x' SET c = 1`, "ResourceNotFoundException", "Requested resource not found"},
		{`UPDATE "hash" SET a = 1`, "ValidationException", "Where clause does not contain a mandatory equality on all key attributes"},
		{`UPDATE "hash" SET a = 1 WHERE a = 2`, "ValidationException", "Where clause does not contain a mandatory equality on all key attributes"},
		{`UPDATE "range" SET a = 1 WHERE pk = 'x'`, "ValidationException", "Where clause does not contain a mandatory equality on all key attributes"},
		{`UPDATE "hash" SET a = 1 WHERE pk = 'x' OR pk = 'y'`, "ValidationException", "Where clause does not contain a mandatory equality on all key attributes"},
		{`DELETE FROM "hash" WHERE a = 'alpha'`, "ValidationException", "Where clause does not contain a mandatory equality on all key attributes"},
		{`DELETE FROM "hash" WHERE pk = 'x' AND pk = 'y'`, "ValidationException", "Multiple conditions on same key pk. Only single item Update/Insert/Delete are supported"},
		{`DELETE FROM "hash" WHERE pk = 'x' RETURNING ALL NEW *`, "ValidationException", "Invalid returning clause: RETURNING ALL NEW. Only RETURNING ALL OLD * is allowed in DELETE statements."},
		{`UPDATE "hash" SET a = 1 WHERE pk = 1`, "ValidationException", "The provided key element does not match the schema"},
		{`INSERT INTO "hash" VALUE {'x': 'a'}`, "ValidationException", "One or more parameter values were invalid: Missing the key pk in the item"},
		{`INSERT INTO "hash" VALUE {'pk': 1}`, "ValidationException", "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"},
		{`INSERT INTO "hash" VALUE ['pk', 1]`, "ValidationException", "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement."},
		{`INSERT INTO "hash" VALUE {'pk': 'a'} RETURNING ALL OLD *`, "ValidationException", "RETURNING is not supported in INSERT"},
		{`SELECT * FROM "hash" WHERE pk = 'e' AND attribute_exists('ss')`, "ValidationException", "Operator or function requires a document path; operator or function: attribute_exists"},
		{`SELECT * FROM "hash" WHERE pk = 'e' AND attribute_exists(ss, ns)`, "ValidationException", "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"},
		{`SELECT * FROM "hash" WHERE pk = 'e' AND EXISTS(ss)`, "ValidationException", "Unrecognized function: exists at 1:41:6"},
		{`UPDATE "hash" SET t = set_add(ss, <<'x'>>) WHERE pk = 'e'`, "ValidationException", "The first argument to SET_ADD must equal the assignment value at 1:23:7"},
		{`UPDATE "hash" SET ss = set_add(ss, 'x') WHERE pk = 'e'`, "ValidationException", "The second argument to SET_ADD must be a value with type SET at 1:32:2"},
		{`UPDATE "hash" SET ss = set_add(ss, <<>>) WHERE pk = 'e'`, "ValidationException", "Empty bags are not supported"},
		{`UPDATE "hash" SET a = 1, a = 2 WHERE pk = 'e'`, "ValidationException", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{`SELECT * FROM "hash" WHERE pk = 1e126`, "ValidationException", "Number overflow. Attempting to store a number with magnitude larger than supported range under root"},
		{`EXISTS(SELECT * FROM "hash" WHERE pk = 'e' AND a = 1)`, "ValidationException", "EXISTS can only be used in ExecuteTransaction write requests."},
		{`SELECT * FROM "hash" WHERE pk = 'e' AND a IS DATE`, "ValidationException", "Unsupported data type for IS operator: DATE. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"},
		{`SELECT * FROM "h" WHERE pk = 'e'`, "ValidationException", "Table name should be within the length [3, 255] and only contain 'a-z', 'A-Z', '0-9', '-', '_', '.'."},
	}
	for _, c := range cases {
		t.Run(c.stmt, func(t *testing.T) {
			wantErr(t, pqlExecErr(ts, c.stmt), c.code, c.msg)
		})
	}
	// Nothing was written by the failures.
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("e")}), avItem{"pk": avS("e"), "ss": avSS("a")})

	// Request validation.
	status, body := itemsRaw(t, ts, "ExecuteStatement", `{"Statement":"SELECT * FROM hash","Limit":0,"ReturnValuesOnConditionCheckFailure":"X"}`)
	if status != 400 || !strings.Contains(body, "2 validation errors detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1; "+
		"Value 'X' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]") {
		t.Fatalf("constraints: %d %s", status, body)
	}
	status, body = itemsRaw(t, ts, "ExecuteStatement", `{}`)
	if status != 400 || !strings.Contains(body, "1 validation error detected: Value null at 'statement' failed to satisfy constraint: Member must not be null") {
		t.Fatalf("no statement: %d %s", status, body)
	}
}

func TestPartiQLCapacity(t *testing.T) {
	ts := pqlServer(t)
	out, err := ts.Client.ExecuteStatement(bg, &dynamodb.ExecuteStatementInput{
		Statement: aws.String(`INSERT INTO "hash" VALUE {'pk': 'c'}`), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil || out.ConsumedCapacity == nil || *out.ConsumedCapacity.CapacityUnits != 1 || *out.ConsumedCapacity.TableName != "hash" {
		t.Fatalf("write capacity: %v %+v", err, out)
	}
	out, err = ts.Client.ExecuteStatement(bg, &dynamodb.ExecuteStatementInput{
		Statement: aws.String(`SELECT * FROM "hash" WHERE pk = 'c'`), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil || out.ConsumedCapacity == nil || *out.ConsumedCapacity.CapacityUnits != 0.5 {
		t.Fatalf("read capacity: %v %+v", err, out.ConsumedCapacity)
	}
}

func TestPartiQLBatch(t *testing.T) {
	ts := pqlServer(t)
	itemsPut(t, ts, "hash", avItem{"pk": avS("x"), "a": avN("1")})
	stmt := func(s string, params ...av) types.BatchStatementRequest {
		return types.BatchStatementRequest{Statement: aws.String(s), Parameters: params}
	}
	out, err := ts.Client.BatchExecuteStatement(bg, &dynamodb.BatchExecuteStatementInput{Statements: []types.BatchStatementRequest{
		stmt(`INSERT INTO "hash" VALUE {'pk': 'y', 'a': 2}`),
		stmt(`INSERT INTO "hash" VALUE {'pk': ?}`, avS("x")),
		stmt(`UPDATE "hash" SET a = 5 WHERE pk = 'x' AND a = 9`),
		{Statement: aws.String(`DELETE FROM "hash" WHERE pk = 'x' AND a = 9`), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld},
		stmt(`UPDATE "hash" SET b = 1 WHERE pk = 'x'`),
		stmt(`UPDATE "nope" SET b = 1 WHERE pk = 'x'`),
		stmt(`UPDATE "hash" SET b = 1 WHERE`),
		stmt(`UPDATE "hash" SET b = ? WHERE pk = 'x'`),
	}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	type res struct{ code, msg string }
	want := []res{{}, {"DuplicateItem", "Duplicate primary key exists in table"},
		{"ConditionalCheckFailed", "The conditional request failed"}, {"ConditionalCheckFailed", "The conditional request failed"},
		{}, {"ResourceNotFound", "Requested resource not found"},
		{"ValidationError", "Statement wasn't well formed, can't be processed: Unexpected term"},
		{"ValidationError", "Number of parameters in request and statement don't match."}}
	if len(out.Responses) != len(want) {
		t.Fatalf("%d responses", len(out.Responses))
	}
	for i, w := range want {
		r := out.Responses[i]
		var got res
		if r.Error != nil {
			got = res{string(r.Error.Code), aws.ToString(r.Error.Message)}
		}
		if got != w {
			t.Errorf("response %d: %+v, want %+v", i, got, w)
		}
	}
	if it := out.Responses[3].Error.Item; avText(it["a"]) != "N:1" {
		t.Errorf("ALL_OLD item: %v", it)
	}
	if aws.ToString(out.Responses[1].TableName) != "hash" {
		t.Errorf("TableName of a failed statement: %v", out.Responses[1].TableName)
	}
	if len(out.ConsumedCapacity) != 1 || *out.ConsumedCapacity[0].CapacityUnits != 2 {
		t.Errorf("capacity: %+v", out.ConsumedCapacity)
	}
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("x")}), avItem{"pk": avS("x"), "a": avN("1"), "b": avN("1")})
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("y")}), avItem{"pk": avS("y"), "a": avN("2")})

	// Reads: by whole primary key only.
	out, err = ts.Client.BatchExecuteStatement(bg, &dynamodb.BatchExecuteStatementInput{Statements: []types.BatchStatementRequest{
		stmt(`SELECT * FROM "hash" WHERE pk = 'x'`),
		stmt(`SELECT a FROM "hash" WHERE pk = ?`, avS("y")),
		stmt(`SELECT * FROM "hash" WHERE pk = 'none'`),
		stmt(`SELECT * FROM "hash" WHERE a = 1`),
		stmt(`SELECT * FROM "hash" WHERE pk = 'x' AND a = 2`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantItem(t, out.Responses[0].Item, avItem{"pk": avS("x"), "a": avN("1"), "b": avN("1")})
	wantItem(t, out.Responses[1].Item, avItem{"a": avN("2")})
	if out.Responses[2].Item != nil || out.Responses[2].Error != nil {
		t.Errorf("missing item: %+v", out.Responses[2])
	}
	if e := out.Responses[3].Error; e == nil || e.Code != "ValidationError" ||
		*e.Message != "Select statements within BatchExecuteStatement must specify the primary key in the where clause." {
		t.Errorf("read without key: %+v", e)
	}
	if out.Responses[4].Item != nil {
		t.Errorf("filtered read: %v", out.Responses[4].Item)
	}

	// Limits and mixing.
	many := make([]types.BatchStatementRequest, 26)
	for i := range many {
		many[i] = stmt(`SELECT * FROM "hash" WHERE pk = 'x'`)
	}
	_, err = ts.Client.BatchExecuteStatement(bg, &dynamodb.BatchExecuteStatementInput{Statements: many})
	if c, m := apiErr(t, err); c != "ValidationException" || !strings.HasSuffix(m, "at 'statements' failed to satisfy constraint: Member must have length less than or equal to 25") {
		t.Errorf("26 statements: %s %s", c, m)
	}
	_, err = ts.Client.BatchExecuteStatement(bg, &dynamodb.BatchExecuteStatementInput{Statements: []types.BatchStatementRequest{
		stmt(`SELECT * FROM "hash" WHERE pk = 'x'`), stmt(`DELETE FROM "hash" WHERE pk = 'x'`)}})
	wantErr(t, err, "ValidationException", "BatchExecuteStatement API does not support both read and write operations in the same request.")
}

func TestPartiQLTransaction(t *testing.T) {
	ts := pqlServer(t)
	itemsPut(t, ts, "hash", avItem{"pk": avS("t1"), "n": avN("1")})
	itemsPut(t, ts, "hash", avItem{"pk": avS("t2"), "n": avN("1")})
	itemsPut(t, ts, "range", avItem{"pk": avS("r"), "sk": avN("1")})
	ps := func(s string, params ...av) types.ParameterizedStatement {
		return types.ParameterizedStatement{Statement: aws.String(s), Parameters: params}
	}
	txn := func(stmts ...types.ParameterizedStatement) (*dynamodb.ExecuteTransactionOutput, error) {
		return ts.Client.ExecuteTransaction(bg, &dynamodb.ExecuteTransactionInput{TransactStatements: stmts})
	}
	// All or nothing: the last statement fails, nothing is applied.
	_, err := txn(
		ps(`UPDATE "hash" SET n = n + 1 WHERE pk = 't1'`),
		ps(`INSERT INTO "hash" VALUE {'pk': 'new'}`),
		ps(`DELETE FROM "range" WHERE pk = 'r' AND sk = 1`),
		ps(`UPDATE "hash" SET n = 5 WHERE pk = ? AND n = 9`, avS("t2")),
	)
	wantErr(t, err, "TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific reasons [None, None, None, ConditionalCheckFailed]")
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) != 4 || aws.ToString(tce.CancellationReasons[3].Code) != "ConditionalCheckFailed" ||
		aws.ToString(tce.CancellationReasons[0].Code) != "None" {
		t.Fatalf("reasons: %+v", err)
	}
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("t1")}), avItem{"pk": avS("t1"), "n": avN("1")})
	if itemsGet(t, ts, "hash", avItem{"pk": avS("new")}) != nil || itemsGet(t, ts, "range", avItem{"pk": avS("r"), "sk": avN("1")}) == nil {
		t.Fatal("a cancelled transaction changed items")
	}
	// A duplicate insert and a condition check that fails, with the item.
	_, err = ts.Client.ExecuteTransaction(bg, &dynamodb.ExecuteTransactionInput{TransactStatements: []types.ParameterizedStatement{
		ps(`INSERT INTO "hash" VALUE {'pk': 't1'}`),
		{Statement: aws.String(`EXISTS(SELECT * FROM "hash" WHERE pk = 't2' AND n = 7)`), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld},
		ps(`UPDATE "hash" SET z = 1 WHERE pk = 'missing'`),
	}})
	if !errors.As(err, &tce) {
		t.Fatalf("want TransactionCanceledException, got %v", err)
	}
	var codes []string
	for _, r := range tce.CancellationReasons {
		codes = append(codes, aws.ToString(r.Code))
	}
	if strings.Join(codes, ",") != "DuplicateItem,ConditionalCheckFailed,ConditionalCheckFailed" ||
		aws.ToString(tce.CancellationReasons[0].Message) != "Duplicate primary key exists in table" ||
		avText(tce.CancellationReasons[1].Item["n"]) != "N:1" {
		t.Fatalf("reasons: %v %+v", codes, tce.CancellationReasons)
	}
	// A runtime validation error of one statement is its reason.
	itemsPut(t, ts, "hash", avItem{"pk": avS("sv"), "ss": avSS("a")})
	_, err = txn(ps(`UPDATE "hash" SET n = 1 WHERE pk = 't1'`), ps(`UPDATE "hash" SET ss = set_add(ss, <<1>>) WHERE pk = 'sv'`))
	if !errors.As(err, &tce) || aws.ToString(tce.CancellationReasons[1].Code) != "ValidationError" ||
		aws.ToString(tce.CancellationReasons[1].Message) != "An operand in the update expression has an incorrect data type" {
		t.Fatalf("validation reason: %v", err)
	}
	// Success: everything applied; writes answer an empty Responses list.
	out, err := ts.Client.ExecuteTransaction(bg, &dynamodb.ExecuteTransactionInput{TransactStatements: []types.ParameterizedStatement{
		ps(`UPDATE "hash" SET n = n + 1 WHERE pk = 't1'`),
		ps(`INSERT INTO "hash" VALUE {'pk': 'new'}`),
		ps(`DELETE FROM "range" WHERE pk = 'r' AND sk = 1`),
		ps(`EXISTS(SELECT * FROM "hash" WHERE pk = 't2' AND n = 1)`),
	}, ClientRequestToken: aws.String("tok-1"), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if out.Responses == nil || len(out.Responses) != 0 || len(out.ConsumedCapacity) != 2 {
		t.Fatalf("write transaction answered %+v", out)
	}
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("t1")}), avItem{"pk": avS("t1"), "n": avN("2")})
	if itemsGet(t, ts, "hash", avItem{"pk": avS("new")}) == nil || itemsGet(t, ts, "range", avItem{"pk": avS("r"), "sk": avN("1")}) != nil {
		t.Fatal("transaction not applied")
	}
	// The same ClientRequestToken again: success, nothing applied again;
	// with other statements: IdempotentParameterMismatchException.
	_, err = ts.Client.ExecuteTransaction(bg, &dynamodb.ExecuteTransactionInput{TransactStatements: []types.ParameterizedStatement{
		ps(`UPDATE "hash" SET n = n + 1 WHERE pk = 't1'`),
		ps(`INSERT INTO "hash" VALUE {'pk': 'new'}`),
		ps(`DELETE FROM "range" WHERE pk = 'r' AND sk = 1`),
		ps(`EXISTS(SELECT * FROM "hash" WHERE pk = 't2' AND n = 1)`),
	}, ClientRequestToken: aws.String("tok-1")})
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS("t1")}), avItem{"pk": avS("t1"), "n": avN("2")})
	_, err = ts.Client.ExecuteTransaction(bg, &dynamodb.ExecuteTransactionInput{TransactStatements: []types.ParameterizedStatement{
		ps(`UPDATE "hash" SET n = n + 2 WHERE pk = 't1'`),
	}, ClientRequestToken: aws.String("tok-1")})
	wantErr(t, err, "IdempotentParameterMismatchException", "Transaction ClientRequestToken was used before with different parameters")

	// A read transaction: one response per statement, {} for no item.
	out, err = txn(ps(`SELECT * FROM "hash" WHERE pk = 't1'`), ps(`SELECT n FROM "hash" WHERE pk = 'zz'`), ps(`SELECT pk FROM "hash" WHERE pk = 't2'`))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Responses) != 3 || avText(out.Responses[0].Item["n"]) != "N:2" || out.Responses[1].Item != nil ||
		itemText(out.Responses[2].Item) != `{pk=S:"t2"}` {
		t.Fatalf("read transaction: %+v", out.Responses)
	}

	const pre = "Validation failed in TransactStatements[1]: "
	errCases := []struct {
		stmts     []types.ParameterizedStatement
		code, msg string
	}{
		{[]types.ParameterizedStatement{ps(`SELECT * FROM "hash" WHERE pk = 't1'`), ps(`DELETE FROM "hash" WHERE pk = 't1'`)},
			"ValidationException", "ExecuteTransaction API does not support both read and write operations in the same request."},
		{[]types.ParameterizedStatement{ps(`UPDATE "hash" SET a = 1 WHERE pk = 't1'`), ps(`DELETE FROM "hash" WHERE pk = 't1'`)},
			"ValidationException", "Transaction request cannot include multiple operations on one item"},
		{[]types.ParameterizedStatement{ps(`SELECT * FROM "hash" WHERE pk = 't1'`), ps(`SELECT * FROM "hash" WHERE`)},
			"ValidationException", pre + "Statement wasn't well formed, can't be processed: Unexpected term"},
		{[]types.ParameterizedStatement{ps(`SELECT * FROM "hash" WHERE pk = 't1'`), ps(`SELECT * FROM "hash" WHERE n = 1`)},
			"ValidationException", pre + "Select statements within ExecuteTransaction must specify the primary key in the where clause."},
		{[]types.ParameterizedStatement{ps(`SELECT * FROM "hash" WHERE pk = 't1'`), ps(`SELECT * FROM "gsi"."byG" WHERE g = 'x'`)},
			"ValidationException", pre + "Reads on indices are not supported within transactions."},
		{[]types.ParameterizedStatement{ps(`UPDATE "hash" SET a = 1 WHERE pk = 't1'`), ps(`EXISTS(SELECT * FROM "hash" WHERE pk = 't2')`)},
			"ValidationException", pre + "EXISTS() must contain a single item read with additional condition"},
		{[]types.ParameterizedStatement{ps(`UPDATE "hash" SET a = 1 WHERE pk = 't1'`), ps(`UPDATE "hash" SET a = 1 WHERE pk = 't2' RETURNING ALL NEW *`)},
			"ValidationException", pre + "RETURNING is not supported in transactions"},
		{[]types.ParameterizedStatement{ps(`UPDATE "hash" SET a = 1 WHERE pk = 't1'`), ps(`UPDATE "nope" SET a = 1 WHERE pk = 't2'`)},
			"ResourceNotFoundException", "Requested resource not found"},
	}
	for i, c := range errCases {
		_, err := txn(c.stmts...)
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		if code, msg := apiErr(t, err); code != c.code || msg != c.msg {
			t.Errorf("case %d: %s %q\nwant %s %q", i, code, msg, c.code, c.msg)
		}
	}
	many := make([]types.ParameterizedStatement, 101)
	for i := range many {
		many[i] = ps(fmt.Sprintf(`UPDATE "hash" SET a = 1 WHERE pk = 'k%d'`, i))
	}
	_, err = txn(many...)
	if c, m := apiErr(t, err); c != "ValidationException" || !strings.HasSuffix(m, "at 'transactStatements' failed to satisfy constraint: Member must have length less than or equal to 100") {
		t.Errorf("101 statements: %s %s", c, m)
	}
}

// TestPartiQLTransactionAtomicity races transactions that move a unit
// between two counters against each other: the sum never changes.
func TestPartiQLTransactionAtomicity(t *testing.T) {
	ts := pqlServer(t)
	itemsPut(t, ts, "hash", avItem{"pk": avS("A"), "n": avN("100")})
	itemsPut(t, ts, "hash", avItem{"pk": avS("B"), "n": avN("100")})
	done := make(chan int, 8)
	for w := 0; w < 8; w++ {
		go func(w int) {
			ok := 0
			for i := 0; i < 20; i++ {
				from, to := "A", "B"
				if (w+i)%2 == 1 {
					from, to = to, from
				}
				_, err := ts.Client.ExecuteTransaction(bg, &dynamodb.ExecuteTransactionInput{TransactStatements: []types.ParameterizedStatement{
					{Statement: aws.String(`UPDATE "hash" SET n = n - 1 WHERE pk = ?`), Parameters: []av{avS(from)}},
					{Statement: aws.String(`UPDATE "hash" SET n = n + 1 WHERE pk = ?`), Parameters: []av{avS(to)}},
				}})
				if err == nil {
					ok++
				}
			}
			done <- ok
		}(w)
	}
	total := 0
	for w := 0; w < 8; w++ {
		total += <-done
	}
	if total == 0 {
		t.Fatal("no transaction succeeded")
	}
	out := pqlExec(t, ts, `SELECT n FROM "hash" WHERE pk IN ['A', 'B']`)
	sum := 0
	for _, it := range out.Items {
		var n int
		fmt.Sscan(it["n"].(*types.AttributeValueMemberN).Value, &n)
		sum += n
	}
	if sum != 200 {
		t.Fatalf("sum %d after %d transactions", sum, total)
	}
}
