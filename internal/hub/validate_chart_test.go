package hub

import (
	"context"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// TestValidateChart: the webhook refuses a bad chart, or pkgName and chart
// together, naming object, component and field path; a cluster's Hotplug
// that sets only part of a chart (a version, a mirror) is admitted when
// merged with common's.
func TestValidateChart(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	chart := func(name string, ch hotplugv1.ChartSource) hotplugv1.ComponentSpec {
		return hotplugv1.ComponentSpec{Name: name, Status: hotplugv1.StatusEnabled, Chart: &ch}
	}
	harbor := hotplugv1.ChartSource{Repository: "oci://harbor.example.com/charts", Name: "logagent", Version: "1.0.1"}
	pinned := harbor
	pinned.Digest = digest
	fleet := Fleet{Clusters: []string{"member-1"}, Common: hp("common", chart("logagent", pinned)), Own: map[string]*hotplugv1.Hotplug{}}
	for _, tc := range []struct {
		name string
		obj  *hotplugv1.Hotplug
		want []string
	}{
		{"good in common", hp("common", chart("logagent", harbor)), nil},
		{"a cluster moves to a mirror", hp("member-1", chart("logagent", hotplugv1.ChartSource{Repository: "oci://mirror.example.com/charts"})), nil},
		{"a cluster pins another digest", hp("member-1", chart("logagent", hotplugv1.ChartSource{Digest: digest})), nil},
		{"a cluster's version under common's digest", hp("member-1", chart("logagent", hotplugv1.ChartSource{Version: "1.0.2"})),
			[]string{`hotplug "member-1": component "logagent": spec.component[0].chart.version: invalid value: chart.version is set here but chart.digest comes from "common"`}},
		{"both pkgName and chart", hp("common", hotplugv1.ComponentSpec{Name: "logagent", Status: "enabled", PkgName: "logagent-1.0.0.tgz", Chart: &harbor}),
			[]string{`hotplug "common": component "logagent": spec.component[0].chart: invalid value: pkgName and chart are both set`}},
		{"file scheme", hp("common", chart("logagent", hotplugv1.ChartSource{Repository: "file:///etc", Name: "a", Version: "1.0.0"})),
			[]string{`spec.component[0].chart.repository: invalid value: "file:///etc": the repository must start with oci://, https:// or http://`}},
		{"path traversal", hp("member-1", chart("logagent", hotplugv1.ChartSource{Repository: "https://charts.example.com/a/../../b"})),
			[]string{`hotplug "member-1": component "logagent": spec.component[0].chart.repository: invalid value: the repository's path has a ".." segment`}},
		{"incomplete in common", hp("common", chart("logagent", hotplugv1.ChartSource{Version: "1.0.0"})),
			[]string{`hotplug "common": component "logagent": spec.component[0].chart.repository: invalid value: incomplete chart`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkVerdict(t, Validate(context.Background(), limits.Default(), tc.obj, fleet), tc.want)
		})
	}
}
