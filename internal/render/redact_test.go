package render_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubecube-io/hotplug/internal/testcharts"
)

// TestRenderFailureRedacted: `hotplug render --manifests` of a chart whose
// template fails quoting a value says which component failed, never the
// value.
func TestRenderFailureRedacted(t *testing.T) {
	dir := t.TempDir()
	testcharts.Template(t, dir, "failing", `{{ fail (printf "bad password %s" .Values.password) }}`)
	file := filepath.Join(t.TempDir(), "common.yaml")
	hp := `apiVersion: hotplug.kubecube.io/v1
kind: Hotplug
metadata:
  name: common
spec:
  component:
  - name: failing
    namespace: failing
    pkgName: failing-1.0.0.tgz
    status: enabled
    env: |
      password: hunter2
`
	if err := os.WriteFile(file, []byte(hp), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "render", "--cluster", "c1", "-f", file, "--manifests", "--chart-dir", dir)
	if code == 0 || strings.Contains(errOut, "hunter2") || !strings.Contains(errOut, "bad password <redacted>") {
		t.Errorf("exit %d, stderr: %s", code, errOut)
	}
}
