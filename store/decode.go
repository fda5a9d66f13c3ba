package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/model"
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
	case rendered:
		v = string(x)
	default:
		v = fmt.Sprintf("'%v'", x)
	}
	c.errs = append(c.errs, "Value "+v+" at '"+path+"' failed to satisfy constraint: "+constraint)
}

// rendered is a value already rendered for a message (by model.Render).
type rendered string

// renderAt renders the request member at the path names of body (nested
// object members; the last of repeated ones), as DynamoDB's messages show
// it.
func renderAt(body []byte, names ...string) rendered {
	v := body
	for _, n := range names {
		if v = ddb.Member(v, n); v == nil {
			break
		}
	}
	return rendered(model.Render(v))
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

// tableArnShape and tableNameShape are the model's two table name shapes:
// the name or ARN that every operation on an existing table takes
// (length 1..1024), and the name of a table being made (3..255 and the
// name pattern).
var (
	tableArnShape  = model.Named("TableArn")
	tableNameShape = model.Named("TableName")
)

// checkTableName applies the constraints of a member naming an existing
// table: the model's (TableArn: not null, length 1..1024) first; a name
// that passes them and is not an ARN must then still be a valid table
// name (pattern, length 3..255), as DynamoDB checks it.
func (c *checker) checkTableName(path string, name *string) {
	if name == nil {
		c.fail(nil, path, cMustNotBeNull)
		return
	}
	if v := tableArnShape.Violations(ddb.AppendString(nil, *name)); len(v) > 0 {
		for _, msg := range v {
			c.fail(name, path, msg)
		}
		return
	}
	if strings.HasPrefix(*name, "arn:") {
		return
	}
	c.checkNewTableName(path, name)
}

// checkNewTableName applies the model's TableName constraints (the name
// of a table being made), in DynamoDB's order: pattern, then length.
func (c *checker) checkNewTableName(path string, name *string) {
	if name == nil {
		c.fail(nil, path, cMustNotBeNull)
		return
	}
	if !validName(*name) {
		c.fail(name, path, "Member must satisfy regular expression pattern: "+tableNameShape.Pattern)
	}
	if n := javaLen(*name); n < int(tableNameShape.Min) {
		c.fail(name, path, fmt.Sprintf("Member must have length greater than or equal to %d", int(tableNameShape.Min)))
	} else if n > int(tableNameShape.Max) {
		c.fail(name, path, fmt.Sprintf("Member must have length less than or equal to %d", int(tableNameShape.Max)))
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
