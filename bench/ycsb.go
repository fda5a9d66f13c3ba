package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Mix is the share of each operation of a workload; shares need not add
// up to 1 (they are normalized).
type Mix struct {
	Read   float64 // GetItem
	Update float64 // UpdateItem (SET payload, ADD ver 1)
	Insert float64 // PutItem of a new key
	Scan   float64 // Query of a partition range (YCSB's scan)
	RMW    float64 // GetItem, then PutItem conditional on the version read
	Batch  float64 // BatchGetItem of BatchSize keys
}

// Presets are the YCSB core workloads mapped to DynamoDB calls.
var Presets = map[string]struct {
	Mix  Mix
	Dist string
	Desc string
}{
	"a": {Mix{Read: 0.5, Update: 0.5}, "zipfian", "update heavy: 50% GetItem, 50% UpdateItem, zipfian"},
	"b": {Mix{Read: 0.95, Update: 0.05}, "zipfian", "read mostly: 95% GetItem, 5% UpdateItem, zipfian"},
	"c": {Mix{Read: 1}, "zipfian", "read only: 100% GetItem, zipfian"},
	"d": {Mix{Read: 0.95, Insert: 0.05}, "latest", "read latest: 95% GetItem, 5% PutItem of new keys, latest"},
	"e": {Mix{Scan: 0.95, Insert: 0.05}, "zipfian", "short ranges: 95% Query of up to --max-scan items, 5% PutItem, zipfian"},
	"f": {Mix{Read: 0.5, RMW: 0.5}, "zipfian", "read-modify-write: 50% GetItem, 50% GetItem + conditional PutItem, zipfian"},
}

// Spec describes a workload on a table of Records items.
type Spec struct {
	Table         string
	Records       int
	Mix           Mix
	Keys          KeyChooser
	Sizes         SizeChooser
	Consistent    float64 // share of reads with ConsistentRead
	MaxScan       int     // longest Query (items), default 100
	PartitionSize int     // items per partition key, default 100
	BatchSize     int     // keys per BatchGetItem, default 10
	Seed          uint64
	// SplitReads reports GetItem by how a dynax proxy served it ("GetItem
	// hit", "GetItem forwarded-hit", "GetItem miss", "GetItem bypass"),
	// from its x-dynax-cache and x-dynax-forwarded headers.
	SplitReads bool
}

func (s *Spec) defaults() {
	if s.MaxScan <= 0 {
		s.MaxScan = 100
	}
	if s.PartitionSize <= 0 {
		s.PartitionSize = 100
	}
	if s.BatchSize <= 0 {
		s.BatchSize = 10
	}
	if s.Keys == nil {
		s.Keys = uniform{}
	}
}

// appendKey appends the primary key of record i: partition pk "pNNNNNNN"
// (PartitionSize records each) and numeric sort key sk.
func (s *Spec) appendKey(b []byte, i int) []byte {
	b = append(b, `{"pk":{"S":"p`...)
	b = appendPadded(b, i/s.PartitionSize)
	b = append(b, `"},"sk":{"N":"`...)
	b = strconv.AppendInt(b, int64(i%s.PartitionSize), 10)
	return append(b, `"}}`...)
}

