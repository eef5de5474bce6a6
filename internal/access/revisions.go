package access

import (
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubecube-io/hotplug/internal/rollout"
)

// RevisionReaders returns the Role rollout.ReaderRole in namespace (the
// hub's) granting `get` on exactly the revision Secrets named in secrets,
// which the hub keeps equal to the revisions of `common` it retains; nil
// when secrets is empty, since a rule without resourceNames would grant
// every Secret of the namespace. Reading a retained revision exposes no
// more than `common` itself, which every member reads.
func RevisionReaders(namespace string, secrets []string) *rbacv1.Role {
	if len(secrets) == 0 {
		return nil
	}
	names := slices.Clone(secrets)
	slices.Sort(names)
	return &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: rollout.ReaderRole,
			Labels: map[string]string{"app.kubernetes.io/part-of": "hotplug"}},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"},
			ResourceNames: slices.Compact(names), Verbs: []string{"get"}}},
	}
}

// RevisionsOnPivot returns the RoleBinding hotplug-member-<cluster> in
// namespace (the hub's) that lets subject, the member agent of cluster,
// read the content of the revision its assignment names: it binds the
// Role rollout.ReaderRole, which the hub keeps (a binding to it before the
// hub made it grants nothing). Nothing else of that namespace: no other
// Secret.
func RevisionsOnPivot(cluster, namespace string, subject rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "hotplug-member-" + cluster,
			Labels: map[string]string{"app.kubernetes.io/part-of": "hotplug"}},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: rollout.ReaderRole},
		Subjects: []rbacv1.Subject{subject},
	}
}
