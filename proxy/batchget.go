package proxy

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/dynax/dynax/cache"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// BatchGetItem: hits are answered from memory, only the misses go to the
// backend (as one BatchGetItem without projections, so their full items
// fill the cache), and the answers are merged. Tables read with
// ConsistentRead=true are forwarded as the caller wrote them. A request
// the proxy cannot fully validate goes to the backend unchanged.

type bgIn struct {
	RequestItems           map[string]json.RawMessage
	ReturnConsumedCapacity json.RawMessage
}

type bgTableIn struct {
	Keys                     []json.RawMessage
	ProjectionExpression     json.RawMessage
	ExpressionAttributeNames json.RawMessage
	AttributesToGet          json.RawMessage
	ConsistentRead           json.RawMessage
}

// bgTable is one table of a BatchGetItem.
type bgTable struct {
	name       string
	nameRaw    []byte
	raw        json.RawMessage // the caller's KeysAndAttributes
	in         bgTableIn
	s          *schema
	pr         *projection // nil: whole items
	consistent bool
	keys       []string // item-cache keys, request order
	items      [][]byte // answers (item JSON, projected) in the response
	misses     []int    // indexes into keys/in.Keys fetched from the backend
	fills      map[string]cache.Fill
	hitUnits   float64 // capacity the hits would have cost
}

func rawNull(r json.RawMessage) bool { return r == nil || ddb.IsNull(r) }

func (p *Proxy) batchGetItem(ctx context.Context, req *wire.Request) ([]byte, error) {
	tables, rcc, ok := p.parseBatchGet(ctx, req)
	if !ok {
		p.m.itemBypass.Add(1)
		return p.bypass(ctx, req)
	}
	if p.cl != nil && originOf(ctx) != localOnly {
		return p.clusterBatchGet(ctx, req, tables, rcc)
	}
	fwd, nmiss := p.batchHits(tables, rcc != nil)
	if len(fwd) == 0 {
		setCache(req, cacheHit)
		return renderBatchGet(tables, nil, nil, rcc), nil
	}
	if nmiss > 0 {
		setCache(req, cacheMiss)
	} else {
		setCache(req, cacheBypass)
	}
	body := p.batchMissRequest(fwd, rcc)
	// Whatever ends this call — an error answer, one the proxy cannot
	// read, a panic — the fills still open are closed; after a panic their
	// keys are invalidated too.
	defer func() {
		if r := recover(); r != nil {
			p.closeFills(fwd, true)
			panic(r)
		}
		p.closeFills(fwd, false)
	}()
	status, out, err := p.callReq(ctx, req, body)
	if err != nil {
		return nil, errBackend()
	}
	if status != 200 {
		p.noteBatchError(tables, out)
		return answer(status, out)
	}
	unprocessed, cc, ok := p.batchFill(fwd, out, rcc != nil)
	if !ok {
		return out, nil
	}
	return renderBatchGet(tables, unprocessed, cc, rcc), nil
}

// batchHits answers what it can of tables from the item cache, and returns
// the tables that must go to the backend (consistent ones, and those with
// misses) and the number of misses. withUnits prices the hits.
func (p *Proxy) batchHits(tables []*bgTable, withUnits bool) (fwd []*bgTable, nmiss int) {
	for _, t := range tables {
		if t.consistent {
			p.m.itemBypass.Add(uint64(len(t.keys)))
			fwd = append(fwd, t)
			continue
		}
		for i, k := range t.keys {
			e, hit := p.items.Get(k)
			if !hit {
				t.misses = append(t.misses, i)
				continue
			}
			p.m.itemHits.Add(1)
			if withUnits {
				t.hitUnits += readUnits(e.JSON, e.Negative)
			}
			if e.Negative {
				p.m.itemNegHits.Add(1)
				continue
			}
			t.items = append(t.items, projectedItem(e.JSON, t.pr))
		}
		if len(t.misses) > 0 {
			nmiss += len(t.misses)
			p.m.itemMisses.Add(uint64(len(t.misses)))
			fwd = append(fwd, t)
		}
	}
	return fwd, nmiss
}

