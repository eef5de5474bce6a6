package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestKustomizeMatchesChart builds config/default and renders the chart as
// a pivot with default values; both must hold the same objects with the same
// RBAC rules, bindings, pod specs, Services and webhook, so neither tree can
// drift from the other.
func TestKustomizeMatchesChart(t *testing.T) {
	kobjs := map[string]*unstructured.Unstructured{}
	for _, o := range kustomizeBuild(t) {
		switch o.GetKind() {
		case "CustomResourceDefinition", "Namespace": // compared by TestChartCRDsMatchGenerated / not in the chart
			continue
		}
		kobjs[o.GetKind()+"/"+o.GetName()] = o
	}
	chart := mustRender(t, pivotValues())
	seen := map[string]bool{}
	for _, c := range chart.Objects {
		key := c.GetKind() + "/" + c.GetName()
		seen[key] = true
		k, ok := kobjs[key]
		if !ok {
			t.Errorf("%s is in the chart but not in config/default", key)
			continue
		}
		if c.GetNamespace() != k.GetNamespace() {
			t.Errorf("%s namespace: chart %q, kustomize %q", key, c.GetNamespace(), k.GetNamespace())
		}
		compareObject(t, key, c, k)
	}
	for key := range kobjs {
		if !seen[key] {
			t.Errorf("%s is in config/default but not in the chart", key)
		}
	}
	if len(seen) < 15 {
		t.Errorf("only %d objects compared", len(seen))
	}
}

// compareObject compares what matters of one kind.
func compareObject(t *testing.T, key string, c, k *unstructured.Unstructured) {
	t.Helper()
	switch c.GetKind() {
	case "ClusterRole":
		if d := diffRules(typed[rbacv1.ClusterRole](t, c).Rules, typed[rbacv1.ClusterRole](t, k).Rules); d != "" {
			t.Errorf("%s rules differ (- chart, + config/rbac):\n%s", key, d)
		}
	case "Role":
		if d := diffRules(typed[rbacv1.Role](t, c).Rules, typed[rbacv1.Role](t, k).Rules); d != "" {
			t.Errorf("%s rules differ (- chart, + config/rbac):\n%s", key, d)
		}
	case "ClusterRoleBinding":
		cb, kb := typed[rbacv1.ClusterRoleBinding](t, c), typed[rbacv1.ClusterRoleBinding](t, k)
		if cb.RoleRef != kb.RoleRef || !equality.Semantic.DeepEqual(cb.Subjects, kb.Subjects) {
			t.Errorf("%s: chart %v %v, kustomize %v %v", key, cb.RoleRef, cb.Subjects, kb.RoleRef, kb.Subjects)
		}
	case "RoleBinding":
		cb, kb := typed[rbacv1.RoleBinding](t, c), typed[rbacv1.RoleBinding](t, k)
		if cb.RoleRef != kb.RoleRef || !equality.Semantic.DeepEqual(cb.Subjects, kb.Subjects) {
			t.Errorf("%s: chart %v %v, kustomize %v %v", key, cb.RoleRef, cb.Subjects, kb.RoleRef, kb.Subjects)
		}
	case "Deployment":
		cd, kd := typed[appsv1.Deployment](t, c), typed[appsv1.Deployment](t, k)
		if !equality.Semantic.DeepEqual(cd.Spec.Template.Spec, kd.Spec.Template.Spec) || !equality.Semantic.DeepEqual(cd.Spec.Selector, kd.Spec.Selector) {
			t.Errorf("%s pod spec differs:\nchart     %+v\nkustomize %+v", key, cd.Spec.Template.Spec, kd.Spec.Template.Spec)
		}
	case "Service":
		cs, ks := typed[corev1.Service](t, c), typed[corev1.Service](t, k)
		if !equality.Semantic.DeepEqual(cs.Spec, ks.Spec) {
			t.Errorf("%s spec differs: chart %+v, kustomize %+v", key, cs.Spec, ks.Spec)
		}
	case "ValidatingWebhookConfiguration":
		cw := typed[admissionregistrationv1.ValidatingWebhookConfiguration](t, c)
		kw := typed[admissionregistrationv1.ValidatingWebhookConfiguration](t, k)
		if !equality.Semantic.DeepEqual(cw.Webhooks, kw.Webhooks) {
			t.Errorf("%s webhooks differ: chart %+v, kustomize %+v", key, cw.Webhooks, kw.Webhooks)
		}
	case "ServiceAccount":
	default:
		t.Errorf("%s: no comparison for kind %s", key, c.GetKind())
	}
}

// TestChartCRDsMatchGenerated fails when deploy/hotplug/crds differs from
// config/crd/bases (`make chart-crds` copies them; `make verify-chart` is
// the same check for CI without Go).
func TestChartCRDsMatchGenerated(t *testing.T) {
	root := repoRoot()
	gen, err := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(gen) == 0 {
		t.Fatalf("no generated CRDs: %v", err)
	}
	inChart, _ := filepath.Glob(filepath.Join(chartPath(), "crds", "*.yaml"))
	base := func(paths []string) []string {
		out := []string{}
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	if !slices.Equal(base(gen), base(inChart)) {
		t.Fatalf("chart CRDs %v, generated %v: run make chart-crds", base(inChart), base(gen))
	}
	for _, g := range gen {
		want, _ := os.ReadFile(g)
		got, err := os.ReadFile(filepath.Join(chartPath(), "crds", filepath.Base(g)))
		if err != nil || !bytes.Equal(want, got) {
			t.Errorf("deploy/hotplug/crds/%s differs from config/crd/bases: run make chart-crds (%v)", filepath.Base(g), err)
		}
	}
}
