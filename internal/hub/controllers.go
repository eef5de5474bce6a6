package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/mirror"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// rollup keeps `common`'s status on the pivot equal to RollUp over every
// cluster (incrementally: the feed keeps each cluster's part) plus the
// progressive rollout of its revisions, and marks common so that the
// pivot's own agent leaves that status to the hub: the hub is its one
// writer, with one status update per change.
type rollup struct {
	c         client.Client
	feed      *rollupFeed
	revisions *revisions
}

func (r *rollup) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	var after time.Duration
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		common := &hotplugv1.Hotplug{}
		if err := r.c.Get(ctx, types.NamespacedName{Name: hotplugv1.CommonName}, common); err != nil {
			return client.IgnoreNotFound(err)
		}
		if rollout.Progressive(common) {
			// The rollout decides from the previous status: read it fresh.
			if err := r.revisions.live.Get(ctx, types.NamespacedName{Name: hotplugv1.CommonName}, common); err != nil {
				return client.IgnoreNotFound(err)
			}
		}
		if common.Annotations[mirror.AnnotationStatusBy] != "hub" {
			patch := client.MergeFrom(common.DeepCopy())
			if common.Annotations == nil {
				common.Annotations = map[string]string{}
			}
			common.Annotations[mirror.AnnotationStatusBy] = "hub"
			if err := r.c.Patch(ctx, common, patch); err != nil {
				return err
			}
		}
		st := r.feed.status(common.Status, common.Generation, metav1.Now())
		var clusters []clusterv1.Cluster
		if rollout.Progressive(common) || common.Status.Rollout != nil {
			// The rollout decides over every cluster; only then is the
			// (cached) list read.
			list := &clusterv1.ClusterList{}
			if err := r.c.List(ctx, list); err != nil {
				return err
			}
			clusters = list.Items
		}
		dec, err := r.revisions.step(ctx, common, clusters, time.Now())
		if err != nil {
			return err
		}
		applyRollout(&st, dec)
		after = dec.After
		if equality.Semantic.DeepEqual(st, common.Status) {
			return nil
		}
		common.Status = st
		return r.c.Status().Update(ctx, common)
	})
	if err != nil {
		return reconcile.Result{}, fmt.Errorf("rolling up into common: %w", bounded(err))
	}
	return reconcile.Result{RequeueAfter: after}, nil
}

// setupRollup watches Clusters, Hotplugs and, through a cache of the hub's
// namespace only (its RBAC there is a Role), the revisions of common.
func setupRollup(mgr ctrl.Manager, namespace string) error {
	toCommon := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: hotplugv1.CommonName}}}
	})
	revCache, err := cache.New(mgr.GetConfig(), cache.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(),
		DefaultNamespaces: map[string]cache.Config{namespace: {}}})
	if err != nil {
		return fmt.Errorf("cache of ControllerRevisions in %s: %w", namespace, err)
	}
	if err := mgr.Add(revCache); err != nil {
		return err
	}
	feed := newRollupFeed()
	return ctrl.NewControllerManagedBy(mgr).Named("hotplug-hub-rollup").
		Watches(&clusterv1.Cluster{}, feed.handler()).
		Watches(&hotplugv1.Hotplug{}, toCommon, builder.WithPredicates(commonChanged())).
		WatchesRawSource(source.Kind(revCache, client.Object(&appsv1.ControllerRevision{}), toCommon)).
		Complete(&rollup{c: mgr.GetClient(), feed: feed, revisions: &revisions{c: mgr.GetClient(), live: mgr.GetAPIReader(), ns: namespace}})
}

// health marks clusters whose agent stopped renewing its heartbeat Lease
// (or, without one, reporting) as abnormal, and normal again once it is back.
type health struct {
	c         client.Client
	namespace string // of the heartbeat Leases
	timeout   time.Duration
	period    time.Duration
	log       logr.Logger
}

// NeedLeaderElection keeps the check to one replica.
func (h *health) NeedLeaderElection() bool { return true }

// Start checks every period until ctx ends.
func (h *health) Start(ctx context.Context) error {
	every(ctx, h.period, func() {
		if err := h.check(ctx); err != nil {
			h.log.Error(bounded(err), "checking cluster health")
		}
	})
	return nil
}

func (h *health) check(ctx context.Context) error {
	list := &clusterv1.ClusterList{}
	if err := h.c.List(ctx, list); err != nil {
		return fmt.Errorf("listing clusters: %w", err)
	}
	leases, err := h.leases(ctx, list)
	if err != nil {
		return err
	}
	now := time.Now()
	for i := range list.Items {
		c := &list.Items[i]
		stale, reason := Liveness(c, leases[heartbeat.LeaseName(c.Name)], h.timeout, now)
		state, reason, write := healthTransition(c.Status, stale, limits.Message(reason, limits.MaxMessageBytes))
		if !write {
			continue
		}
		c.Status.State, c.Status.Reason = state, reason
		if err := h.c.Status().Update(ctx, c); err != nil {
			return fmt.Errorf("marking cluster %s %s: %w", c.Name, state, err)
		}
		h.log.Info("cluster health changed", "cluster", c.Name, "state", state, "reason", reason)
	}
	recordClusters(list)
	return nil
}

// bounded is err with its message cut to limits.MaxMessageBytes, for logs
// and returned errors that the controller logs.
func bounded(err error) error {
	if err == nil || len(err.Error()) <= limits.MaxMessageBytes {
		return err
	}
	return errors.New(limits.Message(err.Error(), limits.MaxMessageBytes))
}
