package store

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynax/dynax/ddb/wire"
)

type annRec struct {
	id, cat string
	v       []float32
}

func cosDist(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return 1 - dot/math.Sqrt(na*nb)
}

// exactTop returns the ids of the k records nearest to q by cosine among
// those keep accepts.
func exactTop(recs map[string]annRec, q []float32, k int, keep func(annRec) bool) []string {
	var ids []string
	for id, r := range recs {
		if keep(r) {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return cosDist(recs[ids[i]].v, q) < cosDist(recs[ids[j]].v, q) })
	if len(ids) > k {
		ids = ids[:k]
	}
	return ids
}

func batchPut(t *testing.T, c *dynamodb.Client, table string, items []map[string]types.AttributeValue) {
	t.Helper()
	for len(items) > 0 {
		n := min(25, len(items))
		var reqs []types.WriteRequest
		for _, it := range items[:n] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		out, err := c.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.UnprocessedItems) > 0 {
			t.Fatal("unprocessed items")
		}
		items = items[n:]
	}
}

// TestVectorANN writes 4,000 vectors through the SDK and checks that
// SearchVectors answers from the approximate index: recall@10 against the
// exact answer without a filter, with a broad filter (graph walk) and a
// narrow one (scored from its postings), fewer vector bytes examined than a
// full scan, items left out as DynamoDB leaves them out, and updates and
// deletes seen by the next search.
func TestVectorANN(t *testing.T) {
	ts := newTestServer(t)
	c := ts.Client
	ctx := context.Background()
	const dims, count = 16, 4000
	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("ann"), BillingMode: types.BillingModePayPerRequest,
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("cat"), AttributeType: types.ScalarAttributeTypeS}},
		VectorIndexes: []types.VectorIndex{{
			IndexName: aws.String("emb"), VectorAttribute: &types.VectorAttributeDefinition{AttributeName: aws.String("v")},
			Dimensions: aws.Int64(dims), DistanceFunction: types.VectorDistanceFunctionCosine,
			Projection:   &types.Projection{ProjectionType: types.ProjectionTypeAll},
			SearchSchema: []types.SearchSchemaElement{{AttributeName: aws.String("cat"), SearchSchemaElementType: types.SearchSchemaElementTypeInlineFilter}},
		}},
	}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	randVec := func() []float32 {
		v := make([]float32, dims)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		return v
	}
	recs := map[string]annRec{}
	var items []map[string]types.AttributeValue
	for i := range count {
		r := annRec{id: "i" + strconv.Itoa(i), cat: "a", v: randVec()}
		if i%5 >= 3 {
			r.cat = "b" // 40%: 1,600 items, under vectorExactMax
		}
		it := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: r.id}, "cat": &types.AttributeValueMemberS{Value: r.cat}, "v": vecAV(r.v)}
		switch {
		case i%97 == 0:
			it["v"] = vecAV(r.v[:dims-1]) // wrong dimension: left out
		case i%89 == 0:
			it["v"] = &types.AttributeValueMemberS{Value: "x"} // not a list: left out
		default:
			recs[r.id] = r
		}
		items = append(items, it)
	}
	batchPut(t, c, "ann", items)

	search := func(q []float32, k int32, cat string) *dynamodb.SearchVectorsOutput {
		t.Helper()
		in := &dynamodb.SearchVectorsInput{TableName: aws.String("ann"), IndexName: aws.String("emb"),
			SearchVector: vecAV(q).(*types.AttributeValueMemberL).Value, TopK: aws.Int32(k), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal}
		if cat != "" {
			in.SearchConditionExpression = aws.String("cat = :c")
			in.ExpressionAttributeValues = map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: cat}}
		}
		out, err := c.SearchVectors(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, cat := range []string{"", "a", "b"} {
		hit, all := 0, 0
		for range 20 {
			q := randVec()
			out := search(q, 10, cat)
			if b := *out.ConsumedCapacity.VectorSearchRequestBytes; b >= count*dims*4 {
				t.Fatalf("filter %q: %v vector bytes examined: a full scan", cat, b)
			}
			want := exactTop(recs, q, 10, func(r annRec) bool { return cat == "" || r.cat == cat })
			got := map[string]bool{}
			prev := -1.0
			for _, r := range out.SearchResults {
				id := r.Item["id"].(*types.AttributeValueMemberS).Value
				rec, ok := recs[id]
				if !ok {
					t.Fatalf("item %s should not be indexed", id)
				}
				if cat != "" && rec.cat != cat {
					t.Fatalf("filter %q returned %s of %s", cat, id, rec.cat)
				}
				if r.Score < prev || math.Abs(r.Score-cosDist(rec.v, q)) > 1e-4 {
					t.Fatalf("score %v after %v, want %v", r.Score, prev, cosDist(rec.v, q))
				}
				prev = r.Score
				got[id] = true
			}
			for _, id := range want {
				all++
				if got[id] {
					hit++
				}
			}
		}
		if r := float64(hit) / float64(all); r < 0.9 || cat == "b" && r != 1 {
			t.Errorf("filter %q: recall@10 %.3f", cat, r)
		}
	}

	// A write is seen by the next search: a new nearest item, a deleted
	// one, a vector changed to the query's, a category changed.
	q := randVec()
	top := exactTop(recs, q, 3, func(annRec) bool { return true })
	if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("ann"),
		Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: top[0]}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("ann"), Item: map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: top[1]}, "cat": &types.AttributeValueMemberS{Value: "c"}, "v": vecAV(q)}}); err != nil {
		t.Fatal(err)
	}
	out := search(q, 3, "")
	if len(out.SearchResults) != 3 || out.SearchResults[0].Item["id"].(*types.AttributeValueMemberS).Value != top[1] || out.SearchResults[0].Score > 1e-5 {
		t.Fatalf("after the writes: %+v", out.SearchResults)
	}
	for _, r := range out.SearchResults {
		if r.Item["id"].(*types.AttributeValueMemberS).Value == top[0] {
			t.Fatal("deleted item returned")
		}
	}
	if out = search(q, 3, "c"); len(out.SearchResults) != 1 {
		t.Fatalf("category c: %+v", out.SearchResults)
	}
}

