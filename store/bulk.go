package store

// Bulk operations (DynamoDB, 2026-11): StartBulkPutItems loads items from
// S3 objects into an existing table; DescribeBulkOperation,
// ListBulkOperations and CancelBulkOperation follow it.
//
// The input is read as ImportTable reads it (import.go: the same object
// store — <data-dir>/s3/<bucket>/ or --s3-endpoint —, formats and
// decompression), and every item is written with an ordinary PutItem
// write (indexes, streams, the change log), paced to MaxWriteRequestUnits
// write units a second when it is set. Lines that cannot be parsed or
// validated are counted in FailedItemCount and, when OutputType has ERROR,
// written to the output bucket as JSON lines
// (<prefix>/<operation id>/errors.json). Operations are kept in memory:
// a restart forgets them (an interrupted operation's items stay written).

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

func init() {
	register("StartBulkPutItems", opStartBulkPutItems)
	register("DescribeBulkOperation", opDescribeBulkOperation)
	register("ListBulkOperations", opListBulkOperations)
	register("CancelBulkOperation", opCancelBulkOperation)
}

// Bulk operation statuses.
const (
	bulkInProgress     = "IN_PROGRESS"
	bulkCompleted      = "COMPLETED"
	bulkCompletedError = "COMPLETED_WITH_ERRORS"
	bulkCancelling     = "CANCELLING"
	bulkCancelled      = "CANCELLED"
	bulkFailed         = "FAILED"
)

type bulkInputIn struct {
	S3Bucket             *string `json:"S3Bucket"`
	S3KeyPrefix          *string `json:"S3KeyPrefix,omitempty"`
	S3BucketOwner        *string `json:"S3BucketOwner,omitempty"`
	InputFormat          *string `json:"InputFormat"`
	InputCompressionType *string `json:"InputCompressionType,omitempty"`
}

type bulkOutputIn struct {
	OutputType     []string `json:"OutputType"`
	S3Bucket       *string  `json:"S3Bucket,omitempty"`
	S3KeyPrefix    *string  `json:"S3KeyPrefix,omitempty"`
	S3BucketOwner  *string  `json:"S3BucketOwner,omitempty"`
	S3SseAlgorithm *string  `json:"S3SseAlgorithm,omitempty"`
	S3SseKmsKeyId  *string  `json:"S3SseKmsKeyId,omitempty"`
}

type startBulkIn struct {
	TableName             *string       `json:"TableName"`
	InputS3Configuration  *bulkInputIn  `json:"InputS3Configuration"`
	OutputS3Configuration *bulkOutputIn `json:"OutputS3Configuration"`
	ClientToken           *string       `json:"ClientToken"`
	MaxWriteRequestUnits  *int64        `json:"MaxWriteRequestUnits"`
	PerformanceTier       *string       `json:"PerformanceTier"`
}

// bulkDesc is a BulkOperationDescription.
type bulkDesc struct {
	BulkOperationArn      string        `json:"BulkOperationArn"`
	BulkOperationStatus   string        `json:"BulkOperationStatus"`
	BulkOperationUsage    []bulkUsage   `json:"BulkOperationUsage,omitempty"`
	ClientToken           string        `json:"ClientToken,omitempty"`
	EndTime               *float64      `json:"EndTime,omitempty"`
	FailedItemCount       int64         `json:"FailedItemCount"`
	FailureCode           string        `json:"FailureCode,omitempty"`
	FailureMessage        string        `json:"FailureMessage,omitempty"`
	InputS3Configuration  *bulkInputIn  `json:"InputS3Configuration"`
	MaxWriteRequestUnits  *int64        `json:"MaxWriteRequestUnits,omitempty"`
	OutputS3Configuration *bulkOutputIn `json:"OutputS3Configuration"`
	PerformanceTier       string        `json:"PerformanceTier"`
	ProcessedInputBytes   *int64        `json:"ProcessedInputBytes,omitempty"`
	ProcessedItemCount    int64         `json:"ProcessedItemCount"`
	StartTime             float64       `json:"StartTime"`
	TableDetails          []bulkTable   `json:"TableDetails"`
	TotalInputBytes       *int64        `json:"TotalInputBytes,omitempty"`
}

