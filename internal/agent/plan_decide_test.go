package agent

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubecube-io/hotplug/internal/drift"
	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// TestPlanDecides covers the choices Plan makes beyond the release steps
// (TestPlan): the absence hold, the dependency gate, and that neither holds
// a drift repair, a wait or a recovery; a preview, with neither observed,
// plans the release steps.
func TestPlanDecides(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	db := merge.Component{Name: "db", Namespace: "data", PkgName: "db-1.0.0.tgz", Enabled: true}
	web := merge.Component{Name: "web", Namespace: "web", PkgName: "web-1.0.0.tgz", Enabled: true, DependsOn: []string{"db"}}
	disabledDB := db
	disabledDB.Enabled = false
	rel := func(name, ns, status string, since time.Time) *helm.Release {
		return &helm.Release{Name: name, Namespace: ns, Status: status, Revision: 2, Since: since,
			Labels: map[string]string{LabelManagedBy: ManagedByValue, LabelDigest: "d1"}}
	}
	readyDB := Outcome{Reconciled: true, Target: Target(&db), Digest: "d1", Release: rel("db", "data", "deployed", now),
		Health: &ReleaseHealth{Revision: 2, State: healthpkg.Ready}}
	// deps: web depends on db; db's outcome is o, web's release is there
	// when webHasRelease.
	deps := func(o *Outcome, webHasRelease bool, comps ...merge.Component) *Dependencies {
		d := &Dependencies{Eff: merge.Result{Components: comps}, Outs: map[string]Outcome{}, Remembered: map[string][]string{"web": {"db"}}}
		if o != nil {
			d.Outs["db"] = *o
		}
		if webHasRelease {
			d.Outs["web"] = Outcome{Reconciled: true, Release: rel("web", "web", "deployed", now)}
		}
		return d
	}
	drifted := []drift.Drift{{Ref: healthpkg.ObjectRef{GroupVersionKind: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Namespace: "web", Name: "web"}, Kind: drift.Missing}}
	vanished := &absenceFacts{LiveAbsent: true, Kind: kube.KindVanished, KindWhy: "not in discovery", Now: now}
	confirmed := &absenceFacts{LiveAbsent: true, Kind: kube.KindServed, Now: now}
	managedDB := []*helm.Release{rel("db", "data", "deployed", now)}

	cases := []planCase{
		{"absence not confirmed: hold the uninstall", Desired{},
			Observed{Name: "db", ManagedNamespace: "data", Releases: managedDB, absence: vanished},
			[]Step{{Action: ActionHoldUninstall, Namespace: "data", Reason: decideAbsence(*vanished)}}},
		{"absence confirmed: uninstall", Desired{},
			Observed{Name: "db", ManagedNamespace: "data", Releases: managedDB, absence: confirmed},
			[]Step{{Action: ActionUninstall, Namespace: "data", Reason: "removed from the configuration"}}},
		{"named and disabled: the absence does not hold it", Desired{&disabledDB, ""},
			Observed{Name: "db", ManagedNamespace: "data", Releases: managedDB, absence: vanished},
			[]Step{{Action: ActionUninstall, Namespace: "data", Reason: "disabled"}}},
		{"absence hold comes before the gate", Desired{},
			Observed{Name: "db", ManagedNamespace: "data", Releases: managedDB, absence: vanished, deps: deps(nil, true)},
			[]Step{{Action: ActionHoldUninstall, Namespace: "data", Reason: decideAbsence(*vanished)}}},
		{"gate: install waits for its dependency", Desired{&web, "d1"},
			Observed{Name: "web", Now: now, deps: deps(&Outcome{Reconciled: true, Target: Target(&db)}, false, db, web)},
			[]Step{{Action: ActionBlocked, Namespace: "web", Reason: "waiting for db to be Ready"}}},
		{"gate open: dependency Ready, install", Desired{&web, "d1"},
			Observed{Name: "web", Now: now, deps: deps(&readyDB, false, db, web)},
			[]Step{{Action: ActionInstall, Namespace: "web", Reason: "enabled and not installed"}}},
		{"gate: uninstall waits for its dependent", Desired{&disabledDB, ""},
			Observed{Name: "db", ManagedNamespace: "data", Releases: managedDB, deps: deps(&readyDB, true, disabledDB, web)},
			[]Step{{Action: ActionBlocked, Namespace: "data", Reason: "waiting for web, which depends on it, to be uninstalled"}}},
		{"gate never holds a drift repair", Desired{&web, "d1"},
			Observed{Name: "web", Now: now, Releases: []*helm.Release{rel("web", "web", "deployed", now)}, Drift: drifted, deps: deps(nil, false, db, web)},
			[]Step{{Action: ActionRepair, Namespace: "web", Reason: drift.Describe(drifted, 3)}}},
		{"gate never holds a wait", Desired{&web, "d1"},
			Observed{Name: "web", Now: now, Releases: []*helm.Release{rel("web", "web", "pending-upgrade", now.Add(-time.Minute))}, deps: deps(nil, false, db, web)},
			[]Step{{Action: ActionWait, Namespace: "web", Until: now.Add(4 * time.Minute),
				Reason: "release web is pending-upgrade since 2026-12-07T11:59:00Z by another actor; left alone until 2026-12-07T12:04:00Z"}}},
		{"gate never holds a recovery", Desired{&web, "d1"},
			Observed{Name: "web", Now: now, Releases: []*helm.Release{rel("web", "web", "pending-install", now.Add(-time.Hour))}, deps: deps(nil, false, db, web)},
			[]Step{{Action: ActionRecover, Namespace: "web", Reason: "release left pending-install since 2026-12-07T11:00:00Z, longer than the 5m0s Helm timeout"}}},
		{"preview: no gate, no absence check", Desired{&web, "d1"}, Observed{Name: "web"},
			[]Step{{Action: ActionInstall, Namespace: "web", Reason: "enabled and not installed"}}},
	}
	checkPlans(t, cases)
}

