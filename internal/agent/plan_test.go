package agent

import (
	"reflect"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubecube-io/hotplug/internal/drift"
	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/merge"
)

func TestPlan(t *testing.T) {
	enabled := &merge.Component{Name: "mon", Namespace: "monitoring", PkgName: "mon-1.0.0.tgz", Enabled: true}
	disabled := &merge.Component{Name: "mon", Namespace: "monitoring", PkgName: "mon-1.0.0.tgz"}
	feature := &merge.Component{Name: "mon", Namespace: "monitoring", Enabled: true}
	rel := func(ns, status string, rev int, digest string, managed bool) *helm.Release {
		r := &helm.Release{Name: "mon", Namespace: ns, Status: status, Revision: rev, Digest: digest, Labels: map[string]string{}}
		if managed {
			r.Labels[LabelManagedBy] = ManagedByValue
		}
		return r
	}
	now := time.Date(2026, 11, 26, 23, 54, 0, 0, time.UTC)
	optedOut := &merge.Component{Name: "mon", Namespace: "monitoring", PkgName: "mon-1.0.0.tgz", Enabled: true, SkipDriftRepair: true}
	drifted := []drift.Drift{{Ref: healthpkg.ObjectRef{GroupVersionKind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, Namespace: "monitoring", Name: "mon"}, Kind: drift.Missing}}
	pending := func(ns, status string, since time.Time) *helm.Release {
		r := rel(ns, status, 2, "d0", true)
		r.Since = since
		return r
	}
	cases := []planCase{
		{"enabled, absent: install", Desired{enabled, "d1"}, Observed{}, []Step{{Action: ActionInstall, Namespace: "monitoring", Reason: "enabled and not installed"}}},
		{"enabled, same digest: nothing", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 3, "d1", true)}}, nil},
		{"in sync, objects drifted: repair", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 3, "d1", true)}, Drift: drifted},
			[]Step{{Action: ActionRepair, Namespace: "monitoring", Reason: drift.Describe(drifted, 3)}}},
		{"in sync, drifted, component opted out: nothing", Desired{optedOut, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 3, "d1", true)}, Drift: drifted}, nil},
		{"in sync, drifted, repair held by backoff: nothing", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 3, "d1", true)}, Drift: drifted, DriftHeldUntil: now.Add(time.Minute)}, nil},
		{"digest differs and drifted: upgrade, not repair", Desired{enabled, "d2"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 3, "d1", true)}, Drift: drifted},
			[]Step{{Action: ActionUpgrade, Namespace: "monitoring", Reason: "chart or values changed"}}},
		{"disabled, drifted: uninstall, not repair", Desired{disabled, ""}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 3, "d1", true)}, Drift: drifted},
			[]Step{{Action: ActionUninstall, Namespace: "monitoring", Reason: "disabled"}}},
		{"enabled, adopted unlabelled release with same digest: nothing", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 1, "d1", false)}}, nil},
		{"enabled, digest differs: upgrade", Desired{enabled, "d2"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 3, "d1", true)}}, []Step{{Action: ActionUpgrade, Namespace: "monitoring", Reason: "chart or values changed"}}},
		{"enabled, failed upgrade with history: upgrade", Desired{enabled, "d2"}, Observed{Releases: []*helm.Release{rel("monitoring", "failed", 4, "d2", true)}}, []Step{{Action: ActionUpgrade, Namespace: "monitoring", Reason: "chart or values changed"}}},
		{"enabled, failed first install: reinstall", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "failed", 1, "d1", true)}},
			[]Step{{Action: ActionUninstall, Namespace: "monitoring", Reason: "first install failed"}, {Action: ActionInstall, Namespace: "monitoring", Reason: "retrying install"}}},
		{"pending at an unknown time: recover first", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "pending-upgrade", 2, "d0", true)}},
			[]Step{{Action: ActionRecover, Namespace: "monitoring", Reason: "release left pending-upgrade at an unknown time"}}},
		{"pending younger than the timeout: wait until it is that old", Desired{enabled, "d1"},
			Observed{Now: now, Timeout: 10 * time.Minute, Releases: []*helm.Release{pending("monitoring", "pending-upgrade", now.Add(-4*time.Minute))}},
			[]Step{{Action: ActionWait, Namespace: "monitoring", Until: now.Add(6 * time.Minute),
				Reason: "release mon is pending-upgrade since 2026-11-26T23:50:00Z by another actor; left alone until 2026-11-27T00:00:00Z"}}},
		{"pending just under the timeout: still wait", Desired{enabled, "d1"},
			Observed{Now: now, Timeout: 10 * time.Minute, Releases: []*helm.Release{pending("monitoring", "pending-install", now.Add(-10*time.Minute+time.Nanosecond))}},
			[]Step{{Action: ActionWait, Namespace: "monitoring", Until: now.Add(time.Nanosecond),
				Reason: "release mon is pending-install since 2026-11-26T23:44:00Z by another actor; left alone until 2026-11-26T23:54:00Z"}}},
		{"pending as old as the timeout: recover", Desired{enabled, "d1"},
			Observed{Now: now, Timeout: 10 * time.Minute, Releases: []*helm.Release{pending("monitoring", "pending-rollback", now.Add(-10*time.Minute))}},
			[]Step{{Action: ActionRecover, Namespace: "monitoring", Reason: "release left pending-rollback since 2026-11-26T23:44:00Z, longer than the 10m0s Helm timeout"}}},
		{"pending, zero timeout means 5m: recover after 6m", Desired{enabled, "d1"},
			Observed{Now: now, Releases: []*helm.Release{pending("monitoring", "pending-upgrade", now.Add(-6*time.Minute))}},
			[]Step{{Action: ActionRecover, Namespace: "monitoring", Reason: "release left pending-upgrade since 2026-11-26T23:48:00Z, longer than the 5m0s Helm timeout"}}},
		{"pending, zero timeout means 5m: wait after 4m", Desired{enabled, "d1"},
			Observed{Now: now, Releases: []*helm.Release{pending("monitoring", "pending-upgrade", now.Add(-4*time.Minute))}},
			[]Step{{Action: ActionWait, Namespace: "monitoring", Until: now.Add(time.Minute),
				Reason: "release mon is pending-upgrade since 2026-11-26T23:50:00Z by another actor; left alone until 2026-11-26T23:55:00Z"}}},
		{"pending held elsewhere is not uninstalled even when disabled", Desired{disabled, ""},
			Observed{Now: now, Timeout: 10 * time.Minute, ManagedNamespace: "monitoring", Releases: []*helm.Release{pending("monitoring", "pending-upgrade", now.Add(-time.Minute))}},
			[]Step{{Action: ActionWait, Namespace: "monitoring", Until: now.Add(9 * time.Minute),
				Reason: "release mon is pending-upgrade since 2026-11-26T23:53:00Z by another actor; left alone until 2026-11-27T00:03:00Z"}}},
		{"pending in the old namespace holds the move too", Desired{enabled, "d1"},
			Observed{Now: now, Timeout: 10 * time.Minute, ManagedNamespace: "old", Releases: []*helm.Release{pending("old", "pending-upgrade", now.Add(-time.Minute))}},
			[]Step{{Action: ActionWait, Namespace: "old", Until: now.Add(9 * time.Minute),
				Reason: "release mon is pending-upgrade since 2026-11-26T23:53:00Z by another actor; left alone until 2026-11-27T00:03:00Z"}}},
		{"preview without a clock never takes over", Desired{enabled, "d1"},
			Observed{Releases: []*helm.Release{pending("monitoring", "pending-upgrade", now.Add(-time.Hour))}},
			[]Step{{Action: ActionWait, Namespace: "monitoring", Until: now.Add(-55 * time.Minute),
				Reason: "release mon is pending-upgrade since 2026-11-26T22:54:00Z by another actor; left alone until 2026-11-26T22:59:00Z"}}},
		{"disabled, present: uninstall", Desired{disabled, ""}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 1, "d1", false)}}, []Step{{Action: ActionUninstall, Namespace: "monitoring", Reason: "disabled"}}},
		{"disabled, absent: nothing", Desired{disabled, ""}, Observed{}, nil},
		{"feature switch with former release: uninstall", Desired{feature, ""}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 1, "d1", true)}}, []Step{{Action: ActionUninstall, Namespace: "monitoring", Reason: "now a feature switch without a package"}}},
		{"removed, managed: uninstall", Desired{}, Observed{ManagedNamespace: "monitoring", Releases: []*helm.Release{rel("monitoring", "deployed", 1, "d1", false)}}, []Step{{Action: ActionUninstall, Namespace: "monitoring", Reason: "removed from the configuration"}}},
		{"removed, not managed: leave it", Desired{}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 1, "d1", false)}}, nil},
		{"moved namespace: uninstall old, install new", Desired{enabled, "d1"}, Observed{ManagedNamespace: "old", Releases: []*helm.Release{rel("old", "deployed", 1, "d1", true)}},
			[]Step{{Action: ActionUninstall, Namespace: "old", Reason: "moved to namespace monitoring"}, {Action: ActionInstall, Namespace: "monitoring", Reason: "enabled and not installed"}}},
		{"unmanaged release elsewhere is left alone", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("elsewhere", "deployed", 1, "d1", false)}},
			[]Step{{Action: ActionInstall, Namespace: "monitoring", Reason: "enabled and not installed"}}},
	}
	checkPlans(t, cases)
}

// planCase is one row of a Plan table: d and obs give want.
type planCase struct {
	name string
	d    Desired
	obs  Observed
	want []Step
}

func checkPlans(t *testing.T, cases []planCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Plan(tc.d, tc.obs); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Plan() = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	base, limit := 2*time.Second, 30*time.Second
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, w := range want {
		if got := Backoff(i+1, base, limit); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
	if got := Backoff(1000, base, limit); got != limit {
		t.Errorf("Backoff(1000) = %s, want the cap", got)
	}
}
