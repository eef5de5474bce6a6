// Package agent reconciles a cluster's effective hotplug configuration
// (`common` merged with the Hotplug named after the cluster) into Helm
// releases in that cluster. Decisions are pure (Plan, ComputeStatus, the
// merge package); Helm and the API server are reached through thin
// wrappers.
package agent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"

	"github.com/go-logr/logr"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/drift"
	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/mirror"
	"github.com/kubecube-io/hotplug/internal/report"
)

// Setup adds the agent's controller to mgr. cfg is the configuration the
// Helm wrapper and the direct (uncached) client use.
func Setup(ctx context.Context, mgr manager.Manager, cfg *rest.Config, opts Options) (*Reconciler, error) {
	if opts.ClusterName == "" {
		return nil, errors.New("agent: cluster name is required (--cluster-name)")
	}
	opts = opts.withDefaults()
	log := ctrl.LoggerFrom(ctx).WithName("agent").WithValues("cluster", opts.ClusterName)
	// Upgrades leave to a manager exactly the fields drift repair leaves to it.
	respect := drift.RespectManagers(opts.DriftRespectManagers)
	hopts := helm.Options{MaxHistory: opts.MaxHistory, Wait: opts.Wait, Timeout: opts.Timeout, Log: log.WithName("helm"), Respect: respect}
	if !opts.AllowClusterAdminBindings {
		hopts.Policy = helm.RefuseClusterAdminBindings
	}
	h, err := helm.New(cfg, hopts)
	if err != nil {
		return nil, fmt.Errorf("agent: helm client: %w", err)
	}
	direct, err := client.New(cfg, client.Options{Scheme: mgr.GetScheme()})
	if err != nil {
		return nil, fmt.Errorf("agent: client: %w", err)
	}
	wake := newWakeups()
	// The dependsOn the inventory recorded stands in for what this process
	// has not seen yet: components removed while the agent was down.
	inv := newInventory(direct, direct, h, opts.Namespace, opts.ClusterName, log.WithName("inventory"), wake.seed)
	outs := newOutcomes()
	handoff := &versionHandoff{}
	secrets := newSecrets()
	r := &Reconciler{
		client: mgr.GetClient(), reader: direct, helm: h, opts: opts, outs: outs, inv: inv, wake: wake, secrets: secrets,
		recorder: mgr.GetEventRecorder("hotplug-agent"),
		status:   &statusWriter{c: direct, outs: outs, opts: opts, secrets: secrets},
		fetch:    newFetcher(opts, direct, outs),
		checker:  healthpkg.NewChecker(handoffReader{mgr.GetAPIReader(), handoff}, mgr.GetRESTMapper()),
	}
	if r.kind, err = kube.HotplugKind(cfg, KindRecheck); err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	if !opts.DisableDriftRepair {
		r.drift = newDriftKeeper(drift.New(handoffWriter{direct, handoff}, drift.Options{Respect: respect}), opts.DriftBackoff)
	}
	if err := r.setupFleet(ctx, mgr, direct, log); err != nil {
		return nil, err
	}
	ours := predicate.NewPredicateFuncs(func(o client.Object) bool {
		return o.GetName() == hotplugv1.CommonName || o.GetName() == opts.ClusterName
	})
	b := ctrl.NewControllerManagedBy(mgr).
		Named("hotplug-agent").
		Watches(&hotplugv1.Hotplug{}, handler.EnqueueRequestsFromMapFunc(r.requestsFor), builder.WithPredicates(ours, specChanged())).
		WatchesRawSource(r.wake.source())
	if r.assigned != nil {
		b = b.WatchesRawSource(source.Channel(r.assigned.events, handler.EnqueueRequestsFromMapFunc(r.requestsFor)))
	}
	err = r.watchWorkloads(b).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.Concurrency}).
		WithLogConstructor(func(*reconcile.Request) logr.Logger { return log }).
		Complete(r)
	if err != nil {
		return nil, fmt.Errorf("agent: controller: %w", err)
	}
	return r, nil
}

