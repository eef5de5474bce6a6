package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/fleet"
	"github.com/kubecube-io/hotplug/internal/kube"
)

// TestStatusMatrix writes Cluster statuses as agents would and checks the
// matrix in table and json form, and --check's exit code.
func TestStatusMatrix(t *testing.T) {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "pivot-cluster"})
	cl := env.Cluster("pivot-cluster")
	c, err := kube.NewClient(cl.Config)
	if err != nil {
		t.Fatal(err)
	}
	ready := func(ok bool) []metav1.Condition {
		s := metav1.ConditionTrue
		if !ok {
			s = metav1.ConditionFalse
		}
		return []metav1.Condition{{Type: "Ready", Status: s, Reason: "Test", LastTransitionTime: metav1.Now()}}
	}
	beat := metav1.NewTime(time.Now().Add(-time.Minute).Truncate(time.Second))
	clusters := map[string]clusterv1.ClusterStatus{
		"pivot-cluster": {State: clusterv1.ClusterNormal, HotplugPhase: "running", LastHeartbeat: &beat, Components: []hotplugv1.ComponentStatus{
			{Name: "logseer", Enabled: true, ChartVersion: "1.0.0", Revision: 2, Message: "release is running", Conditions: ready(true)},
			{Name: "audit", Message: "disabled", Conditions: ready(true)},
		}},
		"member-1": {State: clusterv1.ClusterNormal, HotplugPhase: "fail", Components: []hotplugv1.ComponentStatus{
			{Name: "logagent", Enabled: true, ChartVersion: "1.1.0", ChartDigest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Revision: 3, Message: "helm upgrade failed: boom", Conditions: ready(false)},
		}},
		"member-2": {State: clusterv1.ClusterAbnormal},
	}
	for name, st := range clusters {
		obj := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clusterv1.ClusterSpec{IsMemberCluster: name != "pivot-cluster"}}
		if err := c.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
		obj.Status = st
		if err := c.Status().Update(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
	kc := []string{"--kubeconfig", cl.Kubeconfig}

	out, errOut, code := runCLI(t, append([]string{"status"}, kc...)...)
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	want := [][]string{
		{"CLUSTER", "STATE", "COMPONENT", "ENABLED", "READY/MESSAGE", "CHART VERSION", "DIGEST", "REVISION"},
		{"member-1", "normal", "logagent", "true", "no: helm upgrade failed: boom", "1.1.0", "sha256:0123456789ab ", "3"},
		{"member-2", "abnormal", "-", "-", "no components reported", "-", "-"},
		{"pivot-cluster", "normal", "audit", "false", "yes: disabled", "-", "-"},
		{"pivot-cluster", "normal", "logseer", "true", "yes: release is running", "1.0.0", "2"},
	}
	if len(lines) != len(want) {
		t.Fatalf("table has %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	// Columns are aligned: each column starts at the same offset on every line.
	col := strings.Index(lines[0], "COMPONENT")
	for i, l := range lines {
		for _, cell := range want[i] {
			if !strings.Contains(l, cell) {
				t.Errorf("line %d lacks %q: %q", i, cell, l)
			}
		}
		if len(l) < col || !strings.HasPrefix(l[col:], want[i][2]+" ") || l[col-2:col] != "  " {
			t.Errorf("line %d: COMPONENT column not at offset %d:\n%s", i, col, out)
		}
	}

	out, _, code = runCLI(t, append([]string{"status", "-o", "json"}, kc...)...)
	var rows []fleet.Row
	if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 {
		t.Fatalf("json (exit %d) does not parse: %v\n%s", code, err, out)
	}
	if len(rows) != 4 || rows[0].Cluster != "member-1" || rows[0].Ready || rows[0].Revision != 3 || len(rows[0].ChartDigest) != 71 ||
		rows[3].Component != "logseer" || !rows[3].Ready || rows[3].LastHeartbeat == nil || !rows[3].LastHeartbeat.Equal(beat.Time) {
		t.Errorf("json rows: %+v", rows)
	}
	out, _, code = runCLI(t, append([]string{"status", "-o", "yaml"}, kc...)...)
	if code != 0 || !strings.Contains(out, "  cluster: member-1\n") {
		t.Errorf("yaml (exit %d):\n%s", code, out)
	}

	_, errOut, code = runCLI(t, append([]string{"status", "--check"}, kc...)...)
	if code != 1 {
		t.Errorf("--check on an unhealthy fleet: exit %d, want 1", code)
	}
	for _, s := range []string{"2 problem(s)", "cluster member-1: component logagent is not ready: helm upgrade failed: boom", "cluster member-2 is abnormal"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("--check stderr lacks %q:\n%s", s, errOut)
		}
	}

	// Heal the fleet: --check passes.
	for _, name := range []string{"member-1", "member-2"} {
		obj := &clusterv1.Cluster{}
		if err := c.Get(context.Background(), client.ObjectKey{Name: name}, obj); err != nil {
			t.Fatal(err)
		}
		obj.Status.State = clusterv1.ClusterNormal
		obj.Status.Components = nil
		if err := c.Status().Update(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
	if _, errOut, code := runCLI(t, append([]string{"status", "--check"}, kc...)...); code != 0 {
		t.Errorf("--check on a healthy fleet: exit %d: %s", code, errOut)
	}
	if _, _, code := runCLI(t, "status", "-o", "wide", "--kubeconfig", cl.Kubeconfig); code != 2 {
		t.Errorf("-o wide: exit %d, want 2", code)
	}
}
