package auth

import (
	"encoding/base64"
	"sort"
	"strings"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/expr"
	"github.com/dynax/dynax/partiql"
)

// Check is one authorization question a request asks: may the caller
// perform Action on every one of Resources, given the condition Keys? A
// request asks one or more (BatchGetItem one per table, a transaction one
// per item), and is allowed only when every one is.
type Check struct {
	// Action is the IAM action, e.g. "dynamodb:GetItem".
	Action string
	// Resources are the ARNs the action touches: the table, and for Query
	// and Scan on an index the index too; "*" for account-level actions.
	Resources []string
	// Keys holds the request's condition keys (lower-cased names).
	Keys map[string][]string
}

// Schemas tells the partition key attributes of tables, for
// dynamodb:LeadingKeys.
type Schemas interface {
	// PartitionKeys returns the partition key attribute names of table
	// (or of its index when index is not ""), and false when the table or
	// index is unknown. table is a name as the request gives it (a name
	// or an ARN).
	PartitionKeys(table, index string) ([]string, bool)
}

// Scope is where a request runs: the Region of its credential scope and
// the node's account, which together make the ARNs of its resources.
type Scope struct {
	Region, Account string
}

// TableARN returns the ARN of table (which may already be one).
func (s Scope) TableARN(table string) string {
	if strings.HasPrefix(table, "arn:") {
		return table
	}
	return "arn:aws:dynamodb:" + s.Region + ":" + s.Account + ":table/" + table
}

// Condition key names (lower-cased, as Context.Keys holds them).
const (
	KeyLeadingKeys            = "dynamodb:leadingkeys"
	KeyFirstPartitionKey      = "dynamodb:firstpartitionkeyvalues"
	KeyAttributes             = "dynamodb:attributes"
	KeySelect                 = "dynamodb:select"
	KeyReturnValues           = "dynamodb:returnvalues"
	KeyReturnConsumedCapacity = "dynamodb:returnconsumedcapacity"
	KeyEnclosingOperation     = "dynamodb:enclosingoperation"
	KeyFullTableScan          = "dynamodb:fulltablescan"
)

