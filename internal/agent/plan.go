package agent

import (
	"fmt"
	"slices"
	"time"

	"github.com/kubecube-io/hotplug/internal/drift"
	"github.com/kubecube-io/hotplug/internal/helm"
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
	// ActionBlocked leaves the release as it is while the steps planned for
	// it wait for other components (Gate; Step.Reason says which); their
	// change wakes the component.
	ActionBlocked Action = "blocked"
	// ActionHoldUninstall leaves the release as it is while the absence of
	// the configuration that asks for its uninstall is not confirmed
	// (decideAbsence; Step.Reason says why); no status is written, the
	// component is looked at again after KindRecheck.
	ActionHoldUninstall Action = "hold-uninstall"
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

// Plan decides, without side effects, what one round of a component's
// reconcile does, from everything the round observed:
//
//  1. the release steps (releaseSteps): a pending release is waited for or
//     recovered; releases elsewhere that the agent manages are uninstalled;
//     the release where the configuration wants it is installed, upgraded,
//     reinstalled or, in sync with Helm but drifted, repaired;
//  2. an uninstall that follows from an absent configuration is held
//     (ActionHoldUninstall) until the absence is confirmed (decideAbsence);
//  3. steps that must follow other components wait for them (ActionBlocked,
//     Gate).
//
// A plan holding an ActionWait, ActionRepair, ActionHoldUninstall or
// ActionBlocked step holds that step alone; an empty plan means in sync.
// What a preview observes (Observe alone) has no absence or gate facts, so
// `hotplug diff` gets the release steps.
func Plan(d Desired, obs Observed) []Step {
	steps := releaseSteps(d, obs)
	if why := absenceHold(d, steps, obs); why != "" {
		return []Step{{Action: ActionHoldUninstall, Namespace: steps[0].Namespace, Reason: why}}
	}
	if why := gateHold(d, steps, obs); why != "" {
		return []Step{{Action: ActionBlocked, Namespace: steps[0].Namespace, Reason: why}}
	}
	return steps
}

// releaseSteps are the steps that bring one component's releases to the
// desired state: Classify, then releases elsewhere that the agent manages
// are uninstalled, then planFor's steps for the state. Releases that the
// agent does not manage are never removed unless the configuration names
// the component (release name = component name adopts it) and switches it
// off.
//
// A pending release comes first. Within this process Helm actions on one
// release are serialized, so a pending release seen here was left by someone
// else: a person running helm, a second agent, or this agent before a crash.
// Those cannot be told apart, so the rule is the age of the pending
// revision: younger than the Helm timeout it is left alone (ActionWait until
// it is that old), older it is recovered.
func releaseSteps(d Desired, obs Observed) []Step {
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
	case !d.Component.HasPackage():
		return "now a feature switch without a package"
	case !d.Component.Enabled:
		return "disabled"
	default:
		return "moved to namespace " + d.Component.Namespace
	}
}

// uninstallsUnnamed tells whether steps uninstall a component that no
// source names: the uninstall an absent configuration asks for, which is
// confirmed first.
func uninstallsUnnamed(d Desired, steps []Step) bool {
	return d.Component == nil && slices.ContainsFunc(steps, func(s Step) bool { return s.Action == ActionUninstall })
}

// absenceHold is why the uninstall among steps is held, or "": only an
// uninstall of a component no source names is, and only by what was read
// to confirm the absence.
func absenceHold(d Desired, steps []Step, obs Observed) string {
	if obs.absence == nil || !uninstallsUnnamed(d, steps) {
		return ""
	}
	return decideAbsence(*obs.absence)
}

// gateHold is why steps wait for other components, or "" (also when
// nothing about them was observed, or nothing is to be done).
func gateHold(d Desired, steps []Step, obs Observed) string {
	if obs.deps == nil || len(steps) == 0 {
		return ""
	}
	return Gate(obs.Name, d, steps, *obs.deps)
}

// driftLeftAlone is why drift found on the in-sync release is not
// repaired, or "" when there is none or it is repaired: the component opted
// out, or it keeps coming back and the repair is held by the backoff.
func driftLeftAlone(d Desired, obs Observed) string {
	if len(obs.Drift) == 0 || releaseIn(obs, d) == nil {
		return ""
	}
	switch {
	case d.Component != nil && d.Component.SkipDriftRepair:
		return "drift left alone (driftRepair: false): " + drift.Describe(obs.Drift, 3)
	case !obs.DriftHeldUntil.IsZero():
		return drift.HeldMessage(obs.Drift, obs.DriftHeldUntil)
	default:
		return ""
	}
}
