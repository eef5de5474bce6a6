package limits

import (
	"slices"
	"strings"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// FitStatus keeps st within what the Hotplug and Cluster CRDs admit (the
// numbers are this package's): at most MaxStatusComponents
// components, those configured (configured(name); nil means all) before
// those only being uninstalled, each still in name order; name-like fields
// cut to MaxStatusNameBytes and messages to MaxMessageBytes.
// A legitimate cluster's report is then never refused by the API server,
// on the member or on the pivot.
func FitStatus(st *hotplugv1.HotplugStatus, configured func(string) bool) {
	if len(st.Components) > MaxStatusComponents {
		var comps, rest []hotplugv1.ComponentStatus
		for _, cs := range st.Components {
			if configured == nil || configured(cs.Name) {
				comps = append(comps, cs)
			} else {
				rest = append(rest, cs)
			}
		}
		comps = append(comps, rest...)[:MaxStatusComponents]
		slices.SortStableFunc(comps, func(a, b hotplugv1.ComponentStatus) int { return strings.Compare(a.Name, b.Name) })
		st.Components = comps
	}
	for i := range st.Components {
		cs := &st.Components[i]
		for _, f := range []*string{&cs.PkgName, &cs.Chart, &cs.ChartVersion, &cs.ChartDigest, &cs.ValuesDigest} {
			*f = Message(*f, MaxStatusNameBytes)
		}
		cs.Message = Message(cs.Message, MaxMessageBytes)
		if d := cs.LastDriftRepair; d != nil && len(d.Message) > MaxMessageBytes {
			d = d.DeepCopy()
			d.Message = Message(d.Message, MaxMessageBytes)
			cs.LastDriftRepair = d
		}
	}
}
