package faults

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/helm"
)

// TestConcurrentEditsOfCommon has two writers edit `common` on the pivot at
// once, each 10 times, each its own component's env, with Get+Update and
// retry on conflict, while the hub and both agents run. No update is lost
// (the generation moved by exactly 20 and the object holds both writers'
// last values), and status is never stale: whenever an agent's status says
// running at its object's current generation, the releases hold what that
// generation asks for; after the writers stop, both clusters' releases
// carry both last values and every status names the current generation.
func TestConcurrentEditsOfCommon(t *testing.T) {
	const edits = 10
	f := startFleet(t)
	ctx := context.Background()

	writers := []struct{ name, component, key string }{
		{"A", "logagent", "writerA"},
		{"B", "kubecube-monitoring", "writerB"},
	}
	start := getCommon(t, f.pc)

	// Watch the status claims while the writers run and until the fleet
	// has converged.
	stopWatch := make(chan struct{})
	var watchDone sync.WaitGroup
	var checks, stale atomic.Int64
	var firstStale atomic.Value
	watchDone.Go(func() {
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if ok, why := f.memberStatusTruthful(ctx); ok != nil {
				checks.Add(1)
				if !*ok {
					stale.Add(1)
					firstStale.CompareAndSwap(nil, why)
				}
			}
		}
	})

	began := time.Now()
	var wg sync.WaitGroup
	var conflicts atomic.Int64
	gate := make(chan struct{})
	for _, w := range writers {
		wg.Go(func() {
			<-gate
			for i := range edits {
				n, err := setEnvKeyCounting(ctx, f.pc, w.component, w.key, fmt.Sprintf("%s-%d", w.name, i))
				conflicts.Add(int64(n))
				if err != nil {
					t.Errorf("writer %s, edit %d: %v", w.name, i, err)
					return
				}
			}
		})
	}
	close(gate)
	wg.Wait()
	wrote := time.Since(began)

	end := getCommon(t, f.pc)
	if got := end.Generation - start.Generation; got != 2*edits {
		t.Errorf("common's generation moved by %d, want %d (one per update)", got, 2*edits)
	}
	values := map[string]map[string]any{}
	for _, cs := range end.Spec.Component {
		env := map[string]any{}
		if err := yaml.Unmarshal([]byte(cs.Env), &env); err != nil {
			t.Fatalf("env of %s: %v", cs.Name, err)
		}
		values[cs.Name] = env
	}
	for _, w := range writers {
		if want := fmt.Sprintf("%s-%d", w.name, edits-1); values[w.component][w.key] != want {
			t.Errorf("lost update: common's %s env has %s=%v, want %s", w.component, w.key, values[w.component][w.key], want)
		}
	}
	if values["logagent"]["clustername"] != "{{.cluster}}" {
		t.Errorf("the writers lost logagent's clustername: %v", values["logagent"])
	}
	if values["kubecube-monitoring"]["prometheus"] == nil {
		t.Errorf("the writers lost kubecube-monitoring's prometheus values: %v", values["kubecube-monitoring"])
	}

	took := f.waitConverged(t, 2*time.Minute)
	close(stopWatch)
	watchDone.Wait()

	for _, cl := range []struct {
		name string
		h    *helm.Client
	}{{pivotName, f.ph}, {memberName, f.mh}} {
		for _, w := range writers {
			r, err := cl.h.Get(ctx, w.component, w.component)
			if err != nil {
				t.Fatalf("%s: %v", cl.name, err)
			}
			if want := fmt.Sprintf("%s-%d", w.name, edits-1); r.Values[w.key] != want {
				t.Errorf("%s: release %s has %s=%v, want %s", cl.name, w.component, w.key, r.Values[w.key], want)
			}
		}
	}
	// Converged: the member's status claims the current generation, and
	// the claim holds.
	if ok, why := f.memberStatusTruthful(ctx); ok == nil || !*ok {
		t.Errorf("after convergence the member's status of common makes no true claim: %v %s", ok, why)
	}
	if n := stale.Load(); n > 0 {
		t.Errorf("stale status: %d of %d claims of the member's agent were not true; first: %v", n, checks.Load(), firstStale.Load())
	}
	t.Logf("conflicts: 2 writers x %d edits of common in %v (%v per admitted update) with %d conflict(s) retried; fleet converged %v after the last edit; %d status claims checked, %d stale",
		edits, wrote.Round(time.Millisecond), (wrote / (2 * edits)).Round(time.Millisecond), conflicts.Load(), took.Round(100*time.Millisecond), checks.Load(), stale.Load())
}

func getCommon(t *testing.T, c client.Client) *hotplugv1.Hotplug {
	t.Helper()
	hp := &hotplugv1.Hotplug{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: hotplugv1.CommonName}, hp); err != nil {
		t.Fatal(err)
	}
	return hp
}

// memberStatusTruthful checks one claim of the member's agent: when its
// status of the mirror of common says running at the mirror's current
// generation, the member's releases must be what that generation (with the
// member's own mirror) asks for. It returns nil when there was no claim to
// check (not running, an older generation, or the mirror moved on while
// being checked), else whether the claim held and, if not, why.
func (f *fleetEnv) memberStatusTruthful(ctx context.Context) (*bool, string) {
	common, own := &hotplugv1.Hotplug{}, &hotplugv1.Hotplug{}
	if err := f.mc.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, common); err != nil {
		return nil, ""
	}
	if common.Status.Phase != hotplugv1.PhaseRunning || common.Status.ObservedGeneration != common.Generation {
		return nil, ""
	}
	if err := f.mc.Get(ctx, client.ObjectKey{Name: memberName}, own); err != nil {
		return nil, ""
	}
	want, err := effectiveOf(memberName, common, own)
	if err != nil {
		return nil, ""
	}
	ok, why := releasesMatch(ctx, f.mh, want)
	again := &hotplugv1.Hotplug{}
	if err := f.mc.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, again); err != nil || again.Generation != common.Generation {
		return nil, "" // the mirror moved on: the agent may have started on the next one
	}
	if !ok {
		why = fmt.Sprintf("status says %s at generation %d, but %s", common.Status.Phase, common.Generation, why)
	}
	return &ok, why
}
