package hub

import (
	"errors"
	"fmt"
	"sort"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// placeholderCluster renders `common` when no Cluster is registered yet, so
// that its templates are still checked.
const placeholderCluster = "example-cluster"

// Validate checks a Hotplug as the hub's admission webhook does: its name is
// `common` or a registered cluster's; component names are unique; status is
// enabled or disabled; env parses as a YAML mapping and its templates render
// for that cluster (for `common`, for every cluster). Every problem is
// reported, each naming the object, the component and the field.
func Validate(hp *hotplugv1.Hotplug, clusters []string) error {
	var errs []error
	known := map[string]bool{}
	for _, c := range clusters {
		known[c] = true
	}
	targets := []string{hp.Name}
	if hp.Name == hotplugv1.CommonName {
		targets = append([]string(nil), clusters...)
		sort.Strings(targets)
		if len(targets) == 0 {
			targets = []string{placeholderCluster}
		}
	} else if !known[hp.Name] {
		errs = append(errs, fmt.Errorf("hotplug %q: metadata.name: must be %q or the name of a registered Cluster (kubectl get cluster); no Cluster %q exists",
			hp.Name, hotplugv1.CommonName, hp.Name))
	}
	seen := map[string]bool{}
	for i, c := range hp.Spec.Component {
		if seen[c.Name] {
			errs = append(errs, fmt.Errorf("hotplug %q: component %q: spec.component[%d].name: duplicate component name", hp.Name, c.Name, i))
		}
		seen[c.Name] = true
		if c.Status != "" && c.Status != hotplugv1.StatusEnabled && c.Status != hotplugv1.StatusDisabled {
			errs = append(errs, fmt.Errorf("hotplug %q: component %q: spec.component[%d].status: %q is not %q or %q",
				hp.Name, c.Name, i, c.Status, hotplugv1.StatusEnabled, hotplugv1.StatusDisabled))
		}
		for _, cluster := range targets {
			if _, err := merge.Render(hp.Name, c.Name, cluster, c.Env); err != nil {
				errs = append(errs, fmt.Errorf("%w (rendering for cluster %q)", err, cluster))
				break // one cluster's failure says enough about this env
			}
		}
	}
	return errors.Join(errs...)
}