// TestVectorBackfill adds a vector index to a table holding items: it is
// CREATING with Backfilling until built, then ACTIVE and finds the items
// written before and during the backfill.
func TestVectorBackfill(t *testing.T) {
	ts := newTestServer(t)
	c := ts.Client
	ctx := context.Background()
	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("vbf"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
	}); err != nil {
		t.Fatal(err)
	}
	var items []map[string]types.AttributeValue
	for i := range 1000 {
		items = append(items, map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: strconv.Itoa(i)},
			"v": vecAV([]float32{float32(i), 1, 0, 0})})
	}
	batchPut(t, c, "vbf", items)
	out, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("vbf"), VectorIndexUpdates: []types.VectorIndexUpdate{{Create: &types.CreateVectorIndexAction{
		IndexName: aws.String("emb"), VectorAttribute: &types.VectorAttributeDefinition{AttributeName: aws.String("v")},
		Dimensions: aws.Int64(4), DistanceFunction: types.VectorDistanceFunctionEuclidean, Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if vi := out.TableDescription.VectorIndexes; len(vi) != 1 || vi[0].IndexStatus != types.IndexStatusCreating || vi[0].Backfilling == nil || !*vi[0].Backfilling {
		t.Fatalf("UpdateTable answer: %+v", vi)
	}
	// Written during the backfill.
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("vbf"), Item: map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: "late"}, "v": vecAV([]float32{5000, 1, 0, 0})}}); err != nil {
		t.Fatal(err)
	}
	sv := &dynamodb.SearchVectorsInput{TableName: aws.String("vbf"), IndexName: aws.String("emb"),
		SearchVector: vecAV([]float32{4999, 1, 0, 0}).(*types.AttributeValueMemberL).Value, TopK: aws.Int32(2)}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := c.SearchVectors(ctx, sv)
		if err == nil {
			break
		}
		wantErr(t, err, "ValidationException", "Cannot search backfilling vector index: emb")
		if time.Now().After(deadline) {
			t.Fatal("backfill did not end")
		}
		time.Sleep(10 * time.Millisecond)
	}
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("vbf")})
	if err != nil {
		t.Fatal(err)
	}
	if vi := d.Table.VectorIndexes; vi[0].IndexStatus != types.IndexStatusActive || vi[0].Backfilling != nil && *vi[0].Backfilling {
		t.Fatalf("after the backfill: %+v", vi)
	}
	res, err := c.SearchVectors(ctx, sv)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.SearchResults) != 2 || res.SearchResults[0].Item["id"].(*types.AttributeValueMemberS).Value != "late" ||
		res.SearchResults[1].Item["id"].(*types.AttributeValueMemberS).Value != "999" {
		t.Fatalf("results %+v", res.SearchResults)
	}
}

func annServe(t *testing.T, n *Node, op, body string) string {
	t.Helper()
	out, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: op, Body: []byte(body), Region: "us-east-1"})
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return string(out)
}

// TestVectorIndexRestart closes and reopens a node: the index is rebuilt,
// and searches right after the reopen (exact until the rebuild ends) and
// after it find the items written before the close.
func TestVectorIndexRestart(t *testing.T) {
	dir := t.TempDir()
	open := func() *Node {
		n, err := Open(Options{Dir: dir, NoSync: true, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	n := open()
	annServe(t, n, "CreateTable", `{"TableName":"vrs","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],`+
		`"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"VectorIndexes":[{"IndexName":"emb","VectorAttribute":{"AttributeName":"v"},`+
		`"Dimensions":3,"DistanceFunction":"DOT_PRODUCT","Projection":{"ProjectionType":"KEYS_ONLY"}}]}`)
	for i := range 500 {
		annServe(t, n, "PutItem", fmt.Sprintf(`{"TableName":"vrs","Item":{"id":{"S":"%d"},"v":{"L":[{"N":"%d"},{"N":"1"},{"N":"0"}]}}}`, i, i))
	}
	const q = `{"TableName":"vrs","IndexName":"emb","SearchVector":[{"N":"1"},{"N":"0"},{"N":"0"}],"TopK":2}`
	want := `{"SearchResults":[{"Item":{"id":{"S":"499"}},"Score":499},{"Item":{"id":{"S":"498"}},"Score":498}]}`
	if got := annServe(t, n, "SearchVectors", q); got != want {
		t.Fatalf("before the restart: %s", got)
	}
	n.Close()
	n = open()
	defer n.Close()
	for i := 0; ; i++ {
		if got := annServe(t, n, "SearchVectors", q); got != want {
			t.Fatalf("after the restart: %s", got)
		}
		if _, ai := n.vec.index(n.mustTable(t, "vrs"), &n.mustTable(t, "vrs").Desc.VectorIndexes[0]); ai != nil && ai.ready.Load() {
			if i > 0 {
				break // searched the rebuilt graph too
			}
		}
		if i > 2000 {
			t.Fatal("index not rebuilt")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(annServe(t, n, "DescribeTable", `{"TableName":"vrs"}`), `"IndexStatus":"ACTIVE"`) {
		t.Fatal("not ACTIVE after the restart")
	}
}

func (n *Node) mustTable(t *testing.T, name string) *Table {
	t.Helper()
	tb, ok := n.cat.get(name)
	if !ok {
		t.Fatalf("no table %s", name)
	}
	return tb
}
