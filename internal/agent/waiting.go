package agent

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// dependencies gathers what Gate needs from the agent's records now.
func (r *Reconciler) dependencies(eff merge.Result) Dependencies {
	inv := map[string]string{}
	for _, n := range r.inv.names() {
		inv[n] = r.inv.get(n)
	}
	return Dependencies{Eff: eff, Outs: r.outs.snapshot(), Inventory: inv, Remembered: r.wake.snapshot()}
}

// gate is Gate on the agent's records; a plan without steps has nothing to
// order, and skips gathering them.
func (r *Reconciler) gate(name string, d Desired, steps []Step, eff merge.Result) string {
	if len(steps) == 0 {
		return ""
	}
	return Gate(name, d, steps, r.dependencies(eff))
}

// block records that the component's planned action waits for other
// components, and says so once in an event. The release stays as it is;
// the outcome keeps it visible (a component removed from the configuration
// included) so that the status and the components around it see it.
func (r *Reconciler) block(ctx context.Context, name, why, namespace string, obs Observed, d Desired, common, own *hotplugv1.Hotplug) {
	rel := releaseIn(obs, d)
	if rel == nil && d.Component == nil && len(obs.Releases) > 0 {
		rel = obs.Releases[0]
	}
	changed := false
	r.outs.update(name, func(o *Outcome) {
		changed = o.Blocked != why
		o.Reconciled, o.Blocked, o.Held, o.Release = true, why, "", rel
		o.ActionErr, o.FailedAction = nil, ""
	})
	if changed {
		ctrl.LoggerFrom(ctx).Info("waiting for other components; release left as it is", "reason", why)
		r.event(common, own, name, namespace, corev1.EventTypeNormal, ReasonDependencyNotReady, string(ActionWait), "component "+name+": "+why)
	}
}
