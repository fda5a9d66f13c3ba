package partiql

import (
	"sort"
	"strings"
	"testing"

	"github.com/dynax/dynax/ddb"
)

// render is a compact description of a parsed statement for the tests.
func render(st *Statement) string {
	b := NewBuilder(make([]ddb.Value, st.Params))
	for i := range b.Params {
		b.Params[i] = ddb.S("p")
	}
	var parts []string
	parts = append(parts, st.Kind.String(), st.Table)
	if st.Index != "" {
		parts = append(parts, "index="+st.Index)
	}
	if st.Projection != nil {
		var ps []string
		for _, p := range st.Projection {
			ps = append(ps, p.String())
		}
		parts = append(parts, "proj="+strings.Join(ps, ","))
	}
	if st.Where != nil {
		c, err := b.Cond(st.Where)
		if err != nil {
			c = "ERR " + err.Error()
		}
		parts = append(parts, "where="+c)
	}
	if st.Kind == Update {
		u, err := b.Update(st.Actions)
		if err != nil {
			u = "ERR " + err.Error()
		}
		parts = append(parts, "upd="+u)
	}
	if st.Kind == Insert {
		v, _, err := Value(st.Value, b.Params)
		if err != nil {
			parts = append(parts, "ERR "+err.Error())
		} else {
			keys := make([]string, 0, len(v.M))
			for k := range v.M {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				parts = append(parts, k+"="+string(ddb.AppendValue(nil, v.M[k])))
			}
		}
	}
	if st.Returning != ReturnNone {
		parts = append(parts, "ret="+st.Returning.ReturnValues())
	}
	if st.Params > 0 {
		parts = append(parts, "params="+string(rune('0'+st.Params)))
	}
	return strings.Join(parts, " | ")
}

