package drift

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/limits"
)

func TestRespectedManager(t *testing.T) {
	for _, tc := range []struct {
		manager string
		want    bool
	}{
		{"kube-controller-manager", true},
		{"horizontal-pod-autoscaler", true},
		{"cluster-autoscaler", true},
		{"vpa-updater", true},
		{"keda-operator", true},
		{"my-scaler-controller", true},
		{"cert-manager-controller-manager", true},
		{"prometheus-operator", true},
		{"custom-autoscaler", true},
		{"kubectl", false},
		{"kubectl-edit", false},
		{"kubectl-client-side-apply", false},
		{"kubectl-label", false},
		{"kubectl-controller", false}, // a kubectl variant, whatever its suffix
		{"helm", false},
		{"hotplug", false},
		{"k9s", false},
		{"Mozilla", false},
		{"", false},
		{"-controller", false},
		{"controller", false},
	} {
		if got := RespectedManager(tc.manager); got != tc.want {
			t.Errorf("RespectedManager(%q) = %v, want %v", tc.manager, got, tc.want)
		}
	}
}

// obj decodes JSON for tests.
func obj(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return m
}

func TestStrip(t *testing.T) {
	deploy := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"a":"1","b":"2"}},
	  "spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"web","image":"nginx","ports":[{"containerPort":80,"protocol":"TCP"}]},{"name":"side","image":"busybox"}]}}}}`
	for _, tc := range []struct {
		name, config, owned, want string
		removed                   []string
	}{
		{
			name:    "hpa replicas",
			config:  deploy,
			owned:   `{"f:spec":{"f:replicas":{}}}`,
			want:    strings.Replace(deploy, `"replicas":1,`, ``, 1),
			removed: []string{"spec.replicas"},
		},
		{
			name:    "owned field not in config is ignored",
			config:  deploy,
			owned:   `{"f:metadata":{"f:annotations":{"f:x":{}}},"f:status":{"f:replicas":{}}}`,
			want:    deploy,
			removed: nil,
		},
		{
			name:    "label with dots, map emptied is removed",
			config:  `{"metadata":{"name":"x","labels":{"app.kubernetes.io/name":"x"}}}`,
			owned:   `{"f:metadata":{"f:labels":{".":{},"f:app.kubernetes.io/name":{}}}}`,
			want:    `{"metadata":{"name":"x"}}`,
			removed: []string{`metadata.labels["app.kubernetes.io/name"]`},
		},
		{
			name:    "container image by key, name kept",
			config:  deploy,
			owned:   `{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"side\"}":{".":{},"f:name":{},"f:image":{}}}}}}}`,
			want:    strings.Replace(deploy, `{"name":"side","image":"busybox"}`, `{"name":"side"}`, 1),
			removed: []string{"spec.template.spec.containers[name=side].image"},
		},
		{
			name:    "port by composite key",
			config:  deploy,
			owned:   `{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{"f:containerPort":{},"f:protocol":{},"f:hostPort":{}}}}}}}}}`,
			want:    deploy,
			removed: nil,
		},
		{
			name:    "set list value",
			config:  `{"metadata":{"finalizers":["a","b"]}}`,
			owned:   `{"f:metadata":{"f:finalizers":{"v:\"b\"":{}}}}`,
			want:    `{"metadata":{"finalizers":["a"]}}`,
			removed: []string{`metadata.finalizers["b"]`},
		},
		{
			name:    "index",
			config:  `{"spec":{"args":["a","b"]}}`,
			owned:   `{"f:spec":{"f:args":{"i:0":{}}}}`,
			want:    `{"spec":{"args":["b"]}}`,
			removed: []string{"spec.args[0]"},
		},
		{
			name:    "nothing owned",
			config:  deploy,
			owned:   `{}`,
			want:    deploy,
			removed: nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := obj(t, tc.config)
			removed := strip(cfg, obj(t, tc.owned))
			if want := obj(t, tc.want); !reflect.DeepEqual(cfg, want) {
				got, _ := json.Marshal(cfg)
				t.Errorf("config after strip\n got %s\nwant %s", got, tc.want)
			}
			if !reflect.DeepEqual(removed, tc.removed) {
				t.Errorf("removed %q, want %q", removed, tc.removed)
			}
		})
	}
}

