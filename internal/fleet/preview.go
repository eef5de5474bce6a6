package fleet

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/chartfetch"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// ReleaseReader is the part of the Helm wrapper (*helm.Client) a preview
// reads releases with.
type ReleaseReader interface {
	Get(ctx context.Context, namespace, name string) (*helm.Release, error)
	List(ctx context.Context, selector labels.Selector) ([]*helm.Release, error)
}

// PreviewOptions are the agent's settings that decide its plan.
type PreviewOptions struct {
	// Cluster is the cluster's name, as the agent's --cluster-name.
	Cluster string
	// ChartDir holds the chart packages, as the agent's --chart-dir.
	ChartDir string
	// Namespace holds the agent's inventory ConfigMap; default
	// kubecube-system.
	Namespace string
	// Charts pulls charts by source (the agent's code, with the caller's
	// credentials); nil: such a component is shown as not previewable.
	Charts *chartfetch.Fetcher
}

// Step is one action the agent would take.
type Step struct {
	Action    string `json:"action"`
	Namespace string `json:"namespace"`
	Reason    string `json:"reason"`
}

// Change is what the agent would do to one component.
type Change struct {
	Component string `json:"component"`
	// Namespace is the desired release namespace ("" when the
	// configuration no longer names the component).
	Namespace string `json:"namespace,omitempty"`
	// Steps are agent.Plan's steps, in order; empty means nothing to do.
	Steps []Step `json:"steps"`
	// Error is set when the agent would not act (the component's
	// configuration is invalid) or would fail (its package cannot be
	// loaded); the release is left as it is.
	Error string `json:"error,omitempty"`
	// Deployed and Desired are the chart (name-version) of the current
	// release and the one the agent would deploy, when known.
	Deployed string `json:"deployed,omitempty"`
	Desired  string `json:"desired,omitempty"`
	// Revision is the current release revision, 0 when none.
	Revision int `json:"revision,omitempty"`
	// ValuesDiff is, for an upgrade, the unified diff from the deployed
	// release's values to the desired values, as YAML; empty when only
	// the chart changed.
	ValuesDiff string `json:"valuesDiff,omitempty"`
}

// Pending tells whether the agent would act on the component.
func (c Change) Pending() bool { return len(c.Steps) > 0 }

