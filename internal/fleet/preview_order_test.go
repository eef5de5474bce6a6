package fleet

import (
	"testing"

	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/merge"
)

func TestOrderNote(t *testing.T) {
	mon := merge.Component{Name: "kubecube-monitoring", PkgName: "m.tgz", Enabled: true}
	thanos := merge.Component{Name: "kubecube-thanos", PkgName: "t.tgz", Enabled: true, DependsOn: []string{"kubecube-monitoring"}}
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
