package wire

import "testing"

// FuzzInflate decodes arbitrary request bodies under each coding: never a
// panic, never more than the size limit (plus the byte that tells it was
// passed), and an unknown coding always refused.
func FuzzInflate(f *testing.F) {
	f.Add(uint8(0), gz([]byte(`{"a":1}`)))
	f.Add(uint8(1), zl([]byte(`{"a":1}`)))
	f.Add(uint8(0), append(gz([]byte(`{}`)), gz([]byte(` `))...))
	f.Add(uint8(2), []byte(`{}`))
	codings := [][]byte{[]byte("gzip"), []byte("deflate"), []byte("br"), []byte("GZIP")}
	f.Fuzz(func(t *testing.T, c uint8, body []byte) {
		enc := codings[int(c)%len(codings)]
		out, err := inflate(enc, body)
		if string(enc) == "br" && err == nil {
			t.Fatal("unknown coding accepted")
		}
		if len(out) > MaxBodyBytes+1 {
			t.Fatalf("inflated to %d bytes", len(out))
		}
	})
}
