package proxy

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/dynax/dynax/cache"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/expr"
)

// getReq is what the hit path reads of a GetItem body: views of the raw
// JSON, never decoded copies.
type getReq struct {
	table    []byte // TableName, unescaped (plain names only)
	tableRaw []byte // TableName as a JSON string
	key      []byte // Key object
	proj     []byte // ProjectionExpression (JSON string), nil if absent
	names    []byte // ExpressionAttributeNames (JSON object), nil if absent
	atg      []byte // AttributesToGet (JSON array), nil if absent
	rcc      []byte // ReturnConsumedCapacity TOTAL or INDEXES; nil for absent or NONE
	// consistent is ConsistentRead=true.
	consistent bool
}

// getItemMembers are the members of GetItemInput.
var getItemMembers = []string{"TableName", "Key", "ProjectionExpression", "ExpressionAttributeNames",
	"AttributesToGet", "ConsistentRead", "ReturnConsumedCapacity"}

// oddMember reports whether a member name not matched exactly might still
// be one of known: a name written with escapes ("\u004bey" is "Key"). The
// backend matches names exactly (ddb.Unmarshal), so another case is just
// an unknown member.
func oddMember(k []byte, known []string) bool {
	if _, ok := ddb.PlainString(k); ok {
		return false
	}
	for _, n := range known {
		if ddb.NameIs(k, n) {
			return true
		}
	}
	return false
}

// parseGetReq reads a GetItem body. ok is false for anything the hit path
// does not handle (the request then goes to the backend unchanged): bad
// JSON, unusual member types, a table ARN, an invalid ReturnConsumedCapacity.
func parseGetReq(body []byte) (g getReq, ok bool) {
	it := ddb.NewObjIter(body)
	for it.Next() {
		k, v := it.Key, it.Val
		null := ddb.IsNull(v)
		switch {
		case ddb.KeyIs(k, "TableName"):
			if null {
				g.table, g.tableRaw = nil, nil
				continue
			}
			s, plain := ddb.PlainString(v)
			if !plain || (len(s) > 4 && string(s[:4]) == "arn:") {
				return g, false
			}
			g.table, g.tableRaw = s, v
		case ddb.KeyIs(k, "Key"):
			if null {
				g.key = nil
				continue
			}
			g.key = v
		case ddb.KeyIs(k, "ProjectionExpression"):
			if null {
				g.proj = nil
				continue
			}
			if v[0] != '"' {
				return g, false
			}
			g.proj = v
		case ddb.KeyIs(k, "ExpressionAttributeNames"):
			if null {
				g.names = nil
				continue
			}
			if v[0] != '{' {
				return g, false
			}
			g.names = v
		case ddb.KeyIs(k, "AttributesToGet"):
			if null {
				g.atg = nil
				continue
			}
			if v[0] != '[' {
				return g, false
			}
			g.atg = v
		case ddb.KeyIs(k, "ConsistentRead"):
			switch string(v) {
			case "true":
				g.consistent = true
			case "false", "null":
				g.consistent = false
			default:
				return g, false
			}
		case ddb.KeyIs(k, "ReturnConsumedCapacity"):
			if null {
				g.rcc = nil
				continue
			}
			switch string(v) {
			case `"NONE"`:
				g.rcc = nil
			case `"TOTAL"`, `"INDEXES"`:
				g.rcc = v[1 : len(v)-1]
			default:
				return g, false
			}
		default:
			if oddMember(k, getItemMembers) {
				return g, false
			}
		}
	}
	if it.Err || g.table == nil || g.key == nil {
		return g, false
	}
	return g, true
}

// projection is a validated ProjectionExpression or AttributesToGet.
type projection struct {
	s     *schema     // the schema it was checked against
	valid bool        // false: the backend rejects it (pass the request through)
	paths []expr.Path // the projected paths
	top   []string    // the names, when every path is a top-level name
}

// projMemo remembers valid projections by their raw text, so the hit path
// parses each distinct projection once. Clients choose what goes in, so it
// is bounded by bytes, and keeps only what is likely to be used again:
// invalid projections (their requests go to the backend anyway), texts
// longer than projMemoMaxKey, and texts seen only once (a fixed table of
// hashes remembers first sightings) are parsed every time instead.
type projMemo struct {
	mu    sync.RWMutex
	m     map[string]*projection
	bytes int
	seed  maphash.Seed
	seen  [projSeenSlots]atomic.Uint64
}

const (
	projMemoMaxBytes = 4 << 20
	projMemoMaxKey   = 4 << 10
	projSeenSlots    = 4096
	// projEntryOverhead is the cost charged per memo entry besides twice
	// its text (the key, and the parsed paths and names).
	projEntryOverhead = 256
)

