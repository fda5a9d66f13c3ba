package ddb

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is the JSON codec for AttributeValues. Decoding is split in two
// phases, as DynamoDB does it: shape errors (a number where a string belongs,
// bad base64, …) are SerializationExceptions raised while decoding; value
// rules (empty sets, duplicates, bad numbers, several types in one value)
// are ValidationExceptions raised later, in request-validation order. So the
// decoder never fails on a value rule: it stores the value as invalid
// (T == 0) with DynamoDB's message in S, and Problem reports it.
//
// DynamoDB runs one of two value validators depending on the operation
// (Layer), and they word some problems differently; where they do, S holds
// both texts, the older first, separated by a NUL byte (which no message
// contains).

// UnmarshalJSON decodes one AttributeValue object.
func (v *Value) UnmarshalJSON(b []byte) error {
	s := scanner{b: b}
	if err := s.value(v, 1); err != nil {
		return err
	}
	return nil
}

// Layer names which of DynamoDB's two attribute-value validators checks a
// request's values. Observed per operation (paritysuite/dynamodb-conformance
// tier3 valueLayers, four regions, 2026-10): PutItem, UpdateItem,
// DeleteItem, GetItem, BatchGetItem and Query run the current one;
// BatchWriteItem, TransactWriteItems, TransactGetItems and Scan the older.
type Layer uint8

const (
	// LayerOlder: duplicate members printed as sent, an empty number
	// without a colon, exponents read as Java's BigDecimal reads them.
	LayerOlder Layer = iota
	// LayerCurrent: duplicate members quoted in the validator's order, an
	// empty number with ": ", exponents range-checked as 64-bit integers.
	LayerCurrent
)

// Problem returns the older layer's validation message for the first
// invalid value inside v (v itself, or a list/map element), or "" when v
// is valid.
func (v *Value) Problem() string { return v.ProblemIn(LayerOlder) }

// ProblemIn is Problem in the wording of layer l.
func (v *Value) ProblemIn(l Layer) string {
	switch v.T {
	case 0:
		older, current, two := strings.Cut(v.S, "\x00")
		if two && l == LayerCurrent {
			return current
		}
		return older
	case TypeL:
		for i := range v.L {
			if p := v.L[i].ProblemIn(l); p != "" {
				return p
			}
		}
	case TypeM:
		for _, e := range v.M {
			if p := e.ProblemIn(l); p != "" {
				return p
			}
		}
	}
	return ""
}

// ItemProblem returns the first Problem of any attribute of it, or "".
func ItemProblem(it Item) string { return ItemProblemIn(it, LayerOlder) }

// ItemProblemIn is ItemProblem in the wording of layer l.
func ItemProblemIn(it Item, l Layer) string {
	for _, v := range it {
		if p := v.ProblemIn(l); p != "" {
			return p
		}
	}
	return ""
}

// Value rule messages, verbatim from DynamoDB.
const (
	msgEmptyAV      = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
	msgMultiTypeAV  = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
	msgNullNotTrue  = "One or more parameter values were invalid: Null attribute value types must have the value of true"
	msgEmptySS      = "One or more parameter values were invalid: An string set  may not be empty"
	msgEmptyNS      = "One or more parameter values were invalid: An number set  may not be empty"
	msgEmptyBS      = "One or more parameter values were invalid: Binary sets should not be empty"
	msgNSDuplicates = "Input collection contains duplicates"
)

// msgBadUTF8 answers strings that are not valid UTF-8.
const msgBadUTF8 = "Invalid UTF-8 encoding in JSON string"

// MaxDepth is DynamoDB's nesting limit for documents: a top-level
// attribute is level 1, and a map or list may not sit at level MaxDepth
// (31 nested maps under an attribute pass, 32 fail, as in DynamoDB).
const MaxDepth = 32

// MsgNesting answers a document nested past MaxDepth. Current DynamoDB
// (2026, every region the paritysuite/dynamodb-conformance suite probes)
// adds the clause after the colon; older recordings end at "limits".
const MsgNesting = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"

type scanner struct {
	b []byte
	i int
}

func serr(msg string) error { return Serialization(msg) }

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// kind reports the JSON kind of the next value: '{', '[', '"', 't', 'f', 'n', '0' (number).
func (s *scanner) kind() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	c := s.b[s.i]
	switch c {
	case '{', '[', '"', 't', 'f', 'n':
		return c
	}
	if c == '-' || (c >= '0' && c <= '9') {
		return '0'
	}
	return 0
}

