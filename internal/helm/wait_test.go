package helm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubecube-io/hotplug/internal/controlplane"
)

// startWorkloads starts a cluster that runs Deployments (controller-manager,
// scheduler, kwok), or skips when those binaries are not built.
func startWorkloads(t *testing.T) *controlplane.Cluster {
	t.Helper()
	bin, err := controlplane.FindBinDir()
	if err != nil {
		t.Skipf("no control plane binaries: %v", err)
	}
	for _, b := range []string{"kube-controller-manager", "kube-scheduler", "kwok", "kwok-stages.yaml"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			t.Skipf("%s not built: %v", b, err)
		}
	}
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "helm", Workloads: true})
	return env.Cluster("helm")
}

// TestWaitDeployment checks that with Wait a release is deployed only once
// its Deployment is available, and that an upgrade that never becomes ready
// times out and is rolled back to the serving revision.
func TestWaitDeployment(t *testing.T) {
	t.Parallel()
	cl := startWorkloads(t)
	ctx := testCtx(t)
	c, err := New(cl.Config, Options{Wait: true, Timeout: 20 * time.Second, Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cl.Config)
	if err != nil {
		t.Fatal(err)
	}
	const ns = "web"

	rel, err := c.Install(ctx, Request{Name: "web", Namespace: ns, Chart: chart(t, "webapp", "web", "1.0.0"), Values: map[string]any{"replicaCount": 2}})
	if err != nil {
		t.Fatalf("Install with Wait: %v", err)
	}
	wantRelease(t, rel, 1, "deployed")
	dep, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dep.Status.AvailableReplicas != 2 {
		t.Errorf("deployed with %d available replicas, want 2", dep.Status.AvailableReplicas)
	}
	if _, err := cs.CoreV1().Services(ns).Get(ctx, "web", metav1.GetOptions{}); err != nil {
		t.Errorf("service: %v", err)
	}

	// Pods that can never be scheduled: the wait times out, and the release is rolled back.
	start := time.Now()
	_, err = c.Upgrade(ctx, Request{Name: "web", Namespace: ns, Chart: chart(t, "webapp", "web", "1.1.0"),
		Values: map[string]any{"replicaCount": 2, "nodeSelector": map[string]any{"no-such-node": "true"}}})
	if err == nil {
		t.Fatal("Upgrade to unschedulable pods succeeded")
	}
	t.Logf("upgrade failed after %s: %v", time.Since(start).Round(time.Second), err)
	if strings.Contains(err.Error(), "rollback after failed upgrade") {
		t.Fatalf("rollback failed: %v", err)
	}
	g, err := c.Get(ctx, ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	wantRelease(t, g, 3, "deployed")
	if g.ChartVersion != "1.0.0" {
		t.Errorf("serving chart %s, want 1.0.0", g.ChartVersion)
	}
	dep, err = cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(dep.Spec.Template.Spec.NodeSelector) != 0 || dep.Status.AvailableReplicas < 1 {
		t.Errorf("deployment not rolled back: nodeSelector %v, available %d", dep.Spec.Template.Spec.NodeSelector, dep.Status.AvailableReplicas)
	}
}
