package deploy

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestManifestsValidOnServer applies every object the chart renders (pivot
// with member access and replicas, member) and the kustomize tree with
// server-side dry-run against a real kube-apiserver that knows only the
// chart's CRDs: the API server's own validation, defaulting and admission
// accept them all.
func TestManifestsValidOnServer(t *testing.T) {
	env := startClusters(t, "pivot-cluster")
	c := newClient(t, env.Cluster("pivot-cluster").Config)
	installChartCRDs(t, c)
	createNamespace(t, c, releaseNamespace)

	pivot := pivotValues()
	pivot["agent"] = map[string]any{"replicas": 2}
	pivot["hub"] = map[string]any{"replicas": 2}
	pivot["memberAccess"] = map[string]any{"clusters": []any{"member-1", "member-2"}}
	member := memberValues()
	member["chartBundle"] = map[string]any{
		"image":      map[string]any{"repository": "registry.example/hotplug-charts", "tag": "1"},
		"configMaps": []any{"charts"},
		"volume":     map[string]any{"persistentVolumeClaim": map[string]any{"claimName": "charts"}},
	}
	member["agent"] = map[string]any{"rbac": map[string]any{"clusterAdmin": true}}
	sets := map[string][]*unstructured.Unstructured{
		"pivot":     mustRender(t, pivot).Objects,
		"member":    mustRender(t, member).Objects,
		"kustomize": kustomizeBuild(t),
	}
	for name, objs := range sets {
		t.Run(name, func(t *testing.T) {
			if len(objs) < 8 {
				t.Fatalf("only %d objects", len(objs))
			}
			for _, err := range applyObjects(c, objs, true) {
				t.Error(err)
			}
		})
	}

	// The dry-run really validates: a broken Deployment is refused.
	t.Run("broken object refused", func(t *testing.T) {
		d := mustRender(t, pivotValues()).mustFind(t, "Deployment", "hotplug-agent").DeepCopy()
		if err := unstructured.SetNestedField(d.Object, int64(-1), "spec", "replicas"); err != nil {
			t.Fatal(err)
		}
		errs := applyObjects(c, []*unstructured.Unstructured{d}, true)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "replicas") {
			t.Errorf("negative replicas: %v", errs)
		}
	})
}
