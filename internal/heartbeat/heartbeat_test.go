package heartbeat

import (
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestLeaseDuration(t *testing.T) {
	for _, tc := range []struct{ interval, want time.Duration }{
		{30 * time.Second, 2 * time.Minute}, {time.Second, 4 * time.Second}, {100 * time.Millisecond, time.Second}, {0, time.Second},
	} {
		if got := LeaseDuration(tc.interval); got != tc.want {
			t.Errorf("LeaseDuration(%s) = %s, want %s", tc.interval, got, tc.want)
		}
	}
}

func TestExpiry(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	renewed := func(seconds *int32) *coordinationv1.Lease {
		return &coordinationv1.Lease{Spec: coordinationv1.LeaseSpec{RenewTime: &metav1.MicroTime{Time: at}, LeaseDurationSeconds: seconds}}
	}
	for _, tc := range []struct {
		name string
		l    *coordinationv1.Lease
		ok   bool
		want time.Time
	}{
		{"nil", nil, false, time.Time{}},
		{"pre-created, never renewed", New("ns", "m1"), false, time.Time{}},
		{"declared duration", renewed(ptr.To[int32](40)), true, at.Add(40 * time.Second)},
		{"no duration: fallback", renewed(nil), true, at.Add(time.Minute)},
		{"zero duration: fallback", renewed(ptr.To[int32](0)), true, at.Add(time.Minute)},
	} {
		got, ok := Expiry(tc.l, time.Minute)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("%s: Expiry = %s %v, want %s %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	if LeaseName("member-1") != "hotplug-cluster-member-1" || New("ns", "m").Labels[LabelCluster] != "m" {
		t.Error("lease name or label changed: RBAC and the chart name it")
	}
}
