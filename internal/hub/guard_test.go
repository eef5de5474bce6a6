package hub

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
		{"keep sync annotation, other update", common, hpWith("common", sync), nil, false, nil},
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
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("allowed")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("refusal %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "audit") {
				t.Errorf("refusal %q lists a disabled component", err)
			}
		})
	}
}
