package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/dynax/dynax/auth"
	"github.com/dynax/dynax/console"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

func createStreamTable(t *testing.T, db *dynamodb.Client, name string) {
	t.Helper()
	_, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
		StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func put(t *testing.T, db *dynamodb.Client, table, pk, v string) {
	t.Helper()
	_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table),
		Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "v": &types.AttributeValueMemberS{Value: v}}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBrowserPartiQLExportStreamsCache: the PartiQL editor (run with
// Ctrl+Enter), a result page's CSV export, a stream record arriving in the
// tail, and the cache chart's hit ratio rising while the test reads.
func TestBrowserPartiQLExportStreamsCache(t *testing.T) {
	n := startNode(t, "off")
	createStreamTable(t, n.DB, "Events")
	put(t, n.DB, "Events", "a", "first")
	ctx := browser(t)

	run(t, ctx, "PartiQL select",
		chromedp.Navigate(n.URL+"/console/partiql?table=Events"),
		waitText("#pq-cli", `aws dynamodb execute-statement --endpoint-url `+n.URL+` --statement 'SELECT * FROM "Events"'`),
		chromedp.Focus(chromedp.CSS("#pq-stmt")),
		chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		waitText("#pq-results", "first"),
	)
	// Export the page as CSV: catch the Blob the button hands the browser.
	csv := get(t, ctx, chromedp.Evaluate[string](`new Promise((resolve) => {
		const orig = URL.createObjectURL;
		URL.createObjectURL = (b) => { URL.createObjectURL = orig; b.text().then(resolve); return orig(b); };
		document.querySelector("#pq-results .export-csv").click();
	})`, chromedp.EvalAwaitPromise))
	if csv != "pk,v\r\na,first\r\n" {
		t.Errorf("CSV export %q", csv)
	}
	run(t, ctx, "PartiQL insert",
		chromedp.SetValue(chromedp.CSS("#pq-stmt"), `INSERT INTO "Events" VALUE {'pk': 'b', 'v': 'from partiql'}`),
		chromedp.Click(chromedp.CSS("#pq button[type=submit]")),
		waitText("#pq-results", "0 items"),
	)
	gi, err := n.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("Events"),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "b"}}, ConsistentRead: aws.Bool(true)})
	if err != nil || gi.Item["v"] == nil {
		t.Fatalf("PartiQL insert: %v %v", gi, err)
	}
	run(t, ctx, "PartiQL error",
		chromedp.SetValue(chromedp.CSS("#pq-stmt"), `SELEKT nothing`),
		chromedp.Click(chromedp.CSS("#pq button[type=submit]")),
		waitText("#pq-error", "ValidationException"),
	)

	// A stream record arrives in the tail.
	run(t, ctx, "start the tail",
		chromedp.Navigate(n.URL+"/console/streams?table=Events"),
		waitText("#st-state", "Tailing Events"),
	)
	put(t, n.DB, "Events", "c", "streamed")
	run(t, ctx, "see the record", waitText("#tail", "INSERT"), waitText("#tail", `{"pk":"c"}`))

	// The cache page: the hit ratio rises while the test issues reads.
	run(t, ctx, "cache page", chromedp.Navigate(n.URL+"/console/cache"), chromedp.WaitVisible(chromedp.CSS("#chart-hits")))
	done := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		defer close(readErr)
		key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := n.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("Events"), Key: key}); err != nil {
				readErr <- err
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	defer func() {
		close(done)
		if err := <-readErr; err != nil {
			t.Error(err)
		}
	}()
	ratioRe := regexp.MustCompile(`Item hit ratio \(since start\)\s*([0-9.]+) %`)
	ratio := func() float64 {
		s := get(t, ctx, chromedp.Text(chromedp.CSS("#live .figures")))
		m := ratioRe.FindStringSubmatch(s)
		if m == nil {
			return -1
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	var seen []float64
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := ratio()
		if len(seen) == 0 || r != seen[len(seen)-1] {
			seen = append(seen, r)
		}
		if r >= 90 && len(seen) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the item hit ratio did not rise past 90%%: %v", seen)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The chart's item-cache line has points (two samples at least).
	run(t, ctx, "chart", waitText("#chart-hits-fig", "Hit ratio"))
	pts := 0
	for end := time.Now().Add(10 * time.Second); pts < 2 && time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		pts = get(t, ctx, chromedp.Evaluate[int](`(() => { const l = [...document.querySelectorAll("#chart-hits polyline")].find((p) => p.textContent === "item cache"); return l ? l.getAttribute("points").split(" ").length : 0; })()`))
	}
	if pts < 2 {
		t.Errorf("the hit ratio chart's item cache line has %d points", pts)
	}
	label := get(t, ctx, chromedp.Evaluate[string](`document.querySelector("#chart-hits").getAttribute("aria-label")`))
	if label != "Hit ratio" {
		t.Errorf("chart aria-label %q", label)
	}
}

// TestBrowserSigV4: with --auth sigv4 the console asks for credentials,
// refuses a wrong secret, signs with the key given, and gets exactly its
// rights (a read-only key cannot create a table).
func TestBrowserSigV4(t *testing.T) {
	users, err := auth.ParseUsers([]byte(`{"users":[
		{"accessKeyId":"AKADMIN","secretAccessKey":"admin-secret","arn":"arn:aws:iam::000000000000:user/admin"},
		{"accessKeyId":"AKREADER","secretAccessKey":"reader-secret","arn":"arn:aws:iam::000000000000:user/reader",
		 "policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:List*","dynamodb:Describe*","dynamodb:Scan","dynamodb:Query","dynamodb:GetItem"],"Resource":"*"}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	sn, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true, Logger: log, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sn.Close() })
	c, err := console.New(console.Options{Node: "store", Auth: "sigv4"})
	if err != nil {
		t.Fatal(err)
	}
	ws := wire.NewServer(sn, log)
	ws.Verifier = sn.Verifier()
	url := serve(t, ws.FastHTTP(c.Mount(ws.ServeFastHTTP)))
	admin := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKADMIN", "admin-secret", "")})
	createStreamTable(t, admin, "Secret")
	ctx := browser(t)

	signIn := func(akid, secret string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.CSS("#cr-akid"), akid),
			chromedp.SetValue(chromedp.CSS("#cr-secret"), secret),
			chromedp.Click(chromedp.CSS("#creds button[type=submit]")),
		}
	}
	run(t, ctx, "asked for credentials",
		chromedp.Navigate(url+"/console"),
		waitText("h1", "Credentials"),
	)
	run(t, ctx, "wrong secret", append(signIn("AKADMIN", "wrong"), waitText("#cr-error", "InvalidSignatureException"))...)
	run(t, ctx, "reader signs in", append(signIn("AKREADER", "reader-secret"),
		waitText("h1", "Tables"), waitText("#tables tbody", "Secret"), waitText("#who", "Signed as AKREADER"))...)
	run(t, ctx, "reader cannot create",
		chromedp.SetValue(chromedp.CSS("#ct-name"), "Nope"),
		chromedp.SetValue(chromedp.CSS("#ct-pk"), "id"),
		chromedp.Click(chromedp.CSS("#create-table button[type=submit]")),
		waitText("#ct-error", "AccessDeniedException"),
	)
	lt, err := admin.ListTables(context.Background(), &dynamodb.ListTablesInput{})
	if err != nil || fmt.Sprint(lt.TableNames) != "[Secret]" {
		t.Fatalf("tables %v, %v", lt.TableNames, err)
	}
	msg := get(t, ctx, chromedp.Text(chromedp.CSS("#ct-error")))
	if !strings.Contains(msg, "AKREADER") && !strings.Contains(msg, "reader") {
		t.Errorf("access denied message %q does not name the caller", msg)
	}
}

// TestBrowserMultiAttributeIndexQuery: the Query builder asks for every
// element of a multi-attribute index key and builds the condition in
// order (partition elements by equality, sort elements left to right).
func TestBrowserMultiAttributeIndexQuery(t *testing.T) {
	n := startNode(t, "off")
	bg := context.Background()
	def := func(a string, ty types.ScalarAttributeType) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(a), AttributeType: ty}
	}
	kel := func(a string, kt types.KeyType) types.KeySchemaElement {
		return types.KeySchemaElement{AttributeName: aws.String(a), KeyType: kt}
	}
	_, err := n.DB.CreateTable(bg, &dynamodb.CreateTableInput{
		TableName: aws.String("Games"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{def("id", types.ScalarAttributeTypeS), def("region", types.ScalarAttributeTypeS),
			def("tier", types.ScalarAttributeTypeS), def("season", types.ScalarAttributeTypeN), def("score", types.ScalarAttributeTypeN)},
		KeySchema: []types.KeySchemaElement{kel("id", types.KeyTypeHash)},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("board"),
			KeySchema:  []types.KeySchemaElement{kel("region", types.KeyTypeHash), kel("tier", types.KeyTypeHash), kel("season", types.KeyTypeRange), kel("score", types.KeyTypeRange)},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range [][4]string{{"eu", "gold", "3", "50"}, {"eu", "gold", "3", "90"}, {"eu", "gold", "2", "99"}, {"eu", "silver", "3", "95"}} {
		_, err := n.DB.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("Games"), Item: map[string]types.AttributeValue{
			"id": &types.AttributeValueMemberS{Value: "g" + strconv.Itoa(i)}, "region": &types.AttributeValueMemberS{Value: it[0]},
			"tier": &types.AttributeValueMemberS{Value: it[1]}, "season": &types.AttributeValueMemberN{Value: it[2]}, "score": &types.AttributeValueMemberN{Value: it[3]}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx := browser(t)
	run(t, ctx, "query the index",
		chromedp.Navigate(n.URL+"/console/table?name=Games#query"),
		chromedp.WaitVisible(chromedp.CSS("#qb-pk")),
		chromedp.SetValue(chromedp.CSS("#qb-index"), "board"),
		evalJS(`document.getElementById("qb-index").dispatchEvent(new Event("change", {bubbles: true}))`),
		waitText(`label[for="qb-pk-1"]`, "Partition key tier"),
		chromedp.SetValue(chromedp.CSS("#qb-pk"), "eu"),
		chromedp.SetValue(chromedp.CSS("#qb-pk-1"), "gold"),
		chromedp.SetValue(chromedp.CSS("#qb-skop"), "="),
		chromedp.SetValue(chromedp.CSS("#qb-sk1"), "3"),
		chromedp.SetValue(chromedp.CSS("#qb-skop-1"), ">="),
		chromedp.SetValue(chromedp.CSS("#qb-sk1-1"), "60"),
		chromedp.Click(chromedp.CSS("#qb button[type=submit]")),
		waitText("#qb-results", "1 item"),
		waitText("#qb-results", "g1"),
	)
	cli := get(t, ctx, chromedp.Text(chromedp.CSS("#qb-cli")))
	if !strings.Contains(cli, "--index-name board") || !strings.Contains(cli, "'#pk = :pk AND #pk1 = :pk1 AND #sk = :sk1 AND #sk1 >= :sk1a'") {
		t.Errorf("CLI command %q", cli)
	}
}
