package chartset

import (
	"testing"

	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// BenchmarkLoadMonitoring is the agent's chart load + digest of each set's
// monitoring package: cold (a new Loader: scan, parse, hash) and cached
// (the agent's steady state: one Load per reconcile of an unchanged file).
func BenchmarkLoadMonitoring(b *testing.B) {
	dir := b.TempDir()
	if _, err := Write(dir); err != nil {
		b.Fatal(err)
	}
	values := Values(1)
	for _, set := range Sets {
		pkgName := set.Components()[0].Pkg
		b.Run(string(set)+"/cold", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pkg, err := chartpkg.NewLoader(dir, limits.Limits{}).Load(pkgName)
				if err != nil {
					b.Fatal(err)
				}
				_ = pkg.Digest(values)
			}
		})
		b.Run(string(set)+"/cached", func(b *testing.B) {
			l := chartpkg.NewLoader(dir, limits.Limits{})
			b.ReportAllocs()
			for b.Loop() {
				pkg, err := l.Load(pkgName)
				if err != nil {
					b.Fatal(err)
				}
				_ = pkg.Digest(values)
			}
		})
	}
}
