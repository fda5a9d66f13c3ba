package proxy

import (
	"bytes"
	"context"
	"encoding/binary"
	"sort"

	"github.com/dynax/dynax/cache"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/expr"
)

// Query and Scan: the cache key is a hash of the operation and of every
// request member except ReturnConsumedCapacity and ConsistentRead (only
// eventually consistent reads are cached), each member's JSON put in
// canonical form (object members sorted, white space dropped). So every
// parameter that affects the result — table, index, key condition or
// KeyConditions, filter, projection, Select, names, values,
// ExclusiveStartKey, Limit, ScanIndexForward, Segment/TotalSegments, and
// any member the proxy does not know — is part of the key. The value is
// the backend's response without ConsumedCapacity (a hit reports zero
// units when asked).

// queryMembers are the members of QueryInput and ScanInput.
var queryMembers = []string{"TableName", "IndexName", "Select", "AttributesToGet", "Limit", "ConsistentRead",
	"KeyConditions", "QueryFilter", "ScanFilter", "ConditionalOperator", "ScanIndexForward", "ExclusiveStartKey",
	"ReturnConsumedCapacity", "ProjectionExpression", "FilterExpression", "KeyConditionExpression",
	"ExpressionAttributeNames", "ExpressionAttributeValues", "TotalSegments", "Segment"}

type queryReq struct {
	table, tableRaw []byte
	index           bool
	rcc             []byte // TOTAL or INDEXES; nil otherwise
	kce             []byte // KeyConditionExpression (raw string)
	kc              []byte // KeyConditions (raw object)
	names, values   []byte // ExpressionAttributeNames / Values (raw objects)
	canonical       []byte // canonical form of the cache-key members
}

// parseQueryReq reads a Query or Scan body; ok is false when it cannot be
// cached (strongly consistent, odd members, invalid JSON …).
func parseQueryReq(body []byte) (q queryReq, ok bool) {
	type mem struct{ k, v []byte }
	var ms [24]mem
	members := ms[:0]
	it := ddb.NewObjIter(body)
	for it.Next() {
		k, v := it.Key, it.Val
		switch {
		case ddb.KeyIs(k, "ConsistentRead"):
			switch string(v) {
			case "false", "null":
			default:
				return q, false
			}
			continue
		case ddb.KeyIs(k, "ReturnConsumedCapacity"):
			switch string(v) {
			case "null", `"NONE"`:
				q.rcc = nil
			case `"TOTAL"`, `"INDEXES"`:
				q.rcc = v[1 : len(v)-1]
			default:
				return q, false
			}
			continue
		case ddb.KeyIs(k, "TableName"):
			s, plain := ddb.PlainString(v)
			if !plain || (len(s) > 4 && string(s[:4]) == "arn:") {
				return q, false
			}
			q.table, q.tableRaw = s, v
		case ddb.KeyIs(k, "IndexName"):
			q.index = !ddb.IsNull(v)
		case ddb.KeyIs(k, "KeyConditionExpression"):
			q.kce = v
		case ddb.KeyIs(k, "KeyConditions"):
			q.kc = v
		case ddb.KeyIs(k, "ExpressionAttributeNames"):
			q.names = v
		case ddb.KeyIs(k, "ExpressionAttributeValues"):
			q.values = v
		default:
			isKnown := false
			for _, n := range queryMembers {
				if ddb.KeyIs(k, n) {
					isKnown = true
					break
				}
			}
			if !isKnown && oddMember(k, queryMembers) {
				return q, false
			}
		}
		for i := range members {
			if bytes.Equal(members[i].k, k) {
				return q, false // repeated member
			}
		}
		members = append(members, mem{k, v})
	}
	if it.Err || q.table == nil {
		return q, false
	}
	sort.Slice(members, func(i, j int) bool { return bytes.Compare(members[i].k, members[j].k) < 0 })
	c := make([]byte, 0, len(body))
	for _, m := range members {
		if ddb.IsNull(m.v) {
			continue
		}
		c = append(c, m.k...)
		c = append(c, ':')
		var ok bool
		if c, ok = appendCanonical(c, m.v, 0); !ok {
			return q, false
		}
		c = append(c, ',')
	}
	q.canonical = c
	return q, true
}

