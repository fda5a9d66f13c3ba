package model

import (
	"testing"

	"github.com/dynax/dynax/ddb"
)

func TestInputShapes(t *testing.T) {
	f := func(op, member string, wantKind Kind, wantMin, wantMax float64, wantRequired bool) {
		t.Helper()
		in := Input(op)
		if in == nil {
			t.Fatalf("%s: no input shape", op)
		}
		m := in.Member(member)
		if m == nil {
			t.Fatalf("%s: no member %s", op, member)
		}
		s := m.MemberShape()
		if s.Kind != wantKind || s.Min != wantMin || s.Max != wantMax || m.Required != wantRequired {
			t.Errorf("%s.%s = kind %d [%v,%v] required %v", op, member, s.Kind, s.Min, s.Max, m.Required)
		}
	}
	// Every operation takes a table name or ARN (1..1024) in the current
	// model; the 3..255 name rule is CreateTable's own check.
	f("GetItem", "TableName", String, 1, 1024, true)
	f("CreateTable", "TableName", String, 1, 1024, true)
	f("ListTables", "ExclusiveStartTableName", String, 3, 255, false)
	f("BatchWriteItem", "RequestItems", Map, 1, 25, true)
	f("TransactWriteItems", "TransactItems", List, 1, 100, true)
	f("Query", "Limit", Integer, 1, 0, false)
	if Input("NoSuchOperation") != nil {
		t.Error("unknown operation has an input shape")
	}
}

func TestConstraints(t *testing.T) {
	f := func(op, body, want string) {
		t.Helper()
		err := Constraints(op, []byte(body))
		got := ""
		if err != nil {
			de, _ := ddb.AsError(err)
			got = de.Message
		}
		if got != want {
			t.Errorf("%s %s\n got %q\nwant %q", op, body, got, want)
		}
	}
	f("GetItem", `{"TableName":"t","Key":{}}`, "")
	f("GetItem", `{"TableName":"","Key":{}}`,
		"1 validation error detected: Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1")
	f("GetItem", `{}`,
		"2 validation errors detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null; Value null at 'key' failed to satisfy constraint: Member must not be null")
	f("BatchWriteItem", `{"RequestItems":{"t":[]}}`,
		"1 validation error detected: Value '{t=[]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
	f("BatchGetItem", `{"RequestItems":{"t":{"Keys":[]}}}`,
		"1 validation error detected: Value '[]' at 'requestItems.t.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1")
	f("ListTables", `{"ExclusiveStartTableName":"ab"}`,
		"1 validation error detected: Value 'ab' at 'exclusiveStartTableName' failed to satisfy constraint: Member must have length greater than or equal to 3")
}

func TestRender(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		var b []byte
		if in != "" {
			b = []byte(in)
		}
		if got := Render(b); got != want {
			t.Errorf("Render(%s) = %s, want %s", in, got, want)
		}
	}
	f("", "null")
	f("null", "null")
	f(`"ab"`, "'ab'")
	f("0", "'0'")
	f(`["a","b"]`, "'[a, b]'")
	f(`{"t":[{"a":"b"}]}`, "'{t=[{a=b}]}'")
}