// projection returns g's validated projection (nil when g has none).
func (p *Proxy) projection(s *schema, g *getReq) *projection {
	if g.proj == nil && g.names == nil && g.atg == nil {
		return nil
	}
	bp := getBuf()
	defer putBuf(bp)
	k := append((*bp)[:0], g.table...)
	k = append(k, 0)
	k = append(k, g.proj...)
	k = append(k, 0)
	k = append(k, g.names...)
	k = append(k, 0)
	k = append(k, g.atg...)
	*bp = k
	p.projs.mu.RLock()
	pr := p.projs.m[string(k)]
	p.projs.mu.RUnlock()
	if pr != nil && pr.s == s {
		return pr
	}
	pr = buildProjection(s, g.proj, g.names, g.atg)
	if pr.valid && len(k) <= projMemoMaxKey && p.projs.seenBefore(k) {
		p.projs.add(string(k), pr)
	}
	return pr
}

// seenBefore reports whether k was offered before (as far as the hash
// table remembers), and remembers it.
func (m *projMemo) seenBefore(k []byte) bool {
	h := maphash.Bytes(m.seed, k) | 1 // 0 marks an empty slot
	slot := &m.seen[h%projSeenSlots]
	if slot.Load() == h {
		return true
	}
	slot.Store(h)
	return false
}

func (m *projMemo) add(k string, pr *projection) {
	cost := 2*len(k) + projEntryOverhead
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.m[k]; ok {
		m.m[k] = pr // relearned against a newer schema
		return
	}
	if m.bytes+cost > projMemoMaxBytes {
		m.m = make(map[string]*projection, len(m.m)/4)
		m.bytes = 0
	}
	m.m[k] = pr
	m.bytes += cost
}

// size returns the entries and bytes held (tests).
func (m *projMemo) size() (entries, bytes int) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.m), m.bytes
}

// buildProjection validates a projection as the backend does for GetItem
// (BatchGetItem's KeysAndAttributes follow the same rules), through the
// storage node's own rules (expr.ReadProjection) read by the same JSON
// reader, then the key-path check against s.
func buildProjection(s *schema, projRaw, namesRaw, atgRaw []byte) *projection {
	pr := &projection{s: s}
	var text *string
	var names map[string]string
	var atg []string
	for _, m := range []struct {
		raw []byte
		dst any
	}{{projRaw, &text}, {namesRaw, &names}, {atgRaw, &atg}} {
		if m.raw != nil {
			if err := ddb.Unmarshal(m.raw, m.dst); err != nil {
				return pr
			}
		}
	}
	paths, err := expr.ReadProjection(text, names, atg)
	if err != nil || paths == nil {
		// No projection after all (members given as null) is left to the
		// backend too: rare, and not worth a second code path.
		return pr
	}
	if text != nil && expr.CheckKeyPaths(paths, []string{s.hash, s.rng}, s.indexKeys) != nil {
		return pr
	}
	pr.paths = paths
	pr.valid = true
	top := make([]string, 0, len(pr.paths))
	for _, path := range pr.paths {
		if len(path) != 1 || path[0].IsIndex {
			return pr
		}
		top = append(top, path[0].Name)
	}
	pr.top = top
	return pr
}

// appendProjected appends the projection of the item JSON item to dst.
func appendProjected(dst, item []byte, pr *projection) []byte {
	if pr.top != nil {
		mark := len(dst)
		dst = append(dst, '{')
		first := true
		it := ddb.NewTrustedObjIter(item)
		ok := true
		for it.Next() {
			name, plain := ddb.PlainString(it.Key)
			if !plain {
				ok = false
				break
			}
			want := false
			for _, n := range pr.top {
				if string(name) == n {
					want = true
					break
				}
			}
			if !want {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, it.Key...)
			dst = append(dst, ':')
			dst = append(dst, it.Val...)
		}
		if ok && !it.Err {
			return append(dst, '}')
		}
		dst = dst[:mark]
	}
	full, err := ddb.DecodeItem(item)
	if err != nil {
		return append(dst, "{}"...)
	}
	return ddb.AppendItem(dst, expr.Project(full, pr.paths))
}

var emptyObject = []byte("{}")

const itemPrefix = `{"Item":`

// renderItem builds a GetItem answer from a cache entry: the item (projected)
// and ConsumedCapacity (cc, raw JSON) when given.
func renderItem(e cache.Item, pr *projection, cc []byte) []byte {
	if e.Negative {
		if cc == nil {
			return emptyObject
		}
		b := make([]byte, 0, len(cc)+24)
		b = append(b, `{"ConsumedCapacity":`...)
		b = append(b, cc...)
		return append(b, '}')
	}
	b := make([]byte, 0, len(e.JSON)+len(cc)+32)
	b = append(b, itemPrefix...)
	if pr == nil {
		b = append(b, e.JSON...)
	} else {
		b = appendProjected(b, e.JSON, pr)
	}
	if cc != nil {
		b = append(b, `,"ConsumedCapacity":`...)
		b = append(b, cc...)
	}
	return append(b, '}')
}

