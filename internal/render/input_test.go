package render

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadAndSelect(t *testing.T) {
	const twoDocs = `# leading comment
apiVersion: hotplug.kubecube.io/v1
kind: Hotplug
metadata: {name: common}
spec:
  component:
  - name: logagent
    namespace: logagent
    pkgName: logagent-v1.0.0.tgz
    status: enabled
---
apiVersion: cluster.kubecube.io/v1
kind: Cluster
metadata: {name: c1}
---
apiVersion: hotplug.kubecube.io/v1
kind: Hotplug
metadata: {name: c1}
spec:
  component:
  - name: logagent
    status: disabled
`
	tests := []struct {
		name, input, cluster string
		wantErr              string // substring; "" = success
		wantOwn              bool
		wantLines            []int
	}{
		{name: "common and own", input: twoDocs, cluster: "c1", wantOwn: true, wantLines: []int{2, 16}},
		{name: "common only", input: twoDocs, cluster: "other", wantLines: []int{2, 16}},
		{name: "no common", input: strings.SplitN(twoDocs, "---", 3)[2], cluster: "c1",
			wantErr: "no Hotplug named common in in.yaml: pass the file that holds it with -f"},
		{name: "duplicate", input: twoDocs + "---\n" + strings.SplitN(twoDocs, "---", 2)[0], cluster: "c1",
			wantErr: "hotplug common is defined twice, at in.yaml:2 and in.yaml:25"},
		{name: "unknown field names the line", input: "apiVersion: hotplug.kubecube.io/v1\nkind: Hotplug\nmetadata: {name: common}\nspec:\n  component:\n  - name: x\n    namepsace: y\n",
			cluster: "c1", wantErr: `in.yaml:1: Hotplug document: error unmarshaling JSON: while decoding JSON: json: unknown field "namepsace"`},
		{name: "broken yaml names the line", input: "---\napiVersion: v1\nkind: [\n", cluster: "c1", wantErr: "in.yaml:3"},
		{name: "cluster named common", input: twoDocs, cluster: "common", wantErr: "name the cluster to render"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := Read(strings.NewReader(tc.input), "in.yaml")
			var own *Document
			if err == nil {
				_, own, err = Select(docs, tc.cluster)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (own != nil) != tc.wantOwn {
				t.Errorf("own = %v, want present %v", own, tc.wantOwn)
			}
			var lines []int
			for _, d := range docs {
				lines = append(lines, d.Line)
			}
			if len(lines) != len(tc.wantLines) || lines[0] != tc.wantLines[0] || lines[1] != tc.wantLines[1] {
				t.Errorf("document lines = %v, want %v", lines, tc.wantLines)
			}
		})
	}
}

func TestEffectiveLocatesProblems(t *testing.T) {
	const in = `apiVersion: hotplug.kubecube.io/v1
kind: Hotplug
metadata: {name: common}
spec:
  component:
  - name: good
    pkgName: good.tgz
    status: enabled
    env: |
      a: 1
  - name: badenv
    pkgName: bad.tgz
    env: |
      ok: 1
      broken: {{.nope}}
  - name: badns
    namespace: Not_A_Namespace
  - name: baddeps
    dependsOn: [nope]
  - name: after
    dependsOn: [good]
`
	v := effectiveOfC1(t, in)
	if len(v.Components) != 2 || v.Components[1].Name != "good" || v.Components[1].Values["a"] != float64(1) ||
		v.Components[0].Name != "after" || !reflect.DeepEqual(v.Components[0].DependsOn, []string{"good"}) {
		t.Errorf("good components = %+v", v.Components)
	}
	want := map[string]string{"badenv": "common.yaml:15", "badns": "common.yaml:17", "baddeps": "common.yaml:19"}
	if len(v.Problems) != 3 {
		t.Fatalf("problems = %+v", v.Problems)
	}
	for _, p := range v.Problems {
		if p.Location != want[p.Component] {
			t.Errorf("%s located at %s, want %s (%s)", p.Component, p.Location, want[p.Component], p.Message)
		}
		if !strings.Contains(p.Message, `hotplug "common": component "`+p.Component+`"`) {
			t.Errorf("message does not name object and component: %s", p.Message)
		}
	}
	if err := v.Err(); err == nil || !strings.Contains(err.Error(), "common.yaml:15: ") {
		t.Errorf("Err() = %v", err)
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		in   map[string]any
		want string
	}{
		{map[string]any{}, "-"},
		{map[string]any{"b": map[string]any{"c": true}, "a": "x"}, "a=x, b.c=true"},
		{map[string]any{"l": []any{1, 2}, "one": []any{"x"}, "n": nil, "e": map[string]any{}}, "e={}, l=[2 items], n=null, one=[1 item]"},
	}
	for _, tc := range tests {
		if got := Summary(tc.in); got != tc.want {
			t.Errorf("Summary(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// effectiveOfC1 reads in as common.yaml and returns cluster c1's effective
// configuration.
func effectiveOfC1(t *testing.T, in string) View {
	t.Helper()
	docs, err := Read(strings.NewReader(in), "common.yaml")
	if err != nil {
		t.Fatal(err)
	}
	common, own, err := Select(docs, "c1")
	if err != nil {
		t.Fatal(err)
	}
	return Effective("c1", common, own)
}
