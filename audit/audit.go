// Package audit writes an audit log of API calls as JSON lines shaped like
// CloudTrail events (eventTime, eventName, userIdentity, sourceIPAddress,
// requestParameters, errorCode, errorMessage, …), for the store's and the
// proxy's listeners alike.
//
// Recording never blocks a request: Record copies the few fields an event
// needs and hands them to a buffered channel, and one background
// goroutine encodes and appends them to the file. When the buffer is full
// (the disk cannot keep up) events are dropped and counted rather than
// slowing the caller; Dropped reports how many. Control-plane calls are
// always recorded; data-plane calls (item reads and writes, PartiQL,
// stream records) only with Options.DataPlane, and then with their table
// and keys but never item contents, as CloudTrail's data events.
package audit

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
)

// Options configures a Log.
type Options struct {
	// Path is the file events are appended to. Required.
	Path string
	// DataPlane records data-plane calls too. Default false.
	DataPlane bool
	// Account is the account id of the node (recipientAccountId). Default
	// "000000000000".
	Account string
	// Buffer is how many events may wait for the writer. Default 4096.
	Buffer int
	// Logger receives write errors. Default slog.Default().
	Logger *slog.Logger
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// ErrNoPath is returned by Open without Options.Path.
var ErrNoPath = errors.New("audit: Options.Path is required")

// Log is an open audit log. It implements wire.Auditor.
type Log struct {
	opts    Options
	f       *os.File
	ch      chan *Event
	done    chan struct{}
	dropped atomic.Uint64
	once    sync.Once
}

// Event is one CloudTrail-shaped record.
type Event struct {
	EventVersion       string          `json:"eventVersion"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress,omitempty"`
	UserAgent          string          `json:"userAgent,omitempty"`
	UserIdentity       Identity        `json:"userIdentity"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	ErrorCode          string          `json:"errorCode,omitempty"`
	ErrorMessage       string          `json:"errorMessage,omitempty"`
	RequestID          string          `json:"requestID"`
	EventID            string          `json:"eventID"`
	ReadOnly           bool            `json:"readOnly"`
	EventType          string          `json:"eventType"`
	ManagementEvent    bool            `json:"managementEvent"`
	RecipientAccountID string          `json:"recipientAccountId"`
	EventCategory      string          `json:"eventCategory"`
}

// Identity is CloudTrail's userIdentity.
type Identity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
}

// Open opens (appending to, or creating) the audit log and starts its
// writer. Close stops it.
func Open(opts Options) (*Log, error) {
	if opts.Path == "" {
		return nil, ErrNoPath
	}
	if opts.Account == "" {
		opts.Account = "000000000000"
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 4096
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f, err := os.OpenFile(opts.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", opts.Path, err)
	}
	l := &Log{opts: opts, f: f, ch: make(chan *Event, opts.Buffer), done: make(chan struct{})}
	go l.write()
	return l, nil
}

// dataPlane are the operations CloudTrail logs as data events.
var dataPlane = map[string]bool{
	"GetItem": true, "PutItem": true, "UpdateItem": true, "DeleteItem": true, "BatchGetItem": true, "BatchWriteItem": true,
	"Query": true, "Scan": true, "TransactGetItems": true, "TransactWriteItems": true, "ExecuteStatement": true,
	"BatchExecuteStatement": true, "ExecuteTransaction": true, "GetRecords": true, "GetShardIterator": true,
}

// readOnly are operations that change nothing.
func readOnly(op string) bool {
	switch op {
	case "GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "GetRecords", "GetShardIterator",
		"ListTables", "ListBackups", "ListExports", "ListImports", "ListStreams", "ListTagsOfResource", "ListGlobalTables",
		"ListContributorInsights":
		return true
	}
	return len(op) > 8 && (op[:8] == "Describe" || op[:3] == "Get")
}

// Record implements wire.Auditor: it queues the event of one answered call
// (err is nil for a success). It never blocks.
func (l *Log) Record(req *wire.Request, userAgent string, err *ddb.Error) {
	if req.Prefix == wire.PrefixFeed {
		return
	}
	data := dataPlane[req.Operation]
	if data && !l.opts.DataPlane {
		return
	}
	e := &Event{EventVersion: "1.08", EventTime: l.opts.Now().UTC().Format(time.RFC3339), EventSource: "dynamodb.amazonaws.com",
		EventName: req.Operation, AWSRegion: req.Region, SourceIPAddress: req.SourceIP, UserAgent: strings.Clone(userAgent),
		RequestID: req.RequestID, EventID: newID(), ReadOnly: readOnly(req.Operation), EventType: "AwsApiCall",
		ManagementEvent: !data, RecipientAccountID: l.opts.Account, EventCategory: "Management",
		ResponseElements: json.RawMessage("null")}
	if data {
		e.EventCategory = "Data"
		e.RequestParameters = dataParameters(req.Body)
	} else {
		e.RequestParameters = controlParameters(req.Body)
	}
	if p := req.Principal; p != nil {
		e.UserIdentity = Identity{Type: "IAMUser", PrincipalID: p.AccessKeyID, ARN: p.ARN, AccountID: accountOf(p.ARN), AccessKeyID: p.AccessKeyID, UserName: userOf(p.ARN)}
	} else {
		e.UserIdentity = Identity{Type: "Unknown", AccessKeyID: req.AccessKey}
	}
	if err != nil {
		e.ErrorCode = shortType(err.Type)
		e.ErrorMessage = strings.Clone(err.Message)
	}
	select {
	case l.ch <- e:
	default:
		l.dropped.Add(1)
	}
}

// controlParameters is a control-plane request's body (valid JSON, small)
// or null; it is copied, as the request's buffers are reused.
func controlParameters(body []byte) json.RawMessage {
	if len(body) == 0 || len(body) > 64<<10 || !json.Valid(body) {
		return json.RawMessage("null")
	}
	return json.RawMessage(append([]byte(nil), body...))
}

// dataParameters keeps a data-plane request's table and key, never items
// or values.
func dataParameters(body []byte) json.RawMessage {
	var in struct {
		TableName *string         `json:"TableName"`
		Key       json.RawMessage `json:"Key"`
		IndexName *string         `json:"IndexName"`
	}
	if ddb.Unmarshal(body, &in) != nil {
		return json.RawMessage("null")
	}
	out := map[string]any{}
	if in.TableName != nil {
		out["tableName"] = *in.TableName
	}
	if in.IndexName != nil {
		out["indexName"] = *in.IndexName
	}
	if len(in.Key) > 0 && json.Valid(in.Key) {
		out["key"] = json.RawMessage(append([]byte(nil), in.Key...))
	}
	b, _ := json.Marshal(out)
	return b
}

func (l *Log) write() {
	defer close(l.done)
	w := bufio.NewWriterSize(l.f, 64<<10)
	enc := json.NewEncoder(w)
	for e := range l.ch {
		if err := enc.Encode(e); err != nil {
			l.opts.Logger.Error("audit log write", "err", err)
		}
		if len(l.ch) == 0 {
			if err := w.Flush(); err != nil {
				l.opts.Logger.Error("audit log flush", "err", err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		l.opts.Logger.Error("audit log flush", "err", err)
	}
}

// Dropped returns how many events were dropped because the writer fell
// behind.
func (l *Log) Dropped() uint64 { return l.dropped.Load() }

// Close writes what is queued and closes the file. Record must not be
// called after Close.
func (l *Log) Close() error {
	var err error
	l.once.Do(func() {
		close(l.ch)
		<-l.done
		if e := l.f.Sync(); e != nil {
			err = e
		}
		if e := l.f.Close(); e != nil && err == nil {
			err = e
		}
	})
	return err
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func shortType(t string) string {
	for i := len(t) - 1; i >= 0; i-- {
		if t[i] == '#' {
			return t[i+1:]
		}
	}
	return t
}

func accountOf(arn string) string {
	// arn:aws:iam::ACCOUNT:user/NAME
	n := 0
	for i := 0; i < len(arn); i++ {
		if arn[i] == ':' {
			n++
			if n == 4 {
				rest := arn[i+1:]
				for j := 0; j < len(rest); j++ {
					if rest[j] == ':' {
						return rest[:j]
					}
				}
				return rest
			}
		}
	}
	return ""
}

func userOf(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == '/' {
			return arn[i+1:]
		}
	}
	return ""
}
