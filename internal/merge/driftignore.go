package merge

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/jsonpointer"
)

// Bounds of a component's driftIgnore; the CRD's markers say the same
// (api/hotplug/v1 DriftIgnore), checked again here for objects the schema
// did not see (a stale CRD, a hand-built object).
const (
	MaxDriftIgnore      = 16  // rules per component
	MaxDriftIgnorePaths = 16  // pointers per rule
	maxPointerLen       = 512 // bytes per pointer
)

var (
	dnsSubdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	kindRE         = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)
	errWholeObject = errors.New(`"" names the whole object; to leave every field alone set driftRepair: false`)
)

// driftIgnoreField names element i of spec.component[c].driftIgnore, the
// way the API server names fields of a refused object.
func driftIgnoreField(c, i int) string {
	return fmt.Sprintf("spec.component[%d].driftIgnore[%d]", c, i)
}

// checkDriftIgnore returns the first fault of the driftIgnore of component
// c (its index in the object): too many rules or paths, a target field that
// cannot match any object, or a path that is not an RFC 6901 pointer. The
// field it returns names the element, e.g.
// "spec.component[2].driftIgnore[0].paths[1]".
func checkDriftIgnore(c int, rules []hotplugv1.DriftIgnore) (string, error) {
	base := fmt.Sprintf("spec.component[%d].driftIgnore", c)
	if len(rules) > MaxDriftIgnore {
		return base, fmt.Errorf("%w: %d rules, at most %d", errInvalid, len(rules), MaxDriftIgnore)
	}
	for i, r := range rules {
		field := driftIgnoreField(c, i)
		if f, err := checkTarget(r.Target); err != nil {
			return field + ".target." + f, err
		}
		switch {
		case len(r.Paths) == 0:
			return field + ".paths", fmt.Errorf("%w: at least one path is required", errInvalid)
		case len(r.Paths) > MaxDriftIgnorePaths:
			return field + ".paths", fmt.Errorf("%w: %d paths, at most %d", errInvalid, len(r.Paths), MaxDriftIgnorePaths)
		}
		for j, p := range r.Paths {
			if err := checkPointer(p); err != nil {
				return fmt.Sprintf("%s.paths[%d]", field, j), err
			}
		}
	}
	return "", nil
}

// checkPointer accepts a non-empty RFC 6901 pointer of at most
// maxPointerLen bytes.
func checkPointer(p string) error {
	if p == "" {
		return fmt.Errorf("%w: %w", errInvalid, errWholeObject)
	}
	if len(p) > maxPointerLen {
		return fmt.Errorf("%w: a pointer of %d bytes, at most %d", errInvalid, len(p), maxPointerLen)
	}
	if _, err := jsonpointer.Parse(p); err != nil {
		return fmt.Errorf("%w: %q is not a JSON pointer (RFC 6901): %w", errInvalid, truncate(p), err)
	}
	return nil
}

// checkTarget returns the field and cause of a target field that no object
// could have.
func checkTarget(t hotplugv1.DriftTarget) (string, error) {
	for _, f := range []struct {
		name, value string
		ok          func(string) bool
		want        string
	}{
		{"group", t.Group, func(s string) bool { return len(s) <= 253 && dnsSubdomainRE.MatchString(s) }, "an API group (DNS subdomain)"},
		{"version", t.Version, func(s string) bool { return len(s) <= 63 && dnsLabelRE.MatchString(s) }, "an API version (DNS label)"},
		{"kind", t.Kind, func(s string) bool { return len(s) <= 63 && kindRE.MatchString(s) }, "a kind (letters and digits, e.g. Deployment)"},
		{"name", t.Name, func(s string) bool {
			return len(s) <= 253 && !strings.ContainsAny(s, "/%") && strings.TrimSpace(s) == s && s != "." && s != ".."
		}, "an object name"},
		{"namespace", t.Namespace, func(s string) bool { return len(s) <= maxNamespaceLen && dnsLabelRE.MatchString(s) }, "a namespace (DNS label)"},
	} {
		if f.value != "" && !f.ok(f.value) {
			return f.name, fmt.Errorf("%w: %q is not %s", errInvalid, truncate(f.value), f.want)
		}
	}
	return "", nil
}

// pickDriftIgnore is pickList for driftIgnore: the cluster's rules when it
// has any, else common's (a layer's list replaces the one it inherits, as
// dependsOn does), deep-copied so the Result shares nothing with its inputs.
func pickDriftIgnore(base, over entry) []hotplugv1.DriftIgnore {
	for _, e := range []entry{over, base} {
		if e.spec != nil && len(e.spec.DriftIgnore) > 0 {
			out := make([]hotplugv1.DriftIgnore, len(e.spec.DriftIgnore))
			for i := range e.spec.DriftIgnore {
				e.spec.DriftIgnore[i].DeepCopyInto(&out[i])
			}
			return out
		}
	}
	return nil
}
