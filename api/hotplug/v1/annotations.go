package v1

// ConfirmUninstallAnnotation, set to "true" on a Hotplug, lets the hub's
// webhook admit a deletion of that Hotplug (or the removal of its
// SyncAnnotation) although it would uninstall enabled components.
const ConfirmUninstallAnnotation = "hotplug.kubecube.io/confirm-uninstall"

// ConfirmRolloutAllAnnotation, set to "true" on `common`, lets the hub's
// webhook admit a change of spec.rollout from Progressive to All (or its
// removal) while the rollout is paused with failed clusters: every cluster
// would then take `common` at once, the revision that failed included.
const ConfirmRolloutAllAnnotation = "hotplug.kubecube.io/confirm-rollout-all"

// RolloutPausedAnnotation, set to "true" on `common`, stops the hub from
// moving any further cluster to the target revision (`hotplug rollout
// pause`); it does not change `common`'s generation.
const RolloutPausedAnnotation = "hotplug.kubecube.io/rollout-paused"

// RolloutResumedAtAnnotation on `common` asks the hub to resume the
// rollout (`hotplug rollout resume`). Its value is an opaque marker: each
// new value resumes once, by the hub's clock (clusters that failed get a
// new progress deadline counted from when the hub saw it; the hub records
// the value in status.rollout.observedResume and the time in
// status.rollout.resumedAt). The CLI writes "g<generation>-rv<resourceVersion>"
// of the `common` it resumed. An RFC 3339 time, written by earlier versions,
// is still honoured as such the first time it is seen.
const RolloutResumedAtAnnotation = "hotplug.kubecube.io/rollout-resumed-at"

// CanaryLabel is the conventional Cluster label of canary clusters.
const CanaryLabel = "hotplug.kubecube.io/canary"
