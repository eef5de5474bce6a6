package rollout

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// TestDecideProperties plays many random rollouts and checks after every
// step that no more than maxConcurrency non-canary clusters are
// Progressing, at most one canary is, nothing moves while paused, and
// non-canaries move only after every canary is Updated.
func TestDecideProperties(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		playRandom(t, seed, 60)
	}
}

// FuzzDecide checks the same properties on rollouts the fuzzer picks.
func FuzzDecide(f *testing.F) {
	for _, s := range []uint64{1, 42, 1 << 40} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { playRandom(t, seed, 40) })
}

func playRandom(t *testing.T, seed uint64, steps int) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	n := 2 + r.IntN(6)
	var canaries []string
	for i := 1; i <= n; i++ {
		if r.IntN(3) == 0 {
			canaries = append(canaries, fmt.Sprintf("c%d", i))
		}
	}
	f := newFleet(t, n, canaries...)
	if r.IntN(2) == 0 {
		f.rollout.MaxConcurrency = intOrStr(fmt.Sprint(1 + r.IntN(3)))
	} else {
		f.rollout.MaxConcurrency = intOrStr(fmt.Sprintf("%d%%", 10+r.IntN(60)))
	}
	f.rollout.ProgressDeadline = nil
	edits := 1
	for step := 0; step < steps; step++ {
		switch r.IntN(10) {
		case 0:
			edits++
			f.edit(fmt.Sprintf("v%d", edits)) // every edit new content
		case 1:
			if f.annots[hotplugv1.RolloutPausedAnnotation] == "true" {
				delete(f.annots, hotplugv1.RolloutPausedAnnotation)
			} else {
				f.annots[hotplugv1.RolloutPausedAnnotation] = "true"
			}
		case 2:
			f.annots[hotplugv1.RolloutResumedAtAnnotation] = f.now.Format(time.RFC3339)
		case 3:
			if r.IntN(3) == 0 {
				f.addCluster(fmt.Sprintf("n%d", step))
			}
		case 4, 5, 6:
			for name := range f.clusters {
				if r.IntN(2) == 0 {
					f.report(name, f.assigned[name].Revision, r.IntN(4) != 0)
				}
			}
		default:
			f.advance(time.Duration(r.IntN(400)) * time.Second)
		}
		before := map[string]int64{}
		for k, v := range f.assigned {
			before[k] = v.Revision
		}
		pausedByHand := f.annots[hotplugv1.RolloutPausedAnnotation] == "true"
		f.step()
		checkProperties(t, f, before, pausedByHand, seed, step)
		if t.Failed() {
			return
		}
	}
}

func checkProperties(t *testing.T, f *fleet, before map[string]int64, pausedByHand bool, seed uint64, step int) {
	t.Helper()
	maxConc, err := MaxConcurrency(f.rollout.MaxConcurrency, len(f.clusters))
	if err != nil {
		t.Fatal(err)
	}
	isCanary := func(name string) bool { return f.clusters[name].Labels[hotplugv1.CanaryLabel] == "true" }
	var others, canaries int
	allCanariesUpdated, anyFailed := true, false
	for _, c := range f.prev.Clusters {
		if c.State == failed {
			anyFailed = true
		}
		if isCanary(c.Name) {
			if c.State == progressing {
				canaries++
			}
			if c.State != updated {
				allCanariesUpdated = false
			}
		} else if c.State == progressing || c.State == failed {
			others++
		}
	}
	if others > maxConc {
		t.Errorf("seed %d step %d: %d non-canary clusters progressing or failed, maxConcurrency %d: %+v", seed, step, others, maxConc, f.prev)
	}
	if canaries > 1 {
		t.Errorf("seed %d step %d: %d canaries progressing", seed, step, canaries)
	}
	for name, rev := range before {
		if f.assigned[name].Revision == rev {
			continue
		}
		if pausedByHand || anyFailed {
			t.Errorf("seed %d step %d: %s moved from %d to %d while paused", seed, step, name, rev, f.assigned[name].Revision)
		}
		if !isCanary(name) && !allCanariesUpdated {
			t.Errorf("seed %d step %d: %s moved before the canaries were updated", seed, step, name)
		}
	}
	if f.prev.Phase == hotplugv1.RolloutComplete && (len(f.prev.UpdatedClusters) != len(f.clusters) || f.prev.Revision != f.gen) {
		t.Errorf("seed %d step %d: complete but %+v", seed, step, f.prev)
	}
}
