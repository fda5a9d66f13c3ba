package store

// Collectors read at scrape time: the engine's figures (Pebble's
// DB.Metrics) and replication to peer Regions. They are "unchecked"
// collectors (Describe sends nothing): their series come and go with
// levels and peers.

import (
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

type dtoMetricFamily = dto.MetricFamily

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	descCompactions       = desc("PebbleCompactions", "Compactions the engine ran since the node opened.")
	descCompactionDebt    = desc("PebbleCompactionDebtBytes", "Bytes the engine estimates it must compact to reach a stable shape.")
	descCompactionsActive = desc("PebbleCompactionsInProgress", "Compactions running now.")
	descFlushes           = desc("PebbleFlushes", "Memtable flushes since the node opened.")
	descWALSyncs          = desc("PebbleWALSyncs", "fsyncs of the write-ahead log since the node opened (group commits share one).")
	descWALSyncSeconds    = desc("PebbleWALSyncSeconds", "Total seconds spent in write-ahead log fsyncs.")
	descWALBytesIn        = desc("PebbleWALBytesIn", "Logical bytes written to the write-ahead log.")
	descWALBytesWritten   = desc("PebbleWALBytesWritten", "Physical bytes written to the write-ahead log (with record framing).")
	descWALSize           = desc("PebbleWALSizeBytes", "Size of the live write-ahead log files.")
	descWALFiles          = desc("PebbleWALFiles", "Live write-ahead log files.")
	descDiskUsage         = desc("PebbleDiskUsageBytes", "Disk space the engine uses (tables, logs, manifests).")
	descMemTable          = desc("PebbleMemTableSizeBytes", "Bytes of the memtables.")
	descReadAmp           = desc("PebbleReadAmplification", "Sublevels and levels a point read may consult.")
	descLevelSize         = desc("PebbleLevelSizeBytes", "Bytes of the sstables of each level.", "level")
	descLevelTables       = desc("PebbleLevelTables", "sstables of each level.", "level")
	descCacheHits         = desc("PebbleBlockCacheHits", "Block cache hits.")
	descCacheMisses       = desc("PebbleBlockCacheMisses", "Block cache misses.")
	descCacheSize         = desc("PebbleBlockCacheSizeBytes", "Bytes held by the block cache.")

	descConsumedRead   = desc("ConsumedReadCapacityUnits", "Read capacity units consumed, as ReturnConsumedCapacity reports them, by table and GSI (GlobalSecondaryIndexName \"\": the table).", labelTable, labelIndex)
	descConsumedWrite  = desc("ConsumedWriteCapacityUnits", "Write capacity units consumed, by table and GSI.", labelTable, labelIndex)
	descProvRead       = desc("ProvisionedReadCapacityUnits", "Provisioned read capacity units, by table and GSI (absent on demand).", labelTable, labelIndex)
	descProvWrite      = desc("ProvisionedWriteCapacityUnits", "Provisioned write capacity units, by table and GSI (absent on demand).", labelTable, labelIndex)
	descReadThrottles  = desc("ReadThrottleEvents", "Reads throttled (requests or batch items), by table and GSI.", labelTable, labelIndex)
	descWriteThrottles = desc("WriteThrottleEvents", "Writes throttled (requests or batch items), by table and GSI.", labelTable, labelIndex)
	descThrottledReqs  = desc("ThrottledRequests", "Requests refused with a throttling error, by table.", labelTable)

	descReplLatency = desc("ReplicationLatency", "Milliseconds from a commit in this Region to the replica's acknowledgement: quantiles over the last 4096 changes shipped to each Region, sum and count over all.", "ReceivingRegion")
	descReplPending = desc("PendingReplicationCount", "Changes read for a replica and not yet acknowledged by it.", "ReceivingRegion")
)

// engineCollector reads the engine's figures.
type engineCollector struct{ n *Node }

func (engineCollector) Describe(chan<- *prometheus.Desc) {}

