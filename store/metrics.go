package store

// The node's CloudWatch-style metrics (docs/metrics.md), in a Prometheus
// registry of its own (several nodes may live in one process).
//
// The request path pays for one latency observation and, on errors, one
// counter: ServeDynamoDB finds the request's table with a byte search
// (requestTable), resolves the table's metrics through a copy-on-write map
// (one atomic load, no lock, no allocation) and observes a histogram
// cached per table and operation. Everything else — consumed and
// provisioned capacity, throttles, the engine's figures, replication — is
// read when /metrics is scraped, by collectors (no cost per request).

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// LatencyBuckets are the upper bounds (seconds) of the
// SuccessfulRequestLatency histograms: the proxy's RequestLatencySeconds
// bounds, so that one quantile reader serves both.
var LatencyBuckets = []float64{
	0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// Metric and label names: CloudWatch's DynamoDB metric names and
// dimensions.
const (
	labelTable     = "TableName"
	labelOperation = "Operation"
	labelIndex     = "GlobalSecondaryIndexName"
)

// opIndexes numbers the timed operations (DynamoDB's and DynamoDB
// Streams'), built once after every operation file registered itself.
var (
	opIndexOnce sync.Once
	opIndexes   map[string]int // prefix-less operation name → index
	opNames     []string
)

func buildOpIndexes() {
	opIndexOnce.Do(func() {
		for name := range ops {
			opNames = append(opNames, name)
		}
		for name := range streamOps {
			if _, dup := ops[name]; !dup {
				opNames = append(opNames, name)
			}
		}
		slices.Sort(opNames)
		opIndexes = make(map[string]int, len(opNames))
		for i, name := range opNames {
			opIndexes[name] = i
		}
	})
}

// nodeMetrics are the request-path metrics of a node.
type nodeMetrics struct {
	n   *Node
	off bool // Options.DisableRequestMetrics

	reg *prometheus.Registry

	latency      *prometheus.HistogramVec // SuccessfulRequestLatency{TableName,Operation}
	returned     *prometheus.CounterVec   // ReturnedItemCount{TableName,Operation}
	systemErrors *prometheus.CounterVec   // SystemErrors{TableName,Operation}
	condFailed   *prometheus.CounterVec   // ConditionalCheckFailedRequests{TableName}
	txConflicts  *prometheus.CounterVec   // TransactionConflict{TableName}
	ttlDeleted   *prometheus.CounterVec   // TimeToLiveDeletedItemCount{TableName}
	userErrors   prometheus.Counter       // UserErrors (account-wide, as CloudWatch)

	// tables maps a table name to its metrics; it is replaced, never
	// changed (copy-on-write under mu), so readers take no lock.
	tables atomic.Pointer[map[string]*tableMetrics]
	mu     sync.Mutex
	// none holds the figures of requests that name no existing table
	// (TableName=""), so unknown names cannot grow the label set.
	none *tableMetrics
}

// tableMetrics are one table's resolved series.
type tableMetrics struct {
	name    string
	latency []atomic.Pointer[observer] // by operation index, created on first use
}

type observer struct{ prometheus.Observer }

func newNodeMetrics(n *Node) *nodeMetrics {
	buildOpIndexes()
	m := &nodeMetrics{n: n, off: n.opts.DisableRequestMetrics, reg: prometheus.NewRegistry()}
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "SuccessfulRequestLatency",
		Help:    "Seconds the node took to serve successful requests, by table and operation (CloudWatch: SuccessfulRequestLatency, in milliseconds there).",
		Buckets: LatencyBuckets,
	}, []string{labelTable, labelOperation})
	m.returned = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ReturnedItemCount",
		Help: "Items returned by Query and Scan (Count), by table and operation.",
	}, []string{labelTable, labelOperation})
	m.systemErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "SystemErrors",
		Help: "Requests answered with an HTTP 500 status, by table and operation.",
	}, []string{labelTable, labelOperation})
	m.condFailed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ConditionalCheckFailedRequests",
		Help: "Writes whose condition expression evaluated to false (ConditionalCheckFailedException), by table.",
	}, []string{labelTable})
	m.txConflicts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "TransactionConflict",
		Help: "Requests rejected because of a conflict with a concurrent transaction on the same item, by table.",
	}, []string{labelTable})
	m.ttlDeleted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "TimeToLiveDeletedItemCount",
		Help: "Items deleted by Time to Live, by table.",
	}, []string{labelTable})
	m.userErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "UserErrors",
		Help: "Requests answered with an HTTP 400 status, except ConditionalCheckFailedException and throttling (counted by their own metrics), as CloudWatch counts them; account-wide.",
	})
	m.reg.MustRegister(m.latency, m.returned, m.systemErrors, m.condFailed, m.txConflicts, m.ttlDeleted, m.userErrors,
		capacityCollector{n}, engineCollector{n}, replicationCollector{n}, insightsCollector{n})
	empty := map[string]*tableMetrics{}
	m.tables.Store(&empty)
	m.none = newTableMetrics("")
	return m
}