func TestRespectedFields(t *testing.T) {
	raw := func(s string) *metav1.FieldsV1 { f := &metav1.FieldsV1{}; f.SetRawBytes([]byte(s)); return f }
	entries := []metav1.ManagedFieldsEntry{
		{Manager: "hotplug", Operation: metav1.ManagedFieldsOperationApply, FieldsV1: raw(`{"f:spec":{"f:replicas":{}}}`)},
		{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate, FieldsV1: raw(`{"f:spec":{"f:paused":{}}}`)},
		{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "scale", FieldsV1: raw(`{"f:spec":{"f:replicas":{}}}`)},
		{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", FieldsV1: raw(`{"f:status":{}}`)},
		{Manager: "x-controller", Operation: metav1.ManagedFieldsOperationApply},
		// Helm's own manager is never respected, even with a controller-like name.
		{Manager: "self-controller", Operation: metav1.ManagedFieldsOperationApply, FieldsV1: raw(`{"f:data":{}}`)},
	}
	got, err := respectedFields(entries, "self-controller", RespectedManager)
	if err != nil {
		t.Fatal(err)
	}
	if want := []map[string]any{{"f:spec": map[string]any{"f:replicas": map[string]any{}}}}; !reflect.DeepEqual(got, want) {
		t.Errorf("respected fields %v, want only kube-controller-manager's scale entry %v", got, want)
	}
	if _, err := respectedFields([]metav1.ManagedFieldsEntry{{Manager: "a-controller", FieldsV1: raw(`{`)}}, "h", RespectedManager); err == nil {
		t.Error("corrupt FieldsV1: no error")
	}
}

func TestDiffPaths(t *testing.T) {
	live := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","resourceVersion":"1","generation":1,"managedFields":[{"manager":"a"}],
	  "labels":{"app.kubernetes.io/name":"c","extra":"x"}},"data":{"a":"1","values.yaml":"x: 1"},"status":{"s":1}}`
	for _, tc := range []struct {
		name, live, want string
		paths            []string
	}{
		{"equal", live, live, nil},
		{"ignored metadata and status", live, strings.NewReplacer(`"resourceVersion":"1"`, `"resourceVersion":"2"`, `"generation":1`, `"generation":2`,
			`"manager":"a"`, `"manager":"b"`, `"s":1`, `"s":2`).Replace(live), nil},
		{"changed key with dot", live, strings.Replace(live, `"x: 1"`, `"x: 2"`, 1), []string{`data["values.yaml"]`}},
		{"added and removed", live, strings.Replace(strings.Replace(live, `"a":"1",`, ``, 1), `"extra":"x"`, `"extra":"x","new":"y"`, 1),
			[]string{"data.a", "metadata.labels.new"}},
		{"type change", `{"spec":{"x":{"a":1}}}`, `{"spec":{"x":"a"}}`, []string{"spec.x"}},
		{"list by name", `{"spec":{"containers":[{"name":"web","image":"a"},{"name":"side","image":"b"}]}}`,
			`{"spec":{"containers":[{"name":"web","image":"c"},{"name":"side","image":"b"}]}}`,
			[]string{"spec.containers[name=web].image"}},
		{"list by index", `{"spec":{"args":["a","b"]}}`, `{"spec":{"args":["a","c"]}}`, []string{"spec.args[1]"}},
		{"list length", `{"spec":{"args":["a"]}}`, `{"spec":{"args":["a","c"]}}`, []string{"spec.args"}},
		{"replicas", `{"spec":{"replicas":0}}`, `{"spec":{"replicas":1}}`, []string{"spec.replicas"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := diffPaths(obj(t, tc.live), obj(t, tc.want))
			if !reflect.DeepEqual(got, tc.paths) {
				t.Errorf("diffPaths = %q, want %q", got, tc.paths)
			}
		})
	}
}

func TestPathFormatting(t *testing.T) {
	for _, tc := range []struct {
		segs []string
		want string
	}{
		{[]string{fieldSegment("spec"), fieldSegment("replicas")}, "spec.replicas"},
		{[]string{fieldSegment("metadata"), fieldSegment("annotations"), fieldSegment("meta.helm.sh/release-name")}, `metadata.annotations["meta.helm.sh/release-name"]`},
		{[]string{fieldSegment("data"), fieldSegment("")}, `data[""]`},
		{[]string{fieldSegment("ports"), keySegment(map[string]any{"protocol": "TCP", "containerPort": 80})}, "ports[containerPort=80,protocol=TCP]"},
		{[]string{fieldSegment(strings.Repeat("x", 300))}, strings.Repeat("x", maxPathBytes-3) + "..."},
	} {
		if got := joinPath(tc.segs); got != tc.want {
			t.Errorf("joinPath(%q) = %q, want %q", tc.segs, got, tc.want)
		}
	}
	paths := make([]string, 11)
	for i := range paths {
		paths[i] = string(rune('a' + i))
	}
	got, more := bound(paths)
	if len(got) != MaxFields || more != 11-MaxFields {
		t.Errorf("bound: %d paths, %d more", len(got), more)
	}
	if got, more := bound(paths[:2]); len(got) != 2 || more != 0 {
		t.Errorf("bound of 2: %q %d", got, more)
	}
}

func TestMessages(t *testing.T) {
	ref := func(kind, name string) health.ObjectRef {
		return health.ObjectRef{GroupVersionKind: schema.GroupVersionKind{Version: "v1", Kind: kind}, Namespace: "demo", Name: name}
	}
	drifts := []Drift{
		{Ref: ref("Deployment", "web"), Kind: Missing},
		{Ref: ref("ConfigMap", "cfg"), Kind: Changed, Fields: []string{"data.a", "data.b"}, MoreFields: 3},
		{Ref: ref("Widget", "w"), Kind: Missing, Unserved: true},
	}
	want := "drift repaired: Deployment demo/web deleted; ConfigMap demo/cfg changed (data.a, data.b and 3 more); Widget demo/w deleted (kind not served)"
	if got := RepairedMessage(drifts); got != want {
		t.Errorf("RepairedMessage = %q\nwant %q", got, want)
	}
	until := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := HeldMessage(drifts[:1], until); got != "drift keeps coming back or its repair fails, repair held until 2026-01-02T03:04:05Z: Deployment demo/web deleted" {
		t.Errorf("HeldMessage = %q", got)
	}
	many := make([]Drift, 200)
	for i := range many {
		many[i] = Drift{Ref: ref("ConfigMap", strings.Repeat("n", 60)), Kind: Changed, Fields: []string{strings.Repeat("f", 150)}}
	}
	if got := RepairedMessage(many); len(got) > limits.MaxEventBytes || !strings.HasSuffix(got, "…") {
		t.Errorf("RepairedMessage of 200 drifts: %d bytes, ends %q", len(got), got[len(got)-10:])
	}
	if got := Describe(nil, 100); got != "" {
		t.Errorf("Describe(nil) = %q", got)
	}
}

func TestDecode(t *testing.T) {
	m := `---
