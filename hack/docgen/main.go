// Command docgen writes the generated reference pages: docs/cli.md from the
// cobra command tree and docs/configuration.md from the CRDs in
// config/crd/bases. `make docs` runs it; `make verify` runs it and fails when
// the committed pages differ, so the pages cannot drift from the code.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kubecube-io/hotplug/internal/cli"
)

// crdFiles are the CRDs configuration.md documents, in the page's order.
var crdFiles = []string{
	"config/crd/bases/hotplug.kubecube.io_hotplugs.yaml",
	"config/crd/bases/cluster.kubecube.io_clusters.yaml",
}

func main() {
	out := flag.String("out", "docs", "directory the pages are written to")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "docgen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	cliPage, err := cliMarkdown(cli.NewRoot())
	if err != nil {
		return err
	}
	crds := make([]crdSource, 0, len(crdFiles))
	for _, f := range crdFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		crds = append(crds, crdSource{Path: f, YAML: data})
	}
	keys, err := annotationKeys(annotationsDir)
	if err != nil {
		return err
	}
	configPage, err := configurationMarkdown(crds, keys)
	if err != nil {
		return err
	}
	for name, text := range map[string]string{"cli.md": cliPage, "configuration.md": configPage} {
		if err := os.WriteFile(filepath.Join(out, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}
