package agent

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/drift"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// repair carries out an ActionRepair step. A repair that fails, wholly or
// in part, is logged and said in an Event; it never fails the reconcile
// (the backoff spaces the next attempt).
func (r *Reconciler) repair(ctx context.Context, p *pass, s Step, obs Observed) {
	if err := r.repairDrift(ctx, p, releaseIn(obs, p.d), obs.Drift); err != nil {
		ctrl.LoggerFrom(ctx).Info("drift repair incomplete", "error", limits.Message(err.Error(), limits.MaxMessageBytes))
		r.event(p.common, p.own, p.name, s.Namespace, corev1.EventTypeWarning, "DriftRepairFailed", string(ActionRepair),
			"component "+p.name+": "+err.Error())
	}
}

// repairDrift sets back the drifted objects of the component's release and
// records the repair: Event and log line naming the managers whose fields
// were set back, metric, outcome (status lastDriftRepair). Every attempt,
// failed or partial ones included, counts in the backoff Tracker: a repair
// the API server keeps refusing is retried with the same backoff as drift
// that keeps coming back, not at every check.
func (r *Reconciler) repairDrift(ctx context.Context, p *pass, rel *helm.Release, ds []drift.Drift) error {
	name := p.name
	repaired, err := r.drift.detector.Repair(ctx, driftRelease(rel, p.d.Component), ds)
	r.drift.tracker.Record(name)
	if len(repaired) > 0 {
		driftRepairs.WithLabelValues(name).Add(float64(len(repaired)))
		msg := drift.RepairedMessage(ds)
		ctrl.LoggerFrom(ctx).Info("drift repaired", "objects", len(repaired), "previousManagers", drift.Managers(ds), "what", msg)
		r.event(p.common, p.own, name, rel.Namespace, corev1.EventTypeNormal, "DriftRepaired", string(ActionRepair), "component "+name+": "+msg)
		now := metav1.Now()
		r.outs.update(name, func(o *Outcome) {
			o.LastDriftRepair = &hotplugv1.DriftRepair{Time: now, Message: limits.Message(msg, limits.MaxMessageBytes)}
		})
	}
	return err
}

// reportUnrepairedDrift says once per change why drift found on the
// release is left alone (driftLeftAlone).
func (r *Reconciler) reportUnrepairedDrift(p *pass, obs Observed) {
	msg := driftLeftAlone(p.d, obs)
	if msg == "" {
		return
	}
	if !r.drift.newReport(p.name, msg) {
		return // said already; the next check would repeat it every 10 s
	}
	r.event(p.common, p.own, p.name, releaseIn(obs, p.d).Namespace, corev1.EventTypeWarning, "DriftNotRepaired", string(ActionRepair),
		"component "+p.name+": "+msg)
}
