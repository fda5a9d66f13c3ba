package store

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// itemLine returns the item of table with partition key pk as one line
// ("name=TYPE:value …", names sorted), or "" when there is none.
func itemLine(t testing.TB, n *Node, table, pk string) string {
	t.Helper()
	var out struct{ Item map[string]map[string]string }
	body := `{"TableName":"` + table + `","Key":{"pk":{"S":"` + pk + `"}},"ConsistentRead":true}`
	if err := json.Unmarshal([]byte(mustCall(t, n, "GetItem", body)), &out); err != nil {
		t.Fatal(err)
	}
	var attrs []string
	for name, v := range out.Item {
		for typ, val := range v {
			attrs = append(attrs, name+"="+typ+":"+val)
		}
	}
	slices.Sort(attrs)
	return strings.Join(attrs, " ")
}

// durState is what a crash image must hold: the tables and their items
// (pk → itemLine), and for each table the names of its global indexes.
type durState struct {
	items   map[string]map[string]string
	indexes map[string][]string
}

func (s durState) clone() durState {
	c := durState{items: map[string]map[string]string{}, indexes: map[string][]string{}}
	for tb, m := range s.items {
		c.items[tb] = map[string]string{}
		for k, v := range m {
			c.items[tb][k] = v
		}
	}
	for tb, ix := range s.indexes {
		c.indexes[tb] = slices.Clone(ix)
	}
	return c
}

// TestAcknowledgedWritesSurviveLosingUnsyncedData: after each acknowledged
// write, a crash image of Pebble's crashable file system keeps exactly
// what was synced (the page cache, which survives kill -9, is gone). On
// every image the node must open with every write acknowledged before it:
// CreateTable, PutItem, BatchWriteItem, TransactWriteItems, UpdateItem,
// DeleteItem, PartiQL INSERT, UpdateTable and DeleteTable. With
// Options.NoSync the test fails (TestAcknowledgedWritesNeedSync).
func TestAcknowledgedWritesSurviveLosingUnsyncedData(t *testing.T) {
	failures := runDurability(t, false)
	for _, f := range failures {
		t.Error(f)
	}
}

// TestAcknowledgedWritesNeedSync shows that the durability test can fail:
// with syncing turned off, the crash images lose acknowledged writes.
func TestAcknowledgedWritesNeedSync(t *testing.T) {
	if failures := runDurability(t, true); len(failures) == 0 {
		t.Fatal("no acknowledged write was lost without sync: the durability test cannot see a missing fsync")
	}
}

// runDurability runs the writes, crash images and checks, and returns the
// lost writes.
func runDurability(t *testing.T, noSync bool) []string {
	mem := vfs.NewCrashableMem()
	n, err := Open(Options{Dir: "/db", FS: mem, NoSync: noSync})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	st := durState{items: map[string]map[string]string{}, indexes: map[string][]string{}}
	type image struct {
		after string
		fs    *vfs.MemFS
		want  durState
	}
	var images []image
	step := func(what, op, body string) {
		t.Helper()
		mustCall(t, n, op, body)
		images = append(images, image{what, mem.CrashClone(vfs.CrashCloneCfg{}), st.clone()})
	}
	put := func(table, pk, line string) { st.items[table][pk] = line }

	st.items["dur"] = map[string]string{}
	step("CreateTable", "CreateTable", createBody("dur"))
	put("dur", "a", "pk=S:a v=N:1")
	step("PutItem", "PutItem", `{"TableName":"dur","Item":{"pk":{"S":"a"},"v":{"N":"1"}}}`)
	put("dur", "b", "pk=S:b v=S:x")
	put("dur", "c", "g=S:k pk=S:c")
	step("BatchWriteItem", "BatchWriteItem", `{"RequestItems":{"dur":[{"PutRequest":{"Item":{"pk":{"S":"b"},"v":{"S":"x"}}}},`+
		`{"PutRequest":{"Item":{"pk":{"S":"c"},"g":{"S":"k"}}}}]}}`)
	put("dur", "d", "pk=S:d v=N:4")
	put("dur", "a", "pk=S:a v=N:2")
	step("TransactWriteItems", "TransactWriteItems", `{"TransactItems":[{"Put":{"TableName":"dur","Item":{"pk":{"S":"d"},"v":{"N":"4"}}}},`+
		`{"Update":{"TableName":"dur","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET v = v + :one","ExpressionAttributeValues":{":one":{"N":"1"}}}}]}`)
	put("dur", "b", "g=S:k pk=S:b v=S:x")
	step("UpdateItem", "UpdateItem", `{"TableName":"dur","Key":{"pk":{"S":"b"}},"UpdateExpression":"SET g = :g","ExpressionAttributeValues":{":g":{"S":"k"}}}`)
	delete(st.items["dur"], "d")
	step("DeleteItem", "DeleteItem", `{"TableName":"dur","Key":{"pk":{"S":"d"}}}`)
	put("dur", "e", "pk=S:e v=N:5")
	step("ExecuteStatement INSERT", "ExecuteStatement", `{"Statement":"INSERT INTO \"dur\" VALUE {'pk':'e','v':5}"}`)
	st.indexes["dur"] = []string{"byG"}
	step("UpdateTable (add index)", "UpdateTable", `{"TableName":"dur","AttributeDefinitions":[{"AttributeName":"g","AttributeType":"S"}],`+
		`"GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"byG","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}}]}`)
	st.items["gone"] = map[string]string{}
	step("CreateTable gone", "CreateTable", createBody("gone"))
	delete(st.items, "gone")
	step("DeleteTable", "DeleteTable", `{"TableName":"gone"}`)

	var lost []string
	for _, img := range images {
		m, err := Open(Options{Dir: "/db", FS: img.fs})
		if err != nil {
			t.Fatalf("open the image after %s: %v", img.after, err)
		}
		lost = append(lost, checkDurState(t, m, img.after, img.want)...)
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return lost
}

// checkDurState returns how the node's contents differ from want.
func checkDurState(t *testing.T, n *Node, after string, want durState) []string {
	t.Helper()
	var lost []string
	names := n.cat.names()
	for table, items := range want.items {
		if !slices.Contains(names, table) {
			lost = append(lost, "after "+after+": table "+table+" is missing")
			continue
		}
		for _, pk := range []string{"a", "b", "c", "d", "e"} {
			if got := itemLine(t, n, table, pk); got != items[pk] {
				lost = append(lost, "after "+after+": item "+table+"/"+pk+" is "+strconv.Quote(got)+", want "+strconv.Quote(items[pk]))
			}
		}
		var ix []string
		if tb, ok := n.cat.get(table); ok {
			for _, g := range tb.Desc.GlobalIndexes {
				ix = append(ix, g.IndexName)
			}
		}
		if !slices.Equal(ix, want.indexes[table]) {
			lost = append(lost, "after "+after+": indexes of "+table+" are "+strings.Join(ix, ",")+", want "+strings.Join(want.indexes[table], ","))
		}
	}
	for _, name := range names {
		if _, ok := want.items[name]; !ok {
			lost = append(lost, "after "+after+": deleted table "+name+" is back")
		}
	}
	if _, ok := n.cat.get("dur"); ok && len(want.indexes["dur"]) > 0 {
		waitIndexActive(t, n, "dur")
		var lines []string
		for _, pk := range []string{"b", "c"} {
			lines = append(lines, want.items["dur"][pk])
		}
		if got := scanLines(t, n, "dur", "byG"); !slices.Equal(got, lines) {
			lost = append(lost, "after "+after+": index byG holds "+strings.Join(got, "; "))
		}
	}
	return lost
}
