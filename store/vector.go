package store

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/expr"
)

// Vector indexes and SearchVectors (DynamoDB, 2026-08).
//
// A vector index names a vector attribute (a list of numbers on the
// item), its dimensions, a distance function and a search schema (a HASH
// attribute and inline filters that SearchConditionExpression may test by
// equality). SearchVectors answers from an approximate HNSW index kept
// from the change log (vector_ann.go); while an index is not built yet
// (after a restart) it searches exactly here: it reads the table's items,
// keeps those whose vector has the index's dimensions and that carry the
// HASH attribute, scores them in float32 as DynamoDB's index stores them,
// and keeps the TopK best in a bounded heap.

func init() { register("SearchVectors", opSearchVectors) }

// DynamoDB's limits on vector indexes (dynamodb-more §C6).
const (
	maxVectorIndexes    = 5
	maxVectorDimensions = 4096
	maxInlineFilters    = 18
	maxTopK             = 100
)

// VectorIndex is a vector index definition as the catalog keeps it.
type VectorIndex struct {
	IndexName        string                `json:"name"`
	Attribute        string                `json:"attribute"`
	Dimensions       int                   `json:"dimensions"`
	DistanceFunction string                `json:"distance"`
	Projection       Projection            `json:"projection"`
	SearchSchema     []SearchSchemaElement `json:"searchSchema,omitempty"`
}

// SearchSchemaElement is one attribute of a vector index's search schema.
type SearchSchemaElement struct {
	AttributeName           string `json:"AttributeName"`
	SearchSchemaElementType string `json:"SearchSchemaElementType"`
}

// vectorIndexIn is a CreateTable VectorIndexes member.
type vectorIndexIn struct {
	IndexName        *string
	VectorAttribute  *struct{ AttributeName *string }
	Dimensions       *float64
	DistanceFunction *string
	Projection       *Projection
	SearchSchema     []struct {
		AttributeName           *string
		SearchSchemaElementType *string
	}
}

// tblVectorIndexes adds the member constraints of VectorIndexes to c: all
// five fields required, names as index names, Dimensions 1–4096 (a
// fraction is truncated, as DynamoDB does), DistanceFunction an enum
// (case-sensitive).
func tblVectorIndexes(c *checker, vs []vectorIndexIn) {
	for i := range vs {
		tblVectorIndex(c, &vs[i], fmt.Sprintf("vectorIndexes.%d.member", i+1))
	}
}

// tblVectorIndex checks one vector index definition at path p.
func tblVectorIndex(c *checker, v *vectorIndexIn, p string) {
	{
		tblIndexName(c, v.IndexName, p+".indexName")
		if v.VectorAttribute == nil {
			c.fail(nil, p+".vectorAttribute", cMustNotBeNull)
		} else {
			tblAttrName(c, v.VectorAttribute.AttributeName, p+".vectorAttribute.attributeName")
		}
		switch {
		case v.Dimensions == nil:
			c.fail(nil, p+".dimensions", cMustNotBeNull)
		case int64(*v.Dimensions) < 1:
			c.fail(strconv.FormatInt(int64(*v.Dimensions), 10), p+".dimensions", "Member must have value greater than or equal to 1")
		case int64(*v.Dimensions) > maxVectorDimensions:
			c.fail(strconv.FormatInt(int64(*v.Dimensions), 10), p+".dimensions", "Member must have value less than or equal to 4096")
		}
		if v.DistanceFunction == nil {
			c.fail(nil, p+".distanceFunction", cMustNotBeNull)
		} else {
			tblEnum(c, v.DistanceFunction, p+".distanceFunction", "COSINE", "EUCLIDEAN", "DOT_PRODUCT")
		}
		tblProjection(c, v.Projection, p+".projection")
		for j, e := range v.SearchSchema {
			q := fmt.Sprintf("%s.searchSchema.%d.member", p, j+1)
			tblAttrName(c, e.AttributeName, q+".attributeName")
			if e.SearchSchemaElementType == nil {
				c.fail(nil, q+".searchSchemaElementType", cMustNotBeNull)
			} else {
				tblEnum(c, e.SearchSchemaElementType, q+".searchSchemaElementType", "HASH", "INLINE_FILTER")
			}
		}
	}
}

