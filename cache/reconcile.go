package cache

// Reconcile applies to key a change committed behind the cache's back (a
// write seen on the storage node's change feed, not made through the
// proxy). Fills of key in flight are superseded (they may have read the
// value before the change), a write of key in flight is marked overlapped
// (it invalidates instead of installing its image, whose order relative to
// the change is unknown), and the cached entry is kept only if keep
// reports that it already holds the change's result; otherwise it is
// dropped. keep runs under key's stripe lock and must not call the cache.
// It reports whether an entry was kept.
func (c *ItemCache) Reconcile(key string, keep func(Item) bool) bool {
	if c.closed.Load() {
		return false
	}
	h := c.hash(key)
	s := c.stripe(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.m[key]; p != nil {
		p.gen++
		p.wseq++
	}
	e, ok := c.rc.Get(key)
	if !ok || e == nil {
		return false
	}
	if e.tbl.epoch.Load() == e.epoch && (!c.ownClock || e.expires == 0 || c.now().UnixNano() < e.expires) && keep != nil && keep(e.item) {
		return true
	}
	c.rc.Del(key)
	c.rc.Wait()
	c.invalidations.Add(1)
	return false
}