// itemReq is the union of the members the item operations' checks read.
type itemReq struct {
	TableName                 *string           `json:"TableName"`
	IndexName                 *string           `json:"IndexName"`
	Key                       ddb.Item          `json:"Key"`
	Item                      ddb.Item          `json:"Item"`
	ProjectionExpression      *string           `json:"ProjectionExpression"`
	AttributesToGet           []string          `json:"AttributesToGet"`
	ExpressionAttributeNames  map[string]string `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues ddb.Item          `json:"ExpressionAttributeValues"`
	ConditionExpression       *string           `json:"ConditionExpression"`
	UpdateExpression          *string           `json:"UpdateExpression"`
	KeyConditionExpression    *string           `json:"KeyConditionExpression"`
	FilterExpression          *string           `json:"FilterExpression"`
	KeyConditions             map[string]struct {
		AttributeValueList []ddb.Value `json:"AttributeValueList"`
		ComparisonOperator string      `json:"ComparisonOperator"`
	} `json:"KeyConditions"`
	Select                 *string `json:"Select"`
	ReturnValues           *string `json:"ReturnValues"`
	ReturnConsumedCapacity *string `json:"ReturnConsumedCapacity"`
}

// Facts returns the checks of one DynamoDB (or DynamoDB Streams) request.
// prefix and op are the target's parts, body the JSON request. An error
// means the body cannot be read as the operation's request; callers then
// let the operation itself answer (with its validation error) only when
// the caller may perform the action on any resource at all.
func Facts(prefix, op string, body []byte, sc Scope, schemas Schemas) ([]Check, error) {
	if prefix == "DynamoDBStreams_20120810" {
		return streamFacts(op, body)
	}
	action := "dynamodb:" + op
	switch op {
	case "GetItem":
		if c, ok := getItemFacts(body, sc, schemas); ok {
			return []Check{c}, nil
		}
		var r itemReq
		if err := ddb.Unmarshal(body, &r); err != nil {
			return nil, err
		}
		return []Check{itemCheck(action, &r, sc, schemas, "")}, nil
	case "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan":
		var r itemReq
		if err := ddb.Unmarshal(body, &r); err != nil {
			return nil, err
		}
		return []Check{itemCheck(action, &r, sc, schemas, "")}, nil
	case "BatchGetItem":
		var in struct {
			RequestItems map[string]*struct {
				Keys                     []ddb.Item        `json:"Keys"`
				ProjectionExpression     *string           `json:"ProjectionExpression"`
				AttributesToGet          []string          `json:"AttributesToGet"`
				ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames"`
			} `json:"RequestItems"`
			ReturnConsumedCapacity *string `json:"ReturnConsumedCapacity"`
		}
		if err := ddb.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		checks := make([]Check, 0, len(in.RequestItems))
		for _, table := range sortedKeys(in.RequestItems) {
			ka := in.RequestItems[table]
			if ka == nil {
				continue
			}
			b := newKeys()
			pks, _ := schemas.PartitionKeys(table, "")
			for _, k := range ka.Keys {
				b.leading(pks, k)
				b.attrNames(k)
			}
			b.projection(ka.ProjectionExpression, ka.AttributesToGet, ka.ExpressionAttributeNames)
			b.selectOf(nil, ka.ProjectionExpression != nil || ka.AttributesToGet != nil)
			b.set(KeyReturnConsumedCapacity, in.ReturnConsumedCapacity)
			checks = append(checks, Check{Action: action, Resources: []string{sc.TableARN(table)}, Keys: b.m})
		}
		return checks, nil
	case "BatchWriteItem":
		var in struct {
			RequestItems map[string][]struct {
				PutRequest    *struct{ Item ddb.Item } `json:"PutRequest"`
				DeleteRequest *struct{ Key ddb.Item }  `json:"DeleteRequest"`
			} `json:"RequestItems"`
			ReturnConsumedCapacity *string `json:"ReturnConsumedCapacity"`
		}
		if err := ddb.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		checks := make([]Check, 0, len(in.RequestItems))
		for _, table := range sortedKeys(in.RequestItems) {
			b := newKeys()
			pks, _ := schemas.PartitionKeys(table, "")
			for _, w := range in.RequestItems[table] {
				var it ddb.Item
				switch {
				case w.PutRequest != nil:
					it = w.PutRequest.Item
				case w.DeleteRequest != nil:
					it = w.DeleteRequest.Key
				}
				b.leading(pks, it)
				b.attrNames(it)
			}
			b.set(KeyReturnConsumedCapacity, in.ReturnConsumedCapacity)
			checks = append(checks, Check{Action: action, Resources: []string{sc.TableARN(table)}, Keys: b.m})
		}
		return checks, nil
	case "TransactGetItems", "TransactWriteItems":
		var in struct {
			TransactItems []struct {
				Get            *itemReq `json:"Get"`
				Put            *itemReq `json:"Put"`
				Update         *itemReq `json:"Update"`
				Delete         *itemReq `json:"Delete"`
				ConditionCheck *itemReq `json:"ConditionCheck"`
			} `json:"TransactItems"`
			ReturnConsumedCapacity *string `json:"ReturnConsumedCapacity"`
		}
		if err := ddb.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		checks := make([]Check, 0, len(in.TransactItems))
		for _, ti := range in.TransactItems {
			var r *itemReq
			var a string
			switch {
			case ti.Get != nil:
				r, a = ti.Get, "GetItem"
			case ti.Put != nil:
				r, a = ti.Put, "PutItem"
			case ti.Update != nil:
				r, a = ti.Update, "UpdateItem"
			case ti.Delete != nil:
				r, a = ti.Delete, "DeleteItem"
			case ti.ConditionCheck != nil:
				r, a = ti.ConditionCheck, "ConditionCheckItem"
			default:
				continue
			}
			if r.ReturnConsumedCapacity == nil {
				r.ReturnConsumedCapacity = in.ReturnConsumedCapacity
			}
			checks = append(checks, itemCheck("dynamodb:"+a, r, sc, schemas, op))
		}
		return checks, nil
	case "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction":
		return partiqlFacts(op, body, sc, schemas)
	}
	return []Check{{Action: action, Resources: []string{resourceOf(body, sc)}, Keys: map[string][]string{}}}, nil
}

