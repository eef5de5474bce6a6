package merge

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

func ignoring(name string, rules ...hotplugv1.DriftIgnore) hotplugv1.ComponentSpec {
	return hotplugv1.ComponentSpec{Name: name, Status: hotplugv1.StatusEnabled, DriftIgnore: rules}
}

func rule(kind, name string, paths ...string) hotplugv1.DriftIgnore {
	return hotplugv1.DriftIgnore{Target: hotplugv1.DriftTarget{Kind: kind, Name: name}, Paths: paths}
}

// TestEffectiveDriftIgnore: driftIgnore merges like dependsOn (the
// cluster's non-empty list replaces common's), and a bad rule fails its
// component alone with an error naming object, component and field.
func TestEffectiveDriftIgnore(t *testing.T) {
	image := rule("Deployment", "web", "/spec/template/spec/containers/0/image")
	caBundle := rule("ValidatingWebhookConfiguration", "", "/webhooks/0/clientConfig/caBundle")
	tests := []struct {
		name        string
		common, own *hotplugv1.Hotplug
		want        map[string][]hotplugv1.DriftIgnore // good components
		wantErrs    map[string]string                  // component -> message
	}{
		{
			name:   "common's rules apply when the cluster sets none",
			common: hotplug("common", ignoring("web", image)),
			own:    hotplug("member-1", hotplugv1.ComponentSpec{Name: "web"}),
			want:   map[string][]hotplugv1.DriftIgnore{"web": {image}},
		},
		{
			name:   "the cluster's list replaces common's",
			common: hotplug("common", ignoring("web", image)),
			own:    hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", DriftIgnore: []hotplugv1.DriftIgnore{caBundle}}),
			want:   map[string][]hotplugv1.DriftIgnore{"web": {caBundle}},
		},
		{
			name:   "the cluster's empty list is unset: common's applies",
			common: hotplug("common", ignoring("web", image)),
			own:    hotplug("member-1", hotplugv1.ComponentSpec{Name: "web", DriftIgnore: []hotplugv1.DriftIgnore{}}),
			want:   map[string][]hotplugv1.DriftIgnore{"web": {image}},
		},
		{
			name: "a component only the cluster names",
			own:  hotplug("member-1", ignoring("web", image)),
			want: map[string][]hotplugv1.DriftIgnore{"web": {image}},
		},
		{
			name:   "none anywhere",
			common: hotplug("common", ignoring("web")),
			want:   map[string][]hotplugv1.DriftIgnore{"web": nil},
		},
		{
			name:   "an empty target matches everything and is fine",
			common: hotplug("common", ignoring("web", hotplugv1.DriftIgnore{Paths: []string{"/metadata/annotations/a~1b"}})),
			want:   map[string][]hotplugv1.DriftIgnore{"web": {{Paths: []string{"/metadata/annotations/a~1b"}}}},
		},
		{
			name:     "a pointer without the leading slash fails its component alone",
			common:   hotplug("common", ignoring("ok"), ignoring("other"), ignoring("web", rule("Deployment", "web", "/spec/replicas", "spec/template"))),
			want:     map[string][]hotplugv1.DriftIgnore{"ok": nil, "other": nil},
			wantErrs: map[string]string{"web": `hotplug "common": component "web": spec.component[2].driftIgnore[0].paths[1]: invalid value: "spec/template" is not a JSON pointer (RFC 6901): must be empty or start with "/"`},
		},
		{
			name:     "a bad escape",
			own:      hotplug("member-1", ignoring("web", rule("", "", "/metadata/annotations/a~2b"))),
			wantErrs: map[string]string{"web": `hotplug "member-1": component "web": spec.component[0].driftIgnore[0].paths[0]: invalid value: "/metadata/annotations/a~2b" is not a JSON pointer (RFC 6901): "~" must be followed by "0" or "1" (at byte 23)`},
		},
		{
			name:     "the whole object",
			common:   hotplug("common", ignoring("web", rule("", "", ""))),
			wantErrs: map[string]string{"web": `spec.component[0].driftIgnore[0].paths[0]: invalid value: "" names the whole object; to leave every field alone set driftRepair: false`},
		},
		{
			name:     "no paths",
			common:   hotplug("common", ignoring("web", rule("Deployment", ""))),
			wantErrs: map[string]string{"web": `spec.component[0].driftIgnore[0].paths: invalid value: at least one path is required`},
		},
		{
			name:     "too many rules",
			common:   hotplug("common", ignoring("web", repeatRule(image, MaxDriftIgnore+1)...)),
			wantErrs: map[string]string{"web": `spec.component[0].driftIgnore: invalid value: 17 rules, at most 16`},
		},
		{
			name:     "too many paths",
			common:   hotplug("common", ignoring("web", rule("Deployment", "web", strings.Split(strings.Repeat("/a ", MaxDriftIgnorePaths+1), " ")[:MaxDriftIgnorePaths+1]...))),
			wantErrs: map[string]string{"web": `spec.component[0].driftIgnore[0].paths: invalid value: 17 paths, at most 16`},
		},
		{
			name:     "a kind no object has",
			common:   hotplug("common", ignoring("web", rule("apps/Deployment", "web", "/spec"))),
			wantErrs: map[string]string{"web": `spec.component[0].driftIgnore[0].target.kind: invalid value: "apps/Deployment" is not a kind (letters and digits, e.g. Deployment)`},
		},
		{
			name:     "a bad namespace in the cluster's rules fails even where common's would do",
			common:   hotplug("common", ignoring("web", image)),
			own:      hotplug("member-1", ignoring("web", hotplugv1.DriftIgnore{Target: hotplugv1.DriftTarget{Namespace: "Web_NS"}, Paths: []string{"/spec"}})),
			wantErrs: map[string]string{"web": `hotplug "member-1": component "web": spec.component[0].driftIgnore[0].target.namespace: invalid value: "Web_NS" is not a namespace (DNS label)`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := Effective("member-1", tc.common, tc.own)
			got := map[string][]hotplugv1.DriftIgnore{}
			for _, c := range res.Components {
				got[c.Name] = c.DriftIgnore
			}
			if tc.want == nil {
				tc.want = map[string][]hotplugv1.DriftIgnore{}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("driftIgnore\n got %+v\nwant %+v", got, tc.want)
			}
			errs := map[string]string{}
			for _, e := range res.Errors {
				errs[e.Component] = e.Error()
				if !errors.Is(e, errInvalid) {
					t.Errorf("%s: cause is not errInvalid", e)
				}
			}
			if len(errs) != len(tc.wantErrs) {
				t.Errorf("errors %q, want %q", errs, tc.wantErrs)
			}
			for c, want := range tc.wantErrs {
				if !strings.Contains(errs[c], want) {
					t.Errorf("error of %s\n got %q\nwant %q", c, errs[c], want)
				}
			}
		})
	}
}

// TestDriftIgnoreSharesNothing: the Result's rules are copies; changing
// them leaves the input alone.
func TestDriftIgnoreSharesNothing(t *testing.T) {
	common := hotplug("common", ignoring("web", rule("Deployment", "web", "/spec/replicas")))
	res := Effective("member-1", common, nil)
	res.Components[0].DriftIgnore[0].Paths[0] = "/changed"
	if common.Spec.Component[0].DriftIgnore[0].Paths[0] != "/spec/replicas" {
		t.Error("the Result shares driftIgnore with its input")
	}
}

func repeatRule(r hotplugv1.DriftIgnore, n int) []hotplugv1.DriftIgnore {
	out := make([]hotplugv1.DriftIgnore, n)
	for i := range out {
		out[i] = r
	}
	return out
}
