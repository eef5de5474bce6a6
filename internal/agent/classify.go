package agent

import (
	"github.com/kubecube-io/hotplug/internal/drift"
	"github.com/kubecube-io/hotplug/internal/helm"
)

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
