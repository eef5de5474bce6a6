package helm

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestIsNoKindMatch(t *testing.T) {
	gk := schema.GroupKind{Group: "example.io", Kind: "Widget"}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"typed", &meta.NoKindMatchError{GroupKind: gk}, true},
		{"wrapped typed", fmt.Errorf("unable to build kubernetes objects from release manifest: %w", &meta.NoKindMatchError{GroupKind: gk}), true},
		{"Helm's text without the type", errors.New(`unable to build kubernetes objects from release manifest: resource mapping not found for name: "w" namespace: "" from "": no matches for kind "Widget" in version "example.io/v1"`), true},
		{"other failure", errors.New("timed out waiting for the condition"), false},
	}
	for _, c := range cases {
		if got := isNoKindMatch(c.err); got != c.want {
			t.Errorf("%s: isNoKindMatch = %v, want %v", c.name, got, c.want)
		}
	}
}

// widgetChart is a chart with one object of kind (from example.io's CRD)
// and no CRD of its own: the kind comes from someone else's chart.
func widgetChart(name, version, kind string) *chartv2.Chart {
	obj := fmt.Sprintf("apiVersion: example.io/v1\nkind: %s\nmetadata:\n  name: %s\n  namespace: {{ .Release.Namespace }}\nspec: {}\n", kind, name)
	return &chartv2.Chart{
		Metadata:  &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: name, Version: version},
		Templates: []*common.File{{Name: "templates/obj.yaml", Data: []byte(obj)}},
	}
}

func createCRD(ctx context.Context, c apiextensions.Interface, kind string) error {
	plural := "x" + lower(kind) + "s"
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + ".example.io"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.io", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: kind, Plural: plural, ListKind: kind + "List"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: ptr(true)}}}},
		},
	}
	_, err := c.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{})
	return err
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func ptr[T any](v T) *T { return &v }

// TestKindFromAnotherChartsCRD is the race of concurrent installs: a
// chart uses a kind whose CRD another chart creates a moment later, after
// the Client's shared discovery cache was filled. The install and an
// upgrade that brings a second such kind retry after a discovery refresh
// instead of failing.
func TestKindFromAnotherChartsCRD(t *testing.T) {
	t.Parallel()
	e := start(t, Options{})
	ctx := testCtx(t)
	ext, err := apiextensions.NewForConfig(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Fill the shared discovery cache and REST mapper.
	if _, err := e.client.Install(ctx, Request{Name: "first", Namespace: "kinds", Chart: chart(t, "configmap", "first", "1.0.0")}); err != nil {
		t.Fatal(err)
	}
	created := make(chan error, 1)
	go func() {
		time.Sleep(1500 * time.Millisecond)
		created <- createCRD(ctx, ext, "Gadget")
	}()
	rel, err := e.client.Install(ctx, Request{Name: "gadget", Namespace: "kinds", Chart: widgetChart("gadget", "1.0.0", "Gadget")})
	if cerr := <-created; cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatalf("install of a chart whose kind's CRD came a moment later: %v", err)
	}
	if rel.Revision != 1 || rel.Status != string(statusDeployed) {
		t.Errorf("release = revision %d, %s", rel.Revision, rel.Status)
	}

	if err := createCRD(ctx, ext, "Gizmo"); err != nil {
		t.Fatal(err)
	}
	rel, err = e.client.Upgrade(ctx, Request{Name: "gadget", Namespace: "kinds", Chart: widgetChart("gadget", "1.0.1", "Gizmo")})
	if err != nil {
		t.Fatalf("upgrade to a kind created after the cache was filled: %v", err)
	}
	if rel.Revision != 2 || rel.Status != string(statusDeployed) {
		t.Errorf("release = revision %d, %s", rel.Revision, rel.Status)
	}
}
