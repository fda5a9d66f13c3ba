package ddb

import (
	"errors"
	"fmt"
)

// Error namespaces used in DynamoDB's __type field.
const (
	NSDynamoDB = "com.amazonaws.dynamodb.v20120810#"
	NSValidate = "com.amazon.coral.validate#"
	NSService  = "com.amazon.coral.service#"
)

// Error is a DynamoDB error response. It satisfies error, so handlers return
// it like any other error; the wire layer writes it with its status and shape.
type Error struct {
	// Status is the HTTP status code (400 for almost everything).
	Status int
	// Type is the full __type, namespace included.
	Type string
	// Message is the human-readable text.
	Message string
	// CapitalMessage selects the "Message" key instead of "message", as
	// DynamoDB does for a few shapes (TransactionCanceledException, …).
	CapitalMessage bool
	// Extra holds additional top-level fields already encoded as JSON
	// (for example "Item" or "CancellationReasons"), in output order.
	Extra []Field
}

// Field is one extra top-level JSON member of an error body.
type Field struct {
	Name string
	JSON []byte
}

func (e *Error) Error() string {
	return e.Name() + ": " + e.Message
}

// Name returns the error name without its namespace, as the SDKs report it.
func (e *Error) Name() string {
	for i := len(e.Type) - 1; i >= 0; i-- {
		if e.Type[i] == '#' {
			return e.Type[i+1:]
		}
	}
	return e.Type
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Constructors for the errors dynax returns. Messages are passed through
// verbatim; callers supply DynamoDB's exact text.

// Validation is com.amazon.coral.validate#ValidationException (400).
func Validation(msg string) *Error {
	return &Error{Status: 400, Type: NSValidate + "ValidationException", Message: msg}
}

// Validationf formats a ValidationException message.
func Validationf(format string, args ...any) *Error {
	return Validation(fmt.Sprintf(format, args...))
}

// Serialization is com.amazon.coral.service#SerializationException (400).
func Serialization(msg string) *Error {
	return &Error{Status: 400, Type: NSService + "SerializationException", Message: msg, CapitalMessage: true}
}

// UnknownOperation is com.amazon.coral.service#UnknownOperationException (400).
func UnknownOperation() *Error {
	return &Error{Status: 400, Type: NSService + "UnknownOperationException"}
}

// MissingAuthenticationToken is returned when a request carries no signature.
func MissingAuthenticationToken() *Error {
	return &Error{Status: 400, Type: NSService + "MissingAuthenticationTokenException", Message: "Request is missing Authentication Token"}
}

// IncompleteSignature is returned for a malformed Authorization header.
func IncompleteSignature(msg string) *Error {
	return &Error{Status: 400, Type: NSService + "IncompleteSignatureException", Message: msg}
}

// ResourceNotFound is ResourceNotFoundException (400).
func ResourceNotFound(msg string) *Error {
	return &Error{Status: 400, Type: NSDynamoDB + "ResourceNotFoundException", Message: msg}
}

// ResourceInUse is ResourceInUseException (400).
func ResourceInUse(msg string) *Error {
	return &Error{Status: 400, Type: NSDynamoDB + "ResourceInUseException", Message: msg}
}

// LimitExceeded is LimitExceededException (400).
func LimitExceeded(msg string) *Error {
	return &Error{Status: 400, Type: NSDynamoDB + "LimitExceededException", Message: msg}
}

// ConditionalCheckFailed is ConditionalCheckFailedException (400). item, when
// non-nil, is the JSON of the existing item (ReturnValuesOnConditionCheckFailure=ALL_OLD).
func ConditionalCheckFailed(item []byte) *Error {
	e := &Error{Status: 400, Type: NSDynamoDB + "ConditionalCheckFailedException", Message: "The conditional request failed"}
	if item != nil {
		e.Extra = []Field{{Name: "Item", JSON: item}}
	}
	return e
}

// TransactionConflict is TransactionConflictException (400).
func TransactionConflict(msg string) *Error {
	return &Error{Status: 400, Type: NSDynamoDB + "TransactionConflictException", Message: msg}
}

// ItemCollectionSizeLimitExceeded is ItemCollectionSizeLimitExceededException (400).
func ItemCollectionSizeLimitExceeded(msg string) *Error {
	return &Error{Status: 400, Type: NSDynamoDB + "ItemCollectionSizeLimitExceededException", Message: msg}
}

// InternalServerError is com.amazonaws.dynamodb.v20120810#InternalServerError (500).
func InternalServerError(msg string) *Error {
	return &Error{Status: 500, Type: NSDynamoDB + "InternalServerError", Message: msg}
}

// RequestTooLarge is the 413 answer to a body over the 16 MiB limit.
func RequestTooLarge() *Error {
	return &Error{Status: 413, Type: NSService + "SerializationException", Message: "Request entity too large", CapitalMessage: true}
}
