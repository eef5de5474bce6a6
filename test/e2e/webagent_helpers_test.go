package e2e

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// startWebAgent starts a cluster with workloads (controller-manager,
// scheduler, kwok) running the agent with one enabled component, "web"
// (the webapp chart, web-1.0.0), and returns a client and a Helm client
// of that cluster.
func startWebAgent(t *testing.T, cluster string) (client.Client, *helm.Client) {
	t.Helper()
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: cluster, Workloads: true})
	cfg := env.Cluster(cluster).Config
	c := newClient(t, cfg)
	ctx := context.Background()
	dir := t.TempDir()
	testcharts.Package(t, "webapp", dir, "web", "1.0.0", "web-1.0.0.tgz")
	for _, obj := range []client.Object{
		&hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
			{Name: "web", Namespace: "web", PkgName: "web-1.0.0.tgz", Status: hotplugv1.StatusEnabled},
		}}},
		&hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: cluster}},
		&clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: cluster}},
	} {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	testenv.RunAgent(t, cfg, agent.Options{ClusterName: cluster, ChartDir: dir, Resync: 5 * time.Minute, HeartbeatInterval: time.Hour})
	h, err := helm.New(cfg, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c, h
}
