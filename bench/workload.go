package bench

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// value is the payload attribute of benchmark items (100 bytes).
const value = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

func key(i int) string { return fmt.Sprintf("key-%06d", i) }

// Load creates table (partition key pk:S, on demand) if needed and writes
// records items with PutItem.
func Load(c *Client, table string, records int) error {
	create := `{"TableName":"` + table + `","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`
	status, body, err := c.Do(Request{Operation: "CreateTable", Body: []byte(create)})
	if err != nil {
		return err
	}
	if status != 200 && !contains(body, "ResourceInUseException") {
		return fmt.Errorf("CreateTable: %d %s", status, body)
	}
	for i := 0; i < records; i++ {
		status, body, err := c.Do(putRequest(table, i))
		if err != nil {
			return err
		}
		if status != 200 {
			return fmt.Errorf("PutItem: %d %s", status, body)
		}
	}
	return nil
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

func putRequest(table string, i int) Request {
	return Request{Operation: "PutItem", Body: []byte(`{"TableName":"` + table + `","Item":{"pk":{"S":"` + key(i) + `"},"v":{"S":"` + value + `"}}}`)}
}

// GetItemGen returns a generator of GetItem calls on uniformly random keys.
func GetItemGen(table string, records int) func(*rand.Rand) Request {
	bodies := make([]Request, records)
	for i := range bodies {
		bodies[i] = Request{Operation: "GetItem", Body: []byte(`{"TableName":"` + table + `","Key":{"pk":{"S":"` + key(i) + `"}}}`)}
	}
	return func(rng *rand.Rand) Request { return bodies[rng.IntN(records)] }
}

// PutItemGen returns a generator of PutItem calls on uniformly random keys.
func PutItemGen(table string, records int) func(*rand.Rand) Request {
	return func(rng *rand.Rand) Request {
		i := rng.IntN(records)
		return Request{Operation: "PutItem", Body: []byte(`{"TableName":"` + table + `","Item":{"pk":{"S":"` + key(i) + `"},"v":{"S":"` + value + `"},"n":{"N":"` + strconv.Itoa(i) + `"}}}`)}
	}
}
