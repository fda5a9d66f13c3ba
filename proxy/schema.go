package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// schema is what the proxy knows of a table: its key attributes (to build
// item keys) and the key attributes of its indexes (to check projections
// as the backend does).
type schema struct {
	table       string
	hash, rng   string   // rng is "" for a hash-only table
	hashT, rngT ddb.Type // S, N or B
	indexKeys   []string // key attributes of secondary indexes
	// indexHash holds each index's partition key attributes (for
	// dynamodb:LeadingKeys of index Queries).
	indexHash    map[string][]string
	learned      time.Time
	indexesByKey map[string]struct{}
	// uses counts lookups, so the freshness check reads the clock only
	// now and then.
	uses atomic.Uint32
	// arn is the table's TableArn as the backend reported it (account and
	// region included): a request naming the table by another ARN is not
	// taken for this table.
	arn string
	// id tells table incarnations apart (TableId, else CreationDateTime):
	// a refresh that finds another id drops the table's cached entries.
	id string
}

// isKeyAttr reports whether name is a key attribute of the table.
func (s *schema) isKeyAttr(name string) bool { return name == s.hash || (s.rng != "" && name == s.rng) }

// schemas caches key schemas learned with DescribeTable.
type schemas struct {
	p   *Proxy
	ttl time.Duration

	mu         sync.RWMutex
	m          map[string]*schema
	ever       map[string]bool // tables whose schema was ever learned
	inflight   map[string]*schemaCall
	refreshing map[string]bool
	// missing remembers tables DescribeTable did not find, for a moment, so
	// requests naming a table that does not exist cost one backend call,
	// not two.
	missing map[string]time.Duration

	// Background refreshes: bg is cancelled by close, which waits for wg.
	bg     context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup
	closed bool // under mu: no new refreshes
}

const (
	missingTTL = time.Second
	missingMax = 1024
	// maxSchemas bounds the schemas held (and maxSchemas*2 the tables
	// remembered as seen): past it, the proxy forgets some table, entries
	// and all, as if it had been deleted.
	maxSchemas = 1 << 16
)

type schemaCall struct {
	done chan struct{}
	s    *schema
}

func newSchemas(p *Proxy, ttl time.Duration) *schemas {
	bg, stop := context.WithCancel(context.Background())
	return &schemas{p: p, ttl: ttl, m: map[string]*schema{}, ever: map[string]bool{}, inflight: map[string]*schemaCall{},
		refreshing: map[string]bool{}, missing: map[string]time.Duration{}, bg: bg, stop: stop}
}

// close stops background refreshes and waits for those running.
func (c *schemas) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.stop()
	c.wg.Wait()
}

// cached returns the cached schema of table, if any. It does not allocate
// (table may be a view of request bytes). A schema older than the TTL is
// still returned, and refreshed in the background.
func (c *schemas) cached(table []byte) *schema {
	c.mu.RLock()
	s := c.m[string(table)]
	c.mu.RUnlock()
	if s != nil && c.ttl > 0 && s.uses.Add(1)%256 == 0 && c.p.now().Sub(s.learned) > c.ttl {
		c.refresh(s)
	}
	return s
}

// refresh asks DescribeTable again in the background. A table found gone,
// recreated (another TableId) or with another key schema loses its cached
// items and queries.
func (c *schemas) refresh(old *schema) {
	c.mu.Lock()
	if c.closed || c.refreshing[old.table] || c.m[old.table] != old {
		c.mu.Unlock()
		return
	}
	c.refreshing[old.table] = true
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				c.p.log.Error("panic in schema refresh", "table", old.table, "panic", r)
				c.mu.Lock()
				delete(c.refreshing, old.table)
				c.mu.Unlock()
			}
		}()
		ctx, cancel := context.WithTimeout(c.bg, 30*time.Second)
		defer cancel()
		s, gone := c.describe(ctx, old.table, "", "")
		c.mu.Lock()
		delete(c.refreshing, old.table)
		cur := c.m[old.table]
		switch {
		case cur != old:
			// Forgotten or replaced meanwhile: leave it.
		case s != nil:
			c.m[old.table] = s
		case gone:
			delete(c.m, old.table)
		default:
			// No answer: keep the old schema, try again later.
			old.learned = c.p.now()
		}
		c.mu.Unlock()
		switch {
		case cur == old && gone:
			c.p.tableGone(old.table)
		case cur == old && s != nil && !sameIncarnation(old, s):
			c.p.dropTable(old.table)
		}
	}()
}

