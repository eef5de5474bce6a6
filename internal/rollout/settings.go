package rollout

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// DefaultProgressDeadline is how long a moved cluster may take to be done
// when the rollout block does not say.
const DefaultProgressDeadline = 5 * time.Minute

// settings are a rollout block with its defaults applied.
type settings struct {
	canary         labels.Selector // nil: no canaries
	maxConcurrency int
	minHealthy     time.Duration
	deadline       time.Duration
}

// parseSettings applies the defaults of spec for a fleet of total clusters.
// An invalid canary selector or maxConcurrency is an error naming the field
// (the webhook refuses them; this guards objects written around it).
func parseSettings(spec *hotplugv1.RolloutSpec, total int) (settings, error) {
	s := settings{maxConcurrency: 1, deadline: DefaultProgressDeadline}
	if spec.Canary != nil && spec.Canary.ClusterSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(spec.Canary.ClusterSelector)
		if err != nil {
			return s, fmt.Errorf("spec.rollout.canary.clusterSelector: %w", err)
		}
		s.canary = sel
	}
	n, err := MaxConcurrency(spec.MaxConcurrency, total)
	if err != nil {
		return s, err
	}
	s.maxConcurrency = n
	if spec.MinHealthySeconds > 0 {
		s.minHealthy = time.Duration(spec.MinHealthySeconds) * time.Second
	}
	if spec.ProgressDeadline != nil && spec.ProgressDeadline.Duration > 0 {
		s.deadline = spec.ProgressDeadline.Duration
	}
	return s, nil
}

// MaxConcurrency resolves maxConcurrency for a fleet of total clusters: a
// number as is, a percentage of total rounded up; at least 1; unset is 1.
// A value that is neither, or not positive, is an error naming the field.
func MaxConcurrency(v *intstr.IntOrString, total int) (int, error) {
	if v == nil {
		return 1, nil
	}
	if v.Type == intstr.Int && v.IntVal <= 0 {
		return 0, fmt.Errorf("spec.rollout.maxConcurrency: %d is not positive", v.IntVal)
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(v, total, true)
	if err != nil {
		return 0, fmt.Errorf("spec.rollout.maxConcurrency: %w", err)
	}
	if n < 0 {
		return 0, fmt.Errorf("spec.rollout.maxConcurrency: %q is negative", v.String())
	}
	return max(n, 1), nil
}
