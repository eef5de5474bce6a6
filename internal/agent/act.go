package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// acted is what one round's act did, for converge: whether to observe and
// plan again, and what the requeue depends on.
type acted struct {
	// again: a repair or the steps ran; look again before settling.
	again bool
	// failed is the step's error (recorded in the outcome); retry later.
	failed error
	// wait is how long a release held by someone else is left alone.
	wait time.Duration
	// blocked: the steps wait for other components.
	blocked bool
	// heldUninstall: an uninstall waits for the absence of the
	// configuration to be confirmed; nothing was recorded.
	heldUninstall bool
}

// act carries out one round's plan and records its outcome and events;
// it decides nothing. A plan of one repair, wait, blocked or held step is
// that step; an empty plan records the component reconciled; otherwise the
// Helm steps run in order. err is what fails the reconcile (an inventory
// write, a read after a failed step), not a failed step.
func (r *Reconciler) act(ctx context.Context, p *pass, plan []Step, obs Observed) (acted, error) {
	r.reportUnrepairedDrift(p, obs)
	if len(plan) == 1 {
		switch s := plan[0]; s.Action {
		case ActionRepair:
			r.repair(ctx, p, s, obs)
			return acted{again: true}, nil
		case ActionWait:
			return acted{wait: r.hold(ctx, p, s, obs)}, nil
		case ActionHoldUninstall:
			r.holdUninstall(ctx, p, s)
			return acted{heldUninstall: true}, nil
		case ActionBlocked:
			r.block(ctx, p, s, obs)
			return acted{blocked: true}, nil
		case ActionNone, ActionInstall, ActionUpgrade, ActionUninstall, ActionRecover:
		}
	}
	r.outs.update(p.name, func(o *Outcome) { o.Held, o.Blocked = "", "" })
	if len(plan) == 0 {
		return acted{}, r.reconciled(ctx, p.name, releaseIn(obs, p.d))
	}
	if failed := r.run(ctx, p, plan); failed != nil {
		// Record the release as the failed step left it.
		obs, err := r.observeReleases(ctx, p.name, p.d)
		if err != nil {
			return acted{failed: failed}, errors.Join(failed, err)
		}
		r.outs.update(p.name, func(o *Outcome) { o.Release = releaseIn(obs, p.d) })
		return acted{failed: failed}, nil
	}
	return acted{again: true}, nil
}

// reconciled records an empty plan: the component is where the
// configuration wants it. An adopted release joins the inventory without a
// new revision.
func (r *Reconciler) reconciled(ctx context.Context, name string, rel *helm.Release) error {
	r.outs.update(name, func(o *Outcome) {
		o.Reconciled, o.Release = true, rel
		o.ActionErr, o.FailedAction, o.Failures = nil, "", 0
	})
	if rel == nil {
		return nil
	}
	return r.inv.set(ctx, name, rel.Namespace)
}

// run performs steps in order and stops at the first failure, which it
// records and returns. A recovery ends the run so the caller plans again.
func (r *Reconciler) run(ctx context.Context, p *pass, steps []Step) error {
	log := ctrl.LoggerFrom(ctx)
	name := p.name
	for _, s := range steps {
		log.Info("acting", "action", s.Action, "namespace", s.Namespace, "reason", s.Reason)
		r.outs.update(name, func(o *Outcome) { o.InFlight = s.Action })
		if err := r.status.write(ctx, p.common, p.own, p.eff); err != nil {
			log.Error(err, "writing progress status")
		}
		rel, err := r.perform(ctx, name, s, p.d, p.chart)
		r.outs.update(name, func(o *Outcome) { o.InFlight = "" })
		if s.Action == ActionRecover && errors.Is(err, helm.ErrHeld) {
			// Someone started a new action since we looked: plan again.
			return nil
		}
		if err != nil {
			// Helm's message is bounded and redacted of the values by the
			// wrapper; cut it again to the size of one status message.
			err = boundedError(err)
			r.outs.update(name, func(o *Outcome) {
				o.Reconciled, o.ActionErr, o.FailedAction = true, err, s.Action
				o.Failures++
			})
			log.Error(err, "helm action failed", "action", s.Action, "namespace", s.Namespace)
			r.event(p.common, p.own, name, s.Namespace, corev1.EventTypeWarning, "HelmFailed", string(s.Action),
				fmt.Sprintf("component %s: helm %s failed: %v", name, s.Action, err))
			return err
		}
		r.event(p.common, p.own, name, s.Namespace, corev1.EventTypeNormal, eventReason(s.Action), string(s.Action),
			fmt.Sprintf("component %s: %s in namespace %s%s (%s)", name, s.Action, s.Namespace, revisionNote(rel), s.Reason))
		if s.Action == ActionUninstall && s.Namespace != desiredNamespaceIfWanted(p.d) {
			if err := r.inv.forget(ctx, name, s.Namespace); err != nil {
				return err
			}
		}
		if s.Action == ActionRecover {
			return nil
		}
	}
	return nil
}

func eventReason(a Action) string {
	switch a {
	case ActionInstall:
		return "Installed"
	case ActionUpgrade:
		return "Upgraded"
	case ActionUninstall:
		return "Uninstalled"
	case ActionRecover:
		return "Recovered"
	case ActionWait:
		return "ReleaseHeld"
	default:
		return "Reconciled"
	}
}

// revisionNote names the Helm revision and chart an action left, so that a
// component's events read as its recent release history.
func revisionNote(rel *helm.Release) string {
	if rel == nil || rel.Revision == 0 {
		return ""
	}
	return fmt.Sprintf(": revision %d, chart %s %s", rel.Revision, rel.Chart, rel.ChartVersion)
}

// event records an event on the cluster's own Hotplug, or on common. The
// events API folds events that share regarding, related, reason and action
// into one series whatever their note, so the related reference names the
// component's release: each component keeps its own events.
func (r *Reconciler) event(common, own *hotplugv1.Hotplug, component, namespace, kind, reason, action, note string) {
	obj := own
	if obj == nil {
		obj = common
	}
	if obj == nil || r.recorder == nil {
		return
	}
	related := &corev1.ObjectReference{APIVersion: "v1", Kind: "Namespace", Name: namespace, FieldPath: "helm-release/" + component}
	// The note may quote an error: redacted of the component's values. The
	// API server refuses a longer note, and the event would be lost.
	note = r.secrets.redactor(component).String(note)
	note = limits.Message(note, limits.MaxEventBytes)
	r.recorder.Eventf(obj, related, kind, reason, action, "%s", note)
	if r.pivotEvents != nil {
		r.pivotEvents.record(related, kind, reason, action, note)
	}
}
