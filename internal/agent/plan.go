package agent

import (
	"fmt"
	"time"

	"github.com/kubecube-io/hotplug/internal/drift"
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
	// ActionRecover repairs a release left pending longer than the Helm
	// timeout (by a crashed agent or anyone else); the component is planned
	// again afterwards.
	ActionRecover Action = "recover"
	// ActionWait leaves a release that is pending in someone else's hands
	// alone until Step.Until, then the component is planned again.
	ActionWait Action = "wait"
	// ActionRepair sets objects of an in-sync release that someone changed
	// or deleted back to the release's manifest, without a Helm revision.
	ActionRepair Action = "repair"
)

// Step is an action on the release in one namespace.
type Step struct {
	Action    Action
	Namespace string
	// Reason is a short sentence for logs and events.
	Reason string
	// Until, for ActionWait, is when the wait ends.
	Until time.Time
}

// Observed is what the cluster holds for one component.
type Observed struct {
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
	return d.Component != nil && d.Component.Enabled && d.Component.PkgName != ""
}

// isManaged tells whether this agent may remove r: it is recorded in the
// inventory or carries the agent's label.
func isManaged(r *helm.Release, obs Observed) bool {
	return r.Namespace == obs.ManagedNamespace || r.Labels[LabelManagedBy] == ManagedByValue
}

// ReleaseState classifies the release a component has where the
// configuration wants it, against what the configuration wants (the
// observed states of helm-controller's reconciler, in hotplug's terms).
type ReleaseState string

// The states Classify returns. Plan maps each to its steps (remediation
// included) through the table planFor.
const (
	// StateLocked: some release of the component is pending-*: an action
	// of someone else, in flight or abandoned.
	StateLocked ReleaseState = "Locked"
	// StateUnwanted: the configuration wants no release (disabled, removed,
	// a feature switch); releases the agent may remove are uninstalled.
	StateUnwanted ReleaseState = "Unwanted"
	// StateAbsent: wanted, no release in the desired namespace.
	StateAbsent ReleaseState = "Absent"
	// StateInterrupted: wanted, the release is left uninstalling.
	StateInterrupted ReleaseState = "Interrupted"
	// StateFailedInstall: wanted, the first install failed and never served.
	StateFailedInstall ReleaseState = "FailedInstall"
	// StateOutOfSync: wanted, the release is failed (after an upgrade) or
	// made from another chart or other values.
	StateOutOfSync ReleaseState = "OutOfSync"
	// StateDrifted: in sync with Helm, but objects were changed or deleted
	// by hand and may be repaired now.
	StateDrifted ReleaseState = "Drifted"
	// StateInSync: deployed at the desired chart and values, nothing to
	// repair (or repair not allowed now).
	StateInSync ReleaseState = "InSync"
)

// Classify returns the state of the component's release in the desired
// namespace, and that release (nil when there is none or none is wanted).
// A pending release anywhere makes the state StateLocked and is returned.
func Classify(d Desired, obs Observed) (ReleaseState, *helm.Release) {
	for _, r := range obs.Releases {
		if helm.IsPending(r.Status) {
			return StateLocked, r
		}
	}
	if !d.wantsRelease() {
		return StateUnwanted, nil
	}
	var here *helm.Release
	for _, r := range obs.Releases {
		if r.Namespace == d.Component.Namespace {
			here = r
		}
	}
	switch {
	case here == nil:
		return StateAbsent, nil
	case here.Status == "uninstalling":
		return StateInterrupted, here
	case here.Status == "failed" && here.Revision == 1:
		return StateFailedInstall, here
	case here.Status != "deployed" || releaseDigest(here) != shortDigest(d.Digest):
		return StateOutOfSync, here
	case len(obs.Drift) > 0 && !d.Component.SkipDriftRepair && obs.DriftHeldUntil.IsZero():
		return StateDrifted, here
	default:
		return StateInSync, here
	}
}

// planFor is the remediation policy: the steps for the release in the
// desired namespace ns, by state. StateLocked and StateUnwanted are handled
// before it (they concern every namespace).
var planFor = map[ReleaseState]func(ns string, obs Observed) []Step{
	StateAbsent: func(ns string, _ Observed) []Step {
		return []Step{{Action: ActionInstall, Namespace: ns, Reason: "enabled and not installed"}}
	},
	StateInterrupted: func(ns string, _ Observed) []Step {
		return []Step{{Action: ActionUninstall, Namespace: ns, Reason: "finishing an interrupted uninstall"}, {Action: ActionInstall, Namespace: ns, Reason: "enabled"}}
	},
	StateFailedInstall: func(ns string, _ Observed) []Step {
		// A first install that failed never served: start again from scratch.
		return []Step{{Action: ActionUninstall, Namespace: ns, Reason: "first install failed"}, {Action: ActionInstall, Namespace: ns, Reason: "retrying install"}}
	},
	StateOutOfSync: func(ns string, _ Observed) []Step {
		return []Step{{Action: ActionUpgrade, Namespace: ns, Reason: "chart or values changed"}}
	},
	StateDrifted: func(ns string, obs Observed) []Step {
		return []Step{{Action: ActionRepair, Namespace: ns, Reason: drift.Describe(obs.Drift, 3)}}
	},
	StateInSync: func(string, Observed) []Step { return nil },
}

// Plan decides, without side effects, the steps that bring one component's
// releases to the desired state: Classify, then releases elsewhere that the
// agent manages are uninstalled, then planFor's steps for the state.
// Releases that the agent does not manage are never removed unless the
// configuration names the component (release name = component name adopts
// it) and switches it off.
//
// A pending release comes first. Within this process Helm actions on one
// release are serialized, so a pending release seen here was left by someone
// else: a person running helm, a second agent, or this agent before a crash.
// Those cannot be told apart, so the rule is the age of the pending
// revision: younger than the Helm timeout it is left alone (ActionWait until
// it is that old), older it is recovered.
func Plan(d Desired, obs Observed) []Step {
	state, rel := Classify(d, obs)
	if state == StateLocked {
		return []Step{pendingStep(rel, obs)}
	}
	var steps []Step
	for _, r := range obs.Releases {
		named := d.Component != nil
		switch {
		case d.wantsRelease() && r.Namespace == d.Component.Namespace:
			// the release planFor acts on
		case named && r.Namespace == d.Component.Namespace, isManaged(r, obs):
			steps = append(steps, Step{Action: ActionUninstall, Namespace: r.Namespace, Reason: uninstallReason(d)})
		}
	}
	if state == StateUnwanted {
		return steps
	}
	return append(steps, planFor[state](d.Component.Namespace, obs)...)
}

// pendingStep waits for a pending release held by someone else, or
// recovers it once it is older than the timeout.
func pendingStep(r *helm.Release, obs Observed) Step {
	if r.Since.IsZero() {
		return Step{Action: ActionRecover, Namespace: r.Namespace, Reason: "release left " + r.Status + " at an unknown time"}
	}
	until, held := helm.Held(r, obs.Now, obs.timeout())
	if held || obs.Now.IsZero() {
		return Step{Action: ActionWait, Namespace: r.Namespace, Reason: helm.HeldMessage(r, until), Until: until}
	}
	return Step{Action: ActionRecover, Namespace: r.Namespace,
		Reason: fmt.Sprintf("release left %s since %s, longer than the %s Helm timeout", r.Status, r.Since.UTC().Format(time.RFC3339), obs.timeout())}
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
