package access

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubecube-io/hotplug/internal/heartbeat"
)

// leaseRule lets a member renew its heartbeat Lease and nothing else: get,
// update and patch of the one Lease name heartbeat.LeaseName(cluster). No
// create: a create cannot be limited by resourceNames, so the hub creates
// every registered cluster's Lease. It is part of the ClusterRole (so that
// every existing binding of it carries the right); the name is hotplug's own
// and unique per cluster, which is why no namespace is named.
func leaseRule(cluster string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: []string{coordinationv1.GroupName}, Resources: []string{"leases"},
		ResourceNames: []string{heartbeat.LeaseName(cluster)}, Verbs: []string{"get", "update", "patch"}}
}
