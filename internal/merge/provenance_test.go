package merge

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// TestProvenance: each element and each leaf of the merged values names
// the layer that set it; {{.cluster}} is rendered; what neither sets is
// the default; a component that fails to merge gives the agent's error.
func TestProvenance(t *testing.T) {
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
		{Name: "monitoring", PkgName: "monitoring-1.0.0.tgz", Status: hotplugv1.StatusEnabled,
			Env: "prometheus:\n  replicas: 1\n  cluster: '{{.cluster}}'\nimage:\n  tag: v1\nlist: [a, b]\n"},
		{Name: "broken", PkgName: "x.tgz", Status: hotplugv1.StatusEnabled, Env: "a: [\n"},
	}}}
	own := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "member-7"}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
		{Name: "monitoring", Namespace: "mon", Env: "prometheus:\n  replicas: 2\nlist: [c]\n"},
	}}}
	got, err := Provenance(context.Background(), limits.Default(), "member-7", "monitoring", common, own)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"namespace":               {`"mon"`, "member-7"},
		"status":                  {`"enabled"`, "common"},
		"pkgName":                 {`"monitoring-1.0.0.tgz"`, "common"},
		"env.prometheus.replicas": {"2", "member-7"},
		"env.prometheus.cluster":  {`"member-7"`, "common"},
		"env.image.tag":           {`"v1"`, "common"},
		"env.list":                {`["c"]`, "member-7"},
	}
	if len(got) != len(want) {
		t.Errorf("%d origins, want %d: %+v", len(got), len(want), got)
	}
	for _, o := range got {
		if w, ok := want[o.Path]; !ok || w[0] != o.Value || w[1] != o.From {
			t.Errorf("%s = %s from %s, want %v", o.Path, o.Value, o.From, w)
		}
	}
	got, err = Provenance(context.Background(), limits.Default(), "member-8", "monitoring", common, nil)
	if err != nil || got[0].Path != "namespace" || got[0].From != OriginDefault || got[0].Value != `"default"` {
		t.Errorf("no own Hotplug: %+v %v", got, err)
	}
	if _, err := Provenance(context.Background(), limits.Default(), "member-7", "broken", common, own); err == nil {
		t.Error("a component that fails to merge has a provenance")
	}
	if _, err := Provenance(context.Background(), limits.Default(), "member-7", "nothing", common, own); err == nil {
		t.Error("an unknown component has a provenance")
	}
}

// TestProvenancePackage: the layer that sets a package decides it, so a
// cluster that names a chart has no pkgName inherited from common.
func TestProvenancePackage(t *testing.T) {
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
		{Name: "web", PkgName: "web-1.0.0.tgz", Status: hotplugv1.StatusEnabled}}}}
	own := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "member-1"}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
		{Name: "web", Chart: &hotplugv1.ChartSource{Repository: "oci://r.example.com/charts", Name: "web", Version: "1.1.0"}}}}}
	got, err := Provenance(context.Background(), limits.Default(), "member-1", "web", common, own)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range got {
		if o.Path == "pkgName" {
			t.Errorf("pkgName %s from %s shown, but member-1's chart replaces it", o.Value, o.From)
		}
		if o.Path == "chart.version" && (o.Value != `"1.1.0"` || o.From != "member-1") {
			t.Errorf("chart.version %s from %s", o.Value, o.From)
		}
	}
	got, _ = Provenance(context.Background(), limits.Default(), "member-2", "web", common, nil)
	if len(got) < 3 || got[2].Path != "pkgName" || got[2].From != "common" {
		t.Errorf("common's pkgName: %+v", got)
	}
}