// batchMissRequest builds the forwarded request — misses without
// projection, consistent tables as written — and begins the misses' fills.
func (p *Proxy) batchMissRequest(fwd []*bgTable, rcc []byte) []byte {
	body := append(make([]byte, 0, 256), `{"RequestItems":{`...)
	for i, t := range fwd {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, t.nameRaw...)
		body = append(body, ':')
		if t.consistent {
			body = append(body, t.raw...)
			continue
		}
		body = append(body, `{"Keys":[`...)
		t.fills = make(map[string]cache.Fill, len(t.misses))
		for j, ki := range t.misses {
			if j > 0 {
				body = append(body, ',')
			}
			body = append(body, t.in.Keys[ki]...)
			t.fills[t.keys[ki]] = p.items.BeginFill(t.keys[ki])
		}
		body = append(body, "]}"...)
	}
	body = append(body, '}')
	if rcc != nil {
		body = append(body, `,"ReturnConsumedCapacity":`...)
		body = append(body, rcc...)
	}
	return append(body, '}')
}

// closeFills ends the fills still open (installing nothing); invalidate
// also drops their keys (after a panic).
func (p *Proxy) closeFills(fwd []*bgTable, invalidate bool) {
	for _, t := range fwd {
		for k, f := range t.fills {
			p.items.Abandon(f)
			if invalidate {
				p.items.Invalidate(k)
			}
		}
		t.fills = nil
	}
}

type bgOut struct {
	Responses        map[string][]json.RawMessage
	UnprocessedKeys  map[string]json.RawMessage
	ConsumedCapacity json.RawMessage
}

// batchFill reads the backend's answer to batchMissRequest: returned items
// fill the cache and join the answer, keys neither returned nor
// unprocessed are cached as not found — unless something in the table's
// answer cannot be read (an unprocessed entry or a returned item's key),
// when the table's remaining keys are left uncached. ok is false for an
// answer the proxy does not understand (it is passed on as is).
func (p *Proxy) batchFill(fwd []*bgTable, out []byte, withUnits bool) (unprocessed map[string][]byte, cc []byte, ok bool) {
	var resp bgOut
	if err := ddb.Unmarshal(out, &resp); err != nil {
		return nil, nil, false
	}
	unprocessed = map[string][]byte{}
	for _, t := range fwd {
		items := resp.Responses[t.name]
		u, hasU := resp.UnprocessedKeys[t.name]
		hasU = hasU && !rawNull(u)
		if t.consistent {
			for _, it := range items {
				t.items = append(t.items, it)
			}
			if hasU {
				unprocessed[t.name] = u
			}
			continue
		}
		doubt := false
		for _, it := range items {
			k, ok := itemKeyFromJSON(t.s, it)
			f, mine := t.fills[k]
			switch {
			case ok && mine:
				delete(t.fills, k)
				if !p.items.Complete(f, cache.Item{JSON: append([]byte(nil), it...)}) {
					p.m.fillsDropped.Add(1)
				}
			case !ok:
				doubt = true // it may be one of the keys asked for
			}
			t.items = append(t.items, projectedItem(it, t.pr))
		}
		if hasU {
			var ka struct{ Keys []json.RawMessage }
			if ddb.Unmarshal(u, &ka) != nil || len(ka.Keys) == 0 {
				doubt = true
				unprocessed[t.name] = u
			} else {
				for _, uk := range ka.Keys {
					k, ok := rawItemKey(t.s, uk)
					if !ok {
						doubt = true
						continue
					}
					if f, mine := t.fills[k]; mine {
						delete(t.fills, k)
						p.items.Abandon(f)
					}
				}
				unprocessed[t.name] = unprocessedEntry(t, ka.Keys)
			}
		}
		if doubt {
			continue // closeFills abandons the rest
		}
		// Keys neither answered nor unprocessed do not exist.
		for k, f := range t.fills {
			delete(t.fills, k)
			if !p.items.Complete(f, cache.Item{Negative: true}) {
				p.m.fillsDropped.Add(1)
			}
		}
	}
	if withUnits && !rawNull(resp.ConsumedCapacity) {
		cc = resp.ConsumedCapacity
	}
	return unprocessed, cc, true
}

