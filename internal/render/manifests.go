package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	release "helm.sh/helm/v4/pkg/release/v1"

	"github.com/kubecube-io/hotplug/internal/chartfetch"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/redact"
)

// WriteManifests renders the chart of every enabled component that has a
// package, from chartDir with the component's merged values, and writes the
// Kubernetes manifests to w as `helm template` does (`# Source:` comments,
// hooks after the manifest, CRDs included). Each component is introduced by
// a `# hotplug component:` comment. The release name is the component name
// and the release namespace its namespace, as the agent installs it.
// Rendering is client-only: no cluster is contacted and the default
// capabilities of the Helm SDK apply. A component that fails does not stop
// the others; the failures are returned joined. A component with a chart
// by source is pulled with charts (as the agent pulls it, credentials
// aside); with charts nil it is such a failure.
func (v View) WriteManifests(ctx context.Context, w io.Writer, chartDir string) error {
	return v.WriteManifestsWith(ctx, w, chartDir, nil)
}

// WriteManifestsWith is WriteManifests pulling charts by source with
// charts (nil: they fail, naming the component).
func (v View) WriteManifestsWith(ctx context.Context, w io.Writer, chartDir string, charts *chartfetch.Fetcher) error {
	var errs []error
	for _, c := range v.merged {
		if !c.Enabled || !c.HasPackage() {
			continue
		}
		var ch *chartv2.Chart
		pkg := c.PkgName
		switch {
		case c.Chart != nil && charts == nil:
			errs = append(errs, chartpkg.SourceNotSupported(c.Name, "hotplug render"))
			continue
		case c.Chart != nil:
			got, err := charts.Fetch(ctx, c.Name, "", c.Chart)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ch, pkg = got.Package.Chart, c.Chart.Repository+"/"+c.Chart.Name+":"+got.Version
		default:
			loaded, err := chartpkg.Load(chartDir, c.PkgName)
			if err != nil {
				errs = append(errs, fmt.Errorf("component %q: %w (is --chart-dir right?)", c.Name, err))
				continue
			}
			ch = loaded
		}
		text, err := renderChart(ctx, ch, c.Name, c.Namespace, pkg, c.Values)
		if err != nil {
			// A template's fail or required may quote a value; the error
			// says which component and template, never the value.
			err = redact.New([]string{c.Name, c.Namespace, c.PkgName}, c.Values).Error(err)
			errs = append(errs, fmt.Errorf("component %q: %w", c.Name, err))
			continue
		}
		if _, err := fmt.Fprintf(w, "# hotplug component: %s (namespace %s, package %s)\n%s", c.Name, c.Namespace, pkg, text); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// renderChart is `helm template` for one release.
func renderChart(ctx context.Context, ch *chartv2.Chart, name, namespace, pkgName string, values map[string]any) (string, error) {
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.DiscardHandler))
	inst := action.NewInstall(cfg)
	inst.DryRunStrategy = action.DryRunClient
	inst.Replace = true
	inst.IncludeCRDs = true
	inst.ReleaseName = name
	inst.Namespace = namespace
	rel, err := inst.RunWithContext(ctx, ch, values)
	if err != nil {
		return "", fmt.Errorf("rendering chart %s: %w", pkgName, err)
	}
	r, ok := rel.(*release.Release)
	if !ok {
		return "", fmt.Errorf("rendering chart %s: unexpected release type %T", pkgName, rel)
	}
	var b strings.Builder
	if m := strings.TrimSpace(r.Manifest); m != "" {
		b.WriteString(m)
		b.WriteString("\n")
	}
	for _, h := range r.Hooks {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", h.Path, strings.TrimSpace(h.Manifest))
	}
	return b.String(), nil
}
