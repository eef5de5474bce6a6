package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/config/samples"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/manifest"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// seedMessage is status.message of both objects in the seed document.
const seedMessage = `{"kubecube-monitoring":"release is running","kubecube-thanos":"release is running","logagent":"release is running","logseer":"release is running"}`

// TestAgentSeedScenario runs the seed's pivot-cluster configuration through
// the agent, then the edits an operator makes, checking every release.
func TestAgentSeedScenario(t *testing.T) {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "pivot-cluster"})
	cfg := env.Cluster("pivot-cluster").Config
	c := newClient(t, cfg)
	ctx := context.Background()
	chartDir := t.TempDir()
	testenv.SeedCharts(t, chartDir)

	hc, err := helm.New(cfg, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A release made by hand under another name must survive everything.
	bystander, err := chartpkg.Load(chartDir, "logseer-v1.0.0.tgz")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hc.Install(ctx, helm.Request{Name: "bystander", Namespace: "other", Chart: bystander, Values: map[string]any{"x": 1}}); err != nil {
		t.Fatal(err)
	}

	for _, name := range samples.Names() {
		if err := manifest.Apply(ctx, c, samples.MustRead(name)); err != nil {
			t.Fatal(err)
		}
	}
	writes := testenv.RunAgent(t, cfg, agent.Options{ClusterName: "pivot-cluster", ChartDir: chartDir, Resync: 2 * time.Second, HeartbeatInterval: time.Hour})

	waitRunning := func(what string) {
		t.Helper()
		testenv.Eventually(t, 90*time.Second, what, func() (bool, string) {
			for _, n := range []string{"common", "pivot-cluster"} {
				hp := getHotplug(t, c, n)
				if hp.Status.Phase != hotplugv1.PhaseRunning || hp.Status.ObservedGeneration != hp.Generation {
					return false, n + ": " + hp.Status.Phase + " " + hp.Status.Message
				}
			}
			return true, ""
		})
	}
	revision := func(ns, name string) int {
		t.Helper()
		r, err := hc.Get(ctx, ns, name)
		if err != nil {
			t.Fatalf("release %s/%s: %v", ns, name, err)
		}
		if r.Status != "deployed" {
			t.Fatalf("release %s/%s is %s", ns, name, r.Status)
		}
		return r.Revision
	}
	absent := func(ns, name string) bool {
		_, err := hc.Get(ctx, ns, name)
		return errors.Is(err, helm.ErrNotFound)
	}

	waitRunning("seed configuration converges")
	t.Run("seed expectations", func(t *testing.T) {
		for _, n := range []string{"common", "pivot-cluster"} {
			if got := getHotplug(t, c, n).Status.Message; got != seedMessage {
				t.Errorf("%s message = %s\nwant %s", n, got, seedMessage)
			}
		}
		for ns, name := range map[string]string{"logseer": "logseer", "kubecube-monitoring": "kubecube-thanos", "logagent": "logagent"} {
			if rev := revision(ns, name); rev != 1 {
				t.Errorf("%s revision %d", name, rev)
			}
		}
		mon, _, ok := releaseValues(t, c, "kubecube-monitoring", "kubecube-monitoring")
		if !ok {
			t.Fatal("monitoring not installed")
		}
		if dig(mon, "grafana", "enabled") != true {
			t.Errorf("grafana.enabled = %v, want true (deep merge)", dig(mon, "grafana", "enabled"))
		}
		if got := dig(mon, "prometheus", "prometheusSpec", "externalLabels", "cluster"); got != "pivot-cluster" {
			t.Errorf("externalLabels.cluster = %v", got)
		}
		rw, _ := dig(mon, "prometheus", "prometheusSpec", "remoteWrite").([]any)
		if len(rw) != 1 || dig(rw[0].(map[string]any), "url") != "http://thanos-receive:19291/api/v1/receive" {
			t.Errorf("remoteWrite = %v, want the cluster's list only", rw)
		}
		la, _, _ := releaseValues(t, c, "logagent", "logagent")
		if la["clustername"] != "pivot-cluster" {
			t.Errorf("logagent clustername = %v", la["clustername"])
		}
		th, _, _ := releaseValues(t, c, "kubecube-monitoring", "kubecube-thanos")
		if dig(th, "receive", "replicaCount") != float64(1) {
			t.Errorf("thanos receive = %v", th["receive"])
		}
		fc := &corev1.ConfigMap{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: agent.DefaultNamespace, Name: agent.FeatureConfigMap}, fc); err != nil {
			t.Fatal(err)
		}
		if fc.Data["audit"] != "disabled" || fc.Data["logseer"] != "enabled" {
			t.Errorf("feature config = %v", fc.Data)
		}
		events := &eventsv1.EventList{}
		if err := c.List(ctx, events); err != nil {
			t.Fatal(err)
		}
		installed := map[string]bool{}
		for _, e := range events.Items {
			if e.Regarding.Name == "pivot-cluster" && e.Reason == "Installed" {
				installed[strings.TrimSuffix(strings.Fields(e.Note)[1], ":")] = true
			}
		}
		for _, comp := range []string{"logseer", "logagent", "kubecube-monitoring", "kubecube-thanos"} {
			if !installed[comp] {
				t.Errorf("no Installed event for %s (events: %d)", comp, len(events.Items))
			}
		}
		hp := getHotplug(t, c, "pivot-cluster")
		for _, cs := range hp.Status.Components {
			if cs.Name == "kubecube-monitoring" && (cs.ChartVersion != "15.4.7" || cs.Revision != 1 || cs.ValuesDigest == "" || len(cs.Conditions) != 1) {
				t.Errorf("structured status of monitoring: %+v", cs)
			}
		}
	})

	t.Run("disable logseer", func(t *testing.T) {
		mon, thanos, la := revision("kubecube-monitoring", "kubecube-monitoring"), revision("kubecube-monitoring", "kubecube-thanos"), revision("logagent", "logagent")
		editHotplug(t, c, "pivot-cluster", func(s *hotplugv1.HotplugSpec) {
			s.Component[componentIndex(t, s, "logseer")].Status = hotplugv1.StatusDisabled
		})
		testenv.Eventually(t, 60*time.Second, "logseer uninstalled", func() (bool, string) { return absent("logseer", "logseer"), "" })
		waitRunning("after disabling logseer")
		if revision("kubecube-monitoring", "kubecube-monitoring") != mon || revision("kubecube-monitoring", "kubecube-thanos") != thanos || revision("logagent", "logagent") != la {
			t.Error("other releases changed")
		}
	})

	t.Run("change monitoring env", func(t *testing.T) {
		rev := revision("kubecube-monitoring", "kubecube-monitoring")
		editHotplug(t, c, "pivot-cluster", func(s *hotplugv1.HotplugSpec) {
			s.Component[componentIndex(t, s, "kubecube-monitoring")].Env += "    retention: 7d\nalertmanager: null\n"
		})
		testenv.Eventually(t, 60*time.Second, "monitoring upgraded", func() (bool, string) {
			vals, _, _ := releaseValues(t, c, "kubecube-monitoring", "kubecube-monitoring")
			return dig(vals, "prometheus", "prometheusSpec", "retention") == "7d", ""
		})
		waitRunning("after the env change")
		if got := revision("kubecube-monitoring", "kubecube-monitoring"); got != rev+1 {
			t.Errorf("revision %d, want %d", got, rev+1)
		}
	})

	t.Run("no-op resync writes nothing", func(t *testing.T) {
		before := writes.Writes()
		revs := map[string]int{}
		for _, r := range mustList(t, hc) {
			revs[r.Namespace+"/"+r.Name] = r.Revision
		}
		reconciles := reconcileCount(t)
		time.Sleep(6 * time.Second) // three resync periods
		if n := reconcileCount(t) - reconciles; n < 4 {
			t.Fatalf("only %d reconciles during the resync window", n)
		}
		if n := writes.Writes() - before; n != 0 {
			t.Errorf("%d API writes during no-op resyncs", n)
		}
		for _, r := range mustList(t, hc) {
			if revs[r.Namespace+"/"+r.Name] != r.Revision {
				t.Errorf("%s/%s revision moved %d -> %d", r.Namespace, r.Name, revs[r.Namespace+"/"+r.Name], r.Revision)
			}
		}
	})

	t.Run("deleted feature ConfigMap comes back on resync", func(t *testing.T) {
		fc := &corev1.ConfigMap{}
		key := client.ObjectKey{Namespace: agent.DefaultNamespace, Name: agent.FeatureConfigMap}
		if err := c.Get(ctx, key, fc); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, fc); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 30*time.Second, "feature ConfigMap recreated", func() (bool, string) {
			got := &corev1.ConfigMap{}
			err := c.Get(ctx, key, got)
			return err == nil && got.Data["audit"] == "disabled", fmt.Sprint(err)
		})
	})

	t.Run("new pkgName only", func(t *testing.T) {
		rev := revision("logagent", "logagent")
		editHotplug(t, c, "common", func(s *hotplugv1.HotplugSpec) {
			s.Component[componentIndex(t, s, "logagent")].PkgName = "logagent-v1.1.0.tgz"
		})
		testenv.Eventually(t, 60*time.Second, "logagent upgraded to 1.1.0", func() (bool, string) {
			_, v, _ := releaseValues(t, c, "logagent", "logagent")
			return v == "1.1.0", v
		})
		waitRunning("after the package change")
		if got := revision("logagent", "logagent"); got != rev+1 {
			t.Errorf("revision %d, want %d", got, rev+1)
		}
	})

	t.Run("remove logagent", func(t *testing.T) {
		editHotplug(t, c, "common", func(s *hotplugv1.HotplugSpec) {
			i := componentIndex(t, s, "logagent")
			s.Component = append(s.Component[:i], s.Component[i+1:]...)
		})
		testenv.Eventually(t, 60*time.Second, "logagent uninstalled", func() (bool, string) { return absent("logagent", "logagent"), "" })
		waitRunning("after removing logagent")
	})

	if absent("other", "bystander") {
		t.Error("a release the agent does not manage was removed")
	}
}

func mustList(t *testing.T, hc *helm.Client) []*helm.Release {
	t.Helper()
	rels, err := hc.List(context.Background(), labels.Everything())
	if err != nil {
		t.Fatal(err)
	}
	return rels
}

// reconcileCount reads the agent's reconcile counter from the metrics
// registry it exports on /metrics.
func reconcileCount(t *testing.T) uint64 {
	t.Helper()
	fams, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, f := range fams {
		if f.GetName() == "hotplug_reconcile_duration_seconds" {
			for _, m := range f.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return n
}