func (s *scanner) expect(c byte) error {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != c {
		return serr("Unexpected character in JSON input")
	}
	s.i++
	return nil
}

// str reads a JSON string.
func (s *scanner) str() (string, error) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", serr("Unexpected character in JSON input")
	}
	s.i++
	start := s.i
	ascii := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == '"' {
			if !ascii && !utf8.Valid(s.b[start:s.i]) {
				return "", serr(msgBadUTF8)
			}
			out := string(s.b[start:s.i])
			s.i++
			return out, nil
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
		if c == '\\' || c < 0x20 {
			break
		}
		s.i++
	}
	// Slow path: escapes.
	buf := append([]byte(nil), s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			if !utf8.Valid(buf) {
				return "", serr(msgBadUTF8)
			}
			return string(buf), nil
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return "", serr("Unexpected end of JSON input")
			}
			e := s.b[s.i]
			s.i++
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := s.hex4()
				if !ok {
					return "", serr("Invalid escape in JSON string")
				}
				if r >= 0xD800 && r < 0xDC00 && s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					save := s.i
					s.i += 2
					r2, ok := s.hex4()
					if ok && r2 >= 0xDC00 && r2 < 0xE000 {
						r = (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
					} else {
						s.i = save
					}
				}
				buf = utf8.AppendRune(buf, rune(r))
			default:
				return "", serr("Invalid escape in JSON string")
			}
		case c < 0x20:
			return "", serr("Illegal unquoted character in JSON string")
		default:
			buf = append(buf, c)
			s.i++
		}
	}
	return "", serr("Unexpected end of JSON input")
}

func (s *scanner) hex4() (int, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(s.b[s.i:s.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	s.i += 4
	return int(n), true
}

// UnquoteString decodes one raw JSON string (quotes included, nothing
// after it) with the same rules as the AttributeValue decoder: escapes,
// surrogate pairs, and UTF-8 validity. ok is false for anything else.
func UnquoteString(raw []byte) (string, bool) {
	s := scanner{b: raw}
	out, err := s.str()
	return out, err == nil && s.i == len(raw)
}

// skip skips any JSON value, by the raw reader's rules (raw.go): the
// decoder and the proxy's hit path accept exactly the same JSON.
func (s *scanner) skip() error {
	s.ws()
	if j := SkipValue(s.b, s.i); j >= 0 {
		s.i = j
		return nil
	}
	// Invalid: find DynamoDB's message.
	if s.kind() == '"' {
		if _, err := s.str(); err != nil {
			return err
		}
	}
	if s.i >= len(s.b) {
		return serr("Unexpected end of JSON input")
	}
	return serr("Unexpected character in JSON input")
}

func (s *scanner) lit(word string) error {
	if s.i+len(word) > len(s.b) || string(s.b[s.i:s.i+len(word)]) != word {
		return serr("Unexpected character in JSON input")
	}
	s.i += len(word)
	return nil
}

// typeMismatch returns DynamoDB's SerializationException text for a JSON
// value of the wrong kind where a scalar of javaType belongs.
func (s *scanner) typeMismatch(javaType string) error {
	switch s.kind() {
	case 't':
		return serr("TRUE_VALUE cannot be converted to " + javaType)
	case 'f':
		return serr("FALSE_VALUE cannot be converted to " + javaType)
	case '0':
		start := s.i
		_ = s.skip()
		for _, c := range s.b[start:s.i] {
			if c == '.' || c == 'e' || c == 'E' {
				return serr("DECIMAL_VALUE cannot be converted to " + javaType)
			}
		}
		return serr("NUMBER_VALUE cannot be converted to " + javaType)
	case '"':
		return serr("STRING_VALUE cannot be converted to " + javaType)
	case '[':
		return serr("Unrecognized collection type class java.lang." + javaType)
	case '{':
		return serr("Start of structure or map found where not expected")
	}
	return serr("Unexpected character in JSON input")
}

// stringField reads a JSON string where DynamoDB expects a String member.
func (s *scanner) stringField() (string, error) {
	if s.kind() != '"' {
		return "", s.typeMismatch("String")
	}
	return s.str()
}

func (s *scanner) blobField() ([]byte, error) {
	switch s.kind() {
	case '"':
	case 't', 'f', '0':
		_ = s.skip()
		return nil, serr("only base-64-encoded strings are convertible to bytes")
	case '[':
		return nil, serr("Unrecognized collection type class java.nio.ByteBuffer")
	case '{':
		return nil, serr("Start of structure or map found where not expected")
	default:
		return nil, serr("Unexpected character in JSON input")
	}
	text, err := s.str()
	if err != nil {
		return nil, err
	}
	return DecodeBase64(text)
}

// DecodeBase64 decodes a Blob member with DynamoDB's SerializationException texts.
func DecodeBase64(text string) ([]byte, error) {
	if len(text)%4 != 0 {
		return nil, serr("Base64 encoded length is expected a multiple of 4 bytes but found: " + strconv.Itoa(len(text)))
	}
	out, err := base64.StdEncoding.Strict().DecodeString(text)
	if err != nil {
		return nil, serr("Invalid last non-pad Base64 character dectected")
	}
	return out, nil
}

func (s *scanner) boolField() (bool, error) {
	switch s.kind() {
	case 't':
		return true, s.lit("true")
	case 'f':
		return false, s.lit("false")
	case '"':
		text, err := s.str()
		if err != nil {
			return false, err
		}
		switch text {
		case "true", "TRUE", "True", "1", "yes", "YES", "Yes":
			return true, nil
		case "false", "FALSE", "False", "0", "no", "NO", "No":
			return false, nil
		}
		return false, serr("Unexpected token received from parser")
	case '0':
		return false, s.typeMismatch("Boolean")
	case '[':
		return false, serr("Unrecognized collection type class java.lang.Boolean")
	case '{':
		return false, serr("Start of structure or map found where not expected")
	}
	return false, serr("Unexpected character in JSON input")
}

// list iterates a JSON array, calling fn for each element.
func (s *scanner) list(fn func() error) error {
	switch s.kind() {
	case '[':
	case '{':
		return serr("Start of structure or map found where not expected")
	case 0:
		return serr("Unexpected character in JSON input")
	default:
		_ = s.skip()
		return serr("Unexpected field type")
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
			continue
		}
		return s.expect(']')
	}
}

// object iterates a JSON object, calling fn with each key positioned at its value.
func (s *scanner) object(fn func(key string) error) error {
	s.i++ // '{'
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		key, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
			continue
		}
		return s.expect('}')
	}
}