type bulkUsage struct {
	TableName    string    `json:"TableName"`
	BulkPutBytes int64     `json:"BulkPutBytes"`
	Table        bulkBytes `json:"Table"`
}

type bulkBytes struct {
	BulkPutBytes int64 `json:"BulkPutBytes"`
}

type bulkTable struct {
	TableId   string `json:"TableId"`
	TableName string `json:"TableName"`
}

// bulkOp is one operation: its description (under mu) and its cancel.
type bulkOp struct {
	mu     sync.Mutex
	d      bulkDesc
	digest [32]byte
	cancel chan struct{}
}

// bulkOps is the node's registry of bulk operations, newest last.
type bulkOps struct {
	mu      sync.Mutex
	byArn   map[string]*bulkOp
	order   []*bulkOp
	byToken map[string]*bulkOp
}

func (b *bulkOps) get(arn string) *bulkOp {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.byArn[arn]
}

func (op *bulkOp) snapshot() bulkDesc {
	op.mu.Lock()
	defer op.mu.Unlock()
	d := op.d
	d.BulkOperationUsage = slices.Clone(op.d.BulkOperationUsage)
	// The counters behind pointers change after the lock is released.
	for _, p := range []**int64{&d.TotalInputBytes, &d.ProcessedInputBytes} {
		if *p != nil {
			v := **p
			*p = &v
		}
	}
	return d
}

func bulkNotFound(arn string) error {
	return ddb.ResourceNotFound("Requested resource not found: BulkOperation: " + arn + " not found")
}

func opStartBulkPutItems(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in startBulkIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	if in.InputS3Configuration == nil {
		c.fail(nil, "inputS3Configuration", cMustNotBeNull)
	} else {
		ic := in.InputS3Configuration
		if ic.S3Bucket == nil {
			c.fail(nil, "inputS3Configuration.s3Bucket", cMustNotBeNull)
		}
		bulkEnum(&c, "inputS3Configuration.inputFormat", ic.InputFormat, true, "DYNAMODB_JSON", "ION")
		bulkEnum(&c, "inputS3Configuration.inputCompressionType", ic.InputCompressionType, false, "GZIP", "ZSTD", "NONE")
	}
	if in.OutputS3Configuration == nil {
		c.fail(nil, "outputS3Configuration", cMustNotBeNull)
	} else if oc := in.OutputS3Configuration; oc.OutputType == nil {
		c.fail(nil, "outputS3Configuration.outputType", cMustNotBeNull)
	} else {
		for i := range oc.OutputType {
			bulkEnum(&c, "outputS3Configuration.outputType", &oc.OutputType[i], true, "ERROR", "CONDITION_CHECK_FAILURE")
		}
		bulkEnum(&c, "outputS3Configuration.s3SseAlgorithm", oc.S3SseAlgorithm, false, "AES256", "KMS")
	}
	c.checkTableName("tableName", in.TableName)
	if in.MaxWriteRequestUnits != nil && *in.MaxWriteRequestUnits < 1024 {
		c.fail(in.MaxWriteRequestUnits, "maxWriteRequestUnits", "Member must have value greater than or equal to 1024")
	}
	bulkEnum(&c, "performanceTier", in.PerformanceTier, false, "STANDARD", "ACCELERATED")
	if err := c.err(); err != nil {
		return nil, err
	}
	t, err := n.itemTable(*in.TableName)
	if err != nil {
		return nil, ddb.ResourceNotFound("Requested resource not found: Table: " + n.resolveTableName(*in.TableName) + " not found")
	}
	digest := sha256.Sum256(req.Body)
	if in.ClientToken != nil {
		var probe startBulkIn = in
		probe.ClientToken = nil
		pb, _ := json.Marshal(probe)
		digest = sha256.Sum256(pb)
	}
	b := &n.bulk
	b.mu.Lock()
	if b.byArn == nil {
		b.byArn, b.byToken = map[string]*bulkOp{}, map[string]*bulkOp{}
	}
	if in.ClientToken != nil {
		if prev := b.byToken[*in.ClientToken]; prev != nil && n.opts.Now().Sub(time.UnixMilli(int64(prev.snapshot().StartTime*1000))) < 8*time.Hour {
			b.mu.Unlock()
			if prev.digest != digest {
				return nil, &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "IdempotentParameterMismatchException",
					Message: "Your request uses a client token that was already used for a different bulk operation."}
			}
			return bulkDescJSON(prev.snapshot())
		}
	}
	now := n.opts.Now()
	id := strings.ReplaceAll(newTableUUID(), "-", "")
	tier := "STANDARD"
	if in.PerformanceTier != nil {
		tier = *in.PerformanceTier
	}
	op := &bulkOp{digest: digest, cancel: make(chan struct{}), d: bulkDesc{
		BulkOperationArn:    t.Arn() + "/bulk-operation/" + id,
		BulkOperationStatus: bulkInProgress, ClientToken: aws2s(in.ClientToken),
		InputS3Configuration: in.InputS3Configuration, OutputS3Configuration: in.OutputS3Configuration,
		MaxWriteRequestUnits: in.MaxWriteRequestUnits, PerformanceTier: tier, StartTime: unixSeconds(now),
		TableDetails: []bulkTable{{TableId: t.TableID, TableName: t.Name}},
	}}
	b.byArn[op.d.BulkOperationArn] = op
	b.order = append(b.order, op)
	if in.ClientToken != nil {
		b.byToken[*in.ClientToken] = op
	}
	b.mu.Unlock()
	store, err := n.objects(t.Region)
	if err != nil {
		op.finish(n, bulkFailed, "S3Error", err.Error())
	} else {
		n.bg.Add(1)
		go func() {
			defer n.bg.Done()
			n.runBulk(store, t, op, id)
		}()
	}
	return bulkDescJSON(op.snapshot())
}

