package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// CommonName is the name of the Hotplug that every cluster shares; any other
// Hotplug is named after the cluster it configures.
const CommonName = "common"

// Component switch values accepted in ComponentSpec.Status.
const (
	StatusEnabled  = "enabled"
	StatusDisabled = "disabled"
)

// Phase values written to HotplugStatus.Phase.
const (
	PhaseRunning     = "running"
	PhaseProgressing = "progressing"
	PhaseFail        = "fail"
)

// HotplugSpec lists the components of a configuration. In `common` it is the
// default for every cluster; in a cluster's own Hotplug each element that is
// set overrides the same element of `common`.
type HotplugSpec struct {
	// Component lists the add-ons, keyed by name; at most 100
	// (limits.MaxComponents, independent of flags): common's status lists
	// one entry per component.
	// +kubebuilder:validation:MaxItems=100
	// +listType=map
	// +listMapKey=name
	// +optional
	Component []ComponentSpec `json:"component,omitempty"`

	// Rollout, in `common` only, says how a new revision of `common` reaches
	// the clusters of the fleet. Absent means all clusters at once.
	// +optional
	Rollout *RolloutSpec `json:"rollout,omitempty"`
}

// RolloutStrategy names how a revision of `common` reaches the fleet.
// +kubebuilder:validation:Enum=All;Progressive
type RolloutStrategy string

// Rollout strategies.
const (
	// RolloutAll: every cluster takes a new revision at once (the default).
	RolloutAll RolloutStrategy = "All"
	// RolloutProgressive: canaries first, one at a time, then the other
	// clusters at most MaxConcurrency at a time, each gated on its health.
	RolloutProgressive RolloutStrategy = "Progressive"
)

// RolloutSpec configures a progressive rollout of `common`.
type RolloutSpec struct {
	// Strategy is All (default) or Progressive.
	// +optional
	Strategy RolloutStrategy `json:"strategy,omitempty"`
	// Canary selects the clusters updated first, one at a time, in name order.
	// +optional
	Canary *CanarySpec `json:"canary,omitempty"`
	// MaxConcurrency is how many clusters, after the canaries, are updated at
	// once: a number or a percentage of the clusters ("25%"). Default 1.
	// +kubebuilder:validation:XIntOrString
	// +optional
	MaxConcurrency *intstr.IntOrString `json:"maxConcurrency,omitempty"`
	// MinHealthySeconds is how long all components of an updated cluster
	// must stay Ready before the cluster counts as done. Default 0.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	// +optional
	MinHealthySeconds int32 `json:"minHealthySeconds,omitempty"`
	// ProgressDeadline is how long an updated cluster may take to be done;
	// a cluster not done by then fails and pauses the rollout. Default 5m.
	// +optional
	ProgressDeadline *metav1.Duration `json:"progressDeadline,omitempty"`
}

// CanarySpec selects the canary clusters.
type CanarySpec struct {
	// ClusterSelector matches the labels of Cluster objects on the pivot.
	// +optional
	ClusterSelector *metav1.LabelSelector `json:"clusterSelector,omitempty"`
}

