package console_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/chromedp/chromedp"
)

// TestBrowserStoreMetrics: the Metrics page shows a table's consumed
// write capacity, as the store counted it and the answers reported, with
// its provisioned capacity, and charts it.
func TestBrowserStoreMetrics(t *testing.T) {
	n := startNode(t, "off")
	bg := context.Background()
	_, err := n.DB.CreateTable(bg, &dynamodb.CreateTableInput{
		TableName:             aws.String("Metered"),
		AttributeDefinitions:  []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(40), WriteCapacityUnits: aws.Int64(30)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var wcu float64
	for i := range 7 {
		out, err := n.DB.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String("Metered"), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
			Item: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "k" + strconv.Itoa(i)}}})
		if err != nil {
			t.Fatal(err)
		}
		wcu += aws.ToFloat64(out.ConsumedCapacity.CapacityUnits)
	}
	ctx := browser(t)
	run(t, ctx, "open the metrics page",
		chromedp.Navigate(n.URL+"/console/metrics"),
		waitText("#store-tables", "Metered"),
	)
	rows := get(t, ctx, chromedp.Text(chromedp.CSS("#store-tables tbody")))
	var row string
	for _, line := range strings.Split(rows, "\n") {
		if strings.Contains(line, "Metered") {
			row = line
		}
	}
	f := strings.Fields(row)
	// Metered, consumed RCU, provisioned RCU, consumed WCU, provisioned WCU, throttles, requests, p50, p99
	if len(f) < 6 || f[2] != "40" || f[3] != strconv.Itoa(int(wcu)) || f[4] != "30" || f[5] != "0" {
		t.Errorf("store row %q: want provisioned 40/30 and %v consumed WCU", row, wcu)
	}
	if got := get(t, ctx, chromedp.Text(chromedp.CSS("#store-tables caption"))); !strings.Contains(got, "ConsumedWriteCapacityUnits") {
		t.Errorf("caption %q", got)
	}
	run(t, ctx, "chart", chromedp.WaitVisible(chromedp.CSS("figure[id$='-cap-fig'] svg")))
}
