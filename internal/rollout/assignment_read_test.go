package rollout

import (
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

var controllerrevisions = schema.GroupResource{Group: "apps", Resource: "controllerrevisions"}

// legacyAssignment encodes revision rev of a spec with env for cluster m1
// in the older format that holds the spec itself.
func legacyAssignment(t *testing.T, rev int64, env string) *appsv1.ControllerRevision {
	t.Helper()
	spec := hotplugv1.HotplugSpec{Rollout: &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive},
		Component: []hotplugv1.ComponentSpec{{Name: "logagent", Status: hotplugv1.StatusEnabled, Env: env}}}
	cr, err := Encode(DefaultNamespace, AssignmentName("m1"), RoleAssignment, "m1", Revision{Number: rev, Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	return cr
}

func TestClassifyAssignment(t *testing.T) {
	name := AssignmentName("m1")
	undecodable := legacyAssignment(t, 4, "a: 1\n")
	undecodable.Data = runtime.RawExtension{Raw: []byte(`["not a spec"]`)}
	empty := legacyAssignment(t, 4, "a: 1\n")
	empty.Data = runtime.RawExtension{}
	noNumber := legacyAssignment(t, 0, "a: 1\n")
	other := legacyAssignment(t, 4, "a: 1\n")
	other.Name = AssignmentName("m2")
	cases := []struct {
		name string
		cr   *appsv1.ControllerRevision
		err  error
		rev  int64 // 0: no revision
		says string
	}{
		{"assignment present", legacyAssignment(t, 4, "a: 1\n"), nil, 4, ""},
		{"not assigned yet", nil, apierrors.NewNotFound(controllerrevisions, name), 0, "no assignment yet"},
		{"forbidden", nil, apierrors.NewForbidden(controllerrevisions, name, errors.New("RBAC")), 0, "forbidden"},
		{"unreachable", nil, errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), 0, "connection refused"},
		{"undecodable", undecodable, nil, 0, "decoding the spec of common"},
		{"no spec", empty, nil, 0, "holds no spec"},
		{"no revision number", noNumber, nil, 0, "no revision number"},
		{"another cluster's", other, nil, 0, "m2"},
		{"empty answer", nil, nil, 0, "without the assignment"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := ClassifyAssignment(name, c.cr, c.err)
			switch {
			case c.rev == 0 && a.Revision != nil:
				t.Fatalf("revision %d taken from %s", a.Revision.Number, c.name)
			case c.rev != 0 && (a.Revision == nil || a.Revision.Number != c.rev):
				t.Fatalf("revision = %+v (%s), want %d", a.Revision, a.Detail, c.rev)
			case !strings.Contains(a.Detail, c.says):
				t.Errorf("detail %q does not say %q", a.Detail, c.says)
			case len(a.Detail) > limits.MaxMessageBytes/2:
				t.Errorf("detail of %d bytes", len(a.Detail))
			}
		})
	}
}
