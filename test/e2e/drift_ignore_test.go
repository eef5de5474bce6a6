package e2e

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/drift"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// seedDriftCluster creates common with comps, an empty own Hotplug and the
// Cluster, and returns a client.
func seedDriftCluster(t *testing.T, cfg *rest.Config, cluster string, comps ...hotplugv1.ComponentSpec) client.Client {
	t.Helper()
	c := newClient(t, cfg)
	for _, obj := range []client.Object{
		&hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{Component: comps}},
		&hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: cluster}},
		&clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: cluster}},
	} {
		if err := c.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// eventMessages returns the messages of the Events with reason that name
// component.
func eventMessages(t *testing.T, c client.Client, reason, component string) []string {
	t.Helper()
	var events corev1.EventList
	if err := c.List(context.Background(), &events); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events.Items {
		if e.Reason == reason && strings.Contains(e.Message, "component "+component+":") {
			out = append(out, e.Message)
		}
	}
	return out
}

// TestDriftIgnoreByAgent: two components of the same chart; the image of
// both Deployments is rewritten under a manager that is not respected
// (admission-mirror, a registry-mirror policy). The one without driftIgnore
// is set back, its DriftRepaired Event naming admission-mirror; the one
// with driftIgnore on the image keeps the mirror, while a kubectl edit of
// another field of it is repaired (so its drift was checked) with an Event
// that names only that field. A field written by "manager" (kubebuilder's
// default), which the agent respects by --drift-respect-managers, is left
// alone while a kubectl edit next to it is repaired.
func TestDriftIgnoreByAgent(t *testing.T) {
	const cluster = "pivot-cluster"
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: cluster, Workloads: true})
	cfg := env.Cluster(cluster).Config
	ctx := context.Background()
	dir := t.TempDir()
	testcharts.Package(t, "webapp", dir, "web", "1.0.0", "web-1.0.0.tgz")
	imagePtr := "/spec/template/spec/containers/0/image"
	c := seedDriftCluster(t, cfg, cluster,
		hotplugv1.ComponentSpec{Name: "ctl", Namespace: "ctl", PkgName: "web-1.0.0.tgz", Status: hotplugv1.StatusEnabled},
		hotplugv1.ComponentSpec{Name: "web", Namespace: "web", PkgName: "web-1.0.0.tgz", Status: hotplugv1.StatusEnabled,
			DriftIgnore: []hotplugv1.DriftIgnore{{Target: hotplugv1.DriftTarget{Kind: "Deployment", Name: "web"}, Paths: []string{imagePtr}}}},
	)
	testenv.RunAgent(t, cfg, agent.Options{ClusterName: cluster, ChartDir: dir, Resync: 5 * time.Minute, HeartbeatInterval: time.Hour,
		DriftRespectManagers: []string{"manager"}})
	running := func() (bool, string) {
		hp := getHotplug(t, c, cluster)
		return hp.Status.Phase == hotplugv1.PhaseRunning, hp.Status.Phase + " " + hp.Status.Message
	}
	testenv.Eventually(t, 90*time.Second, "both run", running)
	dep := func(ns string) *appsv1.Deployment {
		d := &appsv1.Deployment{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: ns}, d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	original := dep("web").Spec.Template.Spec.Containers[0].Image
	patch := func(ns, manager, container string) {
		t.Helper()
		body := `{"spec":{"template":{"spec":{"containers":[{"name":"web",` + container + `}]}}}}`
		if err := c.Patch(ctx, dep(ns), client.RawPatch(types.StrategicMergePatchType, []byte(body)), client.FieldOwner(manager)); err != nil {
			t.Fatal(err)
		}
	}
	mirrored := `"image":"mirror.local/` + original + `"`
	patch("ctl", "admission-mirror", mirrored)
	patch("web", "admission-mirror", mirrored)
	patch("web", "kubectl-edit", `"imagePullPolicy":"Always"`)

	testenv.Eventually(t, 60*time.Second, "ctl's image is set back, the Event names admission-mirror", func() (bool, string) {
		if img := dep("ctl").Spec.Template.Spec.Containers[0].Image; img != original {
			return false, "ctl's image is " + img
		}
		msgs := eventMessages(t, c, "DriftRepaired", "ctl")
		for _, m := range msgs {
			if strings.Contains(m, "image by admission-mirror") {
				return true, ""
			}
		}
		return false, "DriftRepaired Events of ctl: " + strings.Join(msgs, " | ")
	})
	testenv.Eventually(t, 60*time.Second, "web's imagePullPolicy is set back", func() (bool, string) {
		d := dep("web")
		return d.Spec.Template.Spec.Containers[0].ImagePullPolicy != corev1.PullAlways, "still Always"
	})
	// Two more checks' worth of time: the ignored image stays.
	time.Sleep(25 * time.Second)
	if img := dep("web").Spec.Template.Spec.Containers[0].Image; img != "mirror.local/"+original {
		t.Errorf("web's ignored image set back to %q", img)
	}
	for _, m := range eventMessages(t, c, "DriftRepaired", "web") {
		if strings.Contains(m, "].image ") || strings.Contains(m, "].image,") || strings.Contains(m, "].image)") {
			t.Errorf("a DriftRepaired Event of web names the ignored image: %q", m)
		}
	}

	// A field of manager, respected by the agent's option, stays; a
	// kubectl edit next to it is repaired.
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "ctl", "namespace": "ctl"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{
			map[string]any{"name": "web", "imagePullPolicy": "Never"}}}}},
	}}
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("manager"), client.ForceOwnership); err != nil {
		t.Fatal(err)
	}
	patch("ctl", "kubectl-edit", `"image":"evil:1"`)
	testenv.Eventually(t, 60*time.Second, "ctl's edited image is set back", func() (bool, string) {
		img := dep("ctl").Spec.Template.Spec.Containers[0].Image
		return img == original, "ctl's image is " + img
	})
	if p := dep("ctl").Spec.Template.Spec.Containers[0].ImagePullPolicy; p != corev1.PullNever {
		t.Errorf("the respected manager's imagePullPolicy was set back to %q", p)
	}
}

