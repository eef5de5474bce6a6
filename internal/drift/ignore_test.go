package drift

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubecube-io/hotplug/internal/health"
)

func TestRespectManagers(t *testing.T) {
	respect := RespectManagers([]string{"manager", "cert-manager-cainjector", ""})
	for _, tc := range []struct {
		manager string
		want    bool
	}{
		{"manager", true},                 // kubebuilder's default, added
		{"cert-manager-cainjector", true}, // added
		{"kube-controller-manager", true}, // built in
		{"my-scaler-controller", true},    // built-in suffix
		{"manager2", false},               // exact names only
		{"kubectl-edit", false},
		{"", false},
	} {
		if got := respect(tc.manager); got != tc.want {
			t.Errorf("respect(%q) = %v, want %v", tc.manager, got, tc.want)
		}
	}
	if RespectManagers(nil)("manager") {
		t.Error("manager respected without being named")
	}
}

func TestIgnoreMatches(t *testing.T) {
	ref := health.ObjectRef{GroupVersionKind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, Namespace: "web", Name: "web-server"}
	cluster := health.ObjectRef{GroupVersionKind: schema.GroupVersionKind{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingWebhookConfiguration"}, Name: "hooks"}
	for _, tc := range []struct {
		rule          Ignore
		dep, wideHook bool
	}{
		{Ignore{}, true, true},
		{Ignore{Kind: "Deployment", Name: "web-server"}, true, false},
		{Ignore{Group: "apps", Version: "v1", Kind: "Deployment", Name: "web-server", Namespace: "web"}, true, false},
		{Ignore{Kind: "Deployment", Name: "other"}, false, false},
		{Ignore{Namespace: "web"}, true, false}, // never a cluster-scoped object
		{Ignore{Group: "admissionregistration.k8s.io"}, false, true},
		{Ignore{Version: "v2"}, false, false},
	} {
		if got := tc.rule.matches(ref); got != tc.dep {
			t.Errorf("%+v matches the Deployment: %v, want %v", tc.rule, got, tc.dep)
		}
		if got := tc.rule.matches(cluster); got != tc.wideHook {
			t.Errorf("%+v matches the webhook configuration: %v, want %v", tc.rule, got, tc.wideHook)
		}
	}
	rules := []Ignore{
		{Kind: "Deployment", Paths: []string{"/spec/template/spec/containers/0/image", "bad", ""}},
		{Kind: "Service", Paths: []string{"/spec/clusterIP"}},
		{Paths: []string{"/metadata/annotations/a~1b"}},
	}
	want := [][]string{{"spec", "template", "spec", "containers", "0", "image"}, {"metadata", "annotations", "a/b"}}
	if got := ignoredPointers(rules, ref); !reflect.DeepEqual(got, want) {
		t.Errorf("ignoredPointers = %q, want %q", got, want)
	}
}

func TestKeepLive(t *testing.T) {
	live := `{"metadata":{"annotations":{"a/b":"live"}},"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"web","image":"mirror.local/web:1"}]}}}}`
	for _, tc := range []struct {
		name, cfg, live, want string
		ptrs                  []string
	}{
		{"image copied from live", `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:1"}]}}}}`, live,
			`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"mirror.local/web:1"}]}}}}`, []string{"/spec/template/spec/containers/0/image"}},
		{"a subtree copied", `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:1"}]}}}}`, live,
			`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"mirror.local/web:1"}]}}}}`, []string{"/spec/template/spec/containers"}},
		{"absent in live: removed from the applied object", `{"spec":{"paused":true,"replicas":1}}`, live,
			`{"spec":{"replicas":3}}`, []string{"/spec/paused", "/spec/replicas"}},
		{"parent absent from the manifest: nothing added", `{"spec":{"replicas":1}}`, live,
			`{"spec":{"replicas":1}}`, []string{"/metadata/annotations/a~1b"}},
		{"index out of range in the manifest: nothing added", `{"spec":{"template":{"spec":{"containers":[]}}}}`, live,
			`{"spec":{"template":{"spec":{"containers":[]}}}}`, []string{"/spec/template/spec/containers/0/image"}},
		{"a sidecar first in live: the manifest's container is not given its image", `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:1"}]}}}}`,
			`{"spec":{"template":{"spec":{"containers":[{"name":"proxy","image":"proxy:1"},{"name":"web","image":"mirror.local/web:1"}]}}}}`,
			`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:1"}]}}}}`, []string{"/spec/template/spec/containers/0/image"}},
		{"no live object: the manifest's value", `{"spec":{"replicas":1}}`, "",
			`{"spec":{"replicas":1}}`, []string{"/spec/replicas"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ptrs [][]string
			for _, p := range tc.ptrs {
				ptrs = append(ptrs, ignoredPointers([]Ignore{{Paths: []string{p}}}, health.ObjectRef{})...)
			}
			cfg := obj(t, tc.cfg)
			var l map[string]any
			if tc.live != "" {
				l = obj(t, tc.live)
			}
			keepLive(cfg, l, ptrs)
			if want := obj(t, tc.want); !reflect.DeepEqual(cfg, want) {
				t.Errorf("got %v\nwant %v", cfg, want)
			}
			if l != nil {
				if !reflect.DeepEqual(l, obj(t, tc.live)) {
					t.Error("live changed")
				}
				// The copy shares nothing with live.
				scramble(l)
				if !reflect.DeepEqual(cfg, obj(t, tc.want)) {
					t.Error("the applied object shares memory with live")
				}
			}
		})
	}
}

func TestOwners(t *testing.T) {
	raw := func(s string) *metav1.FieldsV1 { f := &metav1.FieldsV1{}; f.SetRawBytes([]byte(s)); return f }
	live := obj(t, `{"data":{"a":"1","b":"2"},"spec":{"replicas":0,"selector":{"matchLabels":{"app":"x"}},"template":{"spec":{"containers":[{"name":"side","image":"s"},{"name":"web","image":"mirror/web:1"}]}}},"args":["x","y"]}`)
	entries := []metav1.ManagedFieldsEntry{
		{Manager: "hotplug", FieldsV1: raw(`{"f:data":{"f:a":{},"f:b":{}},"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:name":{}}}}}}}`)},
		{Manager: "admission-mirror", FieldsV1: raw(`{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{"f:image":{}}}}}}}`)},
		{Manager: "kubectl", Subresource: "scale", FieldsV1: raw(`{"f:spec":{"f:replicas":{}}}`)},
		{Manager: "kubectl-edit", FieldsV1: raw(`{"f:data":{"f:b":{}},"f:args":{"v:\"y\"":{}}}`)},
		{Manager: "status-writer", Subresource: "status", FieldsV1: raw(`{"f:spec":{"f:replicas":{}}}`)},
		{Manager: "broken", FieldsV1: raw(`{`)},
		// Owns the web element's existence and one field of it: not its image.
		{Manager: "element-owner", FieldsV1: raw(`{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:imagePullPolicy":{}}}}}}}`)},
		// Owns the selector as a whole: everything below it.
		{Manager: "atomic", FieldsV1: raw(`{"f:spec":{"f:selector":{}}}`)},
	}
	o := ownersOf(entries, live, "hotplug")
	key := func(segs ...string) string {
		k := ""
		for _, s := range segs {
			k = liveKey(k, s)
		}
		return k
	}
	for _, tc := range []struct {
		key  string
		want []string
	}{
		{key("spec", "template", "spec", "containers", indexSeg(1), "image"), []string{"admission-mirror"}},
		{key("spec", "replicas"), []string{"kubectl"}},
		{key("spec", "selector", "matchLabels", "app"), []string{"atomic"}},
		{key("spec", "template", "spec", "containers", indexSeg(1)), []string{"element-owner"}}, // the element itself: who owns its existence
		{key("data", "b"), []string{"kubectl-edit"}},
		{key("data", "a"), nil},                 // only Helm's own
		{key("args"), []string{"kubectl-edit"}}, // a list that changed length: its elements' owners
		{key("spec", "template", "spec", "containers", indexSeg(0), "image"), nil},
	} {
		if got := o.of(tc.key); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("owners of %q = %q, want %q", tc.key, got, tc.want)
		}
	}
}

func TestRepairedMessageNamesOwners(t *testing.T) {
	ref := health.ObjectRef{GroupVersionKind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, Namespace: "web", Name: "web"}
	ds := []Drift{
		{Ref: ref, Kind: Changed, Fields: []string{"spec.replicas", "spec.template.spec.containers[name=web].image", "spec.x"},
			Owners: [][]string{{"kubectl"}, {"a", "manager"}, nil}},
		{Ref: ref, Kind: Missing},
	}
	want := "drift repaired: Deployment web/web changed (spec.replicas by kubectl, spec.template.spec.containers[name=web].image by a+manager, spec.x); Deployment web/web deleted"
	if got := RepairedMessage(ds); got != want {
		t.Errorf("RepairedMessage\n got %q\nwant %q", got, want)
	}
	if got := ds[0].String(); got != "Deployment web/web changed (spec.replicas, spec.template.spec.containers[name=web].image, spec.x)" {
		t.Errorf("String changed: %q", got)
	}
	if got := Managers(ds); !reflect.DeepEqual(got, []string{"a", "kubectl", "manager"}) {
		t.Errorf("Managers = %q", got)
	}
}

// scramble overwrites every scalar below v in place and returns v.
func scramble(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = scramble(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = scramble(e)
		}
		return x
	default:
		return "scrambled"
	}
}
