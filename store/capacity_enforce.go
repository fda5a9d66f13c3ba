package store

// Throttling: token buckets per table, per GSI and per partition, for
// reads and writes, refilled on the node's clock (Options.Now).
//
// A bucket holds unit·nanoseconds in an int64, so refill and debit are
// exact integer arithmetic (capacity figures are multiples of 0.5 units):
// a test can predict to the request which calls pass. A request is
// admitted while the buckets it needs are positive; it is then debited
// what it actually consumed (a read's size is known only after the read),
// so a bucket can go negative and the next requests wait for it to refill,
// as DynamoDB does.
//
// Buckets:
//   - provisioned table or GSI: the provisioned units per second; unused
//     capacity accrues for up to 300 s (burst capacity);
//   - on-demand table or GSI: OnDemandThroughput's maximum, else the
//     per-table quota of DescribeLimits (40,000), per second, accruing
//     for up to 1 s;
//   - partitions: 3,000 read and 1,000 write units per second each
//     (accruing for 1 s); a table has as many partitions as its
//     throughput needs (max of provisioned or warm throughput, read/3000 +
//     write/1000, at least one), and an item's partition is the range of
//     the key hash (split into that many equal ranges) its key falls in.
//
// A new bucket (table created, node started, capacity changed to a new
// partition count) starts with one second of its capacity: burst is
// earned by leaving capacity unused, so throttling shows from the start.

import (
	"encoding/binary"
	"math"
	"sync"
	"sync/atomic"

	"github.com/dynax/dynax/ddb"
)

// DynamoDB's capacity limits.
const (
	// capBurstSeconds is how long unused provisioned capacity is kept.
	capBurstSeconds = 300
	// capPartitionRead and capPartitionWrite are one partition's limits.
	capPartitionRead  = 3000
	capPartitionWrite = 1000
	// capTableQuota is DescribeLimits' TableMax{Read,Write}CapacityUnits:
	// the most an on-demand table may consume per second.
	capTableQuota = 40000
	// capMaxRate bounds a bucket's rate so its arithmetic cannot overflow.
	capMaxRate = 10_000_000
)

// Throttling messages, as DynamoDB words them.
const (
	msgThrottledTable = "The level of configured provisioned throughput for the table was exceeded. " +
		"Consider increasing your provisioning level with the UpdateTable API."
	msgThrottledIndex = "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. " +
		"Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API"
	msgThrottledOnDemand = "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index " +
		"so please try again shortly. If exceptions persist, check if you have a hot key: " +
		"https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html"
	msgThrottledOnDemandIndex = "Throughput exceeds the current capacity for one or more global secondary indexes. " +
		"DynamoDB is automatically scaling your index so please try again shortly."
)

// Cancellation reason codes of a throttled transaction item: provisioned
// tables and GSIs, on-demand ones.
const (
	txCodeProvisioned = "ProvisionedThroughputExceeded"
	txCodeThrottling  = "ThrottlingError"
)

// nsAvailability is the __type namespace of ThrottlingException.
const nsAvailability = "com.amazon.coral.availability#"

// bucket is one token bucket. Its zero value is unlimited (rate 0).
type bucket struct {
	mu     sync.Mutex
	rate   int64 // units per second; 0: no limit
	burst  int64 // seconds of unused capacity kept
	tokens int64 // units × 1e9 (unit·nanoseconds at one unit per second)
	last   int64 // Unix nanoseconds of the last refill; 0: never used
}

const nanosPerSecond = int64(1e9)

// refill adds what accrued since the last refill; the caller holds b.mu.
func (b *bucket) refill(now int64) {
	full := b.rate * b.burst * nanosPerSecond
	if b.last == 0 {
		b.tokens, b.last = b.rate*nanosPerSecond, now
		return
	}
	d := now - b.last
	if d <= 0 {
		return // the clock stood still or went back: nothing accrued
	}
	b.last = now
	if b.tokens >= full {
		return
	}
	// d·rate never overflows: beyond what fills the bucket, d is moot.
	if d >= (full-b.tokens)/b.rate+1 {
		b.tokens = full
		return
	}
	b.tokens = min(full, b.tokens+d*b.rate)
}

// positive reports whether the bucket has capacity left at now.
func (b *bucket) positive(now int64) bool {
	if b.rate == 0 {
		return true
	}
	b.mu.Lock()
	b.refill(now)
	ok := b.tokens > 0
	b.mu.Unlock()
	return ok
}

