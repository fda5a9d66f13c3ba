package store

// The Kinesis Data Streams destination: Enable-, Disable-, Describe- and
// UpdateKinesisStreamingDestination, and the pumps that send every change
// of a table to its Kinesis streams.
//
// A pump per (table, stream) reads the table's change log after its
// position, in sequence order, and sends the records with PutRecords
// through the AWS SDK's Kinesis client (Options.KinesisEndpoint, real
// Kinesis by default). A batch holds at most one record per item, and its
// failed records are retried (with backoff) before the next batch, so the
// records of one item reach Kinesis in commit order. After each batch the
// position is saved with a synced write under
//
//	'z' + tableID(8) + stream ARN → last sequence number sent
//
// and the change-log trimmer keeps everything after the saved position, so
// a restart resends at most the last batch (duplicates, as DynamoDB's
// destination may produce) and never loses a record.

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/cockroachdb/pebble/v2"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

func init() {
	register("EnableKinesisStreamingDestination", opEnableKinesis)
	register("DisableKinesisStreamingDestination", opDisableKinesis)
	register("DescribeKinesisStreamingDestination", opDescribeKinesis)
	register("UpdateKinesisStreamingDestination", opUpdateKinesis)
}

const tagKinesisPos = 'z'

// Destination statuses.
const (
	kdsEnabling     = "ENABLING"
	kdsActive       = "ACTIVE"
	kdsDisabling    = "DISABLING"
	kdsDisabled     = "DISABLED"
	kdsEnableFailed = "ENABLE_FAILED"
	kdsUpdating     = "UPDATING"
)

// kinesisBatch bounds one PutRecords call (Kinesis allows 500 records).
const kinesisBatch = 500

// KinesisDest is one Kinesis destination of a table (part of TableExtra).
type KinesisDest struct {
	StreamArn string `json:"arn"`
	Status    string `json:"status"`
	Precision string `json:"precision"`
	// Description explains ENABLE_FAILED.
	Description string `json:"description,omitempty"`
}

func kinesisPosKey(id uint64, arn string) []byte {
	k := make([]byte, 9, 9+len(arn))
	k[0] = tagKinesisPos
	binary.BigEndian.PutUint64(k[1:], id)
	return append(k, arn...)
}

func (n *Node) kinesisPos(id uint64, arn string) (uint64, bool) {
	v, closer, err := n.db.Get(kinesisPosKey(id, arn))
	if err != nil {
		return 0, false
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

func (n *Node) saveKinesisPos(id uint64, arn string, seq uint64) error {
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], seq)
	return n.db.Set(kinesisPosKey(id, arn), v[:], pebble.Sync)
}

// kinesisHold returns the lowest change-log number a Kinesis destination of
// table id still needs (false: none).
func (n *Node) kinesisHold(t *Table) (uint64, bool) {
	low, any := uint64(0), false
	for _, d := range t.Desc.Kinesis {
		if d.Status == kdsDisabled || d.Status == kdsEnableFailed {
			continue
		}
		pos, _ := n.kinesisPos(t.ID, d.StreamArn)
		if !any || pos+1 < low {
			low, any = pos+1, true
		}
	}
	return low, any
}

// ---------------------------------------------------------------------------
// The API

type kinesisConfigIn struct {
	ApproximateCreationDateTimePrecision *string
}

type kinesisIn struct {
	TableName                           *string
	StreamArn                           *string
	EnableKinesisStreamingConfiguration *kinesisConfigIn
	UpdateKinesisStreamingConfiguration *kinesisConfigIn
}

func decodeKinesisIn(body []byte, needArn bool, cfgPath string) (*kinesisIn, error) {
	var in kinesisIn
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var c checker
	c.checkTableName("tableName", in.TableName)
	if needArn {
		c.checkRequired("streamArn", in.StreamArn, 37, 1024)
	}
	for _, cfg := range []*kinesisConfigIn{in.EnableKinesisStreamingConfiguration, in.UpdateKinesisStreamingConfiguration} {
		if cfg != nil {
			tblEnum(&c, cfg.ApproximateCreationDateTimePrecision, cfgPath+".approximateCreationDateTimePrecision", "MILLISECOND", "MICROSECOND")
		}
	}
	return &in, c.err()
}

