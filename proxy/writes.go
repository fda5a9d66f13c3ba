package proxy

import (
	"context"

	"github.com/dynax/dynax/cache"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/expr"
)

// Write-through. Every write of a known item registers with the item cache
// (BeginWrite) before it is forwarded, and ends after the answer:
//
//   - success: the new image is installed (CompleteWrite: the request's Item
//     for PutItem, the ALL_NEW image for UpdateItem, a negative entry for a
//     delete), or the key is invalidated when the image is unknown; two
//     writes of one key that overlap in time invalidate it instead, since
//     their order at the backend is unknown;
//   - a failed condition or a cancelled transaction changed nothing
//     (CancelWrite);
//   - any other error, a 5xx, a timeout or a broken connection invalidate
//     the key (AbortWrite): the proxy never guesses an outcome.
//
// Query-cache generations of the written items' partitions are bumped after
// every write that may have changed something.

// itemWrite is one item a request writes.
type itemWrite struct {
	table string
	key   string
	image cache.Item
	// invalidate: the new image is unknown (UpdateItem asking for old
	// values, transactional updates, idempotent replays): drop the key.
	invalidate bool
	w          cache.Write
}

// writeSet is the items (and tables, when keys are unknown) a request writes.
type writeSet struct {
	items []itemWrite
	// tables are written at keys the proxy cannot tell (PartiQL): all
	// their entries go, whatever the answer.
	tables []string
	// mismatched are tables whose learned schema did not fit a written
	// key: if the backend took the write anyway, the schema is stale.
	mismatched []string
	// open: begun and not yet finished (see closeWrites).
	open bool
	// unreadable: the request could not be decoded, so what it writes is
	// unknown; if the backend took it anyway (it may read JSON more
	// leniently), every table's entries go.
	unreadable bool
}

func addName(list *[]string, t string) {
	for _, x := range *list {
		if x == t {
			return
		}
	}
	*list = append(*list, t)
}

// begin registers the writes with the item cache.
func (p *Proxy) begin(ws *writeSet) {
	ws.open = true
	for i := range ws.items {
		ws.items[i].w = p.items.BeginWrite(ws.items[i].key)
	}
}

// outcome classifies a write's answer.
type outcome int

const (
	applied   outcome = iota // 200
	unchanged                // a failed condition or cancelled transaction: nothing written
	rejected                 // any other 4xx: an error, keys are invalidated
	unknown                  // 5xx or no answer: maybe written
)

func writeOutcome(status int, body []byte, err error) outcome {
	switch {
	case err != nil || status >= 500:
		return unknown
	case status == 200:
		return applied
	case isErrorType(body, "ConditionalCheckFailedException") || isErrorType(body, "TransactionCanceledException"):
		return unchanged
	}
	return rejected
}

// finish ends the writes of ws after an answer.
func (p *Proxy) finish(ws *writeSet, o outcome) {
	ws.open = false
	for i := range ws.items {
		iw := &ws.items[i]
		switch {
		case o == unchanged:
			p.items.CancelWrite(iw.w)
			continue
		case o == applied && !iw.invalidate:
			if !p.items.CompleteWrite(iw.w, iw.image) {
				p.m.writeInvalidations.Add(1)
			}
		default:
			p.items.AbortWrite(iw.w)
			p.m.writeInvalidations.Add(1)
		}
		p.gens.Bump(iw.table, partitionOf(iw.key))
	}
	if o != unchanged {
		for _, t := range ws.tables {
			if p.schemas.seen(t) {
				p.dropTable(t)
			}
		}
	}
	if o == applied || o == unknown {
		for _, t := range ws.mismatched {
			p.tableGone(t)
		}
		if ws.unreadable {
			for _, t := range p.schemas.everSeen() {
				p.dropTable(t)
			}
		}
	}
	p.afterWrite(ws, o)
}

// closeWrites ends ws as an unknown outcome (keys invalidated) if it was
// begun and never finished: deferred after begin, it closes the write
// records when a panic unwinds the request.
func (p *Proxy) closeWrites(ws *writeSet) {
	if ws.open {
		p.finish(ws, unknown)
	}
}

// sendWrite forwards a write (body, or the caller's when nil) with ws
// registered, and ends ws by the answer. It returns the raw answer.
func (p *Proxy) sendWrite(ctx context.Context, req *wire.Request, body []byte, ws *writeSet) (int, []byte, error) {
	p.begin(ws)
	defer p.closeWrites(ws)
	status, out, err := p.callReq(ctx, req, body)
	p.finish(ws, writeOutcome(status, out, err))
	if err == nil && status != 200 {
		p.noteError(req.Body, out, len(ws.items) > 0 && len(ws.mismatched) == 0)
	}
	return status, out, err
}

