// Package heartbeat is how a cluster's agent tells the pivot it is alive
// without writing its Cluster's status: a coordination.k8s.io/v1 Lease per
// cluster, renewed every heartbeat interval, as kubelets do for nodes. The
// hub pre-creates each Lease (so a member needs no create right) in its own
// namespace and reads liveness from renewTime + leaseDurationSeconds.
package heartbeat

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
)

// DefaultNamespace is where the hub keeps the heartbeat Leases on the pivot
// (the hub's --namespace, the agent's --pivot-namespace).
const DefaultNamespace = "kubecube-system"

// LabelCluster names the cluster a heartbeat Lease belongs to.
const LabelCluster = "hotplug.kubecube.io/heartbeat-of"

// leasePrefix starts every heartbeat Lease's name.
const leasePrefix = "hotplug-cluster-"

// LeaseName returns the name of cluster's heartbeat Lease on the pivot. The
// member's RBAC (access.MemberOnPivot) grants exactly this name.
func LeaseName(cluster string) string { return leasePrefix + cluster }

// Holder is the holderIdentity the agent of cluster writes into its Lease.
func Holder(cluster string) string { return "hotplug-agent:" + cluster }

// LeaseDuration is the lease duration an agent renewing every interval
// declares: four intervals, so that three missed renewals in a row are
// still tolerated (the kubelet's ratio), and at least one second.
func LeaseDuration(interval time.Duration) time.Duration {
	return max(4*interval, time.Second).Round(time.Second)
}

// Expiry returns when lease expires: its last renewal plus its declared
// duration (fallback when it declares none). ok is false when the Lease was
// never renewed (pre-created by the hub, or by an agent that predates
// Leases): it says nothing about liveness then.
func Expiry(lease *coordinationv1.Lease, fallback time.Duration) (at time.Time, ok bool) {
	if lease == nil || lease.Spec.RenewTime == nil {
		return time.Time{}, false
	}
	d := fallback
	if s := lease.Spec.LeaseDurationSeconds; s != nil && *s > 0 {
		d = time.Duration(*s) * time.Second
	}
	return lease.Spec.RenewTime.Add(d), true
}
