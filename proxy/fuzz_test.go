package proxy

import (
	"encoding/json"
	"testing"

	"github.com/dynax/dynax/cache"
	"github.com/dynax/dynax/ddb"
)

// FuzzObjIter checks the hand-written JSON scanner of the hit path: it never
// panics, and whatever it walks to the end without error is valid JSON
// (anything else goes to the backend unchanged, so leniency here would
// answer requests the backend would reject).
func FuzzObjIter(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, `{"TableName":"t","Key":{"pk":{"S":"x"}}}`, `{"a":[1,{"b":null}],"c":"\u00e9\n"}`,
		`{"a":1,}`, `{"a" 1}`, `{"a":01}`, `{"a":"\x"}`, ` { "a" : true } `, `{"a":1}x`, `[1]`, `{"a":-0.5e+3}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		it := ddb.NewObjIter(b)
		for it.Next() {
		}
		if !it.Err && !json.Valid(b) {
			t.Fatalf("scanner accepted invalid JSON %q", b)
		}
	})
}

// FuzzRawItemKey checks that the hit path's key, built from the raw Key
// JSON, is the key the cache's canonical builder gives for the decoded
// Key: any difference would make a hit miss, or serve another item.
func FuzzRawItemKey(f *testing.F) {
	for _, s := range []string{
		`{"pk":{"S":"a"},"sk":{"N":"1"}}`, `{"sk":{"N":"1.50"},"pk":{"S":"a"}}`, `{"pk":{"S":"a\u0000b"},"sk":{"N":"-0"}}`,
		`{"pk":{"S":"a"},"sk":{"N":"1e3"}}`, `{"pk":{"S":""},"sk":{"N":"1"}}`, `{"pk":{"N":"1"},"sk":{"N":"1"}}`,
		`{"pk":{"S":"\u00e9"},"sk":{"N":"00012"}}`, `{"pk":{"S":"a"}}`, `{"pk":{"S":"a"},"sk":{"N":"1"},"x":{"S":"y"}}`,
	} {
		f.Add([]byte(s))
	}
	s := &schema{table: "t", hash: "pk", hashT: ddb.TypeS, rng: "sk", rngT: ddb.TypeN}
	f.Fuzz(func(t *testing.T, raw []byte) {
		key, ok := rawItemKey(s, raw)
		if !ok {
			return
		}
		it, err := ddb.DecodeItem(raw)
		if err != nil || ddb.ItemProblem(it) != "" {
			t.Fatalf("key built from a Key the decoder rejects: %q (%v)", raw, err)
		}
		if want := cache.ItemKey("t", "pk", "sk", it); key != want {
			t.Fatalf("raw key %q != canonical key %q for %q", key, want, raw)
		}
	})
}
