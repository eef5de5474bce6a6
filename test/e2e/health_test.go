package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// readCounter counts the agent's reads (GET requests that are not watches)
// and the watches it opens.
type readCounter struct {
	rt             http.RoundTripper
	reads, watches atomic.Int64
}

func (r *readCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet {
		if req.URL.Query().Get("watch") == "true" {
			r.watches.Add(1)
		} else {
			r.reads.Add(1)
		}
	}
	return r.rt.RoundTrip(req)
}

// TestHealthOfWorkloads runs the agent, with a short --health-timeout and a
// long resync (so that only the watch can be the reason it notices), on a
// control plane that really schedules pods (controller-manager, scheduler,
// kwok): the webapp chart's Deployment decides whether the component is
// running. An env change that makes the Deployment unschedulable (a cpu
// request larger than any node) leaves running within 30 s with the
// Deployment and the pod's reason in the message, turns to fail after the
// health timeout, and fixing the env brings it back; a Deployment deleted by
// hand leaves running within seconds. The Ready condition (what `kubectl
// wait --for=condition=Ready` reads) follows, and a converged agent writes
// nothing and makes no Helm revision. Drift repair is off here so that the
// deleted Deployment stays deleted (TestDriftRepairByAgent covers repair).
func TestHealthOfWorkloads(t *testing.T) {
	const cluster = "pivot-cluster"
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: cluster, Workloads: true})
	cp := env.Cluster(cluster)
	cfg := cp.Config
	c := newClient(t, cfg)
	ctx := context.Background()
	dir := t.TempDir()
	testcharts.Package(t, "webapp", dir, "web", "1.0.0", "web-1.0.0.tgz")
	for _, hp := range []*hotplugv1.Hotplug{
		{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
			{Name: "web", Namespace: "web", PkgName: "web-1.0.0.tgz", Status: hotplugv1.StatusEnabled},
		}}},
		{ObjectMeta: metav1.ObjectMeta{Name: cluster}},
	} {
		if err := c.Create(ctx, hp); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Create(ctx, &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: cluster}}); err != nil {
		t.Fatal(err)
	}
	counter := &readCounter{}
	acfg := rest.CopyConfig(cfg)
	acfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { counter.rt = rt; return counter })
	const healthTimeout = 20 * time.Second
	a := testenv.RunAgent(t, acfg, agent.Options{ClusterName: cluster, ChartDir: dir, HealthTimeout: healthTimeout, DisableDriftRepair: true,
		Resync: 5 * time.Minute, HeartbeatInterval: time.Hour})

	component := func() (hotplugv1.ComponentStatus, *hotplugv1.Hotplug) {
		hp := getHotplug(t, c, cluster)
		for _, cs := range hp.Status.Components {
			if cs.Name == "web" {
				return cs, hp
			}
		}
		return hotplugv1.ComponentStatus{}, hp
	}
	running := func() (bool, string) {
		cs, hp := component()
		return hp.Status.Phase == hotplugv1.PhaseRunning && cs.Message == hotplugv1.MessageRunning, hp.Status.Phase + ": " + cs.Message
	}
	// readyCondition is what `kubectl wait --for=condition=Ready` decides on.
	readyCondition := func() *metav1.Condition {
		hp := getHotplug(t, c, cluster)
		cond := meta.FindStatusCondition(hp.Status.Conditions, hotplugv1.ConditionReady)
		if cond == nil || cond.ObservedGeneration != hp.Generation {
			return nil
		}
		return cond
	}
	kubectlWait := func(want bool) {
		t.Helper()
		kubectl, err := exec.LookPath("kubectl")
		if err != nil {
			t.Logf("no kubectl: checked the Ready condition only")
			return
		}
		timeout := "20s"
		if !want {
			timeout = "3s"
		}
		out, err := exec.Command(kubectl, "--kubeconfig", cp.Kubeconfig, "wait", "--for=condition=Ready", "hotplug/"+cluster, "--timeout="+timeout).CombinedOutput()
		if (err == nil) != want {
			t.Errorf("kubectl wait --for=condition=Ready hotplug/%s: %v %s (want success %v)", cluster, err, out, want)
		}
		t.Logf("kubectl wait --for=condition=Ready hotplug/%s --timeout=%s: %s (err %v)", cluster, timeout, strings.TrimSpace(string(out)), err)
	}
	clusterCondition := func(typ string) metav1.ConditionStatus {
		cl := &clusterv1.Cluster{}
		if err := c.Get(ctx, client.ObjectKey{Name: cluster}, cl); err != nil {
			t.Fatal(err)
		}
		if cond := meta.FindStatusCondition(cl.Status.Conditions, typ); cond != nil {
			return cond.Status
		}
		return metav1.ConditionUnknown
	}

	// diagnose logs what the scheduler and the node say, for failures.
	diagnose := func(t *testing.T) {
		var nodes corev1.NodeList
		if err := c.List(ctx, &nodes); err == nil {
			for _, n := range nodes.Items {
				for _, cond := range n.Status.Conditions {
					if cond.Type == corev1.NodeReady {
						t.Logf("node %s Ready=%s %s %s (heartbeat %s)", n.Name, cond.Status, cond.Reason, cond.Message, cond.LastHeartbeatTime)
					}
				}
			}
		}
		var pods corev1.PodList
		if err := c.List(ctx, &pods, client.InNamespace("web")); err == nil {
			for _, p := range pods.Items {
				t.Logf("pod %s phase %s deleting %v conditions %+v", p.Name, p.Status.Phase, p.DeletionTimestamp != nil, p.Status.Conditions)
			}
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			diagnose(t)
		}
	})

	start := time.Now()
	testenv.Eventually(t, 120*time.Second, "web running", running)
	t.Logf("running %s after the agent started", time.Since(start).Round(time.Millisecond))
	if cond := readyCondition(); cond == nil || cond.Status != metav1.ConditionTrue {
		t.Errorf("Ready condition on a healthy cluster: %+v", cond)
	}
	kubectlWait(true)
	testenv.Eventually(t, 30*time.Second, "Cluster Ready condition True", func() (bool, string) {
		s := clusterCondition(hotplugv1.ConditionReady)
		return s == metav1.ConditionTrue, string(s)
	})

	// Converged: the watch and the checks only read.
	time.Sleep(3 * time.Second)
	writes, reads, watches := a.Writes(), counter.reads.Load(), counter.watches.Load()
	const window = 30 * time.Second
	time.Sleep(window)
	if w := a.Writes() - writes; w != 0 {
		t.Errorf("converged agent made %d writes in %s", w, window)
	}
	t.Logf("converged, %s: %d reads, %d watches opened, 0 writes (%.0f reads/minute)", window,
		counter.reads.Load()-reads, counter.watches.Load()-watches, float64(counter.reads.Load()-reads)*float64(time.Minute)/float64(window))

	t.Run("unschedulable", func(t *testing.T) {
		reads := counter.reads.Load()
		edited := time.Now()
		editHotplug(t, c, hotplugv1.CommonName, func(s *hotplugv1.HotplugSpec) {
			s.Component[componentIndex(t, s, "web")].Env = "resources:\n  requests:\n    cpu: \"64\"\n"
		})
		var left time.Duration
		testenv.Eventually(t, 30*time.Second, "web leaves running with the Deployment and the pod's reason", func() (bool, string) {
			cs, _ := component()
			ok := strings.Contains(cs.Message, "Deployment web/web") && strings.Contains(cs.Message, "Unschedulable")
			if ok {
				left = time.Since(edited)
			}
			return ok, cs.Message
		})
		cs, hp := component()
		t.Logf("left running %s after the edit (%d API reads): phase %s, %s", left.Round(time.Millisecond), counter.reads.Load()-reads, hp.Status.Phase, cs.Message)
		if cond := readyCondition(); cond == nil || cond.Status != metav1.ConditionFalse {
			t.Errorf("Ready condition while unschedulable: %+v", cond)
		}
		kubectlWait(false)

		testenv.Eventually(t, healthTimeout+30*time.Second, "phase fail after the health timeout", func() (bool, string) {
			cs, hp := component()
			return hp.Status.Phase == hotplugv1.PhaseFail, hp.Status.Phase + ": " + cs.Message
		})
		cs, _ = component()
		t.Logf("fail %s after the edit: %s", time.Since(edited).Round(time.Millisecond), cs.Message)
		if !strings.HasPrefix(cs.Message, "not ready "+healthTimeout.String()+" after the last action: Deployment web/web: ") || !strings.Contains(cs.Message, "Unschedulable") {
			t.Errorf("fail message %q", cs.Message)
		}
		for _, typ := range []string{hotplugv1.ConditionStalled} {
			if c := meta.FindStatusCondition(cs.Conditions, typ); c == nil || c.Status != metav1.ConditionTrue {
				t.Errorf("component %s condition after the timeout: %+v", typ, c)
			}
		}
		testenv.Eventually(t, 30*time.Second, "Cluster Stalled condition True", func() (bool, string) {
			s := clusterCondition(hotplugv1.ConditionStalled)
			return s == metav1.ConditionTrue, string(s)
		})

		fixed := time.Now()
		editHotplug(t, c, hotplugv1.CommonName, func(s *hotplugv1.HotplugSpec) {
			s.Component[componentIndex(t, s, "web")].Env = ""
		})
		testenv.Eventually(t, 90*time.Second, "web running again after the fix", running)
		t.Logf("running %s after the fix", time.Since(fixed).Round(time.Millisecond))
		kubectlWait(true)
	})

	t.Run("deployment deleted by hand", func(t *testing.T) {
		testenv.Eventually(t, 90*time.Second, "web running before the deletion", running)
		hc, err := helm.New(cfg, helm.Options{})
		if err != nil {
			t.Fatal(err)
		}
		before, err := hc.Get(ctx, "web", "web")
		if err != nil {
			t.Fatal(err)
		}
		dep := &appsv1.Deployment{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: "web", Name: "web"}, dep); err != nil {
			t.Fatal(err)
		}
		uid := dep.UID
		deleted := time.Now()
		if err := c.Delete(ctx, dep); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 30*time.Second, "web leaves running, or drift repair recreated the Deployment", func() (bool, string) {
			cs, _ := component()
			if cs.Message != hotplugv1.MessageRunning {
				return true, cs.Message
			}
			now := &appsv1.Deployment{}
			err := c.Get(ctx, client.ObjectKey{Namespace: "web", Name: "web"}, now)
			return err == nil && now.UID != uid, "still running; deployment " + errString(err)
		})
		cs, _ := component()
		t.Logf("%s after the deletion: %s", time.Since(deleted).Round(time.Millisecond), cs.Message)
		after, err := hc.Get(ctx, "web", "web")
		if err != nil {
			t.Fatal(err)
		}
		if after.Revision != before.Revision {
			t.Errorf("health watching made Helm revision %d (was %d)", after.Revision, before.Revision)
		}
	})
}

