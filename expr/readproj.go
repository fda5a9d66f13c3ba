package expr

import (
	"errors"

	"github.com/dynax/dynax/ddb"
)

// ReadProjection is the one home of the projection rules of a read by
// primary key (GetItem, a table of BatchGetItem, a TransactGetItems Get):
// the storage node validates with it, and the proxy asks it whether the
// backend will accept a projection before answering from its cache, so the
// two can never disagree on what is valid.
//
// text is the ProjectionExpression, names the ExpressionAttributeNames and
// atg the legacy AttributesToGet; nil means the member is absent (a JSON
// null is absent too, as DynamoDB treats it). The checks run in DynamoDB's
// order: mixing expression and legacy parameters, placeholders without an
// expression, AttributesToGet's length and duplicates, the placeholders
// themselves, the expression, then unused placeholders. It returns nil
// paths (the whole item) when neither projection member is given.
func ReadProjection(text *string, names map[string]string, atg []string) ([]Path, error) {
	if text != nil && atg != nil {
		return nil, ddb.Validation("Can not use both expression and non-expression parameters in the same request: " +
			"Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}")
	}
	if names != nil && text == nil {
		return nil, ddb.Validation("ExpressionAttributeNames can only be specified when using expressions")
	}
	if atg != nil {
		if len(atg) < 1 || len(atg) > ddb.MaxAttributesToGet {
			return nil, ErrAttributesToGetLength
		}
		if d, ok := Duplicate(atg); ok {
			return nil, ddb.Validation(invalidParams + "Duplicate value in attribute name: " + d)
		}
		return AttributesToGet(atg), nil
	}
	if text == nil {
		return nil, nil
	}
	attrs := NewAttrs(names, nil)
	if names != nil {
		if err := attrs.Validate(); err != nil {
			return nil, err
		}
	}
	paths, err := ParseProjection(*text, attrs)
	if err != nil {
		return nil, err
	}
	if err := attrs.CheckUnused(); err != nil {
		return nil, err
	}
	return paths, nil
}

// ErrAttributesToGetLength is an AttributesToGet outside 1–255 names. Its
// message belongs to DynamoDB's validation envelope, whose member path
// depends on the operation, so callers with an envelope (the storage node)
// report it there before calling ReadProjection; the proxy only needs to
// know that the backend refuses it.
var ErrAttributesToGetLength = errors.New("expr: AttributesToGet must have 1 to 255 names")

// Duplicate returns the first element of xs that repeats an earlier one.
func Duplicate(xs []string) (string, bool) {
	if len(xs) < 2 {
		return "", false
	}
	seen := make(map[string]struct{}, len(xs))
	for _, x := range xs {
		if _, ok := seen[x]; ok {
			return x, true
		}
		seen[x] = struct{}{}
	}
	return "", false
}
