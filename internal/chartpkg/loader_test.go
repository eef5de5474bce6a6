package chartpkg

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"

	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/testcharts"
)

var testChartNames = []string{"badtemplate", "configmap", "schema", "umbrella", "webapp", "withcrd"}

// TestLoadSameAsHelm checks that the bounded loader yields what Helm's own
// loader yields for real charts, packaged and as directories: same digest,
// and Package.Digest equal to Digest of the chart.
func TestLoadSameAsHelm(t *testing.T) {
	dir := t.TempDir()
	values := map[string]any{"replicaCount": 2, "sub": map[string]any{"enabled": true}}
	for _, name := range testChartNames {
		pkgFile := testcharts.Package(t, name, dir, name, "1.2.3", "")
		copyDir(t, filepath.Join(testcharts.Dir(), name), filepath.Join(dir, name+"-dir"))
		for pkgName, helmLoad := range map[string]func(string) (*chartv2.Chart, error){
			pkgFile: loader.LoadFile, name + "-dir": loader.LoadDir,
		} {
			t.Run(pkgName, func(t *testing.T) {
				want, err := helmLoad(filepath.Join(dir, pkgName))
				if err != nil {
					t.Fatal(err)
				}
				old, err := Load(dir, pkgName)
				if err != nil {
					t.Fatal(err)
				}
				pkg, err := NewLoader(dir, limits.Limits{}).Load(pkgName)
				if err != nil {
					t.Fatal(err)
				}
				wantDigest := Digest(want, values)
				for what, got := range map[string]string{
					"Load":            Digest(old, values),
					"Loader.Load":     Digest(pkg.Chart, values),
					"Package.Digest":  pkg.Digest(values),
					"Package.Digest2": pkg.Digest(values),
				} {
					if got != wantDigest {
						t.Errorf("%s digest = %s, Helm's loader gives %s", what, got, wantDigest)
					}
				}
				if pkg.Digest(nil) != Digest(want, nil) || pkg.Digest(nil) == wantDigest {
					t.Errorf("Package.Digest ignores its values")
				}
			})
		}
	}
}

