package e2e

import (
	"context"
	"net"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/apimetrics"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// idleWindow is how long an idle agent's writes are counted.
const idleWindow = 90 * time.Second

// TestIdleAgentWrites: a converged agent, run as the real binary with its
// default flags (leader election on, heartbeat every 30 s), writes at most
// 6 times a minute at rest, its leader Lease included, counted by its own
// client metrics (apimetrics.ScrapeClient: every write it sends, to any API). With the old timings
// (a Lease renewal every 2 s) it wrote 32 times a minute.
func TestIdleAgentWrites(t *testing.T) {
	const cluster = "pivot-cluster"
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: cluster})
	cl := env.Cluster(cluster)
	c := newClient(t, cl.Config)
	ctx := context.Background()
	dir := t.TempDir()
	testcharts.Package(t, "configmap", dir, "logagent", "1.0.0", "logagent-1.0.0.tgz")
	objs := append(oneComponent(cluster, "logagent", "logagent-1.0.0.tgz"),
		&clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: cluster}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: agent.DefaultNamespace}})
	for _, obj := range objs {
		if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	addr := freeAddr(t)
	testenv.StartAgentProcess(t, "--cluster-name="+cluster, "--kubeconfig="+cl.Kubeconfig, "--chart-dir="+dir, "--metrics-bind-address="+addr)
	testenv.Eventually(t, 90*time.Second, "logagent runs", func() (bool, string) { return runs(c, cluster) })
	time.Sleep(5 * time.Second) // the last status and report writes of the convergence

	scrape := func() apimetrics.Counts {
		t.Helper()
		c, err := apimetrics.ScrapeClient(ctx, "http://"+addr+"/metrics")
		if err != nil || len(c) == 0 {
			t.Fatalf("the agent's client metrics: %v (%d series)", err, len(c))
		}
		return c
	}
	before := scrape()
	time.Sleep(idleWindow)
	idle := scrape().Sub(before)
	writes := idle.Writes()
	t.Logf("idle agent: %.0f writes in %v (%.1f a minute): %v", writes, idleWindow, writes/idleWindow.Minutes(), idle.ByVerb())
	// Six a minute, plus one write of each periodic source that a window
	// boundary may catch (the leader Lease, the heartbeat Lease).
	if limit := 6*idleWindow.Minutes() + 2; writes > limit {
		t.Errorf("an idle agent wrote %.0f times in %v (%.1f a minute), want at most 6 a minute", writes, idleWindow, writes/idleWindow.Minutes())
	}
	if hp := getHotplug(t, c, cluster); hp.Status.Phase != "running" {
		t.Errorf("the cluster's Hotplug is %s after the window", hp.Status.Phase)
	}
	lease := client.ObjectKey{Namespace: agent.DefaultNamespace, Name: "hotplug-agent-" + cluster}
	if err := c.Get(ctx, lease, &coordinationv1.Lease{}); err != nil {
		t.Errorf("the agent holds no leader Lease %s (leader election off?): %v", lease, err)
	}
}

// freeAddr is a free loopback address for a listener.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