func kinesisResponse(table, arn, status, cfgKey, precision string) ([]byte, error) {
	out := map[string]any{"TableName": table, "StreamArn": arn, "DestinationStatus": status}
	if precision != "" {
		out[cfgKey] = map[string]string{"ApproximateCreationDateTimePrecision": precision}
	}
	return json.Marshal(out)
}

// kinesisTable resolves the table of a destination operation.
func (n *Node) kinesisTable(name string) (*Table, error) {
	return n.lookupTable(name)
}

func findDest(t *Table, arn string) int {
	for i, d := range t.Desc.Kinesis {
		if d.StreamArn == arn {
			return i
		}
	}
	return -1
}

func opEnableKinesis(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	in, err := decodeKinesisIn(req.Body, true, "enableKinesisStreamingConfiguration")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(*in.StreamArn, "arn:") || !strings.Contains(*in.StreamArn, ":kinesis:") || !strings.Contains(*in.StreamArn, ":stream/") {
		return nil, ddb.Validation("Invalid StreamArn: " + *in.StreamArn)
	}
	controlMu.Lock()
	defer controlMu.Unlock()
	t, err := n.kinesisTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	precision := "MILLISECOND"
	if c := in.EnableKinesisStreamingConfiguration; c != nil && c.ApproximateCreationDateTimePrecision != nil {
		precision = *c.ApproximateCreationDateTimePrecision
	}
	i := findDest(t, *in.StreamArn)
	if i >= 0 && t.Desc.Kinesis[i].Status != kdsDisabled && t.Desc.Kinesis[i].Status != kdsEnableFailed {
		return nil, ddb.Validation("Table is not in a valid state to enable Kinesis Streaming Destination: " +
			"EnableKinesisStreamingDestination must be DISABLED or ENABLE_FAILED to perform ENABLE operation.")
	}
	// Records from now on: the position starts at the visible watermark.
	if err := n.saveKinesisPos(t.ID, *in.StreamArn, n.clog.visible()); err != nil {
		return nil, err
	}
	if err := n.cat.modify(t.Name, t.ID, func(nt *Table) bool {
		d := KinesisDest{StreamArn: *in.StreamArn, Status: kdsEnabling, Precision: precision}
		nt.Desc.Kinesis = append([]KinesisDest(nil), nt.Desc.Kinesis...)
		if j := findDest(nt, d.StreamArn); j >= 0 {
			nt.Desc.Kinesis[j] = d
		} else {
			nt.Desc.Kinesis = append(nt.Desc.Kinesis, d)
		}
		return true
	}); err != nil {
		return nil, err
	}
	n.kds.wake()
	return kinesisResponse(t.Name, *in.StreamArn, kdsEnabling, "EnableKinesisStreamingConfiguration", precision)
}

func opDisableKinesis(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	in, err := decodeKinesisIn(req.Body, true, "enableKinesisStreamingConfiguration")
	if err != nil {
		return nil, err
	}
	controlMu.Lock()
	defer controlMu.Unlock()
	t, err := n.kinesisTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	i := findDest(t, *in.StreamArn)
	if i < 0 || t.Desc.Kinesis[i].Status != kdsActive {
		return nil, ddb.Validation("Table is not in a valid state to disable Kinesis Streaming Destination: " +
			"DisableKinesisStreamingDestination must be ACTIVE to perform DISABLE operation.")
	}
	if err := n.cat.modify(t.Name, t.ID, func(nt *Table) bool {
		nt.Desc.Kinesis = append([]KinesisDest(nil), nt.Desc.Kinesis...)
		if j := findDest(nt, *in.StreamArn); j >= 0 {
			nt.Desc.Kinesis[j].Status = kdsDisabling
		}
		return true
	}); err != nil {
		return nil, err
	}
	n.kds.wake()
	return kinesisResponse(t.Name, *in.StreamArn, kdsDisabling, "EnableKinesisStreamingConfiguration", t.Desc.Kinesis[i].Precision)
}

