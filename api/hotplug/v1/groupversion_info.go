// Package v1 holds the hotplug.kubecube.io/v1 API: the Hotplug object that
// switches a cluster's add-ons on and off. Field names follow the original
// KubeCube system so that existing YAML applies unchanged.
//
// +kubebuilder:object:generate=true
// +groupName=hotplug.kubecube.io
package v1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every type in this package.
	GroupVersion = schema.GroupVersion{Group: "hotplug.kubecube.io", Version: "v1"}

	// SchemeBuilder registers this package's types with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds this package's types to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
