package store

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// Benchmarks of backups, restores, point-in-time recovery, exports and
// imports, in process. DYNAX_BENCH_ITEMS sets the table size (default
// 100000; docs/performance.md quotes 1000000):
//
//	DYNAX_BENCH_ITEMS=1000000 go test -run=NONE -bench='Backup|PITR|Export' -benchtime=1x ./store

func benchItems() int {
	if v, err := strconv.Atoi(os.Getenv("DYNAX_BENCH_ITEMS")); err == nil && v > 0 {
		return v
	}
	return 100000
}

// backupBenchNode opens a durable node with table "big" (pk S, GSI on g)
// holding n items of about 200 bytes, loaded through the bulk write path.
func backupBenchNode(b *testing.B, n int) *Node {
	b.Helper()
	node, err := Open(Options{Dir: b.TempDir(), Logger: slog.New(slog.DiscardHandler), LogTrimInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { node.Close() })
	itemsServe(b, node, "CreateTable", `{"TableName":"big","BillingMode":"PAY_PER_REQUEST",`+
		`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],`+
		`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"g","AttributeType":"N"}],`+
		`"GlobalSecondaryIndexes":[{"IndexName":"byg","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}]}`)
	t, _ := node.cat.get("big")
	for start := 0; start < n; start += backupCopyChunk {
		var keys [][]byte
		var items []ddb.Item
		for i := start; i < min(n, start+backupCopyChunk); i++ {
			it := ddb.Item{"pk": ddb.S(fmt.Sprintf("user#%08d", i)), "g": ddb.N(strconv.Itoa(i % 100)),
				"payload": ddb.S("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")}
			pk, sk, _ := t.keyValues(it, false)
			keys = append(keys, t.engineKey(pk, sk))
			items = append(items, it)
		}
		if err := node.restoreChunkCause(t, keys, CauseBatchWrite, func(i int, _ currentItem) (mutation, bool) {
			return mutation{put: items[i], putSize: ddb.ItemSize(items[i])}, true
		}); err != nil {
			b.Fatal(err)
		}
	}
	return node
}

func serveJSON(b *testing.B, n *Node, op, body string, out any) {
	b.Helper()
	res := itemsServe(b, n, op, body)
	if out != nil {
		if err := json.Unmarshal(res, out); err != nil {
			b.Fatal(err)
		}
	}
}

func waitTableActiveNode(b *testing.B, n *Node, name string) {
	b.Helper()
	for {
		if t, ok := n.cat.get(name); ok && t.Status == statusActive {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// BenchmarkBackupRestore measures CreateBackup to AVAILABLE and
// RestoreTableFromBackup to ACTIVE (items and the GSI rebuilt).
func BenchmarkBackupRestore(b *testing.B) {
	items := benchItems()
	n := backupBenchNode(b, items)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		var out struct{ BackupDetails struct{ BackupArn string } }
		serveJSON(b, n, "CreateBackup", `{"TableName":"big","BackupName":"bench`+strconv.Itoa(i)+`"}`, &out)
		for {
			m, _ := n.backups.get(out.BackupDetails.BackupArn)
			if m.Status == backupAvailable {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		backup := time.Since(start)
		start = time.Now()
		target := "restored" + strconv.Itoa(i)
		serveJSON(b, n, "RestoreTableFromBackup", `{"TargetTableName":"`+target+`","BackupArn":"`+out.BackupDetails.BackupArn+`"}`, nil)
		waitTableActiveNode(b, n, target)
		restore := time.Since(start)
		b.ReportMetric(backup.Seconds(), "backup-s")
		b.ReportMetric(restore.Seconds(), "restore-s")
		b.ReportMetric(float64(items)/restore.Seconds(), "restored-items/s")
	}
}

// BenchmarkPITRRestoreReplay measures RestoreTableToPointInTime with a log
// of DYNAX_BENCH_ITEMS/10 updates to replay over the base.
func BenchmarkPITRRestoreReplay(b *testing.B) {
	items := benchItems()
	n := backupBenchNode(b, items)
	serveJSON(b, n, "UpdateContinuousBackups", `{"TableName":"big","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true}}`, nil)
	for len(n.backups.basesOf(mustTableB(b, n, "big").ID)) == 0 || n.backups.basesOf(mustTableB(b, n, "big").ID)[0].Status != backupAvailable {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(time.Until(time.Unix(int64(mustTableB(b, n, "big").Desc.PITR.Since)+1, 0)))
	replay := items / 10
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < replay; i += 16 {
				_, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "PutItem", Region: "us-east-1",
					Body: []byte(fmt.Sprintf(`{"TableName":"big","Item":{"pk":{"S":"user#%08d"},"g":{"N":"%d"},"v":{"N":"1"}}}`, (i*7919)%items, i%100))})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		target := "pitr" + strconv.Itoa(i)
		serveJSON(b, n, "RestoreTableToPointInTime", `{"SourceTableName":"big","TargetTableName":"`+target+`","UseLatestRestorableTime":true}`, nil)
		waitTableActiveNode(b, n, target)
		d := time.Since(start)
		b.ReportMetric(d.Seconds(), "restore-s")
		b.ReportMetric(float64(replay), "replayed-records")
	}
}

func mustTableB(b *testing.B, n *Node, name string) *Table {
	t, ok := n.cat.get(name)
	if !ok {
		b.Fatalf("no table %s", name)
	}
	return t
}

// BenchmarkExportImport measures a full export (DynamoDB JSON, gzip) to a
// local bucket and the import of its data back into a new table; during the
// export, 4 readers measure GetItem latency, compared with the same readers
// on an idle node (p99 reported both ways).
func BenchmarkExportImport(b *testing.B) {
	items := benchItems()
	n := backupBenchNode(b, items)
	serveJSON(b, n, "UpdateContinuousBackups", `{"TableName":"big","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true}}`, nil)
	readers := func(stop <-chan struct{}) []time.Duration {
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; ; i += 4 {
					select {
					case <-stop:
						return
					default:
					}
					t0 := time.Now()
					_, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "GetItem", Region: "us-east-1",
						Body: []byte(fmt.Sprintf(`{"TableName":"big","Key":{"pk":{"S":"user#%08d"}}}`, (i*104729)%items))})
					d := time.Since(t0)
					if err != nil {
						b.Error(err)
						return
					}
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			}(w)
		}
		<-stop
		wg.Wait()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		return lat
	}
	p99 := func(l []time.Duration) float64 {
		if len(l) == 0 {
			return 0
		}
		return float64(l[len(l)*99/100].Microseconds())
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Idle baseline, as long as the export will roughly take.
		stop := make(chan struct{})
		go func() { time.Sleep(2 * time.Second); close(stop) }()
		idle := readers(stop)

		start := time.Now()
		var out struct{ ExportDescription struct{ ExportArn string } }
		serveJSON(b, n, "ExportTableToPointInTime", `{"TableArn":"big","S3Bucket":"bench","S3Prefix":"run`+strconv.Itoa(i)+`"}`, &out)
		stop = make(chan struct{})
		during := make(chan []time.Duration, 1)
		go func() { during <- readers(stop) }()
		var j dataJob
		for {
			j, _ = n.jobs.get(out.ExportDescription.ExportArn)
			if j.Status != jobInProgress {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		close(stop)
		exportTime := time.Since(start)
		busy := <-during
		if j.Status != jobCompleted {
			b.Fatalf("export %s: %s", j.Status, j.FailMsg)
		}
		id := j.Arn[strings.LastIndex(j.Arn, "/")+1:]
		start = time.Now()
		var imp struct{ ImportTableDescription struct{ ImportArn string } }
		serveJSON(b, n, "ImportTable", `{"S3BucketSource":{"S3Bucket":"bench","S3KeyPrefix":"run`+strconv.Itoa(i)+`/AWSDynamoDB/`+id+`/data/"},`+
			`"InputFormat":"DYNAMODB_JSON","InputCompressionType":"GZIP","TableCreationParameters":{"TableName":"imported`+strconv.Itoa(i)+`",`+
			`"BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}}`, &imp)
		for {
			ij, _ := n.jobs.get(imp.ImportTableDescription.ImportArn)
			if ij.Status != jobInProgress {
				if ij.Status != jobCompleted || ij.Imported != int64(items) {
					b.Fatalf("import %s: %s (%d items)", ij.Status, ij.FailMsg, ij.Imported)
				}
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		importTime := time.Since(start)
		b.ReportMetric(float64(items)/exportTime.Seconds(), "exported-items/s")
		b.ReportMetric(float64(items)/importTime.Seconds(), "imported-items/s")
		b.ReportMetric(p99(idle), "idle-get-p99-µs")
		b.ReportMetric(p99(busy), "export-get-p99-µs")
	}
}

// BenchmarkPutItemPITR measures durable PutItem at concurrency 16 with
// point-in-time recovery off and on (sub-benchmarks run in one process, in
// turn): PITR adds nothing to the write path, which writes the change
// record anyway.
func BenchmarkPutItemPITR(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("pitr=%v", on), func(b *testing.B) {
			n, err := Open(Options{Dir: b.TempDir(), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			defer n.Close()
			itemsServe(b, n, "CreateTable", `{"TableName":"bench","BillingMode":"PAY_PER_REQUEST",`+
				`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],`+
				`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}`)
			if on {
				itemsServe(b, n, "UpdateContinuousBackups", `{"TableName":"bench","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true}}`)
			}
			b.ReportAllocs()
			b.SetParallelism(8) // 16 goroutines on 2 cores
			var seq int64
			var mu sync.Mutex
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					mu.Lock()
					seq++
					i := seq
					mu.Unlock()
					_, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: "PutItem", Region: "us-east-1",
						Body: []byte(`{"TableName":"bench","Item":{"pk":{"S":"k` + strconv.FormatInt(i%5000, 10) + `"},"sk":{"N":"1"},"v":{"N":"` + strconv.FormatInt(i, 10) + `"}}}`)})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
