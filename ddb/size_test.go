package ddb

import "testing"

func TestValueSize(t *testing.T) {
	f := func(v Value, want int) {
		t.Helper()
		if got := ValueSize(v); got != want {
			t.Fatalf("ValueSize(%+v) = %d, want %d", v, got, want)
		}
	}
	f(S("abc"), 3)
	f(S("é"), 2)
	f(B([]byte{1, 2}), 2)
	f(N("0"), 1)
	f(N("1"), 2)
	f(N("12"), 2)  // two digits, exponent 1 (odd)
	f(N("1.2"), 3) // two digits, exponent 0 (even): one extra byte
	f(N("-1"), 3)
	f(N("123"), 3)
	f(Bool(true), 1)
	f(Null(), 1)
	f(L(S("a"), S("bc")), 3+1+1+1+2)
	f(M(map[string]Value{"ab": S("c")}), 3+1+2+1)
	f(Value{T: TypeSS, SS: []string{"a", "bb"}}, 3)
	if got := ItemSize(Item{"name": S("value"), "n": N("10")}); got != 4+5+1+2 {
		t.Fatalf("ItemSize = %d", got)
	}
}
