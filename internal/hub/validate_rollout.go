package hub

import (
	"fmt"
	"strings"

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

// maxNamedFailures bounds how many failed clusters a refusal names.
const maxNamedFailures = 10

// guardStrategy refuses an update of `common` from strategy Progressive to
// All (or no rollout block) while old's rollout is paused on a revision
// with failed clusters: every cluster would take `common` at once, the
// revision that failed included. ConfirmRolloutAllAnnotation "true" on new
// lets it through. The refusal names the failed clusters.
func guardStrategy(old, new *hotplugv1.Hotplug) error {
	if new == nil || old.Name != hotplugv1.CommonName || !rollout.Progressive(old) || rollout.Progressive(new) ||
		new.Annotations[hotplugv1.ConfirmRolloutAllAnnotation] == "true" {
		return nil
	}
	st := old.Status.Rollout
	if st == nil || len(st.FailedClusters) == 0 || st.TargetRevision == st.Revision {
		return nil
	}
	var names []string
	for i, f := range st.FailedClusters {
		if i == maxNamedFailures {
			names = append(names, fmt.Sprintf("and %d more", len(st.FailedClusters)-i))
			break
		}
		names = append(names, f.Name)
	}
	return fmt.Errorf("hotplug %q: spec.rollout.strategy: changing it from %s to %s while revision %d is paused with failed clusters (%s) would give every cluster at once what failed there; undo the rollout first (hotplug rollout undo), or set annotation %s: \"true\" to confirm",
		old.Name, hotplugv1.RolloutProgressive, hotplugv1.RolloutAll, st.TargetRevision, strings.Join(names, ", "), hotplugv1.ConfirmRolloutAllAnnotation)
}