// appendCanonical appends the canonical form of the valid JSON value v:
// no insignificant white space, object members sorted by their raw names.
func appendCanonical(dst, v []byte, depth int) ([]byte, bool) {
	if depth > 64 {
		return dst, false
	}
	i := ddb.SkipWS(v, 0)
	if i >= len(v) {
		return dst, false
	}
	switch v[i] {
	case '{':
		type mem struct{ k, v []byte }
		var ms []mem
		it := ddb.NewObjIter(v)
		for it.Next() {
			ms = append(ms, mem{it.Key, it.Val})
		}
		if it.Err {
			return dst, false
		}
		sort.SliceStable(ms, func(a, b int) bool { return bytes.Compare(ms[a].k, ms[b].k) < 0 })
		dst = append(dst, '{')
		for j, m := range ms {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, m.k...)
			dst = append(dst, ':')
			var ok bool
			if dst, ok = appendCanonical(dst, m.v, depth+1); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	case '[':
		dst = append(dst, '[')
		it := ddb.NewArrIter(v)
		n := 0
		for it.Next() {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			var ok bool
			if dst, ok = appendCanonical(dst, it.Val, depth+1); !ok {
				return dst, false
			}
		}
		if it.Err {
			return dst, false
		}
		return append(dst, ']'), true
	}
	return append(dst, bytes.TrimSpace(v)...), true
}

func (p *Proxy) queryScan(ctx context.Context, req *wire.Request, scan bool) ([]byte, error) {
	hits, misses, bypassed := &p.m.queryHits, &p.m.queryMisses, &p.m.queryBypass
	if scan {
		hits, misses, bypassed = &p.m.scanHits, &p.m.scanMisses, &p.m.scanBypass
	}
	if p.queries == nil || !p.queryCacheable() {
		bypassed.Add(1)
		return p.bypass(ctx, req)
	}
	q, ok := parseQueryReq(req.Body)
	if !ok {
		bypassed.Add(1)
		return p.bypass(ctx, req)
	}
	s := p.schemas.cached(q.table)
	if s == nil {
		if s = p.schemas.get(ctx, string(q.table), req.Region, req.AccessKey); s == nil {
			bypassed.Add(1)
			return p.bypass(ctx, req)
		}
	}
	op := []byte("Q")
	if scan {
		op = []byte("S")
	}
	key := cache.QueryKey(op, q.canonical)
	if v, hit := p.queries.Get(key); hit {
		hits.Add(1)
		setCache(req, cacheHit)
		cc, body := splitQueryEntry(v)
		if q.rcc == nil {
			return body, nil
		}
		out := make([]byte, 0, len(body)+len(cc)+96)
		out = append(out, body[:len(body)-1]...)
		if len(body) > 2 {
			out = append(out, ',')
		}
		out = append(out, `"ConsumedCapacity":`...)
		if cc != nil {
			out = append(out, capacityFor(cc, q.rcc)...)
		} else {
			out = appendCapacity(out, q.tableRaw, q.rcc, 0)
		}
		return append(out, '}'), nil
	}
	misses.Add(1)
	setCache(req, cacheMiss)
	dep := cache.Dep{Table: s.table}
	if !scan && !q.index {
		if part, ok := queryPartition(s, &q); ok {
			dep.Partition, dep.HasPartition = part, true
		}
	}
	// Ask for the capacity (INDEXES: the most detailed form) so that hits
	// can report it.
	body, ok := ddb.WithoutMembers(make([]byte, 0, len(req.Body)+40), req.Body, "ReturnConsumedCapacity")
	if !ok {
		return p.forward(ctx, req)
	}
	body = body[:len(body)-1]
	if len(body) > 1 {
		body = append(body, ',')
	}
	body = append(body, `"ReturnConsumedCapacity":"INDEXES"}`...)
	stamp := p.queries.Snapshot(dep)
	status, out, err := p.callReq(ctx, req, body)
	if err != nil {
		return nil, errBackend()
	}
	if status != 200 {
		p.noteError(req.Body, out, false)
		return answer(status, out)
	}
	cc := ddb.Member(out, "ConsumedCapacity")
	resp, ok := ddb.WithoutMembers(make([]byte, 0, len(out)), out, "ConsumedCapacity")
	if !ok {
		return out, nil
	}
	p.queries.Put(key, stamp, queryEntry(cc, resp))
	if q.rcc == nil {
		return resp, nil
	}
	if cc == nil || q.rcc == nil {
		return out, nil
	}
	final := make([]byte, 0, len(out))
	final = append(final, resp[:len(resp)-1]...)
	if len(resp) > 2 {
		final = append(final, ',')
	}
	final = append(final, `"ConsumedCapacity":`...)
	final = append(final, capacityFor(cc, q.rcc)...)
	return append(final, '}'), nil
}