func opUpdateKinesis(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	in, err := decodeKinesisIn(req.Body, true, "updateKinesisStreamingConfiguration")
	if err != nil {
		return nil, err
	}
	controlMu.Lock()
	defer controlMu.Unlock()
	t, err := n.kinesisTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	i := findDest(t, *in.StreamArn)
	if i < 0 || t.Desc.Kinesis[i].Status != kdsActive {
		return nil, ddb.Validation("Table is not in a valid state to update Kinesis Streaming Destination: " +
			"UpdateKinesisStreamingDestination must be ACTIVE to perform UPDATE operation.")
	}
	c := in.UpdateKinesisStreamingConfiguration
	if c == nil || c.ApproximateCreationDateTimePrecision == nil {
		return nil, ddb.Validation("Invalid Request: UpdateKinesisStreamingConfiguration must be provided")
	}
	if *c.ApproximateCreationDateTimePrecision == t.Desc.Kinesis[i].Precision {
		return nil, ddb.Validation("Invalid Request: Precision is already set to the desired value of " +
			t.Desc.Kinesis[i].Precision + " for tableId: " + t.TableID + ", kdsArn: " + *in.StreamArn)
	}
	if err := n.cat.modify(t.Name, t.ID, func(nt *Table) bool {
		nt.Desc.Kinesis = append([]KinesisDest(nil), nt.Desc.Kinesis...)
		if j := findDest(nt, *in.StreamArn); j >= 0 {
			nt.Desc.Kinesis[j].Status, nt.Desc.Kinesis[j].Precision = kdsUpdating, *c.ApproximateCreationDateTimePrecision
		}
		return true
	}); err != nil {
		return nil, err
	}
	n.kds.wake()
	return kinesisResponse(t.Name, *in.StreamArn, kdsUpdating, "UpdateKinesisStreamingConfiguration", *c.ApproximateCreationDateTimePrecision)
}

func opDescribeKinesis(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	in, err := decodeKinesisIn(req.Body, false, "")
	if err != nil {
		return nil, err
	}
	t, err := n.kinesisTable(*in.TableName)
	if err != nil {
		return nil, err
	}
	type dest struct {
		StreamArn                            string `json:"StreamArn"`
		DestinationStatus                    string `json:"DestinationStatus"`
		DestinationStatusDescription         string `json:"DestinationStatusDescription,omitempty"`
		ApproximateCreationDateTimePrecision string `json:"ApproximateCreationDateTimePrecision"`
	}
	out := struct {
		TableName                     string `json:"TableName"`
		KinesisDataStreamDestinations []dest `json:"KinesisDataStreamDestinations"`
	}{TableName: t.Name, KinesisDataStreamDestinations: []dest{}}
	for _, d := range t.Desc.Kinesis {
		out.KinesisDataStreamDestinations = append(out.KinesisDataStreamDestinations, dest{d.StreamArn, d.Status, d.Description, d.Precision})
	}
	return json.Marshal(out)
}

// ---------------------------------------------------------------------------
// Pumps

// kinesisPumps runs one pump per active destination.
type kinesisPumps struct {
	n       *Node
	mu      sync.Mutex
	pumps   map[string]*kinesisPump    // key: tableID/arn
	clients map[string]*kinesis.Client // by Region
	kick    chan struct{}
}

type kinesisPump struct {
	stop chan struct{}
	done chan struct{}
}

func newKinesisPumps(n *Node) *kinesisPumps {
	return &kinesisPumps{n: n, pumps: map[string]*kinesisPump{}, clients: map[string]*kinesis.Client{}, kick: make(chan struct{}, 1)}
}

func (k *kinesisPumps) wake() {
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

// streamParts splits a Kinesis stream ARN into its Region and name.
func streamParts(arn string) (region, name string) {
	// arn:aws:kinesis:<region>:<account>:stream/<name>
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		region = parts[3]
		name = strings.TrimPrefix(parts[5], "stream/")
	}
	return region, name
}

