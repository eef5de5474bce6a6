package agent

import (
	"slices"
	"strings"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// fitStatus keeps st within what the Hotplug and Cluster CRDs admit (the
// numbers live in internal/limits): at most limits.MaxStatusComponents
// components, those configured (configured(name); nil means all) before
// those only being uninstalled, each still in name order; name-like fields
// cut to limits.MaxStatusNameBytes and messages to limits.MaxMessageBytes.
// A legitimate cluster's report is then never refused by the API server,
// on the member or on the pivot.
func fitStatus(st *hotplugv1.HotplugStatus, configured func(string) bool) {
	if len(st.Components) > limits.MaxStatusComponents {
		var comps, rest []hotplugv1.ComponentStatus
		for _, cs := range st.Components {
			if configured == nil || configured(cs.Name) {
				comps = append(comps, cs)
			} else {
				rest = append(rest, cs)
			}
		}
		comps = append(comps, rest...)[:limits.MaxStatusComponents]
		slices.SortStableFunc(comps, func(a, b hotplugv1.ComponentStatus) int { return strings.Compare(a.Name, b.Name) })
		st.Components = comps
	}
	for i := range st.Components {
		cs := &st.Components[i]
		for _, f := range []*string{&cs.PkgName, &cs.Chart, &cs.ChartVersion, &cs.ValuesDigest} {
			*f = limits.Message(*f, limits.MaxStatusNameBytes)
		}
		cs.Message = limits.Message(cs.Message, limits.MaxMessageBytes)
		if d := cs.LastDriftRepair; d != nil && len(d.Message) > limits.MaxMessageBytes {
			d = d.DeepCopy()
			d.Message = limits.Message(d.Message, limits.MaxMessageBytes)
			cs.LastDriftRepair = d
		}
	}
}
