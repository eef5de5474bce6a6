package hub

import (
	"context"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// TestValidateDriftIgnore: the webhook refuses a driftIgnore with a bad
// pointer or target, naming object, component and field by index; a good
// one is admitted in common and in a cluster's Hotplug.
func TestValidateDriftIgnore(t *testing.T) {
	ignoring := func(name string, rules ...hotplugv1.DriftIgnore) hotplugv1.ComponentSpec {
		return hotplugv1.ComponentSpec{Name: name, Status: hotplugv1.StatusEnabled, DriftIgnore: rules}
	}
	good := hotplugv1.DriftIgnore{Target: hotplugv1.DriftTarget{Kind: "Deployment", Name: "web-server"}, Paths: []string{"/spec/template/spec/containers/0/image"}}
	fleet := Fleet{Clusters: []string{"member-1"}, Common: hp("common", ignoring("web", good)), Own: map[string]*hotplugv1.Hotplug{}}
	for _, tc := range []struct {
		name string
		obj  *hotplugv1.Hotplug
		want []string
	}{
		{"good in common", hp("common", ignoring("a"), ignoring("web", good)), nil},
		{"good in a cluster's", hp("member-1", ignoring("web", good)), nil},
		{"a pointer without a slash", hp("common", ignoring("a"), ignoring("b"), ignoring("web", hotplugv1.DriftIgnore{Paths: []string{"/spec/replicas", "spec/replicas"}})),
			[]string{`hotplug "common": component "web": spec.component[2].driftIgnore[0].paths[1]: invalid value: "spec/replicas" is not a JSON pointer (RFC 6901)`}},
		{"a bad escape in a cluster's", hp("member-1", ignoring("web", good, hotplugv1.DriftIgnore{Paths: []string{"/a~"}})),
			[]string{`hotplug "member-1": component "web": spec.component[0].driftIgnore[1].paths[0]`, `"~" must be followed by "0" or "1"`}},
		{"a bad target name", hp("common", ignoring("web", hotplugv1.DriftIgnore{Target: hotplugv1.DriftTarget{Name: "a/b"}, Paths: []string{"/spec"}})),
			[]string{`spec.component[0].driftIgnore[0].target.name: invalid value: "a/b" is not an object name`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkVerdict(t, Validate(context.Background(), limits.Default(), tc.obj, fleet), tc.want)
		})
	}
}
