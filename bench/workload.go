package bench

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// value is the payload attribute of benchmark items (100 bytes).
const value = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

func key(i int) string { return fmt.Sprintf("key-%06d", i) }

// Ops lists the workloads dynax bench knows.
var Ops = []string{"get", "put", "query", "scan", "txn2", "txn10"}

// Setup creates the tables the workload op needs and loads records items.
func Setup(c *Client, table, op string, records int) error {
	switch op {
	case "query":
		if err := createTable(c, table+"_q", true); err != nil {
			return err
		}
		return loadItems(c, table+"_q", QueryItems, func(i int) string {
			return `{"pk":{"S":"p0"},"sk":{"N":"` + strconv.Itoa(i) + `"},"v":{"S":"` + value[:20] + `"}}`
		})
	case "txn2", "txn10":
		return createTable(c, table+"_t", false)
	}
	if err := createTable(c, table, false); err != nil {
		return err
	}
	return loadItems(c, table, records, func(i int) string {
		return `{"pk":{"S":"` + key(i) + `"},"v":{"S":"` + value + `"}}`
	})
}

// loadItems writes n items with BatchWriteItem of 25.
func loadItems(c *Client, table string, n int, item func(i int) string) error {
	for from := 0; from < n; from += 25 {
		var b strings.Builder
		b.WriteString(`{"RequestItems":{"` + table + `":[`)
		for i := from; i < min(from+25, n); i++ {
			if i > from {
				b.WriteByte(',')
			}
			b.WriteString(`{"PutRequest":{"Item":` + item(i) + `}}`)
		}
		b.WriteString(`]}}`)
		if err := batchWrite(c, []byte(b.String())); err != nil {
			return err
		}
	}
	return nil
}

func createTable(c *Client, table string, withSort bool) error {
	ks := `[{"AttributeName":"pk","KeyType":"HASH"}]`
	ad := `[{"AttributeName":"pk","AttributeType":"S"}]`
	if withSort {
		ks = `[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}]`
		ad = `[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]`
	}
	create := `{"TableName":"` + table + `","BillingMode":"PAY_PER_REQUEST","KeySchema":` + ks + `,"AttributeDefinitions":` + ad + `}`
	status, body, err := c.Do(Request{Operation: "CreateTable", Body: []byte(create)})
	if err != nil {
		return err
	}
	if status != 200 && !strings.Contains(string(body), "ResourceInUseException") {
		return fmt.Errorf("CreateTable: %d %s", status, body)
	}
	// Wait for ACTIVE: some endpoints create tables asynchronously.
	for i := 0; i < 600; i++ {
		status, body, err := c.Do(Request{Operation: "DescribeTable", Body: []byte(`{"TableName":"` + table + `"}`)})
		if err != nil {
			return err
		}
		if status == 200 && strings.Contains(string(body), `"TableStatus":"ACTIVE"`) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("table %s did not become ACTIVE", table)
}

// QueryItems is the number of items the query workload reads per Query.
const QueryItems = 100

// NewOp returns the operation of workload op on table with records items.
func NewOp(op, table string, records int) (Op, error) {
	switch op {
	case "get":
		bodies := make([]Request, records)
		for i := range bodies {
			bodies[i] = Request{Operation: "GetItem", Body: []byte(`{"TableName":"` + table + `","Key":{"pk":{"S":"` + key(i) + `"}}}`)}
		}
		return Single(func(rng *rand.Rand) Request { return bodies[rng.IntN(records)] }), nil
	case "put":
		return Single(func(rng *rand.Rand) Request {
			i := rng.IntN(records)
			return Request{Operation: "PutItem", Body: []byte(`{"TableName":"` + table + `","Item":{"pk":{"S":"` + key(i) + `"},"v":{"S":"` + value + `"},"n":{"N":"` + strconv.Itoa(i) + `"}}}`)}
		}), nil
	case "query":
		q := Request{Operation: "Query", Body: []byte(`{"TableName":"` + table + `_q","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p0"}}}`)}
		return Single(func(*rand.Rand) Request { return q }), nil
	case "scan":
		return scanAll(table, records), nil
	case "txn2", "txn10":
		n := 2
		if op == "txn10" {
			n = 10
		}
		return Single(func(rng *rand.Rand) Request { return txnRequest(table+"_t", n, rng) }), nil
	}
	return nil, fmt.Errorf("bench: unknown workload %q (want one of %v)", op, Ops)
}

// scanAll scans the whole table, following LastEvaluatedKey, and checks
// that it saw every item.
func scanAll(table string, records int) Op {
	return func(s *Session, rng *rand.Rand) error {
		start := ""
		seen := 0
		for {
			body := `{"TableName":"` + table + `"` + start + `}`
			status, out, err := s.Call(Request{Operation: "Scan", Body: []byte(body)})
			if err != nil {
				return err
			}
			if status != 200 {
				return apiError(status, out)
			}
			var page struct {
				Count            int
				LastEvaluatedKey json.RawMessage
			}
			if err := json.Unmarshal(out, &page); err != nil {
				return err
			}
			seen += page.Count
			if len(page.LastEvaluatedKey) == 0 {
				break
			}
			start = `,"ExclusiveStartKey":` + string(page.LastEvaluatedKey)
		}
		if seen < records {
			return &checkError{kind: "incomplete_scan", msg: fmt.Sprintf("scan saw %d items, want %d", seen, records)}
		}
		return nil
	}
}

// txnRequest builds a TransactWriteItems of n Puts on random distinct keys.
func txnRequest(table string, n int, rng *rand.Rand) Request {
	var b strings.Builder
	b.WriteString(`{"TransactItems":[`)
	base := rng.IntN(1 << 30)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"Put":{"TableName":"` + table + `","Item":{"pk":{"S":"t` + strconv.Itoa(base) + `-` + strconv.Itoa(i) + `"},"v":{"S":"` + value[:20] + `"}}}}`)
	}
	b.WriteString(`]}`)
	return Request{Operation: "TransactWriteItems", Body: []byte(b.String())}
}

// MicroWorker returns worker w of micro-benchmark op, labelled name.
func MicroWorker(name string, op Op, seed uint64, w int) Worker {
	rng := rand.New(rand.NewPCG(seed, uint64(w)+1))
	return WorkerFunc(func(s *Session) (string, error) { return name, op(s, rng) })
}
