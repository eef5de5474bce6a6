package fleet

import (
	"slices"
	"strings"

	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// orderNote says what a previewed step of component name waits for under
// dependsOn, to be appended to its reason: an install or upgrade runs once
// the components it depends on are Ready, an uninstall of a component that
// is to have no release after the components that depend on it are gone.
// The preview cannot tell readiness (that is the agent's record), so the
// note states the condition, not whether it holds. "" when nothing orders
// the step.
func orderNote(name string, d agent.Desired, s agent.Step, eff merge.Result) string {
	switch {
	case (s.Action == agent.ActionInstall || s.Action == agent.ActionUpgrade) && d.Component != nil && len(d.Component.DependsOn) > 0:
		return "; once " + strings.Join(d.Component.DependsOn, ", ") + " Ready"
	case s.Action == agent.ActionUninstall && (d.Component == nil || !d.Component.Enabled || !d.Component.HasPackage()):
		var dependents []string
		for _, c := range eff.Components {
			if slices.Contains(c.DependsOn, name) {
				dependents = append(dependents, c.Name)
			}
		}
		if len(dependents) > 0 {
			return "; after " + strings.Join(dependents, ", ") + " uninstalled"
		}
	}
	return ""
}
