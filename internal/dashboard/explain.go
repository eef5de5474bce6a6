package dashboard

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/merge"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// Explanation is a component's configuration in one cluster, value by
// value, with the layer that set each (/api/config).
type Explanation struct {
	Origins []merge.Origin `json:"origins"`
	// Revision is the revision of common the origins are computed from:
	// the one the cluster reports it runs (during a progressive rollout it
	// can be older than common's spec), else common's generation.
	Revision int64 `json:"revision,omitempty"`
	// Note says why the revision shown is not the one the cluster runs
	// (that revision could not be read); empty otherwise.
	Note string `json:"note,omitempty"`
}

// Explainer computes Explanations.
type Explainer func(ctx context.Context, cluster, component string) (Explanation, error)

// CacheExplainer explains from the Hotplugs and the Cluster in r (an
// informer cache: no request per view), as the cluster's agent merges
// them; the older revision of common a cluster still runs is read from
// the revision Secrets in namespace through history (a live reader: the
// hub keeps no Secrets in its cache), only while a rollout leaves that
// cluster behind.
func CacheExplainer(r, history client.Reader, namespace string) Explainer {
	return func(ctx context.Context, cluster, component string) (Explanation, error) {
		common, own, err := hotplugsOf(ctx, r, cluster)
		if err != nil {
			return Explanation{}, err
		}
		cl := &clusterv1.Cluster{}
		if err := r.Get(ctx, client.ObjectKey{Name: cluster}, cl); client.IgnoreNotFound(err) != nil {
			return Explanation{}, fmt.Errorf("reading Cluster %s: %w", cluster, err)
		}
		common, rev, note := commonAsRun(common, cl.Status.CommonRevision, func(n int64) (rollout.Revision, error) {
			return rollout.ReadHistory(ctx, history, namespace, n)
		})
		origins, err := merge.Provenance(ctx, limits.Default(), cluster, component, common, own)
		return Explanation{Origins: origins, Revision: rev, Note: note}, err
	}
}

// commonAsRun is common as the cluster runs it: at revision runs (its
// report) when that is not common's generation and read can fetch it,
// else common as it is, with a note saying why. Pure but for read.
func commonAsRun(common *hotplugv1.Hotplug, runs int64, read func(int64) (rollout.Revision, error)) (*hotplugv1.Hotplug, int64, string) {
	if common == nil {
		return nil, 0, ""
	}
	if runs == 0 || runs == common.Generation {
		return common, common.Generation, ""
	}
	rev, err := read(runs)
	if err != nil {
		return common, common.Generation, fmt.Sprintf("the cluster runs revision %d of common, which could not be read (%v): shown is revision %d", runs, err, common.Generation)
	}
	return rollout.AtRevision(common, rev.Spec, rev.Number), rev.Number, ""
}

// hotplugsOf reads common and the cluster's own Hotplug from r, either
// nil when it does not exist.
func hotplugsOf(ctx context.Context, r client.Reader, cluster string) (common, own *hotplugv1.Hotplug, err error) {
	get := func(name string) (*hotplugv1.Hotplug, error) {
		hp := &hotplugv1.Hotplug{}
		if err := r.Get(ctx, client.ObjectKey{Name: name}, hp); err != nil {
			if client.IgnoreNotFound(err) == nil {
				return nil, nil
			}
			return nil, fmt.Errorf("reading Hotplug %s: %w", name, err)
		}
		return hp, nil
	}
	if common, err = get(hotplugv1.CommonName); err != nil {
		return nil, nil, err
	}
	own, err = get(cluster)
	return common, own, err
}
