package model

import (
	"sort"
	"testing"

	"github.com/dynax/dynax/ddb"
)

// FuzzCheck runs the binder and the constraint phase over arbitrary bodies
// for every operation of the model: no panic, and every answer is a 400
// SerializationException or ValidationException, the same each time.
func FuzzCheck(f *testing.F) {
	ops := make([]string, 0, len(inputs))
	for op := range inputs {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, b := range []string{
		`{"TableName":"t","Key":{"a":{"S":"x"}}}`,
		`{"RequestItems":{"t":{"Keys":[{"a":{"N":"1"}}]}}}`,
		`{"TransactItems":[{"Put":{"TableName":"t","Item":{"a":{"L":[{"M":{"b":{"SS":["x"]}}}]}}}}]}`,
		`{"TableName":"","Limit":0,"Select":"X","ExclusiveStartKey":[]}`,
		`null`, `[]`, `{"KeySchema":[1]}`,
	} {
		f.Add(uint8(0), []byte(b))
	}
	f.Fuzz(func(t *testing.T, opIndex uint8, body []byte) {
		op := ops[int(opIndex)%len(ops)]
		// The one-pass binder agrees with the plain recursive one.
		if b := trim(body); len(b) > 0 && b[0] == '{' && ddb.SkipValue(b, 0) == len(b) {
			_, werr := walk(Input(op), b, 0, field)
			rerr := bind(Input(op), b, field)
			if (werr == nil) != (rerr == nil) || (werr != nil && werr.Error() != rerr.Error()) {
				t.Fatalf("%s %q: walk %v, bind %v", op, body, werr, rerr)
			}
		}
		err := Check(op, body)
		if err == nil {
			return
		}
		de, ok := ddb.AsError(err)
		if !ok || de.Status != 400 ||
			(de.Type != ddb.NSService+"SerializationException" && de.Type != ddb.NSValidate+"ValidationException") {
			t.Fatalf("%s %q: %v", op, body, err)
		}
		again := Check(op, body)
		if again == nil || again.Error() != err.Error() {
			t.Fatalf("%s %q: %v, then %v", op, body, err, again)
		}
	})
}
