package store

import (
	"github.com/dynax/dynax/ddb"
)

// Table is a table's metadata as stored in the catalog. It is the source of
// the TableDescription returned by CreateTable/DescribeTable/… and of the
// key schema the data plane uses. A *Table in the catalog is immutable:
// changes store a modified copy.
type Table struct {
	// Name is the table name.
	Name string `json:"name"`
	// ID is the internal key prefix of the table's items; a recreated table
	// gets a new ID, so nothing of a deleted table is ever visible again.
	ID uint64 `json:"id"`
	// TableID is the UUID shown as TableId.
	TableID string `json:"tableId"`
	// Region and Account name the ARN.
	Region  string `json:"region"`
	Account string `json:"account"`
	// CreationDateTime is in Unix seconds with fraction.
	CreationDateTime float64 `json:"created"`

	// KeyHash is how the table's keys are laid out (keyhash.go): tables
	// created by earlier builds decode as keyHashFNV and keep that layout.
	KeyHash keyHash `json:"keyHash,omitempty"`

	KeySchema            []KeySchemaElement    `json:"keySchema"`
	AttributeDefinitions []AttributeDefinition `json:"attributeDefinitions"`

	// Desc holds everything else DescribeTable returns (billing mode,
	// throughput, indexes, stream, SSE, class, deletion protection, …),
	// maintained by the control-plane operations.
	Desc TableExtra `json:"desc"`

	// Status is the TableStatus: CREATING, ACTIVE, UPDATING or DELETING.
	Status string `json:"status"`

	// Tags of the table.
	Tags []Tag `json:"tags,omitempty"`

	// Policies are the resource-based policies of the table ("") and of
	// its streams (by stream label), respolicy.go.
	Policies map[string]*StoredPolicy `json:"policies,omitempty"`

	// capa is the table's live capacity state (capacity.go), set when the
	// entry enters the catalog and shared by every later copy of it.
	capa *tableCapacity
	// ci are the contributor insights trackers of the table and its GSIs
	// (insights.go), nil when none is enabled; derived from Desc, shared
	// by the versions of the table whose setting is the same.
	ci *tableInsights
}

// KeySchemaElement is one element of a KeySchema.
type KeySchemaElement struct {
	AttributeName *string `json:"AttributeName"`
	KeyType       *string `json:"KeyType"`
}

// AttributeDefinition is one element of AttributeDefinitions.
type AttributeDefinition struct {
	AttributeName *string `json:"AttributeName"`
	AttributeType *string `json:"AttributeType"`
}

// Tag is a resource tag.
type Tag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

// Arn returns the table ARN.
func (t *Table) Arn() string {
	return "arn:aws:dynamodb:" + t.Region + ":" + t.Account + ":table/" + t.Name
}

// HashKey returns the partition key attribute name and type.
func (t *Table) HashKey() (string, ddb.Type) { return t.keyOf("HASH") }

// RangeKey returns the sort key attribute name and type; name is "" when
// the table has no sort key.
func (t *Table) RangeKey() (string, ddb.Type) { return t.keyOf("RANGE") }

func (t *Table) keyOf(kind string) (string, ddb.Type) {
	for _, k := range t.KeySchema {
		if k.KeyType != nil && *k.KeyType == kind && k.AttributeName != nil {
			return *k.AttributeName, t.attrType(*k.AttributeName)
		}
	}
	return "", 0
}

func (t *Table) attrType(name string) ddb.Type {
	for _, d := range t.AttributeDefinitions {
		if d.AttributeName != nil && *d.AttributeName == name && d.AttributeType != nil {
			typ, _ := ddb.TypeFromString(*d.AttributeType)
			return typ
		}
	}
	return 0
}
