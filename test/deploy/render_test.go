// Package deploy tests the Helm chart under deploy/hotplug and the kustomize
// tree under config/: rendering and schema, server-side validity, RBAC that
// is exactly enough for the agent, and no drift between the two trees.
package deploy

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubecube-io/hotplug/internal/manifest"
)

// releaseName and releaseNamespace are what the README's install commands use.
const (
	releaseName      = "hotplug"
	releaseNamespace = "kubecube-system"
)

// repoRoot is the module's root, found from this file so tests work from any
// working directory.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func chartPath() string { return filepath.Join(repoRoot(), "deploy", "hotplug") }

// loadChart loads deploy/hotplug the way `helm install ./deploy/hotplug` does.
func loadChart(t *testing.T) *chartv2.Chart {
	t.Helper()
	ch, err := loader.Load(chartPath())
	if err != nil {
		t.Fatalf("loading chart: %v", err)
	}
	return ch
}

// rendered is the outcome of a client-side `helm install --dry-run`.
type rendered struct {
	Objects []*unstructured.Unstructured
	Notes   string
}

// find returns the rendered object of kind and name, or nil.
func (r *rendered) find(kind, name string) *unstructured.Unstructured {
	for _, o := range r.Objects {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// mustFind is find that fails the test when the object is missing.
func (r *rendered) mustFind(t *testing.T, kind, name string) *unstructured.Unstructured {
	t.Helper()
	o := r.find(kind, name)
	if o == nil {
		t.Fatalf("%s %s not rendered; have %v", kind, name, r.names())
	}
	return o
}

func (r *rendered) names() []string {
	out := make([]string, 0, len(r.Objects))
	for _, o := range r.Objects {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	return out
}

// renderChart runs the Helm SDK's install action in client-only dry-run
// mode: schema validation, kubeVersion check, templates and NOTES, exactly as
// `helm install --dry-run=client` with vals as --set values. apiVersions are
// extra APIs the pretend cluster serves (e.g. monitoring.coreos.com/v1).
func renderChart(t *testing.T, vals map[string]any, apiVersions ...string) (*rendered, error) {
	t.Helper()
	ch := loadChart(t)
	install := action.NewInstall(action.NewConfiguration())
	install.DryRunStrategy = action.DryRunClient
	install.ReleaseName = releaseName
	install.Namespace = releaseNamespace
	kv, err := common.ParseKubeVersion("v1.34.0")
	if err != nil {
		t.Fatal(err)
	}
	install.KubeVersion = kv
	install.APIVersions = apiVersions
	rel, err := install.RunWithContext(context.Background(), ch, vals)
	if err != nil {
		return nil, fmt.Errorf("helm install --dry-run: %w", err)
	}
	r, ok := rel.(*releasev1.Release)
	if !ok {
		t.Fatalf("release is a %T", rel)
	}
	objs, err := manifest.Parse([]byte(r.Manifest))
	if err != nil {
		return nil, fmt.Errorf("parsing rendered manifest: %w\n%s", err, r.Manifest)
	}
	return &rendered{Objects: objs, Notes: r.Info.Notes}, nil
}

// mustRender is renderChart that fails the test on error.
func mustRender(t *testing.T, vals map[string]any, apiVersions ...string) *rendered {
	t.Helper()
	r, err := renderChart(t, vals, apiVersions...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// pivotValues and memberValues are the smallest values of each role.
func pivotValues() map[string]any {
	return map[string]any{"role": "pivot", "clusterName": "pivot-cluster"}
}

func memberValues() map[string]any {
	return map[string]any{
		"role": "member", "clusterName": "member-1",
		"pivot": map[string]any{"kubeconfigSecret": map[string]any{"name": "hotplug-pivot-kubeconfig"}},
	}
}
