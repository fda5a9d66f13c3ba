package bench

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Load describes how a run drives an endpoint.
type Load struct {
	// Concurrency is the number of workers: closed loop, each sends its
	// next operation when the previous one is answered; open loop, the
	// most operations in flight at once.
	Concurrency int
	// Rate, when positive, selects the open loop: operations are
	// scheduled at Rate per second in total, and each latency is measured
	// from the operation's intended start (coordinated-omission
	// correction), so a stalled server shows in the percentiles.
	Rate float64
	// Duration of the measured part of the run (after Warmup); 0 means
	// until Operations are done.
	Duration time.Duration
	// Operations, when positive, ends the run after that many measured
	// operations.
	Operations int64
	// Warmup is run first and not measured.
	Warmup time.Duration
	// OnMeasure, when set, is called when the measured part begins (after
	// Warmup); Drive returns only after it has returned. Used to read a
	// proxy's counters at the start of the measurement.
	OnMeasure func()
	// Clock is the run's time source: schedule, waits and latencies.
	// Default the system clock (SystemClock); tests inject a simulated one.
	Clock Clock
}

// Clock is a time source for Drive. Implementations must be safe for
// concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep returns after d has passed on this clock (at once if d <= 0).
	Sleep(d time.Duration)
}

// SystemClock is the operating system's clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep calls time.Sleep.
func (SystemClock) Sleep(d time.Duration) { time.Sleep(d) }

// Worker performs operations for one goroutine of a run.
type Worker interface {
	// Step performs one operation and returns its label (e.g. "GetItem")
	// and its error, if any.
	Step(s *Session) (string, error)
}

// WorkerFunc adapts a function to Worker.
type WorkerFunc func(s *Session) (string, error)

// Step calls f.
func (f WorkerFunc) Step(s *Session) (string, error) { return f(s) }

// OpStats are the measurements of one operation label.
type OpStats struct {
	Hist   Histogram
	Errors map[string]int64 // by error type
}

func (o *OpStats) merge(p *OpStats) {
	o.Hist.Merge(&p.Hist)
	for k, v := range p.Errors {
		if o.Errors == nil {
			o.Errors = map[string]int64{}
		}
		o.Errors[k] += v
	}
}

// Stats are the measurements of a run.
type Stats struct {
	Ops       map[string]*OpStats
	Elapsed   time.Duration // measured window
	PerSecond []int64       // completed measured operations per whole second
	// ThrottledPerSecond counts, per whole second, the operations answered
	// with a throttling error (IsThrottle): what a capacity experiment
	// plots next to PerSecond.
	ThrottledPerSecond []int64
	Stale              StaleStats
}

// Merge adds o to s (e.g. two rounds); PerSecond is appended.
func (s *Stats) Merge(o *Stats) {
	if s.Ops == nil {
		s.Ops = map[string]*OpStats{}
	}
	for name, st := range o.Ops {
		if s.Ops[name] == nil {
			s.Ops[name] = &OpStats{}
		}
		s.Ops[name].merge(st)
	}
	s.Elapsed += o.Elapsed
	s.PerSecond = append(s.PerSecond, o.PerSecond...)
	s.ThrottledPerSecond = append(s.ThrottledPerSecond, o.ThrottledPerSecond...)
	s.Stale.merge(&o.Stale)
}

