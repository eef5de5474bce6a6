package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/merge"
	"github.com/kubecube-io/hotplug/internal/redact"
)

// Reconciler reconciles one component per request (the request's Name is
// the component's name), so that components proceed independently and a
// slow or failing one never holds up the others.
type Reconciler struct {
	client   client.Client // cached: Hotplug objects
	reader   client.Reader // direct: ConfigMaps, statuses before update
	helm     *helm.Client
	recorder recorder.EventRecorder
	opts     Options
	outs     *outcomes
	wake     *wakeups // nil: no dependency wake-ups (tests)
	inv      *inventory
	status   *statusWriter
	charts   *chartpkg.Loader   // bounded, cached by package content
	checker  *healthpkg.Checker // reads release objects past the cache
	drift    *driftKeeper       // nil when drift repair is off
	assigned *assignments       // the pivot only: revisions of a Progressive common
	effMemo  effectiveMemo      // the last merge, by generations
	secrets  *secrets           // each component's values, to redact what leaves its reconcile
	// kind reads the cluster's discovery of the Hotplug kind (nil in unit
	// tests: served); kindVanishedAt is when it last answered KindVanished.
	kind           kube.KindReader
	kindSeen       sync.Mutex
	kindVanishedAt time.Time
}

// config reads `common` and the cluster's own Hotplug; either may be nil.
// On the pivot, a Progressive `common` comes back at the revision assigned
// to the cluster (see assignments.common), carrying that revision.
func (r *Reconciler) config(ctx context.Context) (common, own *hotplugv1.Hotplug, err error) {
	return r.configFrom(ctx, r.client)
}

// directConfig is config read past the cache, for use outside reconciles.
func (r *Reconciler) directConfig(ctx context.Context) (common, own *hotplugv1.Hotplug, err error) {
	return r.configFrom(ctx, r.reader)
}

func (r *Reconciler) configFrom(ctx context.Context, reader client.Reader) (common, own *hotplugv1.Hotplug, err error) {
	get := func(name string) (*hotplugv1.Hotplug, error) {
		hp := &hotplugv1.Hotplug{}
		if err := reader.Get(ctx, types.NamespacedName{Name: name}, hp); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, nil
			}
			return nil, fmt.Errorf("reading Hotplug %s: %w", name, err)
		}
		return hp, nil
	}
	if common, err = get(hotplugv1.CommonName); err != nil {
		return nil, nil, err
	}
	if r.assigned != nil {
		// The pivot: a Progressive common runs the assigned revision.
		if common, err = r.assigned.common(ctx, common); err != nil {
			return nil, nil, err
		}
	}
	if r.opts.ClusterName != hotplugv1.CommonName {
		if own, err = get(r.opts.ClusterName); err != nil {
			return nil, nil, err
		}
	}
	return common, own, nil
}

// Reconcile brings one component to its desired state. Every log line of
// the reconcile, whichever package writes it, and the error it returns
// (which controller-runtime logs) are redacted of the component's values.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	name := req.Name
	red := func() *redact.Redactor { return r.secrets.redactor(name) }
	ctx = ctrl.LoggerInto(ctx, redactingLogger(ctrl.LoggerFrom(ctx), red).WithValues("component", name))
	res, err := r.reconcile(ctx, name)
	if err != nil {
		err = red().Error(err)
	}
	return res, err
}

func (r *Reconciler) reconcile(ctx context.Context, name string) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	start := time.Now()
	defer func() { reconcileDuration.WithLabelValues(name).Observe(time.Since(start).Seconds()) }()
	if err := r.inv.ensure(ctx); err != nil {
		return ctrl.Result{}, err
	}

	common, own, err := r.config(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	eff := r.effective(ctx, common, own)
	d, cfgErr := find(eff, name)
	r.remember(name, d, Observed{})
	if cfgErr != nil {
		// A bad configuration leaves the release exactly as it is.
		log.Info("configuration rejected; release left untouched", "error", limits.Message(cfgErr.Error(), limits.MaxMessageBytes))
		r.event(common, own, name, "", corev1.EventTypeWarning, "InvalidConfig", "validate", cfgErr.Error())
		return ctrl.Result{}, r.status.write(ctx, common, own, eff)
	}
	// Target and Digest change together: between the two, a status written
	// for another component would pair the new target with the old digest
	// and call a release of the old configuration running.
	var target string
	if d.Component != nil {
		target = Target(d.Component)
	}
	if d.wantsRelease() {
		pkg, err := r.charts.Load(d.Component.PkgName)
		r.outs.update(name, func(o *Outcome) {
			o.PackageErr = err
			if err != nil {
				o.Target = target
			}
		})
		if err != nil {
			r.event(common, own, name, d.Component.Namespace, corev1.EventTypeWarning, "PackageError", "load", fmt.Sprintf("component %s: %v", name, err))
			werr := r.status.write(ctx, common, own, eff)
			return ctrl.Result{RequeueAfter: r.retry(name)}, werr
		}
		d.Digest = shortDigest(pkg.Digest(d.Component.Values))
		r.outs.update(name, func(o *Outcome) { o.Digest, o.Target = d.Digest, target })
		return r.converge(ctx, name, common, own, eff, d, pkg.Chart)
	}
	r.outs.update(name, func(o *Outcome) { o.PackageErr, o.Target = nil, target })
	return r.converge(ctx, name, common, own, eff, d, nil)
}