// ComponentSpec is one add-on. Every field but Name may be left empty in a
// cluster's own configuration, in which case the value from `common` applies.
type ComponentSpec struct {
	// Name is the component's name and the name of its Helm release.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=53
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +required
	Name string `json:"name"`

	// Namespace is where the component's release is installed; it is created
	// when missing. Unset means the cluster's value, else common's, else
	// "default".
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// PkgName is the chart package (a .tgz file or a chart directory) inside
	// the agent's chart directory. Unset means the cluster's value, else
	// common's. A component without one (and without chart) after the merge
	// is a feature switch: no release, its state is published in a
	// ConfigMap. A layer that sets pkgName replaces a chart it inherits;
	// an enabled component with both pkgName and chart after the merge is
	// refused.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	PkgName string `json:"pkgName,omitempty"`

	// Chart names the component's chart where it is published (an OCI
	// registry or a Helm repository) instead of pkgName. It merges field by
	// field: a cluster's Hotplug may set only chart.version, or only
	// chart.repository to use a mirror; a field cannot be unset by a layer,
	// only replaced. A layer that sets chart replaces a pkgName it
	// inherits. Enabled, the merged chart needs repository, name and
	// version. The agent pulls it (cached by digest) and reports
	// chartVersion and chartDigest; a source that fails never touches a
	// running release.
	// +kubebuilder:validation:XValidation:rule="!has(self.repository) || !has(self.verify) || !has(self.verify.provider) || self.verify.provider != 'cosign' || self.repository.startsWith('oci://')",message="verify.provider cosign needs an oci:// repository"
	// +kubebuilder:validation:XValidation:rule="!has(self.repository) || !has(self.insecure) || !self.insecure || self.repository.startsWith('oci://') || self.repository.startsWith('http://')",message="insecure is allowed only with an oci:// or http:// repository"
	// +optional
	Chart *ChartSource `json:"chart,omitempty"`

	// Status switches the component on (enabled) or off (disabled). Unset
	// means the cluster's value, else common's; unset in both is off. A
	// component switched off has its release uninstalled.
	// +kubebuilder:validation:Enum=enabled;disabled
	// +optional
	Status string `json:"status,omitempty"`

	// Env holds the component's Helm values as a YAML mapping; `{{.cluster}}`
	// is replaced with the cluster's name. A cluster's env is deep-merged
	// over common's: maps key by key, lists and scalars replaced whole, a
	// key set to null removed (from the chart's defaults too).
	// +optional
	Env string `json:"env,omitempty"`

	// DriftRepair, when false, leaves objects of the component's release
	// that someone changed or deleted by hand as they are (the drift is
	// still reported). Unset means the cluster's value, else common's, else
	// true (repair).
	// +optional
	DriftRepair *bool `json:"driftRepair,omitempty"`

	// DependsOn names components that must be Ready in the cluster before
	// this one is installed or upgraded; this one is uninstalled before
	// them. Unset means the cluster's value, else common's.
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=53
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +listType=set
	// +optional
	DependsOn []string `json:"dependsOn,omitempty"`

	// DriftIgnore names fields of the component's objects that drift repair
	// leaves alone: neither reported nor set back (a repair of other fields
	// keeps their live value). For fields that admission policies or
	// controllers set, e.g. an image rewritten to a registry mirror. Unset
	// (or empty) means the cluster's list when it has entries, else
	// common's: a cluster's list replaces common's, it does not add to it.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	DriftIgnore []DriftIgnore `json:"driftIgnore,omitempty"`
}

// ChartSource is a chart in an OCI registry or a Helm repository. Every
// field is optional in one Hotplug (a layer may set a few and inherit the
// rest); the merged chart of an enabled component needs repository, name
// and version.
type ChartSource struct {
	// Repository is where the chart is published: oci://host[:port]/path
	// (an OCI registry) or https://, http:// (a Helm repository with an
	// index.yaml). No other scheme, no user or password in the URL (use
	// secretRef), no query, fragment, backslash, control character or
	// "." / ".." path segment.
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.startsWith('oci://') || self.startsWith('https://') || self.startsWith('http://')",message="repository must start with oci://, https:// or http://"
	// +optional
	Repository string `json:"repository,omitempty"`
	// Name is the chart's name in the repository: letters, digits, ".",
	// "_" and "-", no "/" and no ".."; lower case for an oci:// repository
	// (an OCI path component).
	// +kubebuilder:validation:MaxLength=128
	// +optional
	Name string `json:"name,omitempty"`
	// Version is an exact SemVer version ("1.0.1") or a SemVer range
	// ("~1.0", ">=1.0.0 <2.0.0"), resolved to the highest matching version.
	// A layer that sets version (or name) without digest while the digest
	// comes from common is refused: a digest pins one package of one
	// version.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	Version string `json:"version,omitempty"`
	// Digest, optional, pins the package: "sha256:" and 64 lower-case hex
	// digits. When set it wins over version, and a package with another
	// digest is refused.
	// +kubebuilder:validation:MaxLength=71
	// +kubebuilder:validation:Pattern=`^sha256:[a-f0-9]{64}$`
	// +optional
	Digest string `json:"digest,omitempty"`
	// SecretRef, optional, names a Secret in the agent's namespace of the
	// cluster where the agent runs, holding username/password
	// (kubernetes.io/basic-auth) or .dockerconfigjson, and optionally
	// ca.crt (a private CA) and tls.crt/tls.key (a client certificate).
	// +optional
	SecretRef *SecretReference `json:"secretRef,omitempty"`
	// Insecure, when true, allows plain HTTP to the registry (mirrors,
	// tests); allowed only with an oci:// or http:// repository. Unset means
	// the cluster's value, else common's, else false.
	// +optional
	Insecure *bool `json:"insecure,omitempty"`
	// Verify, optional, requires a valid signature on the package.
	// +optional
	Verify *ChartVerify `json:"verify,omitempty"`
}

// SecretReference names a Secret in the agent's namespace.
type SecretReference struct {
	// Name is the Secret's name (a DNS-1123 subdomain).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
}

