package fleet

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/chartfetch"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/chartsource"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/merge"
	"github.com/kubecube-io/hotplug/internal/testregistry"
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

// TestPreviewChartSource: without a puller `hotplug diff` says it did not
// preview a component with a chart by source, and plans nothing for it.
func TestPreviewChartSource(t *testing.T) {
	c := merge.Component{Name: "logagent", Namespace: "logagent", Enabled: true,
		Chart: &hotplugv1.ChartSource{Repository: "oci://harbor.example.com/charts", Name: "logagent", Version: "1.0.1"}}
	ch, err := previewOne(context.Background(), nil, PreviewOptions{}, merge.Result{Components: []merge.Component{c}}, "logagent", "")
	const want = "not previewed: component logagent: chart sources (chart.repository) are not supported by this preview yet; use pkgName"
	if err != nil || ch.Error != want || len(ch.Steps) != 0 {
		t.Errorf("change %+v, err %v; want error %q and no steps", ch, err, want)
	}
}

// noReleases is a cluster without releases.
type noReleases struct{}

func (noReleases) Get(context.Context, string, string) (*helm.Release, error) {
	return nil, fmt.Errorf("get: %w", helm.ErrNotFound)
}
func (noReleases) List(context.Context, labels.Selector) ([]*helm.Release, error) { return nil, nil }

// TestPreviewPullsChartSource: with a puller, `hotplug diff` pulls the
// chart from a real registry as the agent would, resolves the range to the
// highest version, and plans its install; a wrong login is the error the
// agent would meet.
func TestPreviewPullsChartSource(t *testing.T) {
	reg := testregistry.Start(t)
	reg.Push(t, "configmap", "logagent", "1.0.1")
	reg.Push(t, "configmap", "logagent", "1.1.0")
	c := merge.Component{Name: "logagent", Namespace: "logagent", Enabled: true,
		Chart: &hotplugv1.ChartSource{Repository: reg.Repository(), Name: "logagent", Version: "~1"}}
	fetcher := func(password string) *chartfetch.Fetcher {
		puller := &chartsource.Puller{Cache: &chartsource.Cache{Dir: t.TempDir()}}
		login := chartfetch.StaticLogin{Creds: chartsource.Credentials{Username: testregistry.Username, Password: password, CAPEM: reg.CA.PEM}}
		return chartfetch.New(chartpkg.NewLoader(t.TempDir(), limits.Default()), puller, login, limits.Default(), "test")
	}
	eff := merge.Result{Components: []merge.Component{c}}
	ch, err := previewOne(context.Background(), noReleases{}, PreviewOptions{Charts: fetcher(testregistry.Password)}, eff, "logagent", "")
	if err != nil || ch.Error != "" || ch.Desired != "logagent-1.1.0" || len(ch.Steps) != 1 || ch.Steps[0].Action != string(agent.ActionInstall) {
		t.Fatalf("change %+v, err %v; want an install of logagent-1.1.0", ch, err)
	}
	ch, err = previewOne(context.Background(), noReleases{}, PreviewOptions{Charts: fetcher("wrong")}, eff, "logagent", "")
	if err != nil || !strings.Contains(ch.Error, "the agent would fail: component logagent: chart ") ||
		!strings.Contains(ch.Error, "refused the credentials") || len(ch.Steps) != 0 {
		t.Fatalf("with a wrong login: change %+v, err %v", ch, err)
	}
}