// find returns the desired state of name, or the configuration error that
// fails it.
func find(eff merge.Result, name string) (Desired, error) {
	for _, e := range eff.Errors {
		if e.Component == name {
			return Desired{}, e
		}
	}
	for i := range eff.Components {
		if eff.Components[i].Name == name {
			return Desired{Component: &eff.Components[i]}, nil
		}
	}
	return Desired{}, nil
}

// converge observes, plans and acts until the plan is empty (every action,
// a recovery included, is followed by a fresh look), then records the
// outcome and writes the status.
//
//nolint:funlen // split in the agent restructure (issue 18 item 2)
func (r *Reconciler) converge(ctx context.Context, name string, common, own *hotplugv1.Hotplug, eff merge.Result, d Desired, ch *chartv2.Chart) (ctrl.Result, error) {
	var failed error
	var wait, driftWait time.Duration
	blocked := false
	if d.Component != nil {
		r.wake.remember(name, d.Component.DependsOn)
		if err := r.inv.dependsOn(ctx, name, d.Component.DependsOn); err != nil {
			return ctrl.Result{}, err
		}
	}
	for range 3 {
		obs, err := r.observe(ctx, name, d)
		if err != nil {
			return ctrl.Result{}, err
		}
		r.remember(name, d, obs)
		steps := Plan(d, obs)
		if len(steps) == 0 {
			// In sync with Helm: look at the objects themselves.
			driftWait = r.observeDrift(ctx, name, releaseIn(obs, d), d, &obs)
			steps = Plan(d, obs)
			r.reportUnrepairedDrift(name, releaseIn(obs, d), obs, d, common, own)
		}
		if len(steps) == 1 && steps[0].Action == ActionRepair {
			if err := r.repairDrift(ctx, name, releaseIn(obs, d), d, obs.Drift, common, own); err != nil {
				ctrl.LoggerFrom(ctx).Info("drift repair incomplete", "error", limits.Message(err.Error(), limits.MaxMessageBytes))
				r.event(common, own, name, steps[0].Namespace, corev1.EventTypeWarning, "DriftRepairFailed", string(ActionRepair),
					"component "+name+": "+err.Error())
			}
			continue
		}
		if len(steps) == 1 && steps[0].Action == ActionWait {
			// Someone else's action is in flight: touch nothing, look again
			// once it may be considered abandoned.
			wait = r.hold(ctx, name, steps[0], obs, d, common, own)
			break
		}
		if why := r.holdAbsence(ctx, name, steps, d, common, own); why != "" {
			// The Hotplugs may have vanished with their kind: touch
			// nothing, write no status (there may be no object to write it
			// on), look again.
			return ctrl.Result{RequeueAfter: KindRecheck}, nil
		}
		if why := r.gate(name, d, steps, eff); why != "" {
			// Another component must move first: touch nothing; its
			// change wakes this one (wakeups).
			r.block(ctx, name, why, steps[0].Namespace, obs, d, common, own)
			blocked = true
			break
		}
		r.outs.update(name, func(o *Outcome) { o.Held, o.Blocked = "", "" })
		if len(steps) == 0 {
			rel := releaseIn(obs, d)
			r.outs.update(name, func(o *Outcome) {
				o.Reconciled, o.Release = true, rel
				o.ActionErr, o.FailedAction, o.Failures = nil, "", 0
			})
			if rel != nil {
				// An adopted release joins the inventory without a new revision.
				if err := r.inv.set(ctx, name, rel.Namespace); err != nil {
					return ctrl.Result{}, err
				}
			}
			break
		}
		if failed = r.run(ctx, name, steps, common, own, eff, d, ch); failed != nil {
			obs, err := r.observe(ctx, name, d)
			if err != nil {
				return ctrl.Result{}, errors.Join(failed, err)
			}
			r.outs.update(name, func(o *Outcome) { o.Release = releaseIn(obs, d) })
			break
		}
	}
	gone := d.Component == nil && failed == nil && wait == 0 && !blocked
	if gone {
		r.outs.remove(name)
		r.secrets.forget(name)
		if r.drift != nil {
			r.drift.forget(name)
		}
	}
	recheck := r.checkHealth(ctx, name)
	if err := r.status.write(ctx, common, own, eff); err != nil {
		return ctrl.Result{}, err
	}
	r.wake.settled(ctx, name, r.dependencies(eff), gone)
	if failed != nil {
		return ctrl.Result{RequeueAfter: r.retry(name)}, nil
	}
	if wait > 0 {
		return ctrl.Result{RequeueAfter: min(wait, r.opts.Resync)}, nil
	}
	if driftWait > 0 && (recheck == 0 || driftWait < recheck) {
		// A change arrived before the next drift check was due: check then.
		recheck = driftWait + 100*time.Millisecond
	}
	if recheck > 0 {
		return ctrl.Result{RequeueAfter: min(recheck, r.opts.Resync)}, nil
	}
	return ctrl.Result{RequeueAfter: r.opts.Resync}, nil
}

