package agent

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// converged returns n components that are all installed, in sync and
// healthy: the state a resync finds.
func converged(n int) (merge.Result, map[string]Outcome) {
	var eff merge.Result
	outs := map[string]Outcome{}
	for i := range n {
		c := merge.Component{Name: fmt.Sprintf("c%03d", i), Namespace: fmt.Sprintf("ns%03d", i), PkgName: "c-1.0.0.tgz", Enabled: true,
			Values: map[string]any{"replicaCount": 2}}
		eff.Components = append(eff.Components, c)
		rel := &helm.Release{Name: c.Name, Namespace: c.Namespace, Status: "deployed", Digest: "d1", Revision: 3, Chart: "c", ChartVersion: "1.0.0"}
		outs[c.Name] = Outcome{Reconciled: true, Digest: "d1", Target: Target(&eff.Components[i]), Release: rel,
			Health: &ReleaseHealth{Revision: 3, State: healthpkg.Ready, Message: healthpkg.RunningMessage}}
	}
	return eff, outs
}

// BenchmarkPlan is the decision of one reconcile of an in-sync component.
func BenchmarkPlan(b *testing.B) {
	eff, outs := converged(1)
	d := Desired{Component: &eff.Components[0], Digest: "d1"}
	obs := Observed{Releases: []*helm.Release{outs["c000"].Release}, ManagedNamespace: "ns000", Now: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		if steps := Plan(d, obs); len(steps) != 0 {
			b.Fatalf("steps = %v", steps)
		}
	}
}

// BenchmarkComputeStatus is the status of a cluster with 5 and 50
// converged components, computed on every status write.
func BenchmarkComputeStatus(b *testing.B) {
	now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, n := range []int{5, 50} {
		b.Run(fmt.Sprintf("components=%d", n), func(b *testing.B) {
			eff, outs := converged(n)
			prev := ComputeStatus(eff, outs, hotplugv1.HotplugStatus{}, 1, now)
			b.ReportAllocs()
			for b.Loop() {
				if s := ComputeStatus(eff, outs, prev, 1, now); s.Phase != hotplugv1.PhaseRunning {
					b.Fatalf("phase %s: %s", s.Phase, s.Message)
				}
			}
		})
	}
}
