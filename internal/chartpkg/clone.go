package chartpkg

import (
	"maps"
	"slices"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// Clone returns a copy of c that a caller may hand to Helm, which changes
// charts in place while installing (it drops disabled subcharts, flags
// enabled ones, rewrites values and metadata dependencies). Values, the
// metadata and lock with their dependency lists, the file lists and the
// dependency tree are copied; the File records, their Data and Schema are
// shared and must not be modified (Helm only reads them). Clone(nil) is nil.
func Clone(c *chartv2.Chart) *chartv2.Chart {
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
		// Validate sanitizes maintainers in place, so they are copied too.
		md.Maintainers = make([]*chartv2.Maintainer, 0, len(c.Metadata.Maintainers))
		for _, m := range c.Metadata.Maintainers {
			if m != nil {
				mc := *m
				md.Maintainers = append(md.Maintainers, &mc)
			}
		}
		md.Keywords = slices.Clone(c.Metadata.Keywords)
		md.Sources = slices.Clone(c.Metadata.Sources)
		md.Annotations = maps.Clone(c.Metadata.Annotations)
		out.Metadata = &md
	}
	if c.Lock != nil {
		lock := *c.Lock
		lock.Dependencies = make([]*chartv2.Dependency, 0, len(c.Lock.Dependencies))
		for _, d := range c.Lock.Dependencies {
			if d != nil {
				dc := *d
				lock.Dependencies = append(lock.Dependencies, &dc)
			}
		}
		out.Lock = &lock
	}
	out.Values = CloneValues(c.Values)
	out.Templates = slices.Clone(c.Templates)
	out.Files = slices.Clone(c.Files)
	out.Raw = slices.Clone(c.Raw)
	deps := make([]*chartv2.Chart, 0, len(c.Dependencies()))
	for _, d := range c.Dependencies() {
		deps = append(deps, Clone(d))
	}
	out.SetDependencies(deps...)
	return &out
}

// CloneValues deep-copies the maps and slices of a values tree.
func CloneValues(v map[string]any) map[string]any {
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

// cloneValue deep-copies maps and slices; other values are immutable.
func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return CloneValues(x)
	case []any:
		return cloneSlice(x)
	default:
		return v
	}
}