// vectorSchemaNames lists the search-schema attributes of vs (they use
// AttributeDefinitions).
func vectorSchemaNames(vs []vectorIndexIn) []string {
	var out []string
	for _, v := range vs {
		for _, e := range v.SearchSchema {
			out = appendNew(out, *e.AttributeName)
		}
	}
	return out
}

// checkVectorIndexes applies DynamoDB's rules to CreateTable's
// VectorIndexes (after the member constraints): on-demand tables only, at
// most 5, names unique across all indexes, the vector attribute no key,
// indexes on one attribute agreeing on Dimensions, the search schema
// defined, one HASH element and at most 18 inline filters.
func (in *createTableIn) checkVectorIndexes() string {
	vs := in.VectorIndexes
	if vs == nil {
		return ""
	}
	if in.BillingMode == nil || *in.BillingMode != billingPayPerRequest {
		return msgInvalid + "Vector indexes are supported only for tables with BillingMode PAY_PER_REQUEST"
	}
	if len(vs) == 0 {
		return msgInvalid + "List of VectorIndexes is empty"
	}
	if len(vs) > maxVectorIndexes {
		return msgInvalid + "Number of VectorIndexes exceeds per-table limit of 5"
	}
	names := map[string]bool{}
	keys := keyNames(in.KeySchema)
	for _, l := range in.LocalSecondaryIndexes {
		names[*l.IndexName] = true
		keys = appendNew(keys, keyNames(l.KeySchema)...)
	}
	for _, g := range in.GlobalSecondaryIndexes {
		names[*g.IndexName] = true
		keys = appendNew(keys, keyNames(g.KeySchema)...)
	}
	defns := defNames(in.AttributeDefinitions)
	dims := map[string]int64{}
	for _, v := range vs {
		name, attr, d := *v.IndexName, *v.VectorAttribute.AttributeName, int64(*v.Dimensions)
		if names[name] {
			return msgInvalid + "Duplicate index name: " + name
		}
		names[name] = true
		if slices.Contains(keys, attr) {
			return msgInvalid + "The vector attribute " + attr + " of index " + name + " cannot be a key attribute of the table or of an index"
		}
		if prev, ok := dims[attr]; ok && prev != d {
			return msgInvalid + "Vector indexes on attribute " + attr + " must have the same Dimensions"
		}
		dims[attr] = d
		if msg := checkProjection(v.Projection); msg != "" {
			return msg
		}
		hashes, filters := 0, 0
		for _, e := range v.SearchSchema {
			if !slices.Contains(defns, *e.AttributeName) {
				return msgInvalid + "One element in SearchSchema is not defined in attribute definitions"
			}
			if *e.AttributeName == attr {
				return msgInvalid + "The vector attribute " + attr + " cannot be in the SearchSchema of index " + name
			}
			if *e.SearchSchemaElementType == "HASH" {
				hashes++
			} else {
				filters++
			}
		}
		if hashes > 1 {
			return msgInvalid + "The SearchSchema of index " + name + " has more than one HASH element"
		}
		if filters > maxInlineFilters {
			return msgInvalid + "The SearchSchema of index " + name + " exceeds the maximum of 18 INLINE_FILTER elements"
		}
	}
	return ""
}

// vectorIndexesOf converts validated VectorIndexes to their stored form.
func vectorIndexesOf(vs []vectorIndexIn) []VectorIndex {
	var out []VectorIndex
	for _, v := range vs {
		x := VectorIndex{IndexName: *v.IndexName, Attribute: *v.VectorAttribute.AttributeName,
			Dimensions: int(*v.Dimensions), DistanceFunction: *v.DistanceFunction, Projection: *v.Projection}
		for _, e := range v.SearchSchema {
			x.SearchSchema = append(x.SearchSchema, SearchSchemaElement{*e.AttributeName, *e.SearchSchemaElementType})
		}
		out = append(out, x)
	}
	return out
}

