package cache

import (
	"testing"

	"github.com/dynax/dynax/ddb"
)

func TestItemKey(t *testing.T) {
	// f checks whether two keys are equal.
	f := func(equal bool, t1 string, k1 ddb.Item, t2 string, k2 ddb.Item, rng string) {
		t.Helper()
		a, b := ItemKey(t1, "h", rng, k1), ItemKey(t2, "h", rng, k2)
		if (a == b) != equal {
			t.Fatalf("ItemKey %q vs %q: equal = %v, want %v", a, b, a == b, equal)
		}
		if TableOfKey(a) != t1 || TableOfKey(b) != t2 {
			t.Fatalf("TableOfKey: %q %q", TableOfKey(a), TableOfKey(b))
		}
	}
	canon := func(s string) ddb.Value {
		c, err := ddb.CanonicalNumber(s)
		if err != nil {
			t.Fatal(err)
		}
		return ddb.N(c)
	}
	S, B := ddb.S, func(s string) ddb.Value { return ddb.B([]byte(s)) }

	f(true, "t", ddb.Item{"h": S("a")}, "t", ddb.Item{"h": S("a")}, "")
	f(true, "t", ddb.Item{"h": S("a"), "r": canon("1.50")}, "t", ddb.Item{"r": canon("15e-1"), "h": S("a")}, "r")
	f(true, "t", ddb.Item{"h": S("a"), "other": S("x")}, "t", ddb.Item{"h": S("a")}, "") // non-key attributes ignored
	f(false, "t", ddb.Item{"h": S("a")}, "u", ddb.Item{"h": S("a")}, "")
	f(false, "t", ddb.Item{"h": S("1")}, "t", ddb.Item{"h": canon("1")}, "")
	f(false, "t", ddb.Item{"h": S("a")}, "t", ddb.Item{"h": B("a")}, "")
	f(false, "t", ddb.Item{"h": S("a")}, "t", ddb.Item{"h": S("")}, "")
	f(false, "t", ddb.Item{"h": S("")}, "t", ddb.Item{}, "")
	// The hash/range boundary is unambiguous.
	f(false, "t", ddb.Item{"h": S("ab"), "r": S("c")}, "t", ddb.Item{"h": S("a"), "r": S("bc")}, "r")
	f(false, "t", ddb.Item{"h": S("a"), "r": S("")}, "t", ddb.Item{"h": S("a")}, "r")
	// The table/key boundary too.
	f(false, "t", ddb.Item{"h": S("xa")}, "tx", ddb.Item{"h": S("a")}, "")
	long := string(make([]byte, 300)) // a multi-byte length prefix
	f(false, "t", ddb.Item{"h": B(long), "r": S("a")}, "t", ddb.Item{"h": B(long + "a")}, "r")
}

func TestPartitionKeys(t *testing.T) {
	f := func(hash ddb.Value, rng *ddb.Value) {
		t.Helper()
		k := ddb.Item{"h": hash}
		rn := ""
		if rng != nil {
			k["r"], rn = *rng, "r"
		}
		ik := ItemKey("tbl", "h", rn, k)
		if got, want := PartitionOfItemKey(ik), PartitionKey(hash); got != want {
			t.Fatalf("PartitionOfItemKey(%q) = %q, want %q", ik, got, want)
		}
	}
	r := ddb.S("range")
	f(ddb.S("a"), nil)
	f(ddb.S("a"), &r)
	f(ddb.N("-1.5"), &r)
	f(ddb.B([]byte{0, 1, 2}), nil)
	f(ddb.S(string(make([]byte, 1000))), &r)
	f(ddb.S(""), &r)
	if PartitionOfItemKey("no-separator") != "" || PartitionOfItemKey("t\x00") != "" {
		t.Fatal("malformed keys")
	}
}

func TestQueryKey(t *testing.T) {
	f := func(equal bool, a, b [][]byte) {
		t.Helper()
		ka, kb := QueryKey(a...), QueryKey(b...)
		if len(ka) != QueryKeySize {
			t.Fatalf("len %d", len(ka))
		}
		if (ka == kb) != equal {
			t.Fatalf("QueryKey(%q) vs QueryKey(%q): equal = %v", a, b, ka == kb)
		}
	}
	p := func(s ...string) [][]byte {
		out := make([][]byte, len(s))
		for i := range s {
			out[i] = []byte(s[i])
		}
		return out
	}
	f(true, p("t", "pk = :v"), p("t", "pk = :v"))
	f(false, p("t", "pk = :v"), p("t", "pk = :w"))
	f(false, p("ab", "c"), p("a", "bc"))
	f(false, p("a", ""), p("a"))
	f(false, p(), p(""))
}

// The raw builders produce ItemKey's layout, byte for byte.
func TestAppendItemKey(t *testing.T) {
	f := func(got []byte, want string) {
		t.Helper()
		if string(got) != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	k := AppendItemKeyTable(nil, "tbl")
	f(AppendItemKeyPart(k, ddb.TypeS, []byte("ab")), "tbl\x00\x01\x02ab")
	k = AppendItemKeyPart(AppendItemKeyTable(nil, "t"), ddb.TypeS, []byte("a"))
	f(AppendItemKeyPart(k, ddb.TypeN, []byte("-1.5")), "t\x00\x01\x01a\x02\x04-1.5")
	f(AppendItemKeyPart(AppendItemKeyTable(nil, "t"), ddb.TypeB, make([]byte, 200)), "t\x00\x03\xc8\x01"+string(make([]byte, 200)))
	it := ddb.Item{"h": {T: ddb.TypeS, S: "a"}, "r": {T: ddb.TypeN, S: "-1.5"}}
	f([]byte(ItemKey("t", "h", "r", it)), "t\x00\x01\x01a\x02\x04-1.5")
}