func (c engineCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.n.db.Metrics()
	counter := func(d *prometheus.Desc, v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, lv...)
	}
	gauge := func(d *prometheus.Desc, v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, lv...)
	}
	counter(descCompactions, float64(m.Compact.Count))
	gauge(descCompactionDebt, float64(m.Compact.EstimatedDebt))
	gauge(descCompactionsActive, float64(m.Compact.NumInProgress))
	counter(descFlushes, float64(m.Flush.Count))
	if h := m.LogWriter.FsyncLatency; h != nil {
		var pb dto.Metric
		if h.Write(&pb) == nil && pb.Histogram != nil {
			counter(descWALSyncs, float64(pb.Histogram.GetSampleCount()))
			// Pebble observes nanoseconds.
			counter(descWALSyncSeconds, pb.Histogram.GetSampleSum()/1e9)
		}
	}
	counter(descWALBytesIn, float64(m.WAL.BytesIn))
	counter(descWALBytesWritten, float64(m.WAL.BytesWritten))
	gauge(descWALSize, float64(m.WAL.Size))
	gauge(descWALFiles, float64(m.WAL.Files))
	gauge(descDiskUsage, float64(m.DiskSpaceUsage()))
	gauge(descMemTable, float64(m.MemTable.Size))
	gauge(descReadAmp, float64(m.ReadAmp()))
	for i := range m.Levels {
		l := strconv.Itoa(i)
		gauge(descLevelSize, float64(m.Levels[i].TablesSize), l)
		gauge(descLevelTables, float64(m.Levels[i].TablesCount), l)
	}
	counter(descCacheHits, float64(m.BlockCache.Hits))
	counter(descCacheMisses, float64(m.BlockCache.Misses))
	gauge(descCacheSize, float64(m.BlockCache.Size))
}

// capacityCollector reads the capacity figures (CapacityStats).
type capacityCollector struct{ n *Node }

func (capacityCollector) Describe(chan<- *prometheus.Desc) {}

func (c capacityCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.n.CapacityStats() {
		m := func(d *prometheus.Desc, t prometheus.ValueType, v float64) {
			ch <- prometheus.MustNewConstMetric(d, t, v, s.Table, s.Index)
		}
		m(descConsumedRead, prometheus.CounterValue, s.ConsumedRead)
		m(descConsumedWrite, prometheus.CounterValue, s.ConsumedWrite)
		if !s.OnDemand {
			m(descProvRead, prometheus.GaugeValue, float64(s.ProvisionedRead))
			m(descProvWrite, prometheus.GaugeValue, float64(s.ProvisionedWrite))
		}
		m(descReadThrottles, prometheus.CounterValue, float64(s.ReadThrottleEvents))
		m(descWriteThrottles, prometheus.CounterValue, float64(s.WriteThrottleEvents))
		if s.Index == "" {
			ch <- prometheus.MustNewConstMetric(descThrottledReqs, prometheus.CounterValue, float64(s.ThrottledRequests), s.Table)
		}
	}
}

// replicationCollector reads the lag and backlog of each peer Region
// (nothing without peers).
type replicationCollector struct{ n *Node }

func (replicationCollector) Describe(chan<- *prometheus.Desc) {}

func (c replicationCollector) Collect(ch chan<- prometheus.Metric) {
	if c.n.rep == nil || len(c.n.rep.peers) == 0 {
		return
	}
	st := c.n.ReplicationStats()
	regions := make([]string, 0, len(st.Peers))
	for r := range st.Peers {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	ms := func(d interface{ Microseconds() int64 }) float64 { return float64(d.Microseconds()) / 1000 }
	for _, r := range regions {
		p := st.Peers[r]
		ch <- prometheus.MustNewConstSummary(descReplLatency, uint64(p.Shipped), ms(p.Sum),
			map[float64]float64{0.5: ms(p.P50), 0.99: ms(p.P99)}, r)
		ch <- prometheus.MustNewConstMetric(descReplPending, prometheus.GaugeValue, float64(p.Pending), r)
	}
}
