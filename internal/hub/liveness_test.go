package hub

import (
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
)

func TestLiveness(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	timeout := 2 * time.Minute
	lease := func(renewedAgo time.Duration, seconds int32) *coordinationv1.Lease {
		l := heartbeat.New("kubecube-system", "m1")
		l.Spec.RenewTime = &metav1.MicroTime{Time: now.Add(-renewedAgo)}
		if seconds > 0 {
			l.Spec.LeaseDurationSeconds = ptr.To(seconds)
		}
		return l
	}
	cl := func(created, heartbeatAgo time.Duration) *clusterv1.Cluster {
		c := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "m1", CreationTimestamp: metav1.NewTime(now.Add(-created))}}
		if heartbeatAgo >= 0 {
			c.Status.LastHeartbeat = &metav1.Time{Time: now.Add(-heartbeatAgo)}
		}
		return c
	}
	cases := []struct {
		name    string
		c       *clusterv1.Cluster
		l       *coordinationv1.Lease
		stale   bool
		because string
	}{
		{"renewed lease within its duration", cl(time.Hour, time.Hour), lease(100*time.Second, 120), false, ""},
		{"lease past renewTime+duration", cl(time.Hour, time.Hour), lease(121*time.Second, 120), true, "has not renewed its heartbeat Lease kubecube-system/hotplug-cluster-m1"},
		{"short declared duration wins over the timeout", cl(time.Hour, time.Hour), lease(5*time.Second, 4), true, "heartbeat Lease"},
		{"lease without duration uses the timeout", cl(time.Hour, time.Hour), lease(100*time.Second, 0), false, ""},
		{"expired lease but a fresh lastHeartbeat (leaseless agent)", cl(time.Hour, 10*time.Second), lease(time.Hour, 40), false, ""},
		{"never-renewed lease falls back to lastHeartbeat: fresh", cl(time.Hour, time.Minute), heartbeat.New("kubecube-system", "m1"), false, ""},
		{"never-renewed lease falls back to lastHeartbeat: old", cl(time.Hour, 3*time.Minute), heartbeat.New("kubecube-system", "m1"), true, "has not reported since"},
		{"no lease, never reported, young", cl(time.Minute, -1), nil, false, ""},
		{"no lease, never reported, old", cl(time.Hour, -1), nil, true, "has never reported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stale, reason := Liveness(tc.c, tc.l, timeout, now)
			if stale != tc.stale || !strings.Contains(reason, tc.because) {
				t.Errorf("Liveness = %v %q, want %v containing %q", stale, reason, tc.stale, tc.because)
			}
			if stale && !strings.HasPrefix(reason, staleReasonPrefix) {
				t.Errorf("reason %q does not start with %q: the hub could not restore it", reason, staleReasonPrefix)
			}
		})
	}
}

func TestHealthTransition(t *testing.T) {
	ours := staleReasonPrefix + "has not renewed its heartbeat Lease"
	cases := []struct {
		name      string
		st        clusterv1.ClusterStatus
		stale     bool
		wantState clusterv1.ClusterState
		wantWrite bool
	}{
		{"normal and live: nothing", clusterv1.ClusterStatus{State: clusterv1.ClusterNormal}, false, clusterv1.ClusterNormal, false},
		{"normal and stale: abnormal", clusterv1.ClusterStatus{State: clusterv1.ClusterNormal}, true, clusterv1.ClusterAbnormal, true},
		{"unset and stale: abnormal", clusterv1.ClusterStatus{}, true, clusterv1.ClusterAbnormal, true},
		{"abnormal and still stale: one write only", clusterv1.ClusterStatus{State: clusterv1.ClusterAbnormal, Reason: ours}, true, clusterv1.ClusterAbnormal, false},
		{"abnormal by the hub, live again: normal", clusterv1.ClusterStatus{State: clusterv1.ClusterAbnormal, Reason: ours}, false, clusterv1.ClusterNormal, true},
		{"abnormal by someone else, live: left alone", clusterv1.ClusterStatus{State: clusterv1.ClusterAbnormal, Reason: "apiserver unreachable"}, false, clusterv1.ClusterAbnormal, false},
		{"processing and live: left alone", clusterv1.ClusterStatus{State: clusterv1.ClusterProcessing}, false, clusterv1.ClusterProcessing, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			state, reason, write := healthTransition(tc.st, tc.stale, ours+" (new)")
			if state != tc.wantState || write != tc.wantWrite {
				t.Errorf("healthTransition = %s %v, want %s %v", state, write, tc.wantState, tc.wantWrite)
			}
			if write && state == clusterv1.ClusterAbnormal && reason != ours+" (new)" {
				t.Errorf("reason = %q", reason)
			}
			if write && state == clusterv1.ClusterNormal && reason != "" {
				t.Errorf("restored cluster keeps reason %q", reason)
			}
		})
	}
}
