package ddb

// Sizes as DynamoDB computes them for the 400 KB item limit and for
// capacity units: attribute names count their UTF-8 bytes; strings their
// UTF-8 bytes; binary its raw bytes; numbers about one byte per two
// significant digits plus one; BOOL and NULL one byte; lists and maps three
// bytes plus one per element plus their contents.

// MaxItemSize is DynamoDB's item size limit (400 KB).
const MaxItemSize = 400 * 1024

// ItemSize returns the size of an item.
func ItemSize(it Item) int {
	n := 0
	for k, v := range it {
		n += len(k) + ValueSize(v)
	}
	return n
}

// ValueSize returns the size of one value (without its attribute name).
func ValueSize(v Value) int {
	switch v.T {
	case TypeS:
		return len(v.S)
	case TypeB:
		return len(v.B)
	case TypeN:
		return numberSize(v.S)
	case TypeBOOL, TypeNULL:
		return 1
	case TypeSS:
		n := 0
		for _, s := range v.SS {
			n += len(s)
		}
		return n
	case TypeNS:
		n := 0
		for _, s := range v.SS {
			n += numberSize(s)
		}
		return n
	case TypeBS:
		n := 0
		for _, b := range v.BS {
			n += len(b)
		}
		return n
	case TypeL:
		n := 3
		for _, e := range v.L {
			n += 1 + ValueSize(e)
		}
		return n
	case TypeM:
		return 3 + len(v.M) + ItemSize(v.M)
	}
	return 0
}

func numberSize(s string) int {
	neg, digits, exp, _ := NumberDigits(s)
	if digits == "" {
		return 1
	}
	n := 1 + (len(digits)+1)/2
	if len(digits)%2 == 0 && exp%2 == 0 {
		n++
	}
	if neg {
		n++
	}
	return n
}
