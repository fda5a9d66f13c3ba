package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/chromedp/chromedp"

	"github.com/dynax/dynax/console"
	"github.com/dynax/dynax/proxy"
	"github.com/dynax/dynax/store"
	"github.com/dynax/dynax/storebackend"
)

// storeHotKeys adapts the store's contributor insights counts to the
// console, as cmd/dynax does.
type storeHotKeys struct{ n *store.Node }

func (h storeHotKeys) HotKeys(table, index string, k int) (*console.HotKeyReport, error) {
	c, err := h.n.TopContributors(table, index, k)
	if err != nil {
		return nil, err
	}
	r := &console.HotKeyReport{Table: c.TableName, Index: c.IndexName, Status: c.Status, Mode: c.Mode}
	for _, rule := range c.Rules {
		hr := console.HotKeyRule{Name: rule.RuleName, Kind: rule.Kind}
		for _, k := range rule.Contributors {
			hr.Keys = append(hr.Keys, console.HotKey{Key: string(k.Key), Count: k.Count})
		}
		r.Rules = append(r.Rules, hr)
	}
	return r, nil
}

// TestBrowserHotKeys: the hot keys page of a table shows contributor
// insights off, then, enabled, a key hammered by writes through the proxy
// appears first among the most accessed partition keys while the page
// polls.
func TestBrowserHotKeys(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	sn, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sn.Close() })
	p, err := proxy.New(proxy.Options{Backend: &storebackend.Backend{Node: sn}, Logger: log, ItemTTL: time.Minute, QueryTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	c, err := console.New(console.Options{Node: "test", Auth: "off", Cache: p, HotKeys: storeHotKeys{sn}})
	if err != nil {
		t.Fatal(err)
	}
	srv := p.Server()
	srv.Handler = c.Mount(srv.Handler)
	url := serve(t, srv)
	db := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	if _, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{TableName: aws.String("Hot"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest}); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	run(t, ctx, "insights off",
		chromedp.Navigate(url+"/console/hotkeys"),
		chromedp.SetValue(chromedp.CSS("#hk-table"), "Hot"),
		chromedp.Click(chromedp.CSS("#hk button[type=submit]")),
		waitText("#hk-status", "DISABLED"),
	)
	if _, err := db.UpdateContributorInsights(context.Background(), &dynamodb.UpdateContributorInsightsInput{TableName: aws.String("Hot"),
		ContributorInsightsAction: types.ContributorInsightsActionEnable}); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "insights on", waitText("#hk-status", "ENABLED"), waitText("#hk-PKC", "No requests yet."))
	// Writes pass through the proxy to the store (cached reads would not:
	// a cache hit never reaches the table, as with DAX).
	for i := range 60 {
		pk := fmt.Sprintf("cold-%d", i)
		if i%2 == 0 {
			pk = "hot-key"
		}
		if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("Hot"),
			Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}}); err != nil {
			t.Fatal(err)
		}
	}
	run(t, ctx, "hot key shown", waitText("#hk-PKC tbody tr:first-child", `{"pk":{"S":"hot-key"}}`))
	row := get(t, ctx, chromedp.Text(chromedp.CSS("#hk-PKC tbody tr:first-child")))
	if !strings.Contains(row, "30") {
		t.Fatalf("first row %q, want hot-key with 30 requests", row)
	}
}
