package e2e

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// oneComponent is the configuration of a cluster running one component:
// `common` names it enabled (release and namespace both name, chart
// package pkg), and the cluster's own Hotplug is empty.
func oneComponent(cluster, name, pkg string) []client.Object {
	return []client.Object{
		&hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
			{Name: name, Namespace: name, PkgName: pkg, Status: hotplugv1.StatusEnabled},
		}}},
		&hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: cluster}},
	}
}

// runOneComponent creates oneComponent and the cluster's Cluster object,
// runs the agent of cluster on them with the chart packages in dir, waits
// until the component runs, and returns a Helm client of the cluster.
func runOneComponent(t *testing.T, cfg *rest.Config, c client.Client, cluster, dir, name, pkg string) *helm.Client {
	t.Helper()
	for _, obj := range append(oneComponent(cluster, name, pkg), &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: cluster}}) {
		if err := c.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
	testenv.RunAgent(t, cfg, agent.Options{ClusterName: cluster, ChartDir: dir, Resync: 5 * time.Minute, HeartbeatInterval: time.Hour})
	h, err := helm.New(cfg, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 90*time.Second, name+" runs", func() (bool, string) {
		return runs(c, cluster)
	})
	return h
}

// runs tells whether the cluster's own Hotplug is Running; it may be
// absent (then it is not).
func runs(c client.Client, cluster string) (bool, string) {
	hp := &hotplugv1.Hotplug{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: cluster}, hp); err != nil {
		return false, err.Error()
	}
	return hp.Status.Phase == hotplugv1.PhaseRunning, hp.Status.Phase + " " + hp.Status.Message
}
