package changefeed

// Wire format of the feed over HTTP (POST /, AWS JSON 1.0 framing, target
// DynaxChangeFeed_20261201.<Operation>):
//
//	GetHead     {}                                          → {"Head":"<n>"}
//	GetChanges  {"After":"<n>","WaitMillis":<ms>,"Limit":<k>} →
//	            {"Changes":[{"Seq":"<n>","TableName":"t","TableId":"<id>",
//	              "Time":<unix ms>,"Cause":"PutItem","Keys":{…},
//	              "OldImage":{…},"NewImage":{…},"TableDeleted":true,
//	              "Stamp":"<unix ns>","Origin":"us-west-2"}, …],
//	             "Next":"<n>","Trimmed":["t", …]}
//
// Sequence numbers and ids travel as decimal strings (they are 64-bit);
// images are DynamoDB JSON items, absent when the change has none.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/dynax/dynax/ddb"
)

// Operation names.
const (
	OpGetHead    = "GetHead"
	OpGetChanges = "GetChanges"
)

type requestJSON struct {
	After      string `json:"After"`
	WaitMillis int64  `json:"WaitMillis"`
	Limit      int    `json:"Limit"`
}

// EncodeRequest returns the GetChanges body of r.
func EncodeRequest(r Request) []byte {
	b, _ := json.Marshal(requestJSON{After: strconv.FormatUint(r.After, 10), WaitMillis: r.Wait.Milliseconds(), Limit: r.Limit})
	return b
}

// DecodeRequest parses a GetChanges body, with DynamoDB-style errors.
func DecodeRequest(body []byte) (Request, error) {
	var in requestJSON
	if err := json.Unmarshal(body, &in); err != nil {
		return Request{}, ddb.Serialization("Unable to parse GetChanges request: " + err.Error())
	}
	var r Request
	if in.After != "" {
		v, err := strconv.ParseUint(in.After, 10, 64)
		if err != nil {
			return Request{}, ddb.Validation("After must be a decimal sequence number")
		}
		r.After = v
	}
	if in.WaitMillis < 0 || in.WaitMillis > 60_000 {
		return Request{}, ddb.Validation("WaitMillis must be between 0 and 60000")
	}
	r.Wait = time.Duration(in.WaitMillis) * time.Millisecond
	if in.Limit < 0 || in.Limit > MaxLimit {
		return Request{}, ddb.Validation(fmt.Sprintf("Limit must be between 0 and %d", MaxLimit))
	}
	r.Limit = in.Limit
	return r, nil
}

// AppendHead appends the GetHead answer.
func AppendHead(dst []byte, head uint64) []byte {
	dst = append(dst, `{"Head":"`...)
	dst = strconv.AppendUint(dst, head, 10)
	return append(dst, `"}`...)
}

// AppendBatch appends the GetChanges answer for b.
func AppendBatch(dst []byte, b Batch) []byte {
	dst = append(dst, `{"Changes":[`...)
	for i, c := range b.Changes {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"Seq":"`...)
		dst = strconv.AppendUint(dst, c.Seq, 10)
		dst = append(dst, `","TableName":`...)
		dst = ddb.AppendString(dst, c.Table)
		dst = append(dst, `,"TableId":"`...)
		dst = strconv.AppendUint(dst, c.TableID, 10)
		dst = append(dst, `","Time":`...)
		dst = strconv.AppendInt(dst, c.Time.UnixMilli(), 10)
		dst = append(dst, `,"Cause":`...)
		dst = ddb.AppendString(dst, c.Cause)
		for _, m := range [...]struct {
			name string
			v    []byte
		}{{"Keys", c.Keys}, {"OldImage", c.Old}, {"NewImage", c.New}} {
			if m.v != nil {
				dst = append(dst, `,"`...)
				dst = append(dst, m.name...)
				dst = append(dst, `":`...)
				dst = append(dst, m.v...)
			}
		}
		if c.TableDeleted {
			dst = append(dst, `,"TableDeleted":true`...)
		}
		if c.Stamp != 0 {
			dst = append(dst, `,"Stamp":"`...)
			dst = strconv.AppendInt(dst, c.Stamp, 10)
			dst = append(dst, '"')
		}
		if c.Origin != "" {
			dst = append(dst, `,"Origin":`...)
			dst = ddb.AppendString(dst, c.Origin)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `],"Next":"`...)
	dst = strconv.AppendUint(dst, b.Next, 10)
	dst = append(dst, '"')
	if len(b.Trimmed) > 0 {
		dst = append(dst, `,"Trimmed":[`...)
		for i, t := range b.Trimmed {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = ddb.AppendString(dst, t)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

type changeJSON struct {
	Seq          string          `json:"Seq"`
	TableName    string          `json:"TableName"`
	TableID      string          `json:"TableId"`
	Time         int64           `json:"Time"`
	Cause        string          `json:"Cause"`
	Keys         json.RawMessage `json:"Keys"`
	OldImage     json.RawMessage `json:"OldImage"`
	NewImage     json.RawMessage `json:"NewImage"`
	TableDeleted bool            `json:"TableDeleted"`
	Stamp        string          `json:"Stamp"`
	Origin       string          `json:"Origin"`
}

type batchJSON struct {
	Changes []changeJSON `json:"Changes"`
	Next    string       `json:"Next"`
	Trimmed []string     `json:"Trimmed"`
}

// DecodeBatch parses a GetChanges answer.
func DecodeBatch(body []byte) (Batch, error) {
	var in batchJSON
	if err := json.Unmarshal(body, &in); err != nil {
		return Batch{}, fmt.Errorf("changefeed: decode batch: %w", err)
	}
	var b Batch
	var err error
	if b.Next, err = strconv.ParseUint(in.Next, 10, 64); err != nil {
		return Batch{}, fmt.Errorf("changefeed: decode batch: Next %q: %w", in.Next, err)
	}
	b.Trimmed = in.Trimmed
	b.Changes = make([]Change, len(in.Changes))
	for i, c := range in.Changes {
		out := &b.Changes[i]
		if out.Seq, err = strconv.ParseUint(c.Seq, 10, 64); err != nil {
			return Batch{}, fmt.Errorf("changefeed: decode change: Seq %q: %w", c.Seq, err)
		}
		if out.TableID, err = strconv.ParseUint(c.TableID, 10, 64); err != nil {
			return Batch{}, fmt.Errorf("changefeed: decode change: TableId %q: %w", c.TableID, err)
		}
		out.Table, out.Cause, out.TableDeleted = c.TableName, c.Cause, c.TableDeleted
		out.Time = time.UnixMilli(c.Time)
		out.Origin = c.Origin
		if c.Stamp != "" {
			if out.Stamp, err = strconv.ParseInt(c.Stamp, 10, 64); err != nil {
				return Batch{}, fmt.Errorf("changefeed: decode change: Stamp %q: %w", c.Stamp, err)
			}
		}
		out.Keys, out.Old, out.New = raw(c.Keys), raw(c.OldImage), raw(c.NewImage)
	}
	return b, nil
}

func raw(m json.RawMessage) []byte {
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	return []byte(m)
}

// DecodeHead parses a GetHead answer.
func DecodeHead(body []byte) (uint64, error) {
	var in struct {
		Head string `json:"Head"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return 0, fmt.Errorf("changefeed: decode head: %w", err)
	}
	h, err := strconv.ParseUint(in.Head, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("changefeed: decode head %q: %w", in.Head, err)
	}
	return h, nil
}
