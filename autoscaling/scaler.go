package autoscaling

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// The scaler follows DynamoDB's target tracking. Every scaler minute
// (Options.Period) it takes one data point per target — consumed capacity
// per second over the minute, against the provisioned figure — and
// evaluates each policy's two alarms as CloudWatch would:
//
//   - AlarmHigh: utilization above TargetValue for 2 consecutive data
//     points → scale out;
//   - AlarmLow: utilization below TargetValue − 20 (percentage points)
//     for 15 consecutive data points → scale in (not when DisableScaleIn).
//
// The new capacity is what holds utilization at the target —
// ceil(consumed per second / (TargetValue/100)) — kept within the
// target's MinCapacity and MaxCapacity. After a scale-out no other
// scale-out starts within ScaleOutCooldown, after a scale-in no other
// scale-in within ScaleInCooldown (both counted in scaler time: a
// 60-second cooldown lasts one Period). With several policies on one
// target the largest capacity wins a scale-out, and a scale-in happens
// only when every policy is ready for one, as Application Auto Scaling
// does. A change is an UpdateTable call: when the node refuses it (a
// decrease past DynamoDB's daily limits, say) the activity is recorded as
// Failed with the node's message, and the alarm has to fill its window
// again before the next attempt.
const (
	highPoints   = 2
	lowPoints    = 15
	lowMargin    = 20.0 // percentage points under TargetValue
	scalerMinute = 60   // seconds in a scaler minute, for cooldowns
)

// watch is the scaler's memory of one target: its last sample and each
// policy's alarm counters. It is not persisted: after a restart the
// alarms fill their windows again, as CloudWatch alarms of a new policy do.
type watch struct {
	total   float64 // consumed total at the last sample
	at      time.Time
	sampled bool
	high    map[string]int // policy name → consecutive points above target
	low     map[string]int // policy name → consecutive points under the low threshold
	lastOut time.Time      // last successful scale-out
	lastIn  time.Time      // last successful scale-in
}

func (w *watch) resetAlarms() {
	w.high = map[string]int{}
	w.low = map[string]int{}
}

func (s *Service) run() {
	defer close(s.done)
	tick := time.NewTicker(s.opts.Period)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		s.safely(s.tick)
	}
}

// safely runs fn, logging a recovered panic: the scaler outlives a bug in
// one tick.
func (s *Service) safely(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("autoscaling: scaler tick panicked", "panic", r)
		}
	}()
	fn()
}

// decision is a change the scaler makes to one target.
type decision struct {
	ns, id, dim string
	r           resource
	capacity    int64
	out         bool
	cause       string
}

// tick takes one data point per target and scales what the alarms ask.
func (s *Service) tick() {
	usage := map[[2]string]Usage{}
	for _, u := range s.opts.Usage() {
		usage[[2]string{u.Table, u.Index}] = u
	}
	// The data point's time is taken after the figures are read: reading
	// them may take a while, and the rate divides by this interval.
	now := s.opts.Now()
	var todo []decision
	s.mu.Lock()
	for _, t := range s.st.Targets {
		r, err := parseResource(t.Namespace, t.ResourceID, t.Dimension)
		if err != nil {
			continue
		}
		w := s.watch[t.key()]
		if w == nil {
			w = &watch{}
			w.resetAlarms()
			s.watch[t.key()] = w
		}
		u, ok := usage[[2]string{r.table, r.index}]
		if !ok || u.OnDemand {
			w.sampled = false
			w.resetAlarms()
			continue
		}
		total, prov := u.ConsumedRead, u.ProvisionedRead
		if r.write {
			total, prov = u.ConsumedWrite, u.ProvisionedWrite
		}
		if !w.sampled || total < w.total {
			w.total, w.at, w.sampled = total, now, true
			continue
		}
		secs := now.Sub(w.at).Seconds()
		if secs <= 0 {
			continue
		}
		rate := (total - w.total) / secs
		w.total, w.at = total, now
		if d, ok := s.evaluate(t, w, r, rate, prov, now); ok {
			todo = append(todo, d)
		}
	}
	s.mu.Unlock()
	for _, d := range todo {
		if s.setCapacity(context.Background(), d.ns, d.id, d.dim, d.r, d.capacity, d.cause) {
			s.mu.Lock()
			if w := s.watch[d.ns+"\x00"+d.id+"\x00"+d.dim]; w != nil {
				if d.out {
					w.lastOut = s.opts.Now()
				} else {
					w.lastIn = s.opts.Now()
				}
			}
			s.mu.Unlock()
		}
	}
}

