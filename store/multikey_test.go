package store

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestMultiKeyOrder writes random items to a table whose GSI has a
// (S, N) partition key and a (N, B, S) sort key, adds a second such index
// by UpdateTable (backfill), and checks through the SDK that every Query —
// whole partition, equality prefixes, a range condition on the next
// element, forwards and backwards, paged by Limit — returns exactly the
// items a sort of the reference data gives, in that order.
func TestMultiKeyOrder(t *testing.T) {
	ts := newTestServer(t)
	c := ts.Client
	ctx := context.Background()
	def := func(n string, ty types.ScalarAttributeType) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: ty}
	}
	el := func(n string, kt types.KeyType) types.KeySchemaElement {
		return types.KeySchemaElement{AttributeName: aws.String(n), KeyType: kt}
	}
	schema := []types.KeySchemaElement{el("h1", types.KeyTypeHash), el("h2", types.KeyTypeHash),
		el("r1", types.KeyTypeRange), el("r2", types.KeyTypeRange), el("r3", types.KeyTypeRange)}
	defs := []types.AttributeDefinition{def("id", types.ScalarAttributeTypeS), def("h1", types.ScalarAttributeTypeS),
		def("h2", types.ScalarAttributeTypeN), def("r1", types.ScalarAttributeTypeN), def("r2", types.ScalarAttributeTypeB),
		def("r3", types.ScalarAttributeTypeS)}
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("mko"), BillingMode: types.BillingModePayPerRequest,
		KeySchema: []types.KeySchemaElement{el("id", types.KeyTypeHash)}, AttributeDefinitions: defs,
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("mk1"), KeySchema: schema,
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("mko")})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Table.GlobalSecondaryIndexes[0].KeySchema; len(got) != 5 || *got[1].AttributeName != "h2" || got[4].KeyType != types.KeyTypeRange {
		t.Fatalf("DescribeTable KeySchema: %+v", got)
	}

	type row struct {
		id     string
		h1     string
		h2     string
		r1     string
		r2     []byte
		r3     string
		sparse bool
	}
	rng := rand.New(rand.NewPCG(1, 2))
	nums := []string{"-10", "-1.5", "0", "0.25", "3", "12", "1e3"}
	var rows []row
	for i := 0; i < 300; i++ {
		r := row{id: "i" + strconv.Itoa(i), h1: []string{"a", "b"}[rng.IntN(2)], h2: []string{"1", "-2"}[rng.IntN(2)],
			r1: nums[rng.IntN(len(nums))], r2: []byte{byte(rng.IntN(3)), byte(rng.IntN(2) * 255)}, r3: fmt.Sprintf("s%03d", rng.IntN(50)),
			sparse: rng.IntN(10) == 0}
		item := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: r.id},
			"h1": &types.AttributeValueMemberS{Value: r.h1}, "h2": &types.AttributeValueMemberN{Value: r.h2},
			"r1": &types.AttributeValueMemberN{Value: r.r1}, "r2": &types.AttributeValueMemberB{Value: r.r2}}
		if !r.sparse {
			item["r3"] = &types.AttributeValueMemberS{Value: r.r3}
		}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("mko"), Item: item}); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	num := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
	less := func(a, b row) bool {
		if num(a.r1) != num(b.r1) {
			return num(a.r1) < num(b.r1)
		}
		if c := bytes.Compare(a.r2, b.r2); c != 0 {
			return c < 0
		}
		return a.r3 < b.r3
	}
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("mko"), AttributeDefinitions: defs,
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName: aws.String("mk2"), KeySchema: schema, Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("mko")})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Table.GlobalSecondaryIndexes) == 2 && d.Table.GlobalSecondaryIndexes[1].IndexStatus == types.IndexStatusActive &&
			d.Table.GlobalSecondaryIndexes[0].IndexStatus == types.IndexStatusActive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("backfill did not finish")
		}
		time.Sleep(50 * time.Millisecond)
	}

	type q struct {
		name string
		kce  string
		vals map[string]types.AttributeValue
		keep func(row) bool
	}
	var qs []q
	for _, h1 := range []string{"a", "b"} {
		for _, h2 := range []string{"1", "-2"} {
			base := map[string]types.AttributeValue{":h1": &types.AttributeValueMemberS{Value: h1}, ":h2": &types.AttributeValueMemberN{Value: h2}}
			with := func(extra map[string]types.AttributeValue) map[string]types.AttributeValue {
				m := map[string]types.AttributeValue{}
				for k, v := range base {
					m[k] = v
				}
				for k, v := range extra {
					m[k] = v
				}
				return m
			}
			part := func(r row) bool { return r.h1 == h1 && r.h2 == h2 && !r.sparse }
			qs = append(qs,
				q{"partition", "h1 = :h1 AND h2 = :h2", base, part},
				q{"r1 >", "h1 = :h1 AND h2 = :h2 AND r1 > :a", with(map[string]types.AttributeValue{":a": &types.AttributeValueMemberN{Value: "0"}}),
					func(r row) bool { return part(r) && num(r.r1) > 0 }},
				q{"r1 = AND r2 <=", "h1 = :h1 AND h2 = :h2 AND r1 = :a AND r2 <= :b", with(map[string]types.AttributeValue{
					":a": &types.AttributeValueMemberN{Value: "3"}, ":b": &types.AttributeValueMemberB{Value: []byte{1, 0}}}),
					func(r row) bool { return part(r) && num(r.r1) == 3 && bytes.Compare(r.r2, []byte{1, 0}) <= 0 }},
				q{"r1 = AND r2 = AND begins_with r3", "h1 = :h1 AND h2 = :h2 AND r1 = :a AND r2 = :b AND begins_with(r3, :c)", with(map[string]types.AttributeValue{
					":a": &types.AttributeValueMemberN{Value: "-1.5"}, ":b": &types.AttributeValueMemberB{Value: []byte{0, 255}}, ":c": &types.AttributeValueMemberS{Value: "s0"}}),
					func(r row) bool {
						return part(r) && num(r.r1) == -1.5 && bytes.Equal(r.r2, []byte{0, 255}) && r.r3 < "s1"
					}},
			)
		}
	}
	for _, ix := range []string{"mk1", "mk2"} {
		for _, qq := range qs {
			var want []row
			for _, r := range rows {
				if qq.keep(r) {
					want = append(want, r)
				}
			}
			sort.SliceStable(want, func(i, j int) bool { return less(want[i], want[j]) })
			for _, forward := range []bool{true, false} {
				var got []string
				var esk map[string]types.AttributeValue
				for {
					out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("mko"), IndexName: aws.String(ix),
						KeyConditionExpression: aws.String(qq.kce), ExpressionAttributeValues: qq.vals, Limit: aws.Int32(7),
						ScanIndexForward: aws.Bool(forward), ExclusiveStartKey: esk})
					if err != nil {
						t.Fatalf("%s %s: %v", ix, qq.name, err)
					}
					for _, it := range out.Items {
						got = append(got, it["id"].(*types.AttributeValueMemberS).Value)
					}
					if esk = out.LastEvaluatedKey; esk == nil {
						break
					}
				}
				if len(got) != len(want) {
					t.Fatalf("%s %s forward=%v: %d items, want %d", ix, qq.name, forward, len(got), len(want))
				}
				byID := map[string]row{}
				for _, r := range rows {
					byID[r.id] = r
				}
				for i := range got {
					j := i
					if !forward {
						j = len(want) - 1 - i
					}
					g, w := byID[got[i]], want[j]
					if less(g, w) || less(w, g) {
						t.Fatalf("%s %s forward=%v: item %d is %+v, want %+v", ix, qq.name, forward, i, g, w)
					}
				}
			}
		}
	}
}
