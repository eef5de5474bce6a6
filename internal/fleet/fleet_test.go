package fleet

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

func TestMatrixAndProblems(t *testing.T) {
	cond := func(s metav1.ConditionStatus) []metav1.Condition {
		return []metav1.Condition{{Type: "Ready", Status: s}}
	}
	clusters := []clusterv1.Cluster{
		{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Status: clusterv1.ClusterStatus{State: "normal", Components: []hotplugv1.ComponentStatus{
			{Name: "z", Message: "release is running"},                             // no condition: not ready, whatever the message
			{Name: "y", Message: "install in progress", Conditions: cond("False")}, // condition decides
			{Name: "x", Message: "weird", Conditions: cond("True")},
		}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "b"}},
	}
	rows := Matrix(clusters)
	var got []string
	for _, r := range rows {
		got = append(got, r.Cluster+"/"+r.Component+"/"+map[bool]string{true: "ready", false: "not"}[r.Ready])
	}
	want := "a/x/ready a/y/not a/z/not b//not"
	if strings.Join(got, " ") != want {
		t.Errorf("rows = %v, want %s", got, want)
	}
	probs := Problems(rows)
	wantProbs := []string{"cluster a: component y is not ready: install in progress", "cluster a: component z is not ready: release is running", "cluster b is unknown (no state reported)"}
	if strings.Join(probs, "|") != strings.Join(wantProbs, "|") {
		t.Errorf("problems = %q, want %q", probs, wantProbs)
	}
	if p := Problems(Matrix(clusters[:1][:1])); len(p) != 2 {
		t.Errorf("problems of a alone = %q", p)
	}
	if len(Matrix(nil)) != 0 || Matrix(nil) == nil {
		t.Error("Matrix(nil) should be an empty, non-nil list (json [])")
	}
}

func TestApplied(t *testing.T) {
	ready := func(ok bool, reason string, gen int64) []metav1.Condition {
		s := metav1.ConditionFalse
		if ok {
			s = metav1.ConditionTrue
		}
		return []metav1.Condition{{Type: "Ready", Status: s, Reason: reason, ObservedGeneration: gen}}
	}
	cs := func(name, pkg string, enabled bool, msg string, conds []metav1.Condition) hotplugv1.ComponentStatus {
		return hotplugv1.ComponentStatus{Name: name, PkgName: pkg, Enabled: enabled, Message: msg, Conditions: conds}
	}
	hp := func(gen int64, comps ...hotplugv1.ComponentStatus) *hotplugv1.Hotplug {
		return &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "common"}, Status: hotplugv1.HotplugStatus{ObservedGeneration: gen, Components: comps}}
	}
	tests := []struct {
		name   string
		hp     *hotplugv1.Hotplug
		enable bool
		want   bool
		why    string
	}{
		{"old generation", hp(2, cs("c", "c.tgz", true, "release is running", ready(true, "Deployed", 2))), true, false, "generation 3"},
		{"running", hp(3, cs("c", "c.tgz", true, "release is running", ready(true, "Deployed", 3))), true, true, "c: release is running"},
		{"running message without condition is not applied", hp(3, cs("c", "c.tgz", true, "release is running", nil)), true, false, "no Ready condition"},
		{"condition of an older generation", hp(3, cs("c", "c.tgz", true, "release is running", ready(true, "Deployed", 2))), true, false, "generation 2"},
		{"workloads progressing", hp(3, cs("c", "c.tgz", true, "Deployment c/c: 0/1 available", ready(false, "WorkloadsProgressing", 3))), true, false, "0/1"},
		{"still uninstalling", hp(3, cs("c", "c.tgz", false, "disabled; uninstalling", ready(false, "Progressing", 3))), false, false, "uninstalling"},
		{"disabled", hp(4, cs("c", "c.tgz", false, "disabled", ready(true, "Disabled", 4))), false, true, ""},
		{"disabled is not enabled", hp(3, cs("c", "c.tgz", false, "disabled", ready(true, "Disabled", 3))), true, false, ""},
		{"feature switch on", hp(3, cs("c", "", true, "enabled", ready(true, "FeatureSwitch", 3))), true, true, ""},
		{"feature switch off is not on", hp(3, cs("c", "", false, "disabled", ready(true, "FeatureSwitch", 3))), true, false, ""},
		{"missing", hp(3), true, false, "not yet in the status"},
		{"legacy message only is not applied", &hotplugv1.Hotplug{Status: hotplugv1.HotplugStatus{ObservedGeneration: 3, Message: `{"c":"release is running"}`}}, true, false, "not yet in the status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, why := Applied(tc.hp, "c", tc.enable, 3)
			if ok != tc.want || !strings.Contains(why, tc.why) {
				t.Errorf("Applied = %v, %q; want %v, containing %q", ok, why, tc.want, tc.why)
			}
		})
	}
}
