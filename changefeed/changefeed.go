// Package changefeed is the contract between a dynax storage node's change
// log and the processes that follow it (the caching proxy, to see writes
// that bypass it).
//
// Every committed item change on a node has a sequence number; numbers
// increase strictly in commit order per item, and across all tables of the
// node. A follower remembers the number of the last change it applied (its
// position) and asks for the changes after it, waiting a bounded time for
// new ones: a long poll. The node keeps changes for a retention (five
// minutes by default); a follower that falls further behind is told which
// tables it may have missed changes of (Batch.Trimmed), and must then
// forget what it knows of them.
//
// A Source is served in process by the store (store.Node.Feed) and over
// HTTP on the store's listener with the X-Amz-Target prefix
// DynaxChangeFeed_20261201 (operations GetHead and GetChanges), which
// Client speaks. This is not a DynamoDB API; docs/storage.md describes the
// wire format.
package changefeed

import (
	"context"
	"errors"
	"time"
)

// Change is one committed item change, or the deletion of a table.
type Change struct {
	// Seq is the change's sequence number.
	Seq uint64
	// Table is the table's name and TableID its internal id, which changes
	// when a table of the same name is created again.
	Table   string
	TableID uint64
	// Time is when the change was committed (to the node's clock).
	Time time.Time
	// Cause is the operation that made it: PutItem, UpdateItem,
	// DeleteItem, BatchWriteItem, TransactWriteItems, PartiQL, TimeToLive,
	// ImportTable, Restore or DeleteTable.
	Cause string
	// Keys is the JSON of the item's primary key; Old and New the JSON of
	// the item before and after (nil when absent: an insert has no Old, a
	// delete no New).
	Keys, Old, New []byte
	// TableDeleted marks the end of a table: it and all its items were
	// deleted (Keys, Old and New are nil).
	TableDeleted bool
	// Stamp is the last-writer-wins version of a change to a global table
	// (Unix nanoseconds; 0 for other tables), and Origin the Region a
	// replicated change came from ("" for a write made on this node).
	Stamp  int64
	Origin string
}

// Request asks for changes.
type Request struct {
	// After is the position: changes numbered above it are delivered.
	After uint64
	// Wait bounds how long Read waits for a first change. 0: answer at once.
	Wait time.Duration
	// Limit is the most changes to deliver. Default (0) and maximum 1000.
	Limit int
}

// MaxLimit is the largest Request.Limit.
const MaxLimit = 1000

// Batch is the answer to a Request.
type Batch struct {
	// Changes are in sequence order.
	Changes []Change
	// Next is the position to ask from next. It can be past the last
	// change delivered: numbers of changes that can no longer appear are
	// skipped.
	Next uint64
	// Trimmed names the tables whose changes after Request.After may have
	// been reclaimed before they were read.
	Trimmed []string
}

// Source is a change feed.
type Source interface {
	// Head returns the position of the newest visible change: a Read from
	// it delivers only changes committed after Head was called.
	Head(ctx context.Context) (uint64, error)
	// Read returns the changes numbered above req.After, in order and at
	// most req.Limit of them, waiting up to req.Wait for the first one; an
	// empty Batch after the wait is not an error. It returns early with
	// ctx's error when ctx ends.
	Read(ctx context.Context, req Request) (Batch, error)
}

// ErrClosed is returned by a Source whose node has closed.
var ErrClosed = errors.New("changefeed: closed")
