package access

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubecube-io/hotplug/internal/rollout"
)

func TestRevisionReaders(t *testing.T) {
	cases := []struct {
		name    string
		secrets []string
		want    []string // nil: no Role
	}{
		{"none: no Role, never a rule without names", nil, nil},
		{"empty", []string{}, nil},
		{"sorted and once each", []string{"hotplug-common-r3", "hotplug-common-r1", "hotplug-common-r3"}, []string{"hotplug-common-r1", "hotplug-common-r3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			role := RevisionReaders("ns", c.secrets)
			if c.want == nil {
				if role != nil {
					t.Fatalf("got %+v, want no Role", role)
				}
				return
			}
			if role.Namespace != "ns" || role.Name != rollout.ReaderRole || len(role.Rules) != 1 {
				t.Fatalf("got %+v", role)
			}
			r := role.Rules[0]
			if !slices.Equal(r.ResourceNames, c.want) || !slices.Equal(r.Verbs, []string{"get"}) ||
				!slices.Equal(r.Resources, []string{"secrets"}) || !slices.Equal(r.APIGroups, []string{""}) {
				t.Errorf("rule %+v", r)
			}
		})
	}
	b := RevisionsOnPivot("m1", "ns", rbacv1.Subject{Kind: rbacv1.UserKind, Name: "u"})
	if b.Namespace != "ns" || b.RoleRef.Kind != "Role" || b.RoleRef.Name != rollout.ReaderRole || len(b.Subjects) != 1 {
		t.Errorf("binding %+v", b)
	}
}
