package dashboard

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

func comp(name string, enabled bool, status metav1.ConditionStatus, reason string) hotplugv1.ComponentStatus {
	cs := hotplugv1.ComponentStatus{Name: name, Enabled: enabled, ChartVersion: "1.0.0"}
	if status != "" {
		cs.Conditions = []metav1.Condition{{Type: hotplugv1.ConditionReady, Status: status, Reason: reason}}
	}
	return cs
}

func cluster(name string, state clusterv1.ClusterState, comps ...hotplugv1.ComponentStatus) clusterv1.Cluster {
	return clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: clusterv1.ClusterStatus{State: state, Components: comps}}
}

// TestPhaseOf: a cell's phase comes from the switch and the Ready
// condition's status and reason, never the message.
func TestPhaseOf(t *testing.T) {
	for _, tc := range []struct {
		cs   hotplugv1.ComponentStatus
		want string
	}{
		{comp("a", false, metav1.ConditionTrue, hotplugv1.ReasonDisabled), PhaseDisabled},
		{comp("a", false, "", ""), PhaseDisabled},
		{comp("a", false, metav1.ConditionFalse, hotplugv1.ReasonProgressing), PhaseProgressing}, // uninstalling
		{comp("a", false, metav1.ConditionFalse, hotplugv1.ReasonActionFailed), PhaseFailing},    // the uninstall failed
		{comp("a", true, "", ""), PhaseUnknown},
		{comp("a", true, metav1.ConditionTrue, hotplugv1.ReasonDeployed), PhaseReady},
		{comp("a", true, metav1.ConditionFalse, hotplugv1.ReasonProgressing), PhaseProgressing},
		{comp("a", true, metav1.ConditionFalse, hotplugv1.ReasonWorkloadsProgressing), PhaseProgressing},
		{comp("a", true, metav1.ConditionFalse, hotplugv1.ReasonDependencyNotReady), PhaseProgressing},
		{comp("a", true, metav1.ConditionFalse, hotplugv1.ReasonActionFailed), PhaseFailing},
		{comp("a", true, metav1.ConditionFalse, hotplugv1.ReasonChartSourceFailing), PhaseFailing},
		{comp("a", true, metav1.ConditionUnknown, hotplugv1.ReasonWorkloadsFailed), PhaseFailing},
	} {
		if got := phaseOf(tc.cs); got != tc.want {
			t.Errorf("enabled=%v %v: %s, want %s", tc.cs.Enabled, tc.cs.Conditions, got, tc.want)
		}
	}
}

// TestBuild: clusters by name with their failing count, the union of
// components, a drift mark only while recent, and the rollout.
func TestBuild(t *testing.T) {
	now := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	bad := comp("logagent", true, metav1.ConditionFalse, hotplugv1.ReasonActionFailed)
	drifted := comp("audit", true, metav1.ConditionTrue, hotplugv1.ReasonDeployed)
	drifted.LastDriftRepair = &hotplugv1.DriftRepair{Time: metav1.NewTime(now.Add(-time.Minute)), Message: "Deployment audit: replicas"}
	old := comp("audit", true, metav1.ConditionTrue, hotplugv1.ReasonDeployed)
	old.LastDriftRepair = &hotplugv1.DriftRepair{Time: metav1.NewTime(now.Add(-time.Hour)), Message: "long ago"}
	common := &hotplugv1.Hotplug{Status: hotplugv1.HotplugStatus{Rollout: &hotplugv1.RolloutStatus{Revision: 3, TargetRevision: 4, Phase: hotplugv1.RolloutPaused,
		Clusters: []hotplugv1.ClusterRollout{{Name: "b", Revision: 4, State: hotplugv1.ClusterRolloutFailed, Reason: "not ready"}}}}}
	s := Build([]clusterv1.Cluster{
		cluster("b", clusterv1.ClusterNormal, bad, drifted),
		cluster("a", clusterv1.ClusterAbnormal, old),
		cluster("c", ""),
	}, common, now)
	if s.Clusters[0].Canary {
		t.Error("a cluster without the label is a canary")
	}
	if len(s.Clusters) != 3 || s.Clusters[0].Name != "a" || s.Clusters[1].Name != "b" || s.Clusters[2].State != PhaseUnknown {
		t.Fatalf("clusters %+v", s.Clusters)
	}
	if s.Clusters[1].Failing != 1 || s.Clusters[0].Failing != 0 {
		t.Errorf("failing counts a=%d b=%d", s.Clusters[0].Failing, s.Clusters[1].Failing)
	}
	if len(s.Components) != 2 || s.Components[0] != "audit" || s.Components[1] != "logagent" {
		t.Errorf("components %v", s.Components)
	}
	if len(s.Cells) != 3 || s.Cells[0].Cluster != "a" || s.Cells[0].Drift != "" || s.Cells[1].Drift != "Deployment audit: replicas" {
		t.Errorf("cells %+v", s.Cells)
	}
	if s.Rollout == nil || s.Rollout.Phase != "Paused" || s.Rollout.TargetRevision != 4 || s.Rollout.Clusters[0].State != "Failed" {
		t.Errorf("rollout %+v", s.Rollout)
	}
	if Build(nil, nil, now).Rollout != nil {
		t.Error("a rollout without common")
	}
}
