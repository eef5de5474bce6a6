package e2e

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// TestAgentChartKinds runs charts of every shape through the agent in a
// cluster that really runs workloads, with --wait: a Deployment + Service
// chart is only `running` once its Deployment is Available; a chart that
// ships a CRD installs it; a chart with a subchart stays in sync (no upgrade
// on every resync, although Helm does not store subcharts with a release).
func TestAgentChartKinds(t *testing.T) {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "kinds", Workloads: true})
	cfg := env.Cluster("kinds").Config
	c := newClient(t, cfg)
	ctx := context.Background()
	dir := t.TempDir()
	testcharts.Package(t, "webapp", dir, "web", "1.0.0", "web-1.0.0.tgz")
	testcharts.Package(t, "withcrd", dir, "widgets", "1.0.0", "widgets-1.0.0.tgz")
	testcharts.Package(t, "umbrella", dir, "umbrella", "1.0.0", "umbrella-1.0.0.tgz")
	hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "common"}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
		{Name: "web", Namespace: "web", PkgName: "web-1.0.0.tgz", Status: hotplugv1.StatusEnabled, Env: "replicaCount: 2\n"},
		{Name: "widgets", Namespace: "widgets", PkgName: "widgets-1.0.0.tgz", Status: hotplugv1.StatusEnabled},
		{Name: "umbrella", Namespace: "umbrella", PkgName: "umbrella-1.0.0.tgz", Status: hotplugv1.StatusEnabled, Env: "sub:\n  color: green\n"},
	}}}
	if err := c.Create(ctx, hp); err != nil {
		t.Fatal(err)
	}
	testenv.RunAgent(t, cfg, agent.Options{ClusterName: "kinds", ChartDir: dir, Wait: true, Timeout: 2 * time.Minute, Resync: time.Second, HeartbeatInterval: time.Hour})
	testenv.Eventually(t, 150*time.Second, "all charts running", func() (bool, string) {
		hp := getHotplug(t, c, "common")
		return hp.Status.Phase == hotplugv1.PhaseRunning, hp.Status.Message
	})
	dep := &appsv1.Deployment{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "web", Name: "web"}, dep); err != nil {
		t.Fatal(err)
	}
	if dep.Status.AvailableReplicas != 2 {
		t.Errorf("web reported running with %d available replicas", dep.Status.AvailableReplicas)
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "web", Name: "web"}, &corev1.Service{}); err != nil {
		t.Errorf("web Service: %v", err)
	}
	if err := c.Get(ctx, client.ObjectKey{Name: "widgets.example.hotplug.io"}, &apiextensionsv1.CustomResourceDefinition{}); err != nil {
		t.Errorf("the chart's CRD: %v", err)
	}
	sub := &corev1.ConfigMap{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "umbrella", Name: "umbrella-sub"}, sub); err != nil || sub.Data["color"] != "green" {
		t.Errorf("subchart values: %v %v", sub.Data, err)
	}
	hc, err := helm.New(cfg, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second) // several resyncs
	for _, name := range []string{"web", "widgets", "umbrella"} {
		r, err := hc.Get(ctx, name, name)
		if err != nil {
			t.Fatal(err)
		}
		if r.Revision != 1 {
			t.Errorf("%s: revision %d after resyncs, want 1 (no spurious upgrades)", name, r.Revision)
		}
	}
}
