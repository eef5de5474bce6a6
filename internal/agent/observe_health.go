package agent

import (
	"context"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// HealthRecheck is how often a component whose objects are still in
// progress is checked again without any event, so that the health timeout
// turns it to fail on time.
const HealthRecheck = 10 * time.Second

// checkHealth reads the objects of the component's release (one GET per
// object, past the cache) and records their health in the outcome. It
// returns how soon to look again: 0 when the health is settled (ready or
// failed; events bring the next change), shorter while in progress. A
// failed read keeps the health of the same revision, if any, and asks for
// another look.
func (r *Reconciler) checkHealth(ctx context.Context, name string) time.Duration {
	if r.checker == nil {
		return 0
	}
	out := r.outs.get(name)
	rel := out.Release
	if rel == nil || rel.Status != "deployed" {
		if out.Health != nil {
			r.outs.update(name, func(o *Outcome) { o.Health = nil })
		}
		return 0
	}
	start := time.Now()
	objs, err := r.checker.Check(ctx, rel.Manifest, rel.Namespace)
	healthChecks.Inc()
	healthCheckDuration.Observe(time.Since(start).Seconds())
	if err != nil {
		ctrl.LoggerFrom(ctx).Info("cannot check the health of the release's objects; will retry", "error", limits.Message(err.Error(), limits.MaxMessageBytes))
		r.outs.update(name, func(o *Outcome) {
			if o.Health == nil || o.Health.Revision != rel.Revision {
				o.Health = &ReleaseHealth{Revision: rel.Revision, State: healthpkg.Progressing,
					Message: limits.Message("release deployed; cannot check the health of its objects: "+err.Error(), limits.MaxMessageBytes)}
			}
		})
		return HealthRecheck
	}
	since := time.Duration(0)
	if !rel.Since.IsZero() {
		since = time.Since(rel.Since)
	}
	s := healthpkg.Summarize(objs, since, r.opts.HealthTimeout)
	r.outs.update(name, func(o *Outcome) {
		o.Health = &ReleaseHealth{Revision: rel.Revision, State: s.State, Message: s.Message}
	})
	if s.State != healthpkg.Progressing {
		return 0
	}
	wait := HealthRecheck
	if r.opts.HealthTimeout > 0 {
		// Just past the deadline, so that the next look turns it to fail.
		wait = min(wait, max(r.opts.HealthTimeout-since, 0)+500*time.Millisecond)
	}
	return wait
}
