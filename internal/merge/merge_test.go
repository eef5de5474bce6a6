package merge

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// loadSample reads one of the repository's sample Hotplugs, the seed
// scenario of the original system's documentation.
func loadSample(t testing.TB, name string) *hotplugv1.Hotplug {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", "hotplug_v1_"+name+".yaml"))
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	hp := &hotplugv1.Hotplug{}
	if err := yaml.Unmarshal(b, hp); err != nil {
		t.Fatalf("parse sample %s: %v", name, err)
	}
	return hp
}

func hotplug(name string, comps ...hotplugv1.ComponentSpec) *hotplugv1.Hotplug {
	return &hotplugv1.Hotplug{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       hotplugv1.HotplugSpec{Component: comps},
	}
}

func byName(t testing.TB, r Result) map[string]Component {
	t.Helper()
	m := map[string]Component{}
	for _, c := range r.Components {
		m[c.Name] = c
	}
	return m
}

func names(r Result) []string {
	var out []string
	for _, c := range r.Components {
		out = append(out, c.Name)
	}
	return out
}

func TestEffectiveSeed(t *testing.T) {
	common, pivot := loadSample(t, "common"), loadSample(t, "pivot-cluster")
	tests := []struct {
		name    string
		cluster string
		own     *hotplugv1.Hotplug
		want    []Component
	}{
		{
			name:    "pivot-cluster overrides common",
			cluster: "pivot-cluster",
			own:     pivot,
			want: []Component{
				{Name: "audit", Namespace: "default", Enabled: false, Values: map[string]any{}},
				{Name: "kubecube-monitoring", Namespace: "kubecube-monitoring", PkgName: "kubecube-monitoring-15.4.7.tgz", Enabled: true,
					Values: map[string]any{
						"grafana": map[string]any{"enabled": true},
						"prometheus": map[string]any{"prometheusSpec": map[string]any{
							"externalLabels": map[string]any{"cluster": "pivot-cluster"},
							"remoteWrite":    []any{map[string]any{"url": "http://thanos-receive:19291/api/v1/receive"}},
						}},
					}},
				{Name: "kubecube-thanos", Namespace: "kubecube-monitoring", PkgName: "thanos-3.18.0.tgz", Enabled: true,
					Values: map[string]any{"receive": map[string]any{"replicaCount": 1.0, "replicationFactor": 1.0}}},
				{Name: "logagent", Namespace: "logagent", PkgName: "logagent-v1.0.0.tgz", Enabled: true,
					Values: map[string]any{"clustername": "pivot-cluster"}},
				{Name: "logseer", Namespace: "logseer", PkgName: "logseer-v1.0.0.tgz", Enabled: true, Values: map[string]any{}},
			},
		},
		{
			name:    "member-1 has only common",
			cluster: "member-1",
			own:     nil,
			want: []Component{
				{Name: "audit", Namespace: "default", Enabled: false, Values: map[string]any{}},
				{Name: "kubecube-monitoring", Namespace: "kubecube-monitoring", PkgName: "kubecube-monitoring-15.4.7.tgz", Enabled: true,
					Values: map[string]any{
						"grafana": map[string]any{"enabled": false},
						"prometheus": map[string]any{"prometheusSpec": map[string]any{
							"externalLabels": map[string]any{"cluster": "member-1"},
							"remoteWrite":    []any{map[string]any{"url": "http://10.173.32.42:31291/api/v1/receive"}},
						}},
					}},
				{Name: "kubecube-thanos", Namespace: "kubecube-monitoring", PkgName: "thanos-3.18.0.tgz", Enabled: false, Values: map[string]any{}},
				{Name: "logagent", Namespace: "logagent", PkgName: "logagent-v1.0.0.tgz", Enabled: true,
					Values: map[string]any{"clustername": "member-1"}},
				{Name: "logseer", Namespace: "logseer", PkgName: "logseer-v1.0.0.tgz", Enabled: false, Values: map[string]any{}},
			},
		},
		{
			name:    "member-1 with an empty own object",
			cluster: "member-1",
			own:     hotplug("member-1"),
			want:    nil, // same as above; checked by comparing with the nil-own result
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Effective(tt.cluster, common, tt.own)
			if len(got.Errors) != 0 {
				t.Fatalf("Errors = %v", got.Errors)
			}
			want := tt.want
			if want == nil {
				want = Effective(tt.cluster, common, nil).Components
			}
			if !reflect.DeepEqual(got.Components, want) {
				t.Errorf("Components =\n%#v\nwant\n%#v", got.Components, want)
			}
		})
	}
}

