package hub

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

func hp(name string, comps ...hotplugv1.ComponentSpec) *hotplugv1.Hotplug {
	return &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: hotplugv1.HotplugSpec{Component: comps}}
}

func TestValidate(t *testing.T) {
	fleet := Fleet{Clusters: []string{"pivot-cluster", "member-1"}, Own: map[string]*hotplugv1.Hotplug{}}
	cases := []struct {
		name string
		obj  *hotplugv1.Hotplug
		want []string // substrings; none means valid
	}{
		{"common is valid", hp("common", hotplugv1.ComponentSpec{Name: "logagent", Status: "enabled", PkgName: "logagent-1.0.0.tgz", Env: "clustername: \"{{.cluster}}\"\n"}), nil},
		{"a registered cluster", hp("member-1", hotplugv1.ComponentSpec{Name: "logseer", Status: "enabled"}), nil},
		{"unknown cluster", hp("ghost"), []string{`hotplug "ghost"`, "metadata.name", "no Cluster"}},
		{"duplicate component", hp("common", hotplugv1.ComponentSpec{Name: "a"}, hotplugv1.ComponentSpec{Name: "a"}), []string{`component "a"`, "name", "more than once"}},
		{"bad status", hp("common", hotplugv1.ComponentSpec{Name: "a", Status: "Enabled"}), []string{`component "a"`, "spec.component[0].status"}},
		{"env is a list", hp("member-1", hotplugv1.ComponentSpec{Name: "a", Env: "- x\n"}), []string{`hotplug "member-1"`, `component "a"`, "env"}},
		{"template escape", hp("common", hotplugv1.ComponentSpec{Name: "a", Env: "x: {{ env \"HOME\" }}\n"}), []string{`component "a"`, "env"}},
		{"pkgName traversal", hp("common", hotplugv1.ComponentSpec{Name: "a", PkgName: "../../../etc/shadow"}), []string{`hotplug "common"`, `component "a"`, "pkgName"}},
		{"pkgName absolute", hp("member-1", hotplugv1.ComponentSpec{Name: "a", PkgName: "/etc/shadow"}), []string{`hotplug "member-1"`, `component "a"`, "pkgName"}},
		{"pkgName NUL", hp("common", hotplugv1.ComponentSpec{Name: "a", PkgName: "a\x00.tgz"}), []string{`component "a"`, "pkgName"}},
		{"multi-document env", hp("common", hotplugv1.ComponentSpec{Name: "a", Env: "---\n---\nreplicas: 3\n"}), []string{`component "a"`, "env", "more than one YAML document"}},
		{"every problem reported", hp("ghost", hotplugv1.ComponentSpec{Name: "a", Status: "on"}, hotplugv1.ComponentSpec{Name: "b", Env: "[x"}),
			[]string{"metadata.name", "spec.component[0].status", `component "b"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkVerdict(t, Validate(context.Background(), limits.Default(), tc.obj, fleet), tc.want)
		})
	}
	t.Run("common renders with no cluster registered", func(t *testing.T) {
		if err := Validate(context.Background(), limits.Default(), hp("common", hotplugv1.ComponentSpec{Name: "a", Env: "x: {{ .nope }}\n"}), Fleet{}); err == nil {
			t.Error("accepted a missing key with no cluster registered")
		}
	})
	t.Run("a cluster's own pkgName over common's is still checked in common", func(t *testing.T) {
		f := Fleet{Clusters: []string{"member-1"}, Own: map[string]*hotplugv1.Hotplug{
			"member-1": hp("member-1", hotplugv1.ComponentSpec{Name: "a", PkgName: "a-1.0.0.tgz"})}}
		err := Validate(context.Background(), limits.Default(), hp("common", hotplugv1.ComponentSpec{Name: "a", PkgName: "../x.tgz"}), f)
		if err == nil || !strings.Contains(err.Error(), "pkgName") {
			t.Errorf("got %v, want a pkgName error", err)
		}
	})
	t.Run("faults of other objects are not common's", func(t *testing.T) {
		f := Fleet{Clusters: []string{"member-1"}, Own: map[string]*hotplugv1.Hotplug{
			"member-1": hp("member-1", hotplugv1.ComponentSpec{Name: "a", PkgName: "/abs.tgz"})}}
		if err := Validate(context.Background(), limits.Default(), hp("common", hotplugv1.ComponentSpec{Name: "a", Status: "enabled"}), f); err != nil {
			t.Errorf("common refused for member-1's fault: %v", err)
		}
	})
	t.Run("a cluster's Hotplug is merged with the current common", func(t *testing.T) {
		// Each env renders on its own; the merged values are checked against
		// the values limit, so a small limit that only the union exceeds
		// shows the merge ran with common.
		f := Fleet{Clusters: []string{"member-1"}, Common: hp("common", hotplugv1.ComponentSpec{Name: "a", Env: "x: " + strings.Repeat("c", 600) + "\n"})}
		own := hp("member-1", hotplugv1.ComponentSpec{Name: "a", Env: "y: " + strings.Repeat("o", 600) + "\n"})
		lim := limits.Limits{ValuesBytes: 1000}
		if err := Validate(context.Background(), lim, own, Fleet{Clusters: f.Clusters}); err != nil {
			t.Fatalf("own alone refused: %v", err)
		}
		err := Validate(context.Background(), lim, own, f)
		if err == nil || !strings.Contains(err.Error(), limits.FlagValuesBytes) {
			t.Fatalf("own merged with common over the values limit: %v, want a refusal naming --%s", err, limits.FlagValuesBytes)
		}
	})
	t.Run("a cancelled context refuses", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		names := make([]string, 50)
		for i := range names {
			names[i] = fmt.Sprintf("member-%d", i)
		}
		err := Validate(ctx, limits.Default(), hp("common", hotplugv1.ComponentSpec{Name: "a", Env: "x: 1\n"}), Fleet{Clusters: names, Workers: 1})
		if err == nil || !strings.Contains(err.Error(), "did not finish") {
			t.Errorf("got %v, want a refusal for an unfinished validation", err)
		}
	})
}

// TestValidateCommon100Clusters validates a `common` with templated envs
// against 100 registered clusters, each with its own Hotplug, as the
// webhook does, and reports how long it took. A fault of one cluster's
// rendering is reported with that cluster.
func TestValidateCommon100Clusters(t *testing.T) {
	fleet := Fleet{Own: map[string]*hotplugv1.Hotplug{}}
	for i := range 100 {
		name := fmt.Sprintf("member-%03d", i)
		fleet.Clusters = append(fleet.Clusters, name)
		fleet.Own[name] = hp(name, hotplugv1.ComponentSpec{Name: "logagent", Env: "resources:\n  limits:\n    cpu: 200m\n"},
			hotplugv1.ComponentSpec{Name: "thanos", Status: "enabled", PkgName: "thanos-3.18.0.tgz"})
	}
	var comps []hotplugv1.ComponentSpec
	for i := range 10 {
		comps = append(comps, hotplugv1.ComponentSpec{Name: fmt.Sprintf("comp-%d", i), Status: "enabled", PkgName: fmt.Sprintf("comp-%d-1.0.0.tgz", i),
			Env: "cluster: \"{{.cluster}}\"\nimage:\n  repository: registry.example/{{.cluster}}/app\n  tag: v1\nlist: [a, b, c]\n" + strings.Repeat("k: v\n", 1)})
	}
	common := hp("common", comps...)
	ctx, cancel := context.WithTimeout(context.Background(), DefaultValidationTimeout)
	defer cancel()
	start := time.Now()
	if err := Validate(ctx, limits.Default(), common, fleet); err != nil {
		t.Fatalf("refused: %v", err)
	}
	took := time.Since(start)
	t.Logf("validation of common (10 components) for 100 clusters took %s (timeout %s)", took.Round(time.Microsecond), DefaultValidationTimeout)

	bad := hp("common", hotplugv1.ComponentSpec{Name: "x", Env: "a: {{ if eq .cluster \"member-042\" }}{{ .nope }}{{ end }}1\n"})
	err := Validate(ctx, limits.Default(), bad, fleet)
	if err == nil || !strings.Contains(err.Error(), "member-042") || !strings.Contains(err.Error(), `component "x"`) {
		t.Errorf("got %v, want a refusal naming component x and cluster member-042", err)
	}
}
