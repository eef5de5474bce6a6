package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/rollout"
	"github.com/kubecube-io/hotplug/internal/statuspatch"
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
	read := commonReader{Reader: r.c, live: r.revisions.live}
	_, err := statuspatch.Patch(ctx, read, r.c, types.NamespacedName{Name: hotplugv1.CommonName}, newHotplug, func(common *hotplugv1.Hotplug) (bool, error) {
		if common.Annotations[hotplugv1.StatusByAnnotation] != hotplugv1.StatusByHub {
			patch := client.MergeFrom(common.DeepCopy())
			if common.Annotations == nil {
				common.Annotations = map[string]string{}
			}
			common.Annotations[hotplugv1.StatusByAnnotation] = hotplugv1.StatusByHub
			// Patch leaves common at the version it wrote, which the
			// status patch is then locked to.
			if err := r.c.Patch(ctx, common, patch); err != nil {
				return false, err
			}
		}
		// common as read now: the roll-up counts against the components of
		// the generation it stamps, whether or not the watch delivered it.
		r.feed.configure(common, false)
		st := r.feed.status(common.Status, common.Generation, metav1.Now())
		var clusters []clusterv1.Cluster
		if rollout.Progressive(common) || common.Status.Rollout != nil {
			// The rollout decides over every cluster; only then is the
			// (cached) list read.
			list := &clusterv1.ClusterList{}
			if err := r.c.List(ctx, list); err != nil {
				return false, err
			}
			clusters = list.Items
		}
		dec, err := r.revisions.step(ctx, common, clusters, time.Now())
		if err != nil {
			return false, err
		}
		applyRollout(&st, dec)
		after = dec.After
		if equality.Semantic.DeepEqual(st, common.Status) {
			return false, nil
		}
		common.Status = st
		return true, nil
	})
	err = client.IgnoreNotFound(err)
	if err != nil {
		return reconcile.Result{}, fmt.Errorf("rolling up into common: %w", bounded(err))
	}
	return reconcile.Result{RequeueAfter: after}, nil
}

// setupRollup watches Clusters, Hotplugs and, through a cache of the hub's
// namespace only (its RBAC there is a Role), the revisions of common:
// metadata only, and only objects labelled as revisions, so that the cache
// holds neither the content of any revision nor other objects of the
// namespace.
func setupRollup(mgr ctrl.Manager, namespace string) error {
	toCommon := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: hotplugv1.CommonName}}}
	})
	revisionsOnly, err := labels.NewRequirement(rollout.RoleLabel, selection.Exists, nil)
	if err != nil {
		return err
	}
	revCache, err := cache.New(mgr.GetConfig(), cache.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(),
		DefaultNamespaces: map[string]cache.Config{namespace: {}}, DefaultLabelSelector: labels.NewSelector().Add(*revisionsOnly)})
	if err != nil {
		return fmt.Errorf("cache of ControllerRevisions in %s: %w", namespace, err)
	}
	if err := mgr.Add(revCache); err != nil {
		return err
	}
	feed := newRollupFeed()
	return ctrl.NewControllerManagedBy(mgr).Named("hotplug-hub-rollup").
		Watches(&clusterv1.Cluster{}, feed.handler()).
		Watches(&hotplugv1.Hotplug{}, feed.configHandler()).
		WatchesRawSource(source.Kind(revCache, client.Object(metadataOf(appsv1.SchemeGroupVersion.WithKind("ControllerRevision"))), toCommon)).
		WatchesRawSource(source.Kind(revCache, client.Object(metadataOf(corev1.SchemeGroupVersion.WithKind("Secret"))), toCommon)).
		Complete(&rollup{c: mgr.GetClient(), feed: feed, revisions: &revisions{c: mgr.GetClient(), live: mgr.GetAPIReader(), ns: namespace}})
}

// metadataOf is an empty metadata-only object of kind gvk.
func metadataOf(gvk schema.GroupVersionKind) *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(gvk)
	return m
}

// health marks clusters whose agent stopped renewing its heartbeat Lease
// (or, without one, reporting) as abnormal, and normal again once it is back.
type health struct {
	c client.Client
	// live reads a Lease past the cache before a cluster is marked
	// abnormal: after an outage of the pivot's etcd the cached Lease can
	// lag behind renewals, and a member writes no report to undo a false
	// verdict (nil: the cache alone decides).
	live      client.Reader
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
		lease := leases[heartbeat.LeaseName(c.Name)]
		var state clusterv1.ClusterState
		var reason string
		mark := func(fresh *clusterv1.Cluster) (bool, error) {
			stale, why := Liveness(fresh, lease, h.timeout, now)
			if stale && lease != nil && fresh.Status.State != clusterv1.ClusterAbnormal && h.live != nil {
				// Confirm with the Lease as the API server has it now.
				cur := &coordinationv1.Lease{}
				if err := h.live.Get(ctx, client.ObjectKeyFromObject(lease), cur); err != nil {
					return false, fmt.Errorf("reading heartbeat Lease %s/%s: %w", lease.Namespace, lease.Name, err)
				}
				stale, why = Liveness(fresh, cur, h.timeout, now)
			}
			var write bool
			state, reason, write = healthTransition(fresh.Status, stale, limits.Message(why, limits.MaxMessageBytes))
			if write {
				fresh.Status.State, fresh.Status.Reason = state, reason
			}
			*c = *fresh // recordClusters counts what was written
			return write, nil
		}
		wrote, err := statuspatch.Patch(ctx, h.c, h.c, client.ObjectKeyFromObject(c), newCluster, mark)
		if err = client.IgnoreNotFound(err); err != nil {
			return fmt.Errorf("marking cluster %s %s: %w", c.Name, state, err)
		}
		if wrote {
			h.log.Info("cluster health changed", "cluster", c.Name, "state", state, "reason", reason)
		}
	}
	recordClusters(list)
	return nil
}

// commonReader reads through the cache, and for a progressive common again
// from the API server: the rollout decides from the previous status, so that
// must be fresh.
type commonReader struct {
	client.Reader
	live client.Reader
}

// Get reads key into obj through the cache and, when obj is a progressive
// Hotplug, once more through live.
func (r commonReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if err := r.Reader.Get(ctx, key, obj, opts...); err != nil {
		return err
	}
	if hp, ok := obj.(*hotplugv1.Hotplug); ok && rollout.Progressive(hp) {
		return r.live.Get(ctx, key, obj, opts...)
	}
	return nil
}

// newHotplug and newCluster are the empty objects statuspatch reads into.
func newHotplug() *hotplugv1.Hotplug { return &hotplugv1.Hotplug{} }
func newCluster() *clusterv1.Cluster { return &clusterv1.Cluster{} }

// bounded is err with its message cut to limits.MaxMessageBytes, for logs
// and returned errors that the controller logs.
func bounded(err error) error {
	if err == nil || len(err.Error()) <= limits.MaxMessageBytes {
		return err
	}
	return errors.New(limits.Message(err.Error(), limits.MaxMessageBytes))
}

// every calls f each period until ctx ends.
func every(ctx context.Context, period time.Duration, f func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}
