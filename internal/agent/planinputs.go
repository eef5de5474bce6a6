package agent

import (
	"time"

	"github.com/kubecube-io/hotplug/internal/drift"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// Observed is what the cluster holds for one component: everything Plan
// decides on.
type Observed struct {
	// Name is the component's name, which its releases carry.
	Name string
	// Releases named after the component, at most one per namespace looked
	// at (the desired namespace and the inventory's).
	Releases []*helm.Release
	// ManagedNamespace is where the inventory says this agent put the
	// component's release; empty when it never managed one.
	ManagedNamespace string
	// Now is when the releases were read. A zero Now cannot tell a pending
	// release's age, so it is never taken over (a preview says wait).
	Now time.Time
	// Timeout is the Helm action timeout: a pending release younger than
	// that may still be in flight elsewhere and is left alone. Zero means
	// the default (5m).
	Timeout time.Duration
	// Drift is what a drift check found on the in-sync release's objects;
	// nil when no check ran.
	Drift []drift.Drift
	// DriftHeldUntil, when set, is the end of the backoff of a release that
	// keeps drifting: no repair before then.
	DriftHeldUntil time.Time

	// What only the agent looks at; a preview (`hotplug diff`) leaves them
	// unset and so plans without ordering or the absence check.

	// deps is what the dependency gate knows about the other components;
	// nil: no ordering.
	deps *Dependencies
	// absence is what was read to confirm an absent configuration before
	// an uninstall that follows from it; nil: no confirmation was needed.
	absence *absenceFacts
	// driftRecheck, when the release is in sync with Helm and its drift
	// check was put off, is how soon the check is due.
	driftRecheck time.Duration
}

// DefaultTimeout is the Helm action timeout when Options.Timeout is zero.
const DefaultTimeout = 5 * time.Minute

func (o Observed) timeout() time.Duration {
	if o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
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
	return d.Component != nil && d.Component.Enabled && d.Component.HasPackage()
}

// desiredNamespaceIfWanted is the namespace the component's release should
// live in, or "" when it should have none.
func desiredNamespaceIfWanted(d Desired) string {
	if !d.wantsRelease() {
		return ""
	}
	return d.Component.Namespace
}

func desiredNamespace(d Desired) string {
	if d.Component == nil {
		return ""
	}
	return d.Component.Namespace
}

// isManaged tells whether this agent may remove r: it is recorded in the
// inventory or carries the agent's label.
func isManaged(r *helm.Release, obs Observed) bool {
	return r.Namespace == obs.ManagedNamespace || r.Labels[LabelManagedBy] == ManagedByValue
}

// releaseIn returns the observed release in the desired namespace.
func releaseIn(obs Observed, d Desired) *helm.Release {
	for _, rel := range obs.Releases {
		if d.Component != nil && rel.Namespace == d.Component.Namespace {
			return rel
		}
	}
	return nil
}