func sameIncarnation(a, b *schema) bool {
	return a.id == b.id && a.hash == b.hash && a.rng == b.rng && a.hashT == b.hashT && a.rngT == b.rngT
}

// get returns table's schema, asking the backend (DescribeTable) when it is
// not cached. nil means unknown: the table does not exist, or the backend
// did not say; callers then pass the request through unchanged.
func (c *schemas) get(ctx context.Context, table string, region, access string) *schema {
	if s := c.cached([]byte(table)); s != nil {
		return s
	}
	c.mu.Lock()
	if s := c.m[table]; s != nil {
		c.mu.Unlock()
		return s
	}
	if at, ok := c.missing[table]; ok && mono()-at < missingTTL {
		c.mu.Unlock()
		return nil
	}
	if call := c.inflight[table]; call != nil {
		c.mu.Unlock()
		select {
		case <-call.done:
			return call.s
		case <-ctx.Done():
			return nil
		}
	}
	call := &schemaCall{done: make(chan struct{})}
	c.inflight[table] = call
	c.mu.Unlock()

	s, gone := c.describe(ctx, table, region, access)
	var victims []string
	c.mu.Lock()
	delete(c.inflight, table)
	if s != nil {
		c.m[table] = s
		c.ever[table] = true
		victims = c.overLimitLocked(table)
	} else if gone {
		if len(c.missing) >= missingMax {
			clear(c.missing)
		}
		c.missing[table] = mono()
	}
	c.mu.Unlock()
	call.s = s
	close(call.done)
	for _, v := range victims {
		c.p.forgetTableState(v)
	}
	return s
}

// overLimitLocked drops schemas and seen tables beyond the bounds (never
// keep) and returns the tables whose cached state must go. c.mu is held.
func (c *schemas) overLimitLocked(keep string) []string {
	var victims []string
	for t := range c.m {
		if len(c.m) <= maxSchemas {
			break
		}
		if t != keep {
			delete(c.m, t)
			delete(c.ever, t)
			victims = append(victims, t)
		}
	}
	for t := range c.ever {
		if len(c.ever) <= 2*maxSchemas {
			break
		}
		if _, live := c.m[t]; !live {
			delete(c.ever, t)
			victims = append(victims, t)
		}
	}
	return victims
}

// gone forgets everything of table — its schema and that it was ever
// seen — and reports whether it was seen (may have cached entries).
func (c *schemas) gone(table string) bool {
	c.mu.Lock()
	_, had := c.m[table]
	seen := c.ever[table]
	delete(c.m, table)
	delete(c.missing, table)
	delete(c.ever, table)
	c.mu.Unlock()
	if had {
		c.p.m.schemaForgets.Add(1)
	}
	return seen
}

// counts returns the number of schemas held and of tables seen (tests).
func (c *schemas) counts() (held, seen int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m), len(c.ever)
}

// forget drops the cached schema of table and reports whether there was one.
func (c *schemas) forget(table string) bool {
	c.mu.Lock()
	_, had := c.m[table]
	delete(c.m, table)
	delete(c.missing, table)
	c.mu.Unlock()
	if had {
		c.p.m.schemaForgets.Add(1)
	}
	return had
}

