package hub

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

func cluster(name string, state clusterv1.ClusterState, phase string, comps map[string]string) clusterv1.Cluster {
	c := clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}}
	c.Status.State, c.Status.HotplugPhase = state, phase
	for n, m := range comps {
		c.Status.Components = append(c.Status.Components, hotplugv1.ComponentStatus{Name: n, Message: m})
	}
	return c
}

func TestRollUp(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	running := map[string]string{"logagent": "release is running", "logseer": "disabled", "audit": "disabled"}
	cases := []struct {
		name     string
		clusters []clusterv1.Cluster
		phase    string
		message  map[string]string
	}{
		{"all running", []clusterv1.Cluster{
			cluster("pivot-cluster", clusterv1.ClusterNormal, "running", map[string]string{"logagent": "release is running", "logseer": "release is running", "audit": "disabled"}),
			cluster("member-1", clusterv1.ClusterNormal, "running", running),
		}, "running", map[string]string{"logagent": "release is running", "logseer": "release is running", "audit": "disabled"}},
		{"one member failing names it", []clusterv1.Cluster{
			cluster("pivot-cluster", clusterv1.ClusterNormal, "running", running),
			cluster("member-1", clusterv1.ClusterNormal, "fail", map[string]string{"logagent": "helm upgrade failed: boom"}),
		}, "fail", map[string]string{"logagent": "member-1: helm upgrade failed: boom", "logseer": "disabled", "audit": "disabled"}},
		{"abnormal cluster", []clusterv1.Cluster{
			cluster("pivot-cluster", clusterv1.ClusterNormal, "running", running),
			func() clusterv1.Cluster {
				c := cluster("member-2", clusterv1.ClusterAbnormal, "running", running)
				c.Status.Reason = "hotplug agent has not reported since X"
				return c
			}(),
		}, "fail", map[string]string{"logagent": "release is running", "logseer": "disabled", "audit": "disabled",
			"cluster member-2": "abnormal: hotplug agent has not reported since X"}},
		{"not yet reported", []clusterv1.Cluster{
			cluster("pivot-cluster", clusterv1.ClusterNormal, "running", running),
			cluster("member-3", "", "", nil),
		}, "progressing", map[string]string{"logagent": "release is running", "logseer": "disabled", "audit": "disabled",
			"cluster member-3": "waiting for the cluster's agent to report"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := RollUp(tc.clusters, hotplugv1.HotplugStatus{}, 3, now)
			if st.Phase != tc.phase {
				t.Errorf("phase %s, want %s", st.Phase, tc.phase)
			}
			got := map[string]string{}
			if err := json.Unmarshal([]byte(st.Message), &got); err != nil {
				t.Fatalf("message is not a JSON object: %v", err)
			}
			if len(got) != len(tc.message) {
				t.Errorf("message %v, want %v", got, tc.message)
			}
			for k, v := range tc.message {
				if got[k] != v {
					t.Errorf("message[%q] = %q, want %q", k, got[k], v)
				}
			}
			if st.ObservedGeneration != 3 {
				t.Errorf("observedGeneration %d", st.ObservedGeneration)
			}
		})
	}
}

func TestStale(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c := clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "m", CreationTimestamp: metav1.NewTime(now.Add(-time.Hour))}}
	if stale, why := Stale(&c, 2*time.Minute, now); !stale || !strings.Contains(why, "never reported") {
		t.Errorf("never reported: %v %q", stale, why)
	}
	hb := metav1.NewTime(now.Add(-time.Minute))
	c.Status.LastHeartbeat = &hb
	if stale, _ := Stale(&c, 2*time.Minute, now); stale {
		t.Error("fresh heartbeat reported stale")
	}
	old := metav1.NewTime(now.Add(-3 * time.Minute))
	c.Status.LastHeartbeat = &old
	if stale, why := Stale(&c, 2*time.Minute, now); !stale || !strings.Contains(why, "not reported since") {
		t.Errorf("old heartbeat: %v %q", stale, why)
	}
	young := clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "n", CreationTimestamp: metav1.NewTime(now.Add(-time.Minute))}}
	if stale, _ := Stale(&young, 2*time.Minute, now); stale {
		t.Error("a cluster registered a minute ago is given time to report")
	}
}
