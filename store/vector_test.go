package store

import (
	"context"
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
)

func vecAV(v []float32) types.AttributeValue {
	l := make([]types.AttributeValue, len(v))
	for i, f := range v {
		l[i] = &types.AttributeValueMemberN{Value: strconv.FormatFloat(float64(f), 'g', -1, 32)}
	}
	return &types.AttributeValueMemberL{Value: l}
}

// TestSearchVectors creates a table with a cosine vector index whose
// search schema has a HASH attribute, writes random vectors through the
// SDK (some of the wrong length, some without the HASH attribute), and
// checks that SearchVectors — sent by an SDK client with BaseEndpoint —
// returns the exact TopK nearest of the partition, best first, with
// DynamoDB's scores, projection and errors.
func TestSearchVectors(t *testing.T) {
	ts := newTestServer(t)
	c := ts.Client
	ctx := context.Background()
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("vec"), BillingMode: types.BillingModePayPerRequest,
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("tenant"), AttributeType: types.ScalarAttributeTypeS}},
		VectorIndexes: []types.VectorIndex{{
			IndexName: aws.String("emb"), VectorAttribute: &types.VectorAttributeDefinition{AttributeName: aws.String("v")},
			Dimensions: aws.Int64(8), DistanceFunction: types.VectorDistanceFunctionCosine,
			Projection:   &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
			SearchSchema: []types.SearchSchemaElement{{AttributeName: aws.String("tenant"), SearchSchemaElementType: types.SearchSchemaElementTypeHash}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("vec")})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Table.VectorIndexes) != 1 || *d.Table.VectorIndexes[0].Dimensions != 8 || d.Table.VectorIndexes[0].IndexStatus != types.IndexStatusActive ||
		d.Table.VectorIndexes[0].DistanceFunction != types.VectorDistanceFunctionCosine {
		t.Fatalf("DescribeTable VectorIndexes: %+v", d.Table.VectorIndexes)
	}

	rng := rand.New(rand.NewPCG(3, 4))
	type rec struct {
		id  string
		v   []float32
		ten string
	}
	var recs []rec
	for i := 0; i < 200; i++ {
		r := rec{id: "i" + strconv.Itoa(i), v: make([]float32, 8), ten: []string{"a", "b", ""}[i%3]}
		for j := range r.v {
			r.v[j] = float32(rng.NormFloat64())
		}
		item := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: r.id}, "v": vecAV(r.v), "x": &types.AttributeValueMemberN{Value: "1"}}
		if r.ten != "" {
			item["tenant"] = &types.AttributeValueMemberS{Value: r.ten}
		}
		if i%17 == 0 {
			item["v"] = vecAV(r.v[:5]) // wrong dimension: not indexed
			r.ten = ""
		}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("vec"), Item: item}); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	q := make([]float32, 8)
	for j := range q {
		q[j] = float32(rng.NormFloat64())
	}
	cos := func(a []float32) float64 {
		var dot, na, nq float64
		for i := range a {
			dot += float64(a[i]) * float64(q[i])
			na += float64(a[i]) * float64(a[i])
			nq += float64(q[i]) * float64(q[i])
		}
		return 1 - dot/math.Sqrt(na*nq)
	}
	var want []rec
	for _, r := range recs {
		if r.ten == "a" {
			want = append(want, r)
		}
	}
	sort.Slice(want, func(i, j int) bool { return cos(want[i].v) < cos(want[j].v) })
	qv := vecAV(q).(*types.AttributeValueMemberL).Value
	out, err := c.SearchVectors(ctx, &dynamodb.SearchVectorsInput{TableName: aws.String("vec"), IndexName: aws.String("emb"),
		SearchVector: qv, TopK: aws.Int32(10), SearchConditionExpression: aws.String("tenant = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: "a"}},
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SearchResults) != 10 {
		t.Fatalf("%d results", len(out.SearchResults))
	}
	for i, r := range out.SearchResults {
		if id := r.Item["id"].(*types.AttributeValueMemberS).Value; id != want[i].id {
			t.Fatalf("result %d: %s, want %s", i, id, want[i].id)
		}
		if math.Abs(r.Score-cos(want[i].v)) > 1e-4 {
			t.Fatalf("result %d: score %v, want %v", i, r.Score, cos(want[i].v))
		}
		if _, ok := r.Item["v"]; ok {
			t.Fatal("the vector attribute is returned without being projected")
		}
		if _, ok := r.Item["x"]; ok {
			t.Fatal("KEYS_ONLY index returned a non-key attribute")
		}
	}
	if out.ConsumedCapacity == nil || out.ConsumedCapacity.VectorSearchRequestBytes == nil {
		t.Fatal("no ConsumedCapacity")
	}
	// The vector is returned when projected explicitly.
	out, err = c.SearchVectors(ctx, &dynamodb.SearchVectorsInput{TableName: aws.String("vec"), IndexName: aws.String("emb"),
		SearchVector: qv, TopK: aws.Int32(1), SearchConditionExpression: aws.String("tenant = :t"), ProjectionExpression: aws.String("id, v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SearchResults) != 1 || out.SearchResults[0].Item["v"] == nil {
		t.Fatalf("projected vector: %+v", out.SearchResults)
	}

	for _, tc := range []struct {
		in   dynamodb.SearchVectorsInput
		want string
	}{
		{dynamodb.SearchVectorsInput{SearchVector: qv, TopK: aws.Int32(101)}, "Provided TopK value '101' is out of valid range. The value must be between 1 and 100 inclusive"},
		{dynamodb.SearchVectorsInput{SearchVector: qv[:3], TopK: aws.Int32(1)}, "Input search vector dimension 3 does not match vector index dimension 8"},
		{dynamodb.SearchVectorsInput{SearchVector: qv, TopK: aws.Int32(1)}, "SearchConditionExpression must be provided when SearchSchema has a HASH key"},
		{dynamodb.SearchVectorsInput{SearchVector: qv, TopK: aws.Int32(1), SearchConditionExpression: aws.String("tenant > :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: "a"}}},
			"Invalid SearchConditionExpression: Invalid comparator used in SearchConditionExpression"},
		{dynamodb.SearchVectorsInput{SearchVector: qv, TopK: aws.Int32(1), SearchConditionExpression: aws.String("x = :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberN{Value: "1"}}},
			"Invalid SearchConditionExpression: Invalid comparator used in SearchConditionExpression"},
	} {
		in := tc.in
		in.TableName, in.IndexName = aws.String("vec"), aws.String("emb")
		_, err := c.SearchVectors(ctx, &in)
		wantErr(t, err, "ValidationException", tc.want)
	}
	_, err = c.SearchVectors(ctx, &dynamodb.SearchVectorsInput{TableName: aws.String("vec"), IndexName: aws.String("nope"), SearchVector: qv, TopK: aws.Int32(1)})
	wantErr(t, err, "ValidationException", "The table does not have the specified index: nope")
}

// TestVectorIndexValidation checks CreateTable's vector index rules.
func TestVectorIndexValidation(t *testing.T) {
	ts := newTestServer(t)
	base := `"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}`
	for _, tc := range []struct{ body, want string }{
		{`{"TableName":"vv1",` + base + `],"BillingMode":"PAY_PER_REQUEST","VectorIndexes":[{"IndexName":"emb","VectorAttribute":{"AttributeName":"v"},"Dimensions":4097,"DistanceFunction":"COSINE","Projection":{"ProjectionType":"ALL"}}]}`,
			"1 validation error detected: Value '4097' at 'vectorIndexes.1.member.dimensions' failed to satisfy constraint: Member must have value less than or equal to 4096"},
		{`{"TableName":"vv1",` + base + `],"BillingMode":"PAY_PER_REQUEST","VectorIndexes":[{"IndexName":"emb","VectorAttribute":{"AttributeName":"v"},"Dimensions":4,"DistanceFunction":"cosine","Projection":{"ProjectionType":"ALL"}}]}`,
			"1 validation error detected: Value 'cosine' at 'vectorIndexes.1.member.distanceFunction' failed to satisfy constraint: Member must satisfy enum value set: [COSINE, EUCLIDEAN, DOT_PRODUCT]"},
		{`{"TableName":"vv1",` + base + `],"BillingMode":"PAY_PER_REQUEST","VectorIndexes":[{"IndexName":"emb","VectorAttribute":{"AttributeName":"id"},"Dimensions":4,"DistanceFunction":"COSINE","Projection":{"ProjectionType":"ALL"}}]}`,
			"One or more parameter values were invalid: The vector attribute id of index emb cannot be a key attribute of the table or of an index"},
		{`{"TableName":"vv1",` + base + `],"BillingMode":"PAY_PER_REQUEST","VectorIndexes":[{"IndexName":"emb","VectorAttribute":{"AttributeName":"v"},"Dimensions":4,"DistanceFunction":"COSINE","Projection":{"ProjectionType":"ALL"},"SearchSchema":[{"AttributeName":"t","SearchSchemaElementType":"HASH"}]}]}`,
			"One or more parameter values were invalid: One element in SearchSchema is not defined in attribute definitions"},
		{`{"TableName":"vv1",` + base + `],"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1},"VectorIndexes":[{"IndexName":"emb","VectorAttribute":{"AttributeName":"v"},"Dimensions":4,"DistanceFunction":"COSINE","Projection":{"ProjectionType":"ALL"}}]}`,
			"One or more parameter values were invalid: Vector indexes are supported only for tables with BillingMode PAY_PER_REQUEST"},
		{`{"TableName":"vv1",` + base + `],"BillingMode":"PAY_PER_REQUEST","VectorIndexes":[{"IndexName":"emb","VectorAttribute":{"AttributeName":"v"},"Dimensions":4,"DistanceFunction":"COSINE","Projection":{"ProjectionType":"ALL"}},{"IndexName":"emb","VectorAttribute":{"AttributeName":"w"},"Dimensions":4,"DistanceFunction":"COSINE","Projection":{"ProjectionType":"ALL"}}]}`,
			"One or more parameter values were invalid: Duplicate index name: emb"},
	} {
		r := rawCall(t, ts.URL, "POST", "DynamoDB_20120810.CreateTable", tc.body, nil)
		if r.status != 400 || !strings.Contains(string(r.body), tc.want) {
			t.Errorf("%s\n got %d %s\nwant %s", tc.body, r.status, r.body, tc.want)
		}
	}
	// Dimensions 6.7 is truncated to 6.
	r := rawCall(t, ts.URL, "POST", "DynamoDB_20120810.CreateTable", `{"TableName":"vv2",`+base+`],"BillingMode":"PAY_PER_REQUEST","VectorIndexes":[{"IndexName":"emb","VectorAttribute":{"AttributeName":"v"},"Dimensions":6.7,"DistanceFunction":"EUCLIDEAN","Projection":{"ProjectionType":"ALL"}}]}`, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"Dimensions":6,`) {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// TestVectorIndexUpdates adds a vector index to a table holding items with
// UpdateTable (searchable once backfilled), refuses what DynamoDB refuses, and
// deletes it.
func TestVectorIndexUpdates(t *testing.T) {
	ts := newTestServer(t)
	c := ts.Client
	ctx := context.Background()
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("vup"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range [][]float32{{1, 0}, {0, 1}, {0.9, 0.1}} {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("vup"), Item: map[string]types.AttributeValue{
			"id": &types.AttributeValueMemberS{Value: strconv.Itoa(i)}, "v": vecAV(v), "k": &types.AttributeValueMemberS{Value: "x"}}}); err != nil {
			t.Fatal(err)
		}
	}
	create := func(name string) *types.CreateVectorIndexAction {
		return &types.CreateVectorIndexAction{IndexName: aws.String(name), VectorAttribute: &types.VectorAttributeDefinition{AttributeName: aws.String("v")},
			Dimensions: aws.Int64(2), DistanceFunction: types.VectorDistanceFunctionEuclidean,
			Projection:   &types.Projection{ProjectionType: types.ProjectionTypeAll},
			SearchSchema: []types.SearchSchemaElement{{AttributeName: aws.String("k"), SearchSchemaElementType: types.SearchSchemaElementTypeInlineFilter}}}
	}
	defs := []types.AttributeDefinition{{AttributeName: aws.String("k"), AttributeType: types.ScalarAttributeTypeS}}
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("vup"), AttributeDefinitions: defs,
		VectorIndexUpdates: []types.VectorIndexUpdate{{Create: create("vi1")}, {Create: create("vi2")}}})
	wantErr(t, err, "LimitExceededException", "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
	if _, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("vup"), AttributeDefinitions: defs,
		VectorIndexUpdates: []types.VectorIndexUpdate{{Create: create("vi1")}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("vup"), AttributeDefinitions: defs,
		VectorIndexUpdates: []types.VectorIndexUpdate{{Create: create("vi1")}}})
	wantErr(t, err, "ValidationException", "One or more parameter values were invalid: Duplicate index name: vi1")
	// Searchable once the backfill ends (TestVectorBackfill checks the
	// refusal meanwhile).
	var out *dynamodb.SearchVectorsOutput
	for start := time.Now(); ; time.Sleep(5 * time.Millisecond) {
		out, err = c.SearchVectors(ctx, &dynamodb.SearchVectorsInput{TableName: aws.String("vup"), IndexName: aws.String("vi1"),
			SearchVector: vecAV([]float32{1, 0}).(*types.AttributeValueMemberL).Value, TopK: aws.Int32(2),
			SearchConditionExpression: aws.String("k = :k"), ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: "x"}}})
		if err == nil || !strings.Contains(err.Error(), "Cannot search backfilling") || time.Since(start) > 20*time.Second {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SearchResults) != 2 || out.SearchResults[0].Item["id"].(*types.AttributeValueMemberS).Value != "0" ||
		out.SearchResults[1].Item["id"].(*types.AttributeValueMemberS).Value != "2" || out.SearchResults[0].Score != 0 {
		t.Fatalf("results %+v", out.SearchResults)
	}
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("vup")})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Table.VectorIndexes) != 1 || len(d.Table.AttributeDefinitions) != 2 {
		t.Fatalf("after create: %+v %+v", d.Table.VectorIndexes, d.Table.AttributeDefinitions)
	}
	// A GSI may not take a vector index's name.
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("vup"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS}},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{IndexName: aws.String("vi1"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}}}})
	wantErr(t, err, "ValidationException", "Attempting to create an index which already exists")
	// A GSI added later keeps the search schema's definition.
	if _, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("vup"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS}},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{IndexName: aws.String("gsi"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}}}}); err != nil {
		t.Fatal(err)
	}
	if d, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("vup")}); err != nil || len(d.Table.AttributeDefinitions) != 3 {
		t.Fatalf("after a GSI: %v %+v", err, d.Table.AttributeDefinitions)
	}
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("vup"),
		VectorIndexUpdates: []types.VectorIndexUpdate{{Delete: &types.DeleteVectorIndexAction{IndexName: aws.String("nope")}}}})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Index nope for table vup")
	if _, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("vup"),
		VectorIndexUpdates: []types.VectorIndexUpdate{{Delete: &types.DeleteVectorIndexAction{IndexName: aws.String("vi1")}}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.SearchVectors(ctx, &dynamodb.SearchVectorsInput{TableName: aws.String("vup"), IndexName: aws.String("vi1"),
		SearchVector: vecAV([]float32{1, 0}).(*types.AttributeValueMemberL).Value, TopK: aws.Int32(2)})
	wantErr(t, err, "ValidationException", "The table does not have the specified index: vi1")
}
