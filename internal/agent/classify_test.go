package agent

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubecube-io/hotplug/internal/drift"
	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/merge"
)

func TestClassify(t *testing.T) {
	enabled := &merge.Component{Name: "mon", Namespace: "monitoring", PkgName: "mon-1.0.0.tgz", Enabled: true}
	optedOut := &merge.Component{Name: "mon", Namespace: "monitoring", PkgName: "mon-1.0.0.tgz", Enabled: true, SkipDriftRepair: true}
	disabled := &merge.Component{Name: "mon", Namespace: "monitoring", PkgName: "mon-1.0.0.tgz"}
	rel := func(ns, status string, rev int, digest string) *helm.Release {
		return &helm.Release{Name: "mon", Namespace: ns, Status: status, Revision: rev, Digest: digest, Labels: map[string]string{}}
	}
	drifted := []drift.Drift{{Ref: healthpkg.ObjectRef{GroupVersionKind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, Namespace: "monitoring", Name: "mon"}, Kind: drift.Missing}}
	cases := []struct {
		name string
		d    Desired
		obs  Observed
		want ReleaseState
	}{
		{"nothing wanted, nothing there", Desired{disabled, ""}, Observed{}, StateUnwanted},
		{"removed from the configuration", Desired{}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 1, "d1")}}, StateUnwanted},
		{"pending elsewhere locks even an unwanted component", Desired{disabled, ""}, Observed{Releases: []*helm.Release{rel("old", "pending-upgrade", 2, "d1")}}, StateLocked},
		{"pending where wanted", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "pending-install", 1, "d1")}}, StateLocked},
		{"wanted, none", Desired{enabled, "d1"}, Observed{}, StateAbsent},
		{"wanted, only elsewhere", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("old", "deployed", 1, "d1")}}, StateAbsent},
		{"interrupted uninstall", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "uninstalling", 3, "d1")}}, StateInterrupted},
		{"failed first install", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "failed", 1, "d1")}}, StateFailedInstall},
		{"failed upgrade", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "failed", 4, "d1")}}, StateOutOfSync},
		{"other values", Desired{enabled, "d2"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 4, "d1")}}, StateOutOfSync},
		{"other values and drift: upgrade wins", Desired{enabled, "d2"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 4, "d1")}, Drift: drifted}, StateOutOfSync},
		{"drifted", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 4, "d1")}, Drift: drifted}, StateDrifted},
		{"drifted, opted out", Desired{optedOut, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 4, "d1")}, Drift: drifted}, StateInSync},
		{"drifted, in backoff", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 4, "d1")}, Drift: drifted, DriftHeldUntil: time.Now()}, StateInSync},
		{"in sync", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 4, "d1")}}, StateInSync},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := Classify(tc.d, tc.obs); got != tc.want {
				t.Errorf("Classify() = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestPlanCoversEveryState fails when a state Classify can return for a
// wanted release has no remediation in the table.
func TestPlanCoversEveryState(t *testing.T) {
	for _, s := range []ReleaseState{StateAbsent, StateInterrupted, StateFailedInstall, StateOutOfSync, StateDrifted, StateInSync} {
		if planFor[s] == nil {
			t.Errorf("planFor has no entry for %s", s)
		}
	}
	if len(planFor) != 6 {
		t.Errorf("planFor has %d entries, want the 6 states of a wanted release", len(planFor))
	}
}