// take debits u units at now (the bucket may go negative).
func (b *bucket) take(now int64, u float64) {
	if b.rate == 0 || u <= 0 {
		return
	}
	b.mu.Lock()
	b.refill(now)
	b.tokens -= int64(math.Round(u * float64(nanosPerSecond)))
	b.mu.Unlock()
}

// set changes the rate and burst at now, keeping what the bucket holds
// (up to the new size).
func (b *bucket) set(now int64, rate, burst int64) {
	rate = min(max(rate, 0), capMaxRate)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rate == rate && b.burst == burst {
		return
	}
	if b.rate != 0 && b.last != 0 {
		b.refill(now)
	} else {
		b.last = 0 // starts afresh with a second of capacity
	}
	b.rate, b.burst = rate, burst
	if full := rate * burst * nanosPerSecond; b.tokens > full {
		b.tokens = full
	}
}

// enforcement is a table's throttling state.
type enforcement struct {
	cfg atomic.Pointer[capConfig]
	// at is the clock reading of the latest admission: the debit that
	// follows it uses it instead of reading the clock again (a clock
	// reading costs more than the rest of the bucket work, and a reading
	// of a concurrent admission is as good: refills never go back).
	at          atomic.Int64
	mu          sync.Mutex // serializes rebuilds of cfg
	read, write bucket
	parts       atomic.Pointer[[]partBuckets]
}

// indexEnforcement is a GSI's throttling state.
type indexEnforcement struct {
	read, write bucket
}

// partBuckets are one partition's buckets.
type partBuckets struct{ read, write bucket }

// capConfig is what enforcement needs of one version of a table's catalog
// entry; it is rebuilt when the entry changes.
type capConfig struct {
	src      *Table
	enforce  bool
	onDemand bool
	// readReason and writeReason are the throttling reasons' limit types
	// of the table's own buckets.
	readReason, writeReason string
	indexes                 map[string]*capIndex
	parts                   []partBuckets
}

// capIndex is one GSI under enforcement.
type capIndex struct {
	st                      *indexCapacity
	arn                     string
	readReason, writeReason string
}

// capConf returns the enforcement configuration of t; enforce is false
// when throttling is off for t (the common, cheap case: one atomic load
// and a comparison).
func (n *Node) capConf(t *Table) *capConfig {
	c := t.capacity()
	if cfg := c.enf.cfg.Load(); cfg != nil && cfg.src == t {
		return cfg
	}
	return n.capRebuild(t, c)
}

// capRebuild computes t's enforcement configuration and applies it to
// the buckets.
func (n *Node) capRebuild(t *Table, c *tableCapacity) *capConfig {
	c.enf.mu.Lock()
	defer c.enf.mu.Unlock()
	cfg := &capConfig{src: t, enforce: n.opts.Capacity == CapacityEnforce}
	for _, tg := range t.Tags {
		if tg.Key != nil && tg.Value != nil && *tg.Key == CapacityTagKey {
			switch *tg.Value {
			case CapacityEnforce:
				cfg.enforce = true
			case CapacityOff:
				cfg.enforce = false
			}
		}
	}
	if !cfg.enforce {
		cfg.src = t
		c.enf.cfg.Store(cfg)
		return cfg
	}
	now := n.opts.Now().UnixNano()
	cfg.onDemand = t.PayPerRequest()
	cfg.readReason, cfg.writeReason = capSet(now, &c.enf.read, &c.enf.write, cfg.onDemand, t.Desc.Throughput, t.Desc.OnDemand)
	cfg.indexes = make(map[string]*capIndex, len(t.Desc.GlobalIndexes))
	for i := range t.Desc.GlobalIndexes {
		g := &t.Desc.GlobalIndexes[i]
		st := c.index(g.IndexName)
		ci := &capIndex{st: st, arn: t.Arn() + "/index/" + g.IndexName}
		ci.readReason, ci.writeReason = capSet(now, &st.enf.read, &st.enf.write, cfg.onDemand, g.Throughput, g.OnDemand)
		cfg.indexes[g.IndexName] = ci
	}
	np := capPartitions(t)
	if p := c.enf.parts.Load(); p != nil && len(*p) == np {
		cfg.parts = *p
	} else {
		parts := make([]partBuckets, np)
		for i := range parts {
			parts[i].read.set(now, capPartitionRead, 1)
			parts[i].write.set(now, capPartitionWrite, 1)
		}
		c.enf.parts.Store(&parts)
		cfg.parts = parts
	}
	c.enf.cfg.Store(cfg)
	return cfg
}