// parseBatchGet reads and validates a BatchGetItem as the backend would;
// ok is false when the request must go to the backend unchanged (it is
// invalid, names an unknown table, or is beyond what the proxy handles).
func (p *Proxy) parseBatchGet(ctx context.Context, req *wire.Request) (tables []*bgTable, rcc []byte, ok bool) {
	var in bgIn
	if err := ddb.Unmarshal(req.Body, &in); err != nil || len(in.RequestItems) == 0 || len(in.RequestItems) > ddb.BatchGetMaxKeys {
		return nil, nil, false
	}
	if !rawNull(in.ReturnConsumedCapacity) {
		switch string(in.ReturnConsumedCapacity) {
		case `"NONE"`:
		case `"TOTAL"`, `"INDEXES"`:
			rcc = in.ReturnConsumedCapacity
		default:
			return nil, nil, false
		}
	}
	names := make([]string, 0, len(in.RequestItems))
	for n := range in.RequestItems {
		names = append(names, n)
	}
	sort.Strings(names)
	total := 0
	usesExpr, usesLegacy := false, false
	for _, name := range names {
		raw := in.RequestItems[name]
		if rawNull(raw) || len(name) < 3 || len(name) > 255 || (len(name) > 4 && name[:4] == "arn:") {
			return nil, nil, false
		}
		t := &bgTable{name: name, raw: raw}
		t.nameRaw = ddb.AppendString(nil, name)
		if err := ddb.Unmarshal(raw, &t.in); err != nil {
			return nil, nil, false
		}
		if len(t.in.Keys) < 1 || len(t.in.Keys) > ddb.BatchGetMaxKeys {
			return nil, nil, false
		}
		total += len(t.in.Keys)
		if total > ddb.BatchGetMaxKeys {
			return nil, nil, false
		}
		switch string(t.in.ConsistentRead) {
		case "", "null", "false":
		case "true":
			t.consistent = true
		default:
			return nil, nil, false
		}
		proj, names, atg := nilIfNull(t.in.ProjectionExpression), nilIfNull(t.in.ExpressionAttributeNames), nilIfNull(t.in.AttributesToGet)
		usesExpr = usesExpr || proj != nil
		usesLegacy = usesLegacy || atg != nil
		if usesExpr && usesLegacy {
			return nil, nil, false
		}
		if t.s = p.schemas.get(ctx, name, req.Region, req.AccessKey); t.s == nil {
			return nil, nil, false
		}
		if proj != nil || names != nil || atg != nil {
			g := getReq{table: []byte(name), proj: proj, names: names, atg: atg}
			if t.pr = p.projection(t.s, &g); !t.pr.valid {
				return nil, nil, false
			}
		}
		seen := make(map[string]struct{}, len(t.in.Keys))
		for _, kraw := range t.in.Keys {
			k, ok := rawItemKey(t.s, kraw)
			if !ok {
				return nil, nil, false
			}
			if _, dup := seen[k]; dup {
				return nil, nil, false
			}
			seen[k] = struct{}{}
			t.keys = append(t.keys, k)
		}
		tables = append(tables, t)
	}
	return tables, rcc, true
}

func nilIfNull(r json.RawMessage) []byte {
	if rawNull(r) {
		return nil
	}
	return r
}

// rawItemKey returns the item-cache key of a raw Key object of table s.
func rawItemKey(s *schema, raw []byte) (string, bool) {
	var buf [128]byte
	if kb, ok := appendItemKey(buf[:0], s, raw); ok {
		return string(kb), true
	}
	return slowItemKey(s, raw)
}

