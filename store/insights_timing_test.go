package store

import (
	"fmt"
	"testing"
)

// BenchmarkInsights measures what contributor insights adds to GetItem and
// PutItem in process: each operation with insights off and on (table
// with a sort key: PKC and SKC counted), over 1,024 keys so the hot path
// sees members and non-members of the top table.
//
//	go test -run '^$' -bench BenchmarkInsights -benchtime 200000x ./store
func BenchmarkInsights(b *testing.B) {
	for _, op := range []string{"GetItem", "PutItem"} {
		for _, on := range []bool{false, true} {
			name := op + "/off"
			if on {
				name = op + "/on"
			}
			b.Run(name, func(b *testing.B) {
				n := itemsBenchNode(b)
				if on {
					itemsServe(b, n, "UpdateContributorInsights", `{"TableName":"bench","ContributorInsightsAction":"ENABLE"}`)
				}
				bodies := make([][]byte, 1024)
				for i := range bodies {
					key := fmt.Sprintf(`"pk":{"S":"user#%06d"},"sk":{"N":"%d"}`, i, i%7)
					if op == "GetItem" {
						bodies[i] = []byte(`{"TableName":"bench","Key":{` + key + `}}`)
					} else {
						bodies[i] = []byte(`{"TableName":"bench","Item":{` + key + `,"name":{"S":"Ada Lovelace"},"age":{"N":"36"}}}`)
					}
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					itemsServe(b, n, op, string(bodies[i&1023]))
					i++
				}
			})
		}
	}
}