func TestDriftLeftAlone(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	on := &merge.Component{Name: "web", Namespace: "web", PkgName: "web.tgz", Enabled: true}
	optedOut := &merge.Component{Name: "web", Namespace: "web", PkgName: "web.tgz", Enabled: true, SkipDriftRepair: true}
	inSync := []*helm.Release{{Name: "web", Namespace: "web", Status: "deployed", Revision: 1, Labels: map[string]string{LabelDigest: "d1"}}}
	drifted := []drift.Drift{{Ref: healthpkg.ObjectRef{GroupVersionKind: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Namespace: "web", Name: "web"}, Kind: drift.Missing}}
	cases := []struct {
		name string
		d    Desired
		obs  Observed
		want string
	}{
		{"no drift", Desired{on, "d1"}, Observed{Releases: inSync}, ""},
		{"drift repaired", Desired{on, "d1"}, Observed{Releases: inSync, Drift: drifted}, ""},
		{"opted out", Desired{optedOut, "d1"}, Observed{Releases: inSync, Drift: drifted}, "drift left alone (driftRepair: false): " + drift.Describe(drifted, 3)},
		{"held by the backoff", Desired{on, "d1"}, Observed{Releases: inSync, Drift: drifted, DriftHeldUntil: now}, drift.HeldMessage(drifted, now)},
		{"no release where wanted", Desired{optedOut, "d1"}, Observed{Drift: drifted}, ""},
	}
	for _, tc := range cases {
		if got := driftLeftAlone(tc.d, tc.obs); got != tc.want {
			t.Errorf("%s: driftLeftAlone() = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestLookAgain(t *testing.T) {
	const resync = 10 * time.Minute
	cases := []struct {
		name string
		l    lookAgain
		want time.Duration
	}{
		{"settled: resync", lookAgain{}, resync},
		{"failed: the backoff, whatever else", lookAgain{failed: true, retry: 4 * time.Second, wait: time.Minute, health: time.Second}, 4 * time.Second},
		{"held: when the hold ends", lookAgain{wait: 90 * time.Second, health: time.Second}, 90 * time.Second},
		{"held longer than resync: resync", lookAgain{wait: time.Hour}, resync},
		{"in progress: the health recheck", lookAgain{health: 10 * time.Second}, 10 * time.Second},
		{"drift check due sooner than the health recheck", lookAgain{drift: 3 * time.Second, health: 10 * time.Second}, 3*time.Second + driftRecheckMargin},
		{"drift check due later than the health recheck", lookAgain{drift: 8 * time.Second, health: 2 * time.Second}, 2 * time.Second},
		{"drift check put off, health settled", lookAgain{drift: 2 * time.Second}, 2*time.Second + driftRecheckMargin},
	}
	for _, tc := range cases {
		if got := tc.l.after(resync); got != tc.want {
			t.Errorf("%s: after() = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestHoldWait(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	if got := holdWait(now.Add(time.Minute), now); got != time.Minute+time.Second {
		t.Errorf("hold ending in 1m: %s, want 1m1s", got)
	}
	if got := holdWait(now.Add(-time.Minute), now); got != time.Second {
		t.Errorf("hold already over: %s, want 1s", got)
	}
}
