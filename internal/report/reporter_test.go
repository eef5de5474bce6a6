package report

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// commonAt returns the pivot's `common` at generation gen.
func commonAt(gen int64) *hotplugv1.Hotplug {
	return &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName, Generation: gen}}
}

// TestReporterCarriesRevision: the reporter pushes when only the revision
// changed, and keeps each status with the revision it was computed from.
func TestReporterCarriesRevision(t *testing.T) {
	r := newReporter("pivot-cluster", nil, false, time.Hour, logr.Discard())
	st := hotplugv1.HotplugStatus{Phase: hotplugv1.PhaseRunning}
	drain := func() bool {
		select {
		case <-r.pending:
			return true
		default:
			return false
		}
	}
	r.Update(st, commonAt(3), nil)
	if !drain() || r.commonRev != 3 {
		t.Fatalf("first update: rev %d", r.commonRev)
	}
	r.Update(st, commonAt(3), nil)
	if drain() {
		t.Error("an unchanged status and revision was pushed again")
	}
	r.Update(st, commonAt(4), nil)
	if !drain() || r.commonRev != 4 {
		t.Errorf("a new revision with the same status was not pushed: rev %d", r.commonRev)
	}
}

// TestReporterFitsReport: what the reporter sends to the pivot is within
// the Cluster CRD's caps, whatever it is handed.
func TestReporterFitsReport(t *testing.T) {
	r := newReporter("m", nil, true, time.Second, logr.Discard())
	st := hotplugv1.HotplugStatus{}
	for i := range limits.MaxStatusComponents + 5 {
		st.Components = append(st.Components, hotplugv1.ComponentStatus{Name: fmt.Sprintf("c%03d", i), Message: strings.Repeat("m", 3000)})
	}
	r.Update(st, nil, nil)
	if len(r.status.Components) != limits.MaxStatusComponents || len(r.status.Components[0].Message) > limits.MaxMessageBytes {
		t.Errorf("reporter holds %d components, first message %d bytes", len(r.status.Components), len(r.status.Components[0].Message))
	}
	if len(st.Components) != limits.MaxStatusComponents+5 {
		t.Error("the caller's status was changed")
	}
}
