package dashboard

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/merge"
	"github.com/kubecube-io/hotplug/internal/toggle"
)

// maxPreviewValues bounds the values a switch preview lists: the dialog is
// for a person to read, and the cell's configuration view has them all.
const maxPreviewValues = 4 << 10

// switchPlan says what the cluster's agent will do once the switch is
// applied, in the words of `hotplug diff` (install, uninstall, nothing):
// from the cluster's merged configuration after the switch (eff) and what
// its agent last reported for the component (reported; nil when nothing).
// Pure.
func switchPlan(cluster, component string, eff merge.Result, reported *hotplugv1.ComponentStatus) string {
	agent := "the agent of " + cluster
	for _, e := range eff.Errors {
		if e.Component == component {
			return fmt.Sprintf("error: %s will refuse %s and leave its release as it is: %v", agent, component, e)
		}
	}
	var c *merge.Component
	for i := range eff.Components {
		if eff.Components[i].Name == component {
			c = &eff.Components[i]
		}
	}
	installed := reported != nil && reported.Revision > 0
	if c == nil || !c.Enabled {
		if !installed {
			return fmt.Sprintf("nothing: %s reports no release of %s, so there is nothing to uninstall", agent, component)
		}
		return fmt.Sprintf("uninstall: %s will uninstall release %s from namespace %s (chart %s, Helm revision %d)",
			agent, component, reported.Namespace, chartOf(reported), reported.Revision)
	}
	if !c.HasPackage() {
		return fmt.Sprintf("enable: %s will switch the feature %s on (no Helm release)", agent, component)
	}
	if installed && reported.Enabled && reported.Namespace == c.Namespace {
		return fmt.Sprintf("nothing: %s already runs %s in namespace %s (chart %s, Helm revision %d)",
			agent, component, c.Namespace, chartOf(reported), reported.Revision)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "install: %s will install %s into namespace %s from %s", agent, component, c.Namespace, packageOf(c))
	switch len(c.DependsOn) {
	case 0:
	case 1:
		fmt.Fprintf(&b, ", once %s is ready", c.DependsOn[0])
	default:
		fmt.Fprintf(&b, ", once %s are ready", strings.Join(c.DependsOn, ", "))
	}
	b.WriteString("\nvalues (merged from common and Hotplug " + cluster + "; the chart's values.yaml supplies the rest):\n")
	b.WriteString(valuesPreview(c.Values))
	return b.String()
}

// chartOf names the chart a report says is deployed.
func chartOf(s *hotplugv1.ComponentStatus) string {
	name := s.Chart
	if name == "" {
		name = s.PkgName
	}
	if s.ChartVersion != "" {
		name += " " + s.ChartVersion
	}
	if name == "" {
		return "unknown"
	}
	return name
}

// packageOf names where the component's chart comes from.
func packageOf(c *merge.Component) string {
	if c.Chart == nil {
		return "package " + c.PkgName
	}
	ref := c.Chart.Repository
	if c.Chart.Name != "" {
		ref += " chart " + c.Chart.Name
	}
	if c.Chart.Version != "" {
		ref += " version " + c.Chart.Version
	}
	return ref
}

// valuesPreview is the values as YAML, cut to maxPreviewValues.
func valuesPreview(v map[string]any) string {
	if len(v) == 0 {
		return "  (none)"
	}
	y, err := yaml.Marshal(v)
	if err != nil {
		return "  (cannot show: " + err.Error() + ")"
	}
	s := string(y)
	if len(s) > maxPreviewValues {
		s = limits.Message(s, maxPreviewValues) + "\n(the cell's configuration lists every value)"
	}
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

// previewSwitch computes switchPlan from the pivot as it is plus the
// switch: common and the cluster's Hotplug (the switch applied to a copy),
// and the cluster's last report.
func previewSwitch(ctx context.Context, r client.Reader, cluster, component, status string) (string, error) {
	common, own, err := hotplugsOf(ctx, r, cluster)
	if err != nil {
		return "", err
	}
	if own == nil {
		own = &hotplugv1.Hotplug{}
		own.Name = cluster
	}
	toggle.Set(own, component, status)
	eff := merge.EffectiveWithin(ctx, limits.Default(), cluster, common, own)
	var reported *hotplugv1.ComponentStatus
	cl := &clusterv1.Cluster{}
	// A person who may switch but not read Clusters gets the plan without
	// the report (as for a cluster that has not reported yet).
	if err := r.Get(ctx, client.ObjectKey{Name: cluster}, cl); client.IgnoreNotFound(err) != nil && !apierrors.IsForbidden(err) {
		return "", fmt.Errorf("reading Cluster %s: %w", cluster, err)
	}
	for i := range cl.Status.Components {
		if cl.Status.Components[i].Name == component {
			reported = &cl.Status.Components[i]
		}
	}
	return switchPlan(cluster, component, eff, reported), nil
}