func TestLoaderCache(t *testing.T) {
	dir := t.TempDir()
	testcharts.Package(t, "configmap", dir, "app", "1.0.0", "app.tgz")
	copyDir(t, filepath.Join(testcharts.Dir(), "umbrella"), filepath.Join(dir, "appdir"))
	l := NewLoader(dir, limits.Limits{})

	mustLoad := func(pkgName string) *Package {
		t.Helper()
		pkg, err := l.Load(pkgName)
		if err != nil {
			t.Fatal(err)
		}
		return pkg
	}
	expectLoads := func(step string, want int64) {
		t.Helper()
		if got := l.helmLoads.Load(); got != want {
			t.Fatalf("%s: Helm's loader ran %d times, want %d", step, got, want)
		}
	}

	first := mustLoad("app.tgz")
	second := mustLoad("app.tgz")
	expectLoads("same file twice", 1)
	if n := l.fileReads.Load(); n != 1 {
		t.Fatalf("an unchanged package file was read and hashed %d times, want once", n)
	}
	if first.Key != second.Key || first.Digest(nil) != second.Digest(nil) {
		t.Fatalf("cached package differs: %s vs %s", first.Key, second.Key)
	}
	if first.Chart == second.Chart {
		t.Fatal("two loads share one *Chart")
	}

	// A changed file is loaded again, even at the same size and time.
	info, err := os.Stat(filepath.Join(dir, "app.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	testcharts.Package(t, "configmap", dir, "app", "1.0.1", "app.tgz")
	if err := os.Chtimes(filepath.Join(dir, "app.tgz"), info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	changed := mustLoad("app.tgz")
	expectLoads("changed file", 2)
	if changed.Chart.Metadata.Version != "1.0.1" || changed.Key == first.Key {
		t.Fatalf("changed file gave version %s, key %s", changed.Chart.Metadata.Version, changed.Key)
	}
	mustLoad("app.tgz")
	expectLoads("changed file again", 2)
	if n := l.fileReads.Load(); n != 2 {
		t.Fatalf("package file read %d times after one change, want 2", n)
	}
	// Rewritten with the same bytes: read and hashed again, not parsed.
	data, err := os.ReadFile(filepath.Join(dir, "app.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "app.tgz"), data)
	mustLoad("app.tgz")
	expectLoads("same bytes rewritten", 2)
	if n := l.fileReads.Load(); n != 3 {
		t.Fatalf("package file read %d times after a rewrite, want 3", n)
	}

	// A refused package is not scanned into Helm, and stays refused.
	writeFile(t, filepath.Join(dir, "bad.tgz"), []byte("not a package"))
	for range 2 {
		if _, err := l.Load("bad.tgz"); err == nil {
			t.Fatal("corrupt package loaded")
		}
	}
	expectLoads("corrupt package", 2)

	// Directories: a stat walk decides.
	mustLoad("appdir")
	mustLoad("appdir")
	expectLoads("same directory twice", 3)
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(dir, "appdir", "values.yaml"), later, later); err != nil {
		t.Fatal(err)
	}
	mustLoad("appdir")
	expectLoads("touched directory", 4)
}

// TestLoaderCopiesAreIndependent checks that what Helm does to a loaded
// chart while installing does not reach the cache or other callers.
func TestLoaderCopiesAreIndependent(t *testing.T) {
	dir := t.TempDir()
	testcharts.Package(t, "umbrella", dir, "umbrella", "1.0.0", "u.tgz")
	l := NewLoader(dir, limits.Limits{})
	pkg, err := l.Load("u.tgz")
	if err != nil {
		t.Fatal(err)
	}
	before := Digest(pkg.Chart, nil)
	if len(pkg.Chart.Dependencies()) == 0 || len(pkg.Chart.Metadata.Dependencies) == 0 {
		t.Fatal("umbrella chart has no dependencies; this test shows nothing")
	}

	// What Helm's install does: drop disabled subcharts, rewrite values.
	disable := map[string]any{}
	for _, d := range pkg.Chart.Metadata.Dependencies {
		disable[d.Name] = map[string]any{"enabled": false}
		d.Condition = d.Name + ".enabled"
	}
	if err := chartutil.ProcessDependencies(pkg.Chart, disable); err != nil {
		t.Fatal(err)
	}
	if len(pkg.Chart.Dependencies()) != 0 {
		t.Fatal("Helm kept a disabled subchart; this test no longer shows the mutation")
	}
	pkg.Chart.Values["added"] = "x"
	pkg.Chart.Metadata.Version = "9.9.9"

	again, err := l.Load("u.tgz")
	if err != nil {
		t.Fatal(err)
	}
	if got := Digest(again.Chart, nil); got != before {
		t.Errorf("a caller's changes reached the cache: digest %s, was %s", got, before)
	}
	if pkg.Digest(nil) != before {
		t.Errorf("Package.Digest follows the caller's changes")
	}
	if l.helmLoads.Load() != 1 {
		t.Errorf("Helm's loader ran %d times", l.helmLoads.Load())
	}
}

func TestLoaderConcurrent(t *testing.T) {
	dir := t.TempDir()
	testcharts.Package(t, "webapp", dir, "a", "1.0.0", "a.tgz")
	testcharts.Package(t, "configmap", dir, "b", "1.0.0", "b.tgz")
	l := NewLoader(dir, limits.Limits{})
	var wg sync.WaitGroup
	digests := make([]string, 16)
	for i := range digests {
		wg.Go(func() {
			pkg, err := l.Load([]string{"a.tgz", "b.tgz"}[i%2])
			if err != nil {
				t.Error(err)
				return
			}
			pkg.Chart.Values["mine"] = i // each caller owns its copy
			digests[i] = pkg.Digest(nil)
		})
	}
	wg.Wait()
	for i := range digests {
		if digests[i] != digests[i%2] {
			t.Errorf("load %d digest %s, load %d gave %s", i, digests[i], i%2, digests[i%2])
		}
	}
	if n := l.helmLoads.Load(); n != 2 {
		t.Errorf("Helm's loader ran %d times for 2 packages", n)
	}
}

func TestLoaderKeepsPathSafety(t *testing.T) {
	dir, _ := layout(t)
	l := NewLoader(dir, limits.Limits{})
	for _, name := range []string{"../../etc/passwd", "/etc/passwd", "escape.tgz", "escapedir/chart", "evildir", ""} {
		if _, err := l.Load(name); err == nil {
			t.Errorf("Loader.Load(%q) succeeded", name)
		}
	}
	if _, err := l.Load("good-1.0.0.tgz"); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkLoadCold(b *testing.B) {
	dir := b.TempDir()
	testcharts.Package(b, "umbrella", dir, "u", "1.0.0", "u.tgz")
	for b.Loop() {
		if _, err := NewLoader(dir, limits.Limits{}).Load("u.tgz"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadCached(b *testing.B) {
	dir := b.TempDir()
	testcharts.Package(b, "umbrella", dir, "u", "1.0.0", "u.tgz")
	l := NewLoader(dir, limits.Limits{})
	values := map[string]any{"replicaCount": 3}
	for b.Loop() {
		pkg, err := l.Load("u.tgz")
		if err != nil {
			b.Fatal(err)
		}
		_ = pkg.Digest(values)
	}
}

// TestLoaderForget: a forgotten package is not held any more; loading it
// again reads and parses it afresh.
func TestLoaderForget(t *testing.T) {
	dir := t.TempDir()
	testcharts.Package(t, "configmap", dir, "app", "1.0.0", "app.tgz")
	l := NewLoader(dir, limits.Limits{})
	for range 2 {
		if _, err := l.Load("app.tgz"); err != nil {
			t.Fatal(err)
		}
	}
	l.Forget("app.tgz")
	if n := len(l.entries); n != 0 {
		t.Errorf("%d entries after Forget, want 0", n)
	}
	if _, err := l.Load("app.tgz"); err != nil {
		t.Fatal(err)
	}
	if got := l.helmLoads.Load(); got != 2 {
		t.Errorf("Helm's loader ran %d times, want 2 (once before Forget, once after)", got)
	}
}
