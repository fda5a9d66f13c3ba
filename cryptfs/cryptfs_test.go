package cryptfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/dynax/dynax/cryptfs"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

var key = bytes.Repeat([]byte{7}, 32)

func serve(t testing.TB, n *store.Node, op, body string) string {
	t.Helper()
	out, err := n.ServeDynamoDB(context.Background(), &wire.Request{Prefix: wire.PrefixDynamoDB, Operation: op, Body: []byte(body), Region: "us-east-1"})
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return string(out)
}

func open(t testing.TB, dir string, k []byte) (*store.Node, error) {
	t.Helper()
	efs, err := cryptfs.New(vfs.Default, k)
	if err != nil {
		t.Fatal(err)
	}
	return store.Open(store.Options{Dir: dir, FS: efs, Logger: slog.New(slog.DiscardHandler)})
}

// TestNoPlaintextOnDisk writes items with a distinctive value through an
// encrypted store (the WAL, flushed tables, the MANIFEST), then reads
// every file in the data directory raw: the value, the table name and the
// attribute names appear nowhere. Reopening with the key gives the data
// back; another key is refused.
func TestNoPlaintextOnDisk(t *testing.T) {
	dir := t.TempDir()
	n, err := open(t, dir, key)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, n, "CreateTable", `{"TableName":"secrettable","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`)
	const secret = "TOPSECRETVALUE"
	for i := 0; i < 2000; i++ {
		serve(t, n, "PutItem", fmt.Sprintf(`{"TableName":"secrettable","Item":{"pk":{"S":"k%d"},"confidentialattr":{"S":"%s-%d"}}}`, i, secret, i))
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopen (replaying the WAL, reading tables), write more, close again.
	n, err = open(t, dir, key)
	if err != nil {
		t.Fatal(err)
	}
	if got := serve(t, n, "GetItem", `{"TableName":"secrettable","Key":{"pk":{"S":"k1234"}}}`); !strings.Contains(got, secret+"-1234") {
		t.Fatalf("GetItem after reopen: %s", got)
	}
	serve(t, n, "PutItem", `{"TableName":"secrettable","Item":{"pk":{"S":"late"},"confidentialattr":{"S":"`+secret+`-late"}}}`)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		for _, s := range []string{secret, "secrettable", "confidentialattr"} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q in plaintext", p, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 3 {
		t.Fatalf("only %d files in the data directory", files)
	}
	if _, err := open(t, dir, bytes.Repeat([]byte{8}, 32)); err == nil || !errors.Is(err, cryptfs.ErrWrongKey) {
		t.Fatalf("opening with another key: %v", err)
	}
	n, err = open(t, dir, key)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if got := serve(t, n, "GetItem", `{"TableName":"secrettable","Key":{"pk":{"S":"late"}}}`); !strings.Contains(got, secret+"-late") {
		t.Fatalf("GetItem of the last write: %s", got)
	}
}

// TestRandomAccess checks reads and writes at arbitrary offsets, as Pebble
// does them, against a plaintext model.
func TestRandomAccess(t *testing.T) {
	efs, err := cryptfs.New(vfs.NewMem(), key)
	if err != nil {
		t.Fatal(err)
	}
	f, err := efs.Create("x", vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	model := make([]byte, 0, 5000)
	for i := 0; i < 300; i++ {
		chunk := bytes.Repeat([]byte{byte(i)}, 1+i%37)
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
		model = append(model, chunk...)
	}
	patch := []byte("patched in the middle")
	if _, err := f.WriteAt(patch, 1001); err != nil {
		t.Fatal(err)
	}
	copy(model[1001:], patch)
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r, err := efs.Open("x")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	st, _ := r.Stat()
	if st.Size() != int64(len(model)) {
		t.Fatalf("size %d, want %d", st.Size(), len(model))
	}
	for _, off := range []int{0, 1, 15, 16, 17, 999, 1001, 1010, len(model) - 5} {
		buf := make([]byte, 5)
		if _, err := r.ReadAt(buf, int64(off)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, model[off:off+5]) {
			t.Errorf("ReadAt %d: %v, want %v", off, buf, model[off:off+5])
		}
	}
	all := make([]byte, len(model))
	if _, err := r.Read(all); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(all, model) {
		t.Error("sequential read differs")
	}
}

// BenchmarkPutGet compares durable PutItem and cold-cache GetItem with and
// without encryption: 20,000 items are loaded, the node is reopened (its
// WAL flushed to tables) with a 1 MiB block cache, and GetItem reads
// random keys from the tables. Interleave the variants with
// -test.bench='PutGet/encrypted=false' and …=true in turn.
func BenchmarkPutGet(b *testing.B) {
	for _, enc := range []bool{false, true} {
		b.Run(fmt.Sprintf("encrypted=%v", enc), func(b *testing.B) {
			var fsys vfs.FS = vfs.Default
			if enc {
				fsys, _ = cryptfs.New(vfs.Default, key)
			}
			dir := b.TempDir()
			opts := store.Options{Dir: dir, FS: fsys, CacheBytes: 1 << 20, Logger: slog.New(slog.DiscardHandler)}
			load := opts
			load.NoSync = true
			n, err := store.Open(load)
			if err != nil {
				b.Fatal(err)
			}
			serve(b, n, "CreateTable", `{"TableName":"bench","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`)
			for i := 0; i < 20000; i++ {
				serve(b, n, "PutItem", fmt.Sprintf(`{"TableName":"bench","Item":{"pk":{"S":"k%d"},"v":{"S":"%0200d"}}}`, i, i))
			}
			n.Close()
			if n, err = store.Open(opts); err != nil {
				b.Fatal(err)
			}
			defer n.Close()
			b.Run("get-cold", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					serve(b, n, "GetItem", fmt.Sprintf(`{"TableName":"bench","Key":{"pk":{"S":"k%d"}}}`, (i*7919)%20000))
				}
			})
			b.Run("put", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					serve(b, n, "PutItem", fmt.Sprintf(`{"TableName":"bench","Item":{"pk":{"S":"k%d"},"v":{"S":"%0200d"}}}`, i%20000, i))
				}
			})
		})
	}
}
