package agent

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/chartfetch"
	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/merge"
	"github.com/kubecube-io/hotplug/internal/redact"
)

// Reconciler reconciles one component per request (the request's Name is
// the component's name), so that components proceed independently and a
// slow or failing one never holds up the others. A reconcile reads the
// configuration (desired.go), then repeats observe (observe*.go) → Plan
// (plan.go, pure) → act (act*.go), and writes the status (statuswriter.go).
type Reconciler struct {
	client   client.Client // cached: Hotplug objects
	reader   client.Reader // direct: ConfigMaps, statuses before update
	helm     helmClient
	recorder recorder.EventRecorder
	// pivotEvents, in a member, records the same events on the pivot.
	pivotEvents *pivotEvents
	opts        Options
	outs        *outcomes
	wake        *wakeups // nil: no dependency wake-ups (tests)
	inv         *inventory
	status      *statusWriter
	fetch       *chartfetch.Fetcher // packages by pkgName or pulled by chart; bounded, cached by content
	checker     healthChecker       // reads release objects past the cache; nil: no health check
	drift       *driftKeeper        // nil when drift repair is off
	assigned    *assignments        // the pivot only: revisions of a Progressive common
	effMemo     effectiveMemo       // the last merge, by generations
	secrets     *secrets            // each component's values, to redact what leaves its reconcile
	// kind reads the cluster's discovery of the Hotplug kind (nil in unit
	// tests: served); kindVanishedAt is when it last answered KindVanished.
	kind           kube.KindReader
	kindSeen       sync.Mutex
	kindVanishedAt time.Time
}

// helmClient is the Helm the agent drives; *helm.Client is one.
type helmClient interface {
	releaseLister
	Get(ctx context.Context, namespace, name string) (*helm.Release, error)
	Install(ctx context.Context, req helm.Request) (*helm.Release, error)
	Upgrade(ctx context.Context, req helm.Request) (*helm.Release, error)
	Uninstall(ctx context.Context, namespace, name string) error
	Recover(ctx context.Context, namespace, name string) (*helm.Release, error)
}

// releaseLister lists releases by label; the inventory finds the agent's
// releases with it.
type releaseLister interface {
	List(ctx context.Context, selector labels.Selector) ([]*helm.Release, error)
}

// healthChecker reads the health of a release's objects;
// *health.Checker is one.
type healthChecker interface {
	Check(ctx context.Context, manifest, defaultNamespace string) ([]healthpkg.ObjectHealth, error)
}

// pass is what one reconcile of a component works from: the configuration
// read at its start, the component's desired state and its chart (nil when
// no release is wanted).
type pass struct {
	name        string
	common, own *hotplugv1.Hotplug
	eff         merge.Result
	d           Desired
	chart       *chartv2.Chart
}

// maxRounds bounds the observe → plan → act rounds of one reconcile: every
// action, a recovery or a repair included, is followed by a fresh look.
const maxRounds = 3

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
	p := &pass{name: name, common: common, own: own, eff: eff, d: d}
	// Target and Digest change together: between the two, a status written
	// for another component would pair the new target with the old digest
	// and call a release of the old configuration running.
	var target string
	if d.Component != nil {
		target = Target(d.Component)
	}
	if !d.wantsRelease() {
		r.outs.update(name, func(o *Outcome) { o.PackageErr, o.Target = nil, target })
		return r.converge(ctx, p)
	}
	pkg, err := r.loadPackage(ctx, d.Component, common, own)
	r.outs.update(name, func(o *Outcome) {
		o.PackageErr = err
		if err != nil {
			o.Target = target
		}
	})
	if err != nil {
		r.event(common, own, name, d.Component.Namespace, corev1.EventTypeWarning, "PackageError", "load", packageErrorMessage(name, err))
		werr := r.status.write(ctx, common, own, eff)
		return ctrl.Result{RequeueAfter: r.retry(name)}, werr
	}
	p.d.Digest, p.chart = shortDigest(pkg.Package.Digest(d.Component.Values)), pkg.Package.Chart
	r.outs.update(name, func(o *Outcome) { o.Digest, o.Target, o.SourceErr = p.d.Digest, target, pkg.SourceErr })
	if pkg.SourceErr != nil {
		r.event(common, own, name, d.Component.Namespace, corev1.EventTypeWarning, "ChartSourceFailing", "pull", pkg.SourceErr.Error())
	}
	res, err := r.converge(ctx, p)
	if pkg.Range && err == nil && (res.RequeueAfter == 0 || res.RequeueAfter > r.opts.ChartPollInterval) {
		// A range is resolved again every poll interval.
		res.RequeueAfter = r.opts.ChartPollInterval
	}
	return res, err
}

// converge observes, plans and acts until the plan is done (at most
// maxRounds), then records the outcome and writes the status.
func (r *Reconciler) converge(ctx context.Context, p *pass) (ctrl.Result, error) {
	if err := r.recordDependsOn(ctx, p); err != nil {
		return ctrl.Result{}, err
	}
	var last acted
	var driftRecheck time.Duration
	for range maxRounds {
		obs, err := r.observe(ctx, p)
		if err != nil {
			return ctrl.Result{}, err
		}
		if last, err = r.act(ctx, p, Plan(p.d, obs), obs); err != nil {
			return ctrl.Result{}, err
		}
		if last.heldUninstall {
			return ctrl.Result{RequeueAfter: KindRecheck}, nil
		}
		// Only a round that ends the loop can have put a drift check off:
		// one that repaired has just checked, one that ran steps was not
		// in sync.
		driftRecheck = obs.driftRecheck
		if !last.again {
			break
		}
	}
	return r.settle(ctx, p, last, driftRecheck)
}

// recordDependsOn keeps the component's dependsOn where the gate of its
// neighbours and the inventory (for after a restart) find it.
func (r *Reconciler) recordDependsOn(ctx context.Context, p *pass) error {
	if p.d.Component == nil {
		return nil
	}
	r.wake.remember(p.name, p.d.Component.DependsOn)
	return r.inv.dependsOn(ctx, p.name, p.d.Component.DependsOn)
}

// settle ends a reconcile: it forgets a component that is gone, checks the
// health of its release, writes the status, wakes the neighbours whose
// gate may have opened and chooses when to look again.
func (r *Reconciler) settle(ctx context.Context, p *pass, last acted, driftRecheck time.Duration) (ctrl.Result, error) {
	gone := p.d.Component == nil && last.failed == nil && last.wait == 0 && !last.blocked
	if gone {
		r.outs.remove(p.name)
		r.secrets.forget(p.name)
		if r.drift != nil {
			r.drift.forget(p.name)
		}
	}
	healthRecheck := r.checkHealth(ctx, p.name)
	if err := r.status.write(ctx, p.common, p.own, p.eff); err != nil {
		return ctrl.Result{}, err
	}
	r.wake.settled(ctx, p.name, r.dependencies(p.eff), gone)
	next := lookAgain{failed: last.failed != nil, wait: last.wait, drift: driftRecheck, health: healthRecheck}
	if next.failed {
		next.retry = r.retry(p.name)
	}
	return ctrl.Result{RequeueAfter: next.after(r.opts.Resync)}, nil
}