// itemKeyFromJSON returns the item-cache key of an item's JSON (its key
// attributes).
func itemKeyFromJSON(s *schema, item []byte) (string, bool) {
	var hv, rv []byte
	it := ddb.NewObjIter(item)
	for it.Next() {
		name, ok := ddb.PlainString(it.Key)
		if !ok {
			hv = nil
			break
		}
		switch string(name) {
		case s.hash:
			hv = it.Val
		case s.rng:
			if s.rng != "" {
				rv = it.Val
			}
		}
	}
	if !it.Err && hv != nil && (s.rng == "" || rv != nil) {
		var buf [128]byte
		b := cache.AppendItemKeyTable(buf[:0], s.table)
		var ok bool
		if b, ok = appendKeyValue(b, hv, s.hashT); ok && s.rng != "" {
			b, ok = appendKeyValue(b, rv, s.rngT)
		}
		if ok {
			return string(b), true
		}
	}
	full, err := ddb.DecodeItem(item)
	if err != nil {
		return "", false
	}
	return itemKeyOf(s, full)
}

// projectedItem returns an item's JSON with the table's projection applied.
func projectedItem(item []byte, pr *projection) []byte {
	if pr == nil {
		return item
	}
	return appendProjected(nil, item, pr)
}

// unprocessedEntry rebuilds a table's UnprocessedKeys entry with the
// caller's projection (the proxy asked without one).
func unprocessedEntry(t *bgTable, keys []json.RawMessage) []byte {
	b := append([]byte(nil), `{"Keys":[`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, k...)
	}
	b = append(b, ']')
	for _, m := range []struct {
		name string
		raw  json.RawMessage
	}{
		{"AttributesToGet", t.in.AttributesToGet},
		{"ConsistentRead", t.in.ConsistentRead},
		{"ProjectionExpression", t.in.ProjectionExpression},
		{"ExpressionAttributeNames", t.in.ExpressionAttributeNames},
	} {
		if !rawNull(m.raw) {
			b = append(b, `,"`+m.name+`":`...)
			b = append(b, m.raw...)
		}
	}
	return append(b, '}')
}

// renderBatchGet writes the merged answer. cc is the backend's
// ConsumedCapacity list (nil when it was not asked); rcc the caller's
// ReturnConsumedCapacity (JSON string), nil for none.
func renderBatchGet(tables []*bgTable, unprocessed map[string][]byte, cc, rcc []byte) []byte {
	size := 64
	for _, t := range tables {
		size += len(t.nameRaw) + 8
		for _, it := range t.items {
			size += len(it) + 1
		}
	}
	b := make([]byte, 0, size)
	b = append(b, `{"Responses":{`...)
	for i, t := range tables {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, t.nameRaw...)
		b = append(b, ":["...)
		for j, it := range t.items {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, it...)
		}
		b = append(b, ']')
	}
	b = append(b, `},"UnprocessedKeys":{`...)
	first := true
	for _, t := range tables {
		u, ok := unprocessed[t.name]
		if !ok {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, t.nameRaw...)
		b = append(b, ':')
		b = append(b, u...)
	}
	b = append(b, '}')
	if rcc == nil {
		return append(b, '}')
	}
	mode := rcc[1 : len(rcc)-1]
	backend := map[string]json.RawMessage{}
	if cc != nil {
		var caps []json.RawMessage
		if ddb.Unmarshal(cc, &caps) == nil {
			for _, c := range caps {
				var one struct{ TableName string }
				_ = ddb.Unmarshal(c, &one)
				backend[one.TableName] = c
			}
		}
	}
	b = append(b, `,"ConsumedCapacity":[`...)
	for i, t := range tables {
		if i > 0 {
			b = append(b, ',')
		}
		c, ok := backend[t.name]
		switch {
		case ok && t.hitUnits == 0:
			b = append(b, c...)
		case ok:
			b = append(b, addUnits(c, t.nameRaw, mode, t.hitUnits)...)
		default:
			b = appendCapacity(b, t.nameRaw, mode, t.hitUnits)
		}
	}
	return append(b, "]}"...)
}

// noteBatchError reacts to an error answer naming a table of the batch.
func (p *Proxy) noteBatchError(tables []*bgTable, errBody []byte) {
	if !isErrorType(errBody, "ResourceNotFoundException") &&
		!containsBytes(errBody, "The provided key element does not match the schema") {
		return
	}
	for _, t := range tables {
		p.tableGone(t.name)
	}
}
