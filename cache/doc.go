// Package cache holds the two caches of the dynax proxy, as DAX has them: an
// item cache for GetItem/BatchGetItem and a query cache for Query/Scan.
//
// Item cache. A ristretto cache (TinyLFU admission, sampled-LFU eviction,
// cost = len(key)+len(JSON)+ItemEntryOverhead bytes against one byte budget)
// maps ItemKey(table, primary key) to the full item's wire JSON, or to a
// negative entry ("no such item"). Entries expire after TTL (NegativeTTL for
// negative ones) and record their table's epoch: InvalidateTable bumps the
// epoch, so every older entry of the table is a miss in O(1).
//
// Versioned fills. A miss is filled in three steps: BeginFill before asking
// the backend, then Complete with the answer. Keys hash to one of a fixed set
// of stripes; each stripe has a mutex and a map of the keys with fills in
// flight (key → generation, reference count). Writers (Set, Invalidate,
// CompleteWrite) lock the key's stripe, advance the key's generation if fills
// are pending, apply their change to ristretto and call Wait before unlocking;
// Complete locks the stripe, installs only if the generation (and the table
// epoch) is still the one BeginFill saw, and also calls Wait before unlocking.
// So the ristretto operations on one key are applied in stripe-lock order and
// are fully applied (Wait drains ristretto's asynchronous Set buffer) before
// the next one starts, and a fill whose read may predate a write can never be
// applied after it: the older value is never installed. Pending-fill records
// are dropped when their last fill completes (or after FillTimeout when a
// caller forgets), so the map holds only fills in flight; a forgotten record
// can only make a later Complete refuse, never install stale data.
//
// Query cache. Responses are stored under QueryKey (a SHA-256-based 128-bit
// hash of the canonical request parameters) in sharded LRUs bounded by entry
// count and bytes. Each entry carries a Stamp: the values of the generation
// counters it depends on, read by Snapshot before the backend was asked.
// Writers bump counters (Generations.Bump/BumpTable) after a successful
// write; a Put or Get whose stamp no longer matches is dropped or missed, so a
// write never has to find the entries it invalidates. In partition mode a
// base-table Query depends on its partition's counter (partition counters sit
// in a fixed array indexed by a hash of table and partition, so memory is
// bounded and a collision only costs extra misses) and on its table's
// "all partitions" counter; Scans and index Queries depend on the table's
// counter, which every Bump advances. Table mode makes every entry depend on
// the table counter; none mode (DAX's behaviour) invalidates nothing and lets
// the TTL bound staleness.
package cache