// itemCheck builds the check of one item operation (alone, or as an item
// of a transaction when enclosing names the transaction).
func itemCheck(action string, r *itemReq, sc Scope, schemas Schemas, enclosing string) Check {
	table := ""
	if r.TableName != nil {
		table = *r.TableName
	}
	res := []string{sc.TableARN(table)}
	index := ""
	if r.IndexName != nil {
		index = *r.IndexName
		res = append(res, sc.TableARN(table)+"/index/"+index)
	}
	b := newKeys()
	pks, _ := schemas.PartitionKeys(table, index)
	switch action {
	case "dynamodb:Query":
		b.queryLeading(pks, r)
	case "dynamodb:Scan":
	case "dynamodb:PutItem":
		b.leading(pks, r.Item)
	default:
		b.leading(pks, r.Key)
	}
	b.attrNames(r.Key)
	b.attrNames(r.Item)
	b.projection(r.ProjectionExpression, r.AttributesToGet, r.ExpressionAttributeNames)
	for _, text := range []*string{r.ConditionExpression, r.UpdateExpression, r.FilterExpression, r.KeyConditionExpression} {
		b.exprNames(text, r.ExpressionAttributeNames)
	}
	for name := range r.KeyConditions {
		b.add(KeyAttributes, name)
	}
	switch action {
	case "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan":
		b.selectOf(r.Select, r.ProjectionExpression != nil || r.AttributesToGet != nil)
	}
	b.set(KeyReturnValues, r.ReturnValues)
	b.set(KeyReturnConsumedCapacity, r.ReturnConsumedCapacity)
	if enclosing != "" {
		b.add(KeyEnclosingOperation, enclosing)
	}
	return Check{Action: action, Resources: res, Keys: b.m}
}

// keys accumulates condition keys, each value once.
type keys struct{ m map[string][]string }

func newKeys() *keys { return &keys{m: map[string][]string{}} }

func (b *keys) add(k, v string) {
	for _, x := range b.m[k] {
		if x == v {
			return
		}
	}
	b.m[k] = append(b.m[k], v)
}

func (b *keys) set(k string, v *string) {
	if v != nil {
		b.add(k, *v)
	}
}

// leading adds the partition key values of item (a key or a whole item).
// A multi-attribute partition key gives FirstPartitionKeyValues (=
// LeadingKeys) for its first attribute and Second…/Fourth… for the rest.
func (b *keys) leading(pks []string, item ddb.Item) {
	for i, pk := range pks {
		v, ok := item[pk]
		if !ok {
			continue
		}
		b.partition(i, keyText(v))
	}
}

var ordinalKeys = [...]string{KeyFirstPartitionKey, "dynamodb:secondpartitionkeyvalues",
	"dynamodb:thirdpartitionkeyvalues", "dynamodb:fourthpartitionkeyvalues"}

func (b *keys) partition(i int, v string) {
	if i == 0 {
		b.add(KeyLeadingKeys, v)
	}
	if i < len(ordinalKeys) {
		b.add(ordinalKeys[i], v)
	}
}