func TestEffectiveMerging(t *testing.T) {
	tests := []struct {
		name   string
		common *hotplugv1.Hotplug
		own    *hotplugv1.Hotplug
		want   []Component
	}{
		{"both nil", nil, nil, nil},
		{
			"cluster-only component is included",
			hotplug("common", hotplugv1.ComponentSpec{Name: "a", Status: "enabled"}),
			hotplug("c1", hotplugv1.ComponentSpec{Name: "extra", Namespace: "extra-ns", PkgName: "extra-1.0.0.tgz", Status: "enabled", Env: "x: {{.cluster}}"}),
			[]Component{
				{Name: "a", Namespace: "default", Enabled: true, Values: map[string]any{}},
				{Name: "extra", Namespace: "extra-ns", PkgName: "extra-1.0.0.tgz", Enabled: true, Values: map[string]any{"x": "c1"}},
			},
		},
		{
			"own only, common nil",
			nil,
			hotplug("c1", hotplugv1.ComponentSpec{Name: "a", Env: "k: v"}),
			[]Component{{Name: "a", Namespace: "default", Values: map[string]any{"k": "v"}}},
		},
		{
			"each set element wins, unset comes from common",
			hotplug("common", hotplugv1.ComponentSpec{Name: "a", Namespace: "ns1", PkgName: "a-1.tgz", Status: "enabled"}),
			hotplug("c1", hotplugv1.ComponentSpec{Name: "a", PkgName: "a-2.tgz", Status: "disabled"}),
			[]Component{{Name: "a", Namespace: "ns1", PkgName: "a-2.tgz", Enabled: false, Values: map[string]any{}}},
		},
		{
			"own namespace wins",
			hotplug("common", hotplugv1.ComponentSpec{Name: "a", Namespace: "ns1"}),
			hotplug("c1", hotplugv1.ComponentSpec{Name: "a", Namespace: "ns2"}),
			[]Component{{Name: "a", Namespace: "ns2", Values: map[string]any{}}},
		},
		{
			"status must be exactly enabled",
			hotplug("common", hotplugv1.ComponentSpec{Name: "a", Status: "Enabled"}, hotplugv1.ComponentSpec{Name: "b", Status: "on"}, hotplugv1.ComponentSpec{Name: "c"}),
			nil,
			[]Component{
				{Name: "a", Namespace: "default", Values: map[string]any{}},
				{Name: "b", Namespace: "default", Values: map[string]any{}},
				{Name: "c", Namespace: "default", Values: map[string]any{}},
			},
		},
		{
			"env deep-merges: nested maps merge, lists replace, null reaches Helm",
			hotplug("common", hotplugv1.ComponentSpec{Name: "a", Env: "keep: 1\ndrop: 2\nm:\n  p: 1\n  q: 2\nl: [1, 2, 3]\n"}),
			hotplug("c1", hotplugv1.ComponentSpec{Name: "a", Env: "drop: null\nm:\n  q: 3\n  r: 4\nl: [9]\n"}),
			[]Component{{Name: "a", Namespace: "default", Values: map[string]any{
				"keep": 1.0, "drop": nil, "m": map[string]any{"p": 1.0, "q": 3.0, "r": 4.0}, "l": []any{9.0},
			}}},
		},
		{
			"whitespace own env keeps common's values",
			hotplug("common", hotplugv1.ComponentSpec{Name: "a", Env: "k: v"}),
			hotplug("c1", hotplugv1.ComponentSpec{Name: "a", Env: "  \n"}),
			[]Component{{Name: "a", Namespace: "default", Values: map[string]any{"k": "v"}}},
		},
		{
			"components are sorted by name",
			hotplug("common", hotplugv1.ComponentSpec{Name: "z"}, hotplugv1.ComponentSpec{Name: "m"}),
			hotplug("c1", hotplugv1.ComponentSpec{Name: "b"}),
			[]Component{
				{Name: "b", Namespace: "default", Values: map[string]any{}},
				{Name: "m", Namespace: "default", Values: map[string]any{}},
				{Name: "z", Namespace: "default", Values: map[string]any{}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Effective("c1", tt.common, tt.own)
			if len(got.Errors) != 0 {
				t.Fatalf("Errors = %v", got.Errors)
			}
			if !reflect.DeepEqual(got.Components, tt.want) {
				t.Errorf("Components =\n%#v\nwant\n%#v", got.Components, tt.want)
			}
		})
	}
}

// A bad element fails its own component only: exactly one Error naming the
// object, component, field and line, and every other component exactly as
// without the fault.
func TestEffectiveIsolatesErrors(t *testing.T) {
	tests := []struct {
		name      string
		inCommon  bool // the fault is put in common rather than the cluster's object
		spec      hotplugv1.ComponentSpec
		component string
		field     string
		line      int
		contains  string
	}{
		{"malformed yaml in own", false, hotplugv1.ComponentSpec{Name: "kubecube-monitoring", Env: "grafana:\n  enabled: true\nprometheus: [1\n"}, "kubecube-monitoring", "env", 3, "yaml: line 3"},
		{"malformed yaml in common", true, hotplugv1.ComponentSpec{Name: "kubecube-monitoring", Namespace: "kubecube-monitoring", Env: "a: 1\n b: 2\n"}, "kubecube-monitoring", "env", 2, "yaml: line 2"},
		{"env is a list", false, hotplugv1.ComponentSpec{Name: "kubecube-monitoring", Env: "- a\n- b\n"}, "kubecube-monitoring", "env", 0, "must be a YAML mapping"},
		{"env is a scalar", false, hotplugv1.ComponentSpec{Name: "logagent", Env: "hello"}, "logagent", "env", 0, "must be a YAML mapping"},
		{"template error", false, hotplugv1.ComponentSpec{Name: "kubecube-monitoring", Env: "a: 1\nb: {{.cluster\n"}, "kubecube-monitoring", "env", 2, "unclosed action"},
		{"env function", false, hotplugv1.ComponentSpec{Name: "kubecube-thanos", Env: "a: 1\nb: 2\nhome: {{ env \"HOME\" }}\n"}, "kubecube-thanos", "env", 3, `function "env" not defined`},
		{"missing key", true, hotplugv1.ComponentSpec{Name: "logagent", Namespace: "logagent", PkgName: "logagent-v1.0.0.tgz", Status: "enabled", Env: "clustername: {{.nope}}"}, "logagent", "env", 1, `no entry for key "nope"`},
		{"bad namespace", false, hotplugv1.ComponentSpec{Name: "logseer", Namespace: "Not_A_Label"}, "logseer", "namespace", 0, "DNS label"},
		{"pkgName escapes the chart directory", false, hotplugv1.ComponentSpec{Name: "logseer", PkgName: "../../etc/passwd"}, "logseer", "pkgName", 0, "inside the chart directory"},
		{"absolute pkgName", true, hotplugv1.ComponentSpec{Name: "logseer", PkgName: "/etc/passwd"}, "logseer", "pkgName", 0, "inside the chart directory"},
		{"bad name", false, hotplugv1.ComponentSpec{Name: "Bad_Name"}, "Bad_Name", "name", 0, "DNS label"},
		{"duplicate name", false, hotplugv1.ComponentSpec{Name: "logseer", Status: "disabled"}, "logseer", "name", 0, "listed more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			common, own := loadSample(t, "common"), loadSample(t, "pivot-cluster")
			clean := byName(t, Effective("pivot-cluster", common, own))

			target := own
			if tt.inCommon {
				target = common
			}
			replaced := false
			if tt.field != "name" {
				for i := range target.Spec.Component {
					if target.Spec.Component[i].Name == tt.spec.Name {
						target.Spec.Component[i] = tt.spec
						replaced = true
					}
				}
			}
			if !replaced {
				target.Spec.Component = append(target.Spec.Component, tt.spec)
			}

			got := Effective("pivot-cluster", common, own)
			if len(got.Errors) != 1 {
				t.Fatalf("Errors = %v, want exactly one", got.Errors)
			}
			e := got.Errors[0]
			if e.Object != target.Name || e.Component != tt.component || e.Field != tt.field || e.Line != tt.line {
				t.Errorf("Error = {%q %q %q line %d}, want {%q %q %q line %d}: %v",
					e.Object, e.Component, e.Field, e.Line, target.Name, tt.component, tt.field, tt.line, e)
			}
			if !strings.Contains(e.Error(), tt.contains) {
				t.Errorf("message %q lacks %q", e, tt.contains)
			}
			wantPrefix := `hotplug "` + target.Name + `": component "` + tt.component + `": ` + tt.field + ": "
			if !strings.HasPrefix(e.Error(), wantPrefix) {
				t.Errorf("message %q does not start with %q", e, wantPrefix)
			}
			others := byName(t, got)
			if _, ok := others[tt.component]; ok {
				t.Errorf("failed component %q is still in Components", tt.component)
			}
			for name, c := range clean {
				if name == tt.component {
					continue
				}
				if !reflect.DeepEqual(others[name], c) {
					t.Errorf("component %q changed:\n%#v\nwant\n%#v", name, others[name], c)
				}
			}
			if len(others)+1 != len(clean) && tt.field != "name" {
				t.Errorf("components = %v, want all but %q of %d", names(got), tt.component, len(clean))
			}
		})
	}
}

