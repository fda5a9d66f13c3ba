package store

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/dynax/dynax/ddb"
)

// TestDynamoHash checks the partition hash against dynalite's hashPrefix
// (testdata/keyhash.tsv was produced by dynalite itself).
func TestDynamoHash(t *testing.T) {
	b, err := os.ReadFile("testdata/keyhash.tsv")
	if err != nil {
		t.Fatal(err)
	}
	val := func(typ, s string) ddb.Value {
		switch typ {
		case "S":
			return ddb.Value{T: ddb.TypeS, S: s}
		case "N":
			return ddb.Value{T: ddb.TypeN, S: s}
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return ddb.Value{T: ddb.TypeB, B: raw}
	}
	f := func(line, typ, keys, want string) {
		t.Helper()
		types := strings.Split(typ, "+")
		var strs []string
		if len(types) == 1 {
			var s string
			if err := json.Unmarshal([]byte(keys), &s); err != nil {
				t.Fatal(err)
			}
			strs = []string{s}
		} else if err := json.Unmarshal([]byte(keys), &strs); err != nil {
			t.Fatal(err)
		}
		pk, sk := val(types[0], strs[0]), ddb.Value{}
		if len(types) == 2 {
			sk = val(types[1], strs[1])
		}
		if got := fmt.Sprintf("%06x", dynamoHash(pk, sk)>>8); got != want {
			t.Errorf("%s: hash %s, want %s", line, got, want)
		}
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		p := strings.Split(line, "\t")
		f(line, p[0], p[1], p[2])
		n++
	}
	if n < 20 {
		t.Fatalf("only %d vectors", n)
	}
}

func TestKeyHashSegments(t *testing.T) {
	f := func(s, total int, wantLo, wantHi uint64) {
		t.Helper()
		lo, hi := keyHashDynamo.segment(s, total)
		if lo != wantLo || hi != wantHi {
			t.Fatalf("segment %d/%d: [%#x, %#x), want [%#x, %#x)", s, total, lo, hi, wantLo, wantHi)
		}
	}
	// dynalite: buckets ceil(4096·s/T) … ceil(4096·(s+1)/T)−1 of the first
	// three hex digits.
	f(0, 1, 0, 1<<32)
	f(0, 2, 0, 0x800<<20)
	f(1, 2, 0x800<<20, 1<<32)
	f(1, 3, 0x556<<20, 0xaab<<20)
	f(5, 1000000, 1<<20, 1<<20) // empty: more segments than buckets
	f(999755, 1000000, 0xfff<<20, 1<<32)
	f(999999, 1000000, 1<<32, 1<<32)
}

// fnvKey builds the engine key earlier builds gave an item, independently
// of itemKey: tag, table ID, FNV-1a of the encoded partition key, the
// encoded partition and sort keys.
func fnvKey(id uint64, pk, sk ddb.Value) []byte {
	enc := appendKeyValue(nil, pk)
	k := binary.BigEndian.AppendUint64([]byte{tagItem}, id)
	k = binary.BigEndian.AppendUint32(k, fnv32a(enc))
	return appendKeyValue(append(k, enc...), sk)
}

// TestKeyHashLegacyLayout: a table in the layout of earlier builds
// (keyHashFNV in its catalog entry) is read and written in that layout,
// also after the node is reopened, while new tables get DynamoDB's order.
func TestKeyHashLegacyLayout(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServerOpts(t, Options{Dir: dir, NoSync: true})
	itemsCreateTable(t, ts, "legacy", []string{"pk:S", "sk:N"})
	tb, ok := ts.Node.cat.get("legacy")
	if !ok || tb.KeyHash != keyHashDynamo {
		t.Fatalf("new table layout %v", tb)
	}
	// Make it a table an earlier build created, before any item exists.
	if err := ts.Node.cat.modify("legacy", tb.ID, func(nt *Table) bool { nt.KeyHash = keyHashFNV; return true }); err != nil {
		t.Fatal(err)
	}
	keys := []string{"a", "b", "c", "d", "e", "f"}
	for i, k := range keys {
		itemsPut(t, ts, "legacy", avItem{"pk": avS(k), "sk": avN(strconv.Itoa(i)), "v": avS(k)})
	}
	check := func(ts *testServer) {
		t.Helper()
		if tb, _ := ts.Node.cat.get("legacy"); tb.KeyHash != keyHashFNV {
			t.Fatalf("layout %d after reopen", tb.KeyHash)
		}
		// The items sit under FNV keys, where earlier builds put them.
		for i, k := range keys {
			_, closer, err := ts.Node.db.Get(fnvKey(tb.ID, ddb.S(k), ddb.N(strconv.Itoa(i))))
			if err != nil {
				t.Fatalf("item %s not under its FNV key: %v", k, err)
			}
			closer.Close()
		}
		for i, k := range keys {
			wantItem(t, itemsGet(t, ts, "legacy", avItem{"pk": avS(k), "sk": avN(strconv.Itoa(i))}),
				avItem{"pk": avS(k), "sk": avN(strconv.Itoa(i)), "v": avS(k)})
		}
		got, _ := qsScanAll(t, ts, dynamodb.ScanInput{TableName: aws.String("legacy"), Limit: aws.Int32(2)})
		if len(got) != len(keys) {
			t.Fatalf("scan found %d items", len(got))
		}
		// Segments still partition the FNV hash space.
		n := 0
		for s := int32(0); s < 3; s++ {
			seg, _ := qsScanAll(t, ts, dynamodb.ScanInput{TableName: aws.String("legacy"), Segment: aws.Int32(s), TotalSegments: aws.Int32(3)})
			n += len(seg)
		}
		if n != len(keys) {
			t.Fatalf("segments found %d items", n)
		}
	}
	check(ts)
	if err := ts.Node.Close(); err != nil {
		t.Fatal(err)
	}
	check(newTestServerOpts(t, Options{Dir: dir, NoSync: true}))
}

// FuzzKeyHash: the DynamoDB hash of a number key depends on its value, not
// its spelling (any accepted text and its canonical form hash alike), and
// no key value makes the hash panic.
func FuzzKeyHash(f *testing.F) {
	for _, s := range []string{"1", "-1", "1.50", "1e2", "+.5", "-0.001", "9.9999999999999999999999999999999999999E+125", "1e-130", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = dynamoHash(ddb.S(s), ddb.Value{T: ddb.TypeB, B: []byte(s)})
		c, err := ddb.CanonicalNumber(s)
		if err != nil {
			return
		}
		if a, b := dynamoHash(ddb.N(s), ddb.Value{}), dynamoHash(ddb.N(c), ddb.Value{}); a != b {
			t.Fatalf("%q hashes %#x, its canonical form %q %#x", s, a, c, b)
		}
	})
}