// queryLeading adds the partition key values a Query's key condition names.
func (b *keys) queryLeading(pks []string, r *itemReq) {
	if len(pks) == 0 {
		return
	}
	for i, pk := range pks {
		if kc, ok := r.KeyConditions[pk]; ok && kc.ComparisonOperator == "EQ" && len(kc.AttributeValueList) == 1 {
			b.partition(i, keyText(kc.AttributeValueList[0]))
		}
	}
	if r.KeyConditionExpression == nil {
		return
	}
	attrs := expr.NewAttrs(r.ExpressionAttributeNames, r.ExpressionAttributeValues)
	c, err := expr.ParseCondition(*r.KeyConditionExpression, "KeyConditionExpression", attrs)
	if err != nil {
		return
	}
	kcs, err := expr.KeyConditions(c)
	if err != nil {
		return
	}
	for i, pk := range pks {
		for _, kc := range kcs {
			if kc.Name == pk && kc.Op == "EQ" && len(kc.Values) == 1 {
				b.partition(i, keyText(kc.Values[0]))
			}
		}
	}
}

// keyText renders a key value as IAM compares it: strings as they are,
// numbers in their text, binary as base64 (as it travels).
func keyText(v ddb.Value) string {
	switch v.T {
	case ddb.TypeS, ddb.TypeN:
		return v.S
	case ddb.TypeB:
		return base64.StdEncoding.EncodeToString(v.B)
	}
	return ""
}

// attrNames adds the attribute names of an item, in sorted order so that
// checks are deterministic.
func (b *keys) attrNames(item ddb.Item) {
	if len(item) == 0 {
		return
	}
	var buf [4]string
	names := buf[:0]
	for name := range item {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b.add(KeyAttributes, name)
	}
}

// projection adds the top-level names a projection returns.
func (b *keys) projection(text *string, atg []string, names map[string]string) {
	for _, a := range atg {
		b.add(KeyAttributes, a)
	}
	b.exprNames(text, names)
}

// exprNames adds the top-level attribute names an expression mentions:
// its words and resolved #placeholders, up to the first '.' or '['. It
// reads expressions the way their parsers tokenize names, without
// validating them (the operation does that).
func (b *keys) exprNames(text *string, names map[string]string) {
	if text == nil {
		return
	}
	for _, name := range expr.TopLevelNames(*text, names) {
		b.add(KeyAttributes, name)
	}
}

// selectOf sets dynamodb:Select: the request's own Select, else
// SPECIFIC_ATTRIBUTES when it projects and ALL_ATTRIBUTES when it returns
// whole items, so a policy can refuse unprojected reads.
func (b *keys) selectOf(sel *string, projects bool) {
	switch {
	case sel != nil:
		b.add(KeySelect, *sel)
	case projects:
		b.add(KeySelect, "SPECIFIC_ATTRIBUTES")
	default:
		b.add(KeySelect, "ALL_ATTRIBUTES")
	}
}

