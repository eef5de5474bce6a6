package chartpkg

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kubecube-io/hotplug/internal/limits"
)

func TestLoadRefusesBombs(t *testing.T) {
	small := limits.Limits{ChartBytes: 4 << 20, ChartFiles: 500, ChartNameBytes: 256, ExpandedYAMLBytes: 64 << 10}
	tests := []struct {
		name string
		data func(t testing.TB) []byte
		lim  limits.Limits
		want []string // substrings of the error, besides the package name
	}{
		{name: "nested subchart bomb", lim: small,
			// 8^3 * 64 KiB = 32 MiB behind 4 levels of ~1 KiB packages.
			data: func(t testing.TB) []byte { return nestedBomb(t, 3, 8, 64<<10) },
			want: []string{"decompressed size", "--max-chart-bytes"}},
		{name: "nested subchart bomb, default limits", lim: limits.Limits{},
			// 8^4 * 1 MiB = 4 GiB.
			data: func(t testing.TB) []byte { return nestedBomb(t, 4, 8, 1<<20) },
			want: []string{"decompressed size", "--max-chart-bytes"}},
		{name: "one large file", lim: small,
			data: func(t testing.TB) []byte { return smallChart(t, "big", 5<<20) },
			want: []string{"decompressed size", "--max-chart-bytes"}},
		{name: "deep nesting", lim: small,
			data: func(t testing.TB) []byte { return deepNesting(t, maxNesting+1) },
			want: []string{"nested more than 8 deep"}},
		{name: "many empty files", lim: small,
			data: func(t testing.TB) []byte { return manyFiles(t, 600) },
			want: []string{"number of entries", "--max-chart-files"}},
		{name: "many empty files, default limits", lim: limits.Limits{},
			data: func(t testing.TB) []byte { return manyFiles(t, limits.DefaultChartFiles) },
			want: []string{"number of entries", "--max-chart-files"}},
		{name: "long PAX name", lim: small,
			data: func(t testing.TB) []byte { return longName(t, 300) },
			want: []string{"path length", "--max-chart-name-bytes"}},
		{name: "long PAX name, default limits", lim: limits.Limits{},
			data: func(t testing.TB) []byte { return longName(t, 64<<10) },
			want: []string{"path length", "--max-chart-name-bytes"}},
		{name: "PAX record flood", lim: small,
			// 20 * 512 KiB of headers before empty files.
			data: func(t testing.TB) []byte { return paxFlood(t, 20, 512<<10) },
			want: []string{"decompressed size", "--max-chart-bytes"}},
		{name: "values.yaml alias bomb", lim: limits.Limits{},
			data: func(t testing.TB) []byte { return valuesBomb(t, false) },
			want: []string{"values.yaml after YAML alias expansion", "--max-expanded-yaml-bytes"}},
		{name: "subchart values.yaml alias bomb", lim: limits.Limits{},
			data: func(t testing.TB) []byte { return valuesBomb(t, true) },
			want: []string{"charts/sub/values.yaml after YAML alias expansion", "--max-expanded-yaml-bytes"}},
		{name: "alias bomb in a nested package", lim: limits.Limits{},
			data: func(t testing.TB) []byte {
				return tgz(t, chartYAML("outer"), tarEntry{name: "outer/charts/bomb.tgz", data: valuesBomb(t, false)})
			},
			want: []string{"charts/bomb.tgz > values.yaml after YAML alias expansion", "--max-expanded-yaml-bytes"}},
		{name: "large values.yaml", lim: small,
			data: func(t testing.TB) []byte {
				return tgz(t, chartYAML("v"), tarEntry{name: "v/values.yaml", data: bytes.Repeat([]byte("# comment\n"), 8<<10)})
			},
			want: []string{"values.yaml size", "--max-expanded-yaml-bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "bomb.tgz"), tt.data(t))
			l := NewLoader(dir, tt.lim)
			pkg, err := l.Load("bomb.tgz")
			if err == nil {
				t.Fatalf("Load succeeded with chart %q", pkg.Chart.Name())
			}
			if !errors.Is(err, limits.ErrExceeded) {
				t.Errorf("error does not wrap limits.ErrExceeded: %v", err)
			}
			for _, want := range append(tt.want, `"bomb.tgz"`) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if n := l.helmLoads.Load(); n != 0 {
				t.Errorf("Helm's loader ran %d times on a refused package", n)
			}
		})
	}
}