// ChartVerify says how a package's signature is checked.
type ChartVerify struct {
	// Provider is cosign (a signature in the OCI registry, checked against
	// cosign.pub; oci:// only) or helm (the chart's .prov file, checked
	// against keyring.gpg). cosign accepts cosign v3's Sigstore bundle
	// (an OCI referrer) and cosign v2's sha256-<hex>.sig tag, with the key
	// alone (no transparency log is asked). A package that does not verify
	// is never installed.
	// +kubebuilder:validation:Enum=cosign;helm
	// +optional
	Provider string `json:"provider,omitempty"`
	// SecretRef names the Secret in the agent's namespace holding the key:
	// cosign.pub for cosign, keyring.gpg for helm. Required with provider
	// once merged.
	// +optional
	SecretRef *SecretReference `json:"secretRef,omitempty"`
}

// Signature providers accepted in ChartVerify.Provider.
const (
	VerifyCosign = "cosign"
	VerifyHelm   = "helm"
)

// DriftIgnore is one rule of a component's driftIgnore: the fields, named
// by RFC 6901 JSON pointers, of the objects that Target selects.
type DriftIgnore struct {
	// Target selects objects of the component's release; an empty field
	// matches every value, an empty target every object.
	// +optional
	Target DriftTarget `json:"target,omitempty"`
	// Paths are RFC 6901 JSON pointers into the object, e.g.
	// "/spec/template/spec/containers/0/image" or
	// "/metadata/annotations/example.com~1mirror" ("~1" is "/", "~0" is
	// "~"); a pointer names the field and everything below it.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=512
	// +listType=atomic
	// +required
	Paths []string `json:"paths"`
}

