// Package model is DynamoDB's request model: every operation's input shape
// with its members, their JSON types, and their length, range, pattern,
// enum and required constraints, generated from DynamoDB's service model
// (gen/). Check validates a request body against it the way DynamoDB's
// front end does, in two phases: the JSON binder (SerializationException,
// with the texts of the Java types the members bind to), then the
// constraint validator (ValidationException, "N validation errors
// detected: …", in the model's member order, at most 10).
package model

import "sync"

//go:generate go run ./gen -in gen/dynamodb-2012-08-10.json.gz -out shapes_gen.go

// Kind is the JSON type a shape binds to.
type Kind uint8

// Shape kinds, as the service model names them.
const (
	Structure Kind = iota + 1
	List
	Map
	String
	Integer
	Long
	Double
	Boolean
	Blob
	Timestamp
)

// Shape is one shape of the model.
type Shape struct {
	Name string
	Kind Kind
	// HasMin and Min, HasMax and Max bound a string's, blob's, list's or
	// map's length, or a number's value.
	HasMin, HasMax bool
	Min, Max       float64
	// Pattern is the regular expression a string must match ("" for none).
	Pattern string
	// Enum lists a string's allowed values (nil for any).
	Enum []string
	// Members are a structure's members, in model order.
	Members []Member
	// Elem is a list's element shape or a map's value shape; Key a map's
	// key shape (indexes into the table).
	Elem, Key int
}

// Member is one member of a structure.
type Member struct {
	Name     string
	Shape    int
	Required bool
}

// Input returns the input shape of op, or nil for an operation the model
// does not describe.
func Input(op string) *Shape {
	i, ok := inputs[op]
	if !ok {
		return nil
	}
	return &shapes[i]
}

// ElemShape returns a list's element shape or a map's value shape.
func (s *Shape) ElemShape() *Shape { return &shapes[s.Elem] }

// KeyShape returns a map's key shape.
func (s *Shape) KeyShape() *Shape { return &shapes[s.Key] }

// MemberShape returns the shape of member m.
func (m *Member) MemberShape() *Shape { return &shapes[m.Shape] }

// Member returns s's member named name (exactly), or nil.
func (s *Shape) Member(name string) *Member {
	for i := range s.Members {
		if s.Members[i].Name == name {
			return &s.Members[i]
		}
	}
	return nil
}

// javaNS is the package of DynamoDB's generated model classes.
const javaNS = "com.amazonaws.dynamodb.v20120810."

// JavaType is the Java type s binds to, as the binder's messages name it.
func (s *Shape) JavaType() string {
	switch s.Kind {
	case Structure:
		return javaNS + s.Name
	case List:
		return "java.util.List<" + s.ElemShape().JavaType() + ">"
	case Map:
		return "java.util.Map<java.lang.String, " + s.ElemShape().JavaType() + ">"
	case String:
		return "java.lang.String"
	case Integer:
		return "java.lang.Integer"
	case Long:
		return "java.lang.Long"
	case Double:
		return "java.lang.Double"
	case Boolean:
		return "java.lang.Boolean"
	case Blob:
		return "java.nio.ByteBuffer"
	case Timestamp:
		return "java.util.Date"
	}
	return "java.lang.Object"
}

var byName = sync.OnceValue(func() map[string]*Shape {
	m := make(map[string]*Shape, len(shapes))
	for i := range shapes {
		m[shapes[i].Name] = &shapes[i]
	}
	return m
})

// Named returns the shape called name in the model, or nil.
func Named(name string) *Shape { return byName()[name] }

// ConstraintTexts lists all of s's constraints, in DynamoDB's order, as
// "Member must …" texts.
func (s *Shape) ConstraintTexts() []string { return s.constraints() }

// Violations lists the constraints of s that the JSON value v (raw
// JSON) breaks, in DynamoDB's order, as "Member must …" texts.
func (s *Shape) Violations(v []byte) []string { return s.violations(v) }