// partiqlFacts maps PartiQL statements to PartiQLSelect/Insert/Update/
// Delete checks on their tables (and index), with LeadingKeys from the
// partition key equalities of the WHERE clause or the inserted item.
func partiqlFacts(op string, body []byte, sc Scope, schemas Schemas) ([]Check, error) {
	type stmt struct {
		Statement  *string     `json:"Statement"`
		Parameters []ddb.Value `json:"Parameters"`
	}
	var stmts []stmt
	enclosing := ""
	switch op {
	case "ExecuteStatement":
		var in stmt
		if err := ddb.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		stmts = []stmt{in}
	case "BatchExecuteStatement":
		var in struct{ Statements []stmt }
		if err := ddb.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		stmts = in.Statements
	default:
		var in struct{ TransactStatements []stmt }
		if err := ddb.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		stmts, enclosing = in.TransactStatements, "ExecuteTransaction"
	}
	checks := make([]Check, 0, len(stmts))
	for _, s := range stmts {
		if s.Statement == nil {
			continue
		}
		st, err := partiql.Parse(*s.Statement)
		if err != nil {
			return nil, err
		}
		if st.Inner != nil && st.Kind == partiql.Exists {
			st = st.Inner
		}
		var action string
		switch st.Kind {
		case partiql.Select:
			action = "dynamodb:PartiQLSelect"
		case partiql.Insert:
			action = "dynamodb:PartiQLInsert"
		case partiql.Update:
			action = "dynamodb:PartiQLUpdate"
		case partiql.Delete:
			action = "dynamodb:PartiQLDelete"
		default:
			continue
		}
		res := []string{sc.TableARN(st.Table)}
		if st.Index != "" {
			res = append(res, sc.TableARN(st.Table)+"/index/"+st.Index)
		}
		b := newKeys()
		pks, _ := schemas.PartitionKeys(st.Table, st.Index)
		found := false
		if st.Kind == partiql.Insert && st.Value != nil {
			if v, _, err := partiql.Value(st.Value, s.Parameters); err == nil && v.T == ddb.TypeM {
				b.leading(pks, ddb.Item(v.M))
				b.attrNames(ddb.Item(v.M))
				found = true
			}
		} else {
			for _, term := range partiql.Conjuncts(st.Where) {
				name, ve, ok := partiql.Equality(term)
				var vals []partiql.Expr
				if ok {
					vals = []partiql.Expr{ve}
				} else if name, vals, ok = partiql.InList(term); !ok {
					continue
				}
				for i, pk := range pks {
					if name != pk {
						continue
					}
					for _, x := range vals {
						if v, _, err := partiql.Value(x, s.Parameters); err == nil {
							b.partition(i, keyText(v))
							found = true
						}
					}
				}
			}
		}
		if st.Kind == partiql.Select {
			b.add(KeyFullTableScan, boolText(!found))
		}
		if enclosing != "" {
			b.add(KeyEnclosingOperation, enclosing)
		}
		checks = append(checks, Check{Action: action, Resources: res, Keys: b.m})
	}
	return checks, nil
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// streamFacts names the stream a Streams call touches: its StreamArn, or
// for GetRecords the stream its iterator names (iterators begin with the
// stream ARN and "|", in DynamoDB as in dynax); "*" for ListStreams.
func streamFacts(op string, body []byte) ([]Check, error) {
	var in struct {
		StreamArn     *string `json:"StreamArn"`
		ShardIterator *string `json:"ShardIterator"`
	}
	if err := ddb.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	res := "*"
	switch {
	case in.StreamArn != nil:
		res = *in.StreamArn
	case in.ShardIterator != nil && strings.HasPrefix(*in.ShardIterator, "arn:"):
		if i := strings.Index(*in.ShardIterator, "|"); i > 0 {
			res = (*in.ShardIterator)[:i]
		}
	}
	return []Check{{Action: "dynamodb:" + op, Resources: []string{res}, Keys: map[string][]string{}}}, nil
}

// resourceOf finds the resource of a control-plane request: its table,
// or the ARN it names; "*" for account-level calls (ListTables, …).
func resourceOf(body []byte, sc Scope) string {
	var in struct {
		TableName   *string `json:"TableName"`
		TableArn    *string `json:"TableArn"`
		ResourceArn *string `json:"ResourceArn"`
		BackupArn   *string `json:"BackupArn"`
		ExportArn   *string `json:"ExportArn"`
		ImportArn   *string `json:"ImportArn"`
		Target      *string `json:"TargetTableName"`
		Source      *string `json:"SourceTableName"`
		TableParams *struct {
			TableName *string `json:"TableName"`
		} `json:"TableCreationParameters"`
	}
	if ddb.Unmarshal(body, &in) != nil {
		return "*"
	}
	for _, p := range []*string{in.TableName, in.Target, in.TableArn, in.ResourceArn, in.BackupArn, in.ExportArn, in.ImportArn, in.Source} {
		if p != nil && *p != "" {
			return sc.TableARN(*p)
		}
	}
	if in.TableParams != nil && in.TableParams.TableName != nil {
		return sc.TableARN(*in.TableParams.TableName)
	}
	return "*"
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
