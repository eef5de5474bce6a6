package render

import (
	"context"
	"errors"
	"fmt"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// Component is one component's effective configuration, as printed by
// `hotplug render`.
type Component struct {
	Name      string `json:"name"`
	Enabled   bool   `json:"enabled"`
	Namespace string `json:"namespace"`
	// PkgName and Chart are both empty for a feature switch (no Helm
	// release); at most one is set.
	PkgName string                 `json:"pkgName,omitempty"`
	Chart   *hotplugv1.ChartSource `json:"chart,omitempty"`
	// Values are the merged Helm values with {{.cluster}} filled in.
	Values map[string]any `json:"values"`
	// DependsOn names the components that must be Ready first.
	DependsOn []string `json:"dependsOn,omitempty"`
}

// Problem is a component that the agent would refuse (and leave its
// release untouched), with where to fix it.
type Problem struct {
	Component string `json:"component"`
	Object    string `json:"object"`
	Field     string `json:"field"`
	// Location is file:line of the faulty field.
	Location string `json:"location"`
	Message  string `json:"message"`
}

// Error formats the problem for a terminal: the location first, as
// compilers do, so editors can jump to it.
func (p Problem) Error() string { return p.Location + ": " + p.Message }

// View is the effective configuration of one cluster.
type View struct {
	Cluster    string      `json:"cluster"`
	Components []Component `json:"components"`
	Problems   []Problem   `json:"problems,omitempty"`
	// merged keeps merge's components for rendering manifests.
	merged []merge.Component
}

// Effective merges common and own (own may be nil) for cluster with
// merge.Effective, the function the agent uses, so the result is what the
// agent would deploy. Components that fail come back as Problems located
// in the files.
func Effective(cluster string, common, own *Document) View {
	return EffectiveWithin(context.Background(), limits.Default(), cluster, common, own)
}

// EffectiveWithin is Effective with the agent's input limits and a deadline.
func EffectiveWithin(ctx context.Context, lim limits.Limits, cluster string, common, own *Document) View {
	var ownHP *hotplugv1.Hotplug
	if own != nil {
		ownHP = own.Hotplug
	}
	res := merge.EffectiveWithin(ctx, lim, cluster, common.Hotplug, ownHP)
	v := View{Cluster: cluster, Components: []Component{}, merged: res.Components}
	for _, c := range res.Components {
		v.Components = append(v.Components, Component{Name: c.Name, Enabled: c.Enabled, Namespace: c.Namespace, PkgName: c.PkgName, Chart: c.Chart, Values: c.Values, DependsOn: c.DependsOn})
	}
	for _, e := range res.Errors {
		doc := common
		if own != nil && e.Object == own.Hotplug.Name {
			doc = own
		}
		loc := fmt.Sprintf("%s:%d", doc.File, doc.fieldLine(e.Component, e.Field, e.Line))
		v.Problems = append(v.Problems, Problem{Component: e.Component, Object: e.Object, Field: e.Field, Location: loc, Message: e.Error()})
	}
	return v
}

// Err returns the problems joined, or nil when there are none.
func (v View) Err() error {
	errs := make([]error, len(v.Problems))
	for i, p := range v.Problems {
		errs[i] = p
	}
	return errors.Join(errs...)
}
