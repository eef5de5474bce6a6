package deploy

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubecube-io/hotplug/internal/rollout"
)

// TestAgentRolloutAccess: the pivot's agent may read its own assignment of
// a revision of common and nothing else of the ControllerRevisions; a
// member's agent has no such right in its own cluster (it reads through its
// pivot identity); the agent is told the hub's namespace when it is not
// the default.
func TestAgentRolloutAccess(t *testing.T) {
	revisionRules := func(vals map[string]any) []rbacv1.PolicyRule {
		role := typed[rbacv1.ClusterRole](t, mustRender(t, vals).mustFind(t, "ClusterRole", "hotplug-agent"))
		var out []rbacv1.PolicyRule
		for _, r := range role.Rules {
			if slices.Contains(r.Resources, "controllerrevisions") {
				out = append(out, r)
			}
		}
		return out
	}
	want := []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"controllerrevisions"},
		ResourceNames: []string{rollout.AssignmentName("pivot-cluster")}, Verbs: []string{"get", "list", "watch"}}}
	if d := diffRules(want, revisionRules(pivotValues())); d != "" {
		t.Errorf("pivot agent's ControllerRevision rules:\n%s", d)
	}
	if got := revisionRules(memberValues()); len(got) != 0 {
		t.Errorf("member agent reads ControllerRevisions in its own cluster: %+v", got)
	}

	args := func(vals map[string]any) []string {
		d := typed[appsv1.Deployment](t, mustRender(t, vals).mustFind(t, "Deployment", "hotplug-agent"))
		var out []string
		for _, a := range container(t, d, "agent").Args {
			if strings.HasPrefix(a, "--rollout-namespace") {
				out = append(out, a)
			}
		}
		return out
	}
	if got := args(pivotValues()); len(got) != 0 {
		t.Errorf("pivot in the default namespace: %q", got)
	}
	if got := args(memberValues()); len(got) != 0 {
		t.Errorf("member of a pivot in the default namespace: %q", got)
	}
	member := memberValues()
	member["pivot"].(map[string]any)["namespace"] = "hotplug-hub"
	if got := args(member); !slices.Equal(got, []string{"--rollout-namespace=hotplug-hub"}) {
		t.Errorf("member of a pivot in hotplug-hub: %q", got)
	}
	member["pivot"].(map[string]any)["namespace"] = "Not_A_Namespace"
	if _, err := renderChart(t, member); err == nil || !strings.Contains(err.Error(), "namespace") {
		t.Errorf("a bad pivot.namespace was accepted: %v", err)
	}
}