func appendPadded(b []byte, n int) []byte {
	d := strconv.Itoa(n)
	for i := len(d); i < 7; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

var payload = strings.Repeat("x", 400*1024)

func (s *Spec) appendItem(b []byte, i int, ver int64, size int) []byte {
	k := s.appendKey(nil, i)
	b = append(b, k[:len(k)-1]...) // drop the closing brace
	b = append(b, `,"ver":{"N":"`...)
	b = strconv.AppendInt(b, ver, 10)
	b = append(b, `"},"v":{"S":"`...)
	b = append(b, payload[:min(size, len(payload))]...)
	return append(b, `"}}`...)
}

// CreateTable creates the workload's table (pk S, sk N) and waits for it.
func (s *Spec) CreateTable(c *Client) error {
	return createTable(c, s.Table, true)
}

// LoadData writes the Records items with BatchWriteItem (25 per call,
// conc calls in flight), retrying unprocessed items. Progress goes to
// progress (nil: none): a bar when tty, else a line every 10%.
func (s *Spec) LoadData(c *Client, conc int, progress io.Writer, tty bool) error {
	s.defaults()
	conc = max(conc, 1)
	var (
		next, done atomic.Int64
		firstErr   error
		mu         sync.Mutex
		wg         sync.WaitGroup
	)
	total := int64(s.Records)
	stop, stopped := make(chan struct{}), make(chan struct{})
	bar := func(d int64) {
		fmt.Fprintf(progress, "\rload %s [%-30s] %d/%d", c.Endpoint(), strings.Repeat("#", int(30*d/max(total, 1))), d, total)
	}
	if progress == nil {
		close(stopped)
	} else {
		fmt.Fprintf(progress, "load %s: %d items into %s (BatchWriteItem of 25)\n", c.Endpoint(), total, s.Table)
		go func() {
			defer close(stopped)
			lastDecile := int64(-1)
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				d := done.Load()
				if tty {
					bar(d)
				} else if dec := 10 * d / max(total, 1); dec != lastDecile {
					lastDecile = dec
					fmt.Fprintf(progress, "load %s: %d/%d items (%d%%)\n", c.Endpoint(), d, total, 100*d/max(total, 1))
				}
			}
		}()
	}
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(s.Seed, uint64(w)+1000))
			for {
				from := next.Add(25) - 25
				if from >= total {
					return
				}
				to := min(from+25, total)
				b := []byte(`{"RequestItems":{"` + s.Table + `":[`)
				for i := from; i < to; i++ {
					if i > from {
						b = append(b, ',')
					}
					b = append(b, `{"PutRequest":{"Item":`...)
					b = s.appendItem(b, int(i), 1, s.Sizes.Next(rng))
					b = append(b, `}}`...)
				}
				b = append(b, `]}}`...)
				if err := batchWrite(c, b); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					next.Store(total)
					return
				}
				done.Add(to - from)
			}
		}(w)
	}
	wg.Wait()
	close(stop)
	<-stopped
	if progress != nil {
		if tty {
			bar(done.Load())
			fmt.Fprintln(progress)
		}
		if firstErr == nil {
			fmt.Fprintf(progress, "load %s: %d items done\n", c.Endpoint(), done.Load())
		}
	}
	return firstErr
}

// batchWrite sends one BatchWriteItem and resends unprocessed items.
func batchWrite(c *Client, body []byte) error {
	for attempt := 0; ; attempt++ {
		status, out, err := c.Do(Request{Operation: "BatchWriteItem", Body: body})
		if err != nil {
			return err
		}
		if status != 200 {
			if e := apiError(status, out); e.Type == "ProvisionedThroughputExceededException" || e.Type == "ThrottlingException" {
				time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
				continue
			}
			return fmt.Errorf("BatchWriteItem: HTTP %d %s", status, out)
		}
		var resp struct {
			UnprocessedItems map[string]json.RawMessage
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			return fmt.Errorf("BatchWriteItem: %w", err)
		}
		if len(resp.UnprocessedItems) == 0 {
			return nil
		}
		if attempt > 100 {
			return fmt.Errorf("BatchWriteItem: items still unprocessed after %d attempts", attempt)
		}
		body, _ = json.Marshal(map[string]any{"RequestItems": resp.UnprocessedItems})
		time.Sleep(time.Duration(attempt+1) * time.Millisecond)
	}
}

// StaleStats count reads that returned an older version of an item than
// the last write of it acknowledged before the read was sent.
type StaleStats struct {
	Checked int64     // reads checked
	Stale   int64     // stale reads
	Age     Histogram // stale reads: ns between the newer write's acknowledgement and the read
}

func (s *StaleStats) merge(o *StaleStats) {
	s.Checked += o.Checked
	s.Stale += o.Stale
	s.Age.Merge(&o.Age)
}

