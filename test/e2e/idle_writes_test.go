package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// idleWindow is how long an idle agent's writes are counted.
const idleWindow = 90 * time.Second

// TestIdleAgentWrites: a converged agent, run as the real binary with its
// default flags (leader election on, heartbeat every 30 s), writes at most
// 6 times a minute at rest, its leader Lease included, counted by its own
// client metrics (every write it sends, to any API). With the old timings
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

	before := agentWrites(t, addr)
	time.Sleep(idleWindow)
	after := agentWrites(t, addr)
	perMinute := float64(after.total()-before.total()) / idleWindow.Minutes()
	t.Logf("idle agent: %d writes in %v (%.1f a minute): %v", after.total()-before.total(), idleWindow, perMinute, after.minus(before))
	// Six a minute, plus one write of each periodic source that a window
	// boundary may catch (the leader Lease, the heartbeat Lease).
	if limit := 6*idleWindow.Minutes() + 2; float64(after.total()-before.total()) > limit {
		t.Errorf("an idle agent wrote %d times in %v (%.1f a minute), want at most 6 a minute", after.total()-before.total(), idleWindow, perMinute)
	}
	if hp := getHotplug(t, c, cluster); hp.Status.Phase != "running" {
		t.Errorf("the cluster's Hotplug is %s after the window", hp.Status.Phase)
	}
	var leases = &client.ObjectKey{Namespace: agent.DefaultNamespace, Name: "hotplug-agent-" + cluster}
	if err := c.Get(ctx, *leases, &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "coordination.k8s.io/v1", Kind: "Lease"}}); err != nil {
		t.Errorf("the agent holds no leader Lease %s (leader election off?): %v", leases, err)
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

// writeCounts are an agent's requests that write, by method.
type writeCounts map[string]float64

func (w writeCounts) total() int {
	n := 0.0
	for _, v := range w {
		n += v
	}
	return int(n)
}

func (w writeCounts) minus(o writeCounts) writeCounts {
	out := writeCounts{}
	for k, v := range w {
		if d := v - o[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// agentWrites reads rest_client_requests_total of the agent at addr: the
// requests its clients sent, summed over codes and hosts, for the methods
// that write.
func agentWrites(t *testing.T, addr string) writeCounts {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("agent metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := writeCounts{}
	seen := false
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "rest_client_requests_total{") {
			continue
		}
		seen = true
		for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
			if strings.Contains(line, fmt.Sprintf("method=%q", m)) {
				v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
				if err != nil {
					t.Fatalf("metric line %q: %v", line, err)
				}
				out[m] += v
			}
		}
	}
	if !seen {
		t.Fatal("the agent's metrics have no rest_client_requests_total")
	}
	return out
}