// capSet sizes a table's or GSI's read and write buckets and returns the
// limit types their throttling reasons name.
func capSet(now int64, r, w *bucket, onDemand bool, th Throughput, od *OnDemandThroughput) (readReason, writeReason string) {
	if !onDemand {
		r.set(now, th.Read, capBurstSeconds)
		w.set(now, th.Write, capBurstSeconds)
		return "ProvisionedThroughputExceeded", "ProvisionedThroughputExceeded"
	}
	rr, rw := int64(capTableQuota), int64(capTableQuota)
	readReason, writeReason = "AccountLimitExceeded", "AccountLimitExceeded"
	if od != nil {
		if v := od.MaxReadRequestUnits; v != nil && *v > 0 && *v <= rr {
			rr, readReason = *v, "MaxOnDemandThroughputExceeded"
		}
		if v := od.MaxWriteRequestUnits; v != nil && *v > 0 && *v <= rw {
			rw, writeReason = *v, "MaxOnDemandThroughputExceeded"
		}
	}
	r.set(now, rr, 1)
	w.set(now, rw, 1)
	return readReason, writeReason
}

// capPartitions is the number of partitions t's throughput needs: the
// larger of its provisioned (or on-demand warm) and requested warm
// throughput, at 3,000 read and 1,000 write units a partition.
func capPartitions(t *Table) int {
	w := describeWarm(t.Desc.Warm, t.PayPerRequest(), t.Desc.Throughput)
	r, wr := max(w.ReadUnitsPerSecond, t.Desc.Throughput.Read), max(w.WriteUnitsPerSecond, t.Desc.Throughput.Write)
	p := int(math.Ceil(float64(r)/capPartitionRead + float64(wr)/capPartitionWrite))
	return min(max(p, 1), 4096)
}

// part returns the buckets of the partition of engine key key (nil: no
// partition, as for a Scan).
func (cfg *capConfig) part(key []byte) *partBuckets {
	if len(key) < 13 || len(cfg.parts) == 0 {
		return nil
	}
	// Partitions are ranges of the key hash, as DynamoDB splits its key
	// space: the hash's top bits choose (the DynamoDB layout's hash keeps
	// its low 8 bits zero, so a modulus would put every key in one).
	h := binary.BigEndian.Uint32(key[9:13])
	return &cfg.parts[uint64(h)*uint64(len(cfg.parts))>>32]
}

// capThrottle builds the throttling error of t: ProvisionedThroughputExceeded
// for provisioned tables, ThrottlingException on demand, with the
// ThrottlingReasons of the SDK's model.
func capThrottle(onDemand, index bool, reason, resource string) *ddb.Error {
	reasons := append(append(append(append([]byte(`[{"reason":`), ddb.AppendString(nil, reason)...), `,"resource":`...),
		ddb.AppendString(nil, resource)...), "}]"...)
	if onDemand {
		msg := msgThrottledOnDemand
		if index {
			msg = msgThrottledOnDemandIndex
		}
		return &ddb.Error{Status: 400, Type: nsAvailability + "ThrottlingException", Message: msg,
			Extra: []ddb.Field{{Name: "throttlingReasons", JSON: reasons}}}
	}
	msg := msgThrottledTable
	if index {
		msg = msgThrottledIndex
	}
	return &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "ProvisionedThroughputExceededException", Message: msg,
		Extra: []ddb.Field{{Name: "ThrottlingReasons", JSON: reasons}}}
}

// capNow is the node's clock in Unix nanoseconds.
func (n *Node) capNow() int64 { return n.opts.Now().UnixNano() }

// capAt is the instant a debit of c is made at: that of the latest
// admission.
func (c *tableCapacity) capAt(n *Node) int64 {
	if at := c.enf.at.Load(); at != 0 {
		return at
	}
	return n.capNow()
}

// ---------------------------------------------------------------------------
// The hooks of the data plane.

