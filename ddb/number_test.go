package ddb

import "testing"

func TestCanonicalNumber(t *testing.T) {
	f := func(in, want, wantErr string) {
		t.Helper()
		got, err := CanonicalNumber(in)
		if wantErr != "" {
			if err == nil || err.(*Error).Message != wantErr {
				t.Fatalf("CanonicalNumber(%q) error = %v, want %q", in, err, wantErr)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("CanonicalNumber(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	f("1.50", "1.5", "")
	f("0", "0", "")
	f("-0", "0", "")
	f("0.000", "0", "")
	f("1e2", "100", "")
	f("1E+2", "100", "")
	f("-1.5e-3", "-0.0015", "")
	f(".5", "0.5", "")
	f("5.", "5", "")
	f("007", "7", "")
	f("120", "120", "")
	f("12.0340", "12.034", "")
	f("9.9999999999999999999999999999999999999E+125", "99999999999999999999999999999999999999"+string(make([]byte, 0))+zeros(88), "")
	f("1e-130", "0."+zeros(129)+"1", "")
	f("", "", msgNumberNotNumeric)
	f("b", "", msgNumberNotNumeric+": b")
	// A leading plus: accepted by current DynamoDB (issue 16; older
	// recordings refused it).
	f("+1", "1", "")
	f("+.5", "0.5", "")
	f("+1e-2", "0.01", "")
	f("+-1", "", msgNumberNotNumeric+": +-1")
	f("-+1", "", msgNumberNotNumeric+": -+1")
	f("1e", "", msgNumberNotNumeric+": 1e")
	f("1..2", "", msgNumberNotNumeric+": 1..2")
	f(" 1", "", msgNumberNotNumeric+":  1")
	f("123456789012345678901234567890123456789", "", msgNumberPrecision)
	f("-1.23456789012345678901234567890123456789", "", msgNumberPrecision)
	f("1e126", "", msgNumberOverflow)
	f("-1e126", "", msgNumberOverflow)
	f("1e-131", "", msgNumberUnderflow)
	f("-1e-131", "", msgNumberUnderflow)
}

func zeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
}

func TestCompareNumbers(t *testing.T) {
	f := func(a, b string, want int) {
		t.Helper()
		if got := CompareNumbers(a, b); got != want {
			t.Fatalf("CompareNumbers(%q, %q) = %d, want %d", a, b, got, want)
		}
		if got := CompareNumbers(b, a); got != -want {
			t.Fatalf("CompareNumbers(%q, %q) = %d, want %d", b, a, got, -want)
		}
	}
	f("1", "2", -1)
	f("10", "9", 1)
	f("-10", "-9", -1)
	f("0", "-0.001", 1)
	f("1.5", "1.50", 0)
	f("100", "1e2", 0)
	f("0.001", "0.01", -1)
	f("-1", "0", -1)
	f("123.456", "123.45", 1)
}

func TestArithmetic(t *testing.T) {
	f := func(a, b, sum, diff string) {
		t.Helper()
		if got, err := AddNumbers(a, b); err != nil || got != sum {
			t.Fatalf("AddNumbers(%q, %q) = %q, %v; want %q", a, b, got, err, sum)
		}
		if got, err := SubNumbers(a, b); err != nil || got != diff {
			t.Fatalf("SubNumbers(%q, %q) = %q, %v; want %q", a, b, got, err, diff)
		}
	}
	f("1", "2", "3", "-1")
	f("0.1", "0.2", "0.3", "-0.1")
	f("1.5", "1.5", "3", "0")
	f("-5", "2.25", "-2.75", "-7.25")
	if _, err := AddNumbers("9e125", "9e125"); err == nil {
		t.Fatal("overflow not detected")
	}
}