// DriftTarget selects objects by API group, version, kind, name and
// namespace; an empty field matches every value.
type DriftTarget struct {
	// Group is the API group ("apps"; the core group cannot be told apart
	// from "any", leave it empty).
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Group string `json:"group,omitempty"`
	// Version is the API version ("v1").
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Version string `json:"version,omitempty"`
	// Kind is the object's kind ("Deployment").
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Kind string `json:"kind,omitempty"`
	// Name is the object's name.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Name string `json:"name,omitempty"`
	// Namespace is the object's namespace; it never matches a
	// cluster-scoped object.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// ComponentStatus is the observed state of one component in one cluster.
type ComponentStatus struct {
	// Name is the component's name.
	// +kubebuilder:validation:MaxLength=53
	Name string `json:"name"`
	// Enabled is the desired switch after merging with `common`.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// Namespace is the release namespace.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// PkgName is the chart package the release was made from.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	PkgName string `json:"pkgName,omitempty"`
	// Chart is the chart's name (cut to 253 bytes).
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Chart string `json:"chart,omitempty"`
	// ChartVersion is the chart's version (cut to 253 bytes).
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ChartVersion string `json:"chartVersion,omitempty"`
	// ChartDigest is the digest ("sha256:…") of the chart package the
	// release was made from when the component names a chart by source;
	// empty for a pkgName (cut to 253 bytes).
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ChartDigest string `json:"chartDigest,omitempty"`
	// Revision is the deployed Helm release revision.
	// +optional
	Revision int `json:"revision,omitempty"`
	// ValuesDigest identifies the chart content and effective values that
	// the release was made from.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ValuesDigest string `json:"valuesDigest,omitempty"`
	// Message is a short, true sentence about the component's state (at
	// most 1024 bytes, limits.MaxMessageBytes).
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Message string `json:"message,omitempty"`
	// LastDriftRepair is the last time objects of the release that someone
	// changed or deleted by hand were set back, and which.
	// +optional
	LastDriftRepair *DriftRepair `json:"lastDriftRepair,omitempty"`
	// Conditions carries the Ready condition with its reason, message and
	// last transition time.
	// +kubebuilder:validation:MaxItems=8
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// DriftRepair records one repair of a release's objects.
type DriftRepair struct {
	// Time is when the objects were set back.
	Time metav1.Time `json:"time"`
	// Message names the objects and fields (at most 1024 bytes).
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message"`
}

// HotplugStatus is written by the agent (and, on the pivot, the hub). Phase
// and Message keep the original system's meaning; the rest is structured.
type HotplugStatus struct {
	// Phase is running, progressing or fail.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Phase string `json:"phase,omitempty"`
	// Message is a JSON object string mapping each component to a sentence,
	// `release is running` for a healthy enabled component. At most 256 KiB
	// (limits.MaxStatusMessageBytes).
	// +kubebuilder:validation:MaxLength=262144
	// +optional
	Message string `json:"message,omitempty"`
	// ObservedGeneration is the generation the status was computed for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Components is the structured per-component state: at most 200
	// (limits.MaxStatusComponents), common's components and the cluster's.
	// +kubebuilder:validation:MaxItems=200
	// +listType=map
	// +listMapKey=name
	// +optional
	Components []ComponentStatus `json:"components,omitempty"`
	// Conditions are kstatus' Ready, Reconciling and Stalled for the
	// object's configuration, each with observedGeneration (types and
	// reasons: status_contract.go).
	// +kubebuilder:validation:MaxItems=8
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// Rollout, in `common` on the pivot, is the state of the progressive
	// rollout of its revisions (written by the hub).
	// +optional
	Rollout *RolloutStatus `json:"rollout,omitempty"`
}

// RolloutStatus is the state of the rollout of `common`'s revisions.
type RolloutStatus struct {
	// Revision is the last revision of `common` that completed everywhere.
	// +optional
	Revision int64 `json:"revision,omitempty"`
	// TargetRevision is the revision being rolled out (`common`'s
	// generation).
	// +optional
	TargetRevision int64 `json:"targetRevision,omitempty"`
	// Phase is Progressing, Paused or Complete.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Phase RolloutPhase `json:"phase,omitempty"`
	// UpdatedClusters run the target revision and are done.
	// +kubebuilder:validation:MaxItems=5000
	// +kubebuilder:validation:items:MaxLength=253
	// +optional
	UpdatedClusters []string `json:"updatedClusters,omitempty"`
	// PendingClusters have not been moved to the target revision yet.
	// +kubebuilder:validation:MaxItems=5000
	// +kubebuilder:validation:items:MaxLength=253
	// +optional
	PendingClusters []string `json:"pendingClusters,omitempty"`
	// FailedClusters run the target revision and did not become healthy
	// within the progress deadline.
	// +kubebuilder:validation:MaxItems=5000
	// +optional
	FailedClusters []ClusterFailure `json:"failedClusters,omitempty"`
	// Clusters is the state of every cluster in the rollout.
	// +kubebuilder:validation:MaxItems=5000
	// +listType=map
	// +listMapKey=name
	// +optional
	Clusters []ClusterRollout `json:"clusters,omitempty"`
	// Message is a short sentence about the rollout (bounded).
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Message string `json:"message,omitempty"`
	// ObservedResume is the value of the rollout-resumed-at annotation the
	// hub last acted on (a long value as its digest): a different value
	// resumes the rollout once.
	// +kubebuilder:validation:MaxLength=80
	// +optional
	ObservedResume string `json:"observedResume,omitempty"`
	// ResumedAt is when, by the hub's clock, failed clusters were last
	// given a new progress deadline by a resume.
	// +optional
	ResumedAt *metav1.Time `json:"resumedAt,omitempty"`
}

// RolloutPhase is the phase of a rollout.
type RolloutPhase string

// Rollout phases.
const (
	RolloutProgressing RolloutPhase = "Progressing"
	RolloutPaused      RolloutPhase = "Paused"
	RolloutComplete    RolloutPhase = "Complete"
)

// ClusterRolloutState is where one cluster is in a rollout.
type ClusterRolloutState string

// States of a cluster in a rollout.
const (
	// ClusterRolloutPending: still on an older revision, not moved yet.
	ClusterRolloutPending ClusterRolloutState = "Pending"
	// ClusterRolloutProgressing: moved to the target, not done yet.
	ClusterRolloutProgressing ClusterRolloutState = "Progressing"
	// ClusterRolloutUpdated: runs the target and stayed healthy long enough.
	ClusterRolloutUpdated ClusterRolloutState = "Updated"
	// ClusterRolloutFailed: not done within the progress deadline.
	ClusterRolloutFailed ClusterRolloutState = "Failed"
)

// ClusterFailure names a failed cluster and why it failed.
type ClusterFailure struct {
	// Name is the cluster.
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Reason says why (bounded).
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Reason string `json:"reason,omitempty"`
}

// ClusterRollout is one cluster's place in the rollout.
type ClusterRollout struct {
	// Name is the cluster.
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Revision is the revision of `common` the hub assigned to the cluster.
	// +optional
	Revision int64 `json:"revision,omitempty"`
	// State is Pending, Progressing, Updated or Failed.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	State ClusterRolloutState `json:"state,omitempty"`
	// Since is when the cluster entered State (for Progressing: when it was
	// moved; the deadline counts from it).
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
	// HealthySince is when the cluster was first seen Ready at the target
	// revision without interruption.
	// +optional
	HealthySince *metav1.Time `json:"healthySince,omitempty"`
	// Reason explains State (bounded).
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Reason string `json:"reason,omitempty"`
}

// Hotplug is a configuration of cluster add-ons: `common` for all clusters,
// or one named after a cluster for that cluster's overrides.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=hp
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="PHASE",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=`.metadata.creationTimestamp`
type Hotplug struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +optional
	Spec HotplugSpec `json:"spec,omitempty"`
	// +optional
	Status HotplugStatus `json:"status,omitempty"`
}

// HotplugList is a list of Hotplug objects.
//
// +kubebuilder:object:root=true
type HotplugList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Hotplug `json:"items"`
}
