package expr

import (
	"errors"
	"strings"
	"testing"
)

func TestReadProjection(t *testing.T) {
	sp := func(s string) *string { return &s }
	f := func(text *string, names map[string]string, atg []string, want string) {
		t.Helper()
		paths, err := ReadProjection(text, names, atg)
		got := ""
		if err != nil {
			got = "error: " + err.Error()
		} else {
			parts := make([]string, len(paths))
			for i, p := range paths {
				parts[i] = p.String()
			}
			got = strings.Join(parts, ", ")
		}
		if got != want {
			t.Fatalf("ReadProjection(%v, %v, %v):\n got %s\nwant %s", text, names, atg, got, want)
		}
	}
	f(nil, nil, nil, "")
	f(sp("a, b.c, d[2]"), nil, nil, "a, b.c, d[2]")
	f(sp("#n"), map[string]string{"#n": "x"}, nil, "x")
	f(nil, nil, []string{"a", "b"}, "a, b")
	f(sp("a"), nil, []string{"a"}, "error: ValidationException: Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}")
	f(nil, map[string]string{"#n": "x"}, nil, "error: ValidationException: ExpressionAttributeNames can only be specified when using expressions")
	f(nil, nil, []string{"a", "b", "a"}, "error: ValidationException: One or more parameter values were invalid: Duplicate value in attribute name: a")
	f(sp("#n"), map[string]string{"#n": "x", "#m": "y"}, nil, "error: ValidationException: Value provided in ExpressionAttributeNames unused in expressions: keys: {#m}")
	f(sp("#n"), nil, nil, "error: ValidationException: Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #n")
	f(sp("a, a"), nil, nil, "error: ValidationException: Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]")

	if _, err := ReadProjection(nil, nil, []string{}); !errors.Is(err, ErrAttributesToGetLength) {
		t.Fatalf("empty AttributesToGet: %v", err)
	}
	if _, err := ReadProjection(nil, nil, make([]string, 256)); !errors.Is(err, ErrAttributesToGetLength) {
		t.Fatalf("256 AttributesToGet: %v", err)
	}
}
