// Package testcharts gives tests access to the chart directories under
// test/charts and packages them, under any name and version, as .tgz files.
package testcharts

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
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
	return PackageValues(t, src, dstDir, name, version, file, "")
}

// PackageValues is Package with the chart's default values (values.yaml)
// replaced by values when it is not empty: one source chart can then stand
// for a version whose defaults differ (a bad release of a chart, say).
func PackageValues(t testing.TB, src, dstDir, name, version, file, values string) string {
	t.Helper()
	ch, err := loader.LoadDir(filepath.Join(Dir(), src))
	if err != nil {
		t.Fatalf("testcharts: load %q: %v", src, err)
	}
	if values != "" {
		for _, f := range ch.Raw {
			if f.Name == chartutil.ValuesfileName {
				f.Data = []byte(values)
			}
		}
		if ch.Values, err = chartcommon.ReadValues([]byte(values)); err != nil {
			t.Fatalf("testcharts: values of %s %s: %v", name, version, err)
		}
	}
	ch.Metadata.Name = name
	ch.Metadata.Version = version
	if file == "" {
		file = name + "-" + version + ".tgz"
	}
	return save(t, ch, dstDir, file)
}

// Template writes a chart named name, version 1.0.0, whose one template is
// tpl, as <name>-1.0.0.tgz into dstDir and returns that file name.
func Template(t testing.TB, dstDir, name, tpl string) string {
	t.Helper()
	ch := &chartv2.Chart{
		Metadata:  &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: name, Version: "1.0.0"},
		Templates: []*chartcommon.File{{Name: "templates/t.yaml", Data: []byte(tpl)}},
	}
	return save(t, ch, dstDir, name+"-1.0.0.tgz")
}

// save writes ch as dstDir/file.
func save(t testing.TB, ch *chartv2.Chart, dstDir, file string) string {
	t.Helper()
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
		t.Fatalf("testcharts: save %s %s: %v", ch.Name(), ch.Metadata.Version, err)
	}
	if err := os.Rename(written, filepath.Join(dstDir, file)); err != nil {
		t.Fatalf("testcharts: %v", err)
	}
	return file
}
