package merge

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// OriginDefault marks a value no Hotplug set: hotplug's default for an
// element; for Helm values, anything not listed comes from the chart's
// values.yaml.
const OriginDefault = "default"

// Origin is one value of a component's effective configuration and the
// layer that set it: the name of common's or the cluster's Hotplug, or
// OriginDefault.
type Origin struct {
	// Path is an element ("namespace", "status", "pkgName",
	// "chart.version", ...) or a Helm value ("env.image.tag").
	Path string `json:"path"`
	// Value is the effective value, JSON (env rendered for the cluster).
	Value string `json:"value"`
	// From is the layer.
	From string `json:"from"`
}

// maxOrigins bounds what Provenance lists (a values tree is bounded by
// limits.ValuesBytes already; this keeps the view readable).
const maxOrigins = 2000

// Provenance explains component's effective configuration for cluster:
// each element and each leaf of the merged Helm values with the layer that
// set it, the values rendered for cluster as the agent renders them. A
// component that fails to merge returns its error (the same the agent
// reports). It is pure.
func Provenance(ctx context.Context, lim limits.Limits, cluster, component string, common, own *hotplugv1.Hotplug) ([]Origin, error) {
	res := EffectiveWithin(ctx, lim, cluster, common, own)
	for _, e := range res.Errors {
		if e.Component == component {
			return nil, e
		}
	}
	i := slices.IndexFunc(res.Components, func(c Component) bool { return c.Name == component })
	if i < 0 {
		return nil, fmt.Errorf("no component %q in common or Hotplug %s", component, cluster)
	}
	base, over := index(common, hotplugv1.CommonName).at(component), index(own, cluster).at(component)
	var out []Origin
	element := func(path string, f func(*hotplugv1.ComponentSpec) string, def string) {
		v, from := pick(base, over, f)
		if v == "" {
			if def == "" {
				return
			}
			v, from = def, OriginDefault
		}
		out = append(out, Origin{Path: path, Value: quote(v), From: from})
	}
	element("namespace", func(c *hotplugv1.ComponentSpec) string { return c.Namespace }, defaultNamespace)
	element("status", func(c *hotplugv1.ComponentSpec) string { return c.Status }, "")
	if pkg := res.Components[i].PkgName; pkg != "" {
		// The layer that sets a package (pkgName or chart) decides it.
		from := base.object
		if setsPackage(over) {
			from = over.object
		}
		out = append(out, Origin{Path: "pkgName", Value: quote(pkg), From: from})
	}
	if res.Components[i].Chart != nil {
		for _, f := range []struct {
			path string
			get  func(*hotplugv1.ChartSource) string
		}{
			{"chart.repository", func(c *hotplugv1.ChartSource) string { return c.Repository }},
			{"chart.name", func(c *hotplugv1.ChartSource) string { return c.Name }},
			{"chart.version", func(c *hotplugv1.ChartSource) string { return c.Version }},
			{"chart.digest", func(c *hotplugv1.ChartSource) string { return c.Digest }},
		} {
			element(f.path, func(c *hotplugv1.ComponentSpec) string {
				if c.Chart == nil {
					return ""
				}
				return f.get(c.Chart)
			}, "")
		}
	}
	ownVals, err := RenderWithin(ctx, lim, over.object, component, cluster, over.get(func(c *hotplugv1.ComponentSpec) string { return c.Env }))
	if err != nil {
		return nil, err
	}
	walk(nil, res.Components[i].Values, func(keys []string, v any) bool {
		from := base.object
		if has(ownVals, keys) {
			from = over.object
		}
		out = append(out, Origin{Path: "env." + strings.Join(keys, "."), Value: quote(v), From: from})
		return len(out) < maxOrigins
	})
	return out, nil
}

// walk calls f for each leaf of v under keys (a list is one leaf: the merge
// replaces lists whole), keys in order, until f returns false.
func walk(keys []string, v any, f func([]string, any) bool) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		if len(keys) == 0 {
			return true // no values at all
		}
		return f(keys, v)
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if !walk(append(slices.Clip(keys), k), m[k], f) {
			return false
		}
	}
	return true
}

// has tells whether vals sets the value at keys.
func has(vals map[string]any, keys []string) bool {
	var cur any = vals
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[k]; !ok {
			return false
		}
	}
	return true
}

// quote renders a value as JSON.
func quote(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