type describeOut struct {
	Table *struct {
		TableName            string
		TableArn             string
		TableId              string
		CreationDateTime     json.Number
		KeySchema            []keyElem
		AttributeDefinitions []struct{ AttributeName, AttributeType string }
		GlobalSecondaryIndexes,
		LocalSecondaryIndexes []struct {
			IndexName string
			KeySchema []keyElem
		}
	}
}

type keyElem struct{ AttributeName, KeyType string }

// describe asks the backend for table's schema. gone reports a
// ResourceNotFoundException answer.
func (c *schemas) describe(ctx context.Context, table, region, access string) (s *schema, gone bool) {
	c.p.m.schemaLookups.Add(1)
	body, _ := json.Marshal(struct{ TableName string }{table})
	status, out, err := c.p.call(ctx, &Call{Prefix: wire.PrefixDynamoDB, Operation: "DescribeTable", Body: body, Region: region, AccessKey: access})
	if err != nil {
		return nil, false
	}
	if status != 200 {
		return nil, isErrorType(out, "ResourceNotFoundException")
	}
	s, err = parseDescribe(out)
	if err != nil {
		c.p.log.Warn("cannot read DescribeTable answer", "table", table, "err", err)
		return nil, false
	}
	s.table = table
	s.learned = c.p.now()
	return s, false
}

func parseDescribe(out []byte) (*schema, error) {
	var d describeOut
	if err := ddb.Unmarshal(out, &d); err != nil {
		return nil, err
	}
	if d.Table == nil {
		return nil, errors.New("no Table")
	}
	types := map[string]ddb.Type{}
	for _, a := range d.Table.AttributeDefinitions {
		if t, ok := ddb.TypeFromString(a.AttributeType); ok && (t == ddb.TypeS || t == ddb.TypeN || t == ddb.TypeB) {
			types[a.AttributeName] = t
		}
	}
	s := &schema{indexesByKey: map[string]struct{}{}, id: d.Table.TableId, arn: d.Table.TableArn}
	if s.id == "" {
		s.id = d.Table.CreationDateTime.String()
	}
	for _, k := range d.Table.KeySchema {
		t, ok := types[k.AttributeName]
		if !ok {
			return nil, errors.New("key attribute " + k.AttributeName + " has no type")
		}
		switch strings.ToUpper(k.KeyType) {
		case "HASH":
			s.hash, s.hashT = k.AttributeName, t
		case "RANGE":
			s.rng, s.rngT = k.AttributeName, t
		}
	}
	if s.hash == "" {
		return nil, errors.New("no HASH key")
	}
	add := func(ks []keyElem) {
		for _, k := range ks {
			if _, dup := s.indexesByKey[k.AttributeName]; !dup {
				s.indexesByKey[k.AttributeName] = struct{}{}
				s.indexKeys = append(s.indexKeys, k.AttributeName)
			}
		}
	}
	s.indexHash = map[string][]string{}
	for _, ixs := range [][]struct {
		IndexName string
		KeySchema []keyElem
	}{d.Table.GlobalSecondaryIndexes, d.Table.LocalSecondaryIndexes} {
		for _, ix := range ixs {
			add(ix.KeySchema)
			for _, k := range ix.KeySchema {
				if strings.EqualFold(k.KeyType, "HASH") {
					s.indexHash[ix.IndexName] = append(s.indexHash[ix.IndexName], k.AttributeName)
				}
			}
		}
	}
	return s, nil
}

// seen reports whether table's schema was ever learned: only such tables
// can have cached entries.
func (c *schemas) seen(table string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.ever[table]
}

// everSeen returns the tables whose schema was ever learned.
func (c *schemas) everSeen() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, 0, len(c.ever))
	for t := range c.ever {
		out = append(out, t)
	}
	return out
}

// cachedName is cached for a string name.
func (c *schemas) cachedName(table string) *schema {
	c.mu.RLock()
	s := c.m[table]
	c.mu.RUnlock()
	return s
}