// OpNames returns the operation labels in order.
func (s *Stats) OpNames() []string {
	names := make([]string, 0, len(s.Ops))
	for n := range s.Ops {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// All returns the measurements of every operation together.
func (s *Stats) All() *OpStats {
	all := &OpStats{}
	for _, o := range s.Ops {
		all.merge(o)
	}
	return all
}

type workerStats struct {
	ops                map[string]*OpStats
	perSecond          []int64
	throttledPerSecond []int64
}

// IsThrottle reports whether an error type (ErrorType) is one of
// DynamoDB's throttling answers: provisioned capacity, on-demand maxima or
// the account's request rate.
func IsThrottle(typ string) bool {
	switch typ {
	case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded":
		return true
	}
	return false
}

// bump adds one to (*counts)[sec], growing the slice as needed.
func bump(counts *[]int64, sec int) {
	for len(*counts) <= sec {
		*counts = append(*counts, 0)
	}
	(*counts)[sec]++
}

// sumInto adds counts into *out element by element.
func sumInto(out *[]int64, counts []int64) {
	for i, n := range counts {
		for len(*out) <= i {
			*out = append(*out, 0)
		}
		(*out)[i] += n
	}
}

func (w *workerStats) record(op string, lat time.Duration, err error) {
	o := w.ops[op]
	if o == nil {
		o = &OpStats{}
		w.ops[op] = o
	}
	o.Hist.Record(int64(lat))
	if err != nil {
		if o.Errors == nil {
			o.Errors = map[string]int64{}
		}
		o.Errors[ErrorType(err)]++
	}
}

// staleReporter is implemented by workers that check reads for staleness.
type staleReporter interface{ staleStats() *StaleStats }

// Drive runs load against c with one Worker per goroutine from newWorker
// and returns what it measured.
func Drive(c *Client, load Load, newWorker func(w int) Worker) *Stats {
	conc := max(load.Concurrency, 1)
	var interval time.Duration
	if load.Rate > 0 {
		interval = time.Duration(float64(time.Second) / load.Rate)
		if interval <= 0 {
			interval = 1
		}
	}
	workers := make([]Worker, conc)
	for w := range workers {
		workers[w] = newWorker(w)
	}
	stats := make([]*workerStats, conc)
	var (
		wg       sync.WaitGroup
		seq      atomic.Int64 // open loop: next schedule slot
		measured atomic.Int64 // measured operations claimed
		lastEnd  atomic.Int64 // unix ns of the last measured completion
	)
	clock := load.Clock
	if clock == nil {
		clock = SystemClock{}
	}
	start := clock.Now()
	measureStart := start.Add(load.Warmup)
	var deadline time.Time
	if load.Duration > 0 {
		deadline = measureStart.Add(load.Duration)
	}
	if load.OnMeasure != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clock.Sleep(measureStart.Sub(clock.Now()))
			load.OnMeasure()
		}()
	}
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			s := &Session{c: c, req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse()}
			defer fasthttp.ReleaseRequest(s.req)
			defer fasthttp.ReleaseResponse(s.resp)
			ws := &workerStats{ops: map[string]*OpStats{}}
			stats[w] = ws
			worker := workers[w]
			for {
				var t0 time.Time
				if interval > 0 {
					t0 = start.Add(time.Duration(seq.Add(1)-1) * interval)
					if d := t0.Sub(clock.Now()); d > 0 {
						// Ahead of schedule: wait, and measure from the
						// actual wake-up so the timer's own lateness is
						// not charged to the server. Behind schedule (all
						// workers were busy), the latency counts from the
						// intended start.
						clock.Sleep(d)
						if now := clock.Now(); now.Before(deadline) || deadline.IsZero() {
							t0 = now
						}
					}
				} else {
					t0 = clock.Now()
				}
				if !deadline.IsZero() && !t0.Before(deadline) {
					return
				}
				inWindow := !t0.Before(measureStart)
				if inWindow && load.Operations > 0 && measured.Add(1) > load.Operations {
					return
				}
				op, err := worker.Step(s)
				end := clock.Now()
				if !inWindow {
					if sr, ok := worker.(staleReporter); ok {
						*sr.staleStats() = StaleStats{} // warm-up reads are not reported
					}
					continue
				}
				ws.record(op, end.Sub(t0), err)
				sec := int(end.Sub(measureStart) / time.Second)
				bump(&ws.perSecond, sec)
				if err != nil && IsThrottle(ErrorType(err)) {
					bump(&ws.throttledPerSecond, sec)
				}
				// Every second seen gets a throttle count, zero included,
				// so the two series line up.
				for len(ws.throttledPerSecond) <= sec {
					ws.throttledPerSecond = append(ws.throttledPerSecond, 0)
				}
				for {
					last := lastEnd.Load()
					if end.UnixNano() <= last || lastEnd.CompareAndSwap(last, end.UnixNano()) {
						break
					}
				}
			}
		}(w)
	}
	wg.Wait()
	out := &Stats{Ops: map[string]*OpStats{}}
	end := clock.Now()
	if !deadline.IsZero() && end.After(deadline) {
		end = deadline
	}
	if le := lastEnd.Load(); le > 0 && time.Unix(0, le).After(end) {
		end = time.Unix(0, le)
	}
	out.Elapsed = max(end.Sub(measureStart), time.Microsecond)
	for w, ws := range stats {
		for name, o := range ws.ops {
			if out.Ops[name] == nil {
				out.Ops[name] = &OpStats{}
			}
			out.Ops[name].merge(o)
		}
		sumInto(&out.PerSecond, ws.perSecond)
		sumInto(&out.ThrottledPerSecond, ws.throttledPerSecond)
		if sr, ok := workers[w].(staleReporter); ok {
			out.Stale.merge(sr.staleStats())
		}
	}
	// Only whole seconds: the last, partial one would look like a drop.
	if n := int(out.Elapsed / time.Second); n >= 1 && len(out.PerSecond) > n {
		out.PerSecond = out.PerSecond[:n]
	}
	if n := int(out.Elapsed / time.Second); n >= 1 && len(out.ThrottledPerSecond) > n {
		out.ThrottledPerSecond = out.ThrottledPerSecond[:n]
	}
	return out
}
