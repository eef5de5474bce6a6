package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CommonName is the name of the Hotplug that every cluster shares; any other
// Hotplug is named after the cluster it configures.
const CommonName = "common"

// SyncAnnotation marks a Hotplug on the pivot that member clusters mirror.
const SyncAnnotation = "kubecube.io/sync"

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
	// Component lists the add-ons, keyed by name.
	// +listType=map
	// +listMapKey=name
	// +optional
	Component []ComponentSpec `json:"component,omitempty"`
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
	// when missing.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// PkgName is the chart package (a .tgz file or a chart directory) inside
	// the agent's chart directory. A component without one is a feature
	// switch: no release, its state is published in a ConfigMap.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	PkgName string `json:"pkgName,omitempty"`

	// Status switches the component on (enabled) or off (disabled).
	// +kubebuilder:validation:Enum=enabled;disabled
	// +optional
	Status string `json:"status,omitempty"`

	// Env holds the component's Helm values as a YAML mapping; `{{.cluster}}`
	// is replaced with the cluster's name.
	// +optional
	Env string `json:"env,omitempty"`

	// DriftRepair, when false, leaves objects of the component's release
	// that someone changed or deleted by hand as they are (the drift is
	// still reported). Unset means the cluster's value, else common's, else
	// true (repair).
	// +optional
	DriftRepair *bool `json:"driftRepair,omitempty"`
}

// ComponentStatus is the observed state of one component in one cluster.
type ComponentStatus struct {
	// Name is the component's name.
	Name string `json:"name"`
	// Enabled is the desired switch after merging with `common`.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// Namespace is the release namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// PkgName is the chart package the release was made from.
	// +optional
	PkgName string `json:"pkgName,omitempty"`
	// Chart is the chart's name.
	// +optional
	Chart string `json:"chart,omitempty"`
	// ChartVersion is the chart's version.
	// +optional
	ChartVersion string `json:"chartVersion,omitempty"`
	// Revision is the deployed Helm release revision.
	// +optional
	Revision int `json:"revision,omitempty"`
	// ValuesDigest identifies the chart content and effective values that
	// the release was made from.
	// +optional
	ValuesDigest string `json:"valuesDigest,omitempty"`
	// Message is a short, true sentence about the component's state.
	// +optional
	Message string `json:"message,omitempty"`
	// LastDriftRepair is the last time objects of the release that someone
	// changed or deleted by hand were set back, and which.
	// +optional
	LastDriftRepair *DriftRepair `json:"lastDriftRepair,omitempty"`
	// Conditions carries the Ready condition with its reason, message and
	// last transition time.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// DriftRepair records one repair of a release's objects.
type DriftRepair struct {
	// Time is when the objects were set back.
	Time metav1.Time `json:"time"`
	// Message names the objects and fields (bounded).
	Message string `json:"message"`
}

// HotplugStatus is written by the agent (and, on the pivot, the hub). Phase
// and Message keep the original system's meaning; the rest is structured.
type HotplugStatus struct {
	// Phase is running, progressing or fail.
	// +optional
	Phase string `json:"phase,omitempty"`
	// Message is a JSON object string mapping each component to a sentence,
	// `release is running` for a healthy enabled component.
	// +optional
	Message string `json:"message,omitempty"`
	// ObservedGeneration is the generation the status was computed for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Components is the structured per-component state.
	// +listType=map
	// +listMapKey=name
	// +optional
	Components []ComponentStatus `json:"components,omitempty"`
	// Conditions are the object's conditions (Ready).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
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
