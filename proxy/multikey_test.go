package proxy

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestMultiKeyQueryCache queries a multi-attribute GSI (2 HASH, 2 RANGE
// elements) through the proxy: pages chained by LastEvaluatedKey are
// cached, answer as the store does, and a write to the table empties them.
func TestMultiKeyQueryCache(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	s := types.ScalarAttributeTypeS
	n := types.ScalarAttributeTypeN
	_, err := e.c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String("mkq"),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: s},
			{AttributeName: aws.String("t"), AttributeType: s}, {AttributeName: aws.String("r"), AttributeType: n},
			{AttributeName: aws.String("c"), AttributeType: s}, {AttributeName: aws.String("x"), AttributeType: n}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String("mix"),
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("t"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("r"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("c"), KeyType: types.KeyTypeRange},
				{AttributeName: aws.String("x"), KeyType: types.KeyTypeRange}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 9; i++ {
		e.ok("PutItem", fmt.Sprintf(`{"TableName":"mkq","Item":{"pk":{"S":"k%d"},"t":{"S":"a"},"r":{"N":"%d"},"c":{"S":"c%d"},"x":{"N":"%d"}}}`, i, i%2, i%3, 10-i))
	}
	query := func(c *dynamodb.Client, esk map[string]types.AttributeValue) *dynamodb.QueryOutput {
		t.Helper()
		out, err := c.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String("mkq"), IndexName: aws.String("mix"), Limit: aws.Int32(2),
			KeyConditionExpression:    aws.String("t = :t AND r = :r AND c = :c AND x >= :x"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": sv("a"), ":r": nv("0"), ":c": sv("c0"), ":x": nv("0")},
			ExclusiveStartKey:         esk,
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	pages := func(c *dynamodb.Client) (keys []string) {
		var esk map[string]types.AttributeValue
		for {
			out := query(c, esk)
			for _, it := range out.Items {
				keys = append(keys, it["pk"].(*types.AttributeValueMemberS).Value)
			}
			if out.LastEvaluatedKey == nil {
				return keys
			}
			if len(out.LastEvaluatedKey) != 5 {
				t.Fatalf("LastEvaluatedKey %v: want the table key and all four index key attributes", out.LastEvaluatedKey)
			}
			esk = out.LastEvaluatedKey
		}
	}
	// r=0, c=c0: i in {0, 6}; x = 10-i ascending: k6 (4), k0 (10).
	want := []string{"k6", "k0"}
	if got := pages(e.direct); !reflect.DeepEqual(got, want) {
		t.Fatalf("store: %v, want %v", got, want)
	}
	for round := 0; round < 2; round++ {
		if got := pages(e.c); !reflect.DeepEqual(got, want) {
			t.Fatalf("proxy round %d: %v, want %v", round, got, want)
		}
	}
	body := `{"TableName":"mkq","IndexName":"mix","KeyConditionExpression":"t = :t AND r = :r","ExpressionAttributeValues":{":t":{"S":"a"},":r":{"N":"0"}}}`
	e.ok("Query", body)
	if r := e.ok("Query", body); r.cache() != "hit" {
		t.Fatalf("second query: %q", r.cache())
	}
	e.ok("PutItem", `{"TableName":"mkq","Item":{"pk":{"S":"new"},"t":{"S":"a"},"r":{"N":"0"},"c":{"S":"c0"},"x":{"N":"1"}}}`)
	r := e.ok("Query", body)
	if r.cache() != "miss" {
		t.Fatalf("after a write: %q", r.cache())
	}
	if msg := diffAnswers(r.Body, e.storeOK("Query", body).Body); msg != "" {
		t.Fatal(msg)
	}
	if got := pages(e.c); !reflect.DeepEqual(got, []string{"new", "k6", "k0"}) {
		t.Fatalf("after a write: %v", got)
	}
}