// isNull consumes a JSON null if one is next.
func (s *scanner) isNull() bool {
	if s.kind() == 'n' && s.lit("null") == nil {
		return true
	}
	return false
}

// avState is what value gathers across the members of one AttributeValue
// object: how many type members it had, and the first value-rule problem.
type avState struct {
	types   int
	problem string // older layer's text
	current string // current layer's text, when it differs
}

func (st *avState) fail(msg string) { st.fail2(msg, "") }

// fail2 records a problem the two layers word differently.
func (st *avState) fail2(older, current string) {
	if st.problem == "" {
		st.problem, st.current = older, current
	}
}

// value decodes one AttributeValue object into v. Its phases: the JSON
// kind of the value, each member (member), then the rules over the whole
// object (exactly one type).
func (s *scanner) value(v *Value, depth int) error {
	switch s.kind() {
	case '{':
	case '[':
		return serr("Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue")
	case '"', 't', 'f', '0':
		_ = s.skip()
		return serr("Unexpected value type in payload")
	default:
		return serr("Unexpected character in JSON input")
	}
	*v = Value{}
	var st avState
	if err := s.object(func(key string) error { return s.member(v, key, depth, &st) }); err != nil {
		return err
	}
	switch {
	case st.problem != "":
	case st.types == 0:
		st.problem = msgEmptyAV
	case st.types > 1:
		st.problem = msgMultiTypeAV
	}
	if st.problem != "" {
		msg := st.problem
		if st.current != "" && st.current != msg {
			msg += "\x00" + st.current
		}
		*v = Value{S: msg}
	}
	return nil
}

// member decodes the member key of an AttributeValue object into v.
// Unknown members are skipped; null ones count as absent.
func (s *scanner) member(v *Value, key string, depth int, st *avState) error {
	if s.isNull() {
		return nil
	}
	switch key {
	case "S":
		text, err := s.stringField()
		if err != nil {
			return err
		}
		st.types++
		v.T, v.S = TypeS, text
	case "N":
		text, err := s.stringField()
		if err != nil {
			return err
		}
		st.types++
		c, older, current := checkNumber(text)
		if older != "" {
			st.fail2(older, current)
		}
		v.T, v.S = TypeN, c
	case "B":
		b, err := s.blobField()
		if err != nil {
			return err
		}
		st.types++
		if b == nil {
			b = []byte{}
		}
		v.T, v.B = TypeB, b
	case "BOOL":
		b, err := s.boolField()
		if err != nil {
			return err
		}
		st.types++
		v.T, v.Bool = TypeBOOL, b
	case "NULL":
		b, err := s.boolField()
		if err != nil {
			return err
		}
		st.types++
		if !b {
			st.fail(msgNullNotTrue)
		}
		v.T = TypeNULL
	case "SS", "NS":
		return s.stringSet(v, key == "NS", st)
	case "BS":
		return s.binarySet(v, st)
	case "L":
		return s.listValue(v, depth, st)
	case "M":
		return s.mapValue(v, depth, st)
	default:
		return s.skip()
	}
	return nil
}

