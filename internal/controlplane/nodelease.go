package controlplane

import (
	"context"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// nodeLeaseRenewal is how often the simulated node's Lease is renewed; the
// Lease claims 40 s, well inside the node-monitor grace period.
const nodeLeaseRenewal = 5 * time.Second

// renewNodeLease keeps the simulated node's Lease fresh until ctx ends.
// kwok posts a node's status only every 10 to 20 minutes and, without its
// own lease controller, leaves the Lease alone, so after the node-monitor
// grace period (~50 s) the controller-manager marks the node NotReady and
// its pods not Ready: long tests and the demo would see add-ons turn
// unhealthy for a reason no real cluster has. (kwok's lease controller is
// no fix: it stops running pods on a node whose Lease anyone else renews.)
func renewNodeLease(ctx context.Context, cs kubernetes.Interface, node string) {
	leases := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	renew := func() {
		now := metav1.NewMicroTime(time.Now())
		lease, err := leases.Get(ctx, node, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			lease = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: corev1.NamespaceNodeLease, Name: node}}
			lease.Spec = coordinationv1.LeaseSpec{HolderIdentity: ptr.To(node), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: &now}
			_, _ = leases.Create(ctx, lease, metav1.CreateOptions{})
		case err == nil:
			lease.Spec.HolderIdentity, lease.Spec.LeaseDurationSeconds, lease.Spec.RenewTime = ptr.To(node), ptr.To[int32](40), &now
			_, _ = leases.Update(ctx, lease, metav1.UpdateOptions{})
		}
	}
	for {
		renew()
		select {
		case <-ctx.Done():
			return
		case <-time.After(nodeLeaseRenewal):
		}
	}
}
