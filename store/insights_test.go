package store

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

func ciUpdate(ts *testServer, table, index string, action types.ContributorInsightsAction, mode types.ContributorInsightsMode) (*dynamodb.UpdateContributorInsightsOutput, error) {
	in := &dynamodb.UpdateContributorInsightsInput{TableName: aws.String(table), ContributorInsightsAction: action, ContributorInsightsMode: mode}
	if index != "" {
		in.IndexName = aws.String(index)
	}
	return ts.Client.UpdateContributorInsights(bg, in)
}

func ciDescribe(t testing.TB, ts *testServer, table, index string) *dynamodb.DescribeContributorInsightsOutput {
	t.Helper()
	in := &dynamodb.DescribeContributorInsightsInput{TableName: aws.String(table)}
	if index != "" {
		in.IndexName = aws.String(index)
	}
	out, err := ts.Client.DescribeContributorInsights(bg, in)
	if err != nil {
		t.Fatalf("DescribeContributorInsights %s %s: %v", table, index, err)
	}
	return out
}

// ciList lists every summary of table ("" for all), MaxResults per page,
// as "table/index STATUS MODE" lines, and counts the pages.
func ciList(t testing.TB, ts *testServer, table string, max int32) (out []string, pages int) {
	t.Helper()
	in := &dynamodb.ListContributorInsightsInput{MaxResults: max}
	if table != "" {
		in.TableName = aws.String(table)
	}
	for {
		page, err := ts.Client.ListContributorInsights(bg, in)
		if err != nil {
			t.Fatalf("ListContributorInsights: %v", err)
		}
		pages++
		for _, s := range page.ContributorInsightsSummaries {
			out = append(out, fmt.Sprintf("%s/%s %s %s", aws.ToString(s.TableName), aws.ToString(s.IndexName), s.ContributorInsightsStatus, s.ContributorInsightsMode))
		}
		if page.NextToken == nil {
			return out, pages
		}
		in.NextToken = page.NextToken
	}
}

