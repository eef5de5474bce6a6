package agent

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// The steps that leave the release as it is and wait: the action is to
// record why (the outcome, which the status shows) and to say so once.

// hold carries out an ActionWait step: the release is pending in someone
// else's hands and left alone. It returns how long to wait before looking
// again.
func (r *Reconciler) hold(ctx context.Context, p *pass, s Step, obs Observed) time.Duration {
	changed := false
	r.outs.update(p.name, func(o *Outcome) {
		changed = o.Held != s.Reason
		o.Reconciled, o.Held, o.Release = true, s.Reason, releaseIn(obs, p.d)
		o.ActionErr, o.FailedAction = nil, ""
	})
	if changed {
		ctrl.LoggerFrom(ctx).Info("release held by another actor; left alone", "namespace", s.Namespace, "until", s.Until, "reason", s.Reason)
		r.event(p.common, p.own, p.name, s.Namespace, corev1.EventTypeNormal, "ReleaseHeld", string(ActionWait), "component "+p.name+": "+s.Reason)
	}
	return holdWait(s.Until, time.Now())
}

// holdWait is how long a hold until `until` waits from now: a second past
// the deadline, so the next look sees it expired.
func holdWait(until, now time.Time) time.Duration {
	return max(until.Sub(now), 0) + time.Second
}

// block carries out an ActionBlocked step: the planned action waits for
// other components. The outcome keeps the release visible (a component
// removed from the configuration included) so that the status and the
// components around it see it.
func (r *Reconciler) block(ctx context.Context, p *pass, s Step, obs Observed) {
	rel := releaseIn(obs, p.d)
	if rel == nil && p.d.Component == nil && len(obs.Releases) > 0 {
		rel = obs.Releases[0]
	}
	changed := false
	r.outs.update(p.name, func(o *Outcome) {
		changed = o.Blocked != s.Reason
		o.Reconciled, o.Blocked, o.Held, o.Release = true, s.Reason, "", rel
		o.ActionErr, o.FailedAction = nil, ""
	})
	if changed {
		ctrl.LoggerFrom(ctx).Info("waiting for other components; release left as it is", "reason", s.Reason)
		r.event(p.common, p.own, p.name, s.Namespace, corev1.EventTypeNormal, hotplugv1.ReasonDependencyNotReady, string(ActionWait), "component "+p.name+": "+s.Reason)
	}
}

// holdUninstall carries out an ActionHoldUninstall step: the Hotplugs may
// have vanished with their kind, so nothing is recorded (there may be no
// object to write a status on); the hold is counted and logged.
func (r *Reconciler) holdUninstall(ctx context.Context, p *pass, s Step) {
	uninstallsHeld.WithLabelValues(p.name).Inc()
	ctrl.LoggerFrom(ctx).Info("uninstall held: the configuration is absent, and the absence is not confirmed",
		"reason", s.Reason, "recheck", KindRecheck.String())
}
