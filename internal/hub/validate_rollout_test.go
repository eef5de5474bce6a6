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

func TestGuardStrategy(t *testing.T) {
	progressive := &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive}
	all := &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutAll}
	paused := &hotplugv1.RolloutStatus{Revision: 3, TargetRevision: 4, Phase: hotplugv1.RolloutPaused,
		FailedClusters: []hotplugv1.ClusterFailure{{Name: "member-1", Reason: "not ready"}, {Name: "member-7"}}}
	commonWith := func(ro *hotplugv1.RolloutSpec, st *hotplugv1.RolloutStatus, ann map[string]string) *hotplugv1.Hotplug {
		hp := hpWith(hotplugv1.CommonName, ann)
		hp.Spec.Rollout, hp.Status.Rollout = ro, st
		return hp
	}
	confirm := map[string]string{hotplugv1.ConfirmRolloutAllAnnotation: "true"}
	cases := []struct {
		name     string
		old, new *hotplugv1.Hotplug
		want     []string
	}{
		{"to All while paused with failures", commonWith(progressive, paused, nil), commonWith(all, paused, nil),
			[]string{`hotplug "common"`, "spec.rollout.strategy", "revision 4", "member-1, member-7", "hotplug rollout undo", hotplugv1.ConfirmRolloutAllAnnotation}},
		{"rollout block removed while paused with failures", commonWith(progressive, paused, nil), commonWith(nil, paused, nil), []string{"member-1, member-7"}},
		{"confirmed", commonWith(progressive, paused, nil), commonWith(all, paused, confirm), nil},
		{"stays Progressive", commonWith(progressive, paused, nil), commonWith(progressive, paused, nil), nil},
		{"to All without failures", commonWith(progressive, &hotplugv1.RolloutStatus{Revision: 3, TargetRevision: 4}, nil), commonWith(all, nil, nil), nil},
		{"to All once complete", commonWith(progressive, &hotplugv1.RolloutStatus{Revision: 4, TargetRevision: 4,
			FailedClusters: []hotplugv1.ClusterFailure{{Name: "member-1"}}}, nil), commonWith(all, nil, nil), nil},
		{"deletion", commonWith(progressive, paused, nil), nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := guardStrategy(tc.old, tc.new)
			refusedWith(t, err, tc.want)
		})
	}
}
