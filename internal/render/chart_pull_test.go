package render

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kubecube-io/hotplug/internal/chartfetch"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/chartsource"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/testregistry"
)

// TestRenderPullsChartSource: with a puller, `hotplug render --manifests`
// pulls a chart by source from a real registry (the agent's code) and
// renders it with the component's values.
func TestRenderPullsChartSource(t *testing.T) {
	reg := testregistry.Start(t)
	reg.Push(t, "configmap", "logagent", "1.0.1")
	in := `apiVersion: hotplug.kubecube.io/v1
kind: Hotplug
metadata: {name: common}
spec:
  component:
  - name: logagent
    namespace: logs
    status: enabled
    chart:
      repository: ` + reg.Repository() + `
      name: logagent
      version: 1.0.1
`
	v := effectiveOfC1(t, in)
	puller := &chartsource.Puller{Cache: &chartsource.Cache{Dir: t.TempDir()}}
	charts := chartfetch.New(chartpkg.NewLoader(t.TempDir(), limits.Default()), puller,
		chartfetch.StaticLogin{Creds: chartsource.Credentials{Username: testregistry.Username, Password: testregistry.Password, CAPEM: reg.CA.PEM}}, limits.Default(), "test")
	var out bytes.Buffer
	if err := v.WriteManifestsWith(context.Background(), &out, t.TempDir(), charts); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# hotplug component: logagent (namespace logs, package " + reg.Repository() + "/logagent:1.0.1)", "kind: ConfigMap"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("manifests lack %q:\n%s", want, out.String())
		}
	}
}
