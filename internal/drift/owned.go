package drift

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// respectedNames are managers that RespectedManager respects by exact name.
var respectedNames = map[string]bool{
	"kube-controller-manager":   true, // HPA (scale subresource), Deployment revision, ...
	"horizontal-pod-autoscaler": true,
	"cluster-autoscaler":        true,
	"vpa-updater":               true,
	"vpa-recommender":           true,
	"vpa-admission-controller":  true,
	"keda-operator":             true,
}

// respectedSuffixes are name endings of managers that RespectedManager
// respects: controllers and operators by convention.
var respectedSuffixes = []string{"-controller", "-controller-manager", "-operator", "-autoscaler"}

// RespectedManager reports whether the fields manager owns are left to it:
// true for the controllers listed in respectedNames (kube-controller-manager,
// horizontal-pod-autoscaler, cluster-autoscaler, the VPA's, keda-operator)
// and for any name ending in "-controller", "-controller-manager",
// "-operator" or "-autoscaler"; false for everything else, in particular
// kubectl and its variants ("kubectl", "kubectl-edit", "kubectl-client-side-
// apply", "kubectl-label", ...), Helm itself and unknown managers, whose
// changes to manifest fields are drift.
func RespectedManager(manager string) bool {
	if respectedNames[manager] {
		return true
	}
	if strings.HasPrefix(manager, "kubectl") {
		return false
	}
	for _, s := range respectedSuffixes {
		if strings.HasSuffix(manager, s) && len(manager) > len(s) {
			return true
		}
	}
	return false
}

// respectedFields returns the managedFields entries (FieldsV1, decoded) of
// the managers respect accepts, other than self, on the main resource (not
// status or other subresources, whose fields are not in a manifest; the
// scale subresource is included: it writes spec.replicas).
func respectedFields(entries []metav1.ManagedFieldsEntry, self string, respect func(string) bool) ([]map[string]any, error) {
	var out []map[string]any
	for _, e := range entries {
		if e.Manager == self || !respect(e.Manager) || e.FieldsV1 == nil || e.Subresource == "status" {
			continue
		}
		var f map[string]any
		if err := json.Unmarshal(e.FieldsV1.GetRawBytes(), &f); err != nil {
			return nil, fmt.Errorf("managed fields of %q: %w", e.Manager, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// strip removes from config (an applied object, as decoded JSON) every
// field that owned (one manager's FieldsV1, decoded) names as a leaf, and
// returns the paths removed (see formatPath). Maps that stripping empties are
// removed too; the key fields of an associative list element are kept, so
// the element stays addressable. owned entries with no counterpart in config
// are ignored.
func strip(config map[string]any, owned map[string]any) []string {
	var removed []string
	stripMap(config, owned, nil, nil, &removed)
	return removed
}

// stripMap strips owned from m (a map node); keys are field names to keep
// (the parent list element's key fields).
func stripMap(m map[string]any, owned map[string]any, keys map[string]bool, path []string, removed *[]string) {
	for k, sub := range owned {
		name, ok := strings.CutPrefix(k, "f:")
		if !ok {
			continue // "." or a list key at a map level: nothing to remove here
		}
		v, present := m[name]
		if !present || keys[name] {
			continue
		}
		p := append(append([]string(nil), path...), fieldSegment(name))
		children, _ := sub.(map[string]any)
		if isLeaf(children) {
			delete(m, name)
			*removed = append(*removed, joinPath(p))
			continue
		}
		switch node := v.(type) {
		case map[string]any:
			stripMap(node, children, nil, p, removed)
			if len(node) == 0 {
				delete(m, name)
			}
		case []any:
			m[name] = stripList(node, children, p, removed)
		}
	}
}

// stripList strips owned (keyed by "k:", "v:" or "i:" elements) from l and
// returns the list left.
func stripList(l []any, owned map[string]any, path []string, removed *[]string) []any {
	drop := map[int]bool{}
	for k, sub := range owned {
		children, _ := sub.(map[string]any)
		switch {
		case strings.HasPrefix(k, "k:"):
			var key map[string]any
			if err := json.Unmarshal([]byte(k[2:]), &key); err != nil {
				continue
			}
			for _, e := range l {
				em, ok := e.(map[string]any)
				if !ok || !matchesKey(em, key) {
					continue
				}
				keep := map[string]bool{}
				for n := range key {
					keep[n] = true
				}
				stripMap(em, children, keep, append(append([]string(nil), path...), keySegment(key)), removed)
			}
		case strings.HasPrefix(k, "v:"):
			for i, e := range l {
				if sameJSON(e, json.RawMessage(k[2:])) {
					drop[i] = true
					*removed = append(*removed, joinPath(append(append([]string(nil), path...), "["+k[2:]+"]")))
				}
			}
		case strings.HasPrefix(k, "i:"):
			i, err := strconv.Atoi(k[2:])
			if err != nil || i < 0 || i >= len(l) {
				continue
			}
			p := append(append([]string(nil), path...), "["+k[2:]+"]")
			if isLeaf(children) {
				drop[i] = true
				*removed = append(*removed, joinPath(p))
			} else if em, ok := l[i].(map[string]any); ok {
				stripMap(em, children, nil, p, removed)
			}
		}
	}
	if len(drop) == 0 {
		return l
	}
	out := make([]any, 0, len(l)-len(drop))
	for i, e := range l {
		if !drop[i] {
			out = append(out, e)
		}
	}
	return out
}

// isLeaf reports whether a FieldsV1 node names a field itself rather than
// fields below it: it is empty or holds only the "." marker.
func isLeaf(children map[string]any) bool {
	for k := range children {
		if k != "." {
			return false
		}
	}
	return true
}

// matchesKey reports whether element e has every key field of key with the
// same value.
func matchesKey(e, key map[string]any) bool {
	for n, want := range key {
		got, ok := e[n]
		if !ok || !sameJSON(got, want) {
			return false
		}
	}
	return true
}

// sameJSON compares two decoded JSON values by their encoding, so that
// int64 (from an object) and float64 (from a key) of the same number match.
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, ja) != nil || json.Compact(&cb, jb) != nil {
		return false
	}
	return ca.String() == cb.String()
}
