package store

import (
	"fmt"
	"slices"
	"time"
)

// Delayed catalog changes (Options.CreateDelay): a CREATING table turning
// ACTIVE and a DELETING table being dropped. Each table has at most one
// pending change, kept in catalog.pending by table ID and removed once it
// is applied or the table is gone, so the map holds no more entries than
// there are tables in transition.
//
// A change whose commit fails is not dropped: it is logged and retried with
// exponential backoff (retryBase doubling up to retryMax) until it commits,
// the table goes away or the node closes. Until then the catalog, and so
// DescribeTable, keeps showing the state that is actually committed
// (CREATING or DELETING), and StuckTables lists the table with its last
// error. A change still pending at Close is finished when the node opens
// again: loadCatalog turns CREATING into ACTIVE and completes DELETING.
//
// Note on Pebble: an I/O error on the write-ahead log is sticky (every
// later commit of that engine fails, through Logger.Fatalf, which the
// node's logger turns into a panic), so after such a fault retries can only
// report the stuck state; the change completes on the next Open. Retries
// do complete changes whose failure was transient.

const (
	retryBaseDefault = 100 * time.Millisecond
	retryMaxDefault  = 30 * time.Second
)

// pendingChange is one table's delayed catalog change.
type pendingChange struct {
	name  string
	to    string // "ACTIVE", or "DELETED" for a drop
	apply func(cur *Table) error
	timer *time.Timer

	// attempts counts failed attempts; since is the first failure and err
	// the last one (zero while nothing failed).
	attempts int
	since    time.Time
	err      error
}

// StuckTable is a delayed table change that failed to commit and is being
// retried (see StuckTables).
type StuckTable struct {
	// Table is the table's name; Status the status it is stuck in
	// (CREATING or DELETING), Target the one it should reach (ACTIVE or
	// DELETED).
	Table, Status, Target string
	// Attempts is the number of failed attempts, Since the time of the
	// first failure, Err the last error.
	Attempts int
	Since    time.Time
	Err      error
}

// StuckTables returns the tables whose delayed status change (see
// Options.CreateDelay) failed to commit and is being retried, by name.
// Each failure is also logged. Empty when all is well.
func (n *Node) StuckTables() []StuckTable {
	c := n.cat
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []StuckTable
	for id, p := range c.pending {
		if p.attempts == 0 {
			continue
		}
		st := StuckTable{Table: p.name, Target: p.to, Attempts: p.attempts, Since: p.since, Err: p.err}
		if t, ok := c.tables[p.name]; ok && t.ID == id {
			st.Status = t.Status
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b StuckTable) int {
		switch {
		case a.Table < b.Table:
			return -1
		case a.Table > b.Table:
			return 1
		}
		return 0
	})
	return out
}

// schedule runs apply on table t after Options.CreateDelay, retrying on
// failure (see above). It replaces any change still pending for t. The
// caller holds c.mu.
func (c *catalog) schedule(t *Table, to string, apply func(cur *Table) error) {
	if old := c.pending[t.ID]; old != nil {
		old.timer.Stop()
	}
	p := &pendingChange{name: t.Name, to: to, apply: apply}
	c.pending[t.ID] = p
	id := t.ID
	p.timer = time.AfterFunc(c.n.opts.CreateDelay, func() { c.fire(id, p) })
}

// fire makes one attempt at the pending change p of table id.
func (c *catalog) fire(id uint64, p *pendingChange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.pending[id] != p {
		return
	}
	cur, ok := c.tables[p.name]
	if !ok || cur.ID != id {
		delete(c.pending, id)
		return
	}
	err := tryApply(p.apply, cur)
	if err == nil {
		delete(c.pending, id)
		if p.attempts > 0 {
			c.n.log.Info("catalog: delayed table change committed after retries", "table", p.name,
				"status", p.to, "attempts", p.attempts+1, "stuck_for", time.Since(p.since).String())
		}
		return
	}
	if p.attempts == 0 {
		p.since = time.Now()
	}
	p.attempts++
	p.err = err
	delay := c.retryDelay(p.attempts)
	c.n.log.Error("catalog: delayed table change failed; table stuck, retrying", "table", p.name,
		"status", cur.Status, "target", p.to, "attempt", p.attempts, "retry_in", delay.String(), "err", err)
	p.timer = time.AfterFunc(delay, func() { c.fire(id, p) })
}

// tryApply runs apply, turning a panic (Pebble reports a failed commit
// through Logger.Fatalf, which panics) into an error.
func tryApply(apply func(*Table) error, cur *Table) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return apply(cur)
}

// retryDelay is the wait before retry number attempt (1, 2, …).
func (c *catalog) retryDelay(attempt int) time.Duration {
	d := c.retryBase
	for i := 1; i < attempt && d < c.retryMax; i++ {
		d *= 2
	}
	return min(d, c.retryMax)
}

// stopPending stops all pending timers. The caller holds c.mu and has set
// c.closed, so a timer already firing returns without acting.
func (c *catalog) stopPending() {
	for id, p := range c.pending {
		p.timer.Stop()
		delete(c.pending, id)
	}
}
