package hub

import (
	"context"
	"errors"
	"fmt"
	"sort"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// placeholderCluster renders `common` when no Cluster is registered yet, and
// each object on its own, so that every field is checked.
const placeholderCluster = "example-cluster"

// maxReportedErrors bounds how many distinct problems one refusal lists.
const maxReportedErrors = 20

// Fleet is what the webhook validates a Hotplug against: the registered
// clusters, their own Hotplugs and the current `common`.
type Fleet struct {
	// Clusters are the names of the registered Clusters.
	Clusters []string
	// Own holds each cluster's own Hotplug by name; a cluster without one
	// is absent.
	Own map[string]*hotplugv1.Hotplug
	// Common is the current `common`, nil when there is none.
	Common *hotplugv1.Hotplug
	// Workers bounds how many clusters are validated at once; default the
	// number of CPUs.
	Workers int
}

// Validate checks a Hotplug as the hub's admission webhook does: its name is
// `common` or a registered cluster's; status is enabled or disabled; and the
// agent's own effective-configuration function (merge.EffectiveWithin, with
// lim and ctx's deadline) accepts it for every cluster it configures: for
// `common` every registered cluster with that cluster's own Hotplug, for a
// cluster's Hotplug that cluster with the current `common` (its dependsOn
// may name `common`'s components, so alone it is checked for everything
// else). Only problems in
// hp itself are reported (another object's faults are not hp's to fix); each
// names the object, the component and the field, and says for which
// clusters it occurs. Validation stops at the first cluster that fails and
// when ctx ends; a validation cut short by ctx is an error.
func Validate(ctx context.Context, lim limits.Limits, hp *hotplugv1.Hotplug, fleet Fleet) error {
	var errs []error
	known := map[string]bool{}
	for _, c := range fleet.Clusters {
		known[c] = true
	}
	if hp.Name != hotplugv1.CommonName && !known[hp.Name] {
		errs = append(errs, fmt.Errorf("hotplug %q: metadata.name: must be %q or the name of a registered Cluster (kubectl get cluster); no Cluster %q exists",
			hp.Name, hotplugv1.CommonName, hp.Name))
	}
	for i, c := range hp.Spec.Component {
		if c.Status != "" && c.Status != hotplugv1.StatusEnabled && c.Status != hotplugv1.StatusDisabled {
			errs = append(errs, fmt.Errorf("hotplug %q: component %q: spec.component[%d].status: %q is not %q or %q",
				hp.Name, c.Name, i, limits.Message(c.Status, 64), hotplugv1.StatusEnabled, hotplugv1.StatusDisabled))
		}
	}
	errs = append(errs, rolloutErrors(hp)...)
	if err := effectiveErrors(ctx, lim, hp, fleet); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// job is one run of the merge: hp as `common` or as own for cluster.
type job struct {
	cluster     string
	common, own *hotplugv1.Hotplug
	// partial: a cluster's Hotplug merged without `common`, whose
	// components its dependsOn may name; the merge with `common` checks
	// those names.
	partial bool
}

// jobs lists the merges that validate hp: hp alone first (every field of
// hp is checked even where other objects override it), then hp with each
// cluster it configures.
func jobs(hp *hotplugv1.Hotplug, fleet Fleet) []job {
	if hp.Name != hotplugv1.CommonName {
		return []job{{cluster: hp.Name, own: hp, partial: true}, {cluster: hp.Name, common: fleet.Common, own: hp}}
	}
	out := []job{{cluster: placeholderCluster, common: hp}}
	clusters := append([]string(nil), fleet.Clusters...)
	sort.Strings(clusters)
	for _, c := range clusters {
		out = append(out, job{cluster: c, common: hp, own: fleet.Own[c]})
	}
	return out
}

// effectiveErrors runs merge.EffectiveWithin for every job on a bounded
// pool (mergeAll) and reports hp's own errors, each once with the clusters
// it occurs for (groupErrors); an error too when jobs did not finish.
func effectiveErrors(ctx context.Context, lim limits.Limits, hp *hotplugv1.Hotplug, fleet Fleet) error {
	todo := jobs(hp, fleet)
	// Alone, a cluster's Hotplug may name `common`'s components and inherit
	// the rest of a chart from it: those faults count only merged.
	own := func(j job, e *merge.Error) bool {
		return e.Object == hp.Name && (!j.partial || !errors.Is(e, merge.ErrUnknownDependency) && !errors.Is(e, merge.ErrChartIncomplete))
	}
	seen, missing, cause := mergeAll(ctx, lim, todo, fleet.Workers, own)
	if len(seen) == 0 && missing > 0 {
		return fmt.Errorf("hotplug %q: validation for %d of %d clusters did not finish in time (%w); try again, or raise the hub's --validation-timeout",
			hp.Name, missing, len(todo), cause)
	}
	return groupErrors(hp.Name, seen)
}
