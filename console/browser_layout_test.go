package console_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// screenshotsEnv names a directory to write the pages' screenshots to
// (docs/img/ is made with it); unset, none are written.
const screenshotsEnv = "DYNAX_CONSOLE_SCREENSHOTS"

// TestBrowserLayout visits the main pages at 1280×800 and at a phone's
// width: nothing overflows the window sideways, every form control has a
// label, and Tab reaches the skip link first.
func TestBrowserLayout(t *testing.T) {
	n := startNode(t, "off")
	bg := context.Background()
	_, err := n.DB.CreateTable(bg, &dynamodb.CreateTableInput{
		TableName: aws.String("Orders"),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("customer"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("order"), AttributeType: types.ScalarAttributeTypeN},
			{AttributeName: aws.String("status"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("customer"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("order"), KeyType: types.KeyTypeRange}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("by-status"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("status"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}},
		BillingMode:         types.BillingModePayPerRequest,
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		status := []string{"open", "shipped", "paid"}[i%3]
		_, err := n.DB.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("Orders"), Item: map[string]types.AttributeValue{
			"customer": &types.AttributeValueMemberS{Value: "c" + strconv.Itoa(i%4)},
			"order":    &types.AttributeValueMemberN{Value: strconv.Itoa(1000 + i)},
			"status":   &types.AttributeValueMemberS{Value: status},
			"total":    &types.AttributeValueMemberN{Value: strconv.Itoa(10*i + 5)},
			"lines":    &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "sku-" + strconv.Itoa(i)}}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = n.DB.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("Orders"), Key: map[string]types.AttributeValue{
			"customer": &types.AttributeValueMemberS{Value: "c" + strconv.Itoa(i%4)}, "order": &types.AttributeValueMemberN{Value: strconv.Itoa(1000 + i)}}})
	}
	ctx := browser(t)
	key := `{"customer":{"S":"c1"},"order":{"N":"1001"}}`
	pages := []struct{ name, path, ready, want string }{
		{"tables", "/console", "#tables tbody", "Orders"},
		{"items", "/console/table?name=Orders", "#browse-results", "25 items"},
		{"query", "/console/table?name=Orders#query", "#qb-cli", "aws dynamodb query"},
		{"schema", "/console/table?name=Orders#schema", "#schema", "by-status"},
		{"item", "/console/item?table=Orders&key=" + key, "#item-hints", "customer: S"},
		{"partiql", "/console/partiql?table=Orders", "#pq-cli", "execute-statement"},
		{"streams", "/console/streams?table=Orders", "#st-state", "Tailing Orders"},
		{"cache", "/console/cache", "#live", "Item hit ratio"},
		{"metrics", "/console/metrics", "#ops", "PutItem"},
		{"cluster", "/console/cluster", "#live", "not in a cache cluster"},
	}
	shots := os.Getenv(screenshotsEnv)
	for _, size := range []struct {
		name string
		w, h int64
	}{{"wide", 1280, 800}, {"narrow", 390, 800}} {
		run(t, ctx, "viewport", chromedp.EmulateViewport(size.w, size.h))
		for _, p := range pages {
			run(t, ctx, p.name+" "+size.name, chromedp.Navigate("about:blank"), chromedp.Navigate(n.URL+p.path), waitText(p.ready, p.want))
			if over := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); over > 0 {
				wide := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 4).map((e) => e.outerHTML.slice(0, 100))`))
				t.Errorf("%s at %s: the page is %dpx wider than the window: %q", p.name, size.name, over, wide)
			}
			unlabelled := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("input, select, textarea, button")]
				.filter((e) => e.offsetParent !== null && !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !(e.tagName === "BUTTON" && e.textContent.trim()))
				.map((e) => e.outerHTML.slice(0, 80))`))
			if len(unlabelled) > 0 {
				t.Errorf("%s: controls without a label: %q", p.name, unlabelled)
			}
			if shots != "" && size.name == "wide" && (p.name == "cache" || p.name == "metrics") {
				// Let the charts gather a few samples of some reads.
				for i := range 40 {
					_, _ = n.DB.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("Orders"), Key: map[string]types.AttributeValue{
						"customer": &types.AttributeValueMemberS{Value: "c" + strconv.Itoa(i%4)}, "order": &types.AttributeValueMemberN{Value: strconv.Itoa(1000 + i%30)}}})
					time.Sleep(100 * time.Millisecond)
				}
				run(t, ctx, "scroll", chromedp.ScrollIntoView(chromedp.CSS(".charts")))
			}
			if shots != "" && (size.name == "wide" || p.name == "items") {
				png := get(t, ctx, chromedp.CaptureScreenshot())
				if err := os.WriteFile(filepath.Join(shots, "console-"+p.name+"-"+size.name+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	run(t, ctx, "page through the table and an index",
		chromedp.Navigate(n.URL+"/console/table?name=Orders"),
		waitText("#browse-results", "25 items · page 1"),
		chromedp.Click(chromedp.CSS("#browse-results .next")),
		waitText("#browse-results", "5 items · page 2"),
		chromedp.Click(chromedp.CSS("#browse-results .prev")),
		waitText("#browse-results", "25 items · page 1"),
		chromedp.SetValue(chromedp.CSS("#browse-limit"), "20"),
		chromedp.SetValue(chromedp.CSS("#browse-index"), "by-status"),
		evalJS(`document.getElementById("browse-index").dispatchEvent(new Event("change"))`),
		waitText("#browse-results", "20 items · page 1"),
		chromedp.Click(chromedp.CSS("#browse-results .next")),
		waitText("#browse-results", "10 items · page 2"),
	)
	run(t, ctx, "skip link", chromedp.Navigate(n.URL+"/console"), waitText("#tables tbody", "Orders"), chromedp.KeyEvent(kb.Tab))
	if cls := get(t, ctx, chromedp.Evaluate[string](`document.activeElement.className`)); cls != "skip" {
		t.Errorf("the first Tab stop is %q, want the skip link", cls)
	}
}
