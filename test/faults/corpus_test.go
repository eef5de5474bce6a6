package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/config/samples"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/manifest"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// badCase is one file of testdata/badinputs.
type badCase struct {
	File         string         `json:"-"`
	Description  string         `json:"description"`
	Target       string         `json:"target"`
	Component    map[string]any `json:"component"`
	RawComponent string         `json:"rawComponent"`
	EnvGenerator string         `json:"envGenerator"`
	Package      string         `json:"package"`
	Duplicate    bool           `json:"duplicate"`
	// PadComponents adds that many more disabled feature switches
	// (pad-000, pad-001, …) to the target with the case's component.
	PadComponents int `json:"padComponents"`
	// JSONPatch is the RFC 6902 patch a "patch:NAME" target applies to
	// Hotplug NAME.
	JSONPatch string `json:"jsonPatch"`
	// Expect is "refused" (by the API server or the webhook: the object is
	// unchanged) or "failed" (admitted; that component fails in the agent).
	Expect         string `json:"expect"`
	Message        string `json:"message"`
	MustNotContain string `json:"mustNotContain"`
}

func loadCases(t *testing.T) []badCase {
	t.Helper()
	files, err := filepath.Glob("testdata/badinputs/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []badCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c badCase
		if err := yaml.UnmarshalStrict(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		c.File = filepath.Base(f)
		if c.Expect != "refused" && c.Expect != "failed" || c.Message == "" {
			t.Fatalf("%s: expect must be refused or failed, with a message", f)
		}
		if c.EnvGenerator != "" && envGenerators[c.EnvGenerator] == nil || c.Package != "" && packageGenerators[c.Package] == nil {
			t.Fatalf("%s: unknown generator", f)
		}
		cases = append(cases, c)
	}
	if len(cases) < 40 {
		t.Fatalf("the corpus has %d cases, want at least 40", len(cases))
	}
	return cases
}

var hotplugGVK = schema.GroupVersionKind{Group: "hotplug.kubecube.io", Version: "v1", Kind: "Hotplug"}

// TestBadInputCorpus applies every case of testdata/badinputs to a pivot
// with the hub's webhook and the agent running, and checks the outcome the
// case names and that nothing else changed: the target object (when
// refused), every release's revision, and the good components' status.
func TestBadInputCorpus(t *testing.T) {
	cases := loadCases(t)
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "pivot-cluster"})
	cfg := env.Cluster("pivot-cluster").Config
	c, err := client.New(cfg, client.Options{Scheme: kube.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	chartDir := t.TempDir()
	testenv.SeedCharts(t, chartDir)
	for _, bc := range cases {
		if bc.Package != "" {
			packageGenerators[bc.Package](t, chartDir, bc.Component["pkgName"].(string))
		}
	}

	testenv.RunHub(t, cfg, hub.Options{})
	for _, name := range samples.Names() {
		if err := manifest.Apply(ctx, c, samples.MustRead(name)); err != nil {
			t.Fatal(err)
		}
	}
	testenv.RunAgent(t, cfg, agent.Options{ClusterName: "pivot-cluster", ChartDir: chartDir, RetryBase: 500 * time.Millisecond, RetryMax: 2 * time.Second})
	testenv.Eventually(t, 2*time.Minute, "the seed converges", func() (bool, string) {
		hp := &hotplugv1.Hotplug{}
		if err := c.Get(ctx, client.ObjectKey{Name: "pivot-cluster"}, hp); err != nil {
			return false, err.Error()
		}
		return hp.Status.Phase == hotplugv1.PhaseRunning, hp.Status.Message
	})
	h, err := helm.New(cfg, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	baseline := releaseRevisions(t, h)
	t.Logf("baseline releases: %v", baseline)

	refused, failed := 0, 0
	for _, bc := range cases {
		t.Run(strings.TrimSuffix(bc.File, ".yaml"), func(t *testing.T) {
			start := time.Now()
			before := objectVersions(t, c)
			// The agent and hub write status meanwhile, so an update may
			// meet a newer resourceVersion; retry that like kubectl edit.
			err := retry.RetryOnConflict(retry.DefaultRetry, func() error { return applyCase(ctx, t, c, bc) })
			switch bc.Expect {
			case "refused":
				if err == nil {
					t.Fatalf("%s: admitted, want refused with %q", bc.Description, bc.Message)
				}
				if !strings.Contains(err.Error(), bc.Message) {
					t.Errorf("refusal %q lacks %q", err, bc.Message)
				}
				if bc.MustNotContain != "" && strings.Contains(err.Error(), bc.MustNotContain) {
					t.Errorf("refusal echoes the input: %q", err)
				}
				if after := objectVersions(t, c); !equalMaps(before, after) {
					t.Errorf("objects changed although refused: %v -> %v", before, after)
				}
				refused++
			case "failed":
				if err != nil {
					t.Fatalf("%s: refused (%v), want admitted and failed in the agent with %q", bc.Description, err, bc.Message)
				}
				name := bc.Component["name"].(string)
				testenv.Eventually(t, time.Minute, "the component fails with the expected message", func() (bool, string) {
					msg := componentMessage(t, c, "pivot-cluster", name)
					return strings.Contains(msg, bc.Message), msg
				})
				undoCase(ctx, t, c, bc)
				failed++
			}
			testenv.Eventually(t, time.Minute, "the good components stay running", func() (bool, string) {
				hp := &hotplugv1.Hotplug{}
				if err := c.Get(ctx, client.ObjectKey{Name: "pivot-cluster"}, hp); err != nil {
					return false, err.Error()
				}
				return hp.Status.Phase == hotplugv1.PhaseRunning, hp.Status.Message
			})
			if got := releaseRevisions(t, h); !equalMaps(baseline, got) {
				t.Errorf("releases changed: %v, want %v", got, baseline)
			}
			t.Logf("%s: %s in %v", bc.Expect, bc.Description, time.Since(start).Round(time.Millisecond))
		})
	}
	peak := peakRSS(t)
	t.Logf("corpus: %d cases, %d refused at admission, %d failed in the agent alone; hub+agent (+test) peak RSS %d MiB", len(cases), refused, failed, peak>>20)
	if peak > 200<<20 {
		t.Errorf("peak RSS %d MiB over the corpus, want under 200 MiB", peak>>20)
	}
}

func targetName(bc badCase) string {
	if n, ok := strings.CutPrefix(bc.Target, "hotplug:"); ok {
		return n
	}
	return bc.Target
}

// caseComponent is the component a case adds or changes, as JSON.
func caseComponent(t *testing.T, bc badCase) map[string]any {
	t.Helper()
	comp := map[string]any{}
	if bc.RawComponent != "" {
		if err := json.Unmarshal([]byte(bc.RawComponent), &comp); err != nil {
			t.Fatal(err)
		}
		return comp
	}
	for k, v := range bc.Component {
		comp[k] = v
	}
	if bc.EnvGenerator != "" {
		comp["env"] = envGenerators[bc.EnvGenerator]()
	}
	return comp
}

// applyCase makes the change a case describes, the way an operator would
// (strict field validation, as kubectl does), and returns the API's answer.
func applyCase(ctx context.Context, t *testing.T, c client.Client, bc badCase) error {
	t.Helper()
	kind, name, _ := strings.Cut(bc.Target, ":")
	switch kind {
	case "cluster":
		return c.Create(ctx, &clusterv1.Cluster{ObjectMeta: objectMeta(name)})
	case "delete":
		return c.Delete(ctx, &hotplugv1.Hotplug{ObjectMeta: objectMeta(name)})
	case "deletecluster":
		return c.Delete(ctx, &clusterv1.Cluster{ObjectMeta: objectMeta(name)})
	case "patch":
		return c.Patch(ctx, &hotplugv1.Hotplug{ObjectMeta: objectMeta(name)}, client.RawPatch(types.JSONPatchType, []byte(bc.JSONPatch)))
	case "unsync":
		hp := &hotplugv1.Hotplug{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, hp); err != nil {
			t.Fatal(err)
		}
		delete(hp.Annotations, hotplugv1.SyncAnnotation)
		return c.Update(ctx, hp)
	case "hotplug":
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(hotplugGVK)
		u.SetName(name)
		_ = unstructured.SetNestedSlice(u.Object, []any{caseComponent(t, bc)}, "spec", "component")
		return c.Create(ctx, u, client.FieldValidation("Strict"))
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(hotplugGVK)
	if err := c.Get(ctx, client.ObjectKey{Name: bc.Target}, u); err != nil {
		t.Fatal(err)
	}
	comps, _, _ := unstructured.NestedSlice(u.Object, "spec", "component")
	comp := caseComponent(t, bc)
	replaced := false
	for i, existing := range comps {
		m := existing.(map[string]any)
		if m["name"] == comp["name"] && !bc.Duplicate {
			for k, v := range comp {
				m[k] = v
			}
			comps[i] = m
			replaced = true
		}
	}
	if !replaced {
		comps = append(comps, comp)
	}
	for i := range bc.PadComponents {
		comps = append(comps, map[string]any{"name": fmt.Sprintf("pad-%03d", i), "status": hotplugv1.StatusDisabled})
	}
	if err := unstructured.SetNestedSlice(u.Object, comps, "spec", "component"); err != nil {
		t.Fatal(err)
	}
	return c.Update(ctx, u, client.FieldValidation("Strict"))
}

// undoCase removes the component a "failed" case added.
func undoCase(ctx context.Context, t *testing.T, c client.Client, bc badCase) {
	t.Helper()
	name := bc.Component["name"].(string)
	// Removing an enabled component is an uninstall the webhook guards:
	// the undo confirms it, then takes the confirmation away again so the
	// cases after it meet the guard as an operator would.
	for _, confirm := range []bool{true, false} {
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			hp := &hotplugv1.Hotplug{}
			if err := c.Get(ctx, client.ObjectKey{Name: targetName(bc)}, hp); err != nil {
				return err
			}
			if confirm {
				hp.Spec.Component = slices.DeleteFunc(hp.Spec.Component, func(cs hotplugv1.ComponentSpec) bool { return cs.Name == name })
				metav1.SetMetaDataAnnotation(&hp.ObjectMeta, hotplugv1.ConfirmUninstallAnnotation, "true")
			} else {
				delete(hp.Annotations, hotplugv1.ConfirmUninstallAnnotation)
			}
			return c.Update(ctx, hp)
		})
		if err != nil {
			t.Fatalf("undo %s: %v", bc.File, err)
		}
	}
}

func componentMessage(t *testing.T, c client.Client, object, component string) string {
	t.Helper()
	hp := &hotplugv1.Hotplug{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: object}, hp); err != nil {
		return err.Error()
	}
	for _, cs := range hp.Status.Components {
		if cs.Name == component {
			return cs.Message
		}
	}
	return fmt.Sprintf("no status for %q yet: %s", component, hp.Status.Message)
}

// objectVersions is the resourceVersion of every Hotplug and Cluster.
func objectVersions(t *testing.T, c client.Client) map[string]string {
	t.Helper()
	out := map[string]string{}
	hps := &hotplugv1.HotplugList{}
	if err := c.List(context.Background(), hps); err != nil {
		t.Fatal(err)
	}
	for _, hp := range hps.Items {
		out["hotplug/"+hp.Name] = fmt.Sprint(hp.Generation)
	}
	cls := &clusterv1.ClusterList{}
	if err := c.List(context.Background(), cls); err != nil {
		t.Fatal(err)
	}
	for _, cl := range cls.Items {
		out["cluster/"+cl.Name] = fmt.Sprint(cl.Generation)
	}
	return out
}

// releaseRevisions is namespace/name -> revision/status of every release.
func releaseRevisions(t *testing.T, h *helm.Client) map[string]string {
	t.Helper()
	rels, err := h.List(context.Background(), labels.Everything())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rels {
		out[r.Namespace+"/"+r.Name] = fmt.Sprintf("%d/%s", r.Revision, r.Status)
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}