// evaluate feeds one data point to a target's policies and returns the
// change they ask for. Called with s.mu held.
func (s *Service) evaluate(t *target, w *watch, r resource, rate float64, prov int64, now time.Time) (decision, bool) {
	util := 0.0
	if prov > 0 {
		util = rate / float64(prov) * 100
	}
	var pols []*policy
	for _, p := range s.st.Policies {
		if p.targetKey() == t.key() && p.Type == "TargetTrackingScaling" {
			pols = append(pols, p)
		}
	}
	if len(pols) == 0 {
		return decision{}, false
	}
	var (
		out      *policy
		outCap   int64
		inCap    int64
		inReady  = true
		inPolicy *policy
	)
	for _, p := range pols {
		if util > p.TargetValue {
			w.high[p.Name]++
		} else {
			w.high[p.Name] = 0
		}
		if !p.scaleInDisabled() && util < p.TargetValue-lowMargin {
			w.low[p.Name]++
		} else {
			w.low[p.Name] = 0
		}
		want := int64(math.Ceil(rate / (p.TargetValue / 100)))
		want = min(max(want, t.Min), t.Max)
		if w.high[p.Name] >= highPoints && want > prov && (out == nil || want > outCap) {
			out, outCap = p, want
		}
		if w.low[p.Name] >= lowPoints && want < prov {
			if inPolicy == nil || want > inCap {
				inPolicy, inCap = p, want
			}
		} else {
			inReady = false
		}
	}
	scaled := func(p *policy, secs *int64) time.Duration {
		if secs == nil {
			return 0
		}
		return time.Duration(float64(*secs) / scalerMinute * float64(s.opts.Period))
	}
	if out != nil && !t.SuspendOut {
		if !w.lastOut.IsZero() && now.Sub(w.lastOut) < scaled(out, out.ScaleOutCooldown) {
			return decision{}, false
		}
		w.resetAlarms()
		return decision{ns: t.Namespace, id: t.ResourceID, dim: t.Dimension, r: r, capacity: outCap, out: true,
			cause: "monitor alarm " + out.alarmNamed("AlarmHigh") + " in state ALARM triggered policy " + out.Name}, true
	}
	if inPolicy != nil && inReady && !t.SuspendIn {
		if !w.lastIn.IsZero() && now.Sub(w.lastIn) < scaled(inPolicy, inPolicy.ScaleInCooldown) {
			return decision{}, false
		}
		// Whether the change succeeds or is refused, the low alarm
		// fills its window again before the next try.
		w.resetAlarms()
		return decision{ns: t.Namespace, id: t.ResourceID, dim: t.Dimension, r: r, capacity: inCap,
			cause: "monitor alarm " + inPolicy.alarmNamed("AlarmLow") + " in state ALARM triggered policy " + inPolicy.Name}, true
	}
	return decision{}, false
}

// setCapacity sets one capacity of a table or GSI to n with UpdateTable
// (the other capacity unchanged) and records the activity. It reports
// whether the node accepted the change.
func (s *Service) setCapacity(ctx context.Context, ns, id, dim string, r resource, n int64, cause string) bool {
	start := s.opts.Now()
	a := &activity{ID: uuid(), Namespace: ns, ResourceID: id, Dimension: dim, Start: start, Cause: cause,
		Description: "Setting " + r.unit() + " to " + strconv.FormatInt(n, 10) + ".", StatusCode: "InProgress"}
	// The activity is visible, InProgress, while UpdateTable runs.
	s.mu.Lock()
	s.addActivity(a)
	s.mu.Unlock()
	err := s.updateTable(ctx, r, n)
	s.mu.Lock()
	defer s.mu.Unlock()
	a.End = s.opts.Now()
	if err != nil {
		msg := err.Error()
		if de, ok := ddb.AsError(err); ok {
			msg = de.Name() + ": " + de.Message
		}
		a.StatusCode = "Failed"
		a.StatusMessage = "Failed to set " + r.unit() + " to " + strconv.FormatInt(n, 10) + ". Reason: " + msg
		s.log.Info("autoscaling: scaling refused", "resource", id, "dimension", dim, "capacity", n, "err", msg)
	} else {
		a.StatusCode = "Successful"
		a.StatusMessage = "Successfully set " + r.unit() + " to " + strconv.FormatInt(n, 10) + ". Change successfully fulfilled by dynamodb."
		s.log.Info("autoscaling: scaled", "resource", id, "dimension", dim, "capacity", n, "cause", cause)
	}
	if serr := s.save(); serr != nil {
		s.log.Error("autoscaling: cannot save state", "err", serr)
	}
	return err == nil
}

// updateTable sends the UpdateTable call that sets one capacity.
func (s *Service) updateTable(ctx context.Context, r resource, n int64) error {
	u, ok := s.lookup(r)
	if !ok {
		return ddb.ResourceNotFound("Requested resource not found: Table: " + r.table + " not found")
	}
	pt := struct {
		ReadCapacityUnits  int64 `json:"ReadCapacityUnits"`
		WriteCapacityUnits int64 `json:"WriteCapacityUnits"`
	}{u.ProvisionedRead, u.ProvisionedWrite}
	if r.write {
		pt.WriteCapacityUnits = n
	} else {
		pt.ReadCapacityUnits = n
	}
	var body any
	if r.index == "" {
		body = map[string]any{"TableName": r.table, "ProvisionedThroughput": pt}
	} else {
		body = map[string]any{"TableName": r.table, "GlobalSecondaryIndexUpdates": []any{
			map[string]any{"Update": map[string]any{"IndexName": r.index, "ProvisionedThroughput": pt}}}}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	_, err = s.opts.DynamoDB.ServeDynamoDB(ctx, &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "UpdateTable",
		Body: b, Region: s.opts.Region, RequestID: wire.NewRequestID()})
	return err
}

func toEpoch(t time.Time) epoch { return epoch(float64(t.UnixMilli()) / 1000) }