// TestContributorInsightsLifecycle walks a table and a GSI through ENABLE,
// a mode change, repeated actions and DISABLE, with DynamoDB's statuses,
// rule names, listing and no-op answers.
func TestContributorInsightsLifecycle(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "cit", []string{"pk:S", "sk:N"}, func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{IndexName: aws.String("byG"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}
	})
	itemsCreateTable(t, ts, "cit-hash", []string{"pk:S"})

	// Never configured: only the table name and DISABLED.
	d := ciDescribe(t, ts, "cit", "")
	if d.ContributorInsightsStatus != types.ContributorInsightsStatusDisabled || d.ContributorInsightsMode != "" ||
		d.LastUpdateDateTime != nil || d.ContributorInsightsRuleList != nil || aws.ToString(d.TableName) != "cit" {
		t.Fatalf("fresh table: %+v", d)
	}
	if l, _ := ciList(t, ts, "cit", 0); len(l) != 0 {
		t.Fatalf("fresh table listed: %v", l)
	}
	// DISABLE of a never-configured table is a no-op.
	if out, err := ciUpdate(ts, "cit", "", types.ContributorInsightsActionDisable, ""); err != nil || out.ContributorInsightsStatus != types.ContributorInsightsStatusDisabled {
		t.Fatalf("DISABLE fresh: %+v %v", out, err)
	}

	out, err := ciUpdate(ts, "cit", "", types.ContributorInsightsActionEnable, "")
	if err != nil || out.ContributorInsightsStatus != types.ContributorInsightsStatusEnabling ||
		out.ContributorInsightsMode != types.ContributorInsightsModeAccessedAndThrottledKeys || aws.ToString(out.TableName) != "cit" || out.IndexName != nil {
		t.Fatalf("ENABLE: %+v %v", out, err)
	}
	d = ciDescribe(t, ts, "cit", "")
	if d.ContributorInsightsStatus != types.ContributorInsightsStatusEnabled || d.LastUpdateDateTime == nil || len(d.ContributorInsightsRuleList) != 4 {
		t.Fatalf("enabled: %+v", d)
	}
	stamp := strings.TrimPrefix(d.ContributorInsightsRuleList[0], "DynamoDBContributorInsights-PKC-cit-")
	for i, k := range []string{"PKC", "PKT", "SKC", "SKT"} {
		if want := "DynamoDBContributorInsights-" + k + "-cit-" + stamp; d.ContributorInsightsRuleList[i] != want {
			t.Fatalf("rule %d = %q, want %q", i, d.ContributorInsightsRuleList[i], want)
		}
	}
	// The same ENABLE again: ENABLED at once, nothing changes.
	if out, err := ciUpdate(ts, "cit", "", types.ContributorInsightsActionEnable, types.ContributorInsightsModeAccessedAndThrottledKeys); err != nil || out.ContributorInsightsStatus != types.ContributorInsightsStatusEnabled {
		t.Fatalf("ENABLE again: %+v %v", out, err)
	}
	if d2 := ciDescribe(t, ts, "cit", ""); !d2.LastUpdateDateTime.Equal(*d.LastUpdateDateTime) {
		t.Fatalf("no-op ENABLE changed LastUpdateDateTime: %v → %v", d.LastUpdateDateTime, d2.LastUpdateDateTime)
	}
	// A mode change is a new ENABLE; the surviving rules keep their names.
	if out, err := ciUpdate(ts, "cit", "", types.ContributorInsightsActionEnable, types.ContributorInsightsModeThrottledKeys); err != nil ||
		out.ContributorInsightsStatus != types.ContributorInsightsStatusEnabling || out.ContributorInsightsMode != types.ContributorInsightsModeThrottledKeys {
		t.Fatalf("mode change: %+v %v", out, err)
	}
	d = ciDescribe(t, ts, "cit", "")
	if want := []string{"DynamoDBContributorInsights-PKT-cit-" + stamp, "DynamoDBContributorInsights-SKT-cit-" + stamp}; !slices.Equal(d.ContributorInsightsRuleList, want) {
		t.Fatalf("throttled-keys rules = %v, want %v", d.ContributorInsightsRuleList, want)
	}

	// The GSI has its own setting; a hash-only GSI has the PK rules only.
	if out, err := ciUpdate(ts, "cit", "byG", types.ContributorInsightsActionEnable, ""); err != nil || aws.ToString(out.IndexName) != "byG" {
		t.Fatalf("ENABLE index: %+v %v", out, err)
	}
	d = ciDescribe(t, ts, "cit", "byG")
	if len(d.ContributorInsightsRuleList) != 2 || !strings.HasPrefix(d.ContributorInsightsRuleList[0], "DynamoDBContributorInsights-PKC-cit-byG-") || aws.ToString(d.IndexName) != "byG" {
		t.Fatalf("index: %+v", d)
	}
	if out, err := ciUpdate(ts, "cit-hash", "", types.ContributorInsightsActionEnable, ""); err != nil || out.ContributorInsightsStatus != types.ContributorInsightsStatusEnabling {
		t.Fatalf("ENABLE cit-hash: %+v %v", out, err)
	}
	if d := ciDescribe(t, ts, "cit-hash", ""); len(d.ContributorInsightsRuleList) != 2 {
		t.Fatalf("hash-only table rules: %v", d.ContributorInsightsRuleList)
	}

	// Listing: tables by name, each table before its GSIs; paging by one
	// ends without an empty page.
	want := []string{"cit/ ENABLED THROTTLED_KEYS", "cit/byG ENABLED ACCESSED_AND_THROTTLED_KEYS", "cit-hash/ ENABLED ACCESSED_AND_THROTTLED_KEYS"}
	if l, pages := ciList(t, ts, "", 1); !slices.Equal(l, want) || pages != 3 {
		t.Fatalf("list by one: %v in %d pages\nwant %v", l, pages, want)
	}
	if l, _ := ciList(t, ts, "cit", 0); !slices.Equal(l, want[:2]) {
		t.Fatalf("list of ci: %v", l)
	}

	// DISABLE: DISABLING, then DISABLED with the mode and time kept, and
	// out of the list.
	if out, err := ciUpdate(ts, "cit", "", types.ContributorInsightsActionDisable, types.ContributorInsightsModeAccessedAndThrottledKeys); err != nil ||
		out.ContributorInsightsStatus != types.ContributorInsightsStatusDisabling || out.ContributorInsightsMode != types.ContributorInsightsModeThrottledKeys {
		t.Fatalf("DISABLE: %+v %v", out, err)
	}
	d = ciDescribe(t, ts, "cit", "")
	if d.ContributorInsightsStatus != types.ContributorInsightsStatusDisabled || d.ContributorInsightsMode != types.ContributorInsightsModeThrottledKeys ||
		d.LastUpdateDateTime == nil || d.ContributorInsightsRuleList != nil {
		t.Fatalf("disabled: %+v", d)
	}
	if l, _ := ciList(t, ts, "", 0); !slices.Equal(l, want[1:]) {
		t.Fatalf("list after DISABLE: %v", l)
	}
	if out, err := ciUpdate(ts, "cit", "", types.ContributorInsightsActionDisable, ""); err != nil || out.ContributorInsightsStatus != types.ContributorInsightsStatusDisabled {
		t.Fatalf("DISABLE again: %+v %v", out, err)
	}

	// Deleting the GSI or the table takes its setting along.
	if _, err := ts.Client.UpdateTable(bg, &dynamodb.UpdateTableInput{TableName: aws.String("cit"),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("byG")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Client.DeleteTable(bg, &dynamodb.DeleteTableInput{TableName: aws.String("cit-hash")}); err != nil {
		t.Fatal(err)
	}
	if l, _ := ciList(t, ts, "", 0); len(l) != 0 {
		t.Fatalf("list after deletes: %v", l)
	}
	_, err = ts.Client.DescribeContributorInsights(bg, &dynamodb.DescribeContributorInsightsInput{TableName: aws.String("cit-hash")})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Table: cit-hash not found")
}

// TestContributorInsightsErrors: DynamoDB's validation and not-found
// answers of the three operations.
func TestContributorInsightsErrors(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "cie", []string{"pk:S", "sk:S"}, func(in *dynamodb.CreateTableInput) {
		in.LocalSecondaryIndexes = []types.LocalSecondaryIndex{{IndexName: aws.String("lsi"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}}
	})
	f := func(op, body, wantType, wantMsg string) {
		t.Helper()
		status, typ, msg, _ := ctlRaw(t, ts.URL, op, body)
		if status != 400 || typ != wantType || msg != wantMsg {
			t.Errorf("%s %s\n got %d %s %q\nwant 400 %s %q", op, body, status, typ, msg, wantType, wantMsg)
		}
	}
	notFound := "Requested resource not found: Table: nope not found"
	f("UpdateContributorInsights", `{"TableName":"nope","ContributorInsightsAction":"ENABLE"}`, "ResourceNotFoundException", notFound)
	f("DescribeContributorInsights", `{"TableName":"nope"}`, "ResourceNotFoundException", notFound)
	f("ListContributorInsights", `{"TableName":"nope"}`, "ResourceNotFoundException", notFound)
	f("UpdateContributorInsights", `{"TableName":"cie","IndexName":"lsi","ContributorInsightsAction":"ENABLE"}`, "ResourceNotFoundException",
		"Requested resource not found: Index: lsi not found for table: cie")
	f("DescribeContributorInsights", `{"TableName":"cie","IndexName":"ghost"}`, "ResourceNotFoundException",
		"Requested resource not found: Index: ghost not found for table: cie")
	f("UpdateContributorInsights", `{"TableName":"cie"}`, "ValidationException",
		"1 validation error detected: Value null at 'contributorInsightsAction' failed to satisfy constraint: Member must not be null")
	f("UpdateContributorInsights", `{"TableName":"cie","ContributorInsightsAction":"ON"}`, "ValidationException",
		"1 validation error detected: Value 'ON' at 'contributorInsightsAction' failed to satisfy constraint: Member must satisfy enum value set: [ENABLE, DISABLE]")
	f("UpdateContributorInsights", `{"TableName":"cie","ContributorInsightsAction":"ENABLE","ContributorInsightsMode":"ALL"}`, "ValidationException",
		"1 validation error detected: Value 'ALL' at 'contributorInsightsMode' failed to satisfy constraint: Member must satisfy enum value set: [ACCESSED_AND_THROTTLED_KEYS, THROTTLED_KEYS]")
	f("DescribeContributorInsights", `{"TableName":""}`, "ValidationException",
		"1 validation error detected: Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1")
	f("ListContributorInsights", `{"MaxResults":101}`, "ValidationException",
		"1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100")
	f("ListContributorInsights", `{"NextToken":"%%%"}`, "ValidationException", msgCIBadToken)
	f("DescribeContributorInsights", `{"TableName":1}`, "SerializationException", "NUMBER_VALUE cannot be converted to String")
}

// TestContributorInsightsQuota: past CloudWatch's 100 rules, ENABLE still
// answers ENABLING, then the entry is FAILED with LimitExceededException,
// listed, without rules, and DISABLE clears it.
func TestContributorInsightsQuota(t *testing.T) {
	ts := newTestServer(t)
	for i := range 26 {
		name := fmt.Sprintf("q%02d", i)
		itemsCreateTable(t, ts, name, []string{"pk:S", "sk:S"})
		out, err := ciUpdate(ts, name, "", types.ContributorInsightsActionEnable, "")
		if err != nil || out.ContributorInsightsStatus != types.ContributorInsightsStatusEnabling {
			t.Fatalf("ENABLE %s: %+v %v", name, out, err)
		}
	}
	if d := ciDescribe(t, ts, "q24", ""); d.ContributorInsightsStatus != types.ContributorInsightsStatusEnabled {
		t.Fatalf("the 25th table (rules 97-100): %+v", d)
	}
	d := ciDescribe(t, ts, "q25", "")
	if d.ContributorInsightsStatus != types.ContributorInsightsStatusFailed || d.ContributorInsightsRuleList != nil || d.FailureException == nil ||
		aws.ToString(d.FailureException.ExceptionName) != "LimitExceededException" || aws.ToString(d.FailureException.ExceptionDescription) != msgCILimit ||
		d.ContributorInsightsMode != types.ContributorInsightsModeAccessedAndThrottledKeys {
		t.Fatalf("past the quota: %+v %+v", d, d.FailureException)
	}
	if l, _ := ciList(t, ts, "q25", 0); !slices.Equal(l, []string{"q25/ FAILED ACCESSED_AND_THROTTLED_KEYS"}) {
		t.Fatalf("list of the failed table: %v", l)
	}
	// Narrowing another table to THROTTLED_KEYS frees two rules: a hash-only
	// table (two rules) then fits.
	if _, err := ciUpdate(ts, "q00", "", types.ContributorInsightsActionEnable, types.ContributorInsightsModeThrottledKeys); err != nil {
		t.Fatal(err)
	}
	itemsCreateTable(t, ts, "qhash", []string{"pk:S"})
	if _, err := ciUpdate(ts, "qhash", "", types.ContributorInsightsActionEnable, ""); err != nil {
		t.Fatal(err)
	}
	if d := ciDescribe(t, ts, "qhash", ""); d.ContributorInsightsStatus != types.ContributorInsightsStatusEnabled {
		t.Fatalf("a two-rule table in the freed room: %+v", d)
	}
	out, err := ciUpdate(ts, "q25", "", types.ContributorInsightsActionDisable, "")
	if err != nil || out.ContributorInsightsStatus != types.ContributorInsightsStatusDisabling {
		t.Fatalf("DISABLE of FAILED: %+v %v", out, err)
	}
	if d := ciDescribe(t, ts, "q25", ""); d.ContributorInsightsStatus != types.ContributorInsightsStatusDisabled || d.FailureException != nil {
		t.Fatalf("disabled after FAILED: %+v", d)
	}
}

// TestContributorInsightsCreateDelay: with --create-delay the transitions
// are visible, and a CREATING table refuses ENABLE with DynamoDB's text.
func TestContributorInsightsCreateDelay(t *testing.T) {
	ts := newTestServerOpts(t, Options{Dir: t.TempDir(), NoSync: true, CreateDelay: 300 * 1e6})
	itemsCreateTable(t, ts, "cid", []string{"pk:S"})
	_, err := ciUpdate(ts, "cid", "", types.ContributorInsightsActionEnable, "")
	wantErr(t, err, "ValidationException", msgCINotActiveTable)
	waitStatus(t, ts.Client, "cid", types.TableStatusActive)
	if _, err := ciUpdate(ts, "cid", "", types.ContributorInsightsActionEnable, ""); err != nil {
		t.Fatal(err)
	}
	if d := ciDescribe(t, ts, "cid", ""); d.ContributorInsightsStatus != types.ContributorInsightsStatusEnabling || len(d.ContributorInsightsRuleList) != 2 {
		t.Fatalf("while settling: %+v", d)
	}
	if l, _ := ciList(t, ts, "cid", 0); !slices.Equal(l, []string{"cid/ ENABLING ACCESSED_AND_THROTTLED_KEYS"}) {
		t.Fatalf("list while settling: %v", l)
	}
}

// insightsServe serves n with the contributor insights endpoint in front
// of the DynamoDB API, as the dynax commands do.
func insightsServe(t *testing.T, n *Node) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ws := wire.NewServer(n, slog.New(slog.DiscardHandler))
	srv := ws.FastHTTP(InsightsHandler(n, ws.ServeFastHTTP))
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

func insightsGet(t *testing.T, url string) (int, Contributors, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var c Contributors
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	}
	return resp.StatusCode, c, string(b)
}

