package agent

import (
	"context"
	"reflect"
	"testing"

	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// TestWakeupsOnChangeOnly: a component's neighbours are enqueued the first
// time it settles and whenever its readiness or release changes, not on a
// reconcile that changed nothing (which would make waiting components wake
// each other forever); a component that is gone is forgotten.
func TestWakeupsOnChangeOnly(t *testing.T) {
	w := newWakeups()
	drain := func() []string { return drainWakeups(w) }
	mon := merge.Component{Name: "mon", Namespace: "m", PkgName: "mon.tgz", Enabled: true, Values: map[string]any{}}
	deps := Dependencies{Eff: merge.Result{Components: []merge.Component{mon, {Name: "thanos", DependsOn: []string{"mon"}}, {Name: "other"}}}}
	ctx := context.Background()

	w.settled(ctx, "mon", deps, false)
	if got := drain(); !reflect.DeepEqual(got, []string{"thanos"}) {
		t.Fatalf("first settle woke %v, want [thanos]", got)
	}
	w.settled(ctx, "mon", deps, false)
	if got := drain(); len(got) != 0 {
		t.Fatalf("an unchanged settle woke %v", got)
	}
	deps.Outs = map[string]Outcome{"mon": {Reconciled: true, Release: &helm.Release{Name: "mon", Namespace: "m", Status: "pending-install"}}}
	w.settled(ctx, "mon", deps, false)
	if got := drain(); !reflect.DeepEqual(got, []string{"thanos"}) {
		t.Fatalf("a new release woke %v, want [thanos]", got)
	}

	w.remember("gone", []string{"mon"})
	w.settled(ctx, "gone", Dependencies{Remembered: w.snapshot()}, true)
	if got := drain(); !reflect.DeepEqual(got, []string{"mon"}) {
		t.Fatalf("a removed component woke %v, want what it depended on", got)
	}
	if _, kept := w.snapshot()["gone"]; kept {
		t.Error("a gone component is still remembered")
	}
	var nilW *wakeups
	nilW.remember("x", nil)
	nilW.settled(ctx, "x", deps, false) // no wake-ups without a controller: no panic
}

// drainWakeups returns the components woken so far.
func drainWakeups(w *wakeups) []string {
	var out []string
	for {
		select {
		case ev := <-w.ch:
			out = append(out, ev.Object)
		default:
			return out
		}
	}
}
