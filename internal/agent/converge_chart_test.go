package agent

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

func chartSourced(name, ns, status string) hotplugv1.ComponentSpec {
	return hotplugv1.ComponentSpec{Name: name, Namespace: ns, Status: status,
		Chart: &hotplugv1.ChartSource{Repository: "oci://harbor.example.com/charts", Name: name, Version: "1.0.1"}}
}

// TestConvergeChartSourceFailsAlone: until pulling is wired in, a component
// whose package is a chart by source fails alone with a message saying so,
// and its running release is neither upgraded nor uninstalled (it is not a
// feature switch); the other components proceed.
func TestConvergeChartSourceFailsAlone(t *testing.T) {
	e := newConvergeEnv(t, newFakeHelm(managed("web", "web", "deployed", 3, "older-values")))
	e.apply(chartSourced("web", "web", hotplugv1.StatusEnabled), enabled("api", "api", e.chart("api")))
	e.reconcile("web")
	wantCalls(t, e.helm)
	const want = "component web: chart sources (chart.repository) are not supported by this agent yet; use pkgName"
	cs, phase := e.component("web")
	ready := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady)
	if cs.Message != want || ready == nil || ready.Reason != hotplugv1.ReasonPackageError || phase != hotplugv1.PhaseFail {
		t.Errorf("status of web: %q, phase %q, Ready %+v; want %q, PackageError, fail", cs.Message, phase, ready, want)
	}
	if !slices.Equal(e.events.events, []string{"PackageError: " + want}) {
		t.Errorf("events %q", e.events.events)
	}
	e.reconcile("api")
	wantCalls(t, e.helm, "install api/api")
	if cs, _ := e.component("api"); cs.Message != hotplugv1.MessageRunning {
		t.Errorf("api: %q, want running", cs.Message)
	}
	e.reconcile("web")
	wantCalls(t, e.helm, "install api/api")
}

// TestConvergeDisabledChartSourceUninstalls: switched off, a component with
// a chart by source is uninstalled as any other (no pull is needed).
func TestConvergeDisabledChartSourceUninstalls(t *testing.T) {
	e := newConvergeEnv(t, newFakeHelm(managed("web", "web", "deployed", 3, "older-values")))
	e.apply(chartSourced("web", "web", hotplugv1.StatusDisabled))
	e.reconcile("web")
	wantCalls(t, e.helm, "uninstall web/web")
}
