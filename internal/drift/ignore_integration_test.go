package drift_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/drift"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/testcharts"
)

// TestDriftIgnoreAndManagersOnRealCluster: an image rewritten by a manager
// that is not respected (an admission policy's registry mirror) is drift
// and set back, the repair message naming that manager; with a driftIgnore
// rule on its path it is neither reported nor set back, also when Helm's own
// manager owns the rewritten value (a rewrite on CREATE is attributed to
// the creator) and another field of the object is repaired. A field written
// by "manager" (kubebuilder's default) is drift by default and left alone
// when RespectManagers names it.
func TestDriftIgnoreAndManagersOnRealCluster(t *testing.T) {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "ignore"})
	cfg := env.Cluster("ignore").Config
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	hc, err := helm.New(cfg, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, cnt := counted(t, cfg)
	ch, err := loader.LoadDir(filepath.Join(testcharts.Dir(), "webapp"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := hc.Install(ctx, helm.Request{Name: "web", Namespace: "apps", Chart: ch})
	if err != nil {
		t.Fatal(err)
	}
	rel := drift.Release{Name: r.Name, Namespace: r.Namespace, Manifest: r.Manifest}
	ignored := rel
	ignored.Ignore = []drift.Ignore{{Kind: "Deployment", Name: "web", Paths: []string{"/spec/template/spec/containers/0/image"}}}
	key := client.ObjectKey{Namespace: "apps", Name: "web"}
	dep := func() *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web"}}
	}
	image := func() string {
		d := dep()
		if err := c.Get(ctx, key, d); err != nil {
			t.Fatal(err)
		}
		return d.Spec.Template.Spec.Containers[0].Image
	}
	original := image()
	patch := func(manager, body string) {
		t.Helper()
		if err := c.Patch(ctx, dep(), client.RawPatch(types.StrategicMergePatchType, []byte(body)), client.FieldOwner(manager)); err != nil {
			t.Fatal(err)
		}
	}
	mirror := func(manager string) {
		t.Helper()
		patch(manager, `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"mirror.local/`+original+`"}]}}}}`)
	}
	strs := func(ds []drift.Drift) []string {
		var s []string
		for _, d := range ds {
			s = append(s, d.String())
		}
		return s
	}
	const imageDrift = "Deployment apps/web changed (spec.template.spec.containers[name=web].image)"

	t.Run("without driftIgnore a mirrored image is set back and the message names the manager", func(t *testing.T) {
		det := drift.New(c, drift.Options{})
		mirror("admission-mirror")
		ds, err := det.Detect(ctx, rel)
		if err != nil {
			t.Fatal(err)
		}
		if got := strs(ds); !slices.Equal(got, []string{imageDrift}) {
			t.Fatalf("drift %q, want %q", got, imageDrift)
		}
		msg := drift.RepairedMessage(ds)
		if !strings.Contains(msg, "image by admission-mirror") || strings.Contains(msg, "mirror.local") {
			t.Errorf("repair message %q: want the previous manager named, no value", msg)
		}
		if _, err := det.Repair(ctx, rel, ds); err != nil {
			t.Fatal(err)
		}
		if got := image(); got != original {
			t.Errorf("image %q after repair, want %q", got, original)
		}
	})

	t.Run("with driftIgnore a mirrored image is neither drift nor set back", func(t *testing.T) {
		det := drift.New(c, drift.Options{})
		for _, manager := range []string{"admission-mirror", drift.HelmFieldManager()} {
			mirror(manager)
			cnt.take()
			ds, err := det.Detect(ctx, ignored)
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 0 {
				t.Fatalf("%s: drift %q on an ignored field", manager, strs(ds))
			}
			// Another change of the object is repaired; the ignored image
			// keeps its live value.
			patch("kubectl-edit", `{"spec":{"template":{"spec":{"containers":[{"name":"web","imagePullPolicy":"Always"}]}}}}`)
			ds, err = det.Detect(ctx, ignored)
			if err != nil {
				t.Fatal(err)
			}
			if got := strs(ds); !slices.Equal(got, []string{"Deployment apps/web changed (spec.template.spec.containers[name=web].imagePullPolicy)"}) {
				t.Fatalf("%s: drift %q, want only imagePullPolicy", manager, got)
			}
			if _, err := det.Repair(ctx, ignored, ds); err != nil {
				t.Fatal(err)
			}
			if got := image(); got != "mirror.local/"+original {
				t.Errorf("%s: repair set the ignored image to %q", manager, got)
			}
			if ds, err := det.Detect(ctx, ignored); err != nil || len(ds) != 0 {
				t.Errorf("%s: after repair: drift %q, %v", manager, strs(ds), err)
			}
			// Without the rule the same object drifts: the rule did it.
			ds, err = det.Detect(ctx, rel)
			if err != nil || !slices.Equal(strs(ds), []string{imageDrift}) {
				t.Fatalf("%s: without the rule: drift %q, %v", manager, strs(ds), err)
			}
			if _, err := det.Repair(ctx, rel, ds); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("a field of manager is drift by default, left alone when respected", func(t *testing.T) {
		// What a kubebuilder controller sends: a forced apply under its
		// default manager name.
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "web", "namespace": "apps"},
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{
				map[string]any{"name": "web", "imagePullPolicy": "Never"}}}}},
		}}
		apply := func() {
			t.Helper()
			if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u.DeepCopy()), client.FieldOwner("manager"), client.ForceOwnership); err != nil {
				t.Fatal(err)
			}
		}
		apply()
		respecting := drift.New(c, drift.Options{Respect: drift.RespectManagers([]string{"manager"})})
		if ds, err := respecting.Detect(ctx, rel); err != nil || len(ds) != 0 {
			t.Fatalf("respected manager's field: drift %q, %v", strs(ds), err)
		}
		// A human change next to it is repaired without taking its field.
		patch("kubectl-edit", `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"evil:1"}]}}}}`)
		ds, err := respecting.Detect(ctx, rel)
		if err != nil || !slices.Equal(strs(ds), []string{imageDrift}) {
			t.Fatalf("drift %q, %v; want only the image", strs(ds), err)
		}
		if _, err := respecting.Repair(ctx, rel, ds); err != nil {
			t.Fatal(err)
		}
		d := dep()
		if err := c.Get(ctx, key, d); err != nil {
			t.Fatal(err)
		}
		if d.Spec.Template.Spec.Containers[0].ImagePullPolicy != "Never" {
			t.Errorf("respected manager's imagePullPolicy set back to %q", d.Spec.Template.Spec.Containers[0].ImagePullPolicy)
		}

		def := drift.New(c, drift.Options{})
		ds, err = def.Detect(ctx, rel)
		if err != nil || !slices.Equal(strs(ds), []string{"Deployment apps/web changed (spec.template.spec.containers[name=web].imagePullPolicy)"}) {
			t.Fatalf("default: drift %q, %v; want imagePullPolicy", strs(ds), err)
		}
		if msg := drift.RepairedMessage(ds); !strings.Contains(msg, "imagePullPolicy by manager") {
			t.Errorf("repair message %q does not name manager", msg)
		}
		if _, err := def.Repair(ctx, rel, ds); err != nil {
			t.Fatal(err)
		}
		if err := c.Get(ctx, key, d); err != nil {
			t.Fatal(err)
		}
		if d.Spec.Template.Spec.Containers[0].ImagePullPolicy == "Never" {
			t.Error("default detector left manager's field")
		}
	})
}
