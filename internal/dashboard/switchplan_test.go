package dashboard

import (
	"strings"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/merge"
	"github.com/kubecube-io/hotplug/internal/toggle"
)

func TestSwitchPlan(t *testing.T) {
	common := &hotplugv1.Hotplug{Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
		{Name: "audit", Namespace: "audit", PkgName: "audit-1.0.0.tgz", Status: hotplugv1.StatusEnabled,
			Env: "replicas: 2\n"},
		{Name: "logagent", Namespace: "logging", PkgName: "logagent-1.0.0.tgz", Status: hotplugv1.StatusDisabled, DependsOn: []string{"audit"}},
		{Name: "feature", Status: hotplugv1.StatusDisabled},
		{Name: "bad", Namespace: "Not_A_Namespace", PkgName: "bad-1.0.0.tgz", Status: hotplugv1.StatusDisabled},
	}}}
	common.Name = hotplugv1.CommonName
	deployed := &hotplugv1.ComponentStatus{Name: "audit", Enabled: true, Namespace: "audit", PkgName: "audit-1.0.0.tgz", ChartVersion: "1.0.0", Revision: 3}
	cases := []struct {
		name, component, status string
		reported                *hotplugv1.ComponentStatus
		want                    []string
	}{
		{"disable an installed release", "audit", hotplugv1.StatusDisabled, deployed,
			[]string{"uninstall: the agent of m1 will uninstall release audit from namespace audit (chart audit-1.0.0.tgz 1.0.0, Helm revision 3)"}},
		{"disable what is not installed", "audit", hotplugv1.StatusDisabled, nil, []string{"nothing: the agent of m1 reports no release of audit"}},
		{"enable what runs", "audit", hotplugv1.StatusEnabled, deployed, []string{"nothing: the agent of m1 already runs audit in namespace audit"}},
		{"enable with values and a dependency", "logagent", hotplugv1.StatusEnabled, nil,
			[]string{"install: the agent of m1 will install logagent into namespace logging from package logagent-1.0.0.tgz, once audit is ready", "values (merged", "  (none)"}},
		{"enable shows merged values", "audit", hotplugv1.StatusEnabled, nil, []string{"install: ", "\n  replicas: 2"}},
		{"a feature switch", "feature", hotplugv1.StatusEnabled, nil, []string{"enable: the agent of m1 will switch the feature feature on"}},
		{"a configuration the agent refuses", "bad", hotplugv1.StatusEnabled, nil, []string{"error: the agent of m1 will refuse bad", "namespace"}},
	}
	for _, c := range cases {
		own := &hotplugv1.Hotplug{}
		own.Name = "m1"
		toggle.Set(own, c.component, c.status)
		got := switchPlan("m1", c.component, merge.Effective("m1", common, own), c.reported)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: plan %q lacks %q", c.name, got, w)
			}
		}
	}
}

func TestValuesPreviewBounded(t *testing.T) {
	got := valuesPreview(map[string]any{"big": strings.Repeat("x", 3*maxPreviewValues)})
	if len(got) > maxPreviewValues+100 || !strings.Contains(got, "lists every value") {
		t.Errorf("preview of large values is %d bytes (want ≤ %d) or lacks the pointer to the full list", len(got), maxPreviewValues+100)
	}
}
