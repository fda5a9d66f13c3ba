package ddb

import "testing"

func TestCapacityUnits(t *testing.T) {
	r := func(size int, found, consistent bool, want float64) {
		t.Helper()
		if got := ReadUnits(size, found, consistent); got != want {
			t.Fatalf("ReadUnits(%d, %v, %v) = %v, want %v", size, found, consistent, got, want)
		}
	}
	r(0, false, false, 0.5)
	r(0, false, true, 1)
	r(1, true, false, 0.5)
	r(4096, true, true, 1)
	r(4097, true, true, 2)
	r(4097, true, false, 1)
	w := func(o, n int, want float64) {
		t.Helper()
		if got := WriteUnits(o, n); got != want {
			t.Fatalf("WriteUnits(%d, %d) = %v, want %v", o, n, got, want)
		}
	}
	w(0, 0, 1)
	w(1024, 10, 1)
	w(10, 1025, 2)
	a := func(u float64, want string) {
		t.Helper()
		if got := string(AppendUnits(nil, u)); got != want {
			t.Fatalf("AppendUnits(%v) = %s, want %s", u, got, want)
		}
	}
	a(1, "1.0")
	a(0.5, "0.5")
	a(12, "12.0")
	a(2.5, "2.5")
}
