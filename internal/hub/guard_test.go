package hub

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

func hpWith(name string, ann map[string]string, comps ...hotplugv1.ComponentSpec) *hotplugv1.Hotplug {
	return &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: ann}, Spec: hotplugv1.HotplugSpec{Component: comps}}
}

func TestGuardDeletion(t *testing.T) {
	sync := map[string]string{hotplugv1.SyncAnnotation: "true"}
	syncConfirmed := map[string]string{hotplugv1.SyncAnnotation: "true", hotplugv1.ConfirmUninstallAnnotation: "true"}
	confirm := map[string]string{hotplugv1.ConfirmUninstallAnnotation: "true"}
	on := func(n string) hotplugv1.ComponentSpec {
		return hotplugv1.ComponentSpec{Name: n, Status: hotplugv1.StatusEnabled}
	}
	off := func(n string) hotplugv1.ComponentSpec {
		return hotplugv1.ComponentSpec{Name: n, Status: hotplugv1.StatusDisabled}
	}
	common := hpWith("common", sync, on("logseer"), on("logagent"), off("audit"))
	cases := []struct {
		name       string
		old, new   *hotplugv1.Hotplug
		common     *hotplugv1.Hotplug
		registered bool
		want       []string // substrings of the refusal; none means allowed
	}{
		{"delete common with enabled components", common, nil, nil, false,
			[]string{`hotplug "common"`, "deleting", "every cluster", "logagent, logseer", `"disabled"`, hotplugv1.ConfirmUninstallAnnotation}},
		{"delete common, all disabled", hpWith("common", sync, off("a")), nil, nil, false, nil},
		{"delete common, confirmed", hpWith("common", syncConfirmed, on("a")), nil, nil, false, nil},
		{"remove sync annotation of common", common, hpWith("common", nil, on("logseer"), on("logagent")), nil, false,
			[]string{"removing annotation " + hotplugv1.SyncAnnotation, "logagent, logseer"}},
		{"remove sync annotation, confirmed in the same update", common, hpWith("common", confirm, on("logseer")), nil, false, nil},
		{"set sync annotation to false", common, hpWith("common", map[string]string{hotplugv1.SyncAnnotation: "false"}, on("logseer")), nil, false,
			[]string{"logagent, logseer"}},
		{"keep sync annotation, other update", common, hpWith("common", sync, on("logseer"), on("logagent")), nil, false, nil},
		{"replace common without components", common, hpWith("common", sync), nil, false,
			[]string{"removing or renaming its components", "every cluster", "logagent, logseer"}},
		{"rename an enabled component of common", common, hpWith("common", sync, on("logseer"), on("log-agent"), off("audit")), nil, false,
			[]string{"removing or renaming", "logagent"}},
		{"drop one, disable the other", common, hpWith("common", sync, off("logseer")), nil, false, []string{": logagent;"}},
		{"disable every enabled component", common, hpWith("common", sync, off("logseer"), off("logagent")), nil, false, nil},
		{"remove components already disabled", hpWith("common", sync, off("logseer"), on("a")), hpWith("common", sync, on("a")), nil, false, nil},
		{"drop components, confirmed on the new object", common, hpWith("common", syncConfirmed), nil, false, nil},
		{"drop components of an unmirrored common", hpWith("common", nil, on("a")), hpWith("common", nil), nil, false, nil},
		{"drop from own, common enables it", hpWith("member-1", sync, on("logseer"), on("thanos")), hpWith("member-1", sync, on("thanos")), common, true, nil},
		{"drop from own, only own enables it", hpWith("member-1", sync, on("logseer"), on("thanos")), hpWith("member-1", sync, on("logseer")), common, true,
			[]string{`cluster "member-1"`, ": thanos;"}},
		{"drop from own of an unregistered cluster", hpWith("ghost", sync, on("thanos")), hpWith("ghost", sync), common, false, nil},
		{"no sync annotation before", hpWith("common", nil, on("a")), hpWith("common", nil, on("a")), nil, false, nil},
		{"delete own: enabled only there", hpWith("member-1", sync, on("logseer"), on("thanos")), nil, common, true,
			[]string{`hotplug "member-1"`, `cluster "member-1"`, "thanos"}},
		{"delete own: common enables the same", hpWith("member-1", sync, on("logseer")), nil, common, true, nil},
		{"delete own without common", hpWith("member-1", sync, on("logseer")), nil, nil, true, []string{"logseer"}},
		{"delete own of an unregistered cluster", hpWith("ghost", sync, on("thanos")), nil, common, false, nil},
		{"delete own, confirmed", hpWith("member-1", confirm, on("thanos")), nil, common, true, nil},
		{"remove sync of own", hpWith("member-1", sync, on("thanos")), hpWith("member-1", nil, on("thanos")), common, true, []string{"thanos"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := guardDeletion(tc.old, tc.new, tc.common, tc.registered)
			if len(tc.want) > 0 && !needsGuard(tc.old, tc.new) {
				t.Errorf("needsGuard is false for a change guardDeletion refuses")
			}
			if !refusedWith(t, err, tc.want) {
				return
			}
			if strings.Contains(err.Error(), "audit") {
				t.Errorf("refusal %q lists a disabled component", err)
			}
		})
	}
}

func TestGuardClusterDeletion(t *testing.T) {
	on := func(n string) hotplugv1.ComponentSpec {
		return hotplugv1.ComponentSpec{Name: n, Status: hotplugv1.StatusEnabled}
	}
	off := func(n string) hotplugv1.ComponentSpec {
		return hotplugv1.ComponentSpec{Name: n, Status: hotplugv1.StatusDisabled}
	}
	sync := map[string]string{hotplugv1.SyncAnnotation: "true"}
	confirm := map[string]string{hotplugv1.ConfirmUninstallAnnotation: "true"}
	cluster := func(ann map[string]string) *clusterv1.Cluster {
		return &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "member-1", Annotations: ann}}
	}
	common := hpWith("common", sync, on("logseer"))
	cases := []struct {
		name        string
		cl          *clusterv1.Cluster
		own, common *hotplugv1.Hotplug
		want        []string
	}{
		{"no Hotplug", cluster(nil), nil, common, nil},
		{"Hotplug enables a component only it has", cluster(nil), hpWith("member-1", sync, on("thanos"), on("logseer"), off("audit")), common,
			[]string{`cluster "member-1"`, `Hotplug "member-1"`, ": thanos;", hotplugv1.ConfirmUninstallAnnotation}},
		{"without common", cluster(nil), hpWith("member-1", sync, on("logseer")), nil, []string{": logseer;"}},
		{"Hotplug enables only what common enables", cluster(nil), hpWith("member-1", sync, on("logseer")), common, nil},
		{"Hotplug enables nothing", cluster(nil), hpWith("member-1", sync, off("thanos")), common, nil},
		{"confirmed on the Cluster", cluster(confirm), hpWith("member-1", sync, on("thanos")), common, nil},
		{"confirmed on the Hotplug", cluster(nil), hpWith("member-1", confirm, on("thanos")), common, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := guardClusterDeletion(tc.cl, tc.own, tc.common)
			if !refusedWith(t, err, tc.want) {
				return
			}
			if strings.Contains(err.Error(), "audit") {
				t.Errorf("refusal %q lists a disabled component", err)
			}
		})
	}
}