// setupFleet wires the agent into the fleet: the reporter that sends the
// cluster's result to the pivot and, in a member, the mirror of the pivot's
// configuration and the policy that protects the mirrors.
func (r *Reconciler) setupFleet(ctx context.Context, mgr manager.Manager, direct client.Client, log logr.Logger) error {
	target, member := direct, r.opts.PivotConfig != nil
	if !member {
		r.assigned = newAssignments(direct, r.opts.RolloutNamespace, r.opts.ClusterName)
		if err := mgr.Add(manager.RunnableFunc(r.assigned.watch(mgr.GetConfig()))); err != nil {
			return fmt.Errorf("agent: %w", err)
		}
	}
	if member {
		pivot, err := client.New(r.opts.PivotConfig, client.Options{Scheme: mgr.GetScheme()})
		if err != nil {
			return fmt.Errorf("agent: pivot client: %w", err)
		}
		target = pivot
		// Installed by the leader only (runnables without
		// NeedLeaderElection wait for the lease); an error stops the agent.
		protect := manager.RunnableFunc(func(ctx context.Context) error {
			if err := protectMirrors(ctx, direct, r.opts.ClusterName); err != nil {
				return fmt.Errorf("agent: %w", err)
			}
			return nil
		})
		if err := mgr.Add(protect); err != nil {
			return fmt.Errorf("agent: %w", err)
		}
		m, err := mirror.New(r.opts.ClusterName, r.opts.RolloutNamespace, r.opts.PivotConfig, direct, log, func() {
			if err := r.status.refresh(ctx, r.directConfig); err != nil {
				log.Error(err, "refreshing status")
			}
		})
		if err != nil {
			return fmt.Errorf("agent: %w", err)
		}
		r.status.connected = m.State
		if err := mgr.Add(m); err != nil {
			return fmt.Errorf("agent: %w", err)
		}
		if r.pivotEvents, err = newPivotEvents(r.opts.PivotConfig, mgr.GetScheme(), r.opts.ClusterName); err != nil {
			return err
		}
		if err := mgr.Add(manager.RunnableFunc(r.pivotEvents.start)); err != nil {
			return fmt.Errorf("agent: %w", err)
		}
	}
	r.status.reporter = report.New(report.Options{Cluster: r.opts.ClusterName, Pivot: target, Member: member,
		Interval: r.opts.HeartbeatInterval, PivotNamespace: r.opts.PivotNamespace, Log: log})
	if err := mgr.Add(r.status.reporter); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	return nil
}

// specChanged ignores the agent's own status writes.
func specChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() ||
				!maps.Equal(e.ObjectOld.GetAnnotations(), e.ObjectNew.GetAnnotations())
		},
	}
}

// requestsFor maps a Hotplug event (or, on the pivot, an event of its
// assignment) to one request per component that the object names, that the
// agent has an outcome for, or that the inventory records: a removed
// component still gets its uninstall.
func (r *Reconciler) requestsFor(ctx context.Context, o client.Object) []reconcile.Request {
	if err := r.inv.ensure(ctx); err != nil {
		// Reconcile loads it again and fails until it can.
		ctrl.LoggerFrom(ctx).Error(err, "loading the release inventory")
	}
	names := map[string]bool{}
	var spec *hotplugv1.HotplugSpec
	switch obj := o.(type) {
	case *hotplugv1.Hotplug:
		spec = &obj.Spec
	case *appsv1.ControllerRevision: // the pivot's assignment
		if r.assigned != nil {
			spec = r.assigned.specOf(ctx, obj)
		}
	}
	if spec != nil {
		for _, c := range spec.Component {
			names[c.Name] = true
		}
	}
	for n := range r.outs.snapshot() {
		names[n] = true
	}
	for _, n := range r.inv.names() {
		names[n] = true
	}
	reqs := make([]reconcile.Request, 0, len(names))
	for n := range names {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Name: n}})
	}
	return reqs
}

// Run starts a manager for the agent and blocks until ctx ends. With
// mopts.LeaderElection the agent acts only while it holds the Lease
// mopts.LeaderElectionID in mopts.LeaderElectionNamespace (created when
// missing): a second agent of the cluster waits.
func Run(ctx context.Context, cfg *rest.Config, opts Options, mopts manager.Options) error {
	if mopts.LeaderElection && mopts.LeaderElectionNamespace != "" {
		if err := ensureLeaseNamespace(ctx, cfg, mopts.LeaderElectionNamespace); err != nil {
			return err
		}
	}
	mgr, err := ctrl.NewManager(cfg, mopts)
	if err != nil {
		return fmt.Errorf("agent: manager: %w", err)
	}
	if _, err := Setup(ctx, mgr, cfg, opts); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("ping", func(*http.Request) error { return nil }); err != nil {
		return fmt.Errorf("agent: health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("informers", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return errors.New("informers not synced")
		}
		return nil
	}); err != nil {
		return fmt.Errorf("agent: ready check: %w", err)
	}
	return mgr.Start(ctx)
}

// ensureLeaseNamespace creates the namespace of the leader Lease: without it
// the election never succeeds and the agent would wait forever.
func ensureLeaseNamespace(ctx context.Context, cfg *rest.Config, namespace string) error {
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return fmt.Errorf("agent: client: %w", err)
	}
	if err := ensureNamespace(ctx, c, namespace); err != nil {
		return fmt.Errorf("agent: leader election: %w", err)
	}
	return nil
}
