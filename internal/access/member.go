// Package access builds the least-privilege RBAC that a member cluster's
// agent gets on the pivot: read `common`, its own Hotplug and its own
// assignment of a revision of `common`, write only its own Cluster's and own
// Hotplug's status, renew its own heartbeat Lease, and record events.
package access

import (
	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// MemberOnPivot returns the ClusterRole and ClusterRoleBinding, both named
// hotplug-member-<cluster>, that grant subject exactly what the member
// agent of cluster needs on the pivot. List and watch are limited by
// resourceNames, which the agent honours by watching with a
// metadata.name field selector. Of the ControllerRevisions that hold the
// revisions of `common`, the member reads only its own assignment
// (rollout.AssignmentName): never the history, never another cluster's.
func MemberOnPivot(cluster string, subject rbacv1.Subject) (*rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding) {
	name := "hotplug-member-" + cluster
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/part-of": "hotplug"}},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{hotplugv1.GroupVersion.Group}, Resources: []string{"hotplugs"},
				ResourceNames: []string{hotplugv1.CommonName, cluster}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{hotplugv1.GroupVersion.Group}, Resources: []string{"hotplugs/status"},
				ResourceNames: []string{cluster}, Verbs: []string{"update", "patch"}},
			{APIGroups: []string{"cluster.kubecube.io"}, Resources: []string{"clusters"},
				ResourceNames: []string{cluster}, Verbs: []string{"get"}},
			{APIGroups: []string{"cluster.kubecube.io"}, Resources: []string{"clusters/status"},
				ResourceNames: []string{cluster}, Verbs: []string{"update", "patch"}},
			{APIGroups: []string{appsv1.GroupName}, Resources: []string{"controllerrevisions"},
				ResourceNames: []string{rollout.AssignmentName(cluster)}, Verbs: []string{"get", "list", "watch"}},
			leaseRule(cluster),
			// Its component events, regarding its own Hotplug (the fleet
			// view shows them): create cannot be limited to names, and the
			// events API updates and patches a series.
			{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "update", "patch"}},
		},
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: role.Labels},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{subject},
	}
	return role, binding
}
