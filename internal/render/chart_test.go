package render

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kubecube-io/hotplug/internal/output"
)

// TestRenderChartSource: `hotplug render` shows a chart by source, says
// clearly that it cannot render it yet (and renders the others), and
// locates a bad chart field on its own line.
func TestRenderChartSource(t *testing.T) {
	const in = `apiVersion: hotplug.kubecube.io/v1
kind: Hotplug
metadata: {name: common}
spec:
  component:
  - name: logagent
    status: enabled
    chart:
      repository: oci://harbor.example.com/charts
      name: logagent
      version: 1.0.1
  - name: badchart
    status: enabled
    chart:
      name: x
      version: 1.0.0
      repository: file:///etc
`
	v := effectiveOfC1(t, in)
	if len(v.Problems) != 1 || v.Problems[0].Location != "common.yaml:17" || !strings.Contains(v.Problems[0].Message, "spec.component[1].chart.repository") {
		t.Errorf("problems %+v, want badchart's repository at common.yaml:17", v.Problems)
	}
	var table bytes.Buffer
	if err := v.WriteTable(&table, output.Styler{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "oci://harbor.example.com/charts/logagent@1.0.1") {
		t.Errorf("table lacks the chart:\n%s", table.String())
	}
	err := v.WriteManifests(context.Background(), &bytes.Buffer{}, t.TempDir())
	const want = "component logagent: chart sources (chart.repository) are not supported by hotplug render yet; use pkgName"
	if err == nil || err.Error() != want {
		t.Errorf("manifests: %v, want %q", err, want)
	}
}
