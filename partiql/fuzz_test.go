package partiql

import (
	"testing"

	"github.com/dynax/dynax/ddb"
)

// FuzzParsePartiQL checks that no statement makes the parser or the
// expression builders panic, that every error is a ValidationException,
// and that parsing is deterministic. The seed corpus is in
// testdata/fuzz/FuzzParsePartiQL.
func FuzzParsePartiQL(f *testing.F) {
	f.Add(`SELECT * FROM "t" WHERE pk = 'a'`)
	f.Fuzz(func(t *testing.T, src string) {
		st, err := Parse(src)
		st2, err2 := Parse(src)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("nondeterministic: %v / %v", err, err2)
		}
		if err != nil {
			de, ok := ddb.AsError(err)
			if !ok || de.Name() != "ValidationException" {
				t.Fatalf("error %T %v is not a ValidationException", err, err)
			}
			if err.Error() != err2.Error() {
				t.Fatalf("nondeterministic: %v / %v", err, err2)
			}
			return
		}
		if st.Params != st2.Params || st.Kind != st2.Kind || st.Table != st2.Table {
			t.Fatalf("nondeterministic parse of %q", src)
		}
		params := make([]ddb.Value, st.Params)
		for i := range params {
			params[i] = ddb.N("1")
		}
		b := NewBuilder(params)
		check := func(err error) {
			if err == nil {
				return
			}
			if de, ok := ddb.AsError(err); !ok || de.Name() != "ValidationException" {
				t.Fatalf("builder error %T %v is not a ValidationException", err, err)
			}
		}
		if st.Where != nil {
			_, err := b.Cond(st.Where)
			check(err)
			for _, term := range Conjuncts(st.Where) {
				Equality(term)
				InList(term)
			}
		}
		if st.Kind == Update {
			_, err := b.Update(st.Actions)
			check(err)
		}
		if st.Kind == Insert {
			_, _, err := Value(st.Value, params)
			check(err)
		}
		for _, p := range st.Projection {
			_ = b.Path(p)
		}
	})
}