// capAdmitRead admits a read of t (index "" for the table, else a GSI
// name; key: the engine key of the item or partition read, nil for a
// Scan), or returns the throttling error. It does not count the request
// as throttled: callers that refuse it call capRefused.
func (n *Node) capAdmitRead(t *Table, index string, key []byte) error {
	cfg := n.capConf(t)
	if !cfg.enforce {
		return nil
	}
	now := n.capNow()
	c := t.capacity()
	c.enf.at.Store(now)
	if index != "" {
		if ci := cfg.indexes[index]; ci != nil {
			if !ci.st.enf.read.positive(now) {
				ci.st.readThrottles.Add(1)
				return capThrottle(cfg.onDemand, true, "IndexRead"+ci.readReason, ci.arn)
			}
			return nil
		}
		// A local secondary index reads the table's capacity.
	}
	if !c.enf.read.positive(now) {
		c.readThrottles.Add(1)
		return capThrottle(cfg.onDemand, false, "TableRead"+cfg.readReason, t.Arn())
	}
	if p := cfg.part(key); p != nil && !p.read.positive(now) {
		c.readThrottles.Add(1)
		return capThrottle(cfg.onDemand, false, "TableReadKeyRangeThroughputExceeded", t.Arn())
	}
	return nil
}

// capChargeRead counts a read of units against t or its GSI index, and
// debits them under enforcement.
func (n *Node) capChargeRead(t *Table, index string, key []byte, units float64) {
	c := t.capacity()
	var ix *indexCapacity
	if index != "" {
		if _, ok := t.GlobalIndex(index); ok {
			ix = c.index(index)
		}
	}
	if ix != nil {
		ix.addRead(units)
	} else {
		c.addRead(units)
	}
	cfg := n.capConf(t)
	if !cfg.enforce {
		return
	}
	now := c.capAt(n)
	if ix != nil {
		ix.enf.read.take(now, units)
		return
	}
	c.enf.read.take(now, units)
	if p := cfg.part(key); p != nil {
		p.read.take(now, units)
	}
}

// capRead is capAdmitRead's error counted as a throttled request: the
// one-line hook of single-read operations.
func (n *Node) capRead(t *Table, index string, key []byte) error {
	err := n.capAdmitRead(t, index, key)
	if err != nil {
		t.capacity().throttled.Add(1)
	}
	return err
}

// capWrite admits and charges a write of t's item at engine key key: the
// table's units and each GSI's (from the index costs). Throttled, nothing
// is debited and the throttling error is returned; the caller writes
// nothing. refuse counts the request as throttled (false for batch items,
// which go to UnprocessedItems instead).
func (n *Node) capWrite(t *Table, key []byte, units float64, idx []itemIndexCost, refuse bool) error {
	cfg := n.capConf(t)
	c := t.capacity()
	if cfg.enforce {
		if err := n.capAdmitWrite(t, cfg, key, idx); err != nil {
			if refuse {
				c.throttled.Add(1)
			}
			return err
		}
	}
	n.capDebitWrite(t, cfg, key, units, idx)
	return nil
}

// capAdmitWrite checks the write buckets a write needs: a GSI out of
// write capacity throttles the table's write (back-pressure).
func (n *Node) capAdmitWrite(t *Table, cfg *capConfig, key []byte, idx []itemIndexCost) error {
	now := n.capNow()
	c := t.capacity()
	c.enf.at.Store(now)
	if !c.enf.write.positive(now) {
		c.writeThrottles.Add(1)
		return capThrottle(cfg.onDemand, false, "TableWrite"+cfg.writeReason, t.Arn())
	}
	if p := cfg.part(key); p != nil && !p.write.positive(now) {
		c.writeThrottles.Add(1)
		return capThrottle(cfg.onDemand, false, "TableWriteKeyRangeThroughputExceeded", t.Arn())
	}
	for _, ic := range idx {
		if !ic.global {
			continue
		}
		if ci := cfg.indexes[ic.name]; ci != nil && !ci.st.enf.write.positive(now) {
			ci.st.writeThrottles.Add(1)
			c.writeThrottles.Add(1)
			return capThrottle(cfg.onDemand, true, "IndexWrite"+ci.writeReason, ci.arn)
		}
	}
	return nil
}

