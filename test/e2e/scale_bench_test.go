package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// BenchmarkAgentScale is the `make bench` scale run: one agent converging
// N components on a real API server, then a change to every component's
// values (N upgrades), then a no-op resync. It reports seconds per phase
// and the API writes of the no-op resync (0 expected).
func BenchmarkAgentScale(b *testing.B) {
	for _, n := range []int{10, 50} {
		b.Run(fmt.Sprintf("components=%d", n), func(b *testing.B) {
			for b.Loop() {
				benchScale(b, n)
			}
		})
	}
}

func benchScale(b *testing.B, n int) {
	env := controlplane.StartForTest(b, controlplane.ClusterOptions{Name: "scale"})
	cfg := env.Cluster("scale").Config
	c := newClient(b, cfg)
	ctx := context.Background()
	dir := b.TempDir()
	testcharts.Package(b, "configmap", dir, "cm", "1.0.0", "cm-1.0.0.tgz")
	var comps []hotplugv1.ComponentSpec
	for i := range n {
		comps = append(comps, hotplugv1.ComponentSpec{Name: fmt.Sprintf("c%03d", i), Namespace: fmt.Sprintf("ns%03d", i%10),
			PkgName: "cm-1.0.0.tgz", Status: hotplugv1.StatusEnabled, Env: "cluster: \"{{.cluster}}\"\nround: 1\n"})
	}
	if err := c.Create(ctx, &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "common"}, Spec: hotplugv1.HotplugSpec{Component: comps}}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	writes := testenv.RunAgent(b, cfg, agent.Options{ClusterName: "scale", ChartDir: dir, Resync: 2 * time.Second, HeartbeatInterval: time.Hour})
	waitPhase(b, c, 1)
	b.ReportMetric(time.Since(start).Seconds(), "install-s")

	hp := &hotplugv1.Hotplug{}
	if err := c.Get(ctx, client.ObjectKey{Name: "common"}, hp); err != nil {
		b.Fatal(err)
	}
	for i := range hp.Spec.Component {
		hp.Spec.Component[i].Env = "cluster: \"{{.cluster}}\"\nround: 2\n"
	}
	start = time.Now()
	if err := c.Update(ctx, hp); err != nil {
		b.Fatal(err)
	}
	waitPhase(b, c, hp.Generation) // Update filled in the new generation
	b.ReportMetric(time.Since(start).Seconds(), "upgrade-s")

	before := writes.Writes()
	time.Sleep(5 * time.Second)
	b.ReportMetric(float64(writes.Writes()-before), "noop-resync-writes")
}

func waitPhase(b *testing.B, c client.Client, generation int64) {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		hp := &hotplugv1.Hotplug{}
		if err := c.Get(context.Background(), client.ObjectKey{Name: "common"}, hp); err == nil &&
			hp.Status.Phase == hotplugv1.PhaseRunning && hp.Status.ObservedGeneration >= generation {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	hp := &hotplugv1.Hotplug{}
	_ = c.Get(context.Background(), client.ObjectKey{Name: "common"}, hp)
	b.Fatalf("did not converge: %s %d %s", hp.Status.Phase, hp.Status.ObservedGeneration, hp.Status.Message)
}
