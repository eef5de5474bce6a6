package helm

import (
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/kubecube-io/hotplug/internal/chartpkg"
)

// cloneChart deep-copies what Helm mutates while installing (values,
// metadata, the dependency tree), so callers' charts stay as they were:
// Helm enables/disables and re-parents dependencies and rewrites values in
// place. The chart loader's cache relies on the same copy.
func cloneChart(c *chartv2.Chart) *chartv2.Chart { return chartpkg.Clone(c) }

// cloneValues deep-copies the maps and slices of a values tree.
func cloneValues(v map[string]any) map[string]any { return chartpkg.CloneValues(v) }