// kinesisClient returns the Kinesis client of region.
func (k *kinesisPumps) kinesisClient(region string) (*kinesis.Client, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if c, ok := k.clients[region]; ok {
		return c, nil
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("store: Kinesis client configuration: %w", err)
	}
	c := kinesis.NewFromConfig(cfg, func(o *kinesis.Options) {
		if ep := k.n.opts.KinesisEndpoint; ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	k.clients[region] = c
	return c, nil
}

// run starts and stops pumps as destinations change, until the node closes.
func (k *kinesisPumps) run() {
	defer k.stopAll()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		k.n.safely("kinesis destinations", k.sync)
		select {
		case <-k.n.stop:
			return
		case <-tick.C:
		case <-k.kick:
		}
	}
}

// stopAll stops every pump. It waits for them without holding k.mu, which
// a pump may need on its way out (kinesisClient).
func (k *kinesisPumps) stopAll() {
	k.mu.Lock()
	pumps := k.pumps
	k.pumps = map[string]*kinesisPump{}
	k.mu.Unlock()
	for _, p := range pumps {
		close(p.stop)
		<-p.done
	}
}

// sync reconciles the running pumps with the catalog.
func (k *kinesisPumps) sync() error {
	want := map[string]bool{}
	for _, name := range k.n.cat.names() {
		t, ok := k.n.cat.get(name)
		if !ok {
			continue
		}
		for _, d := range t.Desc.Kinesis {
			key := fmt.Sprintf("%d/%s", t.ID, d.StreamArn)
			switch d.Status {
			case kdsEnabling, kdsActive, kdsUpdating:
				want[key] = true
				k.ensure(key, t, d)
			case kdsDisabling:
				k.stopPump(key)
				k.setStatus(t, d.StreamArn, kdsDisabled, "")
			}
		}
	}
	k.mu.Lock()
	var stale []string
	for key := range k.pumps {
		if !want[key] {
			stale = append(stale, key)
		}
	}
	k.mu.Unlock()
	for _, key := range stale {
		k.stopPump(key)
	}
	return nil
}

func (k *kinesisPumps) stopPump(key string) {
	k.mu.Lock()
	p, ok := k.pumps[key]
	delete(k.pumps, key)
	k.mu.Unlock()
	if ok {
		close(p.stop)
		<-p.done
	}
}

func (k *kinesisPumps) ensure(key string, t *Table, d KinesisDest) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.pumps[key]; ok {
		return
	}
	p := &kinesisPump{stop: make(chan struct{}), done: make(chan struct{})}
	k.pumps[key] = p
	go func() {
		defer close(p.done)
		k.n.safely("kinesis pump "+key, func() error { return k.pump(t.ID, t.Name, d.StreamArn, p.stop) })
	}()
}

// setStatus changes a destination's status (and description).
func (k *kinesisPumps) setStatus(t *Table, arn, status, desc string) {
	err := k.n.cat.modify(t.Name, t.ID, func(nt *Table) bool {
		j := findDest(nt, arn)
		if j < 0 || nt.Desc.Kinesis[j].Status == status {
			return false
		}
		nt.Desc.Kinesis = append([]KinesisDest(nil), nt.Desc.Kinesis...)
		nt.Desc.Kinesis[j].Status, nt.Desc.Kinesis[j].Description = status, desc
		return true
	})
	if err != nil {
		k.n.log.Error("kinesis destination: cannot record status", "table", t.Name, "stream", arn, "status", status, "err", err)
	}
}

// dest returns the current state of a destination (false: gone).
func (k *kinesisPumps) dest(name string, id uint64, arn string) (*Table, KinesisDest, bool) {
	t, ok := k.n.cat.get(name)
	if !ok || t.ID != id {
		return nil, KinesisDest{}, false
	}
	j := findDest(t, arn)
	if j < 0 {
		return nil, KinesisDest{}, false
	}
	return t, t.Desc.Kinesis[j], true
}

