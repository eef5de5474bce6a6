package hub

import (
	"context"
	"fmt"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
)

// leases returns the heartbeat Leases of the clusters by name (from the
// cache: the hub watches the Leases of its namespace), creating the missing
// ones so that members need no create right (a failed create is logged:
// liveness falls back to lastHeartbeat meanwhile). A Lease is owned by its
// Cluster, so it goes when the Cluster does.
func (h *health) leases(ctx context.Context, clusters *clusterv1.ClusterList) (map[string]*coordinationv1.Lease, error) {
	list := &coordinationv1.LeaseList{}
	if err := h.c.List(ctx, list, client.InNamespace(h.namespace), client.HasLabels{heartbeat.LabelCluster}); err != nil {
		return nil, fmt.Errorf("listing heartbeat Leases in %s: %w", h.namespace, err)
	}
	out := make(map[string]*coordinationv1.Lease, len(list.Items))
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	for i := range clusters.Items {
		c := &clusters.Items[i]
		if _, ok := out[heartbeat.LeaseName(c.Name)]; ok || !c.DeletionTimestamp.IsZero() {
			continue
		}
		l := heartbeat.New(h.namespace, c.Name)
		l.OwnerReferences = []metav1.OwnerReference{{APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster",
			Name: c.Name, UID: c.UID, BlockOwnerDeletion: ptr.To(false)}}
		if err := h.c.Create(ctx, l); err != nil && !apierrors.IsAlreadyExists(err) {
			// Liveness still falls back to lastHeartbeat; the next check retries.
			h.log.Error(bounded(err), "creating heartbeat Lease", "cluster", c.Name, "lease", h.namespace+"/"+l.Name)
		}
	}
	return out, nil
}

// leaseCache limits the hub's watch of Leases to the heartbeat Leases in
// namespace, so that it neither needs nor pays for the Leases of the rest
// of the pivot (nodes', controllers').
func leaseCache(o cache.Options, namespace string) cache.Options {
	if o.ByObject == nil {
		o.ByObject = map[client.Object]cache.ByObject{}
	}
	sel, _ := labels.Parse(heartbeat.LabelCluster)
	o.ByObject[&coordinationv1.Lease{}] = cache.ByObject{Namespaces: map[string]cache.Config{namespace: {}}, Label: sel}
	return o
}
