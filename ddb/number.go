package ddb

import (
	"math"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// Number limits as DynamoDB enforces them.
const (
	MaxNumberDigits = 38
	maxExponent     = 125  // largest magnitude is 9.99…E+125
	minExponent     = -130 // smallest magnitude is 1E-130
)

// Number validation messages (exact DynamoDB text).
const (
	msgNumberNotNumeric = "The parameter cannot be converted to a numeric value"
	msgNumberOverflow   = "Number overflow. Attempting to store a number with magnitude larger than supported range"
	msgNumberUnderflow  = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
	msgNumberPrecision  = "Attempting to store more than 38 significant digits in a Number"
)

// decimal is a parsed number: sign, significant digits without leading or
// trailing zeros, and the exponent of the first digit (value = 0.d1d2… × 10^(exp+1)).
// Zero has no digits.
type decimal struct {
	neg    bool
	digits string
	exp    int // position of the first significant digit: 1.5 → 0, 15 → 1, 0.015 → -2
}

// parseDecimal parses DynamoDB number text: an optional '-', digits with at
// most one '.', and an optional exponent. ok is false for anything else.
func parseDecimal(s string) (d decimal, ok bool) {
	i := 0
	// One sign, either: DynamoDB accepts "+5", "+.5" and "+1e-2" and
	// stores them without the plus (issue 16).
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		d.neg = s[i] == '-'
		i++
	}
	var buf [64]byte
	digits := buf[:0]
	intDigits := 0 // digits before '.', leading zeros dropped
	seenDigit, seenDot := false, false
	leadingFracZeros := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			seenDigit = true
			if len(digits) == 0 && c == '0' {
				if seenDot {
					leadingFracZeros++
				}
				continue
			}
			digits = append(digits, c)
			if !seenDot {
				intDigits++
			}
			continue
		}
		if c == '.' && !seenDot {
			seenDot = true
			continue
		}
		break
	}
	if !seenDigit {
		return d, false
	}
	exp := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return d, false
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return d, false
		}
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return d, false
			}
			// DynamoDB reads the exponent as a 64-bit integer: past that
			// the text is not a number at all (paritysuite/dynamodb-
			// conformance limits/numberExponent).
			if exp > (math.MaxInt64-int(c-'0'))/10 {
				return d, false
			}
			exp = exp*10 + int(c-'0')
		}
		// Far past any valid magnitude either way, and small enough that
		// the position arithmetic below cannot overflow.
		exp = min(exp, 1<<40)
		if eneg {
			exp = -exp
		}
	}
	// Trim trailing zeros of the significand.
	n := len(digits)
	for n > 0 && digits[n-1] == '0' {
		n--
	}
	if n == 0 {
		// Zero keeps the exponent it is written with, which DynamoDB
		// range-checks like any other ("0e126" overflows): that of a 0
		// with as many decimals as were written.
		return decimal{exp: exp - leadingFracZeros}, true
	}
	d.digits = string(digits[:n])
	if intDigits > 0 {
		d.exp = intDigits - 1 + exp
	} else {
		d.exp = -leadingFracZeros - 1 + exp
	}
	return d, true
}

// check applies DynamoDB's range and precision rules.
func (d decimal) check() string {
	if d.exp > maxExponent {
		return msgNumberOverflow
	}
	if d.exp < minExponent {
		return msgNumberUnderflow
	}
	if len(d.digits) > MaxNumberDigits {
		return msgNumberPrecision
	}
	return ""
}

// String renders plain (never exponential) notation, the form DynamoDB returns.
func (d decimal) String() string {
	if d.digits == "" {
		return "0"
	}
	var b strings.Builder
	if d.neg {
		b.WriteByte('-')
	}
	switch {
	case d.exp < 0:
		b.WriteString("0.")
		for i := 0; i < -d.exp-1; i++ {
			b.WriteByte('0')
		}
		b.WriteString(d.digits)
	case d.exp+1 >= len(d.digits):
		b.WriteString(d.digits)
		for i := len(d.digits); i < d.exp+1; i++ {
			b.WriteByte('0')
		}
	default:
		b.WriteString(d.digits[:d.exp+1])
		b.WriteByte('.')
		b.WriteString(d.digits[d.exp+1:])
	}
	return b.String()
}

