package store

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Helpers shared by the item tests.

type av = types.AttributeValue

func avS(s string) av        { return &types.AttributeValueMemberS{Value: s} }
func avN(s string) av        { return &types.AttributeValueMemberN{Value: s} }
func avB(b string) av        { return &types.AttributeValueMemberB{Value: []byte(b)} }
func avBool(b bool) av       { return &types.AttributeValueMemberBOOL{Value: b} }
func avNull() av             { return &types.AttributeValueMemberNULL{Value: true} }
func avL(vs ...av) av        { return &types.AttributeValueMemberL{Value: append([]av{}, vs...)} }
func avM(m map[string]av) av { return &types.AttributeValueMemberM{Value: m} }
func avSS(ss ...string) av   { return &types.AttributeValueMemberSS{Value: ss} }
func avNS(ss ...string) av   { return &types.AttributeValueMemberNS{Value: ss} }
func avBS(bs ...string) av {
	out := make([][]byte, len(bs))
	for i, b := range bs {
		out[i] = []byte(b)
	}
	return &types.AttributeValueMemberBS{Value: out}
}

type avItem = map[string]av

// avText renders a value deterministically (sets sorted, maps by key) for
// comparisons.
func avText(v av) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case *types.AttributeValueMemberS:
		return fmt.Sprintf("S:%q", x.Value)
	case *types.AttributeValueMemberN:
		return "N:" + x.Value
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("B:%q", x.Value)
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprintf("BOOL:%v", x.Value)
	case *types.AttributeValueMemberNULL:
		return fmt.Sprintf("NULL:%v", x.Value)
	case *types.AttributeValueMemberL:
		parts := make([]string, len(x.Value))
		for i, e := range x.Value {
			parts[i] = avText(e)
		}
		return "L[" + strings.Join(parts, ",") + "]"
	case *types.AttributeValueMemberM:
		return "M" + itemText(x.Value)
	case *types.AttributeValueMemberSS:
		s := slices.Clone(x.Value)
		sort.Strings(s)
		return fmt.Sprintf("SS%q", s)
	case *types.AttributeValueMemberNS:
		s := slices.Clone(x.Value)
		sort.Strings(s)
		return fmt.Sprintf("NS%v", s)
	case *types.AttributeValueMemberBS:
		s := make([]string, len(x.Value))
		for i, b := range x.Value {
			s[i] = string(b)
		}
		sort.Strings(s)
		return fmt.Sprintf("BS%q", s)
	}
	return fmt.Sprintf("?%T", v)
}

func itemText(it avItem) string {
	if it == nil {
		return "<nil>"
	}
	keys := make([]string, 0, len(it))
	for k := range it {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + avText(it[k])
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func wantItem(t testing.TB, got, want avItem) {
	t.Helper()
	if g, w := itemText(got), itemText(want); g != w {
		t.Fatalf("item mismatch\n got %s\nwant %s", g, w)
	}
}

// itemsCreateTable creates a table through the SDK. keys are "name:TYPE",
// the partition key first. Extra attribute definitions and indexes can be
// set with mod.
func itemsCreateTable(t testing.TB, ts *testServer, name string, keys []string, mod ...func(*dynamodb.CreateTableInput)) {
	t.Helper()
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest}
	for i, k := range keys {
		an, at, _ := strings.Cut(k, ":")
		kt := types.KeyTypeHash
		if i == 1 {
			kt = types.KeyTypeRange
		}
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(an), KeyType: kt})
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(an), AttributeType: types.ScalarAttributeType(at)})
	}
	for _, m := range mod {
		m(in)
	}
	if _, err := ts.Client.CreateTable(bg, in); err != nil {
		t.Fatalf("CreateTable %s: %v", name, err)
	}
}

// itemsServer starts a node with the tables most tests use:
// "hash" (pk S), "range" (pk S, sk N) and "bin" (pk B).
func itemsServer(t testing.TB) *testServer {
	t.Helper()
	ts := newTestServer(t)
	itemsCreateTable(t, ts, "hash", []string{"pk:S"})
	itemsCreateTable(t, ts, "range", []string{"pk:S", "sk:N"})
	itemsCreateTable(t, ts, "bin", []string{"pk:B"})
	return ts
}

