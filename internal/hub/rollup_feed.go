package hub

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// rollupFeed keeps the roll-up's index current from the Cluster watch:
// each event recomputes only that cluster's contribution, and asks for a
// roll-up of common only when the contribution changed (a bumped
// lastHeartbeat or resourceVersion changes nothing). Requests all name
// common, so a burst of events is coalesced by the work queue into one
// roll-up and at most one status write.
type rollupFeed struct {
	mu  sync.Mutex
	idx *rollupIndex
	// rollout holds each cluster's input to the rollout decision: a change
	// of it (labels, commonRevision, Ready, state) wakes the roll-up even
	// when the roll-up itself does not change.
	rollout map[string]rollout.Cluster
}

func newRollupFeed() *rollupFeed {
	return &rollupFeed{idx: newRollupIndex(), rollout: map[string]rollout.Cluster{}}
}

var commonRequest = reconcile.Request{NamespacedName: types.NamespacedName{Name: hotplugv1.CommonName}}

// observe records cluster o (gone: deleted) and reports whether common's
// roll-up may change.
func (f *rollupFeed) observe(o client.Object, gone bool) bool {
	c, ok := o.(*clusterv1.Cluster)
	if !ok {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if gone {
		delete(f.rollout, c.Name)
		return f.idx.remove(c.Name)
	}
	in := clusterInput(c)
	prev, seen := f.rollout[c.Name]
	f.rollout[c.Name] = in
	moved := !seen || !equality.Semantic.DeepEqual(prev, in)
	return f.idx.set(c.Name, contributionOf(c)) || moved
}

// configure records the components of Hotplug o (gone: deleted): common's
// or a cluster's own, the effective configurations the roll-up counts
// reports against; it reports whether common's roll-up may change.
func (f *rollupFeed) configure(o client.Object, gone bool) bool {
	hp, ok := o.(*hotplugv1.Hotplug)
	if !ok {
		return false
	}
	var names []string
	if !gone {
		names = componentNames(hp)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.idx.configure(hp.Name, names)
}

// status is the roll-up of every observed cluster (see RollUp).
func (f *rollupFeed) status(prev hotplugv1.HotplugStatus, generation int64, now metav1.Time) hotplugv1.HotplugStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.idx.status(prev, generation, now)
}

// handler feeds Cluster events into the index and enqueues common when
// they matter.
func (f *rollupFeed) handler() handler.EventHandler {
	type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]
	enqueue := func(q queue, changed bool) {
		if changed {
			q.Add(commonRequest)
		}
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q queue) { enqueue(q, f.observe(e.Object, false)) },
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q queue) { enqueue(q, f.observe(e.ObjectNew, false)) },
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q queue) { enqueue(q, f.observe(e.Object, true)) },
		GenericFunc: func(_ context.Context, e event.GenericEvent, q queue) {
			enqueue(q, f.observe(e.Object, false))
		},
	}
}

// configHandler feeds Hotplug events into the index's configurations and
// enqueues common when they matter: a change of any Hotplug's components,
// and the events of common that the roll-up depends on (commonChanged).
func (f *rollupFeed) configHandler() handler.EventHandler {
	type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]
	common := commonChanged()
	enqueue := func(q queue, changed bool) {
		if changed {
			q.Add(commonRequest)
		}
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q queue) {
			enqueue(q, f.configure(e.Object, false) || common.Create(e))
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q queue) {
			enqueue(q, f.configure(e.ObjectNew, false) || common.Update(e))
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q queue) {
			enqueue(q, f.configure(e.Object, true) || common.Delete(e))
		},
		GenericFunc: func(_ context.Context, e event.GenericEvent, q queue) {
			enqueue(q, f.configure(e.Object, false) || common.Generic(e))
		},
	}
}

// commonChanged passes events of common that the roll-up depends on: its
// creation and deletion, a new generation (stamped into the status), its
// annotations (the status-by mark) and a change of its status. The last
// includes the hub's own writes: a roll-up that read common from a cache
// still behind its previous write computes the old status, finds it equal
// and writes nothing, so the status the cache then delivers must be
// compared again (a cluster marked abnormal and normal again within one
// second otherwise left common saying abnormal until the next event). The
// reconcile is a no-op when the status is already what it would write.
func commonChanged() predicate.Predicate {
	isCommon := predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetName() == hotplugv1.CommonName })
	statusChanged := predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		o, okOld := e.ObjectOld.(*hotplugv1.Hotplug)
		n, okNew := e.ObjectNew.(*hotplugv1.Hotplug)
		return okOld && okNew && !equality.Semantic.DeepEqual(o.Status, n.Status)
	}}
	return predicate.And(isCommon, predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, statusChanged))
}
