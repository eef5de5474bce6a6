package v1

// ConfirmUninstallAnnotation, set to "true" on a Hotplug, lets the hub's
// webhook admit a deletion of that Hotplug (or the removal of its
// SyncAnnotation) although it would uninstall enabled components.
const ConfirmUninstallAnnotation = "hotplug.kubecube.io/confirm-uninstall"

// RolloutPausedAnnotation, set to "true" on `common`, stops the hub from
// moving any further cluster to the target revision (`hotplug rollout
// pause`); it does not change `common`'s generation.
const RolloutPausedAnnotation = "hotplug.kubecube.io/rollout-paused"

// RolloutResumedAtAnnotation, an RFC 3339 time on `common` (`hotplug
// rollout resume`), gives clusters that failed before it a new progress
// deadline counted from it.
const RolloutResumedAtAnnotation = "hotplug.kubecube.io/rollout-resumed-at"

// CanaryLabel is the conventional Cluster label of canary clusters.
const CanaryLabel = "hotplug.kubecube.io/canary"
