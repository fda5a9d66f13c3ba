// Package expr implements DynamoDB's expression language: condition,
// filter and key-condition expressions, update expressions and projection
// expressions, plus the legacy parameters (Expected, QueryFilter,
// ScanFilter, AttributeUpdates, AttributesToGet) converted into the same
// trees.
//
// Parsing follows DynamoDB's own three phases so that, of several
// problems, the one DynamoDB reports is the one reported here, word for
// word: the parser (parser.go, with lookahead in scan.go that decides
// alternatives where DynamoDB's generated parser does) finds syntax errors
// and redundant parentheses; a check in document order finds reserved
// words, unknown or misplaced functions, bad list indexes and repeated
// update sections; validation (validate.go) resolves #name and :value
// placeholders and checks operand types, counts and path overlaps in
// DynamoDB's post-order. All errors are *ddb.Error ValidationExceptions.
//
// Parsed trees are immutable and safe for concurrent use. Evaluation
// (eval.go) never fails and does not allocate on the common paths; updates
// (update.go) copy only the maps and lists they change.
package expr
