package agent

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

func chartSourced(name, ns, status string) hotplugv1.ComponentSpec {
	return hotplugv1.ComponentSpec{Name: name, Namespace: ns, Status: status,
		Chart: &hotplugv1.ChartSource{Repository: "oci://127.0.0.1:1/charts", Name: name, Version: "1.0.1"}}
}

// TestConvergeChartSourceFailsAlone: a component whose chart's registry
// cannot be reached (nothing listens on 127.0.0.1:1) and that this agent has
// never pulled fails alone with a message naming the component, the
// reference and the cause; its release is neither upgraded nor uninstalled
// (it is not a feature switch); the other components proceed.
func TestConvergeChartSourceFailsAlone(t *testing.T) {
	e := newConvergeEnv(t, newFakeHelm(managed("web", "web", "deployed", 3, "older-values")))
	e.apply(chartSourced("web", "web", hotplugv1.StatusEnabled), enabled("api", "api", e.chart("api")))
	e.reconcile("web")
	wantCalls(t, e.helm)
	const want = "component web: chart oci://127.0.0.1:1/charts/web:1.0.1: registry unreachable"
	cs, phase := e.component("web")
	ready := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady)
	if !strings.HasPrefix(cs.Message, want) || ready == nil || ready.Reason != hotplugv1.ReasonPackageError || phase != hotplugv1.PhaseFail {
		t.Errorf("status of web: %q, phase %q, Ready %+v; want %q, PackageError, fail", cs.Message, phase, ready, want)
	}
	if len(e.events.events) != 1 || !strings.HasPrefix(e.events.events[0], "PackageError: "+want) {
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
