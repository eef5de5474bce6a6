package dashboard

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCellEvents(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rel := func(c string) *corev1.ObjectReference {
		return &corev1.ObjectReference{Kind: "Namespace", Name: c, FieldPath: "helm-release/" + c}
	}
	all := []corev1.Event{
		// Recorded through the events API (series), through the core API, and only created.
		{Reason: "Installed", Type: "Normal", Message: "audit: install: revision 1", Related: rel("audit"), EventTime: metav1.NewMicroTime(t0)},
		{Reason: "Upgraded", Type: "Normal", Message: "audit: upgrade: revision 2", Related: rel("audit"), LastTimestamp: metav1.NewTime(t0.Add(2 * time.Minute)), Count: 3},
		{Reason: "DriftRepaired", Type: "Normal", Related: rel("audit"), EventTime: metav1.NewMicroTime(t0.Add(time.Minute)),
			Series: &corev1.EventSeries{Count: 4, LastObservedTime: metav1.NewMicroTime(t0.Add(3 * time.Minute))}},
		{Reason: "Installed", Type: "Normal", Message: "another component", Related: rel("audit-extra"), EventTime: metav1.NewMicroTime(t0.Add(time.Hour))},
		{Reason: "Rejected", Type: "Warning", Message: "no release named", EventTime: metav1.NewMicroTime(t0.Add(time.Hour))},
	}
	got := cellEvents(all, "audit")
	want := []string{"DriftRepaired×4", "Upgraded×3", "Installed×0"}
	if len(got) != len(want) {
		t.Fatalf("got %d events %+v, want %v", len(got), got, want)
	}
	for i, w := range want {
		if g := fmt.Sprintf("%s×%d", got[i].Reason, got[i].Count); g != w {
			t.Errorf("event %d = %s, want %s (newest first, only audit's)", i, g, w)
		}
	}
	many := make([]corev1.Event, 3*maxCellEvents)
	for i := range many {
		many[i] = corev1.Event{Reason: "Upgraded", Related: rel("audit"), EventTime: metav1.NewMicroTime(t0.Add(time.Duration(i) * time.Second))}
	}
	if got := cellEvents(many, "audit"); len(got) != maxCellEvents || !got[0].Time.Equal(t0.Add(time.Duration(3*maxCellEvents-1)*time.Second)) {
		t.Errorf("kept %d events, newest at %v; want %d, the newest first", len(got), got[0].Time, maxCellEvents)
	}
}
