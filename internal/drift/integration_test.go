package drift_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/drift"
	"github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/testcharts"
)

// request is one API request seen by counter.
type request struct {
	method, path string
	dryRun       bool
}

// counter is an http.RoundTripper wrapper that records requests.
type counter struct {
	mu   sync.Mutex
	reqs []request
	next http.RoundTripper
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.reqs = append(c.reqs, request{method: r.Method, path: r.URL.Path, dryRun: r.URL.Query().Get("dryRun") != ""})
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

// take returns the requests since the last take.
func (c *counter) take() []request {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.reqs
	c.reqs = nil
	return out
}

// writes returns the requests that change something (dry runs excluded).
func writes(reqs []request) []request {
	var out []request
	for _, r := range reqs {
		if r.method != http.MethodGet && !r.dryRun {
			out = append(out, r)
		}
	}
	return out
}

// counted returns a client whose requests c records.
func counted(t *testing.T, cfg *rest.Config) (client.Client, *counter) {
	t.Helper()
	cfg = rest.CopyConfig(cfg)
	cnt := &counter{}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { cnt.next = rt; return cnt })
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c, cnt
}

// TestDriftOnRealCluster installs the webapp and configmap test charts with
// the real Helm SDK and breaks their objects by hand: deleted objects,
// fields changed by kubectl-like managers, fields taken by controllers,
// labels added by others. Detect must report exactly the drift, Repair must
// set it back writing only the drifted objects, and the releases must keep
// revision 1.
func TestDriftOnRealCluster(t *testing.T) {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "drift"})
	cfg := env.Cluster("drift").Config
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	hc, err := helm.New(cfg, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, cnt := counted(t, cfg)
	det := drift.New(c, drift.Options{})
	t.Logf("Helm's field manager in this process: %q", drift.HelmFieldManager())

	install := func(t *testing.T, chart, name, ns string) drift.Release {
		t.Helper()
		ch, err := loader.LoadDir(filepath.Join(testcharts.Dir(), chart))
		if err != nil {
			t.Fatal(err)
		}
		rel, err := hc.Install(ctx, helm.Request{Name: name, Namespace: ns, Chart: ch})
		if err != nil {
			t.Fatal(err)
		}
		return drift.Release{Name: rel.Name, Namespace: rel.Namespace, Manifest: rel.Manifest}
	}
	// revisionIsOne checks that Helm still has exactly revision 1.
	revisionIsOne := func(t *testing.T, rel drift.Release) {
		t.Helper()
		hist, err := hc.History(ctx, rel.Namespace, rel.Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 1 || hist[0].Revision != 1 || hist[0].Status != "deployed" {
			t.Errorf("release history changed: %d revisions, last %d %s", len(hist), hist[len(hist)-1].Revision, hist[len(hist)-1].Status)
		}
	}
	detect := func(t *testing.T, rel drift.Release) []drift.Drift {
		t.Helper()
		ds, err := det.Detect(ctx, rel)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	expect := func(t *testing.T, got []drift.Drift, want ...string) {
		t.Helper()
		var s []string
		for _, d := range got {
			s = append(s, d.String())
		}
		if !slices.Equal(s, want) {
			t.Errorf("drift\n got %q\nwant %q", s, want)
		}
	}
	// repair repairs ds and checks that the only writes went to the paths
	// of the drifted objects, one each, and that nothing drifts afterwards.
	repair := func(t *testing.T, rel drift.Release, ds []drift.Drift, writePaths ...string) {
		t.Helper()
		cnt.take()
		repaired, err := det.Repair(ctx, rel, ds)
		if err != nil {
			t.Fatal(err)
		}
		if len(repaired) != len(ds) {
			t.Errorf("repaired %v, want %d objects", repaired, len(ds))
		}
		var got []string
		for _, w := range writes(cnt.take()) {
			got = append(got, w.method+" "+w.path)
		}
		var want []string
		for _, p := range writePaths {
			want = append(want, "PATCH "+p)
		}
		if !slices.Equal(got, want) {
			t.Errorf("repair writes\n got %q\nwant %q", got, want)
		}
		expect(t, detect(t, rel))
		revisionIsOne(t, rel)
	}

	web := install(t, "webapp", "web", "apps")
	cm := install(t, "configmap", "cfg", "conf")
	deployPath := "/apis/apps/v1/namespaces/apps/deployments/web"
	cmPath := "/api/v1/namespaces/conf/configmaps/cfg"
	// dep returns a new Deployment key (a subresource patch decodes its
	// answer, a Scale, into the object it is given).
	dep := func() *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web"}}
	}

	t.Run("fresh release has no drift and Detect writes nothing", func(t *testing.T) {
		for _, rel := range []drift.Release{web, cm} {
			cnt.take()
			expect(t, detect(t, rel))
			reqs := cnt.take()
			if w := writes(reqs); len(w) != 0 {
				t.Errorf("Detect wrote: %v", w)
			}
			t.Logf("release %s: %d objects, %d API requests per Detect", rel.Name, strings.Count(rel.Manifest, "\nkind: "), len(reqs))
		}
	})

	t.Run("deleted Deployment is recreated", func(t *testing.T) {
		if err := c.Delete(ctx, dep()); err != nil {
			t.Fatal(err)
		}
		ds := detect(t, web)
		expect(t, ds, "Deployment apps/web deleted")
		repair(t, web, ds, deployPath)
		dep := dep()
		if err := c.Get(ctx, client.ObjectKeyFromObject(dep), dep); err != nil {
			t.Fatal(err)
		}
		if dep.Annotations["meta.helm.sh/release-name"] != "web" || dep.Labels["app.kubernetes.io/managed-by"] != "Helm" {
			t.Errorf("recreated Deployment lacks Helm's ownership metadata: %v %v", dep.Labels, dep.Annotations)
		}
	})

	t.Run("deleted ConfigMap is recreated", func(t *testing.T) {
		if err := c.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "conf", Name: "cfg"}}); err != nil {
			t.Fatal(err)
		}
		ds := detect(t, cm)
		expect(t, ds, "ConfigMap conf/cfg deleted")
		repair(t, cm, ds, cmPath)
	})

	t.Run("kubectl scale to 0 is set back", func(t *testing.T) {
		// What `kubectl scale --replicas=0` sends: a patch of the scale
		// subresource under manager "kubectl".
		if err := c.SubResource("scale").Patch(ctx, dep(), client.RawPatch(types.MergePatchType, []byte(`{"spec":{"replicas":0}}`)),
			client.FieldOwner("kubectl")); err != nil {
			t.Fatal(err)
		}
		ds := detect(t, web)
		expect(t, ds, "Deployment apps/web changed (spec.replicas)")
		repair(t, web, ds, deployPath)
		dep := dep()
		if err := c.Get(ctx, client.ObjectKeyFromObject(dep), dep); err != nil {
			t.Fatal(err)
		}
		if *dep.Spec.Replicas != 1 {
			t.Errorf("replicas %d after repair, want 1", *dep.Spec.Replicas)
		}
	})

	t.Run("kubectl edit of image and ConfigMap data is set back", func(t *testing.T) {
		if err := c.Patch(ctx, dep(), client.RawPatch(types.StrategicMergePatchType,
			[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"evil:1"}]}}}}`)), client.FieldOwner("kubectl-edit")); err != nil {
			t.Fatal(err)
		}
		ds := detect(t, web)
		expect(t, ds, "Deployment apps/web changed (spec.template.spec.containers[name=web].image)")
		repair(t, web, ds, deployPath)

		cmObj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "conf", Name: "cfg"}}
		if err := c.Patch(ctx, cmObj, client.RawPatch(types.MergePatchType, []byte(`{"data":{"chartVersion":"9.9.9","extra":"kept"}}`)),
			client.FieldOwner("kubectl-patch")); err != nil {
			t.Fatal(err)
		}
		ds = detect(t, cm)
		expect(t, ds, "ConfigMap conf/cfg changed (data.chartVersion)")
		repair(t, cm, ds, cmPath)
		if err := c.Get(ctx, client.ObjectKeyFromObject(cmObj), cmObj); err != nil {
			t.Fatal(err)
		}
		if cmObj.Data["chartVersion"] != "0.1.0" || cmObj.Data["extra"] != "kept" {
			t.Errorf("ConfigMap data after repair: %v (want chartVersion set back, extra key not in the manifest left alone)", cmObj.Data)
		}
	})

	t.Run("label added by someone else is not drift", func(t *testing.T) {
		for _, o := range []client.Object{dep(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "conf", Name: "cfg"}}} {
			if err := c.Patch(ctx, o, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"team":"ops"}}}`)),
				client.FieldOwner("kubectl-label")); err != nil {
				t.Fatal(err)
			}
		}
		expect(t, detect(t, web))
		expect(t, detect(t, cm))
	})

	t.Run("replicas owned by a controller are left alone", func(t *testing.T) {
		for i, manager := range []string{"horizontal-pod-autoscaler", "my-scaler-controller"} {
			want := int64(3 + i)
			hpa := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "apps/v1", "kind": "Deployment",
				"metadata": map[string]any{"name": "web", "namespace": "apps"},
				"spec":     map[string]any{"replicas": want},
			}}
			if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(hpa), client.FieldOwner(manager), client.ForceOwnership); err != nil {
				t.Fatal(err)
			}
			cnt.take()
			expect(t, detect(t, web))
			if w := writes(cnt.take()); len(w) != 0 {
				t.Errorf("Detect wrote: %v", w)
			}
			// A human change next to it is repaired without taking the
			// controller's field.
			if err := c.Patch(ctx, dep(), client.RawPatch(types.StrategicMergePatchType,
				[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"web","imagePullPolicy":"Always"}]}}}}`)), client.FieldOwner("kubectl-edit")); err != nil {
				t.Fatal(err)
			}
			ds := detect(t, web)
			expect(t, ds, "Deployment apps/web changed (spec.template.spec.containers[name=web].imagePullPolicy)")
			repair(t, web, ds, deployPath)
			dep := dep()
			if err := c.Get(ctx, client.ObjectKeyFromObject(dep), dep); err != nil {
				t.Fatal(err)
			}
			if int64(*dep.Spec.Replicas) != want {
				t.Errorf("%s: replicas %d after repair, want %d", manager, *dep.Spec.Replicas, want)
			}
			for _, mf := range dep.ManagedFields {
				if mf.Manager == drift.HelmFieldManager() && strings.Contains(string(mf.FieldsV1.GetRawBytes()), `"f:replicas"`) {
					t.Errorf("%s: Helm's manager took spec.replicas back: %s", manager, mf.FieldsV1.GetRawBytes())
				}
			}
		}
	})

	t.Run("requests per Detect", func(t *testing.T) {
		for _, n := range []int{10, 100} {
			rel := drift.Release{Name: fmt.Sprintf("many%d", n), Namespace: "conf"}
			var b strings.Builder
			var missing []drift.Drift
			for i := range n {
				fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many%d-%d\ndata:\n  k: v%d\n", n, i, i)
			}
			rel.Manifest = b.String()
			// Create them as a Helm install would: Repair of everything Missing.
			missing, err := det.Detect(ctx, rel)
			if err != nil {
				t.Fatal(err)
			}
			if len(missing) != n {
				t.Fatalf("%d missing, want %d", len(missing), n)
			}
			if _, err := det.Repair(ctx, rel, missing); err != nil {
				t.Fatal(err)
			}
			cnt.take()
			start := time.Now()
			ds, err := det.Detect(ctx, rel)
			took := time.Since(start)
			if err != nil || len(ds) != 0 {
				t.Fatalf("drift %v, err %v", ds, err)
			}
			reqs := cnt.take()
			var gets, dry int
			for _, r := range reqs {
				switch {
				case r.method == http.MethodGet:
					gets++
				case r.dryRun:
					dry++
				}
			}
			// One metadata LIST of the ConfigMaps, then each (repaired, so
			// never found in sync yet) read and dry-run applied.
			if gets != n+1 || dry != n || len(reqs) != 2*n+1 {
				t.Errorf("%d objects: %d requests (%d GET, %d dry-run PATCH), want %d", n, len(reqs), gets, dry, 2*n+1)
			}
			t.Logf("FIGURE Detect of %d objects: %d API requests (%d GET + %d dry-run apply), %s", n, len(reqs), gets, dry, took.Round(time.Millisecond))

			// Nothing changed since: the versions say so, in one request.
			start = time.Now()
			if ds, err := det.Detect(ctx, rel); err != nil || len(ds) != 0 {
				t.Fatalf("drift %v, err %v", ds, err)
			}
			took = time.Since(start)
			if reqs := cnt.take(); len(reqs) != 1 || reqs[0].method != http.MethodGet {
				t.Errorf("%d unchanged objects: %d requests, want one LIST", n, len(reqs))
			}
			t.Logf("FIGURE Detect of %d unchanged objects: 1 API request, %s", n, took.Round(time.Millisecond))
		}
	})

	t.Run("unserved kind and foreign drift", func(t *testing.T) {
		rel := drift.Release{Name: "x", Namespace: "conf", Manifest: "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"}
		ds := detect(t, rel)
		expect(t, ds, "Widget conf/w deleted (kind not served)")
		if rep, err := det.Repair(ctx, rel, ds); err == nil || len(rep) != 0 {
			t.Errorf("Repair of an unserved kind: %v, %v", rep, err)
		}
		other := []drift.Drift{{Ref: health.ObjectRef{GroupVersionKind: appsv1.SchemeGroupVersion.WithKind("Deployment"), Namespace: "apps", Name: "nope"}, Kind: drift.Missing}}
		cnt.take()
		if rep, err := det.Repair(ctx, web, other); err == nil || len(rep) != 0 {
			t.Errorf("Repair of an object not in the manifest: %v, %v", rep, err)
		}
		if w := writes(cnt.take()); len(w) != 0 {
			t.Errorf("writes: %v", w)
		}
	})
}
