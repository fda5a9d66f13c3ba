package proxy

import (
	"math"
	"strconv"
	"sync/atomic"
	"time"
)

// Operation indexes for per-operation counters and latency histograms.
const (
	opGetItem = iota
	opBatchGetItem
	opQuery
	opScan
	opPutItem
	opUpdateItem
	opDeleteItem
	opBatchWriteItem
	opTransactWriteItems
	opTransactGetItems
	opExecuteStatement
	opBatchExecuteStatement
	opExecuteTransaction
	opOther
	numOps
)

var opNames = [numOps]string{
	"GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem",
	"BatchWriteItem", "TransactWriteItems", "TransactGetItems", "ExecuteStatement",
	"BatchExecuteStatement", "ExecuteTransaction", "Other",
}

// daxCountNames are DAX's CloudWatch names of the per-operation request
// counts (DAX has none for PartiQL and other operations).
var daxCountNames = [numOps]string{
	"GetItemRequestCount", "BatchGetItemRequestCount", "QueryRequestCount", "ScanRequestCount",
	"PutItemRequestCount", "UpdateItemRequestCount", "DeleteItemRequestCount",
	"BatchWriteItemRequestCount", "TransactWriteItemsCount", "TransactGetItemsCount",
	"ExecuteStatementRequestCount", "BatchExecuteStatementRequestCount", "ExecuteTransactionRequestCount",
	"OtherRequestCount",
}

func opIndex(op string) int {
	switch op {
	case "GetItem":
		return opGetItem
	case "BatchGetItem":
		return opBatchGetItem
	case "Query":
		return opQuery
	case "Scan":
		return opScan
	case "PutItem":
		return opPutItem
	case "UpdateItem":
		return opUpdateItem
	case "DeleteItem":
		return opDeleteItem
	case "BatchWriteItem":
		return opBatchWriteItem
	case "TransactWriteItems":
		return opTransactWriteItems
	case "TransactGetItems":
		return opTransactGetItems
	case "ExecuteStatement":
		return opExecuteStatement
	case "BatchExecuteStatement":
		return opBatchExecuteStatement
	case "ExecuteTransaction":
		return opExecuteTransaction
	}
	return opOther
}

