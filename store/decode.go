package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/dynax/dynax/ddb"
)

// decode unmarshals a request body into v, mapping JSON shape errors to
// DynamoDB's SerializationException texts.
func decode(body []byte, v any) error {
	err := ddb.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	if de, ok := ddb.AsError(err); ok {
		return de
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return ddb.Serialization(typeErrorText(te))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &ddb.Error{Status: 400, Type: ddb.NSService + "SerializationException"}
	}
	return ddb.Serialization(err.Error())
}

// typeErrorText mirrors the messages of DynamoDB's (Java) JSON binder.
func typeErrorText(te *json.UnmarshalTypeError) string {
	target := "String"
	switch te.Type.Kind().String() {
	case "bool":
		target = "Boolean"
	case "int", "int32":
		target = "Integer"
	case "int64":
		target = "Long"
	case "float64":
		target = "Double"
	case "slice":
		switch te.Value {
		case "object":
			return "Start of structure or map found where not expected"
		}
		return "Unexpected field type"
	case "map", "struct":
		if te.Value == "array" {
			return "Unrecognized collection type java.util.Map<java.lang.String, java.lang.String>"
		}
		return "Unexpected field type"
	}
	switch te.Value {
	case "number":
		return "NUMBER_VALUE cannot be converted to " + target
	case "bool":
		return "TRUE_VALUE cannot be converted to " + target
	case "string":
		return "STRING_VALUE cannot be converted to " + target
	case "array":
		return "Unrecognized collection type class java.lang." + target
	case "object":
		return "Start of structure or map found where not expected"
	}
	return "Unexpected field type"
}

// checker collects constraint violations in DynamoDB's
// "N validation errors detected: …" format (at most 10 are reported).
type checker struct {
	errs []string
}

// fail records that value at path failed constraint. value is rendered as
// DynamoDB does: 'x' for scalars, null for absent.
func (c *checker) fail(value any, path, constraint string) {
	if len(c.errs) >= 10 {
		return
	}
	var v string
	switch x := value.(type) {
	case nil:
		v = "null"
	case *string:
		if x == nil {
			v = "null"
		} else {
			v = "'" + *x + "'"
		}
	case *int64:
		if x == nil {
			v = "null"
		} else {
			v = fmt.Sprintf("'%d'", *x)
		}
	case []string:
		v = "'[" + strings.Join(x, ", ") + "]'"
	default:
		v = fmt.Sprintf("'%v'", x)
	}
	c.errs = append(c.errs, "Value "+v+" at '"+path+"' failed to satisfy constraint: "+constraint)
}

// err returns the collected ValidationException, or nil.
func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	s := "s"
	if len(c.errs) == 1 {
		s = ""
	}
	return ddb.Validationf("%d validation error%s detected: %s", len(c.errs), s, strings.Join(c.errs, "; "))
}

// Constraint texts shared by many operations.
const (
	tableNamePattern = "[a-zA-Z0-9_.-]+"
	cMustNotBeNull   = "Member must not be null"
)

// checkTableName applies the TableName constraints (length 3..255, or up
// to 1024 for an ARN, and the name pattern).
func (c *checker) checkTableName(path string, name *string) {
	if name == nil {
		c.fail(nil, path, cMustNotBeNull)
		return
	}
	if strings.HasPrefix(*name, "arn:") {
		if len(*name) > 1024 {
			c.fail(name, path, "Member must have length less than or equal to 1024")
		}
		return
	}
	if !validName(*name) {
		c.fail(name, path, "Member must satisfy regular expression pattern: "+tableNamePattern)
	}
	if len(*name) < 3 {
		c.fail(name, path, "Member must have length greater than or equal to 3")
	}
	if len(*name) > 255 {
		c.fail(name, path, "Member must have length less than or equal to 255")
	}
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