// keyFor returns the table and item-cache key of a decoded key or item
// named by tableName, or "" (recording the table when its learned schema
// does not fit). own is false when tableName is an ARN that is not exactly
// the learned table's (another account or region): the backend may still
// resolve it to this table (the storage node takes any region of its
// account), or write another account's table of the same name, so such a
// write may only invalidate, never install.
func (p *Proxy) keyFor(ctx context.Context, req *wire.Request, ws *writeSet, tableName string, it ddb.Item, exactKey bool) (table, key string, own bool) {
	table, isARN := tableFromName(tableName)
	if table == "" {
		return "", "", false
	}
	s := p.schemas.get(ctx, table, req.Region, req.AccessKey)
	if s == nil {
		return "", "", false // nothing of the table is cached
	}
	own = !isARN || (s.arn != "" && tableName == s.arn)
	if ddb.ItemProblem(it) == "" && (!exactKey || len(it) == keyLen(s)) {
		if k, ok := itemKeyOf(s, it); ok {
			return table, k, own
		}
	}
	// The backend should refuse this item; if it does not, the learned
	// schema is stale.
	addName(&ws.mismatched, table)
	return "", "", false
}

// addWrite adds the write of item (or key, exactKey) it of tableName to
// ws: image is installed on success unless invalidate, or the table is
// named by a foreign ARN (keyFor). It returns the key ("" for none).
func (p *Proxy) addWrite(ctx context.Context, req *wire.Request, ws *writeSet, tableName string, it ddb.Item, exactKey bool, image cache.Item, invalidate bool) string {
	table, k, own := p.keyFor(ctx, req, ws, tableName, it, exactKey)
	if k == "" {
		return ""
	}
	ws.items = append(ws.items, itemWrite{table: table, key: k, image: image, invalidate: invalidate || !own})
	return k
}

func keyLen(s *schema) int {
	if s.rng != "" {
		return 2
	}
	return 1
}

func (p *Proxy) putItem(ctx context.Context, req *wire.Request) ([]byte, error) {
	var in struct {
		TableName string
		Item      ddb.ItemJSON
	}
	var ws writeSet
	if err := ddb.Unmarshal(req.Body, &in); err != nil {
		ws.unreadable = true
	} else if in.Item.Item != nil {
		p.addWrite(ctx, req, &ws, in.TableName, in.Item.Item, false, cache.Item{JSON: ddb.AppendItem(nil, in.Item.Item)}, false)
	}
	return p.writeAnswer(p.sendWrite(ctx, req, nil, &ws))
}

func (p *Proxy) writeAnswer(status int, out []byte, err error) ([]byte, error) {
	if err != nil {
		return nil, errBackend()
	}
	return answer(status, out)
}

func (p *Proxy) deleteItem(ctx context.Context, req *wire.Request) ([]byte, error) {
	var in struct {
		TableName string
		Key       ddb.ItemJSON
	}
	var ws writeSet
	if err := ddb.Unmarshal(req.Body, &in); err != nil {
		ws.unreadable = true
	} else if in.Key.Item != nil {
		p.addWrite(ctx, req, &ws, in.TableName, in.Key.Item, true, cache.Item{Negative: true}, false)
	}
	return p.writeAnswer(p.sendWrite(ctx, req, nil, &ws))
}

type updateIn struct {
	TableName        string
	Key              ddb.ItemJSON
	ReturnValues     *string
	UpdateExpression *string
	AttributeUpdates map[string]*struct {
		Action *string
		Value  *ddb.Value
	}
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues *ddb.ItemJSON
}