// stringSet decodes an SS or (numbers) NS member.
func (s *scanner) stringSet(v *Value, numbers bool, st *avState) error {
	var elems []string
	err := s.list(func() error {
		if s.isNull() {
			return nil
		}
		text, err := s.stringField()
		if err != nil {
			return err
		}
		elems = append(elems, text)
		return nil
	})
	if err != nil {
		return err
	}
	st.types++
	if !numbers {
		v.T, v.SS = TypeSS, elems
		if len(elems) == 0 {
			st.fail(msgEmptySS)
		} else if hasDuplicate(elems) {
			st.fail2("One or more parameter values were invalid: Input collection ["+joinComma(elems)+"] contains duplicates.",
				"One or more parameter values were invalid: Input collection ["+strings.Join(quoteAll(dupOrder(elems, strings.Compare)), ", ")+"] contains duplicates.")
		}
		return nil
	}
	if len(elems) == 0 {
		st.fail(msgEmptyNS)
	}
	bad := false
	for i, e := range elems {
		c, older, current := checkNumber(e)
		if older != "" {
			st.fail2(older, current)
			bad = true
			break
		}
		elems[i] = c
	}
	if !bad && st.problem == "" && hasDuplicate(elems) {
		st.fail2(msgNSDuplicates, "One or more parameter values were invalid: "+msgNSDuplicates+".")
	}
	v.T, v.SS = TypeNS, elems
	return nil
}

// binarySet decodes a BS member.
func (s *scanner) binarySet(v *Value, st *avState) error {
	var elems [][]byte
	var texts []string
	err := s.list(func() error {
		if s.isNull() {
			return nil
		}
		b, err := s.blobField()
		if err != nil {
			return err
		}
		if b == nil {
			b = []byte{}
		}
		elems = append(elems, b)
		texts = append(texts, base64.StdEncoding.EncodeToString(b))
		return nil
	})
	if err != nil {
		return err
	}
	st.types++
	if len(elems) == 0 {
		st.fail(msgEmptyBS)
	} else if hasDuplicate(texts) {
		order := dupOrder(elems, bytes.Compare)
		shown := make([]string, len(order))
		for i, b := range order {
			shown[i] = base64.StdEncoding.EncodeToString(b)
		}
		st.fail2("One or more parameter values were invalid: Input collection ["+joinComma(texts)+"]of type BS contains duplicates.",
			"One or more parameter values were invalid: Input collection ["+strings.Join(quoteAll(shown), ",")+"]of type BS contains duplicates.")
	}
	v.T, v.BS = TypeBS, elems
	return nil
}

// listValue decodes an L member.
func (s *scanner) listValue(v *Value, depth int, st *avState) error {
	if depth >= MaxDepth {
		return Validation(MsgNesting)
	}
	elems := []Value{}
	err := s.list(func() error {
		var e Value
		if s.isNull() {
			return nil
		}
		if err := s.value(&e, depth+1); err != nil {
			return err
		}
		elems = append(elems, e)
		return nil
	})
	if err != nil {
		return err
	}
	st.types++
	v.T, v.L = TypeL, elems
	return nil
}

// mapValue decodes an M member.
func (s *scanner) mapValue(v *Value, depth int, st *avState) error {
	if depth >= MaxDepth {
		return Validation(MsgNesting)
	}
	switch s.kind() {
	case '{':
	case '[':
		return serr("Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>")
	default:
		_ = s.skip()
		return serr("Unexpected field type")
	}
	m := map[string]Value{}
	err := s.object(func(k string) error {
		if s.isNull() {
			return nil
		}
		var e Value
		if err := s.value(&e, depth+1); err != nil {
			return err
		}
		m[k] = e
		return nil
	})
	if err != nil {
		return err
	}
	st.types++
	v.T, v.M = TypeM, m
	return nil
}

