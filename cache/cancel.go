package cache

// CancelWrite ends a write that the backend refused without applying it (a
// failed condition, a cancelled transaction): nothing is installed or
// invalidated and fills in flight stay valid, since the item did not
// change. Other writes of the key that overlapped this one still treat it
// as an overlap (they invalidate instead of installing).
func (c *ItemCache) CancelWrite(w Write) {
	if w.p == nil || c.closed.Load() {
		return
	}
	s := c.stripe(w.h)
	s.mu.Lock()
	if s.m[w.key] == w.p {
		w.p.writers--
	}
	s.release(w.key, w.p)
	s.mu.Unlock()
}