// vectorIndexDescription is a VectorIndexes member of DescribeTable.
type vectorIndexDescription struct {
	IndexName        string                         `json:"IndexName"`
	IndexArn         string                         `json:"IndexArn"`
	IndexStatus      string                         `json:"IndexStatus"`
	Backfilling      bool                           `json:"Backfilling"`
	VectorAttribute  struct{ AttributeName string } `json:"VectorAttribute"`
	Dimensions       int                            `json:"Dimensions"`
	DistanceFunction string                         `json:"DistanceFunction"`
	SearchSchema     []SearchSchemaElement          `json:"SearchSchema,omitempty"`
	Projection       Projection                     `json:"Projection"`
	IndexSizeBytes   int64                          `json:"IndexSizeBytes"`
	ItemCount        int64                          `json:"ItemCount"`
}

// describeVectorIndexes returns the VectorIndexes of DescribeTable (nil:
// none).
func (n *Node) describeVectorIndexes(t *Table) []vectorIndexDescription {
	var out []vectorIndexDescription
	for i, v := range t.Desc.VectorIndexes {
		d := vectorIndexDescription{IndexName: v.IndexName, IndexArn: t.Arn() + "/index/" + v.IndexName, IndexStatus: statusActive,
			Dimensions: v.Dimensions, DistanceFunction: v.DistanceFunction, SearchSchema: v.SearchSchema, Projection: v.Projection}
		d.IndexStatus, d.Backfilling = n.annStatus(t, &t.Desc.VectorIndexes[i])
		if t.Status == statusCreating || t.Status == statusDeleting {
			d.IndexStatus = t.Status
		}
		d.VectorAttribute.AttributeName = v.Attribute
		out = append(out, d)
	}
	return out
}

// vectorIndex returns t's vector index called name.
func (t *Table) vectorIndex(name string) (*VectorIndex, bool) {
	for i := range t.Desc.VectorIndexes {
		if t.Desc.VectorIndexes[i].IndexName == name {
			return &t.Desc.VectorIndexes[i], true
		}
	}
	return nil, false
}

type searchVectorsIn struct {
	TableName                 *string
	IndexName                 *string
	SearchVector              []map[string]string
	TopK                      *int32
	SearchConditionExpression *string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues *ddb.ItemJSON
	ProjectionExpression      *string
	ReturnConsumedCapacity    *string
}

// SearchVectors texts (DynamoDB's, dynamodb-more §C6).
const (
	msgVecDims      = "Input search vector dimension %d does not match vector index dimension %d"
	msgVecTopK      = "Provided TopK value '%d' is out of valid range. The value must be between 1 and 100 inclusive"
	msgVecNeedCond  = "SearchConditionExpression must be provided when SearchSchema has a HASH key"
	msgVecBadCond   = "Invalid SearchConditionExpression: Invalid comparator used in SearchConditionExpression"
	msgVecBadVector = "One or more parameter values were invalid: SearchVector must contain only numbers"
)

