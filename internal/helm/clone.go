package helm

import (
	"maps"
	"slices"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// cloneChart deep-copies what Helm mutates while installing (values,
// metadata dependencies, the dependency tree), so callers' charts stay as
// they were: Helm enables/disables and re-parents dependencies and rewrites
// values in place.
func cloneChart(c *chartv2.Chart) *chartv2.Chart {
	if c == nil {
		return nil
	}
	out := *c
	if c.Metadata != nil {
		md := *c.Metadata
		md.Dependencies = make([]*chartv2.Dependency, 0, len(c.Metadata.Dependencies))
		for _, d := range c.Metadata.Dependencies {
			if d == nil {
				continue
			}
			dc := *d
			dc.Tags = slices.Clone(d.Tags)
			dc.ImportValues = cloneSlice(d.ImportValues)
			md.Dependencies = append(md.Dependencies, &dc)
		}
		out.Metadata = &md
	}
	out.Values = cloneValues(c.Values)
	out.Templates = slices.Clone(c.Templates)
	out.Files = slices.Clone(c.Files)
	out.Raw = slices.Clone(c.Raw)
	deps := make([]*chartv2.Chart, 0, len(c.Dependencies()))
	for _, d := range c.Dependencies() {
		deps = append(deps, cloneChart(d))
	}
	out.SetDependencies(deps...)
	return &out
}

// cloneValues deep-copies nested maps and slices of a values tree.
func cloneValues(v map[string]any) map[string]any {
	if v == nil {
		return nil
	}
	out := maps.Clone(v)
	for k, x := range out {
		out[k] = cloneValue(x)
	}
	return out
}

// cloneSlice deep-copies a slice of values.
func cloneSlice(s []any) []any {
	if s == nil {
		return nil
	}
	out := slices.Clone(s)
	for i, x := range out {
		out[i] = cloneValue(x)
	}
	return out
}

// cloneValue deep-copies maps and slices; other values are immutable or shared.
func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneValues(x)
	case []any:
		return cloneSlice(x)
	default:
		return v
	}
}
