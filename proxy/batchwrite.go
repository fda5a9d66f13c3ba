package proxy

import (
	"context"

	"github.com/dynax/dynax/cache"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

type writeRequest struct {
	PutRequest *struct {
		Item ddb.ItemJSON
	}
	DeleteRequest *struct {
		Key ddb.ItemJSON
	}
}

// batchWriteItem forwards a BatchWriteItem; processed puts and deletes
// update the item cache, UnprocessedItems change nothing.
func (p *Proxy) batchWriteItem(ctx context.Context, req *wire.Request) ([]byte, error) {
	var in struct {
		RequestItems map[string][]writeRequest
	}
	var ws writeSet
	if ddb.Unmarshal(req.Body, &in) != nil {
		ws.unreadable = true
	} else {
		for table, reqs := range in.RequestItems {
			for _, wr := range reqs {
				switch {
				case wr.PutRequest != nil && wr.DeleteRequest == nil && wr.PutRequest.Item.Item != nil:
					p.addWrite(ctx, req, &ws, table, wr.PutRequest.Item.Item, false, cache.Item{JSON: ddb.AppendItem(nil, wr.PutRequest.Item.Item)}, false)
				case wr.DeleteRequest != nil && wr.PutRequest == nil && wr.DeleteRequest.Key.Item != nil:
					p.addWrite(ctx, req, &ws, table, wr.DeleteRequest.Key.Item, true, cache.Item{Negative: true}, false)
				}
			}
		}
	}
	p.begin(&ws)
	defer p.closeWrites(&ws)
	status, out, err := p.callReq(ctx, req, nil)
	o := writeOutcome(status, out, err)
	if o != applied {
		p.finish(&ws, o)
		if err != nil {
			return nil, errBackend()
		}
		p.noteError(req.Body, out, false)
		return answer(status, out)
	}
	// Unprocessed writes did not happen: end them without a change.
	var resp struct {
		UnprocessedItems map[string][]writeRequest
	}
	if ddb.Unmarshal(out, &resp) != nil {
		p.finish(&ws, unknown)
		return out, nil
	}
	skip := map[string]bool{}
	for table, reqs := range resp.UnprocessedItems {
		name, _ := tableFromName(table)
		s := p.schemas.cachedName(name)
		for _, wr := range reqs {
			var it ddb.Item
			switch {
			case wr.PutRequest != nil:
				it = wr.PutRequest.Item.Item
			case wr.DeleteRequest != nil:
				it = wr.DeleteRequest.Key.Item
			}
			if s == nil || it == nil {
				continue
			}
			if k, ok := itemKeyOf(s, it); ok {
				skip[k] = true
			}
		}
	}
	var done, notDone writeSet
	done.tables, done.mismatched, done.unreadable = ws.tables, ws.mismatched, ws.unreadable
	for _, iw := range ws.items {
		if skip[iw.key] {
			notDone.items = append(notDone.items, iw)
		} else {
			done.items = append(done.items, iw)
		}
	}
	ws.open = false // done and notDone take over
	p.finish(&notDone, unchanged)
	p.finish(&done, applied)
	return out, nil
}

// transactWriteItems forwards a TransactWriteItems. On success Puts install
// their item, Deletes a negative entry, Updates invalidate their key and
// ConditionChecks change nothing; a cancelled transaction changes nothing;
// any other error or unknown outcome invalidates every written key. With a
// ClientRequestToken the call may be a replay of a transaction that
// committed earlier, so its images are not installed (keys invalidated).
func (p *Proxy) transactWriteItems(ctx context.Context, req *wire.Request) ([]byte, error) {
	type keyed struct {
		TableName string
		Key       ddb.ItemJSON
	}
	var in struct {
		TransactItems []struct {
			Put *struct {
				TableName string
				Item      ddb.ItemJSON
			}
			Delete *keyed
			Update *keyed
		}
		ClientRequestToken *string
	}
	var ws writeSet
	if ddb.Unmarshal(req.Body, &in) != nil {
		ws.unreadable = true
	} else {
		replay := in.ClientRequestToken != nil
		for _, ti := range in.TransactItems {
			switch {
			case ti.Put != nil && ti.Put.Item.Item != nil:
				p.addWrite(ctx, req, &ws, ti.Put.TableName, ti.Put.Item.Item, false, cache.Item{JSON: ddb.AppendItem(nil, ti.Put.Item.Item)}, replay)
			case ti.Delete != nil && ti.Delete.Key.Item != nil:
				p.addWrite(ctx, req, &ws, ti.Delete.TableName, ti.Delete.Key.Item, true, cache.Item{Negative: true}, replay)
			case ti.Update != nil && ti.Update.Key.Item != nil:
				p.addWrite(ctx, req, &ws, ti.Update.TableName, ti.Update.Key.Item, true, cache.Item{}, true)
			}
		}
	}
	return p.writeAnswer(p.sendWrite(ctx, req, nil, &ws))
}
