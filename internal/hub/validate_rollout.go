package hub

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// rolloutErrors checks spec.rollout: only `common` has one (a cluster's own
// Hotplug applies at once to its one cluster), its canary selector parses,
// maxConcurrency is a positive number or a percentage, and the progress
// deadline is not negative. Each error names the object and the field.
func rolloutErrors(hp *hotplugv1.Hotplug) []error {
	ro := hp.Spec.Rollout
	if ro == nil {
		return nil
	}
	if hp.Name != hotplugv1.CommonName {
		return []error{fmt.Errorf("hotplug %q: spec.rollout: only %q rolls out; a cluster's own Hotplug applies at once", hp.Name, hotplugv1.CommonName)}
	}
	var errs []error
	if ro.Canary != nil && ro.Canary.ClusterSelector != nil {
		if _, err := metav1.LabelSelectorAsSelector(ro.Canary.ClusterSelector); err != nil {
			errs = append(errs, fmt.Errorf("hotplug %q: spec.rollout.canary.clusterSelector: %s", hp.Name, limits.Message(err.Error(), limits.MaxMessageBytes)))
		}
	}
	if _, err := rollout.MaxConcurrency(ro.MaxConcurrency, 100); err != nil {
		errs = append(errs, fmt.Errorf("hotplug %q: %s (a positive number or a percentage such as \"25%%\")", hp.Name, limits.Message(err.Error(), limits.MaxMessageBytes)))
	}
	if ro.ProgressDeadline != nil && ro.ProgressDeadline.Duration < 0 {
		errs = append(errs, fmt.Errorf("hotplug %q: spec.rollout.progressDeadline: %s is negative", hp.Name, ro.ProgressDeadline.Duration))
	}
	return errs
}