// capDebitWrite counts (and under enforcement debits) an admitted write.
func (n *Node) capDebitWrite(t *Table, cfg *capConfig, key []byte, units float64, idx []itemIndexCost) {
	c := t.capacity()
	c.addWrite(units)
	for _, ic := range idx {
		if ic.global {
			c.index(ic.name).addWrite(ic.units)
		} else {
			c.addWrite(ic.units) // a local index consumes the table's capacity
		}
	}
	if !cfg.enforce {
		return
	}
	now := c.capAt(n)
	local := 0.0
	for _, ic := range idx {
		if !ic.global {
			local += ic.units
			continue
		}
		if ci := cfg.indexes[ic.name]; ci != nil {
			ci.st.enf.write.take(now, ic.units)
		}
	}
	c.enf.write.take(now, units+local)
	if p := cfg.part(key); p != nil {
		p.write.take(now, units+local)
	}
}

// capIndex is the GSI a Query or Scan page reads ("" for the table or a
// local index, which read the table's capacity).
func (p *qsPage) capIndex() string {
	if p.tg.ix != nil && p.tg.global {
		return p.tg.ix.IndexName
	}
	return ""
}

// capCharge counts (and debits) what a Query or Scan page consumed, as
// appendCapacity reports it: the bytes read summed and rounded up once.
func (p *qsPage) capCharge(readBytes, baseBytes int) {
	t := p.tg.t
	switch {
	case p.tg.ix == nil:
		p.n.capChargeRead(t, "", p.part, qsUnits(readBytes, true, p.consistent))
	case p.tg.global:
		p.n.capChargeRead(t, p.tg.ix.IndexName, nil, qsUnits(readBytes, true, p.consistent))
	default:
		p.n.capChargeRead(t, "", nil, qsUnits(readBytes, true, p.consistent)+qsUnits(baseBytes, false, p.consistent))
	}
}

// capRefuseBatch counts a batch call whose every item was throttled as a
// throttled request of t (its first table): DynamoDB then fails the whole
// call with the throttling error. It reports true.
func (n *Node) capRefuseBatch(t *Table) bool {
	t.capacity().throttled.Add(1)
	return true
}

// capTxReason turns a throttling error into the cancellation reason of a
// transaction item.
func capTxReason(err error) txReason {
	e, _ := ddb.AsError(err)
	if e.Name() == "ThrottlingException" {
		return txReason{code: txCodeThrottling, msg: e.Message}
	}
	return txReason{code: txCodeProvisioned, msg: e.Message}
}

// capTxWrite admits the actions of a transaction (all of them, before
// anything is written) and charges them twice their units, as
// ReturnConsumedCapacity reports them; a throttled action cancels the
// transaction with its reason.
func (n *Node) capTxWrite(actions []*txAction, reasons []txReason) error {
	throttled := false
	for i, act := range actions {
		cfg := n.capConf(act.t)
		if !cfg.enforce {
			continue
		}
		if err := n.capAdmitWrite(act.t, cfg, act.ekey, txIndexCosts(act)); err != nil {
			reasons[i] = capTxReason(err)
			if !throttled {
				act.t.capacity().throttled.Add(1)
			}
			throttled = true
		}
	}
	if throttled {
		return txCanceled(reasons)
	}
	for _, act := range actions {
		units := itemWriteUnits(act.oldSize, act.newSize)
		if act.kind == txCheck {
			units = itemWriteUnits(act.oldSize, 0)
		}
		idx := txIndexCosts(act)
		for i := range idx {
			idx[i].units *= txFactor
		}
		n.capDebitWrite(act.t, n.capConf(act.t), act.ekey, txFactor*units, idx)
	}
	return nil
}

// txIndexCosts are the index costs of a transaction action (none for a
// ConditionCheck).
func txIndexCosts(act *txAction) []itemIndexCost {
	if act.kind == txCheck {
		return nil
	}
	return act.t.itemIndexCosts(act.old, act.new)
}

// capTxAdmitReads admits the reads of a TransactGetItems; a throttled one
// cancels the transaction with its reason.
func (n *Node) capTxAdmitReads(gets []*txGet, reasons []txReason) error {
	throttled := false
	for i, g := range gets {
		if err := n.capAdmitRead(g.t, "", g.ekey); err != nil {
			reasons[i] = capTxReason(err)
			if !throttled {
				g.t.capacity().throttled.Add(1)
			}
			throttled = true
		}
	}
	if throttled {
		return txCanceled(reasons)
	}
	return nil
}
