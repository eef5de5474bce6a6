package hub

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/testutil"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

func cluster(name string, state clusterv1.ClusterState, phase string, comps map[string]string) clusterv1.Cluster {
	c := clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}}
	c.Status.State, c.Status.HotplugPhase = state, phase
	for n, m := range comps {
		c.Status.Components = append(c.Status.Components, hotplugv1.ComponentStatus{Name: n, Message: m, Conditions: readyFor(m)})
	}
	return c
}

// commonOf is common with components of these names.
func commonOf(names ...string) hotplugv1.Hotplug {
	hp := hotplugv1.Hotplug{}
	hp.Name = hotplugv1.CommonName
	for _, n := range names {
		hp.Spec.Component = append(hp.Spec.Component, hotplugv1.ComponentSpec{Name: n})
	}
	return hp
}

// readyFor is the Ready condition an agent writes with message m.
func readyFor(m string) []metav1.Condition {
	switch m {
	case hotplugv1.MessageRunning:
		return []metav1.Condition{{Type: hotplugv1.ConditionReady, Status: metav1.ConditionTrue, Reason: hotplugv1.ReasonDeployed}}
	case hotplugv1.StatusDisabled:
		return []metav1.Condition{{Type: hotplugv1.ConditionReady, Status: metav1.ConditionTrue, Reason: hotplugv1.ReasonDisabled}}
	}
	return []metav1.Condition{{Type: hotplugv1.ConditionReady, Status: metav1.ConditionFalse, Reason: hotplugv1.ReasonProgressing}}
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
			st := RollUp(tc.clusters, []hotplugv1.Hotplug{commonOf("logagent", "logseer", "audit")}, hotplugv1.HotplugStatus{}, 3, now)
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

// TestRollUpBounded100Members rolls up 100 members each reporting 4 KiB
// errors for three components: every message stays within the CRD's
// limits, and the message stays a JSON object.
func TestRollUpBounded100Members(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	long := strings.Repeat("helm upgrade failed: é ", 4096/24+1)[:4096]
	var clusters []clusterv1.Cluster
	for i := range 100 {
		c := cluster(fmt.Sprintf("member-%03d", i), clusterv1.ClusterNormal, "fail",
			map[string]string{"logagent": long, "logseer": long, "thanos": long})
		clusters = append(clusters, c)
	}
	for i := range 20 {
		c := cluster(fmt.Sprintf("gone-%02d", i), clusterv1.ClusterAbnormal, "", nil)
		c.Status.Reason = long
		clusters = append(clusters, c)
	}
	st := RollUp(clusters, []hotplugv1.Hotplug{commonOf("logagent", "logseer", "thanos")}, hotplugv1.HotplugStatus{}, 1, now)
	checkStatusBounds(t, st)
	if !strings.Contains(st.Components[0].Message, "member-000: helm upgrade failed") || !strings.Contains(st.Components[0].Message, "more") {
		t.Errorf("component message does not start with the first cluster and count the rest: %.200q…", st.Components[0].Message)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(st.Message), &m); err != nil {
		t.Fatalf("message is not a JSON object: %v", err)
	}
	data, _ := json.Marshal(st)
	t.Logf("status of common with 120 clusters × 3 components of 4 KiB errors: %d bytes", len(data))
}

// checkStatusBounds fails when a message exceeds the CRD's limits.
func checkStatusBounds(t *testing.T, st hotplugv1.HotplugStatus) {
	t.Helper()
	const crdConditionMessage = 32768
	for _, c := range st.Conditions {
		if len(c.Message) > crdConditionMessage || !utf8.ValidString(c.Message) {
			t.Errorf("condition %s message is %d bytes (valid UTF-8: %v)", c.Type, len(c.Message), utf8.ValidString(c.Message))
		}
	}
	for _, cs := range st.Components {
		if len(cs.Message) > limits.MaxMessageBytes || !utf8.ValidString(cs.Message) {
			t.Errorf("component %s message is %d bytes", cs.Name, len(cs.Message))
		}
		for _, c := range cs.Conditions {
			if len(c.Message) > crdConditionMessage {
				t.Errorf("component %s condition message is %d bytes", cs.Name, len(c.Message))
			}
		}
	}
}

func TestJoinBounded(t *testing.T) {
	items := []string{"aaaa", "bbbb", "cccc"}
	if got := joinBounded(items, ", ", 100); got != "aaaa, bbbb, cccc" {
		t.Errorf("fitting items: %q", got)
	}
	many := make([]string, 100)
	for i := range many {
		many[i] = strings.Repeat("x", 50)
	}
	got := joinBounded(many, "; ", 500)
	if len(got) > 500 || !strings.HasSuffix(got, "more") {
		t.Errorf("%d bytes: %q", len(got), got)
	}
}

func TestRecordClusters(t *testing.T) {
	list := &clusterv1.ClusterList{Items: []clusterv1.Cluster{
		{ObjectMeta: metav1.ObjectMeta{Name: "ok"}, Status: clusterv1.ClusterStatus{State: clusterv1.ClusterNormal}},
		{ObjectMeta: metav1.ObjectMeta{Name: "down"}, Status: clusterv1.ClusterStatus{State: clusterv1.ClusterAbnormal}},
	}}
	recordClusters(list)
	if got := testutil.ToFloat64(clusterAbnormal.WithLabelValues("down")); got != 1 {
		t.Errorf("down = %v, want 1", got)
	}
	if got := testutil.ToFloat64(clusterAbnormal.WithLabelValues("ok")); got != 0 {
		t.Errorf("ok = %v, want 0", got)
	}
	recordClusters(&clusterv1.ClusterList{Items: list.Items[:1]})
	if n := testutil.CollectAndCount(clusterAbnormal); n != 1 {
		t.Errorf("series after a Cluster is gone = %d, want 1", n)
	}
}
