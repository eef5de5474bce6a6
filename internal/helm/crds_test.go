package helm

import (
	"fmt"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// crdFile is a minimal namespaced CRD of kind in group.
func crdFile(kind, plural, group string) *common.File {
	return &common.File{Name: "crds/" + plural + ".yaml", Data: fmt.Appendf(nil, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %[2]s.%[3]s
spec:
  group: %[3]s
  scope: Namespaced
  names: {kind: %[1]s, listKind: %[1]sList, plural: %[2]s, singular: %[2]s}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`, kind, plural, group)}
}

// TestInstallCRDsConcurrently: the CRDs of a chart and of its enabled
// subchart are installed (several at once) before the chart's own
// resources of those kinds, which then map; a disabled subchart's CRDs are
// not installed, as Helm decides.
func TestInstallCRDsConcurrently(t *testing.T) {
	e := start(t, Options{})
	ctx := testCtx(t)
	const group = "crds.hotplug.io"
	sub := func(name string) *chartv2.Chart {
		return &chartv2.Chart{Metadata: &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: name, Version: "0.1.0"},
			Files: []*common.File{crdFile("Sub"+name, "sub"+name+"s", group)}}
	}
	parent := &chartv2.Chart{
		Metadata: &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: "parent", Version: "0.1.0",
			Dependencies: []*chartv2.Dependency{{Name: "on", Version: "0.1.0", Condition: "on.enabled"}, {Name: "off", Version: "0.1.0", Condition: "off.enabled"}}},
		Values:    map[string]any{"on": map[string]any{"enabled": true}, "off": map[string]any{"enabled": false}},
		Templates: []*common.File{{Name: "templates/gadget.yaml", Data: []byte("apiVersion: " + group + "/v1\nkind: Gadget\nmetadata:\n  name: one\nspec: {size: 3}\n")}},
	}
	for i := range 6 {
		parent.Files = append(parent.Files, crdFile(fmt.Sprintf("Extra%d", i), fmt.Sprintf("extra%ds", i), group))
	}
	parent.Files = append(parent.Files, crdFile("Gadget", "gadgets", group))
	parent.AddDependency(sub("on"), sub("off"))
	if _, err := e.client.Install(ctx, Request{Name: "crds", Namespace: "crds", Chart: parent}); err != nil {
		t.Fatal(err)
	}
	ext, err := apiextclient.NewForConfig(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gadgets", "extra0s", "extra5s", "subons"} {
		if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name+"."+group, metav1.GetOptions{}); err != nil {
			t.Errorf("CRD %s: %v", name, err)
		}
	}
	if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "suboffs."+group, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the disabled subchart's CRD: %v, want it not installed", err)
	}
	dyn, err := dynamic.NewForConfig(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var g *unstructured.Unstructured
	if g, err = dyn.Resource(schema.GroupVersionResource{Group: group, Version: "v1", Resource: "gadgets"}).Namespace("crds").Get(ctx, "one", metav1.GetOptions{}); err != nil {
		t.Fatalf("the chart's Gadget: %v", err)
	}
	if size, _, _ := unstructured.NestedInt64(g.Object, "spec", "size"); size != 3 {
		t.Errorf("the Gadget's spec.size = %d, want 3", size)
	}
}
