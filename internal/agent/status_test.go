package agent

import (
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/merge"
)

func TestComputeStatus(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	comps := []merge.Component{
		{Name: "audit", Namespace: "default"},
		{Name: "logagent", Namespace: "logagent", PkgName: "logagent-v1.0.0.tgz", Enabled: true},
		{Name: "logseer", Namespace: "logseer", PkgName: "logseer-v1.0.0.tgz"},
	}
	deployed := Outcome{Reconciled: true, Digest: "d1", Release: &helm.Release{Name: "logagent", Status: "deployed", Digest: "d1", Revision: 2, Chart: "logagent", ChartVersion: "1.0.0"},
		Health: &ReleaseHealth{Revision: 2, State: healthpkg.Ready, Message: healthpkg.RunningMessage}}
	withHealth := func(h *ReleaseHealth) Outcome { o := deployed; o.Health = h; return o }
	const pending = "Deployment logagent/logagent: Deployment not Available; pod logagent-abc: Unschedulable: 0/1 nodes are available: 1 Insufficient cpu."
	cases := []struct {
		name    string
		eff     merge.Result
		outs    map[string]Outcome
		phase   string
		message string
	}{
		{"converged", merge.Result{Components: comps}, map[string]Outcome{"logagent": deployed, "logseer": {Reconciled: true}},
			hotplugv1.PhaseRunning, `{"logagent":"release is running","logseer":"disabled"}`},
		{"not yet reconciled", merge.Result{Components: comps}, map[string]Outcome{"logseer": {Reconciled: true}},
			hotplugv1.PhaseProgressing, `{"logagent":"waiting for the agent","logseer":"disabled"}`},
		{"upgrade in flight", merge.Result{Components: comps}, map[string]Outcome{"logagent": {InFlight: ActionUpgrade, Reconciled: true}, "logseer": {Reconciled: true}},
			hotplugv1.PhaseProgressing, `{"logagent":"upgrade in progress","logseer":"disabled"}`},
		{"stale digest", merge.Result{Components: comps}, map[string]Outcome{"logagent": {Reconciled: true, Digest: "d2", Release: deployed.Release}, "logseer": {Reconciled: true}},
			hotplugv1.PhaseProgressing, `{"logagent":"release not yet at the desired chart and values","logseer":"disabled"}`},
		{"helm failure", merge.Result{Components: comps}, map[string]Outcome{"logagent": {Reconciled: true, ActionErr: errors.New("boom"), FailedAction: ActionUpgrade}, "logseer": {Reconciled: true}},
			hotplugv1.PhaseFail, `{"logagent":"helm upgrade failed: boom","logseer":"disabled"}`},
		{"bad config", merge.Result{Components: comps[:1], Errors: []*merge.Error{{Object: "common", Component: "logagent", Field: "env", Line: 2, Err: errors.New("bad")}}}, nil,
			hotplugv1.PhaseFail, ""},
		{"outcome of an older configuration", merge.Result{Components: comps}, map[string]Outcome{"logagent": {Reconciled: true, Digest: "d1", Release: deployed.Release, Target: "older"}, "logseer": {Reconciled: true}},
			hotplugv1.PhaseProgressing, `{"logagent":"waiting for the agent to apply the new configuration","logseer":"disabled"}`},
		{"objects not yet ready", merge.Result{Components: comps}, map[string]Outcome{"logagent": withHealth(&ReleaseHealth{Revision: 2, State: healthpkg.Progressing, Message: pending}), "logseer": {Reconciled: true}},
			hotplugv1.PhaseProgressing, `{"logagent":"` + pending + `","logseer":"disabled"}`},
		{"objects not ready after the health timeout", merge.Result{Components: comps}, map[string]Outcome{"logagent": withHealth(&ReleaseHealth{Revision: 2, State: healthpkg.Failed, Message: "not ready 20s after the last action: " + pending}), "logseer": {Reconciled: true}},
			hotplugv1.PhaseFail, `{"logagent":"not ready 20s after the last action: ` + pending + `","logseer":"disabled"}`},
		{"object deleted", merge.Result{Components: comps}, map[string]Outcome{"logagent": withHealth(&ReleaseHealth{Revision: 2, State: healthpkg.Failed, Message: "Deployment logagent/logagent: not found"}), "logseer": {Reconciled: true}},
			hotplugv1.PhaseFail, `{"logagent":"Deployment logagent/logagent: not found","logseer":"disabled"}`},
		{"health not yet checked", merge.Result{Components: comps}, map[string]Outcome{"logagent": withHealth(nil), "logseer": {Reconciled: true}},
			hotplugv1.PhaseProgressing, `{"logagent":"release deployed; checking the health of its objects","logseer":"disabled"}`},
		{"health of an older revision", merge.Result{Components: comps}, map[string]Outcome{"logagent": withHealth(&ReleaseHealth{Revision: 1, State: healthpkg.Ready, Message: healthpkg.RunningMessage}), "logseer": {Reconciled: true}},
			hotplugv1.PhaseProgressing, `{"logagent":"release deployed; checking the health of its objects","logseer":"disabled"}`},
		{"action error wins over health", merge.Result{Components: comps}, map[string]Outcome{"logagent": func() Outcome {
			o := withHealth(&ReleaseHealth{Revision: 2, State: healthpkg.Ready, Message: healthpkg.RunningMessage})
			o.ActionErr, o.FailedAction = errors.New("boom"), ActionUpgrade
			return o
		}(), "logseer": {Reconciled: true}},
			hotplugv1.PhaseFail, `{"logagent":"helm upgrade failed: boom","logseer":"disabled"}`},
		{"removed component still installed", merge.Result{Components: comps[:1]}, map[string]Outcome{"logseer": {Reconciled: true, Release: &helm.Release{Name: "logseer"}}},
			hotplugv1.PhaseProgressing, `{"logseer":"removed from the configuration; uninstalling"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := ComputeStatus(tc.eff, targeted(tc.eff, tc.outs), hotplugv1.HotplugStatus{}, 7, now)
			if st.Phase != tc.phase {
				t.Errorf("phase = %s, want %s", st.Phase, tc.phase)
			}
			if tc.message != "" && st.Message != tc.message {
				t.Errorf("message = %s\nwant %s", st.Message, tc.message)
			}
			if st.ObservedGeneration != 7 {
				t.Errorf("observedGeneration = %d", st.ObservedGeneration)
			}
			checkKstatus(t, "object", st.Conditions, tc.phase, 7)
			for _, cs := range st.Components {
				if cs.Name == "logagent" && tc.outs["logagent"].Release != nil {
					checkComponentKstatus(t, "logagent", cs.Conditions, tc.phase, 7)
				}
			}
		})
	}
	t.Run("config error names object, component and field", func(t *testing.T) {
		st := ComputeStatus(cases[5].eff, nil, hotplugv1.HotplugStatus{}, 1, now)
		for _, cs := range st.Components {
			if cs.Name == "logagent" && cs.Message != (&merge.Error{Object: "common", Component: "logagent", Field: "env", Line: 2, Err: errors.New("bad")}).Error() {
				t.Errorf("message %q", cs.Message)
			}
		}
	})
	t.Run("structured fields and stable transition time", func(t *testing.T) {
		outs := map[string]Outcome{"logagent": deployed, "logseer": {Reconciled: true}}
		first := ComputeStatus(merge.Result{Components: comps}, targeted(merge.Result{Components: comps}, outs), hotplugv1.HotplugStatus{}, 1, now)
		later := metav1.NewTime(now.Add(time.Hour))
		second := ComputeStatus(merge.Result{Components: comps}, outs, first, 1, later)
		for _, cs := range second.Components {
			if c := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady); c == nil || !c.LastTransitionTime.Equal(&now) {
				t.Errorf("%s: transition time moved without a change: %+v", cs.Name, c)
			}
			if cs.Name == "logagent" && (cs.Revision != 2 || cs.ChartVersion != "1.0.0" || cs.ValuesDigest != "d1" || !cs.Enabled) {
				t.Errorf("logagent structured status %+v", cs)
			}
		}
	})
}

// checkKstatus checks that conds carry kstatus' Ready, Reconciling and
// Stalled as phase says, at generation.
func checkKstatus(t *testing.T, what string, conds []metav1.Condition, phase string, generation int64) {
	t.Helper()
	want := map[string]bool{
		hotplugv1.ConditionReady:       phase == hotplugv1.PhaseRunning,
		hotplugv1.ConditionReconciling: phase == hotplugv1.PhaseProgressing,
		hotplugv1.ConditionStalled:     phase == hotplugv1.PhaseFail,
	}
	for typ, on := range want {
		c := meta.FindStatusCondition(conds, typ)
		switch {
		case c == nil:
			t.Errorf("%s: no %s condition", what, typ)
		case (c.Status == metav1.ConditionTrue) != on:
			t.Errorf("%s: %s condition %+v for phase %s", what, typ, c, phase)
		case c.ObservedGeneration != generation:
			t.Errorf("%s: %s condition at generation %d, want %d", what, typ, c.ObservedGeneration, generation)
		}
	}
}

// checkComponentKstatus checks that a component carries Ready as phase
// says, and Reconciling or Stalled only while True.
func checkComponentKstatus(t *testing.T, what string, conds []metav1.Condition, phase string, generation int64) {
	t.Helper()
	if c := meta.FindStatusCondition(conds, hotplugv1.ConditionReady); c == nil || (c.Status == metav1.ConditionTrue) != (phase == hotplugv1.PhaseRunning) || c.ObservedGeneration != generation {
		t.Errorf("%s: Ready condition %+v for phase %s", what, c, phase)
	}
	for typ, on := range map[string]bool{hotplugv1.ConditionReconciling: phase == hotplugv1.PhaseProgressing, hotplugv1.ConditionStalled: phase == hotplugv1.PhaseFail} {
		c := meta.FindStatusCondition(conds, typ)
		if (c != nil) != on || (c != nil && (c.Status != metav1.ConditionTrue || c.ObservedGeneration != generation)) {
			t.Errorf("%s: %s condition %+v for phase %s", what, typ, c, phase)
		}
	}
}

// targeted stamps every outcome that names no Target with its component's
// current one, as the reconciler does before it acts.
func targeted(eff merge.Result, outs map[string]Outcome) map[string]Outcome {
	for i := range eff.Components {
		c := &eff.Components[i]
		if o, ok := outs[c.Name]; ok && o.Target == "" {
			o.Target = Target(c)
			outs[c.Name] = o
		}
	}
	return outs
}