// latencyBuckets are the upper bounds (seconds) of the latency histograms.
var latencyBuckets = [...]float64{
	0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// histogram is a lock-free Prometheus-style histogram.
type histogram struct {
	counts [len(latencyBuckets) + 1]atomic.Uint64 // last: +Inf
	sumNS  atomic.Int64
	n      atomic.Uint64
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(latencyBuckets) && s > latencyBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNS.Add(int64(d))
	h.n.Add(1)
}

// metrics holds the proxy's counters.
type metrics struct {
	requests [numOps]atomic.Uint64
	latency  [numOps]histogram
	total    atomic.Uint64
	errors   atomic.Uint64 // 4xx answers
	faults   atomic.Uint64 // 5xx answers and backend transport failures

	itemHits, itemMisses, itemNegHits, itemBypass atomic.Uint64
	queryHits, queryMisses, queryBypass           atomic.Uint64
	scanHits, scanMisses, scanBypass              atomic.Uint64
	writeInvalidations, tableInvalidations        atomic.Uint64
	fillsDropped                                  atomic.Uint64
	schemaLookups, schemaForgets                  atomic.Uint64

	backendCalls    atomic.Uint64
	backendFailures atomic.Uint64
	backendLatency  histogram

	feed    feedMetrics
	streams streamsMetrics
}

// feedMetrics count the change feed's application (feed.go).
type feedMetrics struct {
	following, position            atomic.Uint64
	changes, kept, trimmed, errors atomic.Uint64
	delay                          histogram // commit to applied
}

func (m *metrics) status(status int) {
	switch {
	case status >= 500:
		m.faults.Add(1)
	case status >= 400:
		m.errors.Add(1)
	}
}

// appendMetrics renders every metric in the Prometheus text format.
func (p *Proxy) appendMetrics(b []byte) []byte {
	m := &p.m
	is := p.items.Stats()
	counter := func(name, help string, v uint64) {
		b = append(b, "# HELP "+name+" "+help+"\n# TYPE "+name+" counter\n"+name+" "...)
		b = strconv.AppendUint(b, v, 10)
		b = append(b, '\n')
	}
	gauge := func(name, help string, v float64) {
		b = append(b, "# HELP "+name+" "+help+"\n# TYPE "+name+" gauge\n"+name+" "...)
		b = appendFloat(b, v)
		b = append(b, '\n')
	}
	counter("ItemCacheHits", "GetItem and BatchGetItem keys answered from the item cache (negative hits included).", m.itemHits.Load())
	counter("ItemCacheMisses", "GetItem and BatchGetItem keys fetched from the backend to fill the item cache.", m.itemMisses.Load())
	counter("ItemCacheNegativeHits", "Item cache hits on a cached \"not found\".", m.itemNegHits.Load())
	counter("ItemCacheBypass", "Eventually or strongly consistent item reads passed through uncached.", m.itemBypass.Load())
	counter("QueryCacheHits", "Query requests answered from the query cache.", m.queryHits.Load())
	counter("QueryCacheMisses", "Query requests forwarded to the backend to fill the query cache.", m.queryMisses.Load())
	counter("QueryCacheBypass", "Query requests passed through uncached.", m.queryBypass.Load())
	counter("ScanCacheHits", "Scan requests answered from the query cache.", m.scanHits.Load())
	counter("ScanCacheMisses", "Scan requests forwarded to the backend to fill the query cache.", m.scanMisses.Load())
	counter("ScanCacheBypass", "Scan requests passed through uncached.", m.scanBypass.Load())
	for i := 0; i < numOps; i++ {
		counter(daxCountNames[i], "Requests of operation "+opNames[i]+".", m.requests[i].Load())
	}
	counter("TotalRequestCount", "All requests served.", m.total.Load())
	counter("ErrorRequestCount", "Requests answered with a 4xx error (user errors, throttling).", m.errors.Load())
	counter("FaultRequestCount", "Requests answered with a 5xx error (backend faults and transport failures).", m.faults.Load())
	counter("FailedRequestCount", "Requests answered with any error.", m.errors.Load()+m.faults.Load())
	counter("EvictedSize", "Bytes evicted from the item cache to stay within its budget.", is.EvictedBytes)
	counter("EvictedCount", "Entries evicted from the item cache.", is.EvictedCount)
	counter("ItemCacheInvalidations", "Item cache entries invalidated (writes with unknown outcome or image, PartiQL writes).", is.Invalidations)
	counter("ItemCacheSets", "Item cache entries written (fills and write-through).", is.Sets)
	counter("TableInvalidations", "Whole-table invalidations (table deleted or recreated, unkeyed PartiQL writes).", m.tableInvalidations.Load())
	counter("FillsDropped", "Fills not installed because a write to the key overtook them.", m.fillsDropped.Load())
	counter("SchemaLookups", "DescribeTable calls made to learn key schemas.", m.schemaLookups.Load())
	counter("SchemaForgets", "Cached key schemas dropped (table deleted, recreated or changed).", m.schemaForgets.Load())
	counter("BackendRequestCount", "Calls made to the backend.", m.backendCalls.Load())
	counter("BackendFaultCount", "Backend calls that got no answer (transport failure or timeout).", m.backendFailures.Load())
	qsize, qentries := uint64(0), uint64(0)
	if p.queries != nil {
		qs := p.queries.Stats()
		qsize, qentries = uint64(qs.SizeBytes), uint64(qs.Entries)
		counter("QueryCacheEvictions", "Query cache entries evicted.", qs.Evictions)
		counter("QueryCacheStale", "Query cache entries found outdated by a write (generation bump).", qs.Stale)
	}
	gauge("EstimatedDbSize", "Approximate bytes held by the item and query caches.", float64(uint64(is.SizeBytes)+qsize))
	gauge("ItemCacheSize", "Bytes held by the item cache.", float64(is.SizeBytes))
	gauge("ItemCacheEntries", "Entries in the item cache.", float64(is.Entries))
	gauge("QueryCacheSize", "Bytes held by the query cache.", float64(qsize))
	gauge("QueryCacheEntries", "Entries in the query cache.", float64(qentries))

	b = append(b, "# HELP BackendLatencySeconds Latency of backend calls.\n# TYPE BackendLatencySeconds histogram\n"...)
	b = m.backendLatency.appendTo(b, "BackendLatencySeconds", "")
	b = append(b, "# HELP RequestLatencySeconds Latency of requests by operation, as seen by the proxy.\n# TYPE RequestLatencySeconds histogram\n"...)
	for i := 0; i < numOps; i++ {
		if m.latency[i].n.Load() == 0 {
			continue
		}
		b = m.latency[i].appendTo(b, "RequestLatencySeconds", `operation="`+opNames[i]+`"`)
	}
	if f := &m.feed; f.following.Load() == 1 {
		counter("FeedChanges", "Changes applied from the backend's change feed (writes that may have bypassed the proxy).", f.changes.Load())
		counter("FeedEntriesKept", "Cached items a feed change found already up to date (kept).", f.kept.Load())
		counter("FeedTrimmedTables", "Tables whose feed changes were reclaimed before they were read (all their entries dropped).", f.trimmed.Load())
		counter("FeedErrors", "Failed reads of the change feed (retried from the same position).", f.errors.Load())
		gauge("FeedPosition", "Sequence number of the last feed change applied.", float64(f.position.Load()))
		b = append(b, "# HELP FeedApplyDelaySeconds Time from a change's commit at the backend to its application here.\n# TYPE FeedApplyDelaySeconds histogram\n"...)
		b = f.delay.appendTo(b, "FeedApplyDelaySeconds", "")
	}
	b = p.appendStreamsMetrics(b)
	return p.appendClusterMetrics(b)
}

func (h *histogram) appendTo(b []byte, name, labels string) []byte {
	var cum uint64
	sep := ""
	if labels != "" {
		sep = ","
	}
	for i := range h.counts {
		cum += h.counts[i].Load()
		le := "+Inf"
		if i < len(latencyBuckets) {
			le = strconv.FormatFloat(latencyBuckets[i], 'g', -1, 64)
		}
		b = append(b, name+`_bucket{`+labels+sep+`le="`+le+`"} `...)
		b = strconv.AppendUint(b, cum, 10)
		b = append(b, '\n')
	}
	lb := ""
	if labels != "" {
		lb = "{" + labels + "}"
	}
	b = append(b, name+"_sum"+lb+" "...)
	b = appendFloat(b, float64(h.sumNS.Load())/1e9)
	b = append(b, '\n')
	b = append(b, name+"_count"+lb+" "...)
	b = strconv.AppendUint(b, h.n.Load(), 10)
	return append(b, '\n')
}

func appendFloat(b []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// AppendMetrics appends what GET /metrics serves (the Prometheus text
// format) to b: for programs that serve the proxy's metrics with others
// (`dynax serve` adds its in-process store's).
func (p *Proxy) AppendMetrics(b []byte) []byte { return p.appendMetrics(b) }