// hold records that the component's release is left alone while someone
// else's action is in flight, says so once in an event, and returns how long
// to wait before looking again.
func (r *Reconciler) hold(ctx context.Context, name string, s Step, obs Observed, d Desired, common, own *hotplugv1.Hotplug) time.Duration {
	changed := false
	r.outs.update(name, func(o *Outcome) {
		changed = o.Held != s.Reason
		o.Reconciled, o.Held, o.Release = true, s.Reason, releaseIn(obs, d)
		o.ActionErr, o.FailedAction = nil, ""
	})
	if changed {
		ctrl.LoggerFrom(ctx).Info("release held by another actor; left alone", "namespace", s.Namespace, "until", s.Until, "reason", s.Reason)
		r.event(common, own, name, s.Namespace, corev1.EventTypeNormal, "ReleaseHeld", string(ActionWait), "component "+name+": "+s.Reason)
	}
	// A second past the deadline, so the next look sees it expired.
	return max(time.Until(s.Until), 0) + time.Second
}

// run performs steps in order and stops at the first failure, which it
// records and returns. A recovery ends the run so the caller plans again.
func (r *Reconciler) run(ctx context.Context, name string, steps []Step, common, own *hotplugv1.Hotplug, eff merge.Result, d Desired, ch *chartv2.Chart) error {
	log := ctrl.LoggerFrom(ctx)
	for _, s := range steps {
		log.Info("acting", "action", s.Action, "namespace", s.Namespace, "reason", s.Reason)
		r.outs.update(name, func(o *Outcome) { o.InFlight = s.Action })
		if err := r.status.write(ctx, common, own, eff); err != nil {
			log.Error(err, "writing progress status")
		}
		err := r.perform(ctx, name, s, d, ch)
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
			r.event(common, own, name, s.Namespace, corev1.EventTypeWarning, "HelmFailed", string(s.Action),
				fmt.Sprintf("component %s: helm %s failed: %v", name, s.Action, err))
			return err
		}
		r.event(common, own, name, s.Namespace, corev1.EventTypeNormal, eventReason(s.Action), string(s.Action),
			fmt.Sprintf("component %s: %s in namespace %s (%s)", name, s.Action, s.Namespace, s.Reason))
		if s.Action == ActionUninstall && s.Namespace != desiredNamespaceIfWanted(d) {
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

// observe reads the component's releases in the desired namespace and in
// the namespace the inventory remembers.
func (r *Reconciler) observe(ctx context.Context, name string, d Desired) (Observed, error) {
	return Observe(ctx, r.helm.Get, name, d, r.inv.get(name), time.Now(), r.opts.Timeout)
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

// releaseIn returns the observed release in the desired namespace.
func releaseIn(obs Observed, d Desired) *helm.Release {
	for _, rel := range obs.Releases {
		if d.Component != nil && rel.Namespace == d.Component.Namespace {
			return rel
		}
	}
	return nil
}

// perform runs one step through the Helm wrapper.
func (r *Reconciler) perform(ctx context.Context, name string, s Step, d Desired, ch *chartv2.Chart) error {
	start := time.Now()
	var err error
	switch s.Action {
	case ActionInstall, ActionUpgrade:
		req := helm.Request{Name: name, Namespace: s.Namespace, Chart: ch, Values: d.Component.Values,
			Labels: map[string]string{LabelManagedBy: ManagedByValue, LabelCluster: r.opts.ClusterName, LabelDigest: d.Digest}}
		var rel *helm.Release
		if s.Action == ActionInstall {
			rel, err = r.helm.Install(ctx, req)
		} else {
			rel, err = r.helm.Upgrade(ctx, req)
		}
		if err == nil && rel != nil {
			err = r.inv.set(ctx, name, rel.Namespace)
		}
	case ActionUninstall:
		err = r.helm.Uninstall(ctx, s.Namespace, name)
	case ActionRecover:
		_, err = r.helm.Recover(ctx, s.Namespace, name)
	case ActionNone, ActionWait, ActionRepair:
	}
	result := "success"
	if err != nil {
		result = "failure"
	}
	helmActions.WithLabelValues(name, string(s.Action), result).Inc()
	helmActionDuration.WithLabelValues(name, string(s.Action)).Observe(time.Since(start).Seconds())
	return err
}

// retry returns the backoff before the next attempt of a failing component.
func (r *Reconciler) retry(name string) time.Duration {
	n := 0
	r.outs.update(name, func(o *Outcome) {
		if o.ActionErr == nil && o.PackageErr != nil {
			o.Failures++
		}
		n = o.Failures
	})
	return Backoff(n, r.opts.RetryBase, r.opts.RetryMax)
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
	r.recorder.Eventf(obj, related, kind, reason, action, "%s", limits.Message(note, limits.MaxEventBytes))
}
