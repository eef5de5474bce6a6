package hub

import (
	"fmt"
	"sort"
	"strings"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// guardDeletion refuses a change that would uninstall enabled components in
// member clusters: deleting old (new == nil); an update of a mirrored old
// (sync annotation "true") that removes that annotation (members then
// delete their mirror); or an update of a mirrored old that drops or
// renames one of its enabled components (`kubectl replace`, a JSON patch
// `remove /spec/component`): a component no longer listed is uninstalled,
// and a renamed one is uninstalled under its old name. Setting a
// component's status to "disabled" is the way to uninstall it on purpose
// and is not refused; a disabled component may then be removed. common is
// the current `common` (nil when absent) and registered tells whether old's
// cluster is registered; both matter only for a cluster's own Hotplug.
//
// For `common`, every component it stops enabling would be uninstalled.
// For a cluster's own Hotplug, such a component would be uninstalled when
// `common` does not enable it too; a Hotplug of an unregistered cluster
// guards nothing. Setting ConfirmUninstallAnnotation to "true" (on old for a
// deletion, on new or old for an update) lets the change through. The
// refusal names the object and lists the components.
func guardDeletion(old, new, common *hotplugv1.Hotplug, registered bool) error {
	if old == nil {
		return nil
	}
	op, at := "deleting it", enabledIn(old)
	if new != nil {
		if !mirrored(old) {
			return nil // members hold no copy: the update uninstalls nothing
		}
		if mirrored(new) {
			op, at = "removing or renaming its components", dropped(old, new)
		} else {
			op = fmt.Sprintf("removing annotation %s from it", hotplugv1.SyncAnnotation)
		}
		if len(at) == 0 || confirmed(new) {
			return nil
		}
	}
	if confirmed(old) {
		return nil
	}
	lost := uninstalled(old.Name, at, common, registered)
	if len(lost) == 0 {
		return nil
	}
	where := "every cluster"
	if old.Name != hotplugv1.CommonName {
		where = fmt.Sprintf("cluster %q", old.Name)
	}
	return fmt.Errorf("hotplug %q: %s would uninstall enabled components from %s: %s; set spec.component[].status to %q for them first, or set annotation %s: \"true\" on the object to confirm the uninstall",
		old.Name, op, where, strings.Join(lost, ", "), hotplugv1.StatusDisabled, hotplugv1.ConfirmUninstallAnnotation)
}

// needsGuard reports whether the change from old to new (nil: a deletion)
// is one guardDeletion may refuse, so that the webhook reads the fleet only
// for those.
func needsGuard(old, new *hotplugv1.Hotplug) bool {
	if new == nil {
		return true
	}
	return mirrored(old) && (!mirrored(new) || len(dropped(old, new)) > 0)
}

// guardClusterDeletion refuses deleting the Cluster cl while its own
// Hotplug own (nil when absent) enables components that `common` (nil when
// absent) does not: with the Cluster gone, deleting own is no longer
// guarded (a Hotplug of an unregistered cluster guards nothing) and the
// member would uninstall them. ConfirmUninstallAnnotation "true" on the
// Cluster or on own lets it through. The refusal names the Cluster, its
// Hotplug and the components.
func guardClusterDeletion(cl *clusterv1.Cluster, own, common *hotplugv1.Hotplug) error {
	if own == nil || cl.Annotations[hotplugv1.ConfirmUninstallAnnotation] == "true" || confirmed(own) {
		return nil
	}
	lost := uninstalled(own.Name, enabledIn(own), common, true)
	if len(lost) == 0 {
		return nil
	}
	return fmt.Errorf("cluster %q: deleting it would leave its Hotplug %q unguarded, whose deletion would then uninstall enabled components from the cluster: %s; set spec.component[].status to %q for them in Hotplug %q (or delete that Hotplug) first, or set annotation %s: \"true\" on the Cluster to confirm",
		cl.Name, own.Name, strings.Join(lost, ", "), hotplugv1.StatusDisabled, own.Name, hotplugv1.ConfirmUninstallAnnotation)
}

// uninstalled filters names, the enabled components a change to the
// Hotplug called object stops enabling, to those the clusters would
// uninstall: all of them for `common`; for a registered cluster's own
// Hotplug those `common` does not enable; none for an unregistered one.
func uninstalled(object string, names []string, common *hotplugv1.Hotplug, registered bool) []string {
	if object == hotplugv1.CommonName {
		return names
	}
	if !registered {
		return nil
	}
	keep := map[string]bool{}
	if common != nil {
		for _, n := range enabledIn(common) {
			keep[n] = true
		}
	}
	var lost []string
	for _, n := range names {
		if !keep[n] {
			lost = append(lost, n)
		}
	}
	return lost
}

// dropped lists, sorted, the components old enables that new no longer
// lists under the same name (removed or renamed); one new lists as
// disabled is not dropped: disabling is how a component is uninstalled on
// purpose.
func dropped(old, new *hotplugv1.Hotplug) []string {
	listed := map[string]bool{}
	for _, c := range new.Spec.Component {
		listed[c.Name] = true
	}
	var out []string
	for _, n := range enabledIn(old) {
		if !listed[n] {
			out = append(out, n)
		}
	}
	return out
}

func mirrored(hp *hotplugv1.Hotplug) bool {
	return hp.Annotations[hotplugv1.SyncAnnotation] == "true"
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