func itemsPut(t testing.TB, ts *testServer, table string, it avItem) {
	t.Helper()
	if _, err := ts.Client.PutItem(bg, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
}

func itemsGet(t testing.TB, ts *testServer, table string, key avItem) avItem {
	t.Helper()
	out, err := ts.Client.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	return out.Item
}

// itemsRaw posts a raw JSON body and returns the status and body.
func itemsRaw(t testing.TB, ts *testServer, op, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", ts.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestItemsRoundTripTypes(t *testing.T) {
	ts := itemsServer(t)
	nested := avM(map[string]av{
		"s":     avS("x"),
		"empty": avS(""),
		"l":     avL(avN("1"), avS("two"), avL(avBool(false)), avM(map[string]av{"deep": avNull()})),
		"m":     avM(map[string]av{}),
		"ss":    avSS("a", "b"),
		"eb":    avB(""),
	})
	cases := []struct {
		name string
		in   avItem
		want avItem // nil: same as in
	}{
		{"S", avItem{"a": avS("hello, ünïcødé \u2028 \"quoted\" \\ \n")}, nil},
		{"emptyS", avItem{"a": avS("")}, nil},
		{"N", avItem{"a": avN("42"), "b": avN("-3.25"), "c": avN("0")}, nil},
		{"Ncanonical", avItem{"a": avN("1.50"), "b": avN("0001"), "c": avN("-0.0"), "d": avN("1e3"), "e": avN("1.2E-3")},
			avItem{"a": avN("1.5"), "b": avN("1"), "c": avN("0"), "d": avN("1000"), "e": avN("0.0012")}},
		{"Nbig", avItem{"a": avN("12345678901234567890123456789012345678"), "b": avN("9.9999999999999999999999999999999999999E+125"), "c": avN("1E-130")},
			avItem{"a": avN("12345678901234567890123456789012345678"), "b": avN("999999999999999999999999999999999999990000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"), "c": avN("0." + strings.Repeat("0", 129) + "1")}},
		{"B", avItem{"a": avB("\x00\x01binary\xff")}, nil},
		{"emptyB", avItem{"a": avB("")}, nil},
		{"BOOL", avItem{"t": avBool(true), "f": avBool(false)}, nil},
		{"NULL", avItem{"a": avNull()}, nil},
		{"L", avItem{"a": avL(avS("x"), avN("1"), avNull()), "e": avL()}, nil},
		{"M", avItem{"a": nested}, nil},
		{"SS", avItem{"a": avSS("x", "y", "")}, nil},
		{"NS", avItem{"a": avNS("1", "2.50", "-3")}, avItem{"a": avNS("1", "2.5", "-3")}},
		{"BS", avItem{"a": avBS("x", "\x00y")}, nil},
		{"all", avItem{"s": avS("s"), "n": avN("1"), "b": avB("b"), "bool": avBool(true), "null": avNull(),
			"l": avL(nested), "m": nested, "ss": avSS("s"), "ns": avNS("1"), "bs": avBS("b")}, nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pk := fmt.Sprintf("item%d", i)
			in := avItem{"pk": avS(pk)}
			for k, v := range c.in {
				in[k] = v
			}
			want := c.want
			if want == nil {
				want = c.in
			}
			want = func() avItem {
				w := avItem{"pk": avS(pk)}
				for k, v := range want {
					w[k] = v
				}
				return w
			}()
			itemsPut(t, ts, "hash", in)
			wantItem(t, itemsGet(t, ts, "hash", avItem{"pk": avS(pk)}), want)
			// Eventually consistent reads see the same item.
			out, err := ts.Client.GetItem(bg, &dynamodb.GetItemInput{TableName: aws.String("hash"), Key: avItem{"pk": avS(pk)}})
			if err != nil {
				t.Fatal(err)
			}
			wantItem(t, out.Item, want)
		})
	}
}

func TestItemsKeysOfEveryType(t *testing.T) {
	ts := itemsServer(t)
	itemsCreateTable(t, ts, "nkey", []string{"id:N", "sk:B"})
	itemsPut(t, ts, "range", avItem{"pk": avS("p"), "sk": avN("1.50"), "v": avS("a")})
	// The sort key is canonical: 1.5 and 1.50 are the same item.
	wantItem(t, itemsGet(t, ts, "range", avItem{"pk": avS("p"), "sk": avN("1.5")}), avItem{"pk": avS("p"), "sk": avN("1.5"), "v": avS("a")})
	itemsPut(t, ts, "range", avItem{"pk": avS("p"), "sk": avN("15e-1"), "v": avS("b")})
	wantItem(t, itemsGet(t, ts, "range", avItem{"pk": avS("p"), "sk": avN("1.500")}), avItem{"pk": avS("p"), "sk": avN("1.5"), "v": avS("b")})
	// Different sort keys are different items.
	itemsPut(t, ts, "range", avItem{"pk": avS("p"), "sk": avN("-1"), "v": avS("c")})
	wantItem(t, itemsGet(t, ts, "range", avItem{"pk": avS("p"), "sk": avN("-1")}), avItem{"pk": avS("p"), "sk": avN("-1"), "v": avS("c")})
	wantItem(t, itemsGet(t, ts, "range", avItem{"pk": avS("p"), "sk": avN("1.5")}), avItem{"pk": avS("p"), "sk": avN("1.5"), "v": avS("b")})
	// Number partition keys and binary sort keys.
	itemsPut(t, ts, "nkey", avItem{"id": avN("10.0"), "sk": avB("\x00\xff"), "v": avBool(true)})
	wantItem(t, itemsGet(t, ts, "nkey", avItem{"id": avN("1e1"), "sk": avB("\x00\xff")}), avItem{"id": avN("10"), "sk": avB("\x00\xff"), "v": avBool(true)})
	if got := itemsGet(t, ts, "nkey", avItem{"id": avN("10"), "sk": avB("\x00")}); got != nil {
		t.Fatalf("want no item, got %s", itemText(got))
	}
	// Binary partition keys.
	itemsPut(t, ts, "bin", avItem{"pk": avB("\x00\x00"), "v": avN("1")})
	itemsPut(t, ts, "bin", avItem{"pk": avB("\x00"), "v": avN("2")})
	wantItem(t, itemsGet(t, ts, "bin", avItem{"pk": avB("\x00\x00")}), avItem{"pk": avB("\x00\x00"), "v": avN("1")})
	wantItem(t, itemsGet(t, ts, "bin", avItem{"pk": avB("\x00")}), avItem{"pk": avB("\x00"), "v": avN("2")})
}