// TestNestedBombMemory checks that refusing a bomb costs memory in
// proportion to the limit, not to what the bomb expands to.
func TestNestedBombMemory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bomb.tgz"), nestedBomb(t, 4, 8, 1<<20)) // 4 GiB expanded
	lim := limits.Limits{ChartBytes: 16 << 20}
	l := NewLoader(dir, lim)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := l.Load("bomb.tgz")
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, limits.ErrExceeded) {
		t.Fatalf("Load = %v, want a limit error", err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("4 GiB nested bomb refused at a 16 MiB limit in %v, %.1f MiB allocated in total", elapsed, float64(allocated)/(1<<20))
	if allocated > uint64(2*lim.ChartBytes) {
		t.Fatalf("refusing the bomb allocated %d bytes, more than twice the %d-byte limit", allocated, lim.ChartBytes)
	}
}

func TestLoadDirRefusesBombs(t *testing.T) {
	lim := limits.Limits{ChartBytes: 1 << 20, ChartFiles: 100, ChartNameBytes: 128}
	tests := []struct {
		name  string
		files map[string][]byte
		want  []string
	}{
		{name: "many empty files", files: func() map[string][]byte {
			m := map[string][]byte{}
			for i := range 150 {
				m[filepath.Join("files", strings.Repeat("f", 3)+string(rune('a'+i%26))+strings.Repeat("x", i/26))] = nil
			}
			return m
		}(), want: []string{"number of entries", "--max-chart-files"}},
		{name: "values alias bomb", files: map[string][]byte{"values.yaml": aliasBomb(9)},
			want: []string{"values.yaml after YAML alias expansion"}},
		{name: "large file", files: map[string][]byte{"templates/big.yaml": make([]byte, 2<<20)},
			want: []string{"decompressed size", "--max-chart-bytes"}},
		{name: "nested bomb package", files: map[string][]byte{"charts/bomb.tgz": nestedBomb(t, 3, 8, 64<<10)},
			want: []string{"decompressed size", "--max-chart-bytes"}},
		{name: "long name", files: map[string][]byte{strings.Repeat("d", 100) + "/" + strings.Repeat("f", 100): nil},
			want: []string{"path length", "--max-chart-name-bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			chart := filepath.Join(dir, "chart")
			writeFile(t, filepath.Join(chart, "Chart.yaml"), []byte("apiVersion: v2\nname: chart\nversion: 1.0.0\n"))
			for name, data := range tt.files {
				writeFile(t, filepath.Join(chart, name), data)
			}
			l := NewLoader(dir, lim)
			_, err := l.Load("chart")
			if !errors.Is(err, limits.ErrExceeded) {
				t.Fatalf("Load = %v, want a limit error", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if n := l.helmLoads.Load(); n != 0 {
				t.Errorf("Helm's loader ran %d times on a refused directory", n)
			}
		})
	}
}

func TestDirSymlinkLoopRefused(t *testing.T) {
	dir := t.TempDir()
	chart := filepath.Join(dir, "chart")
	writeFile(t, filepath.Join(chart, "Chart.yaml"), []byte("apiVersion: v2\nname: chart\nversion: 1.0.0\n"))
	mustSymlink(t, ".", filepath.Join(chart, "loop"))
	l := NewLoader(dir, limits.Limits{ChartNameBytes: 64})
	// Refused by whichever comes first: the path length or the kernel's
	// symlink depth; what matters is that the walk ends before Helm's.
	if _, err := l.Load("chart"); err == nil {
		t.Fatal("Load of a chart with a symlink loop succeeded")
	} else if !errors.Is(err, limits.ErrExceeded) {
		t.Fatalf("Load of a chart with a symlink loop = %v, want a limit error", err)
	}
	if n := l.helmLoads.Load(); n != 0 {
		t.Errorf("Helm's loader ran %d times", n)
	}
}

func TestClassify(t *testing.T) {
	tests := map[string]kind{
		"Chart.yaml":                         yamlFile,
		"values.yaml":                        yamlFile,
		"Chart.lock":                         yamlFile,
		"requirements.yaml":                  yamlFile,
		"requirements.lock":                  yamlFile,
		"templates/values.yaml":              plainFile,
		"files/Chart.yaml":                   plainFile,
		"values.schema.json":                 plainFile,
		"charts/sub/values.yaml":             yamlFile,
		"charts/sub/charts/x/Chart.yaml":     yamlFile,
		"charts/sub/templates/values.yaml":   plainFile,
		"charts/sub.tgz":                     nestedPackage,
		"charts/sub/charts/deeper-1.0.0.tgz": nestedPackage,
		"charts/sub.tgz.prov":                plainFile,
		"charts/_skipped.tgz":                plainFile,
		"charts/.hidden/values.yaml":         plainFile,
		"charts/sub.tar":                     plainFile,
		"charts/sub.tgz/values.yaml":         yamlFile,
		"charts/values.yaml":                 plainFile,
	}
	for name, want := range tests {
		if got := classify(name); got != want {
			t.Errorf("classify(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestArchivePath(t *testing.T) {
	tests := map[string]string{
		"chart/Chart.yaml":           "Chart.yaml",
		"chart/charts/a/values.yaml": "charts/a/values.yaml",
		`chart\charts\a.tgz`:         "charts/a.tgz",
		"chart/./templates//x.yaml":  "templates/x.yaml",
		"Chart.yaml":                 ".",
	}
	for in, want := range tests {
		if got := archivePath(in); got != want {
			t.Errorf("archivePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, path, data)
}
