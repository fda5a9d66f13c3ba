package cache

import "sync"

// fillStripes is the number of stripe locks guarding fills and writes.
const fillStripes = 1024

// pending records the fills and writes in flight for one key.
type pending struct {
	gen     uint64 // advanced by every write or invalidation of the key
	wseq    uint64 // advanced by every BeginWrite
	refs    int32  // fills and writes holding this record
	writers int32  // BeginWrites not yet completed or aborted
	touched int64  // unix nanoseconds of the last Begin*
}

type fillStripe struct {
	mu sync.Mutex
	m  map[string]*pending // keys with fills or writes in flight
	_  [48]byte
}

func (c *ItemCache) stripe(h uint64) *fillStripe { return &c.stripes[h%fillStripes] }

// acquire returns key's record with one more reference. s.mu is held.
func (s *fillStripe) acquire(key string, now, timeout int64, sweepAt int) *pending {
	p := s.m[key]
	if p == nil {
		if s.m == nil {
			s.m = make(map[string]*pending)
		} else if len(s.m) >= sweepAt {
			// Forget records of fills whose Complete never came. Their
			// holders then find the record gone and install nothing.
			for k, q := range s.m {
				if now-q.touched > timeout {
					delete(s.m, k)
				}
			}
		}
		p = &pending{}
		s.m[key] = p
	}
	p.refs++
	p.touched = now
	return p
}

// release drops one reference to p. s.mu is held.
func (s *fillStripe) release(key string, p *pending) {
	if s.m[key] != p { // forgotten after FillTimeout
		return
	}
	if p.refs--; p.refs <= 0 {
		delete(s.m, key)
	}
}

// supersede makes every fill of key in flight stale. s.mu is held.
func (s *fillStripe) supersede(key string) {
	if p := s.m[key]; p != nil {
		p.gen++
	}
}

// Fill is a fill in flight, from BeginFill to Complete or Abandon. The zero
// Fill installs nothing.
type Fill struct {
	key   string
	h     uint64
	p     *pending
	gen   uint64
	tbl   *tableEpoch
	epoch uint64
}

// Key returns the item key the fill is for.
func (f Fill) Key() string { return f.key }

// BeginFill starts a fill of key. Call it BEFORE asking the backend, then
// call Complete (or Abandon) exactly once.
func (c *ItemCache) BeginFill(key string) Fill {
	if c.closed.Load() {
		return Fill{}
	}
	h := c.hash(key)
	tbl := c.tables.get(TableOfKey(key), nil)
	f := Fill{key: key, h: h, tbl: tbl, epoch: tbl.epoch.Load()}
	s := c.stripe(h)
	s.mu.Lock()
	f.p = s.acquire(key, c.now().UnixNano(), c.fillTimeout, c.sweepAt)
	f.gen = f.p.gen
	s.mu.Unlock()
	return f
}

// Complete installs the backend's answer for f's key, unless a write or
// invalidation of the key (or of its table) happened since BeginFill. It
// reports whether the value was installed (false also when ristretto's
// admission policy declined it).
func (c *ItemCache) Complete(f Fill, it Item) bool {
	if f.p == nil || c.closed.Load() {
		return false
	}
	s := c.stripe(f.h)
	s.mu.Lock()
	defer s.mu.Unlock()
	current := s.m[f.key] == f.p && f.p.gen == f.gen && f.tbl.epoch.Load() == f.epoch
	s.release(f.key, f.p)
	if !current {
		c.superseded.Add(1)
		return false
	}
	ok := c.install(f.key, f.h, it, f.tbl, f.epoch)
	if ok {
		c.fills.Add(1)
	}
	return ok
}

// Abandon ends a fill without installing anything (the backend failed).
func (c *ItemCache) Abandon(f Fill) {
	if f.p == nil {
		return
	}
	s := c.stripe(f.h)
	s.mu.Lock()
	s.release(f.key, f.p)
	s.mu.Unlock()
}

// Write is a write in flight, from BeginWrite to CompleteWrite or AbortWrite.
type Write struct {
	key        string
	h          uint64
	p          *pending
	seq        uint64
	overlapped bool // another write of the key was in flight at BeginWrite
}

// BeginWrite starts a write of key; call it before forwarding the write.
// It is an optional, stricter alternative to Set: with it, two writes of the
// same key that overlap in time (whose order at the backend is therefore
// unknown) invalidate the key instead of installing their images in
// whichever order they return.
func (c *ItemCache) BeginWrite(key string) Write {
	if c.closed.Load() {
		return Write{}
	}
	h := c.hash(key)
	s := c.stripe(h)
	s.mu.Lock()
	p := s.acquire(key, c.now().UnixNano(), c.fillTimeout, c.sweepAt)
	w := Write{key: key, h: h, p: p, overlapped: p.writers > 0}
	p.wseq++
	p.writers++
	w.seq = p.wseq
	s.mu.Unlock()
	return w
}

// CompleteWrite ends a successful write: it installs it (the new image, or a
// Negative entry after a delete) like Set if no other write of the key
// overlapped this one, and invalidates the key otherwise. Either way fills
// in flight are superseded. It reports whether it installed.
func (c *ItemCache) CompleteWrite(w Write, it Item) bool {
	return c.endWrite(w, it, true)
}

// AbortWrite ends a write that failed or whose outcome is unknown: the key is
// invalidated and fills in flight are superseded.
func (c *ItemCache) AbortWrite(w Write) {
	c.endWrite(w, Item{}, false)
}

func (c *ItemCache) endWrite(w Write, it Item, ok bool) bool {
	if w.p == nil || c.closed.Load() {
		return false
	}
	tbl := c.tables.get(TableOfKey(w.key), nil)
	s := c.stripe(w.h)
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.m[w.key] == w.p
	alone := live && !w.overlapped && w.p.wseq == w.seq && w.p.writers == 1
	if live {
		w.p.writers--
	}
	s.release(w.key, w.p)
	s.supersede(w.key)
	if ok && alone {
		c.sets.Add(1)
		return c.install(w.key, w.h, it, tbl, tbl.epoch.Load())
	}
	c.rc.Del(w.key)
	c.rc.Wait()
	c.invalidations.Add(1)
	return false
}
