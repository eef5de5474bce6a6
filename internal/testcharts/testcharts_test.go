package testcharts

import (
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

func TestPackageOverridesNameAndVersion(t *testing.T) {
	for _, src := range []string{"configmap", "webapp", "withcrd", "badtemplate", "schema", "operator", "crduser"} {
		t.Run(src, func(t *testing.T) {
			dst := t.TempDir()
			got := Package(t, src, dst, "logagent", "1.1.0", "logagent-v1.1.0.tgz")
			if got != "logagent-v1.1.0.tgz" {
				t.Fatalf("file = %q", got)
			}
			ch, err := loader.LoadFile(filepath.Join(dst, got))
			if err != nil {
				t.Fatal(err)
			}
			if ch.Name() != "logagent" || ch.Metadata.Version != "1.1.0" {
				t.Fatalf("chart = %s %s", ch.Name(), ch.Metadata.Version)
			}
			entries, _ := os.ReadDir(dst)
			if len(entries) != 1 {
				t.Fatalf("dstDir holds %d entries, want 1", len(entries))
			}
		})
	}
}

func TestPackageDefaultFileName(t *testing.T) {
	if got := Package(t, "configmap", t.TempDir(), "cm", "0.2.0", ""); got != "cm-0.2.0.tgz" {
		t.Fatalf("file = %q", got)
	}
}
