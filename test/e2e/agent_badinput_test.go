package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// TestAgentBadInput breaks one component at a time in every way the issue
// lists, all at once, and checks that each broken component reports what is
// wrong while its release keeps serving the last good values, and that a
// healthy component is still upgraded meanwhile.
func TestAgentBadInput(t *testing.T) {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "bad"})
	cfg := env.Cluster("bad").Config
	c := newClient(t, cfg)
	ctx := context.Background()
	dir := t.TempDir()
	testcharts.Package(t, "configmap", dir, "cm", "1.0.0", "cm-1.0.0.tgz")
	testcharts.Package(t, "schema", dir, "schema", "1.0.0", "schema-1.0.0.tgz")
	testcharts.Package(t, "badtemplate", dir, "badtemplate", "1.0.0", "badtemplate-1.0.0.tgz")
	if err := os.WriteFile(filepath.Join(dir, "corrupt-1.0.0.tgz"), []byte("\x1f\x8bnot really a gzip stream"), 0o600); err != nil {
		t.Fatal(err)
	}

	// Every broken component first runs with good input, so that we can see
	// its release left exactly as it was.
	names := []string{"c-yaml", "c-list", "c-template", "c-escape", "c-missingkey", "c-missing", "c-corrupt", "c-traversal", "c-failing-chart", "c-schema", "good"}
	var comps []hotplugv1.ComponentSpec
	for _, n := range names {
		pkg, env := "cm-1.0.0.tgz", "marker: good\n"
		if n == "c-schema" {
			env = "replicaCount: 1\nmarker: good\n"
			pkg = "schema-1.0.0.tgz"
		}
		comps = append(comps, hotplugv1.ComponentSpec{Name: n, Namespace: "ns-" + n, PkgName: pkg, Status: hotplugv1.StatusEnabled, Env: env})
	}
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "common"}, Spec: hotplugv1.HotplugSpec{Component: comps}}
	if err := c.Create(ctx, common); err != nil {
		t.Fatal(err)
	}
	testenv.RunAgent(t, cfg, agent.Options{ClusterName: "bad", ChartDir: dir, RetryBase: 500 * time.Millisecond, RetryMax: 2 * time.Second})
	testenv.Eventually(t, 90*time.Second, "good configuration converges", func() (bool, string) {
		hp := getHotplug(t, c, "common")
		return hp.Status.Phase == hotplugv1.PhaseRunning, hp.Status.Message
	})

	bad := map[string]struct {
		mutate func(*hotplugv1.ComponentSpec)
		want   []string // substrings of the component's status message
	}{
		"c-yaml":          {func(s *hotplugv1.ComponentSpec) { s.Env = "marker: good\nbroken: [unclosed\n" }, []string{`"common"`, `"c-yaml"`, "env", "line"}},
		"c-list":          {func(s *hotplugv1.ComponentSpec) { s.Env = "- a\n- b\n" }, []string{`"c-list"`, "env", "mapping"}},
		"c-template":      {func(s *hotplugv1.ComponentSpec) { s.Env = "marker: good\nx: {{ .cluster \n" }, []string{`"c-template"`, "env", "line 2"}},
		"c-escape":        {func(s *hotplugv1.ComponentSpec) { s.Env = "home: {{ env \"HOME\" }}\n" }, []string{`"c-escape"`, "env", `"env" not defined`}},
		"c-missingkey":    {func(s *hotplugv1.ComponentSpec) { s.Env = "x: {{ .secret }}\n" }, []string{`"c-missingkey"`, "env"}},
		"c-missing":       {func(s *hotplugv1.ComponentSpec) { s.PkgName = "nope-1.0.0.tgz" }, []string{"nope-1.0.0.tgz", dir}},
		"c-corrupt":       {func(s *hotplugv1.ComponentSpec) { s.PkgName = "corrupt-1.0.0.tgz" }, []string{"corrupt-1.0.0.tgz", dir}},
		"c-traversal":     {func(s *hotplugv1.ComponentSpec) { s.PkgName = "../../etc/passwd" }, []string{"../../etc/passwd"}},
		"c-failing-chart": {func(s *hotplugv1.ComponentSpec) { s.PkgName = "badtemplate-1.0.0.tgz" }, []string{"helm upgrade failed", "badtemplate always fails"}},
		"c-schema":        {func(s *hotplugv1.ComponentSpec) { s.Env = "replicaCount: many\nmarker: changed\n" }, []string{"helm upgrade failed", "replicaCount"}},
	}
	editHotplug(t, c, "common", func(s *hotplugv1.HotplugSpec) {
		for i := range s.Component {
			if b, ok := bad[s.Component[i].Name]; ok {
				b.mutate(&s.Component[i])
			}
		}
		s.Component[componentIndex(t, s, "good")].Env = "marker: upgraded\n"
	})

	testenv.Eventually(t, 90*time.Second, "broken components reported, good one upgraded", func() (bool, string) {
		hp := getHotplug(t, c, "common")
		if hp.Status.Phase != hotplugv1.PhaseFail {
			return false, "phase " + hp.Status.Phase
		}
		msgs := map[string]string{}
		for _, cs := range hp.Status.Components {
			msgs[cs.Name] = cs.Message
		}
		for name, b := range bad {
			for _, w := range b.want {
				if !strings.Contains(msgs[name], w) {
					return false, name + ": " + msgs[name] + " lacks " + w
				}
			}
		}
		if msgs["good"] != hotplugv1.MessageRunning {
			return false, "good: " + msgs["good"]
		}
		vals, _, _ := releaseValues(t, c, "ns-good", "good")
		return vals["marker"] == "upgraded", "good not upgraded yet"
	})

	hc, err := helm.New(cfg, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name := range bad {
		if name == "c-schema" { // the schema chart renders replicaCount only
			cm := &corev1.ConfigMap{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: "ns-c-schema", Name: name}, cm); err != nil || cm.Data["replicaCount"] != "1" {
				t.Errorf("%s: release content changed or gone: %v %v", name, cm.Data, err)
			}
		} else if vals, _, ok := releaseValues(t, c, "ns-"+name, name); !ok || vals["marker"] != "good" {
			t.Errorf("%s: release content changed or gone: %v", name, vals)
		}
		r, err := hc.Get(ctx, "ns-"+name, name)
		if err != nil || r.Status != "deployed" {
			t.Errorf("%s: release not deployed: %v %v", name, r, err)
		}
	}
}
