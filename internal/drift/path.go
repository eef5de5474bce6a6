package drift

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// MaxFields bounds the field paths one Drift lists; Drift.MoreFields counts
// the rest.
const MaxFields = 8

// maxPathBytes bounds one formatted path.
const maxPathBytes = 160

// fieldSegment formats a map key: ".name" for identifier-like keys,
// `["key"]` for the others (labels, annotations, ConfigMap keys with dots or
// slashes).
func fieldSegment(name string) string {
	if name != "" && strings.IndexFunc(name, func(r rune) bool {
		return r != '_' && r != '-' && (r < '0' || r > '9') && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z')
	}) < 0 {
		return "." + name
	}
	return fmt.Sprintf("[%q]", name)
}

// keySegment formats an associative list element by its key fields, in
// name order: "[name=web]", "[containerPort=80,protocol=TCP]".
func keySegment(key map[string]any) string {
	parts := make([]string, 0, len(key))
	for _, n := range slices.Sorted(maps.Keys(key)) {
		parts = append(parts, fmt.Sprintf("%s=%v", n, key[n]))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// joinPath joins segments into a path without a leading dot, bounded to
// maxPathBytes.
func joinPath(segs []string) string {
	p := strings.TrimPrefix(strings.Join(segs, ""), ".")
	if len(p) > maxPathBytes {
		p = p[:maxPathBytes-3] + "..."
	}
	return p
}

// ignoredMeta are metadata fields a dry run may change without anything
// drifting, or that no manifest sets.
var ignoredMeta = []string{"managedFields", "resourceVersion", "generation"}

// diffPaths returns the paths (sorted, unique) where live and want differ,
// ignoring status and metadata.managedFields, resourceVersion and
// generation. Maps are compared key by key; lists of equal length element by
// element, an element named "[name=x]" when both sides are maps with the same
// "name", else "[i]"; lists of different length, and values of different
// types, are one difference at the list or value itself.
func diffPaths(live, want map[string]any) []string {
	ds := diffs(live, want)
	if len(ds) == 0 {
		return nil
	}
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.path
	}
	return out
}

// difference is one path where live and want differ, with the live key of
// the node (see liveKey) that tells who set it.
type difference struct {
	path, live string
}

// diffs is diffPaths with the live keys, sorted and unique by path.
func diffs(live, want map[string]any) []difference {
	l := trimmed(live)
	w := trimmed(want)
	var out []difference
	diffValue(l, w, nil, "", &out)
	slices.SortFunc(out, func(a, b difference) int { return strings.Compare(a.path, b.path) })
	return slices.CompactFunc(out, func(a, b difference) bool { return a.path == b.path })
}

// trimmed returns a shallow copy of obj without the ignored fields.
func trimmed(obj map[string]any) map[string]any {
	out := maps.Clone(obj)
	delete(out, "status")
	if md, ok := out["metadata"].(map[string]any); ok {
		md = maps.Clone(md)
		for _, k := range ignoredMeta {
			delete(md, k)
		}
		out["metadata"] = md
	}
	return out
}

// diffValue appends to out the paths where a (live, at live key key) and b
// differ.
func diffValue(a, b any, path []string, key string, out *[]difference) {
	add := func(p []string, k string) { *out = append(*out, difference{path: joinPath(p), live: k}) }
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			add(path, key)
			return
		}
		for _, k := range slices.Sorted(maps.Keys(av)) {
			p := append(append([]string(nil), path...), fieldSegment(k))
			if bx, ok := bv[k]; ok {
				diffValue(av[k], bx, p, liveKey(key, k), out)
			} else {
				add(p, liveKey(key, k))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(bv)) {
			if _, ok := av[k]; !ok {
				add(append(append([]string(nil), path...), fieldSegment(k)), liveKey(key, k))
			}
		}
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			add(path, key)
			return
		}
		for i := range av {
			diffValue(av[i], bv[i], append(append([]string(nil), path...), elementSegment(av[i], bv[i], i)), liveKey(key, indexSeg(i)), out)
		}
	default:
		if !reflect.DeepEqual(a, b) {
			add(path, key)
		}
	}
}

// elementSegment names list element i: by its "name" when both sides have
// the same one, else by index.
func elementSegment(a, b any, i int) string {
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if ok1 && ok2 {
		if an, ok := am["name"].(string); ok {
			if bn, _ := bm["name"].(string); bn == an {
				return "[name=" + an + "]"
			}
		}
	}
	return fmt.Sprintf("[%d]", i)
}

// bound returns at most MaxFields of paths and how many were left out.
func bound(paths []string) ([]string, int) {
	if len(paths) <= MaxFields {
		return paths, 0
	}
	return paths[:MaxFields:MaxFields], len(paths) - MaxFields
}
