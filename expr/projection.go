package expr

import (
	"github.com/dynax/dynax/ddb"
)

// ParseProjection parses a ProjectionExpression into its document paths,
// in the order written, resolving #name placeholders against a (which
// records their use). Overlapping paths ("a, a.b") and conflicting ones
// ("a.b, a[0]") are errors, as in DynamoDB.
func ParseProjection(text string, a *Attrs) ([]Path, error) {
	const which = "ProjectionExpression"
	if err := checkText(text, which, false); err != nil {
		return nil, err
	}
	p := getParser(text, modeProjection)
	defer putParser(p)
	var paths []Path
	err := run(which, func() {
		paths = p.projection()
		if p.walkErr != "" {
			panic(parseFail{p.walkErr})
		}
		v := validator{a: a}
		root := &pathNode{}
		for i := len(paths) - 1; i >= 0; i-- {
			v.resolvePath(paths[i])
			if msg := root.insert(paths[i], nil); msg != "" {
				v.fail(msg)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return paths, nil
}

// AttributesToGet converts the legacy AttributesToGet parameter into
// projection paths (each a top-level attribute).
func AttributesToGet(names []string) []Path {
	paths := make([]Path, len(names))
	elems := make([]PathElem, len(names))
	for i, n := range names {
		elems[i] = PathElem{Name: n}
		paths[i] = Path(elems[i : i+1 : i+1])
	}
	return paths
}

// Project returns the parts of item that paths designate, with DynamoDB's
// projection semantics: nested maps keep only the projected keys, lists
// keep only the projected elements, closed up in index order, and paths
// that do not exist (or go through a scalar) are left out, as are maps and
// lists left empty by that. The result shares unchanged values with item.
// A nil item projects to nil. Overlapping paths are not expected (the
// parser rejects them); duplicates are harmless.
func Project(item ddb.Item, paths []Path) ddb.Item {
	if item == nil {
		return nil
	}
	out := make(ddb.Item, len(paths))
	nested := false
	for _, p := range paths {
		if len(p) != 1 {
			nested = true
			break
		}
	}
	if !nested {
		for _, p := range paths {
			if v, ok := item[p[0].Name]; ok {
				out[p[0].Name] = v
			}
		}
		return out
	}
	// Nested paths: build a tree of the projected paths, then copy the
	// designated parts of the item along it.
	root := &projNode{}
	for _, p := range paths {
		root.add(p)
	}
	for _, k := range root.kids {
		v, ok := item[k.elem.Name]
		if !ok {
			continue
		}
		if pv, ok := k.project(v); ok {
			out[k.elem.Name] = pv
		}
	}
	return out
}

// projNode is a node of the tree of projected paths; a node without
// children takes the whole value.
type projNode struct {
	elem PathElem
	kids []*projNode
	all  bool // a path ends here: take the whole value
}

func (n *projNode) add(p Path) {
	for _, e := range p {
		var next *projNode
		for _, k := range n.kids {
			if k.elem == e {
				next = k
				break
			}
		}
		if next == nil {
			next = &projNode{elem: e}
			n.kids = append(n.kids, next)
		}
		n = next
	}
	n.all = true
}

// project returns the part of v that n's subtree designates.
func (n *projNode) project(v ddb.Value) (ddb.Value, bool) {
	if n.all {
		return v, true
	}
	switch v.T {
	case ddb.TypeM:
		var m map[string]ddb.Value
		for _, k := range n.kids {
			if k.elem.IsIndex || k.elem.opaque {
				continue
			}
			cv, ok := v.M[k.elem.Name]
			if !ok {
				continue
			}
			if pv, ok := k.project(cv); ok {
				if m == nil {
					m = make(map[string]ddb.Value, len(n.kids))
				}
				m[k.elem.Name] = pv
			}
		}
		if m == nil {
			return ddb.Value{}, false
		}
		return ddb.Value{T: ddb.TypeM, M: m}, true
	case ddb.TypeL:
		// Collect projected elements in index order.
		idx := make([]int, 0, len(n.kids))
		for i, k := range n.kids {
			if k.elem.IsIndex && k.elem.Index < len(v.L) {
				idx = append(idx, i)
			}
		}
		for i := 1; i < len(idx); i++ {
			for j := i; j > 0 && n.kids[idx[j]].elem.Index < n.kids[idx[j-1]].elem.Index; j-- {
				idx[j], idx[j-1] = idx[j-1], idx[j]
			}
		}
		var l []ddb.Value
		for _, i := range idx {
			k := n.kids[i]
			if pv, ok := k.project(v.L[k.elem.Index]); ok {
				l = append(l, pv)
			}
		}
		if l == nil {
			return ddb.Value{}, false
		}
		return ddb.Value{T: ddb.TypeL, L: l}, true
	}
	return ddb.Value{}, false
}

// CheckKeyPaths rejects, as DynamoDB does, paths that descend into a key
// attribute of the table (keys; "" entries are ignored) or of one of its
// secondary indexes (indexKeys): key attributes are scalars. It is the one
// check of projections (and filters) against a key schema, for the storage
// node and the proxy alike.
func CheckKeyPaths(paths []Path, keys, indexKeys []string) error {
	for _, name := range keys {
		if name != "" && nested(paths, name) {
			return ddb.Validation("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: " + name)
		}
	}
	for _, name := range indexKeys {
		if nested(paths, name) {
			return ddb.Validation("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: " + name)
		}
	}
	return nil
}

// nested reports whether a path descends into the top-level attribute name.
func nested(paths []Path, name string) bool {
	for _, p := range paths {
		if len(p) > 1 && p[0].Name == name && !p[0].IsIndex {
			return true
		}
	}
	return false
}
