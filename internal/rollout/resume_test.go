package rollout

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

func TestDecideResume(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	earlier := metav1.NewTime(now.Add(-time.Hour))
	seen := &hotplugv1.RolloutStatus{ObservedResume: "g4-rv100", ResumedAt: &earlier}
	long := strings.Repeat("x", 200)
	cases := []struct {
		name       string
		value      string
		prev       *hotplugv1.RolloutStatus
		from       time.Time
		onlyBefore bool
		observed   string
	}{
		{"no annotation", "", seen, time.Time{}, false, "g4-rv100"},
		{"marker already acted on", "g4-rv100", seen, time.Time{}, false, "g4-rv100"},
		{"new marker: every failure from the hub's now", "g4-rv130", seen, now, false, "g4-rv130"},
		{"first marker", "g4-rv130", nil, now, false, "g4-rv130"},
		{"legacy time in the past, first seen", now.Add(-time.Minute).Format(time.RFC3339), nil, now.Add(-time.Minute), true, now.Add(-time.Minute).Format(time.RFC3339)},
		{"legacy time from a clock far ahead: never after now", "2099-01-01T00:00:00Z", &hotplugv1.RolloutStatus{}, now, false, "2099-01-01T00:00:00Z"},
		{"time from a clock far behind, after a marker: resumes from now", "2001-01-01T00:00:00Z", seen, now, false, "2001-01-01T00:00:00Z"},
		{"long value kept as digest", long, seen, now, false, markerKey(long)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ask := decideResume(tc.value, tc.prev, now)
			if !ask.From.Equal(tc.from) || ask.OnlyBefore != tc.onlyBefore || ask.Observed != tc.observed {
				t.Errorf("decideResume = from %v onlyBefore %v observed %q; want %v %v %q", ask.From, ask.OnlyBefore, ask.Observed, tc.from, tc.onlyBefore, tc.observed)
			}
			if !tc.from.IsZero() && (ask.At == nil || !ask.At.Time.Equal(tc.from)) {
				t.Errorf("resumedAt %v, want %v", ask.At, tc.from)
			}
			if len(ask.Observed) > 80 {
				t.Errorf("observed %d bytes, over the CRD's 80", len(ask.Observed))
			}
		})
	}
}

// TestResumeIgnoresClientClock: a failed cluster is resumed by a marker
// from the hub's now, once, whatever clock wrote the annotation; a
// timestamp from a clock far ahead neither stretches the deadline nor
// resumes later failures.
func TestResumeIgnoresClientClock(t *testing.T) {
	fail := func(f *fleet) {
		f.edit("v2")
		f.step()
		f.after(6 * time.Minute)
		f.wantState("c2", failed)
	}
	since := func(f *fleet, name string) time.Time {
		for _, c := range f.prev.Clusters {
			if c.Name == name {
				return c.Since.Time
			}
		}
		return time.Time{}
	}
	t.Run("marker", func(t *testing.T) {
		f := newFleet(t, 5, "c2")
		fail(f)
		f.annots[hotplugv1.RolloutResumedAtAnnotation] = "g2-rv1234"
		f.step()
		f.wantState("c2", progressing)
		if got := since(f, "c2"); !got.Equal(f.now.Truncate(time.Second)) {
			t.Errorf("c2 progressing since %v, want the hub's now %v", got, f.now)
		}
		if f.prev.ObservedResume != "g2-rv1234" || f.prev.ResumedAt == nil {
			t.Errorf("status %+v does not record the marker", f.prev)
		}
		// The same marker resumes once: failing again, c2 stays failed.
		f.after(6 * time.Minute)
		f.wantState("c2", failed)
		f.after(time.Minute)
		f.wantState("c2", failed)
	})
	t.Run("timestamp far ahead", func(t *testing.T) {
		f := newFleet(t, 5, "c2")
		fail(f)
		f.annots[hotplugv1.RolloutResumedAtAnnotation] = f.now.Add(24 * 365 * time.Hour).Format(time.RFC3339)
		f.step()
		f.wantState("c2", progressing)
		if got := since(f, "c2"); got.After(f.now) {
			t.Errorf("c2 progressing since %v, after the hub's now %v: its deadline is stretched", got, f.now)
		}
		f.after(6 * time.Minute)
		f.wantState("c2", failed)
	})
}
