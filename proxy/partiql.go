package proxy

import (
	"context"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/partiql"
)

// PartiQL: SELECTs pass through uncached (as DAX, which does not serve
// PartiQL at all). INSERT, UPDATE and DELETE are forwarded; whatever the
// answer, the written item's key is invalidated when the statement names
// the full key (UPDATE and DELETE must; INSERT carries the item), else the
// whole table's entries are. Query-cache generations are bumped either way.

type pqlStatement struct {
	Statement  *string
	Parameters []ddb.Value
}

func (p *Proxy) partiQL(ctx context.Context, req *wire.Request) ([]byte, error) {
	var stmts []pqlStatement
	var ws writeSet
	switch req.Operation {
	case "ExecuteStatement":
		var in pqlStatement
		if ddb.Unmarshal(req.Body, &in) == nil {
			stmts = append(stmts, in)
		} else {
			ws.unreadable = true
		}
	case "BatchExecuteStatement":
		var in struct{ Statements []pqlStatement }
		if ddb.Unmarshal(req.Body, &in) == nil {
			stmts = in.Statements
		} else {
			ws.unreadable = true
		}
	case "ExecuteTransaction":
		var in struct{ TransactStatements []pqlStatement }
		if ddb.Unmarshal(req.Body, &in) == nil {
			stmts = in.TransactStatements
		} else {
			ws.unreadable = true
		}
	}
	for _, st := range stmts {
		p.pqlWrite(ctx, req, &ws, st)
	}
	for i := range ws.items {
		ws.items[i].invalidate = true
	}
	return p.writeAnswer(p.sendWritePQL(ctx, req, &ws))
}

// sendWritePQL forwards a PartiQL call: the keys it writes are invalidated
// whatever the answer (a failed statement of a batch does not fail the
// call, so success says little about each statement).
func (p *Proxy) sendWritePQL(ctx context.Context, req *wire.Request, ws *writeSet) (int, []byte, error) {
	p.begin(ws)
	defer p.closeWrites(ws)
	status, out, err := p.callReq(ctx, req, nil)
	if err == nil && status != 200 {
		ws.unreadable = false // refused: nothing was written
	}
	p.finish(ws, unknown)
	return status, out, err
}

// pqlWrite adds what one statement writes to ws.
func (p *Proxy) pqlWrite(ctx context.Context, req *wire.Request, ws *writeSet, in pqlStatement) {
	if in.Statement == nil {
		return
	}
	st, err := partiql.Parse(*in.Statement)
	if err != nil || st == nil {
		return // the backend refuses it too
	}
	switch st.Kind {
	case partiql.Insert, partiql.Update, partiql.Delete:
	default:
		return
	}
	table := st.Table
	s := p.schemas.get(ctx, table, req.Region, req.AccessKey)
	if s == nil {
		return // nothing of the table is cached
	}
	key := ddb.Item{}
	switch st.Kind {
	case partiql.Insert:
		v, missing, err := partiql.Value(st.Value, in.Parameters)
		if err == nil && !missing && v.T == ddb.TypeM {
			key = v.M
		}
	default:
		for _, term := range partiql.Conjuncts(st.Where) {
			name, ve, ok := partiql.Equality(term)
			if !ok || !s.isKeyAttr(name) {
				continue
			}
			if _, dup := key[name]; dup {
				key = ddb.Item{} // two equalities on one key attribute: give up
				break
			}
			v, missing, err := partiql.Value(ve, in.Parameters)
			if err != nil || missing {
				continue
			}
			key[name] = v
		}
	}
	if k, ok := itemKeyOf(s, key); ok {
		ws.items = append(ws.items, itemWrite{table: table, key: k, invalidate: true})
		return
	}
	addName(&ws.tables, table)
}