func TestEffectiveOneErrorPerComponent(t *testing.T) {
	common := hotplug("common",
		hotplugv1.ComponentSpec{Name: "b", Env: "- bad"},
		hotplugv1.ComponentSpec{Name: "a", Env: "{{.nope}}"},
		hotplugv1.ComponentSpec{Name: "ok"},
	)
	own := hotplug("c1", hotplugv1.ComponentSpec{Name: "a", Env: "[1"}, hotplugv1.ComponentSpec{Name: "b", Env: "- bad"})
	got := Effective("c1", common, own)
	var comps []string
	for _, e := range got.Errors {
		comps = append(comps, e.Component)
	}
	if !reflect.DeepEqual(comps, []string{"a", "b"}) {
		t.Errorf("error components = %v, want [a b]", comps)
	}
	// The first fault found is common's env, which is rendered first.
	if got.Errors[0].Object != "common" || !strings.Contains(got.Errors[0].Error(), "nope") {
		t.Errorf("first error = %v, want common's missing key", got.Errors[0])
	}
	if !reflect.DeepEqual(names(got), []string{"ok"}) {
		t.Errorf("components = %v, want [ok]", names(got))
	}
}

func TestEffectiveDuplicateFailsComponent(t *testing.T) {
	common := hotplug("common",
		hotplugv1.ComponentSpec{Name: "a", Status: "enabled"},
		hotplugv1.ComponentSpec{Name: "a", Status: "disabled"},
	)
	got := Effective("c1", common, nil)
	if len(got.Components) != 0 || len(got.Errors) != 1 || !errors.Is(got.Errors[0], errDuplicate) {
		t.Fatalf("Result = %+v, want only a duplicate error", got)
	}
	if want := `hotplug "common": component "a": name: component is listed more than once: entries 1 and 2`; got.Errors[0].Error() != want {
		t.Errorf("message = %q, want %q", got.Errors[0], want)
	}
}

