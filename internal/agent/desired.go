package agent

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// config reads `common` and the cluster's own Hotplug; either may be nil.
// On the pivot, a Progressive `common` comes back at the revision assigned
// to the cluster (see assignments.common), carrying that revision.
func (r *Reconciler) config(ctx context.Context) (common, own *hotplugv1.Hotplug, err error) {
	return r.configFrom(ctx, r.client)
}

// directConfig is config read past the cache, for use outside reconciles.
func (r *Reconciler) directConfig(ctx context.Context) (common, own *hotplugv1.Hotplug, err error) {
	return r.configFrom(ctx, r.reader)
}

func (r *Reconciler) configFrom(ctx context.Context, reader client.Reader) (common, own *hotplugv1.Hotplug, err error) {
	get := func(name string) (*hotplugv1.Hotplug, error) {
		hp := &hotplugv1.Hotplug{}
		if err := reader.Get(ctx, types.NamespacedName{Name: name}, hp); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, nil
			}
			return nil, fmt.Errorf("reading Hotplug %s: %w", name, err)
		}
		return hp, nil
	}
	if common, err = get(hotplugv1.CommonName); err != nil {
		return nil, nil, err
	}
	if r.assigned != nil {
		// The pivot: a Progressive common runs the assigned revision.
		if common, err = r.assigned.common(ctx, common); err != nil {
			return nil, nil, err
		}
	}
	if r.opts.ClusterName != hotplugv1.CommonName {
		if own, err = get(r.opts.ClusterName); err != nil {
			return nil, nil, err
		}
	}
	return common, own, nil
}

// find returns the desired state of name, or the configuration error that
// fails it.
func find(eff merge.Result, name string) (Desired, error) {
	for _, e := range eff.Errors {
		if e.Component == name {
			return Desired{}, e
		}
	}
	for i := range eff.Components {
		if eff.Components[i].Name == name {
			return Desired{Component: &eff.Components[i]}, nil
		}
	}
	return Desired{}, nil
}

// effectiveMemo keeps the last effective configuration the agent computed.
// Every reconcile of every component needs the whole cluster's merge, which
// for monitoring-sized values costs tens of milliseconds per component
// (BenchmarkEffectiveComponents: 2 s for 50 of them), so a change of
// `common` reconciled by 50 components would merge 2,500 times. The merge
// reads only the objects' names and specs, and a spec change bumps the
// generation: the same objects at the same generations give the same
// result. The result is shared and must not be modified.
type effectiveMemo struct {
	mu  sync.Mutex
	key effectiveKey
	res merge.Result
	ok  bool
}

// effectiveKey identifies the inputs of one merge.
type effectiveKey struct {
	common, own objectGeneration
}

type objectGeneration struct {
	uid        types.UID
	name       string
	generation int64
}

// generationOf returns the identity of hp's spec; ok is false when it has
// none to trust (generation 0: an object the API server did not number).
func generationOf(hp *hotplugv1.Hotplug) (objectGeneration, bool) {
	if hp == nil {
		return objectGeneration{}, true
	}
	return objectGeneration{hp.UID, hp.Name, hp.Generation}, hp.Generation > 0
}

// effective returns merge.EffectiveWithin of common and own, computed once
// per pair of generations. A merge cut short by ctx is not kept.
func (r *Reconciler) effective(ctx context.Context, common, own *hotplugv1.Hotplug) merge.Result {
	c, okc := generationOf(common)
	o, oko := generationOf(own)
	key := effectiveKey{c, o}
	m := &r.effMemo
	m.mu.Lock()
	if okc && oko && m.ok && m.key == key {
		res := m.res
		m.mu.Unlock()
		return res
	}
	m.mu.Unlock()
	res := merge.EffectiveWithin(ctx, r.opts.Limits, r.opts.ClusterName, common, own)
	if okc && oko && ctx.Err() == nil {
		m.mu.Lock()
		m.key, m.res, m.ok = key, res, true
		m.mu.Unlock()
	}
	return res
}
