package store

import (
	"testing"

	"github.com/dynax/dynax/ddb"
)

// BenchmarkPartitionHash compares the two key layouts' partition hash of
// a typical string key (run both in one go: -bench PartitionHash).
func BenchmarkPartitionHash(b *testing.B) {
	pk := ddb.S("user#0000012345")
	enc := appendKeyValue(nil, pk)
	for _, h := range []struct {
		name string
		h    keyHash
	}{{"fnv", keyHashFNV}, {"dynamo", keyHashDynamo}} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			var sink uint32
			for i := 0; i < b.N; i++ {
				sink += h.h.partition(enc, pk)
			}
			_ = sink
		})
	}
}
