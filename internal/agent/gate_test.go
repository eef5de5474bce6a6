package agent

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/merge"
)

func TestGate(t *testing.T) {
	mon := merge.Component{Name: "kubecube-monitoring", Namespace: "kubecube-monitoring", PkgName: "kubecube-monitoring-15.4.7.tgz", Enabled: true, Values: map[string]any{}}
	thanos := merge.Component{Name: "kubecube-thanos", Namespace: "kubecube-monitoring", PkgName: "thanos-3.18.0.tgz", Enabled: true, Values: map[string]any{},
		DependsOn: []string{"kubecube-monitoring"}}
	feature := merge.Component{Name: "audit", Namespace: "default", Enabled: true, Values: map[string]any{}}
	off := func(c merge.Component) merge.Component { c.Enabled = false; return c }
	dependsOn := func(c merge.Component, deps ...string) merge.Component { c.DependsOn = deps; return c }

	rel := func(c merge.Component) *helm.Release {
		return &helm.Release{Name: c.Name, Namespace: c.Namespace, Status: "deployed", Revision: 1, Labels: map[string]string{LabelDigest: "d1"}}
	}
	// ready is the outcome of a component deployed at its target and healthy.
	ready := func(c merge.Component) Outcome {
		return Outcome{Reconciled: true, Target: Target(&c), Digest: "d1", Release: rel(c), Health: &ReleaseHealth{Revision: 1, State: healthpkg.Ready}}
	}
	progressing := func(c merge.Component) Outcome {
		o := ready(c)
		o.Health = &ReleaseHealth{Revision: 1, State: healthpkg.Progressing, Message: "Deployment not Available"}
		return o
	}
	stale := func(c merge.Component) Outcome { o := ready(c); o.Target = "older"; return o }
	gone := func(c merge.Component) Outcome { return Outcome{Reconciled: true, Target: Target(&c)} }
	install := []Step{{Action: ActionInstall, Namespace: "kubecube-monitoring"}}
	upgrade := []Step{{Action: ActionUpgrade, Namespace: "kubecube-monitoring"}}
	uninstall := []Step{{Action: ActionUninstall, Namespace: "kubecube-monitoring"}}
	eff := func(cs ...merge.Component) merge.Result { return merge.Result{Components: cs} }

	cases := []struct {
		name  string
		comp  string
		d     *merge.Component
		steps []Step
		deps  Dependencies
		want  string
	}{
		{"no dependsOn installs at once", "kubecube-monitoring", &mon, install, Dependencies{Eff: eff(mon, thanos)}, ""},
		{"dependency not reconciled yet", "kubecube-thanos", &thanos, install, Dependencies{Eff: eff(mon, thanos)},
			"waiting for kubecube-monitoring to be Ready"},
		{"dependency's objects not ready", "kubecube-thanos", &thanos, install,
			Dependencies{Eff: eff(mon, thanos), Outs: map[string]Outcome{"kubecube-monitoring": progressing(mon)}}, "waiting for kubecube-monitoring to be Ready"},
		{"dependency ready", "kubecube-thanos", &thanos, install,
			Dependencies{Eff: eff(mon, thanos), Outs: map[string]Outcome{"kubecube-monitoring": ready(mon)}}, ""},
		{"dependency ready for an older configuration", "kubecube-thanos", &thanos, upgrade,
			Dependencies{Eff: eff(mon, thanos), Outs: map[string]Outcome{"kubecube-monitoring": stale(mon)}}, "waiting for kubecube-monitoring to be Ready"},
		{"a disabled dependency never becomes Ready", "kubecube-thanos", &thanos, install,
			Dependencies{Eff: eff(off(mon), thanos), Outs: map[string]Outcome{"kubecube-monitoring": gone(off(mon))}}, "waiting for kubecube-monitoring to be Ready"},
		{"a failing dependency never becomes Ready", "kubecube-thanos", &thanos, install,
			Dependencies{Eff: merge.Result{Components: []merge.Component{thanos}, Errors: []*merge.Error{{Component: "kubecube-monitoring"}}}}, "waiting for kubecube-monitoring to be Ready"},
		{"an enabled feature switch is Ready", "kubecube-thanos", ref(dependsOn(thanos, "audit")), install,
			Dependencies{Eff: eff(feature, thanos), Outs: map[string]Outcome{"audit": {Reconciled: true, Target: Target(&feature)}}}, ""},
		{"a waiting dependency is not Ready", "kubecube-thanos", &thanos, install,
			Dependencies{Eff: eff(mon, thanos), Outs: map[string]Outcome{"kubecube-monitoring": func() Outcome { o := ready(mon); o.Blocked = "waiting for x to be Ready"; return o }()}},
			"waiting for kubecube-monitoring to be Ready"},
		{"several not ready, bounded", "z", ref(dependsOn(thanos, "a", "b", "c", "d", "e")), install, Dependencies{Eff: eff(mon)},
			"waiting for a, b, c and 2 more to be Ready"},
		{"a converged dependent does not wait", "kubecube-thanos", &thanos, nil, Dependencies{Eff: eff(mon, thanos)}, ""},
		{"drift repair does not wait", "kubecube-thanos", &thanos, []Step{{Action: ActionRepair}}, Dependencies{Eff: eff(mon, thanos)}, ""},
		{"recovery does not wait", "kubecube-thanos", &thanos, []Step{{Action: ActionRecover}}, Dependencies{Eff: eff(mon, thanos)}, ""},
		{"a move waits like an install", "kubecube-thanos", &thanos, []Step{{Action: ActionUninstall, Namespace: "old"}, {Action: ActionInstall, Namespace: "kubecube-monitoring"}},
			Dependencies{Eff: eff(mon, thanos)}, "waiting for kubecube-monitoring to be Ready"},

		{"uninstall waits for a dependent with a release", "kubecube-monitoring", ref(off(mon)), uninstall,
			Dependencies{Eff: eff(off(mon), off(thanos)), Outs: map[string]Outcome{"kubecube-thanos": ready(thanos)}},
			"waiting for kubecube-thanos, which depends on it, to be uninstalled"},
		{"uninstall waits while the dependent's uninstall is in flight", "kubecube-monitoring", ref(off(mon)), uninstall,
			Dependencies{Eff: eff(off(mon), off(thanos)), Outs: map[string]Outcome{"kubecube-thanos": {Reconciled: true, InFlight: ActionUninstall}}},
			"waiting for kubecube-thanos, which depends on it, to be uninstalled"},
		{"uninstall goes once the dependent's release is gone", "kubecube-monitoring", ref(off(mon)), uninstall,
			Dependencies{Eff: eff(off(mon), off(thanos)), Outs: map[string]Outcome{"kubecube-thanos": gone(off(thanos))}}, ""},
		{"before its first reconcile a dependent's release is the inventory's", "kubecube-monitoring", ref(off(mon)), uninstall,
			Dependencies{Eff: eff(off(mon), off(thanos)), Inventory: map[string]string{"kubecube-thanos": "kubecube-monitoring"}},
			"waiting for kubecube-thanos, which depends on it, to be uninstalled"},
		{"a reconciled outcome overrides a stale inventory", "kubecube-monitoring", ref(off(mon)), uninstall,
			Dependencies{Eff: eff(off(mon), off(thanos)), Outs: map[string]Outcome{"kubecube-thanos": gone(off(thanos))}, Inventory: map[string]string{"kubecube-thanos": "kubecube-monitoring"}}, ""},
		{"a removed component uninstalls after a removed dependent (remembered)", "kubecube-monitoring", nil, uninstall,
			Dependencies{Outs: map[string]Outcome{"kubecube-thanos": {Reconciled: true, Release: rel(thanos)}}, Remembered: map[string][]string{"kubecube-thanos": {"kubecube-monitoring"}}},
			"waiting for kubecube-thanos, which depends on it, to be uninstalled"},
		{"remembered lists of configured components do not count", "kubecube-monitoring", ref(off(mon)), uninstall,
			Dependencies{Eff: eff(off(mon), dependsOn(thanos)), Outs: map[string]Outcome{"kubecube-thanos": ready(thanos)}, Remembered: map[string][]string{"kubecube-thanos": {"kubecube-monitoring"}}}, ""},
		{"an enabled dependent holds the dependency's uninstall", "kubecube-monitoring", ref(off(mon)), uninstall,
			Dependencies{Eff: eff(off(mon), thanos), Outs: map[string]Outcome{"kubecube-thanos": ready(thanos)}},
			"waiting for kubecube-thanos, which depends on it, to be uninstalled"},
		{"the dependent's own uninstall does not wait for its dependency", "kubecube-thanos", ref(off(thanos)), uninstall,
			Dependencies{Eff: eff(off(mon), off(thanos)), Outs: map[string]Outcome{"kubecube-monitoring": ready(mon)}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Gate(tc.comp, Desired{Component: tc.d}, tc.steps, tc.deps); got != tc.want {
				t.Errorf("Gate = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNeighbours(t *testing.T) {
	deps := Dependencies{
		Eff: merge.Result{Components: []merge.Component{
			{Name: "a"}, {Name: "b", DependsOn: []string{"a"}}, {Name: "c", DependsOn: []string{"a", "b"}},
		}},
		Remembered: map[string][]string{"gone": {"b"}, "b": {"stale"}},
	}
	for name, want := range map[string][]string{
		"a":    {"b", "c"},
		"b":    {"a", "c", "gone"},
		"c":    {"a", "b"},
		"gone": {"b"},
	} {
		if got := neighbours(name, deps); !reflect.DeepEqual(got, want) {
			t.Errorf("neighbours(%s) = %v, want %v", name, got, want)
		}
	}
}

// TestStatusOfAWaitingComponent: a component that waits for another is
// progressing with reason DependencyNotReady and the gate's sentence, in
// the configuration and after its removal from it.
func TestStatusOfAWaitingComponent(t *testing.T) {
	thanos := merge.Component{Name: "kubecube-thanos", Namespace: "kubecube-monitoring", PkgName: "thanos-3.18.0.tgz", Enabled: true, Values: map[string]any{}}
	const why = "waiting for kubecube-monitoring to be Ready"
	now := metav1.Now()
	for _, tc := range []struct {
		name    string
		eff     merge.Result
		outs    map[string]Outcome
		message string
	}{
		{"configured", merge.Result{Components: []merge.Component{thanos}},
			map[string]Outcome{"kubecube-thanos": {Reconciled: true, Target: Target(&thanos), Blocked: why}}, why},
		{"removed", merge.Result{},
			map[string]Outcome{"kubecube-thanos": {Reconciled: true, Blocked: why, Release: &helm.Release{Name: "kubecube-thanos", Status: "deployed"}}},
			"removed from the configuration; " + why},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := ComputeStatus(tc.eff, tc.outs, hotplugv1.HotplugStatus{}, 1, now)
			if st.Phase != hotplugv1.PhaseProgressing || len(st.Components) != 1 {
				t.Fatalf("status %+v", st)
			}
			cs := st.Components[0]
			cond := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady)
			if cs.Message != tc.message || cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != hotplugv1.ReasonDependencyNotReady {
				t.Errorf("component %q, Ready %+v", cs.Message, cond)
			}
			if c := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReconciling); c == nil || c.Status != metav1.ConditionTrue {
				t.Errorf("Reconciling %+v", c)
			}
		})
	}
}

func ref[T any](v T) *T { return &v }
