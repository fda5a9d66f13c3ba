package store

import (
	"sync"

	"github.com/dynax/dynax/ddb"
)

// Multi-item writes (transactions, batches) and their interplay with
// single-item writes.
//
// A transaction first marks all its item keys as in flight, then takes
// their locks in slot order, re-reads the items, decides, and commits one
// engine batch (items, index entries) before unlocking and unmarking. A
// single-item write that finds its key marked fails at once with
// TransactionConflictException, as DynamoDB's does, instead of waiting; a
// transaction that finds a key marked by another is cancelled with a
// TransactionConflict reason.

// txnMarks is the set of item keys held by in-flight transactions.
type txnMarks struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

// mark marks all keys, or none if one of them is already marked; it
// returns the index of the first conflicting key, or -1.
func (m *txnMarks) mark(keys [][]byte) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = map[string]struct{}{}
	}
	for i, k := range keys {
		if _, ok := m.keys[string(k)]; ok {
			return i
		}
	}
	for _, k := range keys {
		m.keys[string(k)] = struct{}{}
	}
	return -1
}

func (m *txnMarks) unmark(keys [][]byte) {
	m.mu.Lock()
	for _, k := range keys {
		delete(m.keys, string(k))
	}
	m.mu.Unlock()
}

// marked reports whether key is held by an in-flight transaction.
func (m *txnMarks) marked(key []byte) bool {
	m.mu.Lock()
	_, ok := m.keys[string(key)]
	m.mu.Unlock()
	return ok
}

// msgTxnOngoing is DynamoDB's text for a write colliding with a transaction.
const msgTxnOngoing = "Transaction is ongoing for the item"

// multiTarget is one item of a multi-item write.
type multiTarget struct {
	table *Table
	key   []byte
}

// multiState is what mutateMany's callback sees of one target.
type multiState struct {
	item ddb.Item // nil when absent
	size int
}

// mutateMany atomically applies fn's decisions to several items: with
// txn=true the keys are first marked (conflict → errConflict with the index
// of the conflicting target), then all locks are taken, the tables and
// items re-read, fn called, and one batch committed durably with the
// change records. fn returns one mutation per target (zero value:
// unchanged). Targets must be distinct.
func (n *Node) mutateMany(targets []multiTarget, txn bool, cause Cause, fn func(cur []multiState) ([]mutation, error)) error {
	if anyStrong(targets) {
		if txn {
			return ddb.Validation(msgMRSCTxn)
		}
		return n.strongMany(targets, cause, fn) // global_strong.go
	}
	keys := make([][]byte, len(targets))
	for i, tg := range targets {
		keys[i] = tg.key
	}
	if txn {
		if i := n.marks.mark(keys); i >= 0 {
			return &conflictError{index: i}
		}
		defer n.marks.unmark(keys)
	}
	unlock := n.locks.lockAll(keys)
	defer unlock()
	tables := make([]*Table, len(targets))
	olds := make([]currentItem, len(targets))
	cur := make([]multiState, len(targets))
	for i, tg := range targets {
		t, ok := n.cat.get(tg.table.Name)
		if !ok || t.ID != tg.table.ID {
			return ddb.ResourceNotFound("Requested resource not found")
		}
		tables[i] = t
		old, err := n.readCurrent(tg.key, true)
		if err != nil {
			return err
		}
		olds[i] = old
		cur[i] = multiState{item: old.item, size: old.size}
	}
	ms, err := fn(cur)
	if err != nil {
		return err
	}
	b := n.db.NewBatch()
	defer b.Close()
	changed := false
	var changes []itemChange
	for i, m := range ms {
		newStored, c, err := tables[i].addMutation(b, keys[i], olds[i], m)
		if err != nil {
			return err
		}
		changed = changed || c
		if c && !unchanged(olds[i], newStored, m.put) {
			changes = append(changes, itemChange{lt: n.clog.table(tables[i]), old: olds[i].stored, new: newStored, key: keys[i]})
		}
	}
	if !changed {
		return nil
	}
	tk, err := n.clog.append(b, cause, changes)
	if err == nil {
		err = b.Commit(n.wopts)
	}
	n.clog.done(tk, err)
	if err != nil {
		return err
	}
	for i, m := range ms {
		n.cat.statsOf(tables[i]).record(olds[i].stored != nil, olds[i].size, m)
	}
	return nil
}

// conflictError reports that target index collides with another in-flight
// transaction.
type conflictError struct{ index int }

func (e *conflictError) Error() string { return "store: transaction conflict" }
