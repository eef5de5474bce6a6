package agent

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/merge"
)

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