func TestParseStatements(t *testing.T) {
	cases := []struct{ in, want string }{
		{`SELECT * FROM "Music"`, `SELECT | Music`},
		{`select * from Music;`, `SELECT | Music`},
		{`SELECT * FROM "Music" -- a comment
		   /* another */ WHERE Artist = 'Acme'`, `SELECT | Music | where=#n0 = :v0`},
		{`SELECT a, b.c, "d"[2], e['f'] FROM "t"."idx"`, `SELECT | t | index=idx | proj=a,b.c,d[2],e.f`},
		{`SELECT * FROM t WHERE pk = ? AND sk > 3`, `SELECT | t | where=(#n0 = :v0 AND #n1 > :v1) | params=1`},
		{`SELECT * FROM t WHERE pk IN ['a', 'b'] OR x <> 1`, `SELECT | t | where=(#n0 IN (:v0, :v1) OR #n1 <> :v2)`},
		{`SELECT * FROM t WHERE pk IN ('a', 'b')`, `SELECT | t | where=#n0 IN (:v0, :v1)`},
		{`SELECT * FROM t WHERE x NOT IN <<1, 2>>`, `SELECT | t | where=NOT (#n0 IN (:v0, :v1))`},
		{`SELECT * FROM t WHERE x BETWEEN 1 AND 5 AND NOT y = 2`, `SELECT | t | where=(#n0 BETWEEN :v0 AND :v1 AND NOT (#n1 = :v2))`},
		{`SELECT * FROM t WHERE x NOT BETWEEN 1 AND 5`, `SELECT | t | where=NOT (#n0 BETWEEN :v0 AND :v1)`},
		{`SELECT * FROM t WHERE a IS MISSING AND b IS NOT MISSING`, `SELECT | t | where=(attribute_not_exists(#n0) AND attribute_exists(#n1))`},
		{`SELECT * FROM t WHERE a IS NULL`, `SELECT | t | where=(attribute_not_exists(#n0) OR attribute_type(#n0, :v0))`},
		{`SELECT * FROM t WHERE a IS NOT BOOL`, `SELECT | t | where=NOT (attribute_type(#n0, :v0))`},
		{`SELECT * FROM t WHERE begins_with(a, 'x') AND CONTAINS(b, 1) AND attribute_type(c, 'S')`,
			`SELECT | t | where=((begins_with(#n0, :v0) AND contains(#n1, :v1)) AND attribute_type(#n2, :v2))`},
		{`SELECT * FROM t WHERE size(a) > 3`, `SELECT | t | where=size(#n0) > :v0`},
		{`SELECT * FROM t WHERE attribute_exists(a) = true AND attribute_exists(b) = false`,
			`SELECT | t | where=(attribute_exists(#n0) AND NOT attribute_exists(#n1))`},
		{`SELECT * FROM t WHERE a.b[1].c = -2.50`, `SELECT | t | where=#n0.#n1[1].#n2 = :v0`},
		{`SELECT * FROM t WHERE "select" = 'x'`, `SELECT | t | where=#n0 = :v0`},
		{`INSERT INTO "t" VALUE {'pk': 'a', 'n': -1.50, 'l': [1, 'x', {'q': null}], 'b': <<1, 2>>, 's': <<'a'>>, 't': true, 'm': MISSING}`,
			`INSERT | t | b={"NS":["1","2"]} | l={"L":[{"N":"1"},{"S":"x"},{"M":{"q":{"NULL":true}}}]} | n={"N":"-1.5"} | pk={"S":"a"} | s={"SS":["a"]} | t={"BOOL":true}`},
		{`INSERT INTO t VALUE {'pk': ?, 'v': ?}`, `INSERT | t | pk={"S":"p"} | v={"S":"p"} | params=2`},
		{`UPDATE "t" SET a = a + 1, b.c[2] = 'x' REMOVE d SET s = set_add(s, <<'a'>>) SET r = set_delete(r, <<1>>) WHERE pk = 'k' RETURNING ALL NEW *`,
			`UPDATE | t | where=#n0 = :v0 | upd=SET #n1 = #n1 + :v1, #n2.#n3[2] = :v2 REMOVE #n4 ADD #n5 :v3 DELETE #n6 :v4 | ret=ALL_NEW`},
		{`UPDATE t SET l = list_append(l, [1]) WHERE pk = 'k' RETURNING MODIFIED OLD *`,
			`UPDATE | t | where=#n0 = :v0 | upd=SET #n1 = list_append(#n1, :v1) | ret=UPDATED_OLD`},
		{`UPDATE t REMOVE a, b.c WHERE pk = 'k' RETURNING modified new *`, `UPDATE | t | where=#n0 = :v0 | upd=REMOVE #n1, #n2.#n3 | ret=UPDATED_NEW`},
		{`FROM "t" WHERE pk = 'k' SET c = 1`, `UPDATE | t | where=#n0 = :v0 | upd=SET #n1 = :v1`},
		{`DELETE FROM "t" WHERE pk = 'k' RETURNING ALL OLD *`, `DELETE | t | where=#n0 = :v0 | ret=ALL_OLD`},
		{`EXISTS(SELECT * FROM "t" WHERE pk = 'k' AND x = 1)`, `EXISTS | t | where=(#n0 = :v0 AND #n1 = :v1)`},
	}
	for _, c := range cases {
		st, err := Parse(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got := render(st); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const mal = "Statement wasn't well formed, can't be processed: "
	cases := []struct{ in, want string }{
		{`SELECT * FROM "t" WHERE pk = 1 foo`, mal + "Unexpected token after expression"},
		{`SELECT * FROM "t" WHERE pk = 1 e5`, mal + "Unexpected token after expression"},
		{`INSERT INTO "t" VALUE {'pk': 1} foo`, mal + "Unexpected token after expression"},
		{`SELECT * FROM "t" WHERE pk = 1)`, mal + "Unexpected token after expression"},
		{`SELECT * FROM "t" ORDER BY pk WHERE pk = 1`, mal + "Unexpected token after expression"},
		{`SELECT * FROM "t" WHERE pk = 1e2147483648`, mal},
		{`SELECT * FROM "t" WHERE pk = 1.5e-2147483647`, mal},
		{`SELECT * FROM "t" WHERE pk = 1 # note`, mal},
		{`SELECT * FROM "t" WHERE pk = 1 /* note`, mal},
		{`SELECT * FROM "t" WHERE pk = 'open`, mal},
		{`SELECT * FROM "t" t WHERE pk = 'x'`, "Aliasing is not supported"},
		{`SELECT * FROM "t" AS t WHERE pk = 'x'`, "Aliasing is not supported"},
		{`UPDATE "t" t SET a = 3 WHERE pk = 'x'`, "Aliasing is not supported"},
		{`DELETE FROM "t" t WHERE pk = 'x'`, "Aliasing is not supported"},
		{`INSERT INTO "t" t VALUE {'pk': 'x'}`, mal + "Unexpected token after expression"},
		{`SELECT * FROM "t" WHERE`, mal + "Unexpected term"},
		{`SELECT * FROM "t" WHERE;`, mal + "Unexpected term"},
		{`SELECT * FROM "t" WHERE NOT`, mal + "Unexpected term"},
		{`SELECT * FROM "t" WHERE (`, mal + "Unexpected term"},
		{`SELECT * FROM "t" WHERE pk = 'p1' AND`, mal + "Missing right-hand side expression of infix operator"},
		{`SELECT * FROM "t" WHERE pk = 'p1' OR`, mal + "Missing right-hand side expression of infix operator"},
		{`SELECT * FROM "t" WHERE ORDER BY pk`, mal + "Unexpected keyword"},
		{`SELECT * FROM "t" WHERE pk = 'a' AND x IS FOO`, mal + "Expected type name"},
		{`SELECT * FROM "t" WHERE IS NULL`, mal + "Unexpected operator"},
		{`SELECT * FROM "t" WHERE pk = LIKE`, mal + "Unexpected operator"},
		{`DELETE FROM`, mal + "Expected identifier for simple path"},
		{`DELETE FROM;`, mal + "Expected identifier for simple path"},
		{`DELETE FROM WHERE pk = 'a'`, mal + "Expected identifier for simple path"},
		{`SELECT * FROM`, mal + "Unexpected term"},
		{`SLECT * FROM "t"`, mal + "Expected data manipulation"},
		{`UPDATE "t" WHERE pk = 'a'`, mal + "Expected data manipulation"},
		{``, mal + "Unexpected term"},
		{`SELECT * FROM "t" WHERE m.inner = 1`, mal + "Invalid path dot component"},
		{`SELECT * FROM "t" WHERE pad = 'none'`, mal + "Unexpected keyword"},
		{`SELECT *, a FROM "t"`, "Other attributes should not be present in the projection when '*' is used."},
		{`SELECT VALUE a FROM "t"`, "Select projection doesn't support value or pivot keywords"},
		{`SELECT attribute_exists(ss) FROM "t"`, "Unexpected path component at 1:8:16"},
		{`SELECT * FROM "t", "u"`, "Only select from a single table or index is supported."},
		{`SELECT * FROM "t"."i"."j"`, "A path may contain at most 2 components in the FROM clause"},
		{`SELECT * FROM "t" WHERE a[*].b = 1`, "Wildcard path component like a[*].b are not supported"},
		{`SELECT * FROM "t" WHERE a.*.b = 1`, "Unpivot path component like a.*.b are not supported"},
		{`UPDATE "t" SET a = 1 WHERE pk = 'a' RETURNING ALL OLD`, "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"},
		{`UPDATE "t" SET a = 1 WHERE pk = 'a' RETURNING ALL OLD *, ALL NEW *`, "Invalid syntax with multiple returning elements in RETURNING clause"},
		{`INSERT INTO "t" VALUE {'pk': 'a'} RETURNING ALL OLD *`, "RETURNING is not supported in INSERT"},
		{`SELECT * FROM "t" WHERE ` + strings.Repeat("(", 300) + "a = 1" + strings.Repeat(")", 300), "Nesting Levels have exceeded supported limits"},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		if err == nil {
			t.Errorf("%s: no error, want %q", c.in, c.want)
			continue
		}
		de, ok := ddb.AsError(err)
		if !ok || de.Name() != "ValidationException" || de.Message != c.want {
			t.Errorf("%s\n got %v\nwant %q", c.in, err, c.want)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`SELECT * FROM t WHERE pk = 'a' AND EXISTS(ss)`, "Unrecognized function: exists at 1:36:6"},
		{`SELECT * FROM t WHERE set_add(ss, <<'x'>>) = ss`, "Unrecognized function: set_add at 1:23:7"},
		{`SELECT * FROM t WHERE a = MISSING`, "MISSING must be compared using IS operator"},
		{`SELECT * FROM t WHERE a`, "WHERE clause must contain an expression that resolves to a boolean"},
		{`SELECT * FROM t WHERE a IN b`, "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"},
		{`SELECT * FROM t WHERE a IS DATE`, "Unsupported data type for IS operator: DATE. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"},
		{`SELECT * FROM t WHERE a LIKE 'x%'`, "Unsupported operator in Condition Expression. Operator: LIKE"},
		{`SELECT * FROM t WHERE pk = 1e126`, "Number overflow. Attempting to store a number with magnitude larger than supported range under root"},
		{`SELECT * FROM t WHERE pk = 1e-131`, "Number underflow. Attempting to store a number with magnitude smaller than supported range under root"},
		{`SELECT * FROM t WHERE pk = 123456789012345678901234567890123456789`, "Attempting to store more than 38 significant digits in a Number under root"},
		{`UPDATE t SET t = set_add(ss, <<'x'>>) WHERE pk = 'k'`, "The first argument to SET_ADD must equal the assignment value at 1:18:7"},
		{`UPDATE t SET ss = set_add(<<'a'>>, <<'b'>>) WHERE pk = 'k'`, "The first argument to SET_ADD must equal the assignment value at 1:19:7"},
		{`UPDATE t SET ss = set_add(ss, 'x') WHERE pk = 'k'`, "The second argument to SET_ADD must be a value with type SET at 1:27:2"},
		{`UPDATE t SET ss = set_add(ss) WHERE pk = 'k'`, "SET_ADD must have exactly two arguments at 1:19:7"},
		{`UPDATE t SET ss = set_delete(ss, ['a']) WHERE pk = 'k'`, "The second argument to SET_DELETE must be a value with type SET at 1:30:2"},
		{`UPDATE t SET ss = set_add(ss, <<'x', 'x'>>) WHERE pk = 'k'`, "One or more parameter values were invalid: Input collection [x, x] contains duplicates."},
		{`UPDATE t SET ss = set_add(ss, <<>>) WHERE pk = 'k'`, "Empty bags are not supported"},
		{`UPDATE t SET ss = set_add(ss, <<1, 'a'>>) WHERE pk = 'k'`, "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"},
		{`UPDATE t SET a = b IS MISSING WHERE pk = 'k'`, "IS operator is not supported in update expressions"},
		{`UPDATE t SET a = 1e-131 WHERE pk = 'k'`, "Number underflow. Attempting to store a number with magnitude smaller than supported range under root"},
		{`INSERT INTO t VALUE {'pk': 'x', 'ss': set_add(<<'a'>>, <<'b'>>)}`, "Unsupported data type: set_add under key root.ss at 1:39:7"},
		{`INSERT INTO t VALUE {'pk': 1, 'm': {'x': 1e126}}`, "Number overflow. Attempting to store a number with magnitude larger than supported range under root.m.x"},
		{`INSERT INTO t VALUE {'pk': 1, 'pk': 2}`, "Duplicate keys in tuple. Key: pk under root"},
		{`INSERT INTO t VALUE {1: 2}`, "Tuple keys must be of type String. Actual type: DECIMAL under root"},
		{`SELECT * FROM t WHERE a = ?`, MsgParamCount},
	}
	for _, c := range cases {
		st, err := Parse(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		b := NewBuilder(nil)
		switch st.Kind {
		case Update:
			_, err = b.Update(st.Actions)
		case Insert:
			_, _, err = Value(st.Value, nil)
		default:
			_, err = b.Cond(st.Where)
		}
		if err == nil {
			t.Errorf("%s: no error, want %q", c.in, c.want)
			continue
		}
		if de, ok := ddb.AsError(err); !ok || de.Message != c.want {
			t.Errorf("%s\n got %v\nwant %q", c.in, err, c.want)
		}
	}
}

func TestKeyHelpers(t *testing.T) {
	st, err := Parse(`SELECT * FROM t WHERE pk = 'a' AND 3 = sk AND x > 1 AND pk2 IN ['a', ?]`)
	if err != nil {
		t.Fatal(err)
	}
	conj := Conjuncts(st.Where)
	if len(conj) != 4 {
		t.Fatalf("%d conjuncts", len(conj))
	}
	if n, v, ok := Equality(conj[0]); !ok || n != "pk" || v.(*Lit).V.S != "a" {
		t.Fatalf("equality 0: %v %v %v", n, v, ok)
	}
	if n, _, ok := Equality(conj[1]); !ok || n != "sk" {
		t.Fatalf("equality 1: %v %v", n, ok)
	}
	if _, _, ok := Equality(conj[2]); ok {
		t.Fatal("x > 1 is no equality")
	}
	if n, vs, ok := InList(conj[3]); !ok || n != "pk2" || len(vs) != 2 {
		t.Fatalf("in list: %v %v %v", n, vs, ok)
	}
	if !Mentions(st.Where, "x") || Mentions(st.Where, "y") {
		t.Fatal("Mentions")
	}
	if And(nil) != nil || And(conj[:1]) != conj[0] {
		t.Fatal("And")
	}
	if st.Params != 1 {
		t.Fatalf("params %d", st.Params)
	}
}
