package hub

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

func TestValidateRollout(t *testing.T) {
	fleet := Fleet{Clusters: []string{"member-1"}, Own: map[string]*hotplugv1.Hotplug{}}
	pct, zero, word := intstr.FromString("25%"), intstr.FromInt32(0), intstr.FromString("many")
	cases := []struct {
		name   string
		object string
		ro     hotplugv1.RolloutSpec
		want   string // "" means valid
	}{
		{"progressive common", "common", hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive, MaxConcurrency: &pct,
			Canary: &hotplugv1.CanarySpec{ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{hotplugv1.CanaryLabel: "true"}}}}, ""},
		{"rollout in a cluster's own", "member-1", hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive}, `hotplug "member-1": spec.rollout: only "common"`},
		{"zero maxConcurrency", "common", hotplugv1.RolloutSpec{MaxConcurrency: &zero}, "spec.rollout.maxConcurrency: 0 is not positive"},
		{"word maxConcurrency", "common", hotplugv1.RolloutSpec{MaxConcurrency: &word}, "spec.rollout.maxConcurrency"},
		{"bad selector", "common", hotplugv1.RolloutSpec{Canary: &hotplugv1.CanarySpec{ClusterSelector: &metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "x", Operator: "Near"}}}}}, "spec.rollout.canary.clusterSelector"},
		{"negative deadline", "common", hotplugv1.RolloutSpec{ProgressDeadline: &metav1.Duration{Duration: -time.Second}}, "spec.rollout.progressDeadline"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := hp(tc.object, hotplugv1.ComponentSpec{Name: "a", Status: "enabled"})
			obj.Spec.Rollout = &tc.ro
			err := Validate(context.Background(), limits.Default(), obj, fleet)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
