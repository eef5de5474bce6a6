package helm

import (
	"errors"
	"testing"
)

func TestRefuseClusterAdminBindings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		manifest string
		refused  bool
	}{
		{"no bindings", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", false},
		{"cluster role binding to cluster-admin", "---\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: own-it}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: x, namespace: y}]\n", true},
		{"role binding to cluster-admin", "kind: RoleBinding\nmetadata: {name: b, namespace: ns}\nroleRef: {kind: ClusterRole, name: cluster-admin}\n", true},
		{"binding to another cluster role", "kind: ClusterRoleBinding\nmetadata: {name: c}\nroleRef: {kind: ClusterRole, name: view}\n", false},
		{"a Role that happens to be named cluster-admin", "kind: RoleBinding\nmetadata: {name: d, namespace: ns}\nroleRef: {kind: Role, name: cluster-admin}\n", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := RefuseClusterAdminBindings([]byte(tc.manifest))
			if got := errors.Is(err, ErrPolicy); got != tc.refused {
				t.Fatalf("refused = %v (%v), want %v", got, err, tc.refused)
			}
		})
	}
}