// CanonicalNumber validates number text as DynamoDB does and returns its
// canonical form ("1.50" → "1.5", "1e2" → "100", "-0" → "0"). The error is a
// ValidationException with DynamoDB's message.
func CanonicalNumber(s string) (string, error) {
	if s == "" {
		return "", Validation(msgNumberNotNumeric)
	}
	d, ok := parseDecimal(s)
	if !ok {
		return "", Validation(msgNumberNotNumeric + ": " + s)
	}
	if msg := d.check(); msg != "" {
		return "", Validation(msg)
	}
	return d.String(), nil
}

// checkNumber is CanonicalNumber for the decoder: the canonical text, or
// the problem in the older layer's words and (when they differ) the
// current layer's. The older layer reads numbers as Java's BigDecimal:
// an empty string has no ": " tail, and the count of digits before the
// point (precision − scale) is a 32-bit int, so 1e2147483647 wraps to an
// underflow (paritysuite/dynamodb-conformance valueLayers, four regions).
func checkNumber(s string) (canon, older, current string) {
	if s == "" {
		return "", msgNumberNotNumeric, msgNumberNotNumeric + ": "
	}
	d, ok := parseDecimal(s)
	if !ok {
		return "", msgNumberNotNumeric + ": " + s, ""
	}
	if msg := d.check(); msg != "" {
		older = msg
		if lead := int64(d.exp) + 1; lead > math.MaxInt32 && lead < 1<<32 { // int32(lead) < 0
			older = msgNumberUnderflow
		}
		return "", older, msg
	}
	return d.String(), "", ""
}

// CompareNumbers compares two valid number texts by value: -1, 0 or +1.
// Invalid text compares as zero.
func CompareNumbers(a, b string) int {
	if a == b {
		return 0
	}
	da, _ := parseDecimal(a)
	db, _ := parseDecimal(b)
	return compareDecimal(da, db)
}

func compareDecimal(a, b decimal) int {
	sa, sb := a.sign(), b.sign()
	if sa != sb {
		if sa < sb {
			return -1
		}
		return 1
	}
	if sa == 0 {
		return 0
	}
	c := 0
	switch {
	case a.exp != b.exp:
		if a.exp < b.exp {
			c = -1
		} else {
			c = 1
		}
	default:
		c = strings.Compare(a.digits, b.digits)
	}
	return c * sa
}

func (d decimal) sign() int {
	switch {
	case d.digits == "":
		return 0
	case d.neg:
		return -1
	}
	return 1
}

// NumberDigits returns the significant digits and the exponent of the
// first digit of valid number text (for sizes and key encodings). Zero has
// no digits. ok is false for invalid text.
func NumberDigits(s string) (neg bool, digits string, exp int, ok bool) {
	d, ok := parseDecimal(s)
	return d.neg, d.digits, d.exp, ok
}

var arith = apd.Context{Precision: 200, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent, Traps: apd.DefaultTraps}

// AddNumbers returns a+b in canonical form, or a ValidationException when
// the result leaves DynamoDB's range or precision.
func AddNumbers(a, b string) (string, error) { return arithNumbers(a, b, false) }

// SubNumbers returns a-b in canonical form, like AddNumbers.
func SubNumbers(a, b string) (string, error) { return arithNumbers(a, b, true) }

func arithNumbers(a, b string, sub bool) (string, error) {
	var x, y, z apd.Decimal
	if _, _, err := x.SetString(a); err != nil {
		return "", Validation(msgNumberNotNumeric + ": " + a)
	}
	if _, _, err := y.SetString(b); err != nil {
		return "", Validation(msgNumberNotNumeric + ": " + b)
	}
	var err error
	if sub {
		_, err = arith.Sub(&z, &x, &y)
	} else {
		_, err = arith.Add(&z, &x, &y)
	}
	if err != nil {
		return "", Validation(msgNumberOverflow)
	}
	return CanonicalNumber(z.Text('E'))
}
