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
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// The KubeCube case: thanos creates a ServiceMonitor, whose CRD
// monitoring's chart ships in crds/ next to its operator's Deployment.
const (
	depMonitoring = "kubecube-monitoring"
	depThanos     = "kubecube-thanos"
	depCRD        = "servicemonitors.monitoring.example.hotplug.io"
)

// componentEvent is one of the agent's events about a component.
type componentEvent struct {
	reason, note string
	at           time.Time // the last occurrence the API server knows of
}

// helmFailures reads the agent's failed Helm actions of component from its
// metrics (the agent runs in this process); tests compare before and after.
func helmFailures(t *testing.T, component string) float64 {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != "hotplug_helm_actions_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["component"] == component && labels["result"] == "failure" {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// componentEvents lists the agent's events about component since since,
// oldest first (the related reference names the component's release).
func componentEvents(t *testing.T, c client.Client, component string, since time.Time) []componentEvent {
	t.Helper()
	list := &eventsv1.EventList{}
	if err := c.List(context.Background(), list); err != nil {
		t.Fatal(err)
	}
	var out []componentEvent
	for _, e := range list.Items {
		if e.Related == nil || e.Related.FieldPath != "helm-release/"+component {
			continue
		}
		at := e.EventTime.Time
		if e.Series != nil {
			// A repeated event is folded into the first one's series.
			at = e.Series.LastObservedTime.Time
		}
		if at.IsZero() {
			at = e.CreationTimestamp.Time
		}
		if at.Before(since) {
			continue
		}
		out = append(out, componentEvent{reason: e.Reason, note: e.Note, at: at})
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].at.Before(out[j-1].at); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// firstEvent returns the first event of component with one of reasons.
func firstEvent(evs []componentEvent, reasons ...string) (componentEvent, bool) {
	for _, e := range evs {
		for _, r := range reasons {
			if e.reason == r {
				return e, true
			}
		}
	}
	return componentEvent{}, false
}

// editSpec is editHotplug that tries again on a conflict: the hub writes
// common's status meanwhile.
func editSpec(t *testing.T, c client.Client, name string, f func(*hotplugv1.HotplugSpec)) {
	t.Helper()
	var err error
	for range 10 {
		hp := getHotplug(t, c, name)
		f(&hp.Spec)
		if err = c.Update(context.Background(), hp); !apierrors.IsConflict(err) {
			break
		}
	}
	if err != nil {
		t.Fatalf("updating Hotplug %s: %v", name, err)
	}
}

func countEvents(evs []componentEvent, reason string) int {
	n := 0
	for _, e := range evs {
		if e.reason == reason {
			n++
		}
	}
	return n
}

// TestDependsOn runs the hub and the agent on a control plane that runs
// pods (controller-manager, scheduler, kwok) with two charts the test
// builds: kubecube-monitoring (a CRD in crds/ and an operator Deployment)
// and kubecube-thanos (a custom resource of that CRD). With thanos
// dependsOn monitoring, a cold install makes no failed Helm action and
// installs thanos only after monitoring is Ready; disabling both uninstalls
// thanos first, and so does removing both while the agent is stopped
// (the order is read back from the inventory after the restart; a
// malformed record there is ignored, never holding either); the hub's
// webhook refuses a cycle and an unknown name with
// the cycle spelled out. The resync is long, so only the agent's wake-ups
// can move a waiting component on time. Without dependsOn the same cold
// install (CRD deleted first) starts thanos at once; its failed actions are
// reported as a figure.
func TestDependsOn(t *testing.T) {
	const cluster = "pivot-cluster"
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: cluster, Workloads: true})
	cp := env.Cluster(cluster)
	c := newClient(t, cp.Config)
	ctx := context.Background()
	hc, err := helm.New(cp.Config, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	testcharts.Package(t, "operator", dir, depMonitoring, "1.0.0", "")
	testcharts.Package(t, "crduser", dir, depThanos, "1.0.0", "")

	if err := c.Create(ctx, &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: cluster}}); err != nil {
		t.Fatal(err)
	}
	testenv.RunHub(t, cp.Config, hub.Options{HeartbeatTimeout: time.Minute, CheckPeriod: time.Second})

	spec := func(status string, deps bool) []hotplugv1.ComponentSpec {
		s := []hotplugv1.ComponentSpec{
			{Name: depMonitoring, Namespace: "monitoring", PkgName: depMonitoring + "-1.0.0.tgz", Status: status},
			{Name: depThanos, Namespace: "thanos", PkgName: depThanos + "-1.0.0.tgz", Status: status},
		}
		if deps {
			s[1].DependsOn = []string{depMonitoring}
		}
		return s
	}
	for _, hp := range []*hotplugv1.Hotplug{
		{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{Component: spec(hotplugv1.StatusEnabled, true)}},
		{ObjectMeta: metav1.ObjectMeta{Name: cluster}},
	} {
		if err := c.Create(ctx, hp); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("webhook refuses a cycle and an unknown name", func(t *testing.T) {
		refused := func(name string, edit func(*hotplugv1.HotplugSpec), want ...string) {
			t.Helper()
			var err error
			for range 10 { // the hub writes common's status meanwhile
				hp := getHotplug(t, c, name)
				edit(&hp.Spec)
				if err = c.Update(ctx, hp); !apierrors.IsConflict(err) {
					break
				}
			}
			if err == nil {
				t.Fatalf("edit of %s accepted", name)
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("refusal %q lacks %q", err, w)
				}
			}
			t.Logf("refused: %v", err)
		}
		refused(hotplugv1.CommonName, func(s *hotplugv1.HotplugSpec) {
			s.Component[componentIndex(t, s, depMonitoring)].DependsOn = []string{depThanos}
		}, `hotplug "common": component "kubecube-monitoring": spec.component[kubecube-monitoring].dependsOn: dependency cycle: kubecube-monitoring -> kubecube-thanos -> kubecube-monitoring`,
			`component "kubecube-thanos"`, "kubecube-thanos -> kubecube-monitoring -> kubecube-thanos")
		refused(hotplugv1.CommonName, func(s *hotplugv1.HotplugSpec) {
			s.Component[componentIndex(t, s, depThanos)].DependsOn = []string{"kubecube-monitorin"}
		}, `component "kubecube-thanos": spec.component[kubecube-thanos].dependsOn: "kubecube-monitorin": not a component`)
		refused(cluster, func(s *hotplugv1.HotplugSpec) {
			s.Component = []hotplugv1.ComponentSpec{{Name: depMonitoring, DependsOn: []string{depThanos}}}
		}, `hotplug "pivot-cluster": component "kubecube-monitoring"`, "dependency cycle: kubecube-monitoring -> kubecube-thanos -> kubecube-monitoring")
		// A cluster's component may depend on common's.
		editSpec(t, c, cluster, func(s *hotplugv1.HotplugSpec) {
			s.Component = []hotplugv1.ComponentSpec{{Name: "audit", Status: hotplugv1.StatusEnabled, DependsOn: []string{depMonitoring}}}
		})
	})

	failedBefore := helmFailures(t, depMonitoring) + helmFailures(t, depThanos)
	agentOpts := agent.Options{ClusterName: cluster, ChartDir: dir, Resync: 10 * time.Minute, HeartbeatInterval: 5 * time.Second}
	running1 := testenv.RunAgent(t, cp.Config, agentOpts)

	component := func(name string) hotplugv1.ComponentStatus {
		for _, cs := range getHotplug(t, c, cluster).Status.Components {
			if cs.Name == name {
				return cs
			}
		}
		return hotplugv1.ComponentStatus{}
	}
	readyCond := func(name string) *metav1.Condition {
		return meta.FindStatusCondition(component(name).Conditions, hotplugv1.ConditionReady)
	}
	running := func(name string) bool { return component(name).Message == hotplugv1.MessageRunning }
	release := func(ns, name string) *helm.Release {
		r, err := hc.Get(ctx, ns, name)
		if errors.Is(err, helm.ErrNotFound) {
			return nil
		}
		if err != nil {
			t.Fatalf("release %s/%s: %v", ns, name, err)
		}
		return r
	}

	t.Run("cold install waits for the CRD's owner", func(t *testing.T) {
		start := time.Now().Add(-time.Minute) // the agent may have begun before
		var waited string
		testenv.Eventually(t, 180*time.Second, "both running", func() (bool, string) {
			th := component(depThanos)
			if cond := meta.FindStatusCondition(th.Conditions, hotplugv1.ConditionReady); cond != nil && cond.Reason == hotplugv1.ReasonDependencyNotReady {
				waited = th.Message
			}
			return running(depMonitoring) && running(depThanos), component(depMonitoring).Message + " / " + th.Message
		})
		mon, th := componentEvents(t, c, depMonitoring, start), componentEvents(t, c, depThanos, start)
		if n := helmFailures(t, depMonitoring) + helmFailures(t, depThanos) - failedBefore; n != 0 || countEvents(mon, "HelmFailed")+countEvents(th, "HelmFailed") != 0 {
			t.Errorf("%v failed Helm actions with dependsOn: %+v %+v", n, mon, th)
		}
		if wait, ok := firstEvent(th, hotplugv1.ReasonDependencyNotReady); !ok || !strings.Contains(wait.note, "waiting for kubecube-monitoring to be Ready") {
			t.Errorf("thanos never said it waited for monitoring: %+v", th)
		}
		thRel, monReady := release("thanos", depThanos), readyCond(depMonitoring)
		if thRel == nil || thRel.Revision != 1 || monReady == nil {
			t.Fatalf("thanos release %+v, monitoring Ready %+v", thRel, monReady)
		}
		// The condition's time is cut to the second, so it is at most the
		// moment monitoring became Ready: thanos' install began after it.
		if thRel.Since.Before(monReady.LastTransitionTime.Time) {
			t.Errorf("thanos installed at %s, before monitoring was Ready at %s", thRel.Since.Format(time.RFC3339Nano), monReady.LastTransitionTime.Format(time.RFC3339))
		}
		monInstalled, _ := firstEvent(mon, "Installed")
		thInstalled, _ := firstEvent(th, "Installed")
		if !monInstalled.at.Before(thInstalled.at) {
			t.Errorf("Installed events: monitoring %s, thanos %s", monInstalled.at, thInstalled.at)
		}
		if got := thRel.Since.Sub(monReady.LastTransitionTime.Time); got > 30*time.Second {
			// The resync is 10 minutes: only a wake-up explains a prompt start.
			t.Errorf("thanos began %s after monitoring was Ready: not woken", got)
		}
		t.Logf("with dependsOn: 0 failed Helm actions; monitoring installed %s, Ready %s; thanos waited (%q), installed %s (%s after Ready, to the second)",
			monInstalled.at.Format("15:04:05.000"), monReady.LastTransitionTime.Format("15:04:05"), waited,
			thRel.Since.Format("15:04:05.000"), thRel.Since.Sub(monReady.LastTransitionTime.Time).Round(time.Millisecond))
	})

	t.Run("disabling both uninstalls the dependent first", func(t *testing.T) {
		start := time.Now()
		failed := helmFailures(t, depMonitoring) + helmFailures(t, depThanos)
		editSpec(t, c, hotplugv1.CommonName, func(s *hotplugv1.HotplugSpec) { s.Component = spec(hotplugv1.StatusDisabled, true) })
		testenv.Eventually(t, 120*time.Second, "both uninstalled", func() (bool, string) {
			return release("monitoring", depMonitoring) == nil && release("thanos", depThanos) == nil,
				component(depMonitoring).Message + " / " + component(depThanos).Message
		})
		mon, th := componentEvents(t, c, depMonitoring, start), componentEvents(t, c, depThanos, start)
		monGone, ok1 := firstEvent(mon, "Uninstalled")
		thGone, ok2 := firstEvent(th, "Uninstalled")
		if !ok1 || !ok2 || !thGone.at.Before(monGone.at) {
			t.Fatalf("Uninstalled events: thanos %v %s, monitoring %v %s", ok2, thGone.at, ok1, monGone.at)
		}
		if n := helmFailures(t, depMonitoring) + helmFailures(t, depThanos) - failed; n != 0 {
			t.Errorf("%v failed Helm actions while uninstalling", n)
		}
		waited := "did not need to wait"
		if w, ok := firstEvent(mon, hotplugv1.ReasonDependencyNotReady); ok {
			waited = w.note
		}
		t.Logf("uninstalled: thanos %s, monitoring %s (%s later); monitoring %s",
			thGone.at.Format("15:04:05.000"), monGone.at.Format("15:04:05.000"), monGone.at.Sub(thGone.at).Round(time.Millisecond), waited)
		testenv.Eventually(t, 30*time.Second, "both disabled in the status", func() (bool, string) {
			m, th := readyCond(depMonitoring), readyCond(depThanos)
			return m != nil && m.Reason == hotplugv1.ReasonDisabled && th != nil && th.Reason == hotplugv1.ReasonDisabled, fmt.Sprintf("%+v / %+v", m, th)
		})
	})

	// coldStart disables both, removes the CRD that Helm leaves behind, and
	// enables thanos alone, monitoring still disabled.
	coldStart := func(t *testing.T, deps bool) {
		t.Helper()
		editSpec(t, c, hotplugv1.CommonName, func(s *hotplugv1.HotplugSpec) { s.Component = spec(hotplugv1.StatusDisabled, deps) })
		testenv.Eventually(t, 120*time.Second, "both uninstalled", func() (bool, string) {
			return release("monitoring", depMonitoring) == nil && release("thanos", depThanos) == nil, ""
		})
		if err := c.Delete(ctx, &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: depCRD}}); client.IgnoreNotFound(err) != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 60*time.Second, "CRD gone", func() (bool, string) {
			err := c.Get(ctx, client.ObjectKey{Name: depCRD}, &apiextensionsv1.CustomResourceDefinition{})
			return apierrors.IsNotFound(err), fmt.Sprint(err)
		})
		editSpec(t, c, hotplugv1.CommonName, func(s *hotplugv1.HotplugSpec) {
			s.Component = spec(hotplugv1.StatusEnabled, deps)
			s.Component[componentIndex(t, s, depMonitoring)].Status = hotplugv1.StatusDisabled
		})
	}
	enableMonitoring := func(t *testing.T) time.Time {
		t.Helper()
		editSpec(t, c, hotplugv1.CommonName, func(s *hotplugv1.HotplugSpec) {
			s.Component[componentIndex(t, s, depMonitoring)].Status = hotplugv1.StatusEnabled
		})
		return time.Now()
	}

	t.Run("a disabled dependency holds the dependent until it is enabled", func(t *testing.T) {
		failed := helmFailures(t, depThanos)
		coldStart(t, true)
		testenv.Eventually(t, 60*time.Second, "thanos waits", func() (bool, string) {
			cond := readyCond(depThanos)
			return cond != nil && cond.Reason == hotplugv1.ReasonDependencyNotReady && cond.Message == "waiting for kubecube-monitoring to be Ready",
				fmt.Sprintf("%+v", cond)
		})
		hp := getHotplug(t, c, cluster)
		if hp.Status.Phase != hotplugv1.PhaseProgressing {
			t.Errorf("phase %s while thanos waits", hp.Status.Phase)
		}
		time.Sleep(5 * time.Second)
		if r := release("thanos", depThanos); r != nil {
			t.Fatalf("thanos installed while monitoring is disabled: %+v", r)
		}
		enabled := enableMonitoring(t)
		testenv.Eventually(t, 180*time.Second, "both running", func() (bool, string) {
			return running(depMonitoring) && running(depThanos), component(depMonitoring).Message + " / " + component(depThanos).Message
		})
		thRel, monReady := release("thanos", depThanos), readyCond(depMonitoring)
		if n := helmFailures(t, depThanos) - failed; n != 0 {
			t.Errorf("%v failed Helm actions of thanos", n)
		}
		if thRel.Since.Before(monReady.LastTransitionTime.Time) {
			t.Errorf("thanos installed at %s, before monitoring was Ready at %s", thRel.Since.Format(time.RFC3339Nano), monReady.LastTransitionTime.Format(time.RFC3339))
		}
		// The resync is 10 minutes: only a wake-up explains a prompt start.
		if got := thRel.Since.Sub(monReady.LastTransitionTime.Time); got > 30*time.Second {
			t.Errorf("thanos began %s after monitoring was Ready: not woken", got)
		}
		t.Logf("thanos waited for disabled monitoring with no Helm action; monitoring enabled %s, Ready %s; thanos installed %s (%s after enabling), 0 failed actions",
			enabled.Format("15:04:05.000"), monReady.LastTransitionTime.Format("15:04:05"), thRel.Since.Format("15:04:05.000"), thRel.Since.Sub(enabled).Round(time.Millisecond))
	})

	t.Run("without dependsOn thanos fails until the CRD exists", func(t *testing.T) {
		failed := helmFailures(t, depThanos)
		start := time.Now()
		coldStart(t, false)
		var msg string
		testenv.Eventually(t, 60*time.Second, "thanos fails", func() (bool, string) {
			msg = component(depThanos).Message
			return strings.HasPrefix(msg, "helm install failed"), msg
		})
		if !strings.Contains(msg, "ServiceMonitor") || helmFailures(t, depThanos) <= failed {
			t.Errorf("thanos' failure %q does not name the missing kind, or was not counted", msg)
		}
		enableMonitoring(t)
		testenv.Eventually(t, 180*time.Second, "both running", func() (bool, string) {
			return running(depMonitoring) && running(depThanos), component(depMonitoring).Message + " / " + component(depThanos).Message
		})
		if n := countEvents(componentEvents(t, c, depThanos, start), hotplugv1.ReasonDependencyNotReady); n != 0 {
			t.Errorf("thanos waited without dependsOn")
		}
		t.Logf("without dependsOn: %v failed Helm actions of thanos before monitoring's CRD existed; first: %s", helmFailures(t, depThanos)-failed, msg)
	})

	// removedWhileDown installs both with dependsOn, stops the agent, lets
	// corrupt edit the inventory ConfigMap, removes both from the
	// configuration and starts the agent again; it returns when both
	// releases are gone, with their Uninstalled events.
	inventoryKey := client.ObjectKey{Namespace: agent.DefaultNamespace, Name: agent.InventoryConfigMap}
	stopped, outer := running1, t
	removedWhileDown := func(t *testing.T, corrupt func(*corev1.ConfigMap)) (thGone, monGone componentEvent, monWaited string) {
		t.Helper()
		editSpec(t, c, hotplugv1.CommonName, func(s *hotplugv1.HotplugSpec) { s.Component = spec(hotplugv1.StatusEnabled, true) })
		testenv.Eventually(t, 180*time.Second, "both running, thanos' dependsOn recorded", func() (bool, string) {
			cm := &corev1.ConfigMap{}
			if err := c.Get(ctx, inventoryKey, cm); err != nil {
				return false, err.Error()
			}
			rec := cm.Annotations[agent.InventoryDependsOnAnnotation]
			return running(depMonitoring) && running(depThanos) && rec == `{"kubecube-thanos":["kubecube-monitoring"]}`,
				component(depMonitoring).Message + " / " + component(depThanos).Message + " / recorded " + rec
		})
		stopped.Stop()
		cm := &corev1.ConfigMap{}
		if err := c.Get(ctx, inventoryKey, cm); err != nil {
			t.Fatal(err)
		}
		if cm.Data[depThanos] != "thanos" || cm.Data[depMonitoring] != "monitoring" || len(cm.Data) != 2 {
			// Data keeps only component → namespace, as older agents read it.
			t.Fatalf("inventory data %v", cm.Data)
		}
		if corrupt != nil {
			corrupt(cm)
			if err := c.Update(ctx, cm); err != nil {
				t.Fatal(err)
			}
		}
		// The cluster's audit depends on monitoring: it goes first, or the
		// webhook refuses common without monitoring.
		editSpec(t, c, cluster, func(s *hotplugv1.HotplugSpec) { s.Component = nil })
		editSpec(t, c, hotplugv1.CommonName, func(s *hotplugv1.HotplugSpec) { s.Component = nil })
		start := time.Now()
		// The agent outlives this subtest: the next one stops it.
		stopped = testenv.RunAgent(outer, cp.Config, agentOpts)
		testenv.Eventually(t, 180*time.Second, "both uninstalled", func() (bool, string) {
			return release("monitoring", depMonitoring) == nil && release("thanos", depThanos) == nil, ""
		})
		mon, th := componentEvents(t, c, depMonitoring, start), componentEvents(t, c, depThanos, start)
		var ok1, ok2 bool
		monGone, ok1 = firstEvent(mon, "Uninstalled")
		thGone, ok2 = firstEvent(th, "Uninstalled")
		if !ok1 || !ok2 {
			t.Fatalf("Uninstalled events: thanos %+v, monitoring %+v", th, mon)
		}
		monWaited = "did not wait"
		if w, ok := firstEvent(mon, hotplugv1.ReasonDependencyNotReady); ok {
			monWaited = "waited: " + w.note
		}
		testenv.Eventually(t, 30*time.Second, "inventory emptied", func() (bool, string) {
			cm := &corev1.ConfigMap{}
			if err := c.Get(ctx, inventoryKey, cm); err != nil {
				return false, err.Error()
			}
			_, recorded := cm.Annotations[agent.InventoryDependsOnAnnotation]
			return len(cm.Data) == 0 && !recorded, fmt.Sprintf("data %v, annotations %v", cm.Data, cm.Annotations)
		})
		return thGone, monGone, monWaited
	}

	t.Run("removed together while the agent was down: the dependent first after a restart", func(t *testing.T) {
		failed := helmFailures(t, depMonitoring) + helmFailures(t, depThanos)
		thGone, monGone, waited := removedWhileDown(t, nil)
		if !thGone.at.Before(monGone.at) {
			t.Errorf("after a restart monitoring was uninstalled at %s, thanos at %s", monGone.at.Format("15:04:05.000000"), thGone.at.Format("15:04:05.000000"))
		}
		if n := helmFailures(t, depMonitoring) + helmFailures(t, depThanos) - failed; n != 0 {
			t.Errorf("%v failed Helm actions", n)
		}
		t.Logf("after a restart: thanos uninstalled %s, monitoring %s (%s later), 0 failed Helm actions; monitoring %s",
			thGone.at.Format("15:04:05.000"), monGone.at.Format("15:04:05.000"), monGone.at.Sub(thGone.at).Round(time.Millisecond), waited)
	})

	t.Run("a malformed record is ignored: both uninstalled, the record replaced", func(t *testing.T) {
		failed := helmFailures(t, depMonitoring) + helmFailures(t, depThanos)
		thGone, monGone, _ := removedWhileDown(t, func(cm *corev1.ConfigMap) {
			cm.Annotations[agent.InventoryDependsOnAnnotation] = `{"kubecube-thanos":["kubecube-monitoring"` + strings.Repeat(",", 100)
		})
		if n := helmFailures(t, depMonitoring) + helmFailures(t, depThanos) - failed; n != 0 {
			t.Errorf("%v failed Helm actions", n)
		}
		t.Logf("malformed record: thanos uninstalled %s, monitoring %s, no ordering, not held", thGone.at.Format("15:04:05.000"), monGone.at.Format("15:04:05.000"))
	})
}