// A query-cache entry holds the response without ConsumedCapacity and the
// capacity the backend reported for it (INDEXES form): the uvarint length
// of the capacity JSON, the capacity, then the response, so a hit that
// does not ask for capacity answers with a subslice.
func queryEntry(cc, resp []byte) []byte {
	b := make([]byte, 0, len(cc)+len(resp)+binary.MaxVarintLen32)
	b = binary.AppendUvarint(b, uint64(len(cc)))
	b = append(b, cc...)
	return append(b, resp...)
}

func splitQueryEntry(v []byte) (cc, resp []byte) {
	n, w := binary.Uvarint(v)
	if w <= 0 || uint64(len(v)-w) < n {
		return nil, v
	}
	cc = v[w : w+int(n)]
	if len(cc) == 0 {
		cc = nil
	}
	return cc, v[w+int(n):]
}

// queryPartition finds the partition a base-table Query reads: the value
// of its partition-key equality.
func queryPartition(s *schema, q *queryReq) (string, bool) {
	if q.kce != nil {
		var text string
		if ddb.Unmarshal(q.kce, &text) != nil {
			return "", false
		}
		var names map[string]string
		if q.names != nil && !ddb.IsNull(q.names) {
			if ddb.Unmarshal(q.names, &names) != nil {
				return "", false
			}
		}
		var values ddb.Item
		if q.values != nil && !ddb.IsNull(q.values) {
			var err error
			if values, err = ddb.DecodeItem(q.values); err != nil {
				return "", false
			}
		}
		cond, err := expr.ParseCondition(text, "KeyConditionExpression", expr.NewAttrs(names, values))
		if err != nil {
			return "", false
		}
		kcs, err := expr.KeyConditions(cond)
		if err != nil {
			return "", false
		}
		for _, kc := range kcs {
			if kc.Name == s.hash && kc.Op == "EQ" && len(kc.Values) == 1 && validKeyValue(kc.Values[0], s.hashT) {
				return cache.PartitionKey(kc.Values[0]), true
			}
		}
		return "", false
	}
	if q.kc != nil && !ddb.IsNull(q.kc) {
		var kc map[string]struct {
			ComparisonOperator string
			AttributeValueList []ddb.Value
		}
		if ddb.Unmarshal(q.kc, &kc) != nil {
			return "", false
		}
		c, ok := kc[s.hash]
		if !ok || c.ComparisonOperator != "EQ" || len(c.AttributeValueList) != 1 || !validKeyValue(c.AttributeValueList[0], s.hashT) {
			return "", false
		}
		return cache.PartitionKey(c.AttributeValueList[0]), true
	}
	return "", false
}
