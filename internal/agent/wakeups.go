package agent

import (
	"context"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// standing is what a component's neighbours in the dependency graph wait
// on: its readiness (for its dependents) and whether it has a release (for
// what it depends on).
type standing struct{ ready, release bool }

// wakeups reconciles the neighbours of a component in the dependency graph
// as soon as its standing changes, so that a waiting component moves within
// seconds of its dependency becoming Ready (or its dependent's release
// being gone) instead of at the next resync. It also remembers each
// component's last dependsOn for when the configuration no longer has it.
type wakeups struct {
	mu         sync.Mutex
	ch         chan event.TypedGenericEvent[string]
	last       map[string]standing
	remembered map[string][]string
}

func newWakeups() *wakeups {
	return &wakeups{ch: make(chan event.TypedGenericEvent[string], 64), last: map[string]standing{}, remembered: map[string][]string{}}
}

// source is the controller's source of wake-ups: one request per component
// name sent.
func (w *wakeups) source() source.Source {
	return source.Channel(w.ch, handler.TypedFuncs[string, reconcile.Request]{
		GenericFunc: func(_ context.Context, e event.TypedGenericEvent[string], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			q.Add(reconcile.Request{NamespacedName: types.NamespacedName{Name: e.Object}})
		},
	})
}

// remember records name's effective dependsOn.
func (w *wakeups) remember(name string, deps []string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.remembered[name] = slices.Clone(deps)
}

// seed remembers deps for the components not remembered yet: the dependsOn
// recorded before a restart never replaces one seen since.
func (w *wakeups) seed(deps map[string][]string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, list := range deps {
		if _, ok := w.remembered[name]; !ok {
			w.remembered[name] = slices.Clone(list)
		}
	}
}

// snapshot copies the remembered dependsOn of every component.
func (w *wakeups) snapshot() map[string][]string {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string][]string, len(w.remembered))
	for k, v := range w.remembered {
		out[k] = v
	}
	return out
}

// settled records name's standing after a reconcile and, when it changed,
// enqueues name's neighbours in deps (computed before any forgetting). A
// component that is gone (no longer configured, no release) is forgotten.
// The send blocks only while the controller's queue is behind, and never
// past ctx.
func (w *wakeups) settled(ctx context.Context, name string, deps Dependencies, gone bool) {
	if w == nil {
		return
	}
	now := standing{ready: dependencyReady(name, deps), release: hasRelease(name, deps)}
	next := neighbours(name, deps)
	w.mu.Lock()
	prev, seen := w.last[name]
	w.last[name] = now
	if gone {
		delete(w.last, name)
		delete(w.remembered, name)
	}
	w.mu.Unlock()
	if seen && prev == now {
		return
	}
	for _, n := range next {
		select {
		case w.ch <- event.TypedGenericEvent[string]{Object: n}:
		case <-ctx.Done():
			return
		}
	}
}
