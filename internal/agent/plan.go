package agent

import (
	"strings"

	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// Action is one thing the agent does to a release.
type Action string

// The actions a plan can hold.
const (
	ActionNone      Action = "none"
	ActionInstall   Action = "install"
	ActionUpgrade   Action = "upgrade"
	ActionUninstall Action = "uninstall"
	// ActionRecover repairs a release left pending by a crashed agent; the
	// component is planned again afterwards.
	ActionRecover Action = "recover"
)

// Step is an action on the release in one namespace.
type Step struct {
	Action    Action
	Namespace string
	// Reason is a short sentence for logs and events.
	Reason string
}

// Observed is what the cluster holds for one component.
type Observed struct {
	// Releases named after the component, at most one per namespace looked
	// at (the desired namespace and the inventory's).
	Releases []*helm.Release
	// ManagedNamespace is where the inventory says this agent put the
	// component's release; empty when it never managed one.
	ManagedNamespace string
}

// Desired is what the effective configuration asks for one component; nil
// Component means the configuration no longer names it.
type Desired struct {
	Component *merge.Component
	// Digest identifies the desired chart content and values; set when the
	// component is enabled with a package.
	Digest string
}

// wantsRelease tells whether the component should have a release.
func (d Desired) wantsRelease() bool {
	return d.Component != nil && d.Component.Enabled && d.Component.PkgName != ""
}

// isManaged tells whether this agent may remove r: it is recorded in the
// inventory or carries the agent's label.
func isManaged(r *helm.Release, obs Observed) bool {
	return r.Namespace == obs.ManagedNamespace || r.Labels[LabelManagedBy] == ManagedByValue
}

// Plan decides, without side effects, the steps that bring one component's
// releases to the desired state. Releases that the agent does not manage are
// never removed unless the configuration names the component (release name
// = component name adopts it) and switches it off.
func Plan(d Desired, obs Observed) []Step {
	var steps []Step
	var here *helm.Release
	for _, r := range obs.Releases {
		if strings.HasPrefix(r.Status, "pending-") {
			return []Step{{Action: ActionRecover, Namespace: r.Namespace, Reason: "release left " + r.Status}}
		}
		named := d.Component != nil
		switch {
		case d.wantsRelease() && r.Namespace == d.Component.Namespace:
			here = r
		case named && r.Namespace == d.Component.Namespace:
			steps = append(steps, Step{ActionUninstall, r.Namespace, uninstallReason(d)})
		case isManaged(r, obs):
			steps = append(steps, Step{ActionUninstall, r.Namespace, uninstallReason(d)})
		}
	}
	if !d.wantsRelease() {
		return steps
	}
	ns := d.Component.Namespace
	switch {
	case here == nil:
		steps = append(steps, Step{ActionInstall, ns, "enabled and not installed"})
	case here.Status == "uninstalling":
		steps = append(steps, Step{ActionUninstall, ns, "finishing an interrupted uninstall"}, Step{ActionInstall, ns, "enabled"})
	case here.Status == "failed" && here.Revision == 1:
		// A first install that failed never served: start again from scratch.
		steps = append(steps, Step{ActionUninstall, ns, "first install failed"}, Step{ActionInstall, ns, "retrying install"})
	case here.Status != "deployed" || releaseDigest(here) != shortDigest(d.Digest):
		steps = append(steps, Step{ActionUpgrade, ns, "chart or values changed"})
	}
	return steps
}

func uninstallReason(d Desired) string {
	switch {
	case d.Component == nil:
		return "removed from the configuration"
	case d.Component.PkgName == "":
		return "now a feature switch without a package"
	case !d.Component.Enabled:
		return "disabled"
	default:
		return "moved to namespace " + d.Component.Namespace
	}
}
