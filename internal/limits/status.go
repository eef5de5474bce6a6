package limits

// Status sizes. These do not depend on flags: the Hotplug and Cluster CRDs
// carry the same numbers as markers (api/*/v1; TestCRDLimits compares them),
// so that every writer of a status, the hub included, fits in what the API
// server admits, and no member's report can make `common`'s status too big
// for etcd (1.5 MiB per object).
const (
	// MaxComponents bounds the components of one Hotplug's spec (CRD
	// maxItems on spec.component). Common's status lists a component per
	// configured name, so its size grows with this number.
	MaxComponents = 100
	// MaxStatusComponents bounds status.components of a Hotplug and of a
	// Cluster: a cluster's effective configuration has at most common's
	// components and its own Hotplug's.
	MaxStatusComponents = 2 * MaxComponents
	// MaxStatusConditions bounds a status' and a component's conditions
	// (hotplug writes at most Ready, Reconciling, Stalled and, on common,
	// RolloutComplete and ReportsSummarized).
	MaxStatusConditions = 8
	// MaxStatusNameBytes bounds the short names a component's status
	// carries (package, chart, chart version and digest, values digest).
	MaxStatusNameBytes = 253
	// MaxStatusMessageBytes bounds a Hotplug's status.message (the JSON
	// object of component → sentence), measured as it is stored (JSON
	// escaped once more inside the object).
	MaxStatusMessageBytes = 256 << 10
	// MaxRolloutClusters bounds the cluster lists of a Hotplug's
	// status.rollout (a fleet larger than this cannot roll out
	// progressively: its status would not fit in an object anyway).
	MaxRolloutClusters = 5000
	// MaxRollupReportBytes is the part of common's status that the
	// clusters' reports may fill with their own text (messages of
	// components not ready, the "cluster <name>" entries), counted as
	// stored. Reports are taken cheapest first while they fit; the rest
	// are summarized (see hub.RollUp).
	MaxRollupReportBytes = 256 << 10
	// MaxRollupBytes bounds common's whole status apart from
	// status.rollout, whatever the clusters report (TestRollUpBudgetBound
	// builds the worst case).
	MaxRollupBytes = 768 << 10
)
