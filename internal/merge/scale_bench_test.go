package merge

import (
	"fmt"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// BenchmarkEffectiveComponents is merge + render of a cluster whose every
// component has a monitoring-sized values file (about 3000 lines) and a
// per-cluster override, for 5 and 50 components: the agent does it once
// per reconcile.
func BenchmarkEffectiveComponents(b *testing.B) {
	env := monitoringValues()
	for _, n := range []int{5, 50} {
		b.Run(fmt.Sprintf("components=%d", n), func(b *testing.B) {
			var commonComps, ownComps []hotplugv1.ComponentSpec
			for i := range n {
				name := fmt.Sprintf("monitoring-%02d", i)
				commonComps = append(commonComps, hotplugv1.ComponentSpec{Name: name, Namespace: name, PkgName: "kubecube-monitoring-15.4.7.tgz", Status: "enabled", Env: env})
				ownComps = append(ownComps, hotplugv1.ComponentSpec{Name: name, Env: monitoringOverride})
			}
			common, own := hotplug("common", commonComps...), hotplug("pivot-cluster", ownComps...)
			b.SetBytes(int64(n * len(env)))
			b.ReportAllocs()
			for b.Loop() {
				if r := Effective("pivot-cluster", common, own); len(r.Errors) != 0 || len(r.Components) != n {
					b.Fatal(r.Errors)
				}
			}
		})
	}
}
