package expr

import (
	"strings"

	"github.com/dynax/dynax/ddb"
)

type actionKind uint8

const (
	actSet    actionKind = iota // SET path = value
	actRemove                   // REMOVE path
	actAdd                      // ADD path :value
	actDelete                   // DELETE path :value
	// Legacy AttributeUpdates actions (top-level attributes only).
	actPut          // PUT
	actLegacyAdd    // ADD: numbers, sets, and lists (appended)
	actLegacyDelete // DELETE with or without a set value
)

// action is one SET/REMOVE/ADD/DELETE clause item.
type action struct {
	kind  actionKind
	path  Path
	value operand // SET value; ADD/DELETE literal; legacy value (kValue)
	noVal bool    // legacy DELETE without a value
}

// Update is a parsed UpdateExpression or a converted AttributeUpdates map.
// It is immutable and may be applied to many items concurrently.
type Update struct {
	actions []action  // in the order written
	root    *pathNode // the updated paths as a tree, actions at the leaves
}

// ParseUpdate parses an UpdateExpression, resolving placeholders against a
// (which records their use). Errors are ValidationExceptions with
// DynamoDB's text, prefixed "Invalid UpdateExpression: ".
func ParseUpdate(text string, a *Attrs) (*Update, error) {
	const which = "UpdateExpression"
	if err := checkText(text, which, false); err != nil {
		return nil, err
	}
	p := getParser(text, modeUpdate)
	defer putParser(p)
	u := &Update{root: &pathNode{}}
	err := run(which, func() {
		p.update()
		if p.walkErr != "" {
			panic(parseFail{p.walkErr})
		}
		u.actions = p.actions
		v := validator{a: a}
		// DynamoDB checks the updated paths first, then the values, both
		// from the last action to the first.
		for i := len(u.actions) - 1; i >= 0; i-- {
			act := &u.actions[i]
			v.resolvePath(act.path)
			if msg := u.root.insert(act.path, act); msg != "" {
				v.fail(msg)
			}
		}
		for i := len(u.actions) - 1; i >= 0; i-- {
			act := &u.actions[i]
			switch act.kind {
			case actSet:
				v.operand(&act.value)
			case actAdd, actDelete:
				v.operand(&act.value)
				name, allowed, set := "ADD", addTypes, "ALLOWED_FOR_ADD_OPERAND"
				if act.kind == actDelete {
					name, allowed, set = "DELETE", setTypes, "ALLOWED_FOR_DELETE_OPERAND"
				}
				if t := act.value.val.T; allowed&typeBit(t) == 0 {
					v.fail(msgActionOperandType + name + ", operand type: " + nodeTypeName(t) + ", typeSet: " + set)
				}
			}
		}
		u.root.sortJava()
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Paths returns the document paths the update writes or removes, in the
// order written, for ReturnValues UPDATED_OLD and UPDATED_NEW (project the
// old or new item on them).
func (u *Update) Paths() []Path {
	ps := make([]Path, len(u.actions))
	for i := range u.actions {
		ps[i] = u.actions[i].path
	}
	return ps
}

// CreatesNothing reports whether the update, applied to an item that does
// not exist, leaves nothing to write: every action removes (REMOVE, DELETE,
// legacy DELETE). DynamoDB then creates no item, and ignores paths that
// would be invalid on an existing item (REMOVE x.y, REMOVE x[0]).
func (u *Update) CreatesNothing() bool {
	for i := range u.actions {
		switch u.actions[i].kind {
		case actRemove, actDelete, actLegacyDelete:
		default:
			return false
		}
	}
	return len(u.actions) > 0
}

// String renders the update in expression syntax with values inlined, one
// clause per action, for logs and tests.
func (u *Update) String() string {
	var b strings.Builder
	for i := range u.actions {
		a := &u.actions[i]
		if i > 0 {
			b.WriteString(", ")
		}
		switch a.kind {
		case actSet:
			b.WriteString("SET " + a.path.String() + " = " + a.value.String())
		case actRemove:
			b.WriteString("REMOVE " + a.path.String())
		case actAdd:
			b.WriteString("ADD " + a.path.String() + " " + a.value.String())
		case actDelete:
			b.WriteString("DELETE " + a.path.String() + " " + a.value.String())
		case actPut:
			b.WriteString("PUT " + a.path.String() + " " + a.value.String())
		case actLegacyAdd:
			b.WriteString("LEGACY_ADD " + a.path.String() + " " + a.value.String())
		case actLegacyDelete:
			if a.noVal {
				b.WriteString("LEGACY_DELETE " + a.path.String())
			} else {
				b.WriteString("LEGACY_DELETE " + a.path.String() + " " + a.value.String())
			}
		}
	}
	return b.String()
}

var (
	errNoAttribute    = ddb.Validation(msgNoAttribute)
	errBadOperandType = ddb.Validation(msgBadOperandType)
	errBadUpdatePath  = ddb.Validation(msgBadUpdatePath)
	errNesting        = ddb.Validation(msgNestingLimit)
	errLegacyMismatch = ddb.Validation(msgLegacyTypeMismatch)
)

// Apply returns the item the update makes of item (nil or empty when the
// item does not exist yet; the caller adds the key). Every value is
// computed from the item as it was before the update, as in DynamoDB.
// Apply never modifies item or anything reachable from it: it copies the
// top-level map and, along each updated path, only the maps and lists it
// changes; everything else is shared with the input. Errors are DynamoDB's
// runtime ValidationExceptions ("The provided expression refers to an
// attribute that does not exist in the item", …).
func (u *Update) Apply(item ddb.Item) (ddb.Item, error) {
	out := make(ddb.Item, len(item)+len(u.root.kids))
	for k, v := range item {
		out[k] = v
	}
	for _, n := range u.root.kids {
		name := n.elem.Name
		old, exists := item[name]
		if n.leaf {
			nv, keep, err := u.leaf(n.act, old, exists, item, 1)
			if err != nil {
				return nil, err
			}
			if keep {
				out[name] = nv
			} else {
				delete(out, name)
			}
			continue
		}
		if !exists {
			return nil, errBadUpdatePath
		}
		nv, err := u.apply(n, old, item, 2)
		if err != nil {
			return nil, err
		}
		out[name] = nv
	}
	return out, nil
}

// apply returns a copy of doc (a map or list) with the updates below n;
// level is the nesting level of doc's elements (top-level attributes are 1).
func (u *Update) apply(n *pathNode, doc ddb.Value, item ddb.Item, level int) (ddb.Value, error) {
	switch doc.T {
	case ddb.TypeM:
		m := make(map[string]ddb.Value, len(doc.M)+len(n.kids))
		for k, v := range doc.M {
			m[k] = v
		}
		for _, k := range n.kids {
			if k.elem.IsIndex || k.elem.opaque {
				return ddb.Value{}, errBadUpdatePath
			}
			old, exists := doc.M[k.elem.Name]
			if k.leaf {
				nv, keep, err := u.leaf(k.act, old, exists, item, level)
				if err != nil {
					return ddb.Value{}, err
				}
				if keep {
					m[k.elem.Name] = nv
				} else {
					delete(m, k.elem.Name)
				}
				continue
			}
			if !exists {
				return ddb.Value{}, errBadUpdatePath
			}
			nv, err := u.apply(k, old, item, level+1)
			if err != nil {
				return ddb.Value{}, err
			}
			m[k.elem.Name] = nv
		}
		return ddb.Value{T: ddb.TypeM, M: m}, nil
	case ddb.TypeL:
		// Results by index; removed elements close up and indexes past the
		// end are appended in index order, as DynamoDB rebuilds lists from
		// an index-sorted map.
		type result struct {
			idx  int
			v    ddb.Value
			keep bool
		}
		var buf [8]result
		res := buf[:0]
		for _, k := range n.kids {
			if !k.elem.IsIndex {
				return ddb.Value{}, errBadUpdatePath
			}
			i := k.elem.Index
			var old ddb.Value
			exists := i < len(doc.L)
			if exists {
				old = doc.L[i]
			}
			var r result
			r.idx = i
			if k.leaf {
				nv, keep, err := u.leaf(k.act, old, exists, item, level)
				if err != nil {
					return ddb.Value{}, err
				}
				r.v, r.keep = nv, keep
			} else {
				if !exists {
					return ddb.Value{}, errBadUpdatePath
				}
				nv, err := u.apply(k, old, item, level+1)
				if err != nil {
					return ddb.Value{}, err
				}
				r.v, r.keep = nv, true
			}
			res = append(res, r)
		}
		// Sort results by index (few of them: insertion sort).
		for i := 1; i < len(res); i++ {
			for j := i; j > 0 && res[j].idx < res[j-1].idx; j-- {
				res[j], res[j-1] = res[j-1], res[j]
			}
		}
		l := make([]ddb.Value, 0, len(doc.L)+len(res))
		ri := 0
		for i := range doc.L {
			if ri < len(res) && res[ri].idx == i {
				if res[ri].keep {
					l = append(l, res[ri].v)
				}
				ri++
				continue
			}
			l = append(l, doc.L[i])
		}
		for ; ri < len(res); ri++ {
			if res[ri].keep {
				l = append(l, res[ri].v)
			}
		}
		return ddb.Value{T: ddb.TypeL, L: l}, nil
	}
	return ddb.Value{}, errBadUpdatePath
}

// leaf computes the new value at the end of an updated path; keep is false
// when the path ends up without a value. level is the nesting level of the
// value (top-level attributes are 1).
func (u *Update) leaf(a *action, old ddb.Value, exists bool, item ddb.Item, level int) (ddb.Value, bool, error) {
	switch a.kind {
	case actSet:
		v, ok, err := evalValue(&a.value, item)
		if err != nil {
			return ddb.Value{}, false, err
		}
		if !ok {
			return ddb.Value{}, false, errNoAttribute
		}
		if tooDeep(&v, level) {
			return ddb.Value{}, false, errNesting
		}
		return v, true, nil
	case actRemove:
		return ddb.Value{}, false, nil
	case actPut:
		return a.value.val, true, nil
	case actAdd, actLegacyAdd:
		val := a.value.val
		if !exists {
			return val, true, nil
		}
		if old.T != val.T {
			if a.kind == actLegacyAdd {
				return ddb.Value{}, false, errLegacyMismatch
			}
			return ddb.Value{}, false, errBadOperandType
		}
		switch val.T {
		case ddb.TypeN:
			s, err := ddb.AddNumbers(old.S, val.S)
			if err != nil {
				return ddb.Value{}, false, err
			}
			return ddb.N(s), true, nil
		case ddb.TypeL:
			if len(val.L) == 0 {
				return old, true, nil
			}
			l := make([]ddb.Value, 0, len(old.L)+len(val.L))
			l = append(append(l, old.L...), val.L...)
			nv := ddb.Value{T: ddb.TypeL, L: l}
			if tooDeep(&nv, level) {
				return ddb.Value{}, false, errNesting
			}
			return nv, true, nil
		}
		return setUnion(old, val), true, nil
	case actDelete, actLegacyDelete:
		if a.noVal || !exists {
			return ddb.Value{}, false, nil
		}
		val := a.value.val
		if old.T != val.T {
			if a.kind == actLegacyDelete {
				return ddb.Value{}, false, errLegacyMismatch
			}
			return ddb.Value{}, false, errBadOperandType
		}
		nv, empty := setDiff(old, val)
		if empty {
			return ddb.Value{}, false, nil
		}
		return nv, true, nil
	}
	return ddb.Value{}, false, nil
}

// evalValue computes an update value from the item before the update. ok
// is false when the value is a missing attribute (allowed only inside
// if_not_exists).
func evalValue(o *operand, item ddb.Item) (ddb.Value, bool, error) {
	switch o.kind {
	case kValue:
		return o.val, true, nil
	case kPath:
		v, ok := resolve(item, o.path)
		return v, ok, nil
	case kPlus, kMinus:
		a, b, err := evalPair(o, item, ddb.TypeN)
		if err != nil {
			return ddb.Value{}, false, err
		}
		var s string
		if o.kind == kPlus {
			s, err = ddb.AddNumbers(a.S, b.S)
		} else {
			s, err = ddb.SubNumbers(a.S, b.S)
		}
		if err != nil {
			return ddb.Value{}, false, err
		}
		return ddb.N(s), true, nil
	}
	switch o.fn {
	case fnIfNotExists:
		first, ok1, err := evalValue(&o.args[0], item)
		if err != nil {
			return ddb.Value{}, false, err
		}
		second, ok2, err := evalValue(&o.args[1], item)
		if err != nil {
			return ddb.Value{}, false, err
		}
		if !ok2 {
			return ddb.Value{}, false, errNoAttribute
		}
		if ok1 {
			return first, true, nil
		}
		return second, true, nil
	case fnListAppend:
		a, b, err := evalPair(o, item, ddb.TypeL)
		if err != nil {
			return ddb.Value{}, false, err
		}
		l := make([]ddb.Value, 0, len(a.L)+len(b.L))
		l = append(append(l, a.L...), b.L...)
		return ddb.Value{T: ddb.TypeL, L: l}, true, nil
	}
	return ddb.Value{}, false, errBadOperandType
}

// evalPair evaluates the two operands of +, - or list_append, which must
// both exist and have type t. As in DynamoDB, both operands are evaluated
// (which may fail inside if_not_exists) before either is checked, and then
// they are checked in order.
func evalPair(o *operand, item ddb.Item, t ddb.Type) (a, b ddb.Value, err error) {
	a, aok, err := evalValue(&o.args[0], item)
	if err != nil {
		return a, b, err
	}
	b, bok, err := evalValue(&o.args[1], item)
	if err != nil {
		return a, b, err
	}
	switch {
	case !aok:
		return a, b, errNoAttribute
	case a.T != t:
		return a, b, errBadOperandType
	case !bok:
		return a, b, errNoAttribute
	case b.T != t:
		return a, b, errBadOperandType
	}
	return a, b, nil
}

// tooDeep reports whether placing v at the given nesting level makes a map
// or list nested 32 levels deep or more.
func tooDeep(v *ddb.Value, level int) bool {
	switch v.T {
	case ddb.TypeM:
		if level >= ddb.MaxDepth {
			return true
		}
		for _, e := range v.M {
			if tooDeep(&e, level+1) {
				return true
			}
		}
	case ddb.TypeL:
		if level >= ddb.MaxDepth {
			return true
		}
		for i := range v.L {
			if tooDeep(&v.L[i], level+1) {
				return true
			}
		}
	}
	return false
}

// setUnion returns a ∪ b for two sets of the same type: a's elements in
// order, then b's elements not in a.
func setUnion(a, b ddb.Value) ddb.Value {
	switch a.T {
	case ddb.TypeBS:
		out := append([][]byte(nil), a.BS...)
		for _, x := range b.BS {
			if !containsBytes(a.BS, x) {
				out = append(out, x)
			}
		}
		return ddb.Value{T: a.T, BS: out}
	default:
		out := append([]string(nil), a.SS...)
		for _, x := range b.SS {
			if !containsString(a.SS, x, a.T == ddb.TypeNS) {
				out = append(out, x)
			}
		}
		return ddb.Value{T: a.T, SS: out}
	}
}

// setDiff returns a \ b for two sets of the same type, and whether it is empty.
func setDiff(a, b ddb.Value) (ddb.Value, bool) {
	switch a.T {
	case ddb.TypeBS:
		var out [][]byte
		for _, x := range a.BS {
			if !containsBytes(b.BS, x) {
				out = append(out, x)
			}
		}
		return ddb.Value{T: a.T, BS: out}, len(out) == 0
	default:
		var out []string
		for _, x := range a.SS {
			if !containsString(b.SS, x, a.T == ddb.TypeNS) {
				out = append(out, x)
			}
		}
		return ddb.Value{T: a.T, SS: out}, len(out) == 0
	}
}

func containsString(set []string, x string, numeric bool) bool {
	for _, y := range set {
		if x == y || numeric && compareNumbers(x, y) == 0 {
			return true
		}
	}
	return false
}

func containsBytes(set [][]byte, x []byte) bool {
	for _, y := range set {
		if string(x) == string(y) {
			return true
		}
	}
	return false
}
