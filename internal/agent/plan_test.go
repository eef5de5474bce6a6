package agent

import (
	"reflect"
	"testing"
	"time"

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
	cases := []struct {
		name string
		d    Desired
		obs  Observed
		want []Step
	}{
		{"enabled, absent: install", Desired{enabled, "d1"}, Observed{}, []Step{{ActionInstall, "monitoring", "enabled and not installed"}}},
		{"enabled, same digest: nothing", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 3, "d1", true)}}, nil},
		{"enabled, adopted unlabelled release with same digest: nothing", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 1, "d1", false)}}, nil},
		{"enabled, digest differs: upgrade", Desired{enabled, "d2"}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 3, "d1", true)}}, []Step{{ActionUpgrade, "monitoring", "chart or values changed"}}},
		{"enabled, failed upgrade with history: upgrade", Desired{enabled, "d2"}, Observed{Releases: []*helm.Release{rel("monitoring", "failed", 4, "d2", true)}}, []Step{{ActionUpgrade, "monitoring", "chart or values changed"}}},
		{"enabled, failed first install: reinstall", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "failed", 1, "d1", true)}},
			[]Step{{ActionUninstall, "monitoring", "first install failed"}, {ActionInstall, "monitoring", "retrying install"}}},
		{"pending: recover first", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("monitoring", "pending-upgrade", 2, "d0", true)}}, []Step{{ActionRecover, "monitoring", "release left pending-upgrade"}}},
		{"disabled, present: uninstall", Desired{disabled, ""}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 1, "d1", false)}}, []Step{{ActionUninstall, "monitoring", "disabled"}}},
		{"disabled, absent: nothing", Desired{disabled, ""}, Observed{}, nil},
		{"feature switch with former release: uninstall", Desired{feature, ""}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 1, "d1", true)}}, []Step{{ActionUninstall, "monitoring", "now a feature switch without a package"}}},
		{"removed, managed: uninstall", Desired{}, Observed{ManagedNamespace: "monitoring", Releases: []*helm.Release{rel("monitoring", "deployed", 1, "d1", false)}}, []Step{{ActionUninstall, "monitoring", "removed from the configuration"}}},
		{"removed, not managed: leave it", Desired{}, Observed{Releases: []*helm.Release{rel("monitoring", "deployed", 1, "d1", false)}}, nil},
		{"moved namespace: uninstall old, install new", Desired{enabled, "d1"}, Observed{ManagedNamespace: "old", Releases: []*helm.Release{rel("old", "deployed", 1, "d1", true)}},
			[]Step{{ActionUninstall, "old", "moved to namespace monitoring"}, {ActionInstall, "monitoring", "enabled and not installed"}}},
		{"unmanaged release elsewhere is left alone", Desired{enabled, "d1"}, Observed{Releases: []*helm.Release{rel("elsewhere", "deployed", 1, "d1", false)}},
			[]Step{{ActionInstall, "monitoring", "enabled and not installed"}}},
	}
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