// updateItem forwards an UpdateItem. For ReturnValues NONE, ALL_NEW and
// UPDATED_NEW it asks the backend for ALL_NEW, caches that image and gives
// the caller exactly what it asked for; for the old-image variants it
// forwards the request unchanged and invalidates the key.
func (p *Proxy) updateItem(ctx context.Context, req *wire.Request) ([]byte, error) {
	var in updateIn
	var ws writeSet
	if err := ddb.Unmarshal(req.Body, &in); err != nil || in.Key.Item == nil {
		ws.unreadable = err != nil
		return p.writeAnswer(p.sendWrite(ctx, req, nil, &ws))
	}
	table, k, own := p.keyFor(ctx, req, &ws, in.TableName, in.Key.Item, true)
	if k == "" {
		return p.writeAnswer(p.sendWrite(ctx, req, nil, &ws))
	}
	rv := "NONE"
	if in.ReturnValues != nil {
		rv = *in.ReturnValues
	}
	var paths []expr.Path
	rewrite := own && (rv == "NONE" || rv == "ALL_NEW" || rv == "UPDATED_NEW")
	if rewrite && rv == "UPDATED_NEW" {
		var ok bool
		if paths, ok = updatePaths(&in); !ok {
			rewrite = false
		}
	}
	if !rewrite {
		ws.items = append(ws.items, itemWrite{table: table, key: k, invalidate: true})
		return p.writeAnswer(p.sendWrite(ctx, req, nil, &ws))
	}
	body, ok := ddb.WithoutMembers(make([]byte, 0, len(req.Body)+32), req.Body, "ReturnValues")
	if !ok {
		ws.items = append(ws.items, itemWrite{table: table, key: k, invalidate: true})
		return p.writeAnswer(p.sendWrite(ctx, req, nil, &ws))
	}
	body = body[:len(body)-1]
	if len(body) > 1 {
		body = append(body, ',')
	}
	body = append(body, `"ReturnValues":"ALL_NEW"}`...)

	ws.items = append(ws.items, itemWrite{table: table, key: k})
	iw := &ws.items[0]
	p.begin(&ws)
	defer p.closeWrites(&ws)
	status, out, err := p.callReq(ctx, req, body)
	o := writeOutcome(status, out, err)
	var attrs []byte
	if o == applied {
		attrs = ddb.Member(out, "Attributes")
		// Install only what the answer proves: an image whose own key is
		// the request's key (anything else and the key is invalidated).
		s := p.schemas.cachedName(table)
		if attrs == nil || attrs[0] != '{' || s == nil {
			iw.invalidate = true
		} else if ik, ok := itemKeyFromJSON(s, attrs); !ok || ik != k {
			iw.invalidate = true
		} else {
			iw.image = cache.Item{JSON: append([]byte(nil), attrs...)}
		}
	}
	p.finish(&ws, o)
	if err != nil {
		return nil, errBackend()
	}
	if status != 200 {
		p.noteError(req.Body, out, true)
		return answer(status, out)
	}
	return shapeUpdate(out, attrs, rv, paths), nil
}

// updatePaths returns the paths an update writes (for UPDATED_NEW).
func updatePaths(in *updateIn) ([]expr.Path, bool) {
	switch {
	case in.UpdateExpression != nil:
		var values ddb.Item
		if in.ExpressionAttributeValues != nil {
			values = in.ExpressionAttributeValues.Item
		}
		u, err := expr.ParseUpdate(*in.UpdateExpression, expr.NewAttrs(in.ExpressionAttributeNames, values))
		if err != nil {
			return nil, false
		}
		return u.Paths(), true
	case in.AttributeUpdates != nil:
		m := make(map[string]expr.AttributeUpdate, len(in.AttributeUpdates))
		for k, u := range in.AttributeUpdates {
			if u == nil {
				continue
			}
			au := expr.AttributeUpdate{Value: u.Value}
			if u.Action != nil {
				au.Action = *u.Action
			}
			m[k] = au
		}
		u, err := expr.LegacyUpdate(m)
		if err != nil {
			return nil, false
		}
		return u.Paths(), true
	}
	return nil, true
}

// shapeUpdate turns the backend's ALL_NEW answer into the one the caller
// asked for.
func shapeUpdate(out, attrs []byte, rv string, paths []expr.Path) []byte {
	switch rv {
	case "ALL_NEW":
		return out
	case "NONE":
		if attrs == nil {
			return out
		}
		b, ok := ddb.WithoutMembers(nil, out, "Attributes")
		if !ok {
			return out
		}
		return b
	}
	// UPDATED_NEW: ALL_NEW projected on the updated paths.
	var proj []byte
	if attrs != nil && len(paths) > 0 {
		full, err := ddb.DecodeItem(attrs)
		if err == nil {
			if pi := expr.Project(full, paths); len(pi) > 0 {
				proj = ddb.AppendItem(nil, pi)
			}
		}
	}
	b := make([]byte, 0, len(out))
	b = append(b, '{')
	if proj != nil {
		b = append(b, `"Attributes":`...)
		b = append(b, proj...)
	}
	it := ddb.NewObjIter(out)
	for it.Next() {
		if ddb.KeyIs(it.Key, "Attributes") {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, it.Key...)
		b = append(b, ':')
		b = append(b, it.Val...)
	}
	return append(b, '}')
}
