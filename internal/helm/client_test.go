package helm

import (
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubecube-io/hotplug/internal/chartpkg"
)

func TestInstallUpgradeGetList(t *testing.T) {
	t.Parallel()
	e := start(t, Options{})
	ctx := testCtx(t)
	ch := chart(t, "configmap", "logagent", "1.0.0")
	values := map[string]any{"greeting": "hi", "replicaCount": 2, "nested": map[string]any{"a": 1}}
	lbls := map[string]string{"hotplug.kubecube.io/addon": "logagent", "hotplug.kubecube.io/managed": "true"}
	valuesBefore := cloneValues(values)

	rel, err := e.client.Install(ctx, Request{Name: "logagent", Namespace: "logging", Chart: ch, Values: values, Labels: lbls})
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
	wantRelease(t, rel, 1, "deployed")
	if rel.Chart != "logagent" || rel.ChartVersion != "1.0.0" {
		t.Errorf("chart = %s %s", rel.Chart, rel.ChartVersion)
	}
	if !maps.Equal(rel.Labels, lbls) {
		t.Errorf("Install labels = %v, want %v", rel.Labels, lbls)
	}
	if want := chartpkg.Digest(ch, values); rel.Digest != want {
		t.Errorf("Install digest = %s, want %s", rel.Digest, want)
	}
	if !reflect.DeepEqual(values, valuesBefore) {
		t.Errorf("Install modified the caller's values")
	}
	got, version := e.configMapValues(t, "logging", "logagent")
	if got["greeting"] != "hi" || got["replicaCount"] != float64(2) || version != "1.0.0" {
		t.Errorf("configmap values = %v version %s", got, version)
	}

	// Get: same revision, labels, digest (computed from the stored, JSON-decoded release).
	g := e.mustGet(t, "logging", "logagent")
	wantRelease(t, g, 1, "deployed")
	if !maps.Equal(g.Labels, lbls) {
		t.Errorf("Get labels = %v, want %v", g.Labels, lbls)
	}
	if g.Digest != rel.Digest {
		t.Errorf("Get digest = %s, Install digest = %s", g.Digest, rel.Digest)
	}
	if !strings.Contains(g.Manifest, "kind: ConfigMap") || g.Values["greeting"] != "hi" {
		t.Errorf("Get manifest/values wrong: %v", g.Values)
	}

	// A second release without the label, and one in another namespace with it.
	if _, err := e.client.Install(ctx, Request{Name: "other", Namespace: "logging", Chart: chart(t, "configmap", "other", "0.1.0")}); err != nil {
		t.Fatalf("Install other: %v", err)
	}
	if _, err := e.client.Install(ctx, Request{Name: "metrics", Namespace: "monitoring", Chart: chart(t, "configmap", "metrics", "0.1.0"),
		Labels: map[string]string{"hotplug.kubecube.io/managed": "true"}}); err != nil {
		t.Fatalf("Install metrics: %v", err)
	}
	sel := labels.SelectorFromSet(labels.Set{"hotplug.kubecube.io/managed": "true"})
	list, err := e.client.List(ctx, sel)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != 2 || list[0].Name != "logagent" || list[1].Name != "metrics" {
		t.Fatalf("List(managed) = %v", names(list))
	}
	all, err := e.client.List(ctx, nil)
	if err != nil || len(all) != 3 {
		t.Fatalf("List(nil) = %v, %v", names(all), err)
	}
	byAddon, _ := e.client.List(ctx, labels.SelectorFromSet(labels.Set{"hotplug.kubecube.io/addon": "logagent"}))
	if len(byAddon) != 1 || byAddon[0].Namespace != "logging" {
		t.Fatalf("List(addon=logagent) = %v", names(byAddon))
	}

	// Upgrade with new values and a new chart version: revision 2, digest changes.
	ch2 := chart(t, "configmap", "logagent", "1.1.0")
	values2 := map[string]any{"greeting": "hello again"}
	lbls2 := map[string]string{"hotplug.kubecube.io/addon": "logagent"} // "managed" removed
	up, err := e.client.Upgrade(ctx, Request{Name: "logagent", Namespace: "logging", Chart: ch2, Values: values2, Labels: lbls2})
	if err != nil {
		t.Fatalf("Upgrade: %v", err)
	}
	wantRelease(t, up, 2, "deployed")
	if up.Digest == rel.Digest || up.Digest != chartpkg.Digest(ch2, values2) {
		t.Errorf("Upgrade digest = %s (install %s, want %s)", up.Digest, rel.Digest, chartpkg.Digest(ch2, values2))
	}
	got, version = e.configMapValues(t, "logging", "logagent")
	if got["greeting"] != "hello again" || got["replicaCount"] != float64(1) || got["nested"] != nil || version != "1.1.0" {
		t.Errorf("after upgrade configmap values = %v version %s (old values must not be reused)", got, version)
	}
	g = e.mustGet(t, "logging", "logagent")
	wantRelease(t, g, 2, "deployed")
	if !maps.Equal(g.Labels, lbls2) {
		t.Errorf("labels after upgrade = %v, want %v", g.Labels, lbls2)
	}
	if list, _ := e.client.List(ctx, sel); len(list) != 1 || list[0].Name != "metrics" {
		t.Errorf("List(managed) after label removal = %v", names(list))
	}

	// Upgrade with identical content: digest equals chartpkg.Digest(chart, values).
	same, err := e.client.Upgrade(ctx, Request{Name: "logagent", Namespace: "logging", Chart: ch2, Values: values2, Labels: lbls2})
	if err != nil {
		t.Fatalf("identical Upgrade: %v", err)
	}
	if same.Digest != up.Digest || e.mustGet(t, "logging", "logagent").Digest != chartpkg.Digest(ch2, values2) {
		t.Errorf("identical upgrade changed the digest")
	}

	// History, oldest first.
	hist, err := e.client.History(ctx, "logging", "logagent")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0].Revision != 1 || hist[2].Revision != 3 || hist[0].Status != "superseded" || hist[2].Status != "deployed" {
		t.Errorf("History = %v", revisions(hist))
	}

	// Upgrade of an absent release wraps ErrNotFound.
	if _, err := e.client.Upgrade(ctx, Request{Name: "absent", Namespace: "logging", Chart: ch2}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Upgrade(absent) error = %v, want ErrNotFound", err)
	}
}

func TestGetAbsent(t *testing.T) {
	t.Parallel()
	e := start(t, Options{})
	ctx := testCtx(t)
	if _, err := e.client.Get(ctx, "nowhere", "nothing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get error = %v, want ErrNotFound", err)
	}
	if _, err := e.client.History(ctx, "nowhere", "nothing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("History error = %v, want ErrNotFound", err)
	}
	if _, err := e.client.Recover(ctx, "nowhere", "nothing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Recover error = %v, want ErrNotFound", err)
	}
	if err := e.client.Uninstall(ctx, "nowhere", "nothing"); err != nil {
		t.Errorf("Uninstall(absent) = %v, want nil", err)
	}
	if list, err := e.client.List(ctx, nil); err != nil || len(list) != 0 {
		t.Errorf("List on empty cluster = %v, %v", names(list), err)
	}
	if _, err := e.client.Get(ctx, "", "x"); err == nil {
		t.Errorf("Get with empty namespace succeeded")
	}
}

func names(rels []*Release) []string {
	var out []string
	for _, r := range rels {
		out = append(out, r.Namespace+"/"+r.Name)
	}
	return out
}

func revisions(rels []*Release) []string {
	var out []string
	for _, r := range rels {
		out = append(out, r.Status)
	}
	return out
}