# Source: x/templates/a.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
data: {k: v}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: hook
  annotations: {helm.sh/hook: pre-install}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Secret, metadata: {name: s, namespace: other}}
- {apiVersion: v1, kind: Pod, metadata: {generateName: p-}}
---
# only a comment
`
	got, err := decode(m)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for ref := range got {
		names = append(names, ref.String())
	}
	refs, err := health.Objects(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(refs) || len(got) != 2 {
		t.Fatalf("decoded %q, health.Objects %v", names, refs)
	}
	for _, r := range refs {
		if got[r] == nil {
			t.Errorf("%s not decoded (have %q)", r, names)
		}
	}
}

func TestTracker(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	tr := NewTracker(TrackerOptions{FreeRepairs: 2, BaseDelay: time.Minute, MaxDelay: 4 * time.Minute, Quiet: time.Minute, Now: func() time.Time { return now }})
	type step struct {
		at      time.Duration // since t0
		record  bool          // record a repair when allowed
		allowed bool
		next    time.Duration // since t0, when not allowed
	}
	for i, s := range []step{
		{at: 0, record: true, allowed: true},
		{at: time.Second, record: true, allowed: true},                               // 2 free repairs
		{at: 2 * time.Second, allowed: false, next: time.Second + time.Minute},       // 3rd: 1m after the last
		{at: 61 * time.Second, record: true, allowed: true},                          // exactly then
		{at: 62 * time.Second, allowed: false, next: 61*time.Second + 2*time.Minute}, // doubles
		{at: 181 * time.Second, record: true, allowed: true},
		{at: 182 * time.Second, allowed: false, next: 181*time.Second + 4*time.Minute}, // 4m = MaxDelay
		{at: 421 * time.Second, record: true, allowed: true},
		{at: 422 * time.Second, allowed: false, next: 421*time.Second + 4*time.Minute}, // capped
		// Quiet is raised to 2*MaxDelay = 8m: after 8m without repair the run is forgotten.
		{at: 421*time.Second + 8*time.Minute, record: true, allowed: true},
		{at: 422*time.Second + 8*time.Minute, record: true, allowed: true},
		{at: 423*time.Second + 8*time.Minute, allowed: false, next: 422*time.Second + 8*time.Minute + time.Minute},
	} {
		now = t0.Add(s.at)
		allowed, next := tr.Allow("c")
		if allowed != s.allowed {
			t.Fatalf("step %d at %v: allowed %v, want %v", i, s.at, allowed, s.allowed)
		}
		if !allowed && !next.Equal(t0.Add(s.next)) {
			t.Fatalf("step %d at %v: next %v, want %v", i, s.at, next.Sub(t0), s.next)
		}
		if allowed && !next.Equal(now) {
			t.Fatalf("step %d: allowed with next %v, want now", i, next)
		}
		if s.record {
			tr.Record("c")
		}
	}
	if n := tr.Repairs("c"); n != 2 {
		t.Errorf("Repairs = %d, want 2", n)
	}
	if ok, _ := tr.Allow("other"); !ok {
		t.Error("another component is held by c's repairs")
	}
	tr.Forget("c")
	if ok, _ := tr.Allow("c"); !ok || tr.Repairs("c") != 0 {
		t.Error("Forget kept the run")
	}
	d := NewTracker(TrackerOptions{})
	if d.opts.FreeRepairs != DefaultFreeRepairs || d.opts.BaseDelay != DefaultBaseDelay || d.opts.MaxDelay != DefaultMaxDelay || d.opts.Quiet != DefaultQuiet {
		t.Errorf("defaults %+v", d.opts)
	}
}
