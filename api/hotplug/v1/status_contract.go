package v1

// The status contract: what the agent writes into HotplugStatus (and the
// pivot's Cluster status) and what readers (the hub's roll-up, `hotplug
// status`, `enable/disable --wait`, kstatus-aware tools) rely on. Readers
// decide from conditions, never from message text.

// MessageRunning is the message of a component whose release is deployed at
// the desired chart and values and whose objects are all ready (kstatus
// Current). It is the original system's sentence.
const MessageRunning = "release is running"

// Condition types, on the Hotplug, on each component and on the pivot's
// Cluster. They follow kstatus' conventions
// (sigs.k8s.io/cli-utils/pkg/kstatus): Ready is True when everything is as
// configured and running; Reconciling is True while an action or a rollout
// is in progress; Stalled is True when something failed and needs a change
// or time to recover. `kubectl wait --for=condition=Ready` works on all of
// them.
const (
	ConditionReady       = "Ready"
	ConditionReconciling = "Reconciling"
	ConditionStalled     = "Stalled"
)

// Reasons of a component's conditions.
const (
	// ReasonDeployed: the release is deployed and its objects are ready.
	ReasonDeployed = "Deployed"
	// ReasonDisabled: the component is switched off and has no release.
	ReasonDisabled = "Disabled"
	// ReasonFeatureSwitch: a component without a package; nothing to run.
	ReasonFeatureSwitch = "FeatureSwitch"
	// ReasonProgressing: an action is in flight or the agent is converging.
	ReasonProgressing = "Progressing"
	// ReasonWorkloadsProgressing: the release is deployed but some of its
	// objects are not ready yet (within the health timeout).
	ReasonWorkloadsProgressing = "WorkloadsProgressing"
	// ReasonWorkloadsFailed: some object of the release failed or is gone,
	// or did not become ready within the health timeout.
	ReasonWorkloadsFailed = "WorkloadsFailed"
	// ReasonInvalidConfig: the effective configuration is rejected.
	ReasonInvalidConfig = "InvalidConfig"
	// ReasonPackageError: the chart package cannot be used.
	ReasonPackageError = "PackageError"
	// ReasonChartSourceFailing: the chart's registry or repository cannot
	// be reached or refuses the agent, and the component's release keeps
	// running the chart it has until a pull works.
	ReasonChartSourceFailing = "ChartSourceFailing"
	// ReasonActionFailed: the last Helm action failed.
	ReasonActionFailed = "ActionFailed"
	// ReasonReleaseHeld: someone else's action on the release is in flight.
	ReasonReleaseHeld = "ReleaseHeld"
)

// Reasons of an object's (Hotplug, Cluster) conditions.
const (
	ReasonAllReady   = "AllComponentsReady"
	ReasonNotReady   = "ComponentsNotReady"
	ReasonFailed     = "ComponentsFailed"
	ReasonReconciled = "Reconciled"
)

// ConditionRolloutComplete, on `common` on the pivot, is True when the
// target revision runs healthy in every cluster; False with reason
// RolloutProgressing or RolloutPaused otherwise.
const ConditionRolloutComplete = "RolloutComplete"

// Reasons of the RolloutComplete condition.
const (
	ReasonRolloutComplete    = "RolloutComplete"
	ReasonRolloutProgressing = "RolloutProgressing"
	ReasonRolloutPaused      = "RolloutPaused"
	ReasonRolloutFailed      = "RolloutFailed"
)

// ReasonDependencyNotReady: a component waits for the components it
// depends on to be Ready (or, when uninstalling, for its dependents to be
// gone).
const ReasonDependencyNotReady = "DependencyNotReady"

// ConditionReportsSummarized, on `common` on the pivot, is True while
// common's status summarizes some clusters' reports instead of copying
// them: together the reports would exceed the part of the status they may
// fill (limits.MaxRollupReportBytes), so the largest are summarized (their
// components still count as not ready; their messages are left out; read
// them on the Cluster objects the message names). Absent otherwise.
const ConditionReportsSummarized = "ReportsSummarized"

// Reasons of the ReportsSummarized condition.
const (
	// ReasonReportsOverBudget: the named clusters' reports are over their
	// share of common's status.
	ReasonReportsOverBudget = "ReportsOverBudget"
	// ReasonComponentsOverLimit: the clusters' configurations name more
	// components than a status lists (limits.MaxStatusComponents); common's
	// are listed first, the others in name order.
	ReasonComponentsOverLimit = "ComponentsOverLimit"
)

// MessageKeySummarized is the key of common's status.message entry that
// counts the clusters whose reports are summarized.
const MessageKeySummarized = "clusters summarized"
