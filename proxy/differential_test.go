package proxy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// A differential test of cache coherence: random and mutated writes and
// reads go through the proxy in front of dynalite and in front of the
// dynax store, and after every step each key read through the cache must
// equal what the backend returns to a ConsistentRead. The fuzz target
// runs its committed corpus in every `go test` (and explores under
// `make fuzz`); TestCacheCoherenceWalk adds a short random walk.

const diffTable = "dift"

// diffKeys is the key space: small, so that steps collide.
var diffKeys = []string{
	`{"pk":{"S":"a"},"sk":{"N":"1"}}`, `{"pk":{"S":"a"},"sk":{"N":"2"}}`, `{"pk":{"S":"b"},"sk":{"N":"1"}}`,
	`{"pk":{"S":"b"},"sk":{"N":"2"}}`, `{"pk":{"S":"c"},"sk":{"N":"1"}}`, `{"pk":{"S":"c"},"sk":{"N":"2"}}`,
}

// diffEnvs starts one proxy in front of each backend, with the table.
func diffEnvs(tb testing.TB) []*testEnv {
	var envs []*testEnv
	for _, kind := range []string{"store", "dynalite"} {
		e := backendEnv(tb, kind, envOpts{})
		e.createActive(diffTable, true)
		envs = append(envs, e)
	}
	return envs
}

func itemBody(key string, v byte) string {
	return key[:len(key)-1] + fmt.Sprintf(`,"v":{"N":"%d"},"s":{"S":"x%d"}}`, v, v%3)
}

// mutate rewrites a valid write body (whose main member is member) in one
// of the ways that readers have disagreed on. other is another key.
func mutate(body, member, other string, m, v byte) string {
	otherVal := other
	if member == "Item" {
		otherVal = itemBody(other, v+1)
	}
	end := len(body) - 1
	switch m % 8 {
	case 0: // the member repeated: the last one counts
		return body[:end] + `,"` + member + `":` + otherVal + `}`
	case 1: // another case: not the member
		return body[:end] + `,"` + strings.ToLower(member) + `":` + otherVal + `}`
	case 2: // the name escaped: still the member
		return strings.Replace(body, `"`+member+`"`, `"\u00`+fmt.Sprintf("%x", member[0])+member[1:]+`"`, 1)
	case 3: // a malformed number elsewhere: the request is not JSON
		return body[:end] + `,"Junk":01}`
	case 4: // white space everywhere
		return strings.NewReplacer(`:`, " :\n\t", `,`, " ,\r\n").Replace(body)
	case 5: // TableName repeated, the table last
		return `{"TableName":"nope",` + body[1:]
	case 6: // the member repeated, then null
		return body[:end] + `,"` + member + `":null}`
	default: // one byte changed
		b := []byte(body)
		b[int(v)%len(b)] = "\"{}[]:,0\\ u"[int(m/8)%11]
		return string(b)
	}
}

var returnValues = []string{"NONE", "ALL_NEW", "UPDATED_NEW", "ALL_OLD", "UPDATED_OLD"}

