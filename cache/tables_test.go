package cache

import (
	"fmt"
	"testing"
)

// Forgetting a deleted table frees its state, and nothing cached or
// stamped before comes back when a table of the same name appears.
func TestForgetTable(t *testing.T) {
	c, err := NewItemCache(ItemOptions{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	g := NewGenerations(ModePartition)
	for i := 0; i < 1000; i++ {
		table := fmt.Sprintf("t%d", i)
		key := table + "\x00k"
		c.Set(key, Item{JSON: []byte(`{"pk":{"S":"k"}}`)})
		f := c.BeginFill(key)
		st := g.Snapshot(Dep{Table: table, Partition: "p", HasPartition: true})
		sc := g.Snapshot(Dep{Table: table})
		c.ForgetTable(table)
		g.ForgetTable(table)
		if _, hit := c.Get(key); hit {
			t.Fatalf("%s: entry survived ForgetTable", table)
		}
		if c.Complete(f, Item{JSON: []byte(`{}`)}) {
			t.Fatalf("%s: a fill begun before ForgetTable installed", table)
		}
		if g.Current(st) || g.Current(sc) {
			t.Fatalf("%s: a stamp taken before ForgetTable is current", table)
		}
		// The name reused: a fresh start that works.
		c.Set(key, Item{Negative: true})
		if e, hit := c.Get(key); !hit || !e.Negative {
			t.Fatalf("%s: the new table's entry: %v %v", table, e, hit)
		}
		if st2 := g.Snapshot(Dep{Table: table}); !g.Current(st2) {
			t.Fatalf("%s: the new table's stamp is not current", table)
		}
		c.ForgetTable(table)
		g.ForgetTable(table)
	}
	if n := c.TableCount(); n != 0 {
		t.Fatalf("item cache holds %d tables after all were forgotten", n)
	}
	if n := g.TableCount(); n != 0 {
		t.Fatalf("generations hold %d tables after all were forgotten", n)
	}
}