// pump sends table id's changes to stream arn until stop.
func (k *kinesisPumps) pump(id uint64, name, arn string, stop <-chan struct{}) error {
	region, stream := streamParts(arn)
	if region == "" {
		region = wire.DefaultRegion
	}
	client, err := k.kinesisClient(region)
	if err != nil {
		return err
	}
	backoff := 50 * time.Millisecond
	sleep := func(d time.Duration) bool {
		select {
		case <-stop:
			return false
		case <-time.After(d):
			return true
		}
	}
	for {
		t, d, ok := k.dest(name, id, arn)
		if !ok {
			return nil
		}
		if d.Status == kdsEnabling || d.Status == kdsUpdating {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
			cancel()
			var nf *ktypes.ResourceNotFoundException
			switch {
			case errors.As(err, &nf):
				k.setStatus(t, arn, kdsEnableFailed, "Kinesis stream not found: "+arn)
				return nil
			case err != nil:
				k.n.log.Warn("kinesis destination: stream not reachable", "stream", arn, "err", err)
				if !sleep(backoff) {
					return nil
				}
				backoff = min(2*backoff, 5*time.Second)
				continue
			}
			k.setStatus(t, arn, kdsActive, "")
			continue
		}
		pos, _ := k.n.kinesisPos(id, arn)
		vis := k.n.clog.visible()
		if vis <= pos {
			select {
			case <-stop:
				return nil
			case <-waitOrNil(k.n.clog.seq.waitChan(pos)):
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		batch, last, err := k.n.kinesisBatch(t, d, pos, vis)
		if err != nil {
			return err
		}
		if len(batch) > 0 {
			if !k.put(client, stream, batch, stop) {
				return nil
			}
		}
		if err := k.n.saveKinesisPos(id, arn, last); err != nil {
			return err
		}
		backoff = 50 * time.Millisecond
	}
}

func waitOrNil(c <-chan struct{}) <-chan struct{} {
	if c == nil {
		closed := make(chan struct{})
		close(closed)
		return closed
	}
	return c
}

// put sends batch, retrying failed records until all are in (false: stopped).
func (k *kinesisPumps) put(client *kinesis.Client, stream string, batch []ktypes.PutRecordsRequestEntry, stop <-chan struct{}) bool {
	backoff := 50 * time.Millisecond
	for len(batch) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		// By name (in the ARN's Region): Kinesis-compatible servers such as
		// kinesalite predate StreamARN parameters.
		out, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: batch})
		cancel()
		if err == nil {
			var failed []ktypes.PutRecordsRequestEntry
			for i, r := range out.Records {
				if r.ErrorCode != nil {
					failed = append(failed, batch[i])
				}
			}
			batch = failed
			if len(batch) == 0 {
				return true
			}
		} else {
			k.n.log.Warn("kinesis destination: PutRecords failed", "stream", stream, "err", err)
		}
		select {
		case <-stop:
			return false
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
	return true
}

// kinesisBatch builds the next batch of records after pos (up to vis): at
// most kinesisBatch records, at most one per item. last is the position
// the batch reaches.
func (n *Node) kinesisBatch(t *Table, d KinesisDest, pos, vis uint64) ([]ktypes.PutRecordsRequestEntry, uint64, error) {
	lt := n.clog.logTableByID(t.ID)
	if lt == nil {
		return nil, vis, nil
	}
	var batch []ktypes.PutRecordsRequestEntry
	seen := map[string]bool{}
	last := pos
	err := n.clog.scan(t.ID, max(pos+1, lt.horizon.Load()), vis, func(r logRecord) (bool, error) {
		if r.Cause == CauseTableDeleted {
			last = r.Seq
			return false, nil
		}
		data, pk, err := kinesisRecord(t, lt, d, r)
		if err != nil {
			return false, err
		}
		if seen[pk] || len(batch) >= kinesisBatch {
			return false, nil
		}
		seen[pk] = true
		batch = append(batch, ktypes.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String(pk)})
		last = r.Seq
		return true, nil
	})
	if err != nil {
		return nil, pos, err
	}
	if len(batch) == 0 && last == pos {
		last = vis // nothing of this table up to vis
	}
	return batch, last, nil
}

