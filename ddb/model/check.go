package model

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/dynax/dynax/ddb"
)

// Check validates the request body of op against the model: first the
// binder (a *ddb.Error SerializationException for JSON that is not valid,
// is null, or holds a value of the wrong kind anywhere), then the
// constraints (a ValidationException listing up to 10 violations).
// Operations the model does not describe, and bodies that are not JSON
// objects, pass unchecked: the operation's own decoder answers them.
func Check(op string, body []byte) error {
	if err := Bind(op, body); err != nil {
		return err
	}
	return Constraints(op, body)
}

// Bind runs only the binder phase of Check.
func Bind(op string, body []byte) error {
	b := trim(body)
	end := ddb.SkipValue(b, 0)
	if end < 0 || end != len(b) {
		return errSyntax
	}
	if ddb.IsNull(b) {
		// A null body binds to no input object at all.
		return errSyntax
	}
	in := Input(op)
	if in == nil || b[0] != '{' {
		return nil
	}
	if _, err := walk(in, b, 0, field); err != nil {
		return err
	}
	return nil
}

// Constraints runs only the constraint phase of Check on a body Bind
// accepted.
func Constraints(op string, body []byte) error {
	in := Input(op)
	b := trim(body)
	if in == nil || len(b) == 0 || b[0] != '{' {
		return nil
	}
	var c collector
	c.structure(in, b, "")
	return c.err()
}

func trim(b []byte) []byte { return bytes.TrimSpace(b) }

// lowerFirst is how DynamoDB spells member names in paths.
func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// Violations are collected as "Value V at 'P' failed to satisfy
// constraint: C"; DynamoDB reports at most 10.
const maxReported = 10

// collector gathers constraint violations in the order they are found.
type collector struct {
	errs []string
}

func (c *collector) add(v []byte, path, constraint string) {
	if len(c.errs) >= maxReported {
		return
	}
	c.errs = append(c.errs, "Value "+Render(v)+" at '"+path+"' failed to satisfy constraint: "+constraint)
}

func (c *collector) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	s := "s"
	if len(c.errs) == 1 {
		s = ""
	}
	return ddb.Validation(strconv.Itoa(len(c.errs)) + " validation error" + s + " detected: " + strings.Join(c.errs, "; "))
}

// members returns the values of s's members in the object b, the last of
// repeated ones, null ones left out.
func members(s *Shape, b []byte) map[string][]byte {
	out := map[string][]byte{}
	it := ddb.NewTrustedObjIter(b)
	for it.Next() {
		m := memberOf(s, it.Key)
		if m == nil {
			continue
		}
		if ddb.IsNull(it.Val) {
			delete(out, m.Name)
			continue
		}
		out[m.Name] = it.Val
	}
	return out
}

// structure checks the members of the object b, in model order.
func (c *collector) structure(s *Shape, b []byte, path string) {
	vals := members(s, b)
	for i := range s.Members {
		m := &s.Members[i]
		p := join(path, lowerFirst(m.Name))
		v, ok := vals[m.Name]
		if !ok {
			if m.Required {
				c.add(nil, p, "Member must not be null")
			}
			continue
		}
		c.value(m.MemberShape(), v, p)
	}
}

// value checks v against s's own constraints, then what v holds.
func (c *collector) value(s *Shape, v []byte, path string) {
	for _, msg := range s.violations(v) {
		c.add(v, path, msg)
	}
	switch s.Kind {
	case Structure:
		c.structure(s, v, path)
	case List:
		el := s.ElemShape()
		if !el.composite() {
			return
		}
		it := ddb.NewArrIter(v)
		for n := 1; it.Next(); n++ {
			if !ddb.IsNull(it.Val) {
				c.value(el, it.Val, path+"."+strconv.Itoa(n)+".member")
			}
		}
	case Map:
		key, el := s.KeyShape(), s.ElemShape()
		badKey, badVal := false, false
		it := ddb.NewTrustedObjIter(v)
		for it.Next() {
			if len(key.violations(it.Key)) > 0 {
				badKey = true
			}
			if !ddb.IsNull(it.Val) && len(el.violations(it.Val)) > 0 {
				badVal = true
			}
		}
		if badKey {
			c.add(v, path, "Map keys must satisfy constraint: ["+strings.Join(key.constraints(), ", ")+"]")
		}
		if badVal {
			c.add(v, path, "Map value must satisfy constraint: ["+strings.Join(el.constraints(), ", ")+"]")
		}
		if !el.composite() {
			return
		}
		it = ddb.NewTrustedObjIter(v)
		for it.Next() {
			if ddb.IsNull(it.Val) {
				continue
			}
			k, _ := ddb.Unquote(it.Key)
			c.inner(el, it.Val, path+"."+k+".member")
		}
	}
}

// inner checks what the composite value v holds, without v's own
// constraints (already reported on its map).
func (c *collector) inner(s *Shape, v []byte, path string) {
	switch s.Kind {
	case Structure:
		c.structure(s, v, path)
	case List:
		el := s.ElemShape()
		if !el.composite() {
			return
		}
		it := ddb.NewArrIter(v)
		for n := 1; it.Next(); n++ {
			if !ddb.IsNull(it.Val) {
				c.value(el, it.Val, path+"."+strconv.Itoa(n)+".member")
			}
		}
	}
}

// composite reports whether s holds members that carry constraints of
// their own.
func (s *Shape) composite() bool {
	return s.Kind == Structure || s.Kind == List || s.Kind == Map
}