func errString(err error) string {
	switch {
	case err == nil:
		return "present"
	case apierrors.IsNotFound(err):
		return "not found"
	default:
		return err.Error()
	}
}

// TestHealthWatchCost measures what watching health costs with 5 and 20
// components (the webapp chart, one Deployment each, one namespace each):
// API reads to converge, reads and writes while idle (the watch, not
// polling, brings changes), reads to notice one deleted Deployment, and the
// test process's heap once converged (control-plane clients included).
// Drift repair is off: this measures health watching alone.
func TestHealthWatchCost(t *testing.T) {
	for _, n := range []int{5, 20} {
		t.Run(fmt.Sprintf("%d components", n), func(t *testing.T) {
			name := fmt.Sprintf("cost%d", n)
			env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: name, Workloads: true})
			cfg := env.Cluster(name).Config
			c := newClient(t, cfg)
			ctx := context.Background()
			dir := t.TempDir()
			testcharts.Package(t, "webapp", dir, "web", "1.0.0", "web-1.0.0.tgz")
			hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}}
			for i := range n {
				comp := fmt.Sprintf("web-%d", i)
				hp.Spec.Component = append(hp.Spec.Component, hotplugv1.ComponentSpec{Name: comp, Namespace: comp, PkgName: "web-1.0.0.tgz", Status: hotplugv1.StatusEnabled})
			}
			if err := c.Create(ctx, hp); err != nil {
				t.Fatal(err)
			}
			counter := &readCounter{}
			acfg := rest.CopyConfig(cfg)
			acfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { counter.rt = rt; return counter })
			start := time.Now()
			a := testenv.RunAgent(t, acfg, agent.Options{ClusterName: name, ChartDir: dir, HealthTimeout: time.Minute, DisableDriftRepair: true,
				Resync: 5 * time.Minute, HeartbeatInterval: time.Hour})
			testenv.Eventually(t, 180*time.Second, "all running", func() (bool, string) {
				hp := getHotplug(t, c, hotplugv1.CommonName)
				return hp.Status.Phase == hotplugv1.PhaseRunning, hp.Status.Message
			})
			t.Logf("%d components running after %s: %d reads, %d watches, %d writes", n, time.Since(start).Round(time.Millisecond),
				counter.reads.Load(), counter.watches.Load(), a.Writes())
			time.Sleep(3 * time.Second)
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			reads, writes := counter.reads.Load(), a.Writes()
			const window = 20 * time.Second
			time.Sleep(window)
			t.Logf("idle %s: %d reads, %d writes; process heap in use %d MiB", window, counter.reads.Load()-reads, a.Writes()-writes, ms.HeapInuse>>20)
			if w := a.Writes() - writes; w != 0 {
				t.Errorf("idle agent wrote %d times", w)
			}

			reads = counter.reads.Load()
			deleted := time.Now()
			dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "web-0", Name: "web-0"}}
			if err := c.Delete(ctx, dep); err != nil {
				t.Fatal(err)
			}
			testenv.Eventually(t, 30*time.Second, "web-0 leaves running", func() (bool, string) {
				hp := getHotplug(t, c, hotplugv1.CommonName)
				for _, cs := range hp.Status.Components {
					if cs.Name == "web-0" {
						return cs.Message != hotplugv1.MessageRunning, cs.Message
					}
				}
				return false, "web-0 not in the status"
			})
			t.Logf("deleted Deployment noticed after %s with %d reads", time.Since(deleted).Round(time.Millisecond), counter.reads.Load()-reads)
		})
	}
}