// Preview computes, per component, what the cluster's agent would do now,
// from the same inputs the agent reads: the Hotplugs common and
// opts.Cluster (c), the releases (h), the inventory ConfigMap and the
// chart packages in opts.ChartDir; the decision is agent.Plan's. The
// components are those the configuration names, those in the inventory and
// those whose releases carry the agent's labels for the cluster, sorted by
// name. It changes nothing.
func Preview(ctx context.Context, c client.Reader, h ReleaseReader, opts PreviewOptions) ([]Change, error) {
	if opts.Namespace == "" {
		opts.Namespace = agent.DefaultNamespace
	}
	if opts.ChartDir == "" {
		opts.ChartDir = agent.DefaultChartDir
	}
	common, err := getHotplug(ctx, c, hotplugv1.CommonName)
	if err != nil {
		return nil, err
	}
	own, err := getHotplug(ctx, c, opts.Cluster)
	if err != nil {
		return nil, err
	}
	if common == nil && own == nil {
		return nil, fmt.Errorf("neither Hotplug common nor %s exists on this cluster: is --kubeconfig the cluster's, and --cluster its name?", opts.Cluster)
	}
	inv, err := inventory(ctx, c, h, opts)
	if err != nil {
		return nil, err
	}
	eff := merge.Effective(opts.Cluster, common, own)

	names := map[string]bool{}
	for _, comp := range eff.Components {
		names[comp.Name] = true
	}
	for _, e := range eff.Errors {
		names[e.Component] = true
	}
	for n := range inv {
		names[n] = true
	}
	var out []Change
	for _, name := range slices.Sorted(maps.Keys(names)) {
		ch, err := previewOne(ctx, h, opts, eff, name, inv[name])
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// previewPackage loads the component's package as the agent would: from
// the chart directory, or pulled from its registry with the caller's
// credentials; it returns the chart and the desired digest.
func previewPackage(ctx context.Context, opts PreviewOptions, c *merge.Component) (*chartv2.Chart, string, error) {
	if c.Chart != nil {
		got, err := opts.Charts.Fetch(ctx, c.Name, "", c.Chart)
		if err != nil {
			return nil, "", err
		}
		return got.Package.Chart, got.Package.Digest(c.Values), nil
	}
	chart, err := chartpkg.Load(opts.ChartDir, c.PkgName)
	if err != nil {
		return nil, "", err
	}
	return chart, chartpkg.Digest(chart, c.Values), nil
}

// previewOne mirrors one agent reconcile of component name.
func previewOne(ctx context.Context, h ReleaseReader, opts PreviewOptions, eff merge.Result, name, managedNS string) (Change, error) {
	ch := Change{Component: name, Steps: []Step{}}
	for _, e := range eff.Errors {
		if e.Component == name {
			ch.Error = "configuration rejected, release left untouched: " + e.Error()
			return ch, nil
		}
	}
	d := agent.Desired{}
	for i := range eff.Components {
		if eff.Components[i].Name == name {
			d.Component = &eff.Components[i]
			ch.Namespace = d.Component.Namespace
		}
	}
	wants := d.Component != nil && d.Component.Enabled && d.Component.HasPackage()
	if wants && d.Component.Chart != nil && opts.Charts == nil {
		ch.Error = fmt.Sprintf("not previewed: %v", chartpkg.SourceNotSupported(name, "this preview"))
		return ch, nil
	}
	if wants {
		chart, digest, err := previewPackage(ctx, opts, d.Component)
		if err != nil {
			ch.Error = fmt.Sprintf("the agent would fail: %v", err)
			return ch, nil
		}
		d.Digest = digest
		if chart.Metadata != nil {
			ch.Desired = chart.Metadata.Name + "-" + chart.Metadata.Version
		}
	}
	// The agent's own observation; without a clock a pending release is
	// shown as left alone, never taken over.
	obs, err := agent.Observe(ctx, h.Get, name, d, managedNS, time.Time{}, 0)
	if err != nil {
		return ch, err
	}
	var current *helm.Release
	for _, r := range obs.Releases {
		if current == nil || r.Namespace == ch.Namespace {
			current = r
		}
	}
	if current != nil {
		ch.Deployed, ch.Revision = current.Chart+"-"+current.ChartVersion, current.Revision
	}
	for _, s := range agent.Plan(d, obs) {
		ch.Steps = append(ch.Steps, Step{Action: string(s.Action), Namespace: s.Namespace, Reason: s.Reason + orderNote(name, d, s, eff)})
		if s.Action == agent.ActionUpgrade && current != nil && current.Namespace == s.Namespace {
			diff, err := ValuesDiff(current.Values, d.Component.Values, fmt.Sprintf("%s deployed (revision %d)", name, current.Revision), name+" desired")
			if err != nil {
				return ch, err
			}
			ch.ValuesDiff = diff
		}
	}
	return ch, nil
}

func getHotplug(ctx context.Context, c client.Reader, name string) (*hotplugv1.Hotplug, error) {
	hp := &hotplugv1.Hotplug{}
	if err := c.Get(ctx, client.ObjectKey{Name: name}, hp); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading Hotplug %s: %w", name, err)
	}
	return hp, nil
}

// inventory reads what the agent manages (component → namespace) as the
// agent does at start: the ConfigMap, plus releases carrying its labels.
func inventory(ctx context.Context, c client.Reader, h ReleaseReader, opts PreviewOptions) (map[string]string, error) {
	inv := map[string]string{}
	cm := &corev1.ConfigMap{}
	err := c.Get(ctx, client.ObjectKey{Namespace: opts.Namespace, Name: agent.InventoryConfigMap}, cm)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("reading inventory %s/%s: %w", opts.Namespace, agent.InventoryConfigMap, err)
	default:
		maps.Copy(inv, cm.Data)
	}
	sel := labels.SelectorFromSet(labels.Set{agent.LabelManagedBy: agent.ManagedByValue, agent.LabelCluster: opts.Cluster})
	rels, err := h.List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("listing the agent's releases: %w", err)
	}
	for _, r := range rels {
		if _, ok := inv[r.Name]; !ok {
			inv[r.Name] = r.Namespace
		}
	}
	return inv, nil
}