func hasDuplicate(xs []string) bool {
	if len(xs) < 2 {
		return false
	}
	if len(xs) <= 8 {
		for i := range xs {
			for j := i + 1; j < len(xs); j++ {
				if xs[i] == xs[j] {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(xs))
	for _, x := range xs {
		if _, ok := seen[x]; ok {
			return true
		}
		seen[x] = struct{}{}
	}
	return false
}

func joinComma(xs []string) string {
	n := 0
	for _, x := range xs {
		n += len(x) + 2
	}
	b := make([]byte, 0, n)
	for i, x := range xs {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, x...)
	}
	return string(b)
}

// dupOrder lists set members as the current validator reports a duplicate:
// it adds them one by one to a sorted set, and at the first repeat prints
// the set so far, the repeat, then the members not yet read, as sent.
func dupOrder[T any](xs []T, cmp func(a, b T) int) []T {
	var sorted []T
	for i, x := range xs {
		j, found := slices.BinarySearchFunc(sorted, x, cmp)
		if found {
			out := append(sorted, x)
			return append(out, xs[i+1:]...)
		}
		sorted = slices.Insert(sorted, j, x)
	}
	return sorted
}

// quoteAll renders each string as a JSON string.
func quoteAll(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(AppendString(nil, x))
	}
	return out
}

// DecodeItem decodes a JSON object of AttributeValues (an item or key).
func DecodeItem(b []byte) (Item, error) {
	var it Item
	if err := decodeItemInto(b, &it); err != nil {
		return nil, err
	}
	return it, nil
}

func decodeItemInto(b []byte, it *Item) error {
	s := scanner{b: b}
	switch s.kind() {
	case '{':
	case '[':
		return serr("Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>")
	default:
		return serr("Unexpected field type")
	}
	m := Item{}
	err := s.object(func(k string) error {
		if s.isNull() {
			return nil
		}
		var v Value
		if err := s.value(&v, 1); err != nil {
			return err
		}
		m[k] = v
		return nil
	})
	*it = m
	return err
}

// ItemJSON wraps an Item for encoding/json: it decodes with DynamoDB's rules
// and encodes in wire form. Use it for request and response struct fields.
type ItemJSON struct{ Item Item }

// UnmarshalJSON implements json.Unmarshaler.
func (j *ItemJSON) UnmarshalJSON(b []byte) error { return decodeItemInto(b, &j.Item) }

// MarshalJSON implements json.Marshaler.
func (j ItemJSON) MarshalJSON() ([]byte, error) { return AppendItem(nil, j.Item), nil }

// MarshalJSON implements json.Marshaler.
func (v Value) MarshalJSON() ([]byte, error) { return AppendValue(nil, v), nil }

// AppendItem appends the wire JSON of an item ({"name":{AV},…}).
func AppendItem(dst []byte, it Item) []byte {
	dst = append(dst, '{')
	first := true
	for k, v := range it {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = AppendString(dst, k)
		dst = append(dst, ':')
		dst = AppendValue(dst, v)
	}
	return append(dst, '}')
}

// AppendValue appends the wire JSON of one AttributeValue.
func AppendValue(dst []byte, v Value) []byte {
	switch v.T {
	case TypeS:
		dst = append(dst, `{"S":`...)
		dst = AppendString(dst, v.S)
	case TypeN:
		dst = append(dst, `{"N":"`...)
		dst = append(dst, v.S...)
		dst = append(dst, '"')
	case TypeB:
		dst = append(dst, `{"B":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, v.B)
		dst = append(dst, '"')
	case TypeBOOL:
		if v.Bool {
			return append(dst, `{"BOOL":true}`...)
		}
		return append(dst, `{"BOOL":false}`...)
	case TypeNULL:
		return append(dst, `{"NULL":true}`...)
	case TypeL:
		dst = append(dst, `{"L":[`...)
		for i := range v.L {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendValue(dst, v.L[i])
		}
		dst = append(dst, ']')
	case TypeM:
		dst = append(dst, `{"M":`...)
		dst = AppendItem(dst, v.M)
	case TypeSS, TypeNS:
		if v.T == TypeSS {
			dst = append(dst, `{"SS":[`...)
		} else {
			dst = append(dst, `{"NS":[`...)
		}
		for i, e := range v.SS {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, e)
		}
		dst = append(dst, ']')
	case TypeBS:
		dst = append(dst, `{"BS":[`...)
		for i, e := range v.BS {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = base64.StdEncoding.AppendEncode(dst, e)
			dst = append(dst, '"')
		}
		dst = append(dst, ']')
	default:
		return append(dst, `{}`...)
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string. Non-ASCII UTF-8 is written as is;
// invalid UTF-8 bytes become U+FFFD.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