// patchCounter counts the writes (PATCH without dryRun) to one path.
type patchCounter struct {
	path string
	n    atomic.Int64
	next http.RoundTripper
}

func (p *patchCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPatch && r.URL.Path == p.path && r.URL.Query().Get("dryRun") == "" {
		p.n.Add(1)
	}
	return p.next.RoundTrip(r)
}

// TestDriftRepairFailureBacksOff: a repair the API server refuses (a
// deleted ConfigMap that a ResourceQuota now forbids recreating; a dry run
// cannot tell, a deleted object is not dry-run applied) goes
// through the repair backoff like drift that keeps coming back: with one
// free repair and an hour's delay, the agent tries once in 45 s, not at
// every 10 s check, and says DriftRepairFailed once.
func TestDriftRepairFailureBacksOff(t *testing.T) {
	const cluster = "pivot-cluster"
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: cluster})
	cfg := env.Cluster(cluster).Config
	ctx := context.Background()
	dir := t.TempDir()
	testcharts.Package(t, "configmap", dir, "cfg", "1.0.0", "cfg-1.0.0.tgz")
	c := seedDriftCluster(t, cfg, cluster,
		hotplugv1.ComponentSpec{Name: "cfg", Namespace: "conf", PkgName: "cfg-1.0.0.tgz", Status: hotplugv1.StatusEnabled})
	pc := &patchCounter{path: "/api/v1/namespaces/conf/configmaps/cfg"}
	counted := rest.CopyConfig(cfg)
	counted.Wrap(func(rt http.RoundTripper) http.RoundTripper { pc.next = rt; return pc })
	testenv.RunAgent(t, counted, agent.Options{ClusterName: cluster, ChartDir: dir, Resync: 5 * time.Minute, HeartbeatInterval: time.Hour,
		DriftBackoff: drift.TrackerOptions{FreeRepairs: 1, BaseDelay: time.Hour}})
	testenv.Eventually(t, 90*time.Second, "cfg runs", func() (bool, string) {
		hp := getHotplug(t, c, cluster)
		return hp.Status.Phase == hotplugv1.PhaseRunning, hp.Status.Phase + " " + hp.Status.Message
	})
	quota := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "conf", Name: "no-configmaps"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"count/configmaps": resource.MustParse("0")}}}
	if err := c.Create(ctx, quota); err != nil {
		t.Fatal(err)
	}
	// No controller-manager here computes the quota's usage; the quota
	// admission plugin enforces only a quota with one, so write it.
	quota.Status = corev1.ResourceQuotaStatus{Hard: quota.Spec.Hard, Used: corev1.ResourceList{"count/configmaps": resource.MustParse("2")}}
	if err := c.Status().Update(ctx, quota); err != nil {
		t.Fatal(err)
	}
	before := pc.n.Load()
	if err := c.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "conf", Name: "cfg"}}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "a repair is tried and fails", func() (bool, string) {
		return len(eventMessages(t, c, "DriftRepairFailed", "cfg")) > 0, "no DriftRepairFailed Event"
	})
	time.Sleep(45 * time.Second)
	attempts := pc.n.Load() - before
	t.Logf("repair attempts in about a minute: %d", attempts)
	if attempts < 1 || attempts > 2 {
		t.Errorf("%d repair attempts, want 1 (one free repair, then an hour's backoff)", attempts)
	}
	held := eventMessages(t, c, "DriftNotRepaired", "cfg")
	if len(held) == 0 || !strings.Contains(held[0], "repair held until") {
		t.Errorf("no DriftNotRepaired Event saying the repair is held: %q", held)
	}
}
