package rollout

import (
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

const (
	pending     = hotplugv1.ClusterRolloutPending
	progressing = hotplugv1.ClusterRolloutProgressing
	updated     = hotplugv1.ClusterRolloutUpdated
	failed      = hotplugv1.ClusterRolloutFailed
)

func TestDecideNotProgressive(t *testing.T) {
	for name, ro := range map[string]*hotplugv1.RolloutSpec{"no block": nil, "All": {Strategy: hotplugv1.RolloutAll}} {
		in := Input{Spec: hotplugv1.HotplugSpec{Rollout: ro}, Generation: 3, Clusters: []Cluster{{Name: "a"}},
			Prev: &hotplugv1.RolloutStatus{Revision: 2, TargetRevision: 3}, Now: t0}
		if d := Decide(in); d.Status != nil || d.Assign != nil || d.Condition != nil || d.After != 0 {
			t.Errorf("%s: decision %+v, want none", name, d)
		}
	}
}

// TestDecideRules plays one scenario per rule of Decide.
func TestDecideRules(t *testing.T) {
	cases := []struct {
		name string
		play func(f *fleet)
	}{
		{"bootstrap: first generation is complete at once", func(f *fleet) {
			if f.prev.Phase != hotplugv1.RolloutComplete || f.prev.Revision != 1 || len(f.prev.UpdatedClusters) != 5 {
				f.t.Errorf("bootstrap status %+v", f.prev)
			}
			f.wantAssigned(map[string]int64{"c1": 1, "c2": 1, "c3": 1})
			if f.last.Condition.Status != metav1.ConditionTrue || f.last.Condition.Reason != hotplugv1.ReasonRolloutComplete {
				f.t.Errorf("condition %+v", f.last.Condition)
			}
		}},
		{"complete and fed back: no change", func(f *fleet) {
			before := f.prev.DeepCopy()
			f.after(time.Hour)
			if !reflect.DeepEqual(before, f.prev) || f.last.After != 0 {
				f.t.Errorf("a no-op step changed the status:\n%+v\n%+v (after %s)", before, f.prev, f.last.After)
			}
		}},
		{"canaries first, one at a time in name order", func(f *fleet) {
			f.edit("v2")
			f.step()
			f.wantStates(map[string]hotplugv1.ClusterRolloutState{"c2": progressing, "c3": pending, "c1": pending, "c4": pending})
			f.wantAssigned(map[string]int64{"c2": 2, "c3": 1, "c1": 1})
			f.healthy("c2")
			f.step()
			f.after(30 * time.Second)
			f.wantStates(map[string]hotplugv1.ClusterRolloutState{"c2": updated, "c3": progressing, "c1": pending})
		}},
		{"others after the canaries, maxConcurrency at a time, each after minHealthySeconds", func(f *fleet) {
			f.edit("v2")
			f.step() // c2 canary
			f.healthy("c2")
			f.step()
			f.after(29 * time.Second)
			f.wantStates(map[string]hotplugv1.ClusterRolloutState{"c2": progressing, "c1": pending})
			f.after(time.Second)
			f.step() // c3 canary moved by the previous step
			f.healthy("c3")
			f.step()
			f.after(30 * time.Second)
			// maxConcurrency 2 of the non-canaries c1, c4, c5.
			if got := f.inState(progressing); !reflect.DeepEqual(got, []string{"c1", "c4"}) {
				f.t.Errorf("progressing %v, want [c1 c4]", got)
			}
			f.healthy("c1")
			f.step()
			f.after(30 * time.Second)
			if got := f.inState(progressing); !reflect.DeepEqual(got, []string{"c4", "c5"}) {
				f.t.Errorf("progressing %v, want [c4 c5]", got)
			}
			f.healthy("c4", "c5")
			f.step()
			f.after(30 * time.Second)
			if f.prev.Phase != hotplugv1.RolloutComplete || f.prev.Revision != 2 || f.last.Condition.Status != metav1.ConditionTrue {
				f.t.Errorf("status %+v", f.prev)
			}
		}},
		{"Ready flapping restarts the healthy period", func(f *fleet) {
			f.edit("v2")
			f.step()
			f.healthy("c2")
			f.step()
			f.advance(20 * time.Second)
			f.report("c2", 2, false)
			f.step()
			f.advance(time.Second)
			f.report("c2", 2, true)
			f.step()
			f.after(20 * time.Second)
			f.wantState("c2", progressing)
			f.after(10 * time.Second)
			f.wantState("c2", updated)
		}},
		{"a cluster Ready on another revision is not done", func(f *fleet) {
			f.edit("v2")
			f.step()
			f.report("c2", 1, true)
			f.step()
			f.after(time.Minute)
			f.wantState("c2", progressing)
		}},
		{"a failure pauses: no further move, failed keeps the target, reason from Ready", func(f *fleet) {
			f.edit("v2")
			f.step()
			f.report("c2", 2, false)
			f.step()
			f.after(5*time.Minute - time.Second)
			f.wantState("c2", progressing)
			f.after(time.Second)
			f.wantStates(map[string]hotplugv1.ClusterRolloutState{"c2": failed, "c3": pending})
			f.after(time.Hour)
			f.wantAssigned(map[string]int64{"c2": 2, "c3": 1, "c1": 1, "c4": 1, "c5": 1})
			if f.prev.Phase != hotplugv1.RolloutPaused || len(f.prev.FailedClusters) != 1 ||
				!strings.Contains(f.prev.FailedClusters[0].Reason, "Deployment mon not available") ||
				f.last.Condition.Reason != hotplugv1.ReasonRolloutFailed {
				f.t.Errorf("status %+v, condition %+v", f.prev, f.last.Condition)
			}
		}},
		{"the failure reason names what matters first", func(f *fleet) {
			f.edit("v2")
			f.step()
			f.report("c2", 2, false)
			f.clusters["c2"].NotReady = []string{"mon: helm upgrade failed: DaemonSet mon is invalid"}
			f.after(5 * time.Minute)
			if r := f.prev.FailedClusters[0].Reason; !strings.HasPrefix(r, "mon: helm upgrade failed") || !strings.HasSuffix(r, "(revision 2 not done within 5m0s)") {
				f.t.Errorf("reason %q", r)
			}
			f.edit("v3")
			f.step()
			f.report("c2", 2, true)
			f.after(5 * time.Minute)
			if r := f.prev.FailedClusters[0].Reason; !strings.HasPrefix(r, "still runs revision 2") {
				f.t.Errorf("reason %q", r)
			}
		}},
		{"healthy at the deadline gets to finish its healthy period", func(f *fleet) {
			f.edit("v2")
			f.step()
			f.advance(4*time.Minute + 50*time.Second)
			f.healthy("c2")
			f.step()
			f.after(20 * time.Second)
			f.wantState("c2", progressing)
			f.after(10 * time.Second)
			f.wantState("c2", updated)
		}},
		{"paused annotation: no move", func(f *fleet) {
			f.annots[hotplugv1.RolloutPausedAnnotation] = "true"
			f.edit("v2")
			f.step()
			f.wantAssigned(map[string]int64{"c1": 1, "c2": 1, "c3": 1})
			if f.prev.Phase != hotplugv1.RolloutPaused || f.last.Condition.Reason != hotplugv1.ReasonRolloutPaused {
				f.t.Errorf("status %+v", f.prev)
			}
			delete(f.annots, hotplugv1.RolloutPausedAnnotation)
			f.step()
			f.wantState("c2", progressing)
		}},
		{"resumed-at newer than a failure: Progressing again from it", func(f *fleet) {
			f.edit("v2")
			f.step()
			f.after(6 * time.Minute)
			f.wantState("c2", failed)
			f.annots[hotplugv1.RolloutResumedAtAnnotation] = f.now.Add(-time.Hour).Format(time.RFC3339)
			f.step()
			f.wantState("c2", failed)
			f.advance(time.Minute)
			f.annots[hotplugv1.RolloutResumedAtAnnotation] = f.now.Format(time.RFC3339)
			f.step()
			f.wantState("c2", progressing)
			if c := f.prev.Clusters[1]; c.Name != "c2" || !c.Since.Time.Equal(f.now.Truncate(time.Second)) {
				f.t.Errorf("c2 since %v, want resumed-at %v", c.Since, f.now)
			}
			f.healthy("c2")
			f.step()
			f.after(30 * time.Second)
			f.wantStates(map[string]hotplugv1.ClusterRolloutState{"c2": updated, "c3": progressing})
		}},
		{"undo: the complete content goes to every cluster at once, paused or not", func(f *fleet) {
			f.edit("bad")
			f.step()
			f.after(6 * time.Minute) // c2 failed
			f.annots[hotplugv1.RolloutPausedAnnotation] = "true"
			f.edit("v1")
			f.step()
			f.wantAssigned(map[string]int64{"c1": 3, "c2": 3, "c3": 3, "c4": 3, "c5": 3})
			f.wantStates(map[string]hotplugv1.ClusterRolloutState{"c1": progressing, "c2": progressing})
		}},
		{"same content as a cluster runs: moved at once", func(f *fleet) {
			f.edit("v2")
			f.step() // c2 on 2
			f.rollout.MinHealthySeconds = 10
			f.edit("v2") // only the rollout block changes
			f.step()
			f.wantAssigned(map[string]int64{"c2": 3, "c3": 1, "c1": 1})
			f.wantStates(map[string]hotplugv1.ClusterRolloutState{"c2": progressing, "c3": pending})
		}},
		{"a new edit starts over from the canaries; clusters moving to the old target are pending", func(f *fleet) {
			f.edit("v2")
			f.step()
			f.healthy("c2")
			f.step()
			f.after(30 * time.Second) // c2 updated, c3 progressing
			f.edit("v3")
			f.step()
			f.wantStates(map[string]hotplugv1.ClusterRolloutState{"c2": progressing, "c3": pending})
			f.wantAssigned(map[string]int64{"c2": 3, "c3": 2})
			if f.prev.Revision != 1 || f.prev.TargetRevision != 3 {
				f.t.Errorf("revision %d target %d", f.prev.Revision, f.prev.TargetRevision)
			}
		}},
		{"a new cluster gets the last complete revision and is pending", func(f *fleet) {
			f.edit("v2")
			f.step()
			f.addCluster("c0")
			f.step()
			f.wantAssigned(map[string]int64{"c0": 1})
			f.wantState("c0", pending)
		}},
		{"a new cluster once complete is on the complete revision", func(f *fleet) {
			f.addCluster("c9")
			f.step()
			f.wantAssigned(map[string]int64{"c9": 1})
			f.wantState("c9", updated)
			if f.prev.Phase != hotplugv1.RolloutComplete {
				f.t.Errorf("phase %s", f.prev.Phase)
			}
		}},
		{"abnormal clusters are not moved", func(f *fleet) {
			f.rollout.Canary, f.rollout.MaxConcurrency = nil, nil
			f.clusters["c1"].Abnormal, f.clusters["c1"].AbnormalReason = true, "agent silent"
			f.edit("v2")
			f.step()
			f.wantStates(map[string]hotplugv1.ClusterRolloutState{"c1": pending, "c2": progressing, "c3": pending})
			if !strings.Contains(f.prev.Message, "abnormal clusters wait: c1") || !strings.Contains(f.prev.Clusters[0].Reason, "agent silent") {
				f.t.Errorf("status %+v", f.prev)
			}
		}},
		{"percentage maxConcurrency rounds up", func(f *fleet) {
			f.rollout.Canary = nil
			f.rollout.MaxConcurrency = intOrStr("25%") // of 5: 1.25 -> 2
			f.edit("v2")
			f.step()
			if got := f.inState(progressing); !reflect.DeepEqual(got, []string{"c1", "c2"}) {
				f.t.Errorf("progressing %v", got)
			}
		}},
		{"invalid maxConcurrency pauses with the field named", func(f *fleet) {
			f.rollout.MaxConcurrency = intOrStr("many")
			f.edit("v2")
			f.step()
			f.wantAssigned(map[string]int64{"c2": 1})
			if f.prev.Phase != hotplugv1.RolloutPaused || !strings.Contains(f.prev.Message, "spec.rollout.maxConcurrency") {
				f.t.Errorf("status %+v", f.prev)
			}
		}},
		{"after: the next deadline or end of a healthy period", func(f *fleet) {
			f.edit("v2")
			d := f.step()
			if d.After != 5*time.Minute+time.Second {
				f.t.Errorf("after a move: %s", d.After)
			}
			f.advance(10 * time.Second)
			f.healthy("c2")
			d = f.step()
			if d.After != 30*time.Second+time.Second {
				f.t.Errorf("after healthy: %s", d.After)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFleet(t, 5, "c2", "c3")
			f.rollout.MaxConcurrency = intOrStr("2")
			tc.play(f)
		})
	}
}

func TestMaxConcurrency(t *testing.T) {
	for _, tc := range []struct {
		in    string
		total int
		want  int
		err   bool
	}{{"", 10, 1, false}, {"3", 10, 3, false}, {"25%", 10, 3, false}, {"25%", 4, 1, false}, {"1%", 3, 1, false},
		{"0%", 3, 1, false}, {"0", 3, 0, true}, {"-1", 3, 0, true}, {"x%", 3, 0, true}, {"many", 3, 0, true}} {
		var v = intOrStr(tc.in)
		if tc.in == "" {
			v = nil
		}
		got, err := MaxConcurrency(v, tc.total)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("MaxConcurrency(%q, %d) = %d, %v; want %d (error %v)", tc.in, tc.total, got, err, tc.want, tc.err)
		}
	}
}

func TestPrune(t *testing.T) {
	var revs []int64
	for r := int64(1); r <= 14; r++ {
		revs = append(revs, r)
	}
	got := Prune(revs, 2, 14)
	if want := []int64{4, 3, 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("Prune = %v, want %v", got, want)
	}
	if got := Prune([]int64{1, 2, 3}, 1, 3); got != nil {
		t.Errorf("Prune of few = %v", got)
	}
}

func TestContentDigestIgnoresRollout(t *testing.T) {
	a := hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "x", Env: "a: 1"}}}
	b := *a.DeepCopy()
	b.Rollout = &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive}
	c := *a.DeepCopy()
	c.Component[0].Env = "a: 2"
	if ContentDigest(a) != ContentDigest(b) || ContentDigest(a) == ContentDigest(c) {
		t.Error("ContentDigest must ignore the rollout block and only it")
	}
}
