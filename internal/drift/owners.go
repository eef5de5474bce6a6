package drift

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A live key names a node of the live object: its map keys and list
// indexes joined by keySep, indexes written idxMark+decimal. Drift paths and
// managed fields are both resolved to it, so a differing field can be
// matched with the manager that set it.
const (
	keySep  = "\x00"
	idxMark = "\x01"
)

// liveKey appends one segment to a live key.
func liveKey(parent, seg string) string {
	if parent == "" {
		return seg
	}
	return parent + keySep + seg
}

// indexSeg is the live-key segment of list element i.
func indexSeg(i int) string { return idxMark + strconv.Itoa(i) }

// owners maps live keys to the managers that own the node, other than self,
// on the main resource and its scale subresource (status is not in a
// manifest): in nodes, every owned node (a leaf, or a node marked "." such
// as a list element whose existence a manager owns); in leaves, only the
// leaves (a value owned as a whole, below which nobody else owns anything).
type owners struct {
	nodes, leaves map[string][]string
}

// ownersOf resolves the managedFields entries of live against live.
func ownersOf(entries []metav1.ManagedFieldsEntry, live map[string]any, self string) owners {
	out := owners{nodes: map[string][]string{}, leaves: map[string][]string{}}
	add := func(m map[string][]string, key, manager string) {
		if !slices.Contains(m[key], manager) {
			m[key] = append(m[key], manager)
		}
	}
	for _, e := range entries {
		if e.Manager == self || e.FieldsV1 == nil || e.Subresource == "status" {
			continue
		}
		var f map[string]any
		if json.Unmarshal(e.FieldsV1.GetRawBytes(), &f) != nil {
			continue // a manager whose fields cannot be read is not named
		}
		walkOwned(f, live, "", func(key string, leaf bool) {
			add(out.nodes, key, e.Manager)
			if leaf {
				add(out.leaves, key, e.Manager)
			}
		})
	}
	return out
}

// walkOwned calls add with the live key of every node that fields (a
// FieldsV1 node) owns below the live node v at key, and whether it is owned
// as a leaf.
func walkOwned(fields map[string]any, v any, key string, add func(key string, leaf bool)) {
	for k, sub := range fields {
		if k == "." {
			add(key, false)
			continue
		}
		children, _ := sub.(map[string]any)
		var next any
		var seg string
		switch {
		case strings.HasPrefix(k, "f:"):
			seg = k[2:]
			if m, ok := v.(map[string]any); ok {
				next = m[seg]
			}
		case strings.HasPrefix(k, "k:"), strings.HasPrefix(k, "v:"), strings.HasPrefix(k, "i:"):
			l, ok := v.([]any)
			if !ok {
				continue
			}
			i := elementIndex(l, k)
			if i < 0 {
				continue
			}
			seg, next = indexSeg(i), l[i]
		default:
			continue
		}
		p := liveKey(key, seg)
		if isLeaf(children) {
			add(p, true)
			continue
		}
		walkOwned(children, next, p, add)
	}
}

// elementIndex finds the list element a FieldsV1 key ("k:{...}", "v:...",
// "i:n") names in l, -1 when none.
func elementIndex(l []any, k string) int {
	switch k[:2] {
	case "k:":
		var key map[string]any
		if json.Unmarshal([]byte(k[2:]), &key) != nil {
			return -1
		}
		return slices.IndexFunc(l, func(e any) bool {
			em, ok := e.(map[string]any)
			return ok && matchesKey(em, key)
		})
	case "v:":
		return slices.IndexFunc(l, func(e any) bool { return sameJSON(e, json.RawMessage(k[2:])) })
	default:
		i, err := strconv.Atoi(k[2:])
		if err != nil || i < 0 || i >= len(l) {
			return -1
		}
		return i
	}
}

// of returns the managers that set the node at key: owners of the node
// itself or of a leaf above it (a value owned as a whole), else of the
// nodes below it (a list that changed length); sorted, nil when none.
func (o owners) of(key string) []string {
	var out []string
	addAll := func(ms []string) {
		for _, m := range ms {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	addAll(o.nodes[key])
	for k := key; ; {
		addAll(o.leaves[k])
		i := strings.LastIndex(k, keySep)
		if i < 0 {
			break
		}
		k = k[:i]
	}
	if len(out) == 0 {
		for k, ms := range o.nodes {
			if strings.HasPrefix(k, key+keySep) {
				addAll(ms)
			}
		}
	}
	slices.Sort(out)
	return out
}