// getItem serves GetItem: eventually consistent reads of well-formed
// requests from the item cache, everything else from the backend.
func (p *Proxy) getItem(ctx context.Context, req *wire.Request) ([]byte, error) {
	g, ok := parseGetReq(req.Body)
	if !ok || g.consistent {
		p.m.itemBypass.Add(1)
		return p.bypass(ctx, req)
	}
	s := p.schemas.cached(g.table)
	if s == nil {
		if s = p.schemas.get(ctx, string(g.table), req.Region, req.AccessKey); s == nil {
			p.m.itemBypass.Add(1)
			return p.bypass(ctx, req)
		}
	}
	var pr *projection
	if g.proj != nil || g.names != nil || g.atg != nil {
		if pr = p.projection(s, &g); !pr.valid {
			p.m.itemBypass.Add(1)
			return p.bypass(ctx, req)
		}
	}
	bp := getBuf()
	kb, ok := appendItemKey((*bp)[:0], s, g.key)
	*bp = kb
	var key string
	if ok {
		key = string(kb)
	} else if key, ok = slowItemKey(s, g.key); !ok {
		putBuf(bp)
		p.m.itemBypass.Add(1)
		return p.bypassBadKey(ctx, req, s)
	}
	putBuf(bp)
	epoch, routed, out, err := p.routeGet(ctx, req, key)
	if routed {
		return out, err
	}
	if e, hit := p.items.Get(key); hit {
		p.m.itemHits.Add(1)
		if e.Negative {
			p.m.itemNegHits.Add(1)
		}
		setCache(req, cacheHit)
		var cc []byte
		if g.rcc != nil {
			cc = appendCapacity(nil, g.tableRaw, g.rcc, readUnits(e.JSON, e.Negative))
		}
		return renderItem(e, pr, cc), nil
	}
	out, err = p.fillItem(ctx, req, &g, key, pr)
	p.afterFill(key, epoch)
	return out, err
}

// fillItem answers a GetItem miss: it fetches the full item (no projection),
// fills the cache (a negative entry for "not found") and answers with the
// caller's projection applied.
func (p *Proxy) fillItem(ctx context.Context, req *wire.Request, g *getReq, key string, pr *projection) ([]byte, error) {
	p.m.itemMisses.Add(1)
	setCache(req, cacheMiss)
	body := make([]byte, 0, len(g.tableRaw)+len(g.key)+64)
	body = append(body, `{"TableName":`...)
	body = append(body, g.tableRaw...)
	body = append(body, `,"Key":`...)
	body = append(body, g.key...)
	if g.rcc != nil {
		body = append(body, `,"ReturnConsumedCapacity":"`...)
		body = append(body, g.rcc...)
		body = append(body, '"')
	}
	body = append(body, '}')
	f := p.items.BeginFill(key)
	open := true
	defer func() {
		if open { // a panic unwinds the request: close the fill, drop the key
			p.items.Abandon(f)
			p.items.Invalidate(key)
		}
	}()
	status, out, err := p.callReq(ctx, req, body)
	if err != nil {
		open = false
		p.items.Abandon(f)
		return nil, errBackend()
	}
	if status != 200 {
		open = false
		p.items.Abandon(f)
		p.noteError(req.Body, out, true)
		return answer(status, out)
	}
	var itemRaw, cc []byte
	it := ddb.NewObjIter(out)
	for it.Next() {
		switch {
		case ddb.KeyIs(it.Key, "Item"):
			itemRaw = it.Val
		case ddb.KeyIs(it.Key, "ConsumedCapacity"):
			cc = it.Val
		}
	}
	if it.Err || (itemRaw != nil && itemRaw[0] != '{' && !ddb.IsNull(itemRaw)) {
		// Not an answer the proxy understands: pass it on, cache nothing.
		open = false
		p.items.Abandon(f)
		return out, nil
	}
	var e cache.Item
	if itemRaw == nil || ddb.IsNull(itemRaw) {
		e.Negative = true
	} else {
		e.JSON = itemRaw // out is ours and never modified: share it
	}
	open = false
	if !p.items.Complete(f, e) {
		p.m.fillsDropped.Add(1)
	}
	if pr == nil {
		return out, nil
	}
	return renderItem(e, pr, cc), nil
}

// slowItemKey decodes a raw key the fast path did not take (escapes, null
// members, non-canonical numbers …) and returns its item-cache key when it
// is exactly a valid primary key of s.
func slowItemKey(s *schema, raw []byte) (string, bool) {
	k, err := ddb.DecodeItem(raw)
	if err != nil || ddb.ItemProblem(k) != "" {
		return "", false
	}
	want := 1
	if s.rng != "" {
		want = 2
	}
	if len(k) != want {
		return "", false
	}
	return itemKeyOf(s, k)
}

// bypassBadKey passes through a GetItem whose key does not match the
// learned schema. If the backend accepts it anyway, the schema is out of
// date (the table was recreated): forget it.
func (p *Proxy) bypassBadKey(ctx context.Context, req *wire.Request, s *schema) ([]byte, error) {
	setCache(req, cacheBypass)
	status, body, err := p.callReq(ctx, req, nil)
	if err != nil {
		return nil, errBackend()
	}
	if status == 200 {
		p.tableGone(s.table)
	} else {
		p.noteError(req.Body, body, false)
	}
	return answer(status, body)
}
