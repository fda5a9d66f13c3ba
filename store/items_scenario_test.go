package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestScenarios runs the request → answer scripts in testdata/scenarios,
// each against a fresh node (through the proxy under DYNAX_TEST_VIA_PROXY).
// The expected answers were taken from DynamoDB's behaviour (sources in the
// scripts' comments and docs/compatibility.md), never from dynax.
//
// Script syntax, one step per line (indented lines continue the previous):
//
//	# comment
//	> Operation {json request}
//	>? Operation {json request}  retried (up to 20 s) until the answer matches
//	< 200                       status only
//	< 200 {json}                the whole answer, compared as JSON
//	< 200 ~{json}               a subset: every member given must match
//	< 400 Type: message         __type (after '#') and message, exactly
//	< 400 Type: ~fragment       the message contains fragment
//	<! A.B C                    after the answer: members A.B and C are absent
//
// In requests, ${rep S N} stands for S repeated N times, and ${nest N}
// for a value of N nested maps around a string ({"M":{"a":…{"S":"x"}}});
// ${sp} is a space (answers are trimmed, so a trailing one needs it).
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "scenarios", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenarios")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			t.Parallel()
			steps, err := parseScenario(file)
			if err != nil {
				t.Fatal(err)
			}
			ts := newTestServer(t)
			for _, st := range steps {
				st.run(t, ts.URL)
			}
		})
	}
}

type scenarioStep struct {
	line   int
	op     string
	body   string
	status int
	want   string // the rest of the "<" line
	retry  bool   // ">?": repeat until the answer matches
	absent []string
}

var (
	repRE  = regexp.MustCompile(`\$\{rep (\S+) (\d+)\}`)
	nestRE = regexp.MustCompile(`\$\{nest (\d+)\}`)
)

func parseScenario(file string) ([]scenarioStep, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var steps []scenarioStep
	var cur *scenarioStep
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "> "), strings.HasPrefix(line, ">? "):
			retry := line[1] == '?'
			op, body, _ := strings.Cut(strings.TrimLeft(line, ">? "), " ")
			steps = append(steps, scenarioStep{line: i + 1, op: op, body: body, retry: retry})
			cur = &steps[len(steps)-1]
		case strings.HasPrefix(line, "<! "):
			if cur == nil || cur.status == 0 {
				return nil, fmt.Errorf("%s:%d: <! before the answer", file, i+1)
			}
			cur.absent = append(cur.absent, strings.Fields(line[3:])...)
		case strings.HasPrefix(line, "< "):
			if cur == nil || cur.status != 0 {
				return nil, fmt.Errorf("%s:%d: answer without a request", file, i+1)
			}
			st, rest, _ := strings.Cut(line[2:], " ")
			if cur.status, err = strconv.Atoi(st); err != nil {
				return nil, fmt.Errorf("%s:%d: %v", file, i+1, err)
			}
			cur.want = rest
		case line[0] == ' ' || line[0] == '\t':
			if cur == nil {
				return nil, fmt.Errorf("%s:%d: continuation without a step", file, i+1)
			}
			if cur.status != 0 {
				cur.want += " " + strings.TrimSpace(line)
			} else {
				cur.body += " " + strings.TrimSpace(line)
			}
		default:
			return nil, fmt.Errorf("%s:%d: cannot parse %q", file, i+1, line)
		}
	}
	for _, st := range steps {
		if st.status == 0 {
			return nil, fmt.Errorf("%s:%d: request without an answer", file, st.line)
		}
	}
	return steps, nil
}

func (st scenarioStep) run(t *testing.T, url string) {
	t.Helper()
	body := expandMacros(st.body)
	where := fmt.Sprintf("line %d (%s)", st.line, st.op)
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := rawCall(t, url, "POST", "DynamoDB_20120810."+st.op, body, nil)
		msg := st.check(r)
		if msg == "" {
			return
		}
		if !st.retry || time.Now().After(deadline) {
			t.Fatalf("%s: %s", where, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// check returns what is wrong with answer r, or "".
func (st scenarioStep) check(r rawResp) string {
	if r.status != st.status {
		return fmt.Sprintf("status %d, want %d; body %s", r.status, st.status, clip(r.body))
	}
	if len(st.absent) > 0 {
		var g any
		if err := json.Unmarshal(r.body, &g); err != nil {
			return fmt.Sprintf("answer is not JSON: %s", clip(r.body))
		}
		for _, path := range st.absent {
			v := g
			for _, name := range strings.Split(path, ".") {
				switch x := v.(type) {
				case map[string]any:
					v = x[name]
				case []any:
					i, err := strconv.Atoi(name)
					if err != nil || i >= len(x) {
						return fmt.Sprintf("%s: no element %s in %s", path, name, clip(r.body))
					}
					v = x[i]
				default:
					v = nil
				}
			}
			if v != nil {
				return fmt.Sprintf("%s is present: %s", path, clip(r.body))
			}
		}
	}
	want := expandMacros(strings.TrimSpace(st.want))
	switch {
	case want == "":
	case strings.HasPrefix(want, "{"), strings.HasPrefix(want, "~{"):
		subset := want[0] == '~'
		var w, g any
		if err := json.Unmarshal([]byte(strings.TrimPrefix(want, "~")), &w); err != nil {
			return fmt.Sprintf("bad expected JSON: %v", err)
		}
		if err := json.Unmarshal(r.body, &g); err != nil {
			return fmt.Sprintf("answer is not JSON: %s", clip(r.body))
		}
		if subset && !jsonSubset(w, g) || !subset && !reflect.DeepEqual(w, g) {
			return fmt.Sprintf("answer\n%s\nwant\n%s", clip(r.body), clip([]byte(want)))
		}
	default:
		typ, msg, _ := strings.Cut(want, ": ")
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
			Msg2    string `json:"Message"`
		}
		if err := json.Unmarshal(r.body, &e); err != nil {
			return fmt.Sprintf("answer is not JSON: %s", clip(r.body))
		}
		got := e.Message + e.Msg2
		_, gotType, _ := strings.Cut(e.Type, "#")
		ok := gotType == typ
		if frag, isFrag := strings.CutPrefix(msg, "~"); isFrag {
			ok = ok && strings.Contains(got, frag)
		} else {
			ok = ok && got == msg
		}
		if !ok {
			return fmt.Sprintf("got %s: %s\nwant %s", gotType, clip([]byte(got)), clip([]byte(want)))
		}
	}
	return ""
}

// expandMacros replaces ${rep S N}, ${nest N} and ${sp} in s.
func expandMacros(s string) string {
	s = repRE.ReplaceAllStringFunc(s, func(m string) string {
		p := repRE.FindStringSubmatch(m)
		n, _ := strconv.Atoi(p[2])
		return strings.Repeat(p[1], n)
	})
	s = nestRE.ReplaceAllStringFunc(s, func(m string) string {
		n, _ := strconv.Atoi(nestRE.FindStringSubmatch(m)[1])
		return strings.Repeat(`{"M":{"a":`, n) + `{"S":"x"}` + strings.Repeat("}}", n)
	})
	return strings.ReplaceAll(s, "${sp}", " ")
}

// clip shortens b for failure messages.
func clip(b []byte) string {
	if len(b) > 400 {
		return string(b[:200]) + fmt.Sprintf("…(%d bytes)…", len(b)-400) + string(b[len(b)-200:])
	}
	return string(b)
}

// jsonSubset reports whether every member of want is in got with a
// matching value (arrays: same length, elements matched in order).
func jsonSubset(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			gv, ok := g[k]
			if !ok || !jsonSubset(v, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !jsonSubset(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, got)
}
