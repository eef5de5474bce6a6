package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// ClusterState is KubeCube's summary of a cluster's health.
type ClusterState string

// The states KubeCube knows.
const (
	ClusterInitFailed ClusterState = "initFailed"
	ClusterProcessing ClusterState = "processing"
	ClusterDeleting   ClusterState = "deleting"
	ClusterNormal     ClusterState = "normal"
	ClusterAbnormal   ClusterState = "abnormal"
)

// ClusterSpec describes how to reach a cluster of the fleet.
type ClusterSpec struct {
	// KubeConfig is the kubeconfig that reaches the cluster.
	// +optional
	KubeConfig []byte `json:"kubeconfig,omitempty"`
	// KubernetesAPIEndpoint is the cluster's API server address.
	// +optional
	KubernetesAPIEndpoint string `json:"kubernetesAPIEndpoint,omitempty"`
	// NetworkType is the cluster's CNI.
	// +optional
	NetworkType string `json:"networkType,omitempty"`
	// HarborAddr is the cluster's image registry.
	// +optional
	HarborAddr string `json:"harborAddr,omitempty"`
	// IsMemberCluster is false for the management (pivot) cluster.
	// +optional
	IsMemberCluster bool `json:"isMemberCluster,omitempty"`
	// IsWritable tells whether KubeCube may change the cluster.
	// +optional
	IsWritable bool `json:"isWritable,omitempty"`
	// IngressDomainSuffix is the suffix of the cluster's ingress host names.
	// +optional
	IngressDomainSuffix string `json:"ingressDomainSuffix,omitempty"`
	// Description is free text.
	// +optional
	Description string `json:"description,omitempty"`
}

// ClusterStatus is the observed state of a cluster, including the hotplug
// agent's report.
type ClusterStatus struct {
	// State is KubeCube's health summary.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	State ClusterState `json:"state,omitempty"`
	// Reason explains State when it is not normal (at most 1024 bytes).
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Reason string `json:"reason,omitempty"`
	// LastHeartbeat is when the cluster's agent last reported.
	// +optional
	LastHeartbeat *metav1.Time `json:"lastHeartbeat,omitempty"`
	// CommonRevision is the revision (generation on the pivot) of `common`
	// that the cluster's agent runs and that Conditions describe.
	// +optional
	CommonRevision int64 `json:"commonRevision,omitempty"`
	// AgentVersion is the version of the hotplug agent that reports: a
	// release version, or the source revision it was built from.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	AgentVersion string `json:"agentVersion,omitempty"`
	// HotplugPhase is the phase of the cluster's effective configuration.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	HotplugPhase string `json:"hotplugPhase,omitempty"`
	// Components is the agent's per-component report: at most 200
	// (limits.MaxStatusComponents), the components of the cluster's
	// effective configuration (common's and its own Hotplug's).
	// +kubebuilder:validation:MaxItems=200
	// +listType=map
	// +listMapKey=name
	// +optional
	Components []hotplugv1.ComponentStatus `json:"components,omitempty"`
	// Conditions are kstatus' Ready, Reconciling and Stalled for the
	// cluster's hotplug configuration, as its agent reports them (see
	// api/hotplug/v1's status contract).
	// +kubebuilder:validation:MaxItems=8
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Cluster is one cluster of the fleet, as KubeCube registers it.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="STATE",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="HOTPLUG",type=string,JSONPath=`.status.hotplugPhase`
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=`.metadata.creationTimestamp`
type Cluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +optional
	Spec ClusterSpec `json:"spec,omitempty"`
	// +optional
	Status ClusterStatus `json:"status,omitempty"`
}

// ClusterList is a list of Cluster objects.
//
// +kubebuilder:object:root=true
type ClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Cluster `json:"items"`
}
