package fleet

import (
	"context"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/merge"
)

func TestOrderNote(t *testing.T) {
	mon := merge.Component{Name: "kubecube-monitoring", PkgName: "m.tgz", Enabled: true}
	thanos := merge.Component{Name: "kubecube-thanos", PkgName: "t.tgz", Enabled: true, DependsOn: []string{"kubecube-monitoring"}}
	chartMon := merge.Component{Name: "kubecube-monitoring", Chart: &hotplugv1.ChartSource{Repository: "oci://r.example.com", Name: "m", Version: "1"}, Enabled: true}
	offMon := mon
	offMon.Enabled = false
	eff := merge.Result{Components: []merge.Component{offMon, thanos}}
	cases := []struct {
		name string
		comp string
		d    *merge.Component
		step agent.Action
		want string
	}{
		{"install after dependencies", "kubecube-thanos", &thanos, agent.ActionInstall, "; once kubecube-monitoring Ready"},
		{"upgrade after dependencies", "kubecube-thanos", &thanos, agent.ActionUpgrade, "; once kubecube-monitoring Ready"},
		{"install without dependsOn", "kubecube-monitoring", &mon, agent.ActionInstall, ""},
		{"uninstall after dependents", "kubecube-monitoring", &offMon, agent.ActionUninstall, "; after kubecube-thanos uninstalled"},
		{"removed component after dependents", "kubecube-monitoring", nil, agent.ActionUninstall, "; after kubecube-thanos uninstalled"},
		{"uninstall of a move is not ordered", "kubecube-monitoring", &mon, agent.ActionUninstall, ""},
		{"a chart by source is a package: a move is not ordered", "kubecube-monitoring", &chartMon, agent.ActionUninstall, ""},
		{"repair is not ordered", "kubecube-thanos", &thanos, agent.ActionRepair, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := orderNote(tc.comp, agent.Desired{Component: tc.d}, agent.Step{Action: tc.step}, eff)
			if got != tc.want {
				t.Errorf("orderNote = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPreviewChartSource: `hotplug diff` says the agent would fail a
// component with a chart by source, and plans nothing for it.
func TestPreviewChartSource(t *testing.T) {
	c := merge.Component{Name: "logagent", Namespace: "logagent", Enabled: true,
		Chart: &hotplugv1.ChartSource{Repository: "oci://harbor.example.com/charts", Name: "logagent", Version: "1.0.1"}}
	ch, err := previewOne(context.Background(), nil, PreviewOptions{}, merge.Result{Components: []merge.Component{c}}, "logagent", "")
	const want = "the agent would fail: component logagent: chart sources (chart.repository) are not supported by this agent yet; use pkgName"
	if err != nil || ch.Error != want || len(ch.Steps) != 0 {
		t.Errorf("change %+v, err %v; want error %q and no steps", ch, err, want)
	}
}
