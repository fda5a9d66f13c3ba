package store

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// errorCase is one row of a testdata/errors table: a request and the exact
// status, __type and message DynamoDB answers it with.
type errorCase struct {
	file, op, body string
	line           int
	status         int
	typ, msg       string
}

// loadErrorCases reads testdata/errors/*.txt: blank-line separated cases of
// "<Operation> <body>" then "<status> <__type> <message>"; # starts a comment.
func loadErrorCases(t *testing.T) []errorCase {
	t.Helper()
	files, err := filepath.Glob("testdata/errors/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no error tables: %v", err)
	}
	var out []errorCase
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		var pending *errorCase
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
				continue
			}
			if pending == nil {
				op, body, _ := strings.Cut(line, " ")
				pending = &errorCase{file: name, line: n, op: op, body: body}
				continue
			}
			status, rest, _ := strings.Cut(line, " ")
			typ, msg, _ := strings.Cut(rest, " ")
			pending.status, err = strconv.Atoi(status)
			if err != nil {
				t.Fatalf("%s:%d: bad status %q", name, n, status)
			}
			pending.typ, pending.msg = typ, msg
			out = append(out, *pending)
			pending = nil
		}
		f.Close()
		if pending != nil {
			t.Fatalf("%s:%d: case without an answer", name, pending.line)
		}
	}
	return out
}

// TestErrorTables sends every request of the testdata/errors tables over
// HTTP (through the proxy too under DYNAX_TEST_VIA_PROXY) and compares the
// answer's status, __type and message exactly.
func TestErrorTables(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range loadErrorCases(t) {
		r := rawCall(t, ts.URL, "POST", "DynamoDB_20120810."+c.op, c.body, nil)
		var got map[string]any
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Errorf("%s:%d: %s: body %q is not JSON", c.file, c.line, c.op, r.body)
			continue
		}
		// DynamoDB spells the key "Message" for a few shapes only.
		key := "message"
		for _, capital := range []string{"#SerializationException", "#AccessDeniedException"} {
			if strings.HasSuffix(c.typ, capital) {
				key = "Message"
			}
		}
		msg, _ := got[key].(string)
		if _, ok := got[key]; !ok && c.msg != "" {
			t.Errorf("%s:%d: %s: no %q member in %s", c.file, c.line, c.op, key, r.body)
		}
		if r.status != c.status || got["__type"] != c.typ || msg != c.msg {
			t.Errorf("%s:%d: %s %s\n got %d %v %q\nwant %d %s %q", c.file, c.line, c.op, c.body, r.status, got["__type"], msg, c.status, c.typ, c.msg)
		}
	}
}
