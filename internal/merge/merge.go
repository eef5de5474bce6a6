// Package merge computes one cluster's effective add-on configuration from
// the shared `common` Hotplug and the cluster's own Hotplug. It is pure: no
// I/O, no clock, no cluster; the same inputs always give the same Result.
package merge

import (
	"context"
	"fmt"
	"slices"
	"strings"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// defaultNamespace is where a component goes when neither object names one.
const defaultNamespace = "default"

// Component is one component's effective configuration for one cluster.
type Component struct {
	Name      string
	Namespace string // "default" when neither object sets it
	PkgName   string // "" with a nil Chart means a feature switch (no Helm release)
	// Chart is the chart by source, merged field by field; nil when the
	// component names a pkgName or nothing. Never both (see HasPackage).
	Chart   *hotplugv1.ChartSource
	Enabled bool           // true only when the merged status is exactly "enabled"
	Values  map[string]any // merged, templated Helm values; never nil
	// SkipDriftRepair is true when objects of the release changed by hand
	// are to be left alone: driftRepair false in the cluster's object, or in
	// common's when the cluster's does not set it. The zero value repairs.
	SkipDriftRepair bool
	// DependsOn names the components that must be Ready before this one is
	// installed or upgraded, and that it is uninstalled before: the
	// cluster's list when it names any, else common's; sorted, without
	// duplicates, every name a component of the same Result, no cycles.
	DependsOn []string
	// DriftIgnore are the fields drift repair leaves alone: the cluster's
	// rules when it has any, else common's (a list replaces the inherited
	// one, it is not merged element by element); nil when neither has any.
	DriftIgnore []hotplugv1.DriftIgnore
}

// Result is the effective configuration: good components (sorted by name)
// and the components that failed (sorted by component name). A component
// that fails is absent from Components, so that the caller leaves its
// release untouched. Errors holds at most one *Error per component name (the
// first fault found), so that a per-component status list keyed by name
// stays unique.
type Result struct {
	Components []Component
	Errors     []*Error
}

// Effective merges common with the cluster's own Hotplug (either may be nil)
// for cluster.
//
// Components are keyed by name; the union of both objects' names is
// returned, including a component that only own names. Each of namespace,
// pkgName, status, dependsOn and driftIgnore that own sets (non-empty) wins, otherwise common's
// applies. Chart merges field by field; a layer that sets pkgName or chart
// decides which of the two the component has (see pickPackage), and the
// chart is checked syntactically here so that the webhook and the agent
// refuse alike. Env is not replaced but merged: each object's env is rendered
// for cluster on its own (see Render), then own's values are deep-merged
// over common's (see DeepMerge). A bad element (invalid name, namespace or
// pkgName, a name listed twice in one object, an env that fails to render,
// a dependsOn naming no component of the result, itself, or closing a
// cycle) fails only its component. Errors name own's object as own.Name and
// common's as common.Name (an unnamed object is called "common" or cluster).
// The inputs are not modified and the Values share nothing with them.
func Effective(cluster string, common, own *hotplugv1.Hotplug) Result {
	return EffectiveWithin(context.Background(), limits.Default(), cluster, common, own)
}

// EffectiveWithin is Effective bounded by lim and by ctx's deadline: every
// env is measured before it is expanded (text, YAML aliases, template work
// and time, merged values), and a component over a limit fails alone with an
// error naming the object, the component, the field and the limit.
func EffectiveWithin(ctx context.Context, lim limits.Limits, cluster string, common, own *hotplugv1.Hotplug) Result {
	lim = lim.Normalize()
	base := index(common, hotplugv1.CommonName)
	over := index(own, cluster)

	names := make([]string, 0, len(base.specs)+len(over.specs))
	for name := range base.specs {
		names = append(names, name)
	}
	for name := range over.specs {
		if _, ok := base.specs[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)

	var res Result
	failed := map[string]bool{}
	for _, e := range slices.Concat(base.errs, over.errs) {
		if !failed[e.Component] {
			failed[e.Component] = true
			res.Errors = append(res.Errors, e)
		}
	}
	known := map[string]bool{}
	var edged []string
	for _, name := range names {
		known[name] = true
		if !failed[name] {
			edged = append(edged, name)
		}
	}
	deps := effectiveDependsOn(edged, base, over)
	depErrs := checkDependencies(deps, known)
	for _, name := range edged {
		c, err := mergeComponent(ctx, lim, cluster, name, base.at(name), over.at(name))
		if err == nil {
			err = depErrs[name]
		}
		if err != nil {
			res.Errors = append(res.Errors, err)
			continue
		}
		c.DependsOn = deps[name].names
		res.Components = append(res.Components, c)
	}
	slices.SortStableFunc(res.Errors, func(a, b *Error) int { return strings.Compare(a.Component, b.Component) })
	return res
}

// source is one object's components by name, and the names it got wrong.
type source struct {
	object string
	specs  map[string]*hotplugv1.ComponentSpec
	pos    map[string]int // each spec's index in the object, for field paths
	errs   []*Error
}

// at returns the object's view of name; its spec is nil when the object
// does not name it.
func (s source) at(name string) entry {
	return entry{object: s.object, spec: s.specs[name], index: s.pos[name]}
}

// entry is one object's view of one component; spec is nil when the object
// does not name it.
type entry struct {
	object string
	spec   *hotplugv1.ComponentSpec
	index  int // the spec's index in the object's spec.component
}

func (e entry) get(f func(*hotplugv1.ComponentSpec) string) string {
	if e.spec == nil {
		return ""
	}
	return f(e.spec)
}

// index keys hp's components by name. A name listed twice fails the
// component, not just the second entry, because which entry the author
// meant is unknown and the release is safer left as it is.
func index(hp *hotplugv1.Hotplug, fallbackName string) source {
	s := source{object: fallbackName, specs: map[string]*hotplugv1.ComponentSpec{}, pos: map[string]int{}}
	if hp == nil {
		return s
	}
	if hp.Name != "" {
		s.object = hp.Name
	}
	first := map[string]int{}
	for i := range hp.Spec.Component {
		spec := &hp.Spec.Component[i]
		if err := checkName(spec.Name); err != nil {
			s.errs = append(s.errs, &Error{Object: s.object, Component: spec.Name, Field: "name", Err: err})
			continue
		}
		if j, dup := first[spec.Name]; dup {
			s.errs = append(s.errs, &Error{Object: s.object, Component: spec.Name, Field: "name",
				Err: fmt.Errorf("%w: entries %d and %d", errDuplicate, j+1, i+1)})
			continue
		}
		first[spec.Name] = i
		if field, err := checkDriftIgnore(i, spec.DriftIgnore); err != nil {
			s.errs = append(s.errs, &Error{Object: s.object, Component: spec.Name, Field: field, Err: err})
			continue
		}
		s.specs[spec.Name] = spec
		s.pos[spec.Name] = i
	}
	return s
}

// pick returns the value that over sets, else base's, with the object it
// came from.
func pick(base, over entry, f func(*hotplugv1.ComponentSpec) string) (string, string) {
	if v := over.get(f); v != "" {
		return v, over.object
	}
	return base.get(f), base.object
}

// pickBool is pick for an optional switch: over's if set, else base's, else
// def.
func pickBool(base, over entry, f func(*hotplugv1.ComponentSpec) *bool, def bool) bool {
	for _, e := range []entry{over, base} {
		if e.spec != nil {
			if v := f(e.spec); v != nil {
				return *v
			}
		}
	}
	return def
}

func mergeComponent(ctx context.Context, lim limits.Limits, cluster, name string, base, over entry) (Component, *Error) {
	fail := func(object, field string, line int, err error) *Error {
		return &Error{Object: object, Component: name, Field: field, Line: line, Err: err}
	}
	ns, nsFrom := pick(base, over, func(c *hotplugv1.ComponentSpec) string { return c.Namespace })
	if ns == "" {
		ns = defaultNamespace
	} else if err := checkNamespace(ns); err != nil {
		return Component{}, fail(nsFrom, "namespace", 0, err)
	}
	status, _ := pick(base, over, func(c *hotplugv1.ComponentSpec) string { return c.Status })
	pkg, chart, perr := pickPackage(name, base, over, status == hotplugv1.StatusEnabled)
	if perr != nil {
		return Component{}, perr
	}

	vals, line, err := render(ctx, lim, cluster, base.get(func(c *hotplugv1.ComponentSpec) string { return c.Env }))
	if err != nil {
		return Component{}, fail(base.object, "env", line, err)
	}
	ownVals, line, err := render(ctx, lim, cluster, over.get(func(c *hotplugv1.ComponentSpec) string { return c.Env }))
	if err != nil {
		return Component{}, fail(over.object, "env", line, err)
	}
	// Both maps are fresh from render and owned here, so over can be laid
	// onto common's values in place instead of through DeepMerge's copy.
	overlay(vals, ownVals)
	if size := jsonSize(vals, int64(lim.ValuesBytes)); size > int64(lim.ValuesBytes) {
		// Blame the object whose env completes the overflow: the cluster's
		// when it has one, otherwise common's.
		blamed := base.object
		if over.get(func(c *hotplugv1.ComponentSpec) string { return c.Env }) != "" {
			blamed = over.object
		}
		return Component{}, fail(blamed, "env", 0,
			limits.Exceeded("merged values as JSON", -1, int64(lim.ValuesBytes), limits.FlagValuesBytes))
	}

	return Component{
		Name:            name,
		Namespace:       ns,
		PkgName:         pkg,
		Chart:           chart,
		Enabled:         status == hotplugv1.StatusEnabled,
		Values:          vals,
		SkipDriftRepair: !pickBool(base, over, func(c *hotplugv1.ComponentSpec) *bool { return c.DriftRepair }, true),
		DriftIgnore:     pickDriftIgnore(base, over),
	}, nil
}
