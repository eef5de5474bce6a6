package v1

// The label and annotation keys below are shared by more than one of
// hotplug's packages (written by one, read by another): they live here, at
// the bottom of the import graph, so that no package imports a peer for a
// key. Keys that one package alone writes and reads stay with it.

// SyncAnnotation marks a Hotplug on the pivot that member clusters mirror.
const SyncAnnotation = "kubecube.io/sync"

// MirrorLabel, "true" on a member's Hotplug, marks it as the agent's mirror
// of the pivot's Hotplug of the same name.
const MirrorLabel = "hotplug.kubecube.io/mirror"

// SourceGenerationAnnotation on a mirror (and on the pivot agent's copy of
// an assigned revision of `common`) is the pivot object's generation, or the
// revision, that its spec copies, so that the status reported back names
// the right one.
const SourceGenerationAnnotation = "hotplug.kubecube.io/source-generation"

// StatusByAnnotation on `common` on the pivot names who owns its status;
// StatusByHub means the hub's roll-up, and the pivot's agent then leaves
// that status alone. It is not copied into mirrors.
const StatusByAnnotation = "hotplug.kubecube.io/status-by"

// StatusByHub is the value of StatusByAnnotation set by the hub.
const StatusByHub = "hub"

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

// ChartDigestAnnotation is set by the agent on the metadata of a chart it
// pulled from a registry before installing it: Helm stores the chart's
// metadata with each revision, so the package digest ("sha256:…") a running
// release came from is known after a restart (status chartDigest, and the
// cache never evicts it).
const ChartDigestAnnotation = "hotplug.kubecube.io/chart-digest"
