package chartpkg

import (
	"bytes"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// FuzzScan checks that the scanner never panics, never reads past its
// limits, and that whatever it lets through stays within them once Helm's
// loader has expanded it: the templates and files of the whole chart tree
// add up to no more than the bytes the scanner counted.
func FuzzScan(f *testing.F) {
	// The committed corpus (testdata/fuzz/FuzzScan) holds a package of each
	// kind; see fuzzSeeds.
	lim := limits.Limits{ChartBytes: 1 << 20, ChartFiles: 200, ChartNameBytes: 256, ExpandedYAMLBytes: 64 << 10}.Normalize()
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newScanner(lim)
		err := s.archive(bytes.NewReader(data), "", 0)
		if s.bytes > lim.ChartBytes+1 {
			t.Fatalf("scanner read %d bytes, limit %d", s.bytes, lim.ChartBytes)
		}
		if s.entries > lim.ChartFiles+1 {
			t.Fatalf("scanner counted %d entries, limit %d", s.entries, lim.ChartFiles)
		}
		if err != nil {
			return
		}
		ch, err := loader.LoadArchive(bytes.NewReader(data))
		if err != nil {
			return
		}
		if got := treeBytes(ch); got > s.bytes {
			t.Fatalf("Helm expanded %d bytes of templates and files, the scanner counted %d", got, s.bytes)
		}
	})
}

// treeBytes adds up the templates and files of ch and its dependencies.
func treeBytes(ch *chartv2.Chart) int64 {
	var n int64
	for _, f := range append(append([]*common.File(nil), ch.Templates...), ch.Files...) {
		n += int64(len(f.Data))
	}
	for _, d := range ch.Dependencies() {
		n += treeBytes(d)
	}
	return n
}
