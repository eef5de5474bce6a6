// Package v1 holds the cluster.kubecube.io/v1 API: the Cluster object that
// KubeCube uses to register the clusters of a fleet. Field names follow
// KubeCube so that its objects apply unchanged.
//
// +kubebuilder:object:generate=true
// +groupName=cluster.kubecube.io
package v1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every type in this package.
	GroupVersion = schema.GroupVersion{Group: "cluster.kubecube.io", Version: "v1"}

	// SchemeBuilder registers this package's types with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds this package's types to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
