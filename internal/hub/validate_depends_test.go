package hub

import (
	"context"
	"strings"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

func dependent(name string, on ...string) hotplugv1.ComponentSpec {
	return hotplugv1.ComponentSpec{Name: name, Status: hotplugv1.StatusEnabled, DependsOn: on}
}

// TestValidateDependsOn: the webhook refuses an edit whose dependsOn makes
// a cycle or names a missing component in some cluster's effective
// configuration, saying which object, component and field, with the cycle
// spelled out; it accepts a cluster's Hotplug that names `common`'s
// components.
func TestValidateDependsOn(t *testing.T) {
	common := hp("common", dependent("kubecube-monitoring"), dependent("kubecube-thanos", "kubecube-monitoring"))
	fleet := Fleet{Clusters: []string{"member-1", "member-2"}, Common: common, Own: map[string]*hotplugv1.Hotplug{}}
	cases := []struct {
		name  string
		obj   *hotplugv1.Hotplug
		fleet Fleet
		want  []string // substrings; none means valid
	}{
		{"kubecube order is valid", common, fleet, nil},
		{"a cycle in common", hp("common", dependent("a", "b"), dependent("b", "c"), dependent("c", "a")), fleet,
			[]string{`hotplug "common": component "a": spec.component[a].dependsOn: dependency cycle: a -> b -> c -> a`,
				`component "b"`, "b -> c -> a -> b", `component "c"`, "c -> a -> b -> c"}},
		{"an unknown name in common", hp("common", dependent("kubecube-thanos", "kubecube-monitorin")), fleet,
			[]string{`hotplug "common": component "kubecube-thanos": spec.component[kubecube-thanos].dependsOn: "kubecube-monitorin": not a component`}},
		{"a self-reference", hp("member-1", dependent("x", "x")), fleet,
			[]string{`hotplug "member-1": component "x": spec.component[x].dependsOn: "x": a component cannot depend on itself`}},
		{"a cluster's component after common's", hp("member-1", dependent("x", "kubecube-thanos")), fleet, nil},
		{"a cluster's unknown name", hp("member-1", dependent("x", "nope")), fleet,
			[]string{`hotplug "member-1": component "x": spec.component[x].dependsOn: "nope": not a component`}},
		{"a cluster closing a cycle through common", hp("member-1", hotplugv1.ComponentSpec{Name: "kubecube-monitoring", DependsOn: []string{"kubecube-thanos"}}), fleet,
			[]string{`hotplug "member-1": component "kubecube-monitoring": spec.component[kubecube-monitoring].dependsOn: dependency cycle: kubecube-monitoring -> kubecube-thanos -> kubecube-monitoring`}},
		{"common closing a cycle through a cluster's list", hp("common", dependent("a", "b"), dependent("b")),
			Fleet{Clusters: []string{"member-1", "member-2"}, Own: map[string]*hotplugv1.Hotplug{"member-2": hp("member-2", hotplugv1.ComponentSpec{Name: "b", DependsOn: []string{"a"}})}},
			[]string{`hotplug "common": component "a"`, "a -> b -> a", "(for cluster member-2)"}},
		{"common naming a component only a cluster has", hp("common", dependent("a", "x")),
			Fleet{Clusters: []string{"member-1"}, Own: map[string]*hotplugv1.Hotplug{"member-1": hp("member-1", dependent("x"))}},
			[]string{`component "a"`, `"x": not a component`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkVerdict(t, Validate(context.Background(), limits.Default(), tc.obj, tc.fleet), tc.want)
		})
	}
}

// checkVerdict fails t unless err is nil when want is empty, or else an
// error that holds every substring of want.
func checkVerdict(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatal("accepted")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}