func aws2s(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// bulkEnum checks that v (required or not) is one of values.
func bulkEnum(c *checker, path string, v *string, required bool, values ...string) {
	if v == nil {
		if required {
			c.fail(nil, path, cMustNotBeNull)
		}
		return
	}
	if !slices.Contains(values, *v) {
		c.fail(v, path, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
	}
}

func bulkDescJSON(d bulkDesc) ([]byte, error) {
	return json.Marshal(struct {
		BulkOperationDescription bulkDesc `json:"BulkOperationDescription"`
	}{d})
}

// finish ends op with status (and a failure code and message).
func (op *bulkOp) finish(n *Node, status, code, msg string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	end := unixSeconds(n.opts.Now())
	op.d.BulkOperationStatus, op.d.EndTime, op.d.FailureCode, op.d.FailureMessage = status, &end, code, msg
}

func (op *bulkOp) cancelled() bool {
	select {
	case <-op.cancel:
		return true
	default:
		return false
	}
}

// runBulk reads the input objects and writes their items.
func (n *Node) runBulk(store objectStore, t *Table, op *bulkOp, id string) {
	ctx := context.Background()
	in := op.d.InputS3Configuration
	prefix := aws2s(in.S3KeyPrefix)
	keys, err := store.List(ctx, *in.S3Bucket, prefix)
	if errors.Is(err, errNoSuchBucket) {
		op.finish(n, bulkFailed, "S3NoSuchBucket", "The specified bucket does not exist: "+*in.S3Bucket)
		return
	}
	if err != nil {
		op.finish(n, bulkFailed, "S3Error", err.Error())
		return
	}
	var bodies [][]byte
	var objs []string
	var total int64
	for _, k := range keys {
		if importSkipped(k) || strings.HasSuffix(k, "/") {
			continue
		}
		body, err := store.Get(ctx, *in.S3Bucket, k)
		if err != nil {
			op.finish(n, bulkFailed, "S3Error", err.Error())
			return
		}
		total += int64(len(body))
		bodies = append(bodies, body)
		objs = append(objs, k)
	}
	op.mu.Lock()
	op.d.TotalInputBytes = &total
	zero := int64(0)
	op.d.ProcessedInputBytes = &zero
	op.d.BulkOperationUsage = []bulkUsage{{TableName: t.Name}}
	op.mu.Unlock()

	var errLines bytes.Buffer
	rate := math.Inf(1)
	if op.d.MaxWriteRequestUnits != nil {
		rate = float64(*op.d.MaxWriteRequestUnits)
	}
	start := time.Now()
	var units float64
	status := bulkCompleted
	stopped := false
	for i, body := range bodies {
		err := n.bulkObject(t, op, objs[i], body, &errLines, func(u float64) bool {
			units += u
			if wait := time.Duration(units/rate*float64(time.Second)) - time.Since(start); wait > 0 {
				select {
				case <-time.After(wait):
				case <-op.cancel:
				case <-n.stop:
				}
			}
			stopped = op.cancelled() || n.closing()
			return !stopped
		})
		if err != nil {
			op.finish(n, bulkFailed, "InternalServerError", err.Error())
			return
		}
		op.mu.Lock()
		*op.d.ProcessedInputBytes += int64(len(body))
		op.mu.Unlock()
		if stopped {
			break
		}
	}
	op.mu.Lock()
	failed := op.d.FailedItemCount
	out := op.d.OutputS3Configuration
	op.mu.Unlock()
	if failed > 0 {
		status = bulkCompletedError
	}
	if errLines.Len() > 0 && slices.Contains(out.OutputType, "ERROR") && out.S3Bucket != nil {
		key := strings.TrimSuffix(aws2s(out.S3KeyPrefix), "/")
		if key != "" {
			key += "/"
		}
		if err := store.Put(ctx, *out.S3Bucket, key+id+"/errors.json", errLines.Bytes()); err != nil {
			n.log.Warn("bulk operation: cannot write its error output", "arn", op.d.BulkOperationArn, "err", err)
		}
	}
	switch {
	case op.cancelled():
		op.finish(n, bulkCancelled, "OperationCancelled", "The bulk operation was cancelled.")
	case stopped:
		op.finish(n, bulkFailed, "InternalServerError", "The node stopped during the bulk operation.")
	default:
		op.finish(n, status, "", "")
	}
}

// closing reports whether Close has begun.
func (n *Node) closing() bool {
	select {
	case <-n.stop:
		return true
	default:
		return false
	}
}

// bulkObject writes the items of one input object; pace is called after
// each write with its write units and returns false to stop.
func (n *Node) bulkObject(t *Table, op *bulkOp, key string, body []byte, errLines *bytes.Buffer, pace func(float64) bool) error {
	in := op.d.InputS3Configuration
	var r io.Reader = bytes.NewReader(body)
	fail := func(line, msg string) {
		op.mu.Lock()
		op.d.ProcessedItemCount++
		op.d.FailedItemCount++
		op.mu.Unlock()
		b, _ := json.Marshal(map[string]string{"ObjectKey": key, "Input": line, "ErrorMessage": msg})
		errLines.Write(append(b, '\n'))
	}
	switch aws2s(in.InputCompressionType) {
	case "GZIP":
		zr, err := gzip.NewReader(r)
		if err != nil {
			fail("", "The object is not GZIP: "+err.Error())
			return nil
		}
		defer zr.Close()
		r = zr
	case "ZSTD":
		zr, err := zstd.NewReader(r, zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			fail("", "The object is not ZSTD: "+err.Error())
			return nil
		}
		defer zr.Close()
		r = zr
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxImportLine)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var item ddb.Item
		var err error
		if *in.InputFormat == "ION" {
			item, err = parseIonItem(text)
		} else {
			item, err = parseJSONItemLine([]byte(text))
		}
		if err == nil {
			if msg := ddb.ItemProblem(item); msg != "" {
				err = errors.New(msg)
			}
		}
		var size int
		if err == nil {
			if size = ddb.ItemSize(item); size > ddb.MaxItemSize {
				err = ddb.Validation(itemMsgItemTooLarge)
			}
		}
		var pk, sk ddb.Value
		if err == nil {
			if pk, sk, err = t.keyValues(item, false); err == nil {
				err = t.itemCheckIndexKeys(item)
			}
		}
		if err != nil {
			if de, ok := ddb.AsError(err); ok {
				fail(text, de.Message)
			} else {
				fail(text, err.Error())
			}
			continue
		}
		var oldSize int
		werr := n.mutate(t, t.engineKey(pk, sk), CausePut, func(_ ddb.Item, curSize int) (mutation, error) {
			oldSize = curSize
			return mutation{put: item, putSize: size}, nil
		})
		if werr != nil {
			if _, ok := ddb.AsError(werr); ok {
				fail(text, werr.(*ddb.Error).Message)
				continue
			}
			return werr
		}
		op.mu.Lock()
		op.d.ProcessedItemCount++
		u := &op.d.BulkOperationUsage[0]
		u.BulkPutBytes += int64(size)
		u.Table.BulkPutBytes += int64(size)
		op.mu.Unlock()
		if !pace(itemWriteUnits(oldSize, size)) {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		fail("", "The object cannot be read: "+err.Error())
	}
	return nil
}

type bulkArnIn struct {
	BulkOperationArn *string `json:"BulkOperationArn"`
}

func decodeBulkArn(body []byte) (string, error) {
	var in bulkArnIn
	if err := decode(body, &in); err != nil {
		return "", err
	}
	var c checker
	if in.BulkOperationArn == nil {
		c.fail(nil, "bulkOperationArn", cMustNotBeNull)
	}
	if err := c.err(); err != nil {
		return "", err
	}
	return *in.BulkOperationArn, nil
}

func opDescribeBulkOperation(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	arn, err := decodeBulkArn(req.Body)
	if err != nil {
		return nil, err
	}
	op := n.bulk.get(arn)
	if op == nil {
		return nil, bulkNotFound(arn)
	}
	return bulkDescJSON(op.snapshot())
}

func opCancelBulkOperation(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	arn, err := decodeBulkArn(req.Body)
	if err != nil {
		return nil, err
	}
	op := n.bulk.get(arn)
	if op == nil {
		return nil, bulkNotFound(arn)
	}
	op.mu.Lock()
	st := op.d.BulkOperationStatus
	if st == bulkInProgress {
		op.d.BulkOperationStatus = bulkCancelling
		close(op.cancel)
	}
	op.mu.Unlock()
	if st != bulkInProgress && st != bulkCancelling {
		return nil, ddb.Validation("The bulk operation cannot be cancelled because its status is " + st + ": " + arn)
	}
	return json.Marshal(map[string]string{"BulkOperationArn": arn, "BulkOperationStatus": bulkCancelling})
}

func opListBulkOperations(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in struct {
		MaxResults *int64  `json:"MaxResults"`
		NextToken  *string `json:"NextToken"`
	}
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	limit := 10
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 100 {
			c.fail(in.MaxResults, "maxResults", "Member must have value between 1 and 100")
		}
		limit = int(*in.MaxResults)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	n.bulk.mu.Lock()
	all := slices.Clone(n.bulk.order)
	n.bulk.mu.Unlock()
	start := 0
	if in.NextToken != nil {
		start = -1
		for i, op := range all {
			if op.d.BulkOperationArn == *in.NextToken {
				start = i + 1
			}
		}
		if start < 0 {
			return nil, ddb.Validation("Invalid NextToken")
		}
	}
	type summary struct {
		BulkOperationArn    string   `json:"BulkOperationArn"`
		BulkOperationStatus string   `json:"BulkOperationStatus"`
		StartTime           float64  `json:"StartTime"`
		EndTime             *float64 `json:"EndTime,omitempty"`
	}
	out := struct {
		BulkOperationsSummaryList []summary `json:"BulkOperationsSummaryList"`
		NextToken                 string    `json:"NextToken,omitempty"`
	}{BulkOperationsSummaryList: []summary{}}
	end := min(len(all), start+limit)
	for _, op := range all[start:end] {
		d := op.snapshot()
		out.BulkOperationsSummaryList = append(out.BulkOperationsSummaryList, summary{d.BulkOperationArn, d.BulkOperationStatus, d.StartTime, d.EndTime})
	}
	if end < len(all) {
		out.NextToken = all[end-1].d.BulkOperationArn
	}
	return json.Marshal(out)
}
