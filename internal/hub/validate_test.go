package hub

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

func TestValidate(t *testing.T) {
	hp := func(name string, comps ...hotplugv1.ComponentSpec) *hotplugv1.Hotplug {
		return &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: hotplugv1.HotplugSpec{Component: comps}}
	}
	clusters := []string{"pivot-cluster", "member-1"}
	cases := []struct {
		name string
		obj  *hotplugv1.Hotplug
		want []string // substrings; none means valid
	}{
		{"common is valid", hp("common", hotplugv1.ComponentSpec{Name: "logagent", Status: "enabled", Env: "clustername: \"{{.cluster}}\"\n"}), nil},
		{"a registered cluster", hp("member-1", hotplugv1.ComponentSpec{Name: "logseer", Status: "enabled"}), nil},
		{"unknown cluster", hp("ghost"), []string{`hotplug "ghost"`, "metadata.name", "no Cluster"}},
		{"duplicate component", hp("common", hotplugv1.ComponentSpec{Name: "a"}, hotplugv1.ComponentSpec{Name: "a"}), []string{`component "a"`, "spec.component[1].name", "duplicate"}},
		{"bad status", hp("common", hotplugv1.ComponentSpec{Name: "a", Status: "Enabled"}), []string{`component "a"`, "spec.component[0].status"}},
		{"env is a list", hp("member-1", hotplugv1.ComponentSpec{Name: "a", Env: "- x\n"}), []string{`hotplug "member-1"`, `component "a"`, "env"}},
		{"template escape", hp("common", hotplugv1.ComponentSpec{Name: "a", Env: "x: {{ env \"HOME\" }}\n"}), []string{`component "a"`, "env", "not defined"}},
		{"every problem reported", hp("ghost", hotplugv1.ComponentSpec{Name: "a", Status: "on"}, hotplugv1.ComponentSpec{Name: "b", Env: "[x"}),
			[]string{"metadata.name", "spec.component[0].status", `component "b"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.obj, clusters)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	t.Run("common renders for every cluster", func(t *testing.T) {
		// A template valid for one name but not another is impossible with
		// {{.cluster}} alone; check that rendering happens without clusters too.
		if err := Validate(hp("common", hotplugv1.ComponentSpec{Name: "a", Env: "x: {{ .nope }}\n"}), nil); err == nil {
			t.Error("accepted a missing key with no cluster registered")
		}
	})
}