func newTableMetrics(name string) *tableMetrics {
	return &tableMetrics{name: name, latency: make([]atomic.Pointer[observer], len(opNames))}
}

// table returns the metrics of the table a request names (nil name or a
// table that does not exist: m.none).
func (m *nodeMetrics) table(name []byte) *tableMetrics {
	if len(name) == 0 {
		return m.none
	}
	if tm, ok := (*m.tables.Load())[string(name)]; ok {
		return tm
	}
	s := string(name)
	if _, ok := m.n.cat.get(s); !ok {
		return m.none
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.tables.Load()
	if tm, ok := old[s]; ok {
		return tm
	}
	next := make(map[string]*tableMetrics, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	tm := newTableMetrics(s)
	next[s] = tm
	m.tables.Store(&next)
	return tm
}

// prune forgets the series of tables that no longer exist.
func (m *nodeMetrics) prune() {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.tables.Load()
	var gone []string
	for name := range old {
		if _, ok := m.n.cat.get(name); !ok {
			gone = append(gone, name)
		}
	}
	if len(gone) == 0 {
		return
	}
	next := make(map[string]*tableMetrics, len(old))
	for k, v := range old {
		next[k] = v
	}
	for _, name := range gone {
		delete(next, name)
		l := prometheus.Labels{labelTable: name}
		m.latency.DeletePartialMatch(l)
		m.returned.DeletePartialMatch(l)
		m.systemErrors.DeletePartialMatch(l)
		m.condFailed.DeletePartialMatch(l)
		m.txConflicts.DeletePartialMatch(l)
		m.ttlDeleted.DeletePartialMatch(l)
	}
	m.tables.Store(&next)
}

// observe records one request of operation op (index i) on the table
// named in body, which took d and ended with out and err.
func (m *nodeMetrics) observe(i int, op string, body, out []byte, err error, d time.Duration) {
	tm := m.table(requestTable(op, body))
	if err == nil {
		o := tm.latency[i].Load()
		if o == nil {
			o = &observer{m.latency.WithLabelValues(tm.name, op)}
			tm.latency[i].Store(o)
		}
		o.Observe(d.Seconds())
		if op == "Query" || op == "Scan" {
			if c, ok := returnedCount(out); ok {
				m.returned.WithLabelValues(tm.name, op).Add(float64(c))
			}
		}
		return
	}
	status, typ, msg := 500, "", ""
	var pt *wire.Passthrough
	if de, ok := ddb.AsError(err); ok {
		status, typ, msg = de.Status, de.Type[strings.IndexByte(de.Type, '#')+1:], de.Message
	} else if errors.As(err, &pt) {
		status = pt.Status
	}
	switch {
	case status >= 500:
		m.systemErrors.WithLabelValues(tm.name, op).Inc()
	case typ == "ConditionalCheckFailedException":
		m.condFailed.WithLabelValues(tm.name).Inc()
	case typ == "ProvisionedThroughputExceededException", typ == "ThrottlingException", typ == "RequestLimitExceeded":
		// ThrottledRequests and the throttle events come from the
		// capacity figures.
	case typ == "TransactionConflictException",
		typ == "TransactionCanceledException" && strings.Contains(msg, "TransactionConflict"):
		m.txConflicts.WithLabelValues(tm.name).Inc()
		m.userErrors.Inc()
	default:
		m.userErrors.Inc()
	}
}

// ttlDeletedItems counts items of table deleted by Time to Live.
func (m *nodeMetrics) ttlDeletedItems(table string, count int) {
	if count > 0 {
		m.ttlDeleted.WithLabelValues(m.table([]byte(table)).name).Add(float64(count))
	}
}

var (
	// The keys without their opening quote, checked separately: the
	// search then skips on a rarer first byte than '"'.
	keyTableName    = []byte(`TableName"`)
	keyRequestItems = []byte(`RequestItems"`)
	keyScanned      = []byte(`,"ScannedCount":`)
	keyCount        = []byte(`"Count":`)
)

// requestTable finds the table a request body names without decoding it:
// the value of the first "TableName" key whose value is a string (the
// top-level one of single-table operations, the first action's in
// transactions), or the first key of "RequestItems" (batches). Inside a
// JSON string every quote is escaped, so the searched bytes only match
// real keys; the nested objects of items never hold a "TableName" whose
// value is a string (attribute values are objects). A table ARN gives its
// name. A name that is not a table's ends up unlabelled (m.table).
func requestTable(op string, body []byte) []byte {
	key := keyTableName
	if op == "BatchGetItem" || op == "BatchWriteItem" {
		key = keyRequestItems
	}
	for rest := body; ; {
		i := bytes.Index(rest, key)
		if i < 0 {
			return nil
		}
		quoted := i > 0 && rest[i-1] == '"'
		rest = rest[i+len(key):]
		v := skipSpace(rest)
		if !quoted || len(v) == 0 || v[0] != ':' {
			continue
		}
		v = skipSpace(v[1:])
		if key[0] == 'R' { // RequestItems: an object whose first key is a table
			if len(v) == 0 || v[0] != '{' {
				return nil
			}
			v = skipSpace(v[1:])
		}
		if len(v) == 0 || v[0] != '"' {
			continue
		}
		v = v[1:]
		end := bytes.IndexByte(v, '"')
		if end < 0 {
			return nil
		}
		name := v[:end]
		if bytes.IndexByte(name, '\\') >= 0 {
			return nil // never a valid table name
		}
		if bytes.HasPrefix(name, []byte("arn:")) {
			if j := bytes.Index(name, []byte(":table/")); j >= 0 {
				name = name[j+len(":table/"):]
				if k := bytes.IndexByte(name, '/'); k >= 0 {
					name = name[:k]
				}
			}
		}
		return name
	}
}

func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// returnedCount reads the Count of a Query or Scan answer, which the
// node writes just before ScannedCount (readpage.go); searching from the
// end skips the items.
func returnedCount(out []byte) (int, bool) {
	i := bytes.LastIndex(out, keyScanned)
	if i < 0 {
		return 0, false
	}
	j := i
	for j > 0 && out[j-1] >= '0' && out[j-1] <= '9' {
		j--
	}
	if j == i || !bytes.HasSuffix(out[:j], keyCount) {
		return 0, false
	}
	c := 0
	for _, d := range out[j:i] {
		c = c*10 + int(d-'0')
	}
	return c, true
}

// Metrics returns the node's metrics for scraping: every request-path
// metric, the capacity figures, the engine's and replication's. Tables
// deleted since the last call lose their series.
func (n *Node) Metrics() prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dtoMetricFamily, error) {
		n.met.prune()
		return n.met.reg.Gather()
	})
}

// WriteMetrics writes the node's metrics in the Prometheus text format.
func (n *Node) WriteMetrics(w io.Writer) error {
	return WriteMetricsText(w, n.Metrics())
}

// WriteMetricsText writes what g gathers in the Prometheus text format
// (version 0.0.4, ContentTypeText).
func WriteMetricsText(w io.Writer, g prometheus.Gatherer) error {
	mfs, err := g.Gather()
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if eerr := enc.Encode(mf); eerr != nil {
			return eerr
		}
	}
	return err
}

// ContentTypeText is the content type of WriteMetricsText's output.
const ContentTypeText = "text/plain; version=0.0.4; charset=utf-8"
