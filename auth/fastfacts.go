package auth

import (
	"github.com/dynax/dynax/ddb"
)

// getItemFacts is Facts for the plain GetItem of the proxy's hit path,
// read with the raw JSON iterator instead of the reflective decoder (which
// costs several microseconds). It handles TableName, Key with string and
// number key values, ProjectionExpression, ExpressionAttributeNames,
// AttributesToGet, ConsistentRead and ReturnConsumedCapacity; anything
// else (a binary key, another member, malformed JSON) returns false and
// the general path decides. Both paths build the check with itemCheck, so
// they agree by construction; TestFastFactsAgree checks it.
func getItemFacts(body []byte, sc Scope, schemas Schemas) (Check, bool) {
	var r itemReq
	it := ddb.NewObjIter(body)
	for it.Next() {
		name, ok := ddb.Unquote(it.Key)
		if !ok {
			return Check{}, false
		}
		switch name {
		case "TableName", "ProjectionExpression", "ReturnConsumedCapacity":
			if ddb.IsNull(it.Val) {
				continue
			}
			v, ok := ddb.Unquote(it.Val)
			if !ok || len(it.Val) == 0 || it.Val[0] != '"' {
				return Check{}, false
			}
			switch name {
			case "TableName":
				r.TableName = &v
			case "ProjectionExpression":
				r.ProjectionExpression = &v
			default:
				r.ReturnConsumedCapacity = &v
			}
		case "Key":
			key, ok := rawKey(it.Val)
			if !ok {
				return Check{}, false
			}
			r.Key = key
		case "ExpressionAttributeNames":
			r.ExpressionAttributeNames = nil
			if err := ddb.Unmarshal(it.Val, &r.ExpressionAttributeNames); err != nil {
				return Check{}, false
			}
		case "AttributesToGet":
			r.AttributesToGet = nil
			if err := ddb.Unmarshal(it.Val, &r.AttributesToGet); err != nil {
				return Check{}, false
			}
		case "ConsistentRead":
		default:
			return Check{}, false
		}
	}
	if it.Err {
		return Check{}, false
	}
	return itemCheck("dynamodb:GetItem", &r, sc, schemas, ""), true
}

// rawKey reads a key of S and N values ({"pk":{"S":"a"}}).
func rawKey(b []byte) (ddb.Item, bool) {
	key := make(ddb.Item, 2)
	it := ddb.NewObjIter(b)
	for it.Next() {
		name, ok := ddb.Unquote(it.Key)
		if !ok {
			return nil, false
		}
		av := ddb.NewObjIter(it.Val)
		n := 0
		var v ddb.Value
		for av.Next() {
			n++
			t, ok := ddb.Unquote(av.Key)
			if !ok || len(av.Val) == 0 || av.Val[0] != '"' {
				return nil, false
			}
			s, ok := ddb.Unquote(av.Val)
			if !ok {
				return nil, false
			}
			switch t {
			case "S":
				v = ddb.Value{T: ddb.TypeS, S: s}
			case "N":
				v = ddb.Value{T: ddb.TypeN, S: s}
			default:
				return nil, false
			}
		}
		if av.Err || n != 1 {
			return nil, false
		}
		key[name] = v
	}
	if it.Err {
		return nil, false
	}
	return key, true
}
