package chartpkg

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubecube-io/hotplug/internal/limits"
)

var update = flag.Bool("update", false, "rewrite testdata/bad and the FuzzScan seed corpus")

// badPackage is one committed bad package and what loading it must say.
type badPackage struct {
	file     string
	data     func(t testing.TB) []byte
	want     string // substring of the error
	exceeded bool   // the error wraps limits.ErrExceeded
}

// badPackages are kept as files under testdata/bad so that the bad-input
// corpus of the fault suite can apply them through the agent.
var badPackages = []badPackage{
	{file: "nested-subchart-bomb.tgz", data: func(t testing.TB) []byte { return nestedBomb(t, 4, 8, 1<<20) },
		want: "--" + limits.FlagChartBytes, exceeded: true},
	{file: "deep-nesting.tgz", data: func(t testing.TB) []byte { return deepNesting(t, maxNesting+1) },
		want: "nested more than", exceeded: true},
	{file: "many-empty-files.tgz", data: func(t testing.TB) []byte { return manyFiles(t, limits.DefaultChartFiles) },
		want: "--" + limits.FlagChartFiles, exceeded: true},
	{file: "long-pax-name.tgz", data: func(t testing.TB) []byte { return longName(t, 64<<10) },
		want: "--" + limits.FlagChartNameBytes, exceeded: true},
	{file: "values-alias-bomb.tgz", data: func(t testing.TB) []byte { return valuesBomb(t, false) },
		want: "--" + limits.FlagExpandedYAMLBytes, exceeded: true},
	{file: "subchart-values-alias-bomb.tgz", data: func(t testing.TB) []byte { return valuesBomb(t, true) },
		want: "--" + limits.FlagExpandedYAMLBytes, exceeded: true},
	{file: "big-file.tgz", data: func(t testing.TB) []byte { return smallChart(t, "big", limits.DefaultChartBytes+1) },
		want: "--" + limits.FlagChartBytes, exceeded: true},
	{file: "zero-byte.tgz", data: func(testing.TB) []byte { return nil }, want: "empty"},
	{file: "not-gzip.tgz", data: func(testing.TB) []byte { return []byte("apiVersion: v2\nname: x\n") }, want: "not a gzip"},
	{file: "truncated.tgz", data: func(t testing.TB) []byte { p := smallChart(t, "cut", 4096); return p[:len(p)/2] },
		want: "unexpected EOF"},
	{file: "parent-traversal.tgz", data: func(t testing.TB) []byte {
		return tgz(t, chartYAML("evil"), tarEntry{name: "evil/../../etc/cron.d/x", data: []byte("x")})
	}, want: "parent directory"},
	{file: "missing-chart-yaml.tgz", data: func(t testing.TB) []byte {
		return tgz(t, tarEntry{name: "none/values.yaml", data: []byte("a: 1\n")})
	}, want: "Chart.yaml file is missing"},
}

// TestWriteBadPackages rewrites testdata/bad and the FuzzScan seeds with
// -update; without it, it checks that every file is committed (not their
// bytes: gzip output may differ between Go versions; TestBadPackages checks
// what they do).
func TestWriteBadPackages(t *testing.T) {
	files := map[string][]byte{}
	for _, bp := range badPackages {
		files[filepath.Join("testdata", "bad", bp.file)] = bp.data(t)
	}
	for name, data := range fuzzSeeds(t) {
		files[filepath.Join("testdata", "fuzz", "FuzzScan", name)] = fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data)
	}
	for path, data := range files {
		if *update {
			writeFile(t, path, data)
			continue
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%v (run go test -run TestWriteBadPackages -update)", err)
		}
	}
}

// TestBadPackages loads every committed bad package with the default
// limits and checks the error; every file in testdata/bad must be listed.
func TestBadPackages(t *testing.T) {
	dir := filepath.Join("testdata", "bad")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var onDisk, listed []string
	for _, e := range entries {
		onDisk = append(onDisk, e.Name())
	}
	l := NewLoader(dir, limits.Limits{})
	for _, bp := range badPackages {
		listed = append(listed, bp.file)
		t.Run(bp.file, func(t *testing.T) {
			_, err := l.Load(bp.file)
			if err == nil {
				t.Fatal("bad package loaded")
			}
			if !strings.Contains(err.Error(), bp.want) || !strings.Contains(err.Error(), bp.file) {
				t.Errorf("error %q does not mention %q and the file", err, bp.want)
			}
			if got := errors.Is(err, limits.ErrExceeded); got != bp.exceeded {
				t.Errorf("errors.Is(err, limits.ErrExceeded) = %v, want %v", got, bp.exceeded)
			}
		})
	}
	slices.Sort(onDisk)
	slices.Sort(listed)
	if !slices.Equal(onDisk, listed) {
		t.Errorf("testdata/bad holds %v, the test lists %v", onDisk, listed)
	}
	if l.helmLoads.Load() > 3 { // only the three that pass the scan reach Helm
		t.Errorf("Helm's loader ran %d times", l.helmLoads.Load())
	}
}

// fuzzSeeds are small packages of each kind for FuzzScan's corpus.
func fuzzSeeds(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"good":          smallChart(t, "good", 64),
		"nested":        tgz(t, chartYAML("outer"), tarEntry{name: "outer/charts/in.tgz", data: smallChart(t, "in", 16)}),
		"nested-bomb":   nestedBomb(t, 2, 4, 64<<10),
		"deep-nesting":  deepNesting(t, maxNesting+1),
		"many-files":    manyFiles(t, 300),
		"long-name":     longName(t, 300),
		"values-bomb":   valuesBomb(t, true),
		"subchart-dir":  tgz(t, chartYAML("p"), tarEntry{name: "p/charts/s/", dir: true}, tarEntry{name: "p/charts/s/values.yaml", data: []byte("a: &a [1]\nb: *a\n")}),
		"truncated":     smallChart(t, "cut", 1024)[:100],
		"windows-paths": tgz(t, tarEntry{name: `w\Chart.yaml`, data: []byte("apiVersion: v2\nname: w\nversion: 1.0.0\n")}),
	}
}
