package hub

import (
	"fmt"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
)

// staleReasonPrefix starts every reason the hub writes when it marks a
// cluster abnormal, so that it restores only its own verdicts.
const staleReasonPrefix = "hotplug agent "

// Liveness tells whether a cluster's agent has gone silent. A Lease that
// was ever renewed speaks for the agent: it is alive until renewTime +
// leaseDurationSeconds (timeout when the Lease declares none). A report
// in status.lastHeartbeat younger than timeout also counts (agents that
// cannot use their Lease write that instead); without either, Stale
// decides as before Leases. The reason says what expired.
func Liveness(c *clusterv1.Cluster, lease *coordinationv1.Lease, timeout time.Duration, now time.Time) (bool, string) {
	expiry, ok := heartbeat.Expiry(lease, timeout)
	if !ok {
		return Stale(c, timeout, now)
	}
	if !now.After(expiry) {
		return false, ""
	}
	if hb := c.Status.LastHeartbeat; hb != nil && now.Sub(hb.Time) <= timeout {
		return false, ""
	}
	return true, fmt.Sprintf("%shas not renewed its heartbeat Lease %s/%s since %s (expired %s)", staleReasonPrefix,
		lease.Namespace, lease.Name, lease.Spec.RenewTime.UTC().Format(time.RFC3339), expiry.UTC().Format(time.RFC3339))
}

// healthTransition decides the Cluster state the hub writes, if any: a
// stale cluster that is not yet abnormal becomes abnormal with reason; a
// live cluster that the hub itself marked abnormal becomes normal again
// (its agent writes its report only when it changes, so the hub undoes its
// own verdict). Any other state is left alone: write is false.
func healthTransition(st clusterv1.ClusterStatus, stale bool, reason string) (state clusterv1.ClusterState, why string, write bool) {
	switch {
	case stale && st.State != clusterv1.ClusterAbnormal:
		return clusterv1.ClusterAbnormal, reason, true
	case !stale && st.State == clusterv1.ClusterAbnormal && strings.HasPrefix(st.Reason, staleReasonPrefix):
		return clusterv1.ClusterNormal, "", true
	}
	return st.State, st.Reason, false
}
