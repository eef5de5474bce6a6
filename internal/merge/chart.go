package merge

import (
	"errors"
	"fmt"
	"strconv"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// ErrChartIncomplete is the cause of an enabled component whose merged
// chart lacks a field it needs (repository, name, version, or half of
// verify). A cluster's Hotplug checked without `common` may lack them and
// inherit them, so the hub does not hold this against it alone.
var ErrChartIncomplete = errors.New("incomplete chart")

// HasPackage tells whether the component names a package (pkgName or
// chart), i.e. whether enabled it has a Helm release rather than being a
// feature switch.
func (c *Component) HasPackage() bool {
	return c.PkgName != "" || c.Chart != nil
}

// setsPackage tells whether e's layer says which package the component has.
func setsPackage(e entry) bool {
	return e.spec != nil && (e.spec.PkgName != "" || e.spec.Chart != nil)
}

// pickPackage decides the component's package. The layer that sets pkgName
// or chart (the cluster's when it sets either, else common's) decides which
// of the two the component has, so a layer's pkgName replaces an inherited
// chart and its chart an inherited pkgName; a chart it sets is merged field
// by field over the inherited chart. Both in the merged component is
// refused when it is enabled; the chart is checked as checkChart says.
func pickPackage(name string, base, over entry, enabled bool) (string, *hotplugv1.ChartSource, *Error) {
	decider, layers := base, []entry{base}
	if setsPackage(over) {
		decider, layers = over, []entry{base, over}
	}
	pkg := decider.get(func(c *hotplugv1.ComponentSpec) string { return c.PkgName })
	if pkg != "" {
		if err := checkPkgName(pkg); err != nil {
			return "", nil, &Error{Object: decider.object, Component: name, Field: "pkgName", Err: err}
		}
	}
	if decider.spec == nil || decider.spec.Chart == nil {
		return pkg, nil, nil
	}
	m := mergeChart(name, layers)
	if enabled && pkg != "" {
		return "", nil, &Error{Object: decider.object, Component: name, Field: fmt.Sprintf("spec.component[%d].chart", decider.index),
			Err: fmt.Errorf("%w: pkgName and chart are both set; name the package by exactly one of them (pkgName: a package in the agent's chart directory, chart: a chart in a registry)", errInvalid)}
	}
	if err := m.check(enabled); err != nil {
		return "", nil, err
	}
	return pkg, &m.src, nil
}

// chartField is one leaf of ChartSource, read and written as text ("" is
// unset) so that merging and blaming are one loop over the fields.
type chartField struct {
	path string // below chart, as the API names it
	get  func(*hotplugv1.ChartSource) string
	set  func(*hotplugv1.ChartSource, string)
}

// chartFields lists every leaf of ChartSource; a new field needs a row.
var chartFields = []chartField{
	{"repository", func(c *hotplugv1.ChartSource) string { return c.Repository }, func(c *hotplugv1.ChartSource, v string) { c.Repository = v }},
	{"name", func(c *hotplugv1.ChartSource) string { return c.Name }, func(c *hotplugv1.ChartSource, v string) { c.Name = v }},
	{"version", func(c *hotplugv1.ChartSource) string { return c.Version }, func(c *hotplugv1.ChartSource, v string) { c.Version = v }},
	{"digest", func(c *hotplugv1.ChartSource) string { return c.Digest }, func(c *hotplugv1.ChartSource, v string) { c.Digest = v }},
	{"secretRef.name", func(c *hotplugv1.ChartSource) string {
		if c.SecretRef == nil {
			return ""
		}
		return c.SecretRef.Name
	}, func(c *hotplugv1.ChartSource, v string) { c.SecretRef = &hotplugv1.SecretReference{Name: v} }},
	{"insecure", func(c *hotplugv1.ChartSource) string {
		if c.Insecure == nil {
			return ""
		}
		return strconv.FormatBool(*c.Insecure)
	}, func(c *hotplugv1.ChartSource, v string) { b := v == "true"; c.Insecure = &b }},
	{"verify.provider", func(c *hotplugv1.ChartSource) string {
		if c.Verify == nil {
			return ""
		}
		return c.Verify.Provider
	}, func(c *hotplugv1.ChartSource, v string) { verifyOf(c).Provider = v }},
	{"verify.secretRef.name", func(c *hotplugv1.ChartSource) string {
		if c.Verify == nil || c.Verify.SecretRef == nil {
			return ""
		}
		return c.Verify.SecretRef.Name
	}, func(c *hotplugv1.ChartSource, v string) { verifyOf(c).SecretRef = &hotplugv1.SecretReference{Name: v} }},
}

// fieldValue is c's field at path ("" when unset).
func fieldValue(c *hotplugv1.ChartSource, path string) string {
	for _, f := range chartFields {
		if f.path == path {
			return f.get(c)
		}
	}
	return ""
}

func verifyOf(c *hotplugv1.ChartSource) *hotplugv1.ChartVerify {
	if c.Verify == nil {
		c.Verify = &hotplugv1.ChartVerify{}
	}
	return c.Verify
}

// mergedChart is a component's merged chart with, for every field set, the
// layer it came from, so that an error names the object and the element
// that hold the bad value.
type mergedChart struct {
	component string
	src       hotplugv1.ChartSource // fresh: shares nothing with the inputs
	from      map[string]entry
	rank      map[string]int // 0 common, 1 the cluster's
	top       entry          // the last layer with a chart: blamed for what is missing
}

// mergeChart lays the charts of layers (lowest first) over each other field
// by field: a field a later layer sets wins.
func mergeChart(component string, layers []entry) mergedChart {
	m := mergedChart{component: component, from: map[string]entry{}, rank: map[string]int{}}
	for i, e := range layers {
		if e.spec == nil || e.spec.Chart == nil {
			continue
		}
		m.top = e
		for _, f := range chartFields {
			if v := f.get(e.spec.Chart); v != "" {
				f.set(&m.src, v)
				m.from[f.path], m.rank[f.path] = e, i
			}
		}
	}
	return m
}

// fail is an error about field of the chart, blamed on the layer the
// field's value came from (the top layer when it is unset).
func (m mergedChart) fail(field string, err error) *Error {
	e, ok := m.from[field]
	if !ok {
		e = m.top
	}
	return &Error{Object: e.object, Component: m.component, Field: fmt.Sprintf("spec.component[%d].chart.%s", e.index, field), Err: err}
}

// later is whichever of fields a and b the higher layer set (a on a tie):
// the edit that made a valid pair invalid.
func (m mergedChart) later(a, b string) string {
	if m.rank[b] > m.rank[a] {
		return b
	}
	return a
}