// Tracker remembers, per key, the highest version whose write was
// acknowledged and when. Versions are assigned by the server (UpdateItem
// ADD ver 1, returning UPDATED_NEW) or by conditional writes, so their
// order is the order the writes were applied in.
type Tracker struct {
	base []trackEntry
	mu   sync.Mutex
	more map[int]*trackEntry
}

type trackEntry struct {
	ver atomic.Int64
	at  atomic.Int64 // unix ns of the acknowledgement
}

// NewTracker returns a tracker for records keys (more are added as needed).
func NewTracker(records int) *Tracker {
	return &Tracker{base: make([]trackEntry, records), more: map[int]*trackEntry{}}
}

func (t *Tracker) entry(i int) *trackEntry {
	if i < len(t.base) {
		return &t.base[i]
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.more[i]
	if e == nil {
		e = &trackEntry{}
		t.more[i] = e
	}
	return e
}

// Ack records that the write of version ver of key i was acknowledged at.
func (t *Tracker) Ack(i int, ver int64, at time.Time) {
	e := t.entry(i)
	for {
		cur := e.ver.Load()
		if ver <= cur {
			return
		}
		if e.ver.CompareAndSwap(cur, ver) {
			e.at.Store(at.UnixNano())
			return
		}
	}
}

// Last returns the highest acknowledged version of key i and when it was
// acknowledged (0 when none).
func (t *Tracker) Last(i int) (int64, int64) {
	e := t.entry(i)
	return e.ver.Load(), e.at.Load()
}

// State is what a workload keeps about one endpoint between runs: the
// next insert key and the staleness tracker.
type State struct {
	inserted atomic.Int64 // keys inserted so far beyond Records (claimed)
	Tracker  *Tracker
}

// NewState returns the state of a freshly loaded endpoint.
func NewState(records int) *State { return &State{Tracker: NewTracker(records)} }

// NewWorker returns worker w of the workload on an endpoint with state st;
// the same seed and w give the same sequence of operations.
func (s *Spec) NewWorker(st *State, w int) Worker {
	s.defaults()
	m := s.Mix
	total := m.Read + m.Update + m.Insert + m.Scan + m.RMW + m.Batch
	if total <= 0 {
		m, total = Mix{Read: 1}, 1
	}
	cum := []float64{m.Read, m.Update, m.Insert, m.Scan, m.RMW, m.Batch}
	acc := 0.0
	for i := range cum {
		acc += cum[i] / total
		cum[i] = acc
	}
	return &ycsbWorker{spec: s, st: st, rng: rand.New(rand.NewPCG(s.Seed, uint64(w)+1)), cum: cum}
}

// NewWorkerWritingTo is NewWorker with every write (updates, inserts, the
// write of read-modify-writes) sent to writes instead of the measured
// endpoint: reads of a cache then meet writes the cache did not see, and
// the stale-read check measures how stale it serves.
func (s *Spec) NewWorkerWritingTo(st *State, w int, writes *Client) Worker {
	y := s.NewWorker(st, w).(*ycsbWorker)
	y.writes = NewSession(writes)
	return y
}

type ycsbWorker struct {
	sdk    *dynamodb.Client // nil: the lean client
	writes *Session         // nil: writes go where reads go
	spec   *Spec
	st     *State
	rng    *rand.Rand
	cum    []float64
	buf    []byte
	stale  StaleStats
}

func (y *ycsbWorker) staleStats() *StaleStats { return &y.stale }

func (y *ycsbWorker) keys() int { return y.spec.Records + int(y.st.inserted.Load()) }

// Step implements Worker.
func (y *ycsbWorker) Step(s *Session) (string, error) {
	u := y.rng.Float64()
	op := 0
	for op < len(y.cum)-1 && u >= y.cum[op] {
		op++
	}
	if y.sdk != nil {
		return y.sdkStep(op)
	}
	ws := s
	if y.writes != nil {
		ws = y.writes
	}
	switch op {
	case 0:
		_, err := y.read(s, y.spec.Keys.Next(y.rng, y.keys()))
		if y.spec.SplitReads && err == nil {
			if c := s.CacheState(); c != "" {
				return "GetItem " + c, nil
			}
		}
		return "GetItem", err
	case 1:
		return "UpdateItem", y.update(ws, y.spec.Keys.Next(y.rng, y.keys()))
	case 2:
		return "PutItem", y.insert(ws)
	case 3:
		return "Query", y.scan(s, y.spec.Keys.Next(y.rng, y.keys()))
	case 4:
		return "ReadModifyWrite", y.rmw(s, ws, y.spec.Keys.Next(y.rng, y.keys()))
	default:
		return "BatchGetItem", y.batch(s)
	}
}

func (y *ycsbWorker) tableHead() []byte {
	y.buf = append(y.buf[:0], `{"TableName":"`...)
	y.buf = append(y.buf, y.spec.Table...)
	return append(y.buf, `",`...)
}

// read sends GetItem for key i, checks the version it returns against the
// tracker, and returns that version (0: no item).
func (y *ycsbWorker) read(s *Session, i int) (int64, error) {
	b := append(y.tableHead(), `"Key":`...)
	b = y.spec.appendKey(b, i)
	if y.spec.Consistent > 0 && y.rng.Float64() < y.spec.Consistent {
		b = append(b, `,"ConsistentRead":true`...)
	}
	b = append(b, '}')
	y.buf = b
	want, ackAt := y.st.Tracker.Last(i)
	sent := time.Now()
	status, out, err := s.Call(Request{Operation: "GetItem", Body: b})
	if err != nil {
		return 0, err
	}
	if status != 200 {
		return 0, apiError(status, out)
	}
	ver := versionOf(out)
	y.checkVersion(acked{want, ackAt}, ver, sent)
	return ver, nil
}

// versionOf finds the ver attribute of an item in a GetItem answer.
func versionOf(out []byte) int64 {
	i := bytes.Index(out, []byte(`"ver"`))
	if i < 0 {
		return 0
	}
	rest := out[i+5:]
	j := bytes.Index(rest, []byte(`"N"`))
	if j < 0 {
		return 0
	}
	rest = rest[j+3:]
	k := bytes.IndexByte(rest, '"')
	if k < 0 {
		return 0
	}
	rest = rest[k+1:]
	var v int64
	for _, c := range rest {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
	}
	return v
}

func (y *ycsbWorker) update(s *Session, i int) error {
	b := append(y.tableHead(), `"Key":`...)
	b = y.spec.appendKey(b, i)
	b = append(b, `,"UpdateExpression":"SET v = :v ADD ver :one","ExpressionAttributeValues":{":one":{"N":"1"},":v":{"S":"`...)
	b = append(b, payload[:y.spec.Sizes.Next(y.rng)]...)
	b = append(b, `"}},"ReturnValues":"UPDATED_NEW"}`...)
	y.buf = b
	status, out, err := s.Call(Request{Operation: "UpdateItem", Body: b})
	if err != nil {
		return err
	}
	if status != 200 {
		return apiError(status, out)
	}
	if v := versionOf(out); v > 0 {
		y.st.Tracker.Ack(i, v, time.Now())
	}
	return nil
}

func (y *ycsbWorker) insert(s *Session) error {
	i := y.spec.Records + int(y.st.inserted.Add(1)-1)
	return y.put(s, i, 1, -1)
}

// put writes version ver of key i; when cond ≥ 0 only if the stored
// version is cond (0: the item has no version).
func (y *ycsbWorker) put(s *Session, i int, ver, cond int64) error {
	b := append(y.tableHead(), `"Item":`...)
	b = y.spec.appendItem(b, i, ver, y.spec.Sizes.Next(y.rng))
	switch {
	case cond == 0:
		b = append(b, `,"ConditionExpression":"attribute_not_exists(ver)"`...)
	case cond > 0:
		b = append(b, `,"ConditionExpression":"ver = :old","ExpressionAttributeValues":{":old":{"N":"`...)
		b = strconv.AppendInt(b, cond, 10)
		b = append(b, `"}}`...)
	}
	b = append(b, '}')
	y.buf = b
	status, out, err := s.Call(Request{Operation: "PutItem", Body: b})
	if err != nil {
		return err
	}
	if status != 200 {
		return apiError(status, out)
	}
	y.st.Tracker.Ack(i, ver, time.Now())
	return nil
}

func (y *ycsbWorker) rmw(s, ws *Session, i int) error {
	ver, err := y.read(s, i)
	if err != nil {
		return err
	}
	return y.put(ws, i, ver+1, ver)
}

func (y *ycsbWorker) scan(s *Session, i int) error {
	n := 1 + y.rng.IntN(y.spec.MaxScan)
	b := append(y.tableHead(), `"KeyConditionExpression":"pk = :p AND sk >= :s","ExpressionAttributeValues":{":p":{"S":"p`...)
	b = appendPadded(b, i/y.spec.PartitionSize)
	b = append(b, `"},":s":{"N":"`...)
	b = strconv.AppendInt(b, int64(i%y.spec.PartitionSize), 10)
	b = append(b, `"}},"Limit":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	if y.spec.Consistent > 0 && y.rng.Float64() < y.spec.Consistent {
		b = append(b, `,"ConsistentRead":true`...)
	}
	b = append(b, '}')
	y.buf = b
	status, out, err := s.Call(Request{Operation: "Query", Body: b})
	if err != nil {
		return err
	}
	if status != 200 {
		return apiError(status, out)
	}
	return nil
}

func (y *ycsbWorker) batch(s *Session) error {
	b := append(y.buf[:0], `{"RequestItems":{"`...)
	b = append(b, y.spec.Table...)
	b = append(b, `":{"Keys":[`...)
	seen := map[int]bool{}
	n := y.keys()
	for k, tries := 0, 0; k < y.spec.BatchSize && len(seen) < n; tries++ {
		i := y.spec.Keys.Next(y.rng, n)
		if seen[i] {
			if tries > 20*y.spec.BatchSize {
				i = y.rng.IntN(n) // very skewed: fill up uniformly
			}
			if seen[i] {
				continue
			}
		}
		seen[i] = true
		if k > 0 {
			b = append(b, ',')
		}
		b = y.spec.appendKey(b, i)
		k++
	}
	b = append(b, ']')
	if y.spec.Consistent > 0 && y.rng.Float64() < y.spec.Consistent {
		b = append(b, `,"ConsistentRead":true`...)
	}
	b = append(b, `}}}`...)
	y.buf = b
	want := y.snapshot(seen)
	sent := time.Now()
	status, out, err := s.Call(Request{Operation: "BatchGetItem", Body: b})
	if err != nil {
		return err
	}
	if status != 200 {
		return apiError(status, out)
	}
	var resp struct {
		Responses map[string][]map[string]map[string]string
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return &checkError{kind: "bad_response", msg: err.Error()}
	}
	for _, item := range resp.Responses[y.spec.Table] {
		part, err1 := strconv.Atoi(strings.TrimPrefix(item["pk"]["S"], "p"))
		sk, err2 := strconv.Atoi(item["sk"]["N"])
		if err1 != nil || err2 != nil {
			continue
		}
		ver, _ := strconv.ParseInt(item["ver"]["N"], 10, 64)
		y.checkVersion(want[part*y.spec.PartitionSize+sk], ver, sent)
	}
	return nil
}

// acked is a tracker snapshot of one key.
type acked struct{ ver, at int64 }

// snapshot returns the last acknowledged version of each key.
func (y *ycsbWorker) snapshot(keys map[int]bool) map[int]acked {
	m := make(map[int]acked, len(keys))
	for i := range keys {
		v, at := y.st.Tracker.Last(i)
		m[i] = acked{v, at}
	}
	return m
}

// checkVersion counts a read that returned ver when want was the last
// acknowledged write before it was sent.
func (y *ycsbWorker) checkVersion(want acked, ver int64, sent time.Time) {
	y.stale.Checked++
	if ver < want.ver {
		y.stale.Stale++
		y.stale.Age.Record(max(sent.UnixNano()-want.at, 0))
	}
}
