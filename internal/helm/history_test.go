package helm

import (
	"testing"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

func TestMaxHistoryUninstallAndCRDs(t *testing.T) {
	t.Parallel()
	e := start(t, Options{MaxHistory: 3})
	ctx := testCtx(t)
	const ns = "history"

	if _, err := e.client.Install(ctx, Request{Name: "cm", Namespace: ns, Chart: chart(t, "configmap", "cm", "1.0.0")}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if _, err := e.client.Upgrade(ctx, Request{Name: "cm", Namespace: ns, Chart: chart(t, "configmap", "cm", "1.0.0"), Values: map[string]any{"i": i}}); err != nil {
			t.Fatalf("Upgrade %d: %v", i, err)
		}
	}
	hist, err := e.client.History(ctx, ns, "cm")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0].Revision != 4 || hist[2].Revision != 6 {
		t.Fatalf("history = %d revisions %v, want 4..6", len(hist), revisions(hist))
	}

	// withcrd installs its CRD, usable right away.
	if _, err := e.client.Install(ctx, Request{Name: "widgets", Namespace: ns, Chart: chart(t, "withcrd", "widgets", "1.0.0")}); err != nil {
		t.Fatalf("Install withcrd: %v", err)
	}
	crds, err := apiextclient.NewForConfig(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	crd, err := crds.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "widgets.example.hotplug.io", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("CRD not installed: %v", err)
	}
	established := false
	for _, c := range crd.Status.Conditions {
		established = established || (c.Type == apiextv1.Established && c.Status == apiextv1.ConditionTrue)
	}
	if !established {
		t.Errorf("CRD not established")
	}
	dyn, err := dynamic.NewForConfig(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.hotplug.io/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w1"}, "spec": map[string]any{"color": "red"},
	}}
	if _, err := dyn.Resource(schema.GroupVersionResource{Group: "example.hotplug.io", Version: "v1", Resource: "widgets"}).Namespace(ns).Create(ctx, w, metav1.CreateOptions{}); err != nil {
		t.Errorf("create Widget: %v", err)
	}

	// Uninstall removes resources and history, keeps the CRD; twice is fine.
	for i := 0; i < 2; i++ {
		if err := e.client.Uninstall(ctx, ns, "widgets"); err != nil {
			t.Fatalf("Uninstall #%d: %v", i+1, err)
		}
	}
	if e.configMap(t, ns, "widgets") != nil {
		t.Errorf("configmap survived uninstall")
	}
	if _, err := crds.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "widgets.example.hotplug.io", metav1.GetOptions{}); err != nil {
		t.Errorf("CRD removed by uninstall: %v", err)
	}
	if _, err := e.client.History(ctx, ns, "widgets"); err == nil {
		t.Errorf("history survived uninstall")
	}
}
