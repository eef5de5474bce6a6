package deploy

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// ruleKey is a rule in canonical form: every list sorted, so two rules that
// grant the same thing compare equal whatever order their YAML uses.
func ruleKey(r rbacv1.PolicyRule) string {
	norm := func(s []string) string {
		c := slices.Clone(s)
		slices.Sort(c)
		return strings.Join(c, ",")
	}
	return fmt.Sprintf("groups=[%s] resources=[%s] names=[%s] urls=[%s] verbs=[%s]",
		norm(r.APIGroups), norm(r.Resources), norm(r.ResourceNames), norm(r.NonResourceURLs), norm(r.Verbs))
}

// diffRules returns the rules only in want (-) and only in got (+), or ""
// when both grant exactly the same rule set.
func diffRules(want, got []rbacv1.PolicyRule) string {
	set := func(rs []rbacv1.PolicyRule) map[string]bool {
		m := map[string]bool{}
		for _, r := range rs {
			m[ruleKey(r)] = true
		}
		return m
	}
	w, g := set(want), set(got)
	var out []string
	for k := range w {
		if !g[k] {
			out = append(out, "- "+k)
		}
	}
	for k := range g {
		if !w[k] {
			out = append(out, "+ "+k)
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}
