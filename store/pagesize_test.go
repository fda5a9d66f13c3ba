package store

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/cockroachdb/pebble/v2"

	"github.com/dynax/dynax/ddb"
)

// TestStoredPageSize: records written now carry their page size; records
// of earlier builds (size prefix and JSON only) still end a page at the
// same item, their page size computed from the item. The items are those
// of dynalite's recorded "just over limit" Query (25 fill exactly 1 MB).
func TestStoredPageSize(t *testing.T) {
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "pages", []string{"a:S", "b:S"})
	for i := 0; i < 25; i++ {
		n := 41645
		if i == 24 {
			n = 41646
		}
		itemsPut(t, ts, "pages", avItem{"a": avS("AAAAAAAAAA"), "b": avS(twoDigits(i)), "e": avS(strings.Repeat("e", n))})
	}
	tb, _ := ts.Node.cat.get("pages")
	prefix := binary.BigEndian.AppendUint64([]byte{tagItem}, tb.ID)
	query := func() *dynamodb.QueryOutput {
		t.Helper()
		out, err := ts.Client.Query(t.Context(), &dynamodb.QueryInput{
			TableName:                 aws.String("pages"),
			KeyConditionExpression:    aws.String("a = :a"),
			ExpressionAttributeValues: avItem{":a": avS("AAAAAAAAAA")},
			Select:                    "COUNT",
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	check := func(what string) {
		t.Helper()
		out := query()
		if out.ScannedCount != 25 || out.LastEvaluatedKey == nil {
			t.Fatalf("%s: ScannedCount %d, LastEvaluatedKey %v; want 25 and a key (exactly 1 MB)", what, out.ScannedCount, out.LastEvaluatedKey)
		}
	}
	check("new records")
	// Rewrite every record in the format of earlier builds.
	it, err := ts.Node.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	b := ts.Node.db.NewBatch()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		size, page, js, err := splitStoredPage(it.Value())
		if err != nil || page != ddb.PageSize(mustDecode(t, js), "b") {
			t.Fatalf("record %q: page %d, err %v", it.Key(), page, err)
		}
		old := binary.AppendUvarint(nil, uint64(size))
		if err := b.Set(bytes.Clone(it.Key()), append(old, js...), nil); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if n != 25 {
		t.Fatalf("rewrote %d records", n)
	}
	check("records of earlier builds")
}

func twoDigits(i int) string { return string([]byte{byte('0' + i/10), byte('0' + i%10)}) }

func mustDecode(t *testing.T, js []byte) ddb.Item {
	t.Helper()
	it, err := ddb.DecodeItem(js)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// FuzzStoredHeader: no stored record, however corrupt, makes the header
// reader panic, and a header it accepts lies within the record.
func FuzzStoredHeader(f *testing.F) {
	f.Add([]byte{0x05, '{', '}'})
	f.Add([]byte{0x05, pageMarker, 0x17, '{', '}'})
	f.Add([]byte{0x05, pageMarker})
	f.Add([]byte{0x80})
	f.Add([]byte{0x05, pageMarker, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, v []byte) {
		_, _, n, err := storedHeader(v)
		if err == nil && (n <= 0 || n > len(v)) {
			t.Fatalf("header length %d of a %d-byte record", n, len(v))
		}
		_, _, _, _ = splitStoredPage(v)
	})
}
