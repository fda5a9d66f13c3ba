package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

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
