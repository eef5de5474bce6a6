package chartset

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/manifest"
)

// TestLightSetHasTheMonitoringShape packages the sets, loads the light one
// through the agent's own loader (within the default limits) and checks
// that it has the shape the bench claims: a dozen CRDs of about 28 KB,
// about 170 objects in the monitoring chart with subcharts and a hook,
// about 190 in all.
func TestLightSetHasTheMonitoringShape(t *testing.T) {
	dir := t.TempDir()
	if _, err := Write(dir); err != nil {
		t.Fatal(err)
	}
	loader := chartpkg.NewLoader(dir, limits.Limits{})
	total := 0
	for _, c := range Light.Components() {
		pkg, err := loader.Load(c.Pkg)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Render(context.Background(), pkg.Chart, c.Name, c.Namespace, Values(1))
		if err != nil {
			t.Fatal(err)
		}
		objs, err := manifest.Parse([]byte(r.Manifest))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		total += len(objs)
		hooks := strings.Count(r.Manifest, "helm.sh/hook:")
		t.Logf("%s: %d objects, %d hooks, %d CRDs", c.Name, len(objs), hooks, len(r.CRDs))
		switch c.Name {
		case "monitoring":
			size := 0
			for _, crd := range r.CRDs {
				size += len(crd)
			}
			if len(r.CRDs) != 12 || size < 300<<10 {
				t.Errorf("monitoring: %d CRDs of %d bytes, want 12 of at least 300 KiB", len(r.CRDs), size)
			}
			if len(objs) < 160 || len(objs) > 185 || hooks != 1 || len(pkg.Chart.Dependencies()) != 3 {
				t.Errorf("monitoring: %d objects, %d hooks, %d subcharts; want about 170, 1, 3", len(objs), hooks, len(pkg.Chart.Dependencies()))
			}
		case "logseer":
			if hooks != 1 {
				t.Errorf("logseer: %d hooks, want 1", hooks)
			}
		}
	}
	if total < 180 || total > 210 {
		t.Errorf("%d objects in the set, want about 190", total)
	}
	if _, err := os.Stat(filepath.Join(dir, Light.Components()[0].Pkg)); err != nil {
		t.Error(err)
	}
}

// unpackedBytes is the sum of the sizes of a chart package's files,
// subcharts included: what `tar xzf` writes.
func unpackedBytes(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return 0, err
	}
	tr := tar.NewReader(zr)
	var n int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		n += h.Size
	}
}
