package proxy

import (
	"testing"

	"github.com/dynax/dynax/cache"
	"github.com/dynax/dynax/ddb"
)

// FuzzRawItemKey checks the hit path's key, built from the raw Key JSON,
// against the slow path (decode, then the cache's canonical builder):
//
//   - a key the fast path accepts, the decoder accepts, with the same key
//     (any difference would make a hit miss, or serve another item);
//   - a key the slow path accepts, the fast path accepts too — except for
//     the spellings it leaves to the slow path on purpose (fastDeclines),
//     so that over-rejection, which costs a decode per request, is seen.
func FuzzRawItemKey(f *testing.F) {
	for _, s := range []string{
		`{"pk":{"S":"a"},"sk":{"N":"1"}}`, `{"sk":{"N":"1.50"},"pk":{"S":"a"}}`, `{"pk":{"S":"a\u0000b"},"sk":{"N":"-0"}}`,
		`{"pk":{"S":"a"},"sk":{"N":"1e3"}}`, `{"pk":{"S":""},"sk":{"N":"1"}}`, `{"pk":{"N":"1"},"sk":{"N":"1"}}`,
		`{"pk":{"S":"\u00e9"},"sk":{"N":"00012"}}`, `{"pk":{"S":"a"}}`, `{"pk":{"S":"a"},"sk":{"N":"1"},"x":{"S":"y"}}`,
		`{"pk":{"S":"a","N":null},"sk":{"N":"1"}}`, `{"\u0070k":{"S":"a"},"sk":{"N":"1"}}`, `{"pk":{"S":"a"},"sk":{"N":"1"},"z":null}`,
	} {
		f.Add([]byte(s))
	}
	s := &schema{table: "t", hash: "pk", hashT: ddb.TypeS, rng: "sk", rngT: ddb.TypeN}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fast, fok := appendItemKey(nil, s, raw)
		slow, sok := slowItemKey(s, raw)
		switch {
		case fok && !sok:
			t.Fatalf("the fast path took a Key the decoder rejects: %q", raw)
		case fok && string(fast) != slow:
			t.Fatalf("raw key %q != canonical key %q for %q", fast, slow, raw)
		case sok && !fok && !fastDeclines(raw):
			t.Fatalf("the fast path rejects a valid Key: %q", raw)
		}
		if sok {
			it, _ := ddb.DecodeItem(raw)
			if want := cache.ItemKey("t", "pk", "sk", it); slow != want {
				t.Fatalf("slow key %q != canonical key %q for %q", slow, want, raw)
			}
		}
	})
}

// fastDeclines reports whether a valid Key uses a spelling the fast path
// leaves to the slow path, each rare in practice:
//
//   - a member name written with escapes ("\u0070k");
//   - a null member, at the top or inside an AttributeValue ({"S":"a","N":null}),
//     or an AttributeValue member the decoder ignores ({"S":"a","X":1});
//   - an N or B value written with escapes (S values with escapes are
//     taken).
func fastDeclines(raw []byte) bool {
	it := ddb.NewObjIter(raw)
	for it.Next() {
		if _, plain := ddb.PlainString(it.Key); !plain || ddb.IsNull(it.Val) {
			return true
		}
		av := ddb.NewObjIter(it.Val)
		n := 0
		for av.Next() {
			n++
			if ddb.IsNull(av.Val) {
				return true
			}
			if _, plain := ddb.PlainString(av.Val); !plain && !ddb.KeyIs(av.Key, "S") {
				return true
			}
			if !ddb.KeyIs(av.Key, "S") && !ddb.KeyIs(av.Key, "N") && !ddb.KeyIs(av.Key, "B") {
				return true
			}
		}
		if n != 1 {
			return true
		}
	}
	return false
}
