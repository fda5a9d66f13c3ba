package store

// The DynamoDB Streams API (target prefix DynamoDBStreams_20120810):
// ListStreams, DescribeStream, GetShardIterator, GetRecords.

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"strconv"
	"strings"
	"time"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

func init() {
	registerStreams("ListStreams", opListStreams)
	registerStreams("DescribeStream", opDescribeStream)
	registerStreams("GetShardIterator", opGetShardIterator)
	registerStreams("GetRecords", opGetRecords)
}

// Limits of the Streams API.
const (
	iteratorMaxAge   = 15 * time.Minute
	getRecordsMax    = 1000
	getRecordsBytes  = 1 << 20
	streamsPageLimit = 100
)

// Messages of the Streams API.
const (
	msgInvalidStreamArn     = "Invalid StreamArn"
	msgInvalidIterator      = "Invalid ShardIterator"
	msgShardNotFound        = "Requested resource not found: Shard does not exist"
	msgIteratorExpired      = "The provided iterator exceeds the maximum age allowed."
	msgTrimmed              = "The operation attempted to read past the oldest stream record in a shard."
	msgSeqOutOfShard        = "Invalid SequenceNumber for the shard: the sequence number is outside the shard's range"
	iteratorTypeConstraint  = "Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER]"
	shardFilterTypeConstant = "Member must satisfy enum value set: [CHILD_SHARDS]"
)

func streamNotFound(arn string) error {
	return ddb.ResourceNotFound("Requested resource not found: Stream: " + arn + " not found")
}

// checkLen records a length constraint violation of an optional string.
func (c *checker) checkLen(path string, v *string, lo, hi int) {
	if v == nil {
		return
	}
	if len(*v) < lo {
		c.fail(v, path, "Member must have length greater than or equal to "+strconv.Itoa(lo))
	}
	if len(*v) > hi {
		c.fail(v, path, "Member must have length less than or equal to "+strconv.Itoa(hi))
	}
}

// checkRequired records that a required string is absent, or violates its
// length constraint.
func (c *checker) checkRequired(path string, v *string, lo, hi int) {
	if v == nil {
		c.fail(nil, path, cMustNotBeNull)
		return
	}
	c.checkLen(path, v, lo, hi)
}

// checkRange records a range violation of an optional number.
func (c *checker) checkRange(path string, v *int64, lo, hi int64) {
	if v == nil {
		return
	}
	if *v < lo {
		c.fail(v, path, "Member must have value greater than or equal to "+strconv.FormatInt(lo, 10))
	}
	if *v > hi {
		c.fail(v, path, "Member must have value less than or equal to "+strconv.FormatInt(hi, 10))
	}
}

// checkLimit records a range violation of an optional Limit.
func (c *checker) checkLimit(v *int64, hi int64) { c.checkRange("limit", v, 1, hi) }

// lookupStream resolves a stream ARN.
func (n *Node) lookupStream(arn string) (*streamMeta, error) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:dynamodb:")
	if !ok {
		return nil, ddb.Validation(msgInvalidStreamArn)
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 {
		return nil, ddb.Validation(msgInvalidStreamArn)
	}
	region, account, res := parts[0], parts[1], parts[2]
	table, label, ok := strings.Cut(strings.TrimPrefix(res, "table/"), "/stream/")
	if !strings.HasPrefix(res, "table/") || !ok || table == "" || label == "" || !validName(table) {
		return nil, ddb.Validation(msgInvalidStreamArn)
	}
	s, ok := n.streams.get(table, label)
	if !ok || s.Region != region || s.Account != account {
		return nil, streamNotFound(arn)
	}
	return s, nil
}

// seqString renders a sequence number as DynamoDB does: a numeric string
// of at least 21 digits.
func seqString(seq uint64) string {
	s := strconv.FormatUint(seq, 10)
	if len(s) < 21 {
		s = strings.Repeat("0", 21-len(s)) + s
	}
	return s
}

// streamStatus is StreamStatus at now.
func (n *Node) streamStatus(s *streamMeta, now time.Time) string {
	delay := n.opts.CreateDelay.Milliseconds()
	ms := now.UnixMilli()
	switch {
	case s.Disabled == 0 && ms < s.Created+delay:
		return "ENABLING"
	case s.Disabled == 0:
		return "ENABLED"
	case ms < s.Disabled+delay:
		return "DISABLING"
	}
	return "DISABLED"
}

