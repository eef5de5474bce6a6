package limits

import (
	"fmt"
	"strings"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// TestFitStatus: a status over the CRDs' caps is cut to them, configured
// components kept before those only being uninstalled, in name order.
func TestFitStatus(t *testing.T) {
	long := strings.Repeat("v", 400)
	st := hotplugv1.HotplugStatus{}
	for i := range MaxStatusComponents + 20 {
		st.Components = append(st.Components, hotplugv1.ComponentStatus{Name: fmt.Sprintf("c%03d", i), ChartVersion: long, ChartDigest: long,
			Message: strings.Repeat("m", 3000), LastDriftRepair: &hotplugv1.DriftRepair{Message: strings.Repeat("d", 2000)}})
	}
	// The first 20 are only being uninstalled.
	FitStatus(&st, func(name string) bool { return name >= "c020" })
	if len(st.Components) != MaxStatusComponents || st.Components[0].Name != "c020" {
		t.Fatalf("%d components, first %s", len(st.Components), st.Components[0].Name)
	}
	for i, cs := range st.Components {
		if i > 0 && st.Components[i-1].Name >= cs.Name {
			t.Errorf("not in name order at %s", cs.Name)
		}
		if len(cs.ChartVersion) > MaxStatusNameBytes || len(cs.ChartDigest) > MaxStatusNameBytes || len(cs.Message) > MaxMessageBytes ||
			len(cs.LastDriftRepair.Message) > MaxMessageBytes {
			t.Errorf("%s not cut: %d %d %d", cs.Name, len(cs.ChartVersion), len(cs.Message), len(cs.LastDriftRepair.Message))
		}
	}
	small := hotplugv1.HotplugStatus{Components: []hotplugv1.ComponentStatus{{Name: "a", Message: "ok"}}}
	FitStatus(&small, nil)
	if len(small.Components) != 1 || small.Components[0].Message != "ok" {
		t.Errorf("a status within the caps changed: %+v", small)
	}
}