func opSearchVectors(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in searchVectorsIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	c.checkTableName("tableName", in.TableName)
	tblIndexName(&c, in.IndexName, "indexName")
	if in.SearchVector == nil {
		c.fail(nil, "searchVector", cMustNotBeNull)
	}
	if in.TopK == nil {
		c.fail(nil, "topK", cMustNotBeNull)
	}
	itemCheckReturnCapacity(&c, in.ReturnConsumedCapacity)
	if err := c.err(); err != nil {
		return nil, err
	}
	if k := *in.TopK; k < 1 || k > maxTopK {
		return nil, ddb.Validation(fmt.Sprintf(msgVecTopK, k))
	}
	query := make([]float32, len(in.SearchVector))
	for i, v := range in.SearchVector {
		s, ok := v["N"]
		if !ok || len(v) != 1 {
			return nil, ddb.Validation(msgVecBadVector)
		}
		f, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return nil, ddb.Validation(msgVecBadVector)
		}
		query[i] = float32(f)
	}
	t, err := n.itemTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	vx, ok := t.vectorIndex(*in.IndexName)
	if !ok {
		return nil, ddb.Validation(qsMsgNoIndex + *in.IndexName)
	}
	if len(query) != vx.Dimensions {
		return nil, ddb.Validation(fmt.Sprintf(msgVecDims, len(query), vx.Dimensions))
	}
	ex, err := qsParseExprs(in.ExpressionAttributeNames, in.ExpressionAttributeValues, in.SearchConditionExpression, nil, in.ProjectionExpression, ddb.LayerCurrent)
	if err != nil {
		return nil, err
	}
	var conds []expr.KeyCond
	if ex.key != nil {
		if conds, err = expr.KeyConditions(ex.key); err != nil {
			return nil, ddb.Validation(msgVecBadCond)
		}
	}
	if conds, err = vx.checkConds(conds); err != nil {
		return nil, err
	}
	best, examined, ok, err := n.annSearch(ctx, t, vx, query, conds, int(*in.TopK))
	if err == nil && !ok {
		best, examined, err = n.vectorSearch(ctx, t, vx, query, conds, int(*in.TopK))
	}
	if err != nil {
		return nil, err
	}
	out := []byte(`{"SearchResults":[`)
	for i, h := range best {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"Item":`...)
		out = ddb.AppendItem(out, t.vectorProject(vx, h.item, ex.proj))
		out = append(out, `,"Score":`...)
		out = strconv.AppendFloat(out, float64(h.score), 'g', -1, 32)
		out = append(out, '}')
	}
	out = append(out, ']')
	if in.ReturnConsumedCapacity != nil && *in.ReturnConsumedCapacity != "NONE" {
		// Billed by the vector bytes the search examines and returns, 1 KB
		// at least (dynamodb-more §C6): here the vectors whose distance
		// was computed plus those returned, 4 bytes a dimension.
		bytes := math.Max(1024, float64((examined+len(best))*vx.Dimensions*4))
		out = append(out, `,"ConsumedCapacity":{"VectorSearchRequestBytes":`...)
		out = strconv.AppendFloat(out, bytes, 'f', -1, 64)
		out = append(out, '}')
	}
	return append(out, '}'), nil
}

// checkConds keeps SearchConditionExpression to equalities on the search
// schema's attributes, and demands one on the HASH attribute if any.
func (vx *VectorIndex) checkConds(conds []expr.KeyCond) ([]expr.KeyCond, error) {
	for _, kc := range conds {
		in := false
		for _, e := range vx.SearchSchema {
			in = in || e.AttributeName == kc.Name
		}
		if kc.Op != "EQ" || !in {
			return nil, ddb.Validation(msgVecBadCond)
		}
	}
	for _, e := range vx.SearchSchema {
		if e.SearchSchemaElementType != "HASH" {
			continue
		}
		found := false
		for _, kc := range conds {
			found = found || kc.Name == e.AttributeName
		}
		if !found {
			return nil, ddb.Validation(msgVecNeedCond)
		}
	}
	return conds, nil
}

// vectorOf reads the vector of item it for index vx: a list of exactly
// Dimensions numbers within float32's range.
func (vx *VectorIndex) vectorOf(it ddb.Item) ([]float32, bool) {
	v, ok := it[vx.Attribute]
	if !ok || v.T != ddb.TypeL || len(v.L) != vx.Dimensions {
		return nil, false
	}
	out := make([]float32, len(v.L))
	for i, e := range v.L {
		if e.T != ddb.TypeN {
			return nil, false
		}
		f, err := strconv.ParseFloat(e.S, 32)
		if err != nil {
			return nil, false
		}
		out[i] = float32(f)
	}
	return out, true
}

// score returns the distance function's score of a against q and whether
// lower scores are closer (COSINE 1−cos in 0–2 and EUCLIDEAN distance:
// lower is closer; DOT_PRODUCT: higher is closer).
func (vx *VectorIndex) score(q, a []float32) float32 {
	switch vx.DistanceFunction {
	case "EUCLIDEAN":
		var s float32
		for i := range q {
			d := q[i] - a[i]
			s += d * d
		}
		return float32(math.Sqrt(float64(s)))
	case "DOT_PRODUCT":
		var s float32
		for i := range q {
			s += q[i] * a[i]
		}
		return s
	}
	var dot, nq, na float32
	for i := range q {
		dot += q[i] * a[i]
		nq += q[i] * q[i]
		na += a[i] * a[i]
	}
	if nq == 0 || na == 0 {
		return 1
	}
	return 1 - dot/float32(math.Sqrt(float64(nq))*math.Sqrt(float64(na)))
}

// vectorHit is a scored item.
type vectorHit struct {
	item  ddb.Item
	score float32
}

// vectorHeap keeps the k best hits with the worst on top.
type vectorHeap struct {
	hits       []vectorHit
	higherBest bool
}

func (h *vectorHeap) Len() int { return len(h.hits) }
func (h *vectorHeap) Less(i, j int) bool {
	if h.higherBest {
		return h.hits[i].score < h.hits[j].score
	}
	return h.hits[i].score > h.hits[j].score
}
func (h *vectorHeap) Swap(i, j int) { h.hits[i], h.hits[j] = h.hits[j], h.hits[i] }
func (h *vectorHeap) Push(x any)    { h.hits = append(h.hits, x.(vectorHit)) }
func (h *vectorHeap) Pop() any {
	x := h.hits[len(h.hits)-1]
	h.hits = h.hits[:len(h.hits)-1]
	return x
}

// vectorSearch scores every item of t in index vx that meets conds and
// returns the k best, best first.
func (n *Node) vectorSearch(ctx context.Context, t *Table, vx *VectorIndex, q []float32, conds []expr.KeyCond, k int) ([]vectorHit, int, error) {
	examined := 0
	h := &vectorHeap{higherBest: vx.DistanceFunction == "DOT_PRODUCT"}
	hashAttr := ""
	for _, e := range vx.SearchSchema {
		if e.SearchSchemaElementType == "HASH" {
			hashAttr = e.AttributeName
		}
	}
	lo, hi := tableBounds(t.ID)
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		keys, err := n.scanKeys(lo, hi, 256)
		if err != nil {
			return nil, 0, fmt.Errorf("store: vector search of %s: %w", t.Name, err)
		}
		if len(keys) == 0 {
			break
		}
		for _, key := range keys {
			it, _, found, err := n.getItem(key)
			if err != nil {
				return nil, 0, fmt.Errorf("store: vector search of %s: %w", t.Name, err)
			}
			if !found {
				continue
			}
			if _, ok := it[hashAttr]; hashAttr != "" && !ok {
				continue // items without the HASH attribute are not indexed
			}
			if !vectorCondsMatch(it, conds) {
				continue
			}
			vec, ok := vx.vectorOf(it)
			if !ok {
				continue
			}
			examined++
			hit := vectorHit{it, vx.score(q, vec)}
			if h.Len() < k {
				heap.Push(h, hit)
			} else if better(hit.score, h.hits[0].score, h.higherBest) {
				h.hits[0] = hit
				heap.Fix(h, 0)
			}
		}
		lo = append(keys[len(keys)-1], 0)
	}
	out := make([]vectorHit, h.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(vectorHit)
	}
	return out, examined, nil
}

func better(a, b float32, higherBest bool) bool {
	if higherBest {
		return a > b
	}
	return a < b
}

func vectorCondsMatch(it ddb.Item, conds []expr.KeyCond) bool {
	for _, kc := range conds {
		if v, ok := it[kc.Name]; !ok || !ddb.Equal(v, kc.Values[0]) {
			return false
		}
	}
	return true
}

// vectorProject returns what SearchVectors shows of item it: the
// ProjectionExpression's paths among the attributes the index projects,
// or every projected attribute but the vector (returned only when named).
func (t *Table) vectorProject(vx *VectorIndex, it ddb.Item, paths []expr.Path) ddb.Item {
	projects := func(name string) bool {
		if vx.Projection.ProjectionType != nil && *vx.Projection.ProjectionType == "ALL" {
			return true
		}
		for _, k := range t.KeySchema {
			if k.AttributeName != nil && *k.AttributeName == name {
				return true
			}
		}
		for _, e := range vx.SearchSchema {
			if e.AttributeName == name {
				return true
			}
		}
		return slices.Contains(vx.Projection.NonKeyAttributes, name)
	}
	view := make(ddb.Item, len(it))
	for name, v := range it {
		if name == vx.Attribute && paths == nil {
			continue
		}
		if name == vx.Attribute || projects(name) {
			view[name] = v
		}
	}
	if paths != nil {
		return expr.Project(view, paths)
	}
	return view
}