// TestContributorInsightsHotKey hammers one item among many with reads and
// writes and finds it first in every accessed rule of the table, and a
// GSI's hot partition first in the GSI's rule; throttles counted through
// InsightsThrottled show in the throttled rules. The counts survive
// nothing (they are in memory), the setting survives a restart.
func TestContributorInsightsHotKey(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, NoSync: true, Logger: slog.New(slog.DiscardHandler)}
	n, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Node: n}
	ts.URL = insightsServe(t, n)
	ts.Client, _ = newClientTransport(ts.URL)
	itemsCreateTable(t, ts, "hot", []string{"pk:S", "sk:N"}, func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{IndexName: aws.String("byG"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}}
	})
	base := ts.URL + InsightsPath + "?table=hot"
	if code, c, _ := insightsGet(t, base); code != 200 || c.Status != "DISABLED" || len(c.Rules) != 0 {
		t.Fatalf("before ENABLE: %d %+v", code, c)
	}
	for _, idx := range []string{"", "byG"} {
		if _, err := ciUpdate(ts, "hot", idx, types.ContributorInsightsActionEnable, ""); err != nil {
			t.Fatal(err)
		}
	}
	key := func(pk string, sk int) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberN{Value: fmt.Sprint(sk)}}
	}
	for i := range 300 {
		it := key(fmt.Sprintf("user#%d", i), i%7)
		it["g"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("group#%d", i%50)}
		if _, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("hot"), Item: it}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 { // the hot item, read between the writes
			if _, err := ts.Client.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("hot"), Key: key("user#42", 0)}); err != nil {
				t.Fatal(err)
			}
		}
		if i%3 == 0 { // another item of the hot partition
			if _, err := ts.Client.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("hot"), Key: key("user#42", 5)}); err != nil {
				t.Fatal(err)
			}
		}
		if i%4 == 0 {
			if _, err := ts.Client.Query(bg, &dynamodb.QueryInput{TableName: aws.String("hot"), IndexName: aws.String("byG"),
				KeyConditionExpression:    aws.String("g = :g"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":g": &types.AttributeValueMemberS{Value: "group#7"}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	tbl, _ := n.cat.get("hot")
	for range 5 {
		n.InsightsThrottled(tbl, "", ddb.Item{"pk": {T: ddb.TypeS, S: "user#9"}, "sk": {T: ddb.TypeN, S: "9"}})
	}
	code, c, raw := insightsGet(t, base+"&n=3")
	if code != 200 || c.Status != "ENABLED" || len(c.Rules) != 4 {
		t.Fatalf("top: %d %s", code, raw)
	}
	first := func(kind string) (string, uint64, int) {
		for _, r := range c.Rules {
			if r.Kind == kind {
				if len(r.Contributors) == 0 {
					return "", 0, 0
				}
				return string(r.Contributors[0].Key), r.Contributors[0].Count, len(r.Contributors)
			}
		}
		t.Fatalf("no rule %s in %s", kind, raw)
		return "", 0, 0
	}
	// user#42 was read 150 + 100 times and written once.
	if k, cnt, l := first("PKC"); k != `{"pk":{"S":"user#42"}}` || cnt < 251 || l != 3 {
		t.Fatalf("PKC top: %s %d (%d keys) in %s", k, cnt, l, raw)
	}
	if k, cnt, _ := first("SKC"); k != `{"pk":{"S":"user#42"},"sk":{"N":"0"}}` || cnt < 151 {
		t.Fatalf("SKC top: %s %d in %s", k, cnt, raw)
	}
	if k, cnt, _ := first("PKT"); k != `{"pk":{"S":"user#9"}}` || cnt < 5 {
		t.Fatalf("PKT top: %s %d in %s", k, cnt, raw)
	}
	// The GSI: group#7 written 6 times and queried 75 times.
	code, c, raw = insightsGet(t, base+"&index=byG")
	if code != 200 || len(c.Rules) != 2 {
		t.Fatalf("index top: %d %s", code, raw)
	}
	if k, cnt, _ := first("PKC"); k != `{"g":{"S":"group#7"}}` || cnt < 81 {
		t.Fatalf("index PKC top: %s %d in %s", k, cnt, raw)
	}
	for _, q := range []string{"", "?table=", "?table=hot&n=0", "?table=hot&n=x"} {
		if code, _, _ := insightsGet(t, ts.URL+InsightsPath+q); code != 400 {
			t.Errorf("%q: %d, want 400", q, code)
		}
	}
	for _, q := range []string{"?table=nope", "?table=hot&index=nope"} {
		if code, _, _ := insightsGet(t, ts.URL+InsightsPath+q); code != 404 {
			t.Errorf("%q: %d, want 404", q, code)
		}
	}

	// After a restart the setting is back and counting starts again.
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n, err = Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ts.URL = insightsServe(t, n)
	ts.Client, _ = newClientTransport(ts.URL)
	if d := ciDescribe(t, ts, "hot", "byG"); d.ContributorInsightsStatus != types.ContributorInsightsStatusEnabled {
		t.Fatalf("index after restart: %+v", d)
	}
	if _, err := ts.Client.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("hot"), Key: key("user#1", 1)}); err != nil {
		t.Fatal(err)
	}
	_, c, raw = insightsGet(t, ts.URL+InsightsPath+"?table=hot")
	if k, cnt, _ := first("SKC"); k != `{"pk":{"S":"user#1"},"sk":{"N":"1"}}` || cnt != 1 {
		t.Fatalf("after restart: %s", raw)
	}
}

// TestContributorInsightsThrottled: requests the capacity checks refuse
// count in the PKT rule, the admitted ones in PKC.
func TestContributorInsightsThrottled(t *testing.T) {
	ts, _, c := newCapServer(t, CapacityEnforce)
	capCreate(t, ts.Client, "thr", 1, 1, nil)
	if _, err := ciUpdate(ts, "thr", "", types.ContributorInsightsActionEnable, ""); err != nil {
		t.Fatal(err)
	}
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "hot"}}
	throttled := 0
	for range 20 {
		_, err := c.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("thr"), Key: key, ConsistentRead: aws.Bool(true)})
		if capIsThrottle(err) {
			throttled++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		_, err := c.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("thr"), Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "w"}}})
		if err != nil && !capIsThrottle(err) {
			t.Fatal(err)
		}
	}
	if throttled == 0 {
		t.Fatal("no read throttled")
	}
	top, err := ts.Node.TopContributors("thr", "", 5)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range top.Rules {
		var parts []string
		for _, c := range r.Contributors {
			parts = append(parts, fmt.Sprintf("%s=%d", c.Key, c.Count))
		}
		got[r.Kind] = strings.Join(parts, " ")
	}
	if want := fmt.Sprintf(`{"pk":{"S":"hot"}}=%d`, throttled); !strings.HasPrefix(got["PKT"], want) {
		t.Fatalf("PKT = %q, want it to start with %s (all: %v)", got["PKT"], want, got)
	}
	if !strings.HasPrefix(got["PKC"], `{"pk":{"S":"hot"}}=20`) {
		t.Fatalf("PKC = %q", got["PKC"])
	}
}

// TestContributorInsightsMetrics: the top keys of the enabled rules are on
// the node's Prometheus registry (GET /metrics).
func TestContributorInsightsMetrics(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "cim", []string{"pk:S"})
	if _, err := ciUpdate(ts, "cim", "", types.ContributorInsightsActionEnable, ""); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		pk := "hot"
		if i%3 == 0 {
			pk = fmt.Sprintf("cold%d", i)
		}
		if _, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("cim"),
			Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}}); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	if err := ts.Node.WriteMetrics(&b); err != nil {
		t.Fatal(err)
	}
	want := `ContributorInsightsTopKey{GlobalSecondaryIndexName="",Key="{\"pk\":{\"S\":\"hot\"}}",Rule="PKC",TableName="cim"} 8`
	if !strings.Contains(b.String(), want) {
		t.Fatalf("metrics lack %s:\n%s", want, b.String())
	}
}