// kinesisRecord renders a change as DynamoDB writes it to Kinesis, with its
// partition key (32 upper-case hex digits, a hash of the primary key).
func kinesisRecord(t *Table, lt *logTable, d KinesisDest, r logRecord) ([]byte, string, error) {
	name, img := "MODIFY", r.New
	switch {
	case r.Old == nil:
		name = "INSERT"
	case r.New == nil:
		name, img = "REMOVE", r.Old
	}
	_, js, err := splitStored(img)
	if err != nil {
		return nil, "", err
	}
	it, err := ddb.DecodeItem(js)
	if err != nil {
		return nil, "", err
	}
	keys := lt.keysJSON(it)
	sum := md5.Sum(keys)
	pk := strings.ToUpper(hex.EncodeToString(sum[:]))
	b := append(make([]byte, 0, 256+len(r.New)+len(r.Old)), `{"awsRegion":`...)
	b = ddb.AppendString(b, t.Region)
	b = append(b, `,"eventID":"`...)
	b = appendUUID(b, t.ID, r.Seq)
	b = append(b, `","eventName":"`...)
	b = append(b, name...)
	b = append(b, `","userIdentity":`...)
	if r.Cause == CauseTTL {
		b = append(b, `{"type":"Service","principalId":"dynamodb.amazonaws.com"}`...)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"recordFormat":"application/json","tableName":`...)
	b = ddb.AppendString(b, t.Name)
	b = append(b, `,"dynamodb":{"ApproximateCreationDateTime":`...)
	if d.Precision == "MICROSECOND" {
		b = strconv.AppendInt(b, r.Nanos/1000, 10)
	} else {
		b = strconv.AppendInt(b, r.Nanos/1e6, 10)
	}
	b = append(b, `,"Keys":`...)
	b = append(b, keys...)
	size := 0
	for _, im := range [...]struct {
		name   string
		stored []byte
	}{{"NewImage", r.New}, {"OldImage", r.Old}} {
		if im.stored == nil {
			continue
		}
		sz, js, err := splitStored(im.stored)
		if err != nil {
			return nil, "", err
		}
		size = max(size, sz)
		b = append(b, `,"`...)
		b = append(b, im.name...)
		b = append(b, `":`...)
		b = append(b, js...)
	}
	b = append(b, `,"SizeBytes":`...)
	b = strconv.AppendInt(b, int64(size), 10)
	if d.Precision == "MICROSECOND" {
		b = append(b, `,"ApproximateCreationDateTimePrecision":"MICROSECOND"`...)
	}
	b = append(b, `},"eventSource":"aws:dynamodb"}`...)
	return b, pk, nil
}

// appendUUID appends a version-4-shaped UUID derived from (table, seq):
// the same every time the record is sent.
func appendUUID(b []byte, id, seq uint64) []byte {
	var x [16]byte
	binary.BigEndian.PutUint64(x[:8], id*0x9E3779B97F4A7C15^0x5851F42D4C957F2D)
	binary.BigEndian.PutUint64(x[8:], seq*0xBF58476D1CE4E5B9)
	x[6] = x[6]&0x0f | 0x40
	x[8] = x[8]&0x3f | 0x80
	h := hex.EncodeToString(x[:])
	return append(b, h[0:8]+"-"+h[8:12]+"-"+h[12:16]+"-"+h[16:20]+"-"+h[20:32]...)
}

// tableByID returns the live table with internal id.
func (n *Node) tableByID(id uint64) (*Table, bool) {
	lt := n.clog.logTableByID(id)
	if lt == nil || lt.dropped.Load() {
		return nil, false
	}
	t, ok := n.cat.get(lt.name)
	if !ok || t.ID != id {
		return nil, false
	}
	return t, true
}
