package store

import (
	"fmt"
	"slices"

	"github.com/dynax/dynax/ddb"
)

// UpdateTable VectorIndexUpdates: one Create or Delete per call, alone in
// its request. A created index is CREATING with Backfilling true until the
// vector indexer has built its graph from the table's items
// (vector_ann.go); then ACTIVE.

// vectorIndexUpdateIn is one VectorIndexUpdates member.
type vectorIndexUpdateIn struct {
	Create *vectorIndexIn
	Delete *struct{ IndexName *string }
}

// updateVectorIndexes applies UpdateTable's VectorIndexUpdates.
func (n *Node) updateVectorIndexes(in *updateTableIn) ([]byte, error) {
	var c checker
	for i := range in.VectorIndexUpdates {
		u := &in.VectorIndexUpdates[i]
		p := fmt.Sprintf("vectorIndexUpdates.%d.member", i+1)
		if u.Create != nil {
			tblVectorIndex(&c, u.Create, p+".create")
		}
		if u.Delete != nil {
			tblIndexName(&c, u.Delete.IndexName, p+".delete.indexName")
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	switch {
	case len(in.VectorIndexUpdates) == 0:
		return nil, ddb.Validation(msgInvalid + "List of VectorIndexUpdates is empty")
	case len(in.VectorIndexUpdates) > 1:
		return nil, ddb.LimitExceeded("Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
	case in.ProvisionedThroughput != nil || in.BillingMode != nil || in.GlobalSecondaryIndexUpdates != nil || in.StreamSpecification != nil ||
		in.SSESpecification != nil || in.TableClass != nil || in.DeletionProtectionEnabled != nil || in.OnDemandThroughput != nil ||
		in.WarmThroughput != nil || in.ReplicaUpdates != nil:
		// Chosen (docs/compatibility.md): DynamoDB's text is not published.
		return nil, ddb.Validation(msgInvalid + "VectorIndexUpdates cannot be combined with other updates in one UpdateTable request")
	}
	u := in.VectorIndexUpdates[0]
	if (u.Create == nil) == (u.Delete == nil) {
		return nil, ddb.Validation(msgInvalid + "One of VectorIndexUpdate.Create, VectorIndexUpdate.Delete must not be null")
	}

	controlMu.Lock()
	defer controlMu.Unlock()
	t, err := n.lookupTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	if status := t.TableStatus(n.opts.Now()); status != statusActive {
		return nil, inUse(t, status)
	}
	nt := *t
	nt.Desc = t.Desc.clone()
	if u.Delete != nil {
		name := *u.Delete.IndexName
		i := -1
		for j := range nt.Desc.VectorIndexes {
			if nt.Desc.VectorIndexes[j].IndexName == name {
				i = j
			}
		}
		if i < 0 {
			return nil, ddb.ResourceNotFound("Requested resource not found: Index " + name + " for table " + nt.Name)
		}
		nt.Desc.VectorIndexes = append(append([]VectorIndex(nil), nt.Desc.VectorIndexes[:i]...), nt.Desc.VectorIndexes[i+1:]...)
	} else {
		// Check the new index as CreateTable would check the table's
		// whole set of indexes, with the merged AttributeDefinitions.
		defs := append([]AttributeDefinition(nil), nt.AttributeDefinitions...)
		for _, d := range in.AttributeDefinitions {
			if !slices.Contains(defNames(defs), strOrNull(d.AttributeName)) {
				defs = append(defs, d)
			}
		}
		ppr := nt.Desc.BillingMode
		ct := createTableIn{BillingMode: &ppr, KeySchema: nt.KeySchema, AttributeDefinitions: defs}
		for _, l := range nt.Desc.LocalIndexes {
			ct.LocalSecondaryIndexes = append(ct.LocalSecondaryIndexes, localIndexIn{IndexName: &l.IndexName, KeySchema: l.KeySchema})
		}
		for _, g := range nt.Desc.GlobalIndexes {
			ct.GlobalSecondaryIndexes = append(ct.GlobalSecondaryIndexes, globalIndexIn{IndexName: &g.IndexName, KeySchema: g.KeySchema})
		}
		for _, v := range nt.Desc.VectorIndexes {
			ct.VectorIndexes = append(ct.VectorIndexes, v.in())
		}
		ct.VectorIndexes = append(ct.VectorIndexes, *u.Create)
		if msg := ct.checkVectorIndexes(); msg != "" {
			return nil, ddb.Validation(msg)
		}
		nt.Desc.VectorIndexes = append(append([]VectorIndex(nil), nt.Desc.VectorIndexes...), vectorIndexesOf([]vectorIndexIn{*u.Create})...)
		// The search schema's definitions join the table's.
		names := defNames(nt.AttributeDefinitions)
		for _, d := range defs {
			if slices.Contains(vectorSchemaNames([]vectorIndexIn{*u.Create}), strOrNull(d.AttributeName)) && !slices.Contains(names, strOrNull(d.AttributeName)) {
				nt.AttributeDefinitions = append(append([]AttributeDefinition(nil), nt.AttributeDefinitions...), d)
			}
		}
	}
	if err := n.cat.update(&nt); err != nil {
		return nil, err
	}
	if u.Create != nil {
		n.vec.expectBackfill(&nt, nt.Desc.VectorIndexes[len(nt.Desc.VectorIndexes)-1])
	} else {
		n.vec.notify()
	}
	return n.tableDescriptionJSON("TableDescription", &nt)
}

// in returns v as a CreateTable member (for re-validation).
func (v VectorIndex) in() vectorIndexIn {
	dims := float64(v.Dimensions)
	out := vectorIndexIn{IndexName: &v.IndexName, VectorAttribute: &struct{ AttributeName *string }{&v.Attribute},
		Dimensions: &dims, DistanceFunction: &v.DistanceFunction, Projection: &v.Projection}
	for i := range v.SearchSchema {
		e := &v.SearchSchema[i]
		out.SearchSchema = append(out.SearchSchema, struct {
			AttributeName           *string
			SearchSchemaElementType *string
		}{&e.AttributeName, &e.SearchSchemaElementType})
	}
	return out
}

// schemaNames lists v's search-schema attributes (they keep their
// AttributeDefinitions when other index changes prune unused ones).
func (v *VectorIndex) schemaNames() []string {
	out := make([]string, len(v.SearchSchema))
	for i, e := range v.SearchSchema {
		out[i] = e.AttributeName
	}
	return out
}
