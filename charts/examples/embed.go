// Package examples embeds the example charts that stand in for the seed's
// components in `hotplug dev` (logseer, logagent, kubecube-monitoring and
// thanos) and packages them as the .tgz files the seed's pkgName fields name.
// The chart sources are the directories beside this file.
package examples

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// all: keeps files such as _helpers.tpl that plain patterns would skip.
//
//go:embed all:logseer all:logagent all:kubecube-monitoring all:thanos
var sources embed.FS

// Package names one example chart and the file the seed expects it in.
type Package struct {
	// Dir is the chart's directory under charts/examples.
	Dir string
	// File is the package's file name, as the seed's pkgName says it.
	File string
}

// Packages lists the example charts with the seed's package file names.
// The names differ from Helm's <name>-<version>.tgz (logseer-v1.0.0.tgz)
// because the seed's Hotplug objects name them so.
var Packages = []Package{
	{Dir: "logseer", File: "logseer-v1.0.0.tgz"},
	{Dir: "logagent", File: "logagent-v1.0.0.tgz"},
	{Dir: "kubecube-monitoring", File: "kubecube-monitoring-15.4.7.tgz"},
	{Dir: "thanos", File: "thanos-3.18.0.tgz"},
}

// Load reads the embedded chart in dir with Helm's loader, so it is
// validated as `helm package` would.
func Load(dir string) (*chartv2.Chart, error) {
	var files []*archive.BufferedFile
	err := fs.WalkDir(sources, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := sources.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, &archive.BufferedFile{Name: path.Clean(p[len(dir)+1:]), Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading example chart %s: %w", dir, err)
	}
	ch, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("loading example chart %s: %w", dir, err)
	}
	return ch, nil
}

// WriteAll packages every example chart into dstDir under its seed file
// name and returns the paths written. Existing files are replaced, so a
// state directory reused across runs gets the charts of this binary.
func WriteAll(dstDir string) ([]string, error) {
	if err := os.MkdirAll(dstDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating chart directory: %w", err)
	}
	var out []string
	for _, p := range Packages {
		written, err := write(p, dstDir)
		if err != nil {
			return out, err
		}
		out = append(out, written)
	}
	return out, nil
}

// write saves one chart with chartutil.Save (which names the file
// <name>-<version>.tgz) in a scratch directory, then renames it to the seed's
// file name, so readers never see a half-written package.
func write(p Package, dstDir string) (string, error) {
	ch, err := Load(p.Dir)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dstDir, ".package-")
	if err != nil {
		return "", fmt.Errorf("packaging %s: %w", p.Dir, err)
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	saved, err := chartutil.Save(ch, tmp)
	if err != nil {
		return "", fmt.Errorf("packaging %s: %w", p.Dir, err)
	}
	dst := filepath.Join(dstDir, p.File)
	if err := os.Rename(saved, dst); err != nil {
		return "", fmt.Errorf("packaging %s: %w", p.Dir, err)
	}
	return dst, nil
}