func TestEffectiveObjectNames(t *testing.T) {
	// Unnamed objects (hand-built in callers' tests) are named after their role.
	common := hotplug("", hotplugv1.ComponentSpec{Name: "a", Env: "- x"})
	own := hotplug("", hotplugv1.ComponentSpec{Name: "b", Env: "- x"})
	got := Effective("c1", common, own)
	if len(got.Errors) != 2 || got.Errors[0].Object != "common" || got.Errors[1].Object != "c1" {
		t.Errorf("Errors = %v, want objects common and c1", got.Errors)
	}
}

func TestEffectiveDoesNotMutate(t *testing.T) {
	common, own := loadSample(t, "common"), loadSample(t, "pivot-cluster")
	own.Spec.Component = append(own.Spec.Component, hotplugv1.ComponentSpec{Name: "audit", Env: "x: null\n"})
	commonBefore, ownBefore := common.DeepCopy(), own.DeepCopy()
	first := Effective("pivot-cluster", common, own)
	for _, c := range first.Components {
		scribble(c.Values)
	}
	if !reflect.DeepEqual(common, commonBefore) || !reflect.DeepEqual(own, ownBefore) {
		t.Errorf("Effective modified its inputs")
	}
	// Values of one call are not shared with the next.
	second := Effective("pivot-cluster", common, own)
	if reflect.DeepEqual(first.Components, second.Components) {
		t.Errorf("scribbling on one Result changed the next")
	}
	for _, c := range second.Components {
		if c.Values == nil {
			t.Errorf("component %q has nil Values", c.Name)
		}
	}
}