// diffStep sends one step, read from three bytes, through the proxy.
func diffStep(tb testing.TB, e *testEnv, op, k, v byte) {
	key, other := diffKeys[int(k)%len(diffKeys)], diffKeys[int(k/8)%len(diffKeys)]
	tn := `{"TableName":"` + diffTable + `",`
	var o, body string
	switch op % 10 {
	case 0:
		o, body = "PutItem", tn+`"Item":`+itemBody(key, v)+`}`
	case 1:
		o, body = "PutItem", mutate(tn+`"Item":`+itemBody(key, v)+`}`, "Item", other, k, v)
	case 2:
		o, body = "DeleteItem", tn+`"Key":`+key+`}`
		if v%2 == 1 {
			body = mutate(body, "Key", other, v/2, k)
		}
	case 3:
		upd := `"UpdateExpression":"SET v = :v ADD c :one","ExpressionAttributeValues":{":v":{"N":"` + fmt.Sprint(v) + `"},":one":{"N":"1"}}`
		if v%4 == 0 {
			upd = `"UpdateExpression":"REMOVE s"`
		}
		o, body = "UpdateItem", tn+`"Key":`+key+`,`+upd+`,"ReturnValues":"`+returnValues[int(v)%len(returnValues)]+`"}`
		if k%3 == 0 {
			body = mutate(body, "Key", other, v, k)
		}
	case 4:
		o = "BatchWriteItem"
		body = `{"RequestItems":{"` + diffTable + `":[{"PutRequest":{"Item":` + itemBody(key, v) + `}},{"DeleteRequest":{"Key":` + other + `}}]}}`
		if key == other {
			body = `{"RequestItems":{"` + diffTable + `":[{"PutRequest":{"Item":` + itemBody(key, v) + `}}]}}`
		}
		if v%3 == 0 {
			body = strings.Replace(body, `"PutRequest":{"Item":`, `"PutRequest":{"item":`+itemBody(other, v)+`,"Item":`, 1)
		}
	case 5:
		o = "TransactWriteItems"
		cond := ""
		if v%2 == 0 {
			cond = `,"ConditionExpression":"attribute_not_exists(pk)"`
		}
		body = `{"TransactItems":[{"Put":{"TableName":"` + diffTable + `","Item":` + itemBody(key, v) + cond + `}}]}`
	case 6:
		o, body = "GetItem", tn+`"Key":`+key+`,"ProjectionExpression":"v, #s","ExpressionAttributeNames":{"#s":"s"}}`
		if v%2 == 0 {
			body = mutate(body, "Key", other, v/2, k)
		}
	case 7:
		o = "BatchGetItem"
		keys := key
		if key != other {
			keys += "," + other
		}
		body = `{"RequestItems":{"` + diffTable + `":{"Keys":[` + keys + `]}}}`
		if v%2 == 0 {
			body = `{"RequestItems":{"` + diffTable + `":{"Keys":[` + keys + `],"ProjectionExpression":"pk, sk, v"}}}`
		}
	case 8:
		o, body = "PutItem", tn+`"Item":`+itemBody(key, v)+`,"ConditionExpression":"v = :x","ExpressionAttributeValues":{":x":{"N":"`+fmt.Sprint(v%4)+`"}}}`
	default:
		o, body = "GetItem", tn+`"Key":`+key+`}`
	}
	post(tb, e.proxyURL, o, body)
}

// diffCheck compares every key read through the cache with the backend.
func diffCheck(tb testing.TB, e *testEnv, what string) {
	tb.Helper()
	for _, key := range diffKeys {
		viaProxy := post(tb, e.proxyURL, "GetItem", `{"TableName":"`+diffTable+`","Key":`+key+`}`)
		truth := post(tb, e.storeURL, "GetItem", `{"TableName":"`+diffTable+`","Key":`+key+`,"ConsistentRead":true}`)
		if viaProxy.Status != 200 || truth.Status != 200 {
			tb.Fatalf("%s: GetItem %s: proxy %d %s, backend %d %s", what, key, viaProxy.Status, viaProxy.Body, truth.Status, truth.Body)
		}
		if a, b := itemOf(tb, viaProxy.Body), itemOf(tb, truth.Body); !itemsEqual(a, b) {
			tb.Fatalf("%s: key %s through the proxy (%s) is %s, the backend holds %s", what, key, viaProxy.cache(), show(a), show(b))
		}
	}
}

// diffRun runs the steps data encodes (three bytes a step) on every env.
func diffRun(tb testing.TB, envs []*testEnv, data []byte) {
	for _, e := range envs {
		for i := 0; i+2 < len(data) && i < 3*64; i += 3 {
			diffStep(tb, e, data[i], data[i+1], data[i+2])
			diffCheck(tb, e, fmt.Sprintf("%s, after step %d (% x) of % x", e.storeURL, i/3, data[i:i+3], data))
		}
	}
}

func FuzzCacheCoherence(f *testing.F) {
	for _, s := range []string{
		"\x00\x00\x01\x09\x00\x00\x01\x00\x02\x01\x08\x02",
		"\x01\x00\x07\x01\x08\x03\x01\x10\x05\x09\x00\x00\x09\x08\x00",
		"\x03\x00\x01\x03\x03\x02\x03\x09\x05\x07\x00\x01\x09\x00\x00",
		"\x04\x08\x03\x04\x00\x01\x05\x00\x02\x05\x00\x03\x07\x08\x02",
		"\x06\x00\x00\x06\x00\x04\x07\x08\x00\x02\x00\x01\x09\x00\x00",
	} {
		f.Add([]byte(s))
	}
	envs := diffEnvs(f)
	f.Fuzz(func(t *testing.T, data []byte) { diffRun(t, envs, data) })
}

// TestCacheCoherenceWalk is a bounded random walk over the same steps.
func TestCacheCoherenceWalk(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 17))
	envs := diffEnvs(t)
	deadline := time.Now().Add(3 * time.Second)
	for steps := 0; steps < 400 && time.Now().Before(deadline); steps += 8 {
		data := make([]byte, 3*8)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		diffRun(t, envs, data)
	}
}
