// Package testcharts gives tests access to the chart directories under
// test/charts and packages them, under any name and version, as .tgz files.
package testcharts

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// Dir returns the absolute path of test/charts (found relative to this source
// file via runtime.Caller).
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("testcharts: cannot locate source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "test", "charts")
}

// Package writes the chart directory test/charts/<src> as a .tgz into dstDir,
// with its name and version overridden (so one source chart can stand in for
// logagent v1.0.0 and v1.1.0, etc.), and returns the file name written, which
// is file (a base name, e.g. "logagent-v1.0.0.tgz"), or "<name>-<version>.tgz"
// when file is empty. It fails the test on any error.
func Package(t testing.TB, src, dstDir, name, version, file string) string {
	t.Helper()
	ch, err := loader.LoadDir(filepath.Join(Dir(), src))
	if err != nil {
		t.Fatalf("testcharts: load %q: %v", src, err)
	}
	ch.Metadata.Name = name
	ch.Metadata.Version = version
	if file == "" {
		file = name + "-" + version + ".tgz"
	}
	if filepath.Base(file) != file {
		t.Fatalf("testcharts: file %q must be a base name", file)
	}
	tmp, err := os.MkdirTemp(dstDir, ".testcharts-")
	if err != nil {
		t.Fatalf("testcharts: %v", err)
	}
	defer os.RemoveAll(tmp)
	written, err := chartutil.Save(ch, tmp)
	if err != nil {
		t.Fatalf("testcharts: save %q as %s %s: %v", src, name, version, err)
	}
	if err := os.Rename(written, filepath.Join(dstDir, file)); err != nil {
		t.Fatalf("testcharts: %v", err)
	}
	return file
}