// ---------------------------------------------------------------------------
// ListStreams

type listStreamsIn struct {
	TableName               *string `json:"TableName"`
	Limit                   *int64  `json:"Limit"`
	ExclusiveStartStreamArn *string `json:"ExclusiveStartStreamArn"`
}

func opListStreams(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in listStreamsIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	c.checkLen("exclusiveStartStreamArn", in.ExclusiveStartStreamArn, 37, 1024)
	c.checkLimit(in.Limit, streamsPageLimit)
	if in.TableName != nil {
		c.checkTableName("tableName", in.TableName)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	limit := streamsPageLimit
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	table := ""
	if in.TableName != nil {
		table = n.resolveTableName(*in.TableName)
	}
	var after string
	if in.ExclusiveStartStreamArn != nil {
		after = *in.ExclusiveStartStreamArn
	}
	b := append(make([]byte, 0, 256), `{"Streams":[`...)
	count := 0
	var last string
	more := false
	for _, s := range n.streams.list(table) {
		arn := s.Arn()
		if after != "" && arn <= after {
			continue
		}
		if count == limit {
			more = true
			break
		}
		if count > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"StreamArn":`...)
		b = ddb.AppendString(b, arn)
		b = append(b, `,"StreamLabel":`...)
		b = ddb.AppendString(b, s.Label)
		b = append(b, `,"TableName":`...)
		b = ddb.AppendString(b, s.Table)
		b = append(b, '}')
		count++
		last = arn
	}
	b = append(b, ']')
	if more {
		b = append(b, `,"LastEvaluatedStreamArn":`...)
		b = ddb.AppendString(b, last)
	}
	return append(b, '}'), nil
}

// ---------------------------------------------------------------------------
// DescribeStream

type describeStreamIn struct {
	StreamArn             *string `json:"StreamArn"`
	Limit                 *int64  `json:"Limit"`
	ExclusiveStartShardId *string `json:"ExclusiveStartShardId"`
	ShardFilter           *struct {
		Type    *string `json:"Type"`
		ShardId *string `json:"ShardId"`
	} `json:"ShardFilter"`
}

func opDescribeStream(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in describeStreamIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	c.checkRequired("streamArn", in.StreamArn, 37, 1024)
	c.checkLimit(in.Limit, streamsPageLimit)
	c.checkLen("exclusiveStartShardId", in.ExclusiveStartShardId, 28, 65)
	if f := in.ShardFilter; f != nil {
		if f.Type != nil && *f.Type != "CHILD_SHARDS" {
			c.fail(f.Type, "shardFilter.type", shardFilterTypeConstant)
		}
		c.checkLen("shardFilter.shardId", f.ShardId, 28, 65)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	s, err := n.lookupStream(*in.StreamArn)
	if err != nil {
		return nil, err
	}
	limit := streamsPageLimit
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	b := append(make([]byte, 0, 512), `{"StreamDescription":{"CreationRequestDateTime":`...)
	b = strconv.AppendFloat(b, float64(s.Created)/1000, 'f', 3, 64)
	b = append(b, `,"KeySchema":[{"AttributeName":`...)
	b = ddb.AppendString(b, s.HashKey)
	b = append(b, `,"KeyType":"HASH"}`...)
	if s.RangeKey != "" {
		b = append(b, `,{"AttributeName":`...)
		b = ddb.AppendString(b, s.RangeKey)
		b = append(b, `,"KeyType":"RANGE"}`...)
	}
	b = append(b, `],"Shards":[`...)
	count := 0
	var last string
	more := false
	for i := range s.Shards {
		sh := &s.Shards[i]
		if in.ExclusiveStartShardId != nil && sh.ID <= *in.ExclusiveStartShardId {
			continue
		}
		if f := in.ShardFilter; f != nil && f.ShardId != nil && sh.Parent != *f.ShardId {
			continue
		}
		if count == limit {
			more = true
			break
		}
		if count > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		if sh.Parent != "" {
			b = append(b, `"ParentShardId":`...)
			b = ddb.AppendString(b, sh.Parent)
			b = append(b, ',')
		}
		b = append(b, `"SequenceNumberRange":{`...)
		if last := s.lastCovered(sh); last != ^uint64(0) {
			b = append(b, `"EndingSequenceNumber":"`...)
			b = append(b, seqString(max(last, sh.Start))...)
			b = append(b, `",`...)
		}
		b = append(b, `"StartingSequenceNumber":"`...)
		b = append(b, seqString(sh.Start)...)
		b = append(b, `"},"ShardId":`...)
		b = ddb.AppendString(b, sh.ID)
		b = append(b, '}')
		count++
		last = sh.ID
	}
	b = append(b, ']')
	if more {
		b = append(b, `,"LastEvaluatedShardId":`...)
		b = ddb.AppendString(b, last)
	}
	b = append(b, `,"StreamArn":`...)
	b = ddb.AppendString(b, s.Arn())
	b = append(b, `,"StreamLabel":`...)
	b = ddb.AppendString(b, s.Label)
	b = append(b, `,"StreamStatus":"`...)
	b = append(b, n.streamStatus(s, n.opts.Now())...)
	b = append(b, `","StreamViewType":"`...)
	b = append(b, s.ViewType...)
	b = append(b, `","TableName":`...)
	b = ddb.AppendString(b, s.Table)
	return append(b, "}}"...), nil
}

// ---------------------------------------------------------------------------
// Shard iterators
//
// An iterator is "<stream ARN>|1|<base64url payload>", as DynamoDB's start
// with the stream ARN. The payload holds the issue time, the next sequence
// number to read and the shard id, with a CRC-32 so a damaged iterator is
// told apart from an expired or trimmed one. It is not a secret: it grants
// nothing GetShardIterator would not.

type shardIterator struct {
	issued int64 // Unix ms
	next   uint64
	shard  string
}

func (it shardIterator) encode(arn string) string {
	p := make([]byte, 0, 24+len(it.shard))
	p = append(p, 1)
	p = binary.BigEndian.AppendUint64(p, uint64(it.issued))
	p = binary.BigEndian.AppendUint64(p, it.next)
	p = append(p, byte(len(it.shard)))
	p = append(p, it.shard...)
	p = binary.BigEndian.AppendUint32(p, crc32.ChecksumIEEE(p))
	return arn + "|1|" + base64.RawURLEncoding.EncodeToString(p)
}

func decodeIterator(s string) (arn string, it shardIterator, ok bool) {
	i := strings.LastIndex(s, "|1|")
	if i <= 0 {
		return "", it, false
	}
	p, err := base64.RawURLEncoding.DecodeString(s[i+3:])
	if err != nil || len(p) < 22 || p[0] != 1 {
		return "", it, false
	}
	body, sum := p[:len(p)-4], binary.BigEndian.Uint32(p[len(p)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return "", it, false
	}
	it.issued = int64(binary.BigEndian.Uint64(body[1:]))
	it.next = binary.BigEndian.Uint64(body[9:])
	l := int(body[17])
	if len(body) != 18+l {
		return "", it, false
	}
	it.shard = string(body[18:])
	return s[:i], it, true
}

type getShardIteratorIn struct {
	StreamArn         *string `json:"StreamArn"`
	ShardId           *string `json:"ShardId"`
	ShardIteratorType *string `json:"ShardIteratorType"`
	SequenceNumber    *string `json:"SequenceNumber"`
}

func opGetShardIterator(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in getShardIteratorIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	c.checkRequired("streamArn", in.StreamArn, 37, 1024)
	c.checkRequired("shardId", in.ShardId, 28, 65)
	switch t := in.ShardIteratorType; {
	case t == nil:
		c.fail(nil, "shardIteratorType", cMustNotBeNull)
	case *t != "TRIM_HORIZON" && *t != "LATEST" && *t != "AT_SEQUENCE_NUMBER" && *t != "AFTER_SEQUENCE_NUMBER":
		c.fail(t, "shardIteratorType", iteratorTypeConstraint)
	}
	c.checkLen("sequenceNumber", in.SequenceNumber, 21, 40)
	if err := c.err(); err != nil {
		return nil, err
	}
	s, err := n.lookupStream(*in.StreamArn)
	if err != nil {
		return nil, err
	}
	sh, ok := s.shard(*in.ShardId)
	if !ok {
		return nil, ddb.ResourceNotFound(msgShardNotFound)
	}
	horizon := uint64(0)
	if lt := n.clog.logTableByID(s.TableID); lt != nil {
		horizon = lt.horizon.Load()
	}
	last := s.lastCovered(sh)
	var next uint64
	switch typ := *in.ShardIteratorType; typ {
	case "TRIM_HORIZON":
		next = max(sh.Start, horizon)
	case "LATEST":
		next = max(sh.Start, n.clog.visible()+1)
		if last != ^uint64(0) {
			next = max(sh.Start, last+1)
		}
	default:
		if in.SequenceNumber == nil {
			return nil, ddb.Validation("A SequenceNumber is required for the ShardIteratorType " + typ)
		}
		seq, err := strconv.ParseUint(*in.SequenceNumber, 10, 64)
		if err != nil {
			return nil, ddb.Validation("Invalid SequenceNumber: " + *in.SequenceNumber)
		}
		if seq < sh.Start || seq > last {
			return nil, ddb.Validation(msgSeqOutOfShard)
		}
		if seq < horizon {
			return nil, &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "TrimmedDataAccessException", Message: msgTrimmed}
		}
		next = seq
		if typ == "AFTER_SEQUENCE_NUMBER" {
			next = seq + 1
		}
	}
	itr := shardIterator{issued: n.opts.Now().UnixMilli(), next: next, shard: sh.ID}
	b := append(make([]byte, 0, 256), `{"ShardIterator":`...)
	b = ddb.AppendString(b, itr.encode(s.Arn()))
	return append(b, '}'), nil
}

// ---------------------------------------------------------------------------
// GetRecords

type getRecordsIn struct {
	ShardIterator *string `json:"ShardIterator"`
	Limit         *int64  `json:"Limit"`
}

func opGetRecords(n *Node, ctx context.Context, req *wire.Request) ([]byte, error) {
	var in getRecordsIn
	if err := decode(req.Body, &in); err != nil {
		return nil, err
	}
	var c checker
	c.checkRequired("shardIterator", in.ShardIterator, 1, 2048)
	c.checkLimit(in.Limit, getRecordsMax)
	if err := c.err(); err != nil {
		return nil, err
	}
	arn, itr, ok := decodeIterator(*in.ShardIterator)
	if !ok {
		return nil, ddb.Validation(msgInvalidIterator)
	}
	now := n.opts.Now()
	if now.Sub(time.UnixMilli(itr.issued)) > iteratorMaxAge {
		return nil, &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "ExpiredIteratorException", Message: msgIteratorExpired}
	}
	s, err := n.lookupStream(arn)
	if err != nil {
		if de, ok := ddb.AsError(err); ok && de.Name() == "ValidationException" {
			return nil, ddb.Validation(msgInvalidIterator)
		}
		return nil, err
	}
	sh, ok := s.shard(itr.shard)
	if !ok {
		return nil, ddb.ResourceNotFound(msgShardNotFound)
	}
	limit := getRecordsMax
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	lt := n.clog.logTableByID(s.TableID)
	if lt != nil && itr.next < lt.horizon.Load() {
		return nil, &ddb.Error{Status: 400, Type: ddb.NSDynamoDB + "TrimmedDataAccessException", Message: msgTrimmed}
	}
	last := s.lastCovered(sh)
	vis := n.clog.visible()
	bound := min(last, vis)
	b := append(make([]byte, 0, 1024), `{"Records":[`...)
	count, next := 0, bound+1
	if bound == ^uint64(0) {
		next = bound // unreachable: vis is finite
	}
	if lt != nil && itr.next <= bound {
		start := len(b)
		err := n.clog.scan(lt.id, itr.next, bound, func(r logRecord) (bool, error) {
			if r.Cause == CauseTableDeleted {
				return true, nil // the end of the table, not an item change
			}
			if count == limit {
				next = r.Seq
				return false, nil
			}
			mark := len(b)
			if count > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendStreamRecord(b, s, lt, r); err != nil {
				return false, err
			}
			if count > 0 && len(b)-start > getRecordsBytes {
				b = b[:mark] // over 1 MB: this record starts the next call
				next = r.Seq
				return false, nil
			}
			count++
			return true, nil
		})
		if err != nil {
			return nil, err
		}
	} else if itr.next > bound {
		next = itr.next
	}
	b = append(b, ']')
	ended := last != ^uint64(0) && vis >= last && next > last
	if !ended {
		itr.next = next
		itr.issued = now.UnixMilli()
		b = append(b, `,"NextShardIterator":`...)
		b = ddb.AppendString(b, itr.encode(s.Arn()))
	}
	return append(b, '}'), nil
}

// serviceIdentity is the userIdentity of records of TTL deletions.
const serviceIdentity = `,"userIdentity":{"PrincipalId":"dynamodb.amazonaws.com","Type":"Service"}`

// appendStreamRecord appends one change record as a stream record of s.
func appendStreamRecord(b []byte, s *streamMeta, lt *logTable, r logRecord) ([]byte, error) {
	img := r.New
	name := "MODIFY"
	switch {
	case r.Old == nil:
		name = "INSERT"
	case r.New == nil:
		name = "REMOVE"
		img = r.Old
	}
	_, js, err := splitStored(img)
	if err != nil {
		return b, err
	}
	it, err := ddb.DecodeItem(js)
	if err != nil {
		return b, err
	}
	keys := lt.keysJSON(it)
	keyItem, err := ddb.DecodeItem(keys)
	if err != nil {
		return b, err
	}
	size := ddb.ItemSize(keyItem)
	b = append(b, `{"awsRegion":`...)
	b = ddb.AppendString(b, s.Region)
	b = append(b, `,"dynamodb":{"ApproximateCreationDateTime":`...)
	b = strconv.AppendInt(b, r.Nanos/int64(time.Second), 10)
	b = append(b, `,"Keys":`...)
	b = append(b, keys...)
	for _, im := range [...]struct {
		name   string
		stored []byte
		shown  bool
	}{
		{"NewImage", r.New, s.ViewType == "NEW_IMAGE" || s.ViewType == "NEW_AND_OLD_IMAGES"},
		{"OldImage", r.Old, s.ViewType == "OLD_IMAGE" || s.ViewType == "NEW_AND_OLD_IMAGES"},
	} {
		if !im.shown || im.stored == nil {
			continue
		}
		sz, js, err := splitStored(im.stored)
		if err != nil {
			return b, err
		}
		size += sz
		b = append(b, `,"`...)
		b = append(b, im.name...)
		b = append(b, `":`...)
		b = append(b, js...)
	}
	b = append(b, `,"SequenceNumber":"`...)
	b = append(b, seqString(r.Seq)...)
	b = append(b, `","SizeBytes":`...)
	b = strconv.AppendInt(b, int64(size), 10)
	b = append(b, `,"StreamViewType":"`...)
	b = append(b, s.ViewType...)
	b = append(b, `"},"eventID":"`...)
	b = appendEventID(b, s, r.Seq)
	b = append(b, `","eventName":"`...)
	b = append(b, name...)
	b = append(b, `","eventSource":"aws:dynamodb","eventVersion":"1.1"`...)
	if r.Cause == CauseTTL {
		b = append(b, serviceIdentity...)
	}
	return append(b, '}'), nil
}

// appendEventID appends a 32-hex-digit event id that is the same every time
// the record is read, and different for every record and stream.
func appendEventID(b []byte, s *streamMeta, seq uint64) []byte {
	h := uint64(14695981039346656037)
	for _, c := range []byte(s.Arn()) {
		h ^= uint64(c)
		h *= 1099511628211
	}
	var x [16]byte
	binary.BigEndian.PutUint64(x[:8], h)
	binary.BigEndian.PutUint64(x[8:], seq*0x9E3779B97F4A7C15)
	const hexd = "0123456789abcdef"
	for _, c := range x {
		b = append(b, hexd[c>>4], hexd[c&15])
	}
	return b
}
