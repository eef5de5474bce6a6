package chartset

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	release "helm.sh/helm/v4/pkg/release/v1"
)

// Rendered is one release rendered client-side, as `helm template` would.
type Rendered struct {
	// CRDs are the crds/ files of the chart and its subcharts.
	CRDs []string
	// Manifest is the release's objects, hooks included (a plain apply has
	// no hook phases: the hook objects are applied like the others).
	Manifest string
}

// Render renders ch as release name in namespace with values, client-only.
func Render(ctx context.Context, ch *chartv2.Chart, name, namespace string, values map[string]any) (Rendered, error) {
	inst := action.NewInstall(action.NewConfiguration(action.ConfigurationSetLogger(slog.DiscardHandler)))
	inst.DryRunStrategy = action.DryRunClient
	inst.Replace = true
	inst.ReleaseName = name
	inst.Namespace = namespace
	rel, err := inst.RunWithContext(ctx, ch, values)
	if err != nil {
		return Rendered{}, fmt.Errorf("rendering %s: %w", name, err)
	}
	r, ok := rel.(*release.Release)
	if !ok {
		return Rendered{}, fmt.Errorf("rendering %s: unexpected release type %T", name, rel)
	}
	var b strings.Builder
	b.WriteString(r.Manifest)
	for _, h := range r.Hooks {
		fmt.Fprintf(&b, "\n---\n%s\n", h.Manifest)
	}
	out := Rendered{Manifest: b.String()}
	for _, f := range ch.CRDObjects() {
		out.CRDs = append(out.CRDs, string(f.File.Data))
	}
	return out, nil
}
