package drift

import (
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/jsonpointer"
)

// Ignore is one driftIgnore rule of a component: fields of the objects it
// selects that Detect does not report and Repair does not set back.
type Ignore struct {
	// Group, Version, Kind, Name and Namespace select objects; an empty
	// field matches every value. Namespace never matches a cluster-scoped
	// object; a namespaced object's namespace is resolved (the release's
	// when the manifest names none).
	Group, Version, Kind, Name, Namespace string
	// Paths are RFC 6901 JSON pointers; each names a field and everything
	// below it. A pointer that does not parse is skipped (the merge refuses
	// them before they get here).
	Paths []string
}

// matches reports whether the rule selects ref.
func (ig Ignore) matches(ref health.ObjectRef) bool {
	for _, f := range [][2]string{{ig.Group, ref.Group}, {ig.Version, ref.Version}, {ig.Kind, ref.Kind}, {ig.Name, ref.Name}, {ig.Namespace, ref.Namespace}} {
		if f[0] != "" && f[0] != f[1] {
			return false
		}
	}
	return true
}

// ignoredPointers returns the parsed pointers of the rules that select ref,
// in rule order.
func ignoredPointers(rules []Ignore, ref health.ObjectRef) [][]string {
	var out [][]string
	for _, r := range rules {
		if !r.matches(ref) {
			continue
		}
		for _, p := range r.Paths {
			if toks, err := jsonpointer.Parse(p); err == nil && len(toks) > 0 {
				out = append(out, toks)
			}
		}
	}
	return out
}

// keepLive makes cfg (the object to apply) hold live's value at each
// pointer: copied where live has the field (and cfg its parent), removed
// from cfg where live has none. Applied so, an ignored field neither differs
// in the dry run nor is set back by a repair, whoever owns it; copying
// rather than dropping the field keeps it when Helm's manager owns it (a
// value an admission policy rewrote on CREATE is attributed to Helm), where
// an apply without it would delete it. live nil (an object to recreate)
// leaves cfg as it is, and so does a pointer whose list index names
// different elements in the two (see aligned).
func keepLive(cfg, live map[string]any, pointers [][]string) {
	if live == nil {
		return
	}
	for _, toks := range pointers {
		if !aligned(cfg, live, toks) {
			continue
		}
		if v, ok := jsonpointer.Get(live, toks); ok {
			// A copy, so the applied object shares nothing with live.
			jsonpointer.Set(cfg, toks, runtime.DeepCopyJSONValue(v))
		} else {
			jsonpointer.Remove(cfg, toks)
		}
	}
}

// aligned reports whether toks names the same list elements in cfg and
// live: at every list index where both elements are maps, their "name"
// fields are equal. A pointer written against the manifest
// (".../containers/0/image") must not copy a sidecar's image that an
// injector put first in the live list into the manifest's container.
func aligned(cfg, live any, toks []string) bool {
	for _, t := range toks {
		cl, ok1 := cfg.([]any)
		ll, ok2 := live.([]any)
		if ok1 && ok2 {
			ce, cok := jsonpointer.Get(cl, []string{t})
			le, lok := jsonpointer.Get(ll, []string{t})
			if cok && lok && elementName(ce) != elementName(le) {
				return false
			}
		}
		var ok bool
		if cfg, ok = jsonpointer.Get(cfg, []string{t}); !ok {
			return true
		}
		if live, ok = jsonpointer.Get(live, []string{t}); !ok {
			return true
		}
	}
	return true
}

// elementName is a list element's "name" field, "" without one.
func elementName(e any) string {
	m, _ := e.(map[string]any)
	n, _ := m["name"].(string)
	return n
}
