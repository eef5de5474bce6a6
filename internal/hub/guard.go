package hub

import (
	"fmt"
	"sort"
	"strings"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// guardDeletion refuses a change that would uninstall enabled components in
// member clusters: deleting old (new == nil), or an update that removes
// old's sync annotation (members then delete their mirror). common is the
// current `common` (nil when absent) and registered tells whether old's
// cluster is registered; both matter only for a cluster's own Hotplug.
//
// For `common`, every component it enables would be uninstalled. For a
// cluster's own Hotplug, a component it enables would be uninstalled when
// `common` does not enable it too; a Hotplug of an unregistered cluster
// guards nothing. Setting ConfirmUninstallAnnotation to "true" (on old for a
// deletion, on new or old for an update) lets the change through.
func guardDeletion(old, new, common *hotplugv1.Hotplug, registered bool) error {
	if old == nil {
		return nil
	}
	op := "deleting"
	if new != nil {
		if old.Annotations[hotplugv1.SyncAnnotation] != "true" || new.Annotations[hotplugv1.SyncAnnotation] == "true" {
			return nil
		}
		op = fmt.Sprintf("removing annotation %s from", hotplugv1.SyncAnnotation)
		if confirmed(new) {
			return nil
		}
	}
	if confirmed(old) {
		return nil
	}
	var lost []string
	switch {
	case old.Name == hotplugv1.CommonName:
		lost = enabledIn(old)
	case registered:
		keep := map[string]bool{}
		if common != nil {
			for _, n := range enabledIn(common) {
				keep[n] = true
			}
		}
		for _, n := range enabledIn(old) {
			if !keep[n] {
				lost = append(lost, n)
			}
		}
	}
	if len(lost) == 0 {
		return nil
	}
	where := "every cluster"
	if old.Name != hotplugv1.CommonName {
		where = fmt.Sprintf("cluster %q", old.Name)
	}
	return fmt.Errorf("hotplug %q: %s it would uninstall enabled components from %s: %s; set spec.component[].status to %q for them first, or set annotation %s: \"true\" on the object to confirm the uninstall",
		old.Name, op, where, strings.Join(lost, ", "), hotplugv1.StatusDisabled, hotplugv1.ConfirmUninstallAnnotation)
}

func confirmed(hp *hotplugv1.Hotplug) bool {
	return hp.Annotations[hotplugv1.ConfirmUninstallAnnotation] == "true"
}

// enabledIn lists the names of hp's components whose status is "enabled",
// sorted.
func enabledIn(hp *hotplugv1.Hotplug) []string {
	var out []string
	for _, c := range hp.Spec.Component {
		if c.Status == hotplugv1.StatusEnabled {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}
