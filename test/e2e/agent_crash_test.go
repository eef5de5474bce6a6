package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// startAgentProcess runs `hotplug agent` as a child process.
func startAgentProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	return testenv.StartAgentProcess(t, args...)
}

// TestAgentKilledMidUpgrade SIGKILLs the agent while Helm waits in an
// upgrade, restarts it, and checks the release ends deployed at the desired
// values instead of staying pending.
func TestAgentKilledMidUpgrade(t *testing.T) {
	// No controller-manager: a Deployment never becomes Available, so an
	// upgrade with --wait hangs in pending-upgrade until we kill it.
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "crash"})
	cl := env.Cluster("crash")
	c := newClient(t, cl.Config)
	ctx := context.Background()
	dir := t.TempDir()
	testcharts.Package(t, "webapp", dir, "web", "1.0.0", "web-1.0.0.tgz")
	hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "common"}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
		{Name: "web", Namespace: "web", PkgName: "web-1.0.0.tgz", Status: hotplugv1.StatusEnabled, Env: "replicaCount: 1\n"},
	}}}
	if err := c.Create(ctx, hp); err != nil {
		t.Fatal(err)
	}
	hc, err := helm.New(cl.Config, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// One agent at a time here, so no Lease to wait for; leader election has
	// its own tests.
	args := []string{"--cluster-name=crash", "--kubeconfig=" + cl.Kubeconfig, "--chart-dir=" + dir, "--leader-elect=false"}

	first := startAgentProcess(t, args...)
	testenv.Eventually(t, 60*time.Second, "first install", func() (bool, string) {
		r, err := hc.Get(ctx, "web", "web")
		return err == nil && r.Status == "deployed", ""
	})
	_ = first.Process.Kill()
	_ = first.Wait()

	editHotplug(t, c, "common", func(s *hotplugv1.HotplugSpec) { s.Component[0].Env = "replicaCount: 3\n" })
	waiting := startAgentProcess(t, append(args, "--wait", "--timeout=5m")...)
	testenv.Eventually(t, 60*time.Second, "upgrade in flight", func() (bool, string) {
		r, err := hc.Get(ctx, "web", "web")
		if err != nil {
			return false, err.Error()
		}
		return r.Status == "pending-upgrade", r.Status
	})
	if err := waiting.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = waiting.Wait()
	if r, _ := hc.Get(ctx, "web", "web"); r == nil || r.Status != "pending-upgrade" {
		t.Fatalf("want the release left pending-upgrade by the kill, got %+v", r)
	}

	ports := freeLoopbackPorts(t, 2)
	// The restarted agent cannot tell the killed agent from another actor
	// holding the release, so it leaves the pending revision alone until it
	// is older than its own Helm timeout, here 20 s, then recovers it.
	startAgentProcess(t, append(args, "--timeout=20s", "--metrics-bind-address="+ports[0], "--health-probe-bind-address="+ports[1])...)
	testenv.Eventually(t, 90*time.Second, "recovered and upgraded", func() (bool, string) {
		r, err := hc.Get(ctx, "web", "web")
		if err != nil {
			return false, err.Error()
		}
		if r.Status != "deployed" || fmt.Sprint(r.Values["replicaCount"]) != "3" {
			return false, r.Status
		}
		// No controller-manager runs here, so the Deployment never becomes
		// available: the honest status names it instead of "running".
		hp := getHotplug(t, c, "common")
		return hp.Status.Phase == hotplugv1.PhaseProgressing && strings.Contains(hp.Status.Message, "Deployment web/web"),
			hp.Status.Phase + " " + hp.Status.Message
	})
	hist, err := hc.History(ctx, "web", "web")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range hist[:len(hist)-1] {
		if r.Status == "pending-upgrade" || r.Status == "pending-install" {
			t.Errorf("revision %d left %s", r.Revision, r.Status)
		}
	}
	t.Logf("history after recovery: %d revisions, last %d", len(hist), hist[len(hist)-1].Revision)

	// The restarted agent serves health, readiness and its metrics.
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _ := httpGet(t, "http://"+ports[1]+path); code != http.StatusOK {
			t.Errorf("%s: %d", path, code)
		}
	}
	_, metrics := httpGet(t, "http://"+ports[0]+"/metrics")
	for _, want := range []string{
		`hotplug_helm_actions_total{action="recover",component="web",result="success"} 1`,
		`hotplug_helm_actions_total{action="upgrade",component="web",result="success"} 1`,
		`hotplug_component_ready{component="web"} 0`, // its Deployment never becomes available here
		"hotplug_reconcile_duration_seconds_count",
		"hotplug_helm_action_duration_seconds_bucket",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func freeLoopbackPorts(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l.Addr().String())
		defer l.Close()
	}
	return out
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url) //nolint:gosec,noctx // a loopback test endpoint
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
