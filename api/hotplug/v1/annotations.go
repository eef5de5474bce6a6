package v1

// ConfirmUninstallAnnotation, set to "true" on a Hotplug, lets the hub's
// webhook admit a deletion of that Hotplug (or the removal of its
// SyncAnnotation) although it would uninstall enabled components.
const ConfirmUninstallAnnotation = "hotplug.kubecube.io/confirm-uninstall"
