// Package v1 holds the hotplug.kubecube.io/v1 API: the Hotplug object that
// switches a cluster's add-ons on and off. Field names follow the original
// KubeCube system so that existing YAML applies unchanged.
//
// +kubebuilder:object:generate=true
// +groupName=hotplug.kubecube.io
package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every type in this package.
	GroupVersion = schema.GroupVersion{Group: "hotplug.kubecube.io", Version: "v1"}

	// SchemeBuilder registers this package's types with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds this package's types to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// addKnownTypes registers this package's types; the api package depends on
// apimachinery only, so that clients can import it cheaply.
func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &Hotplug{}, &HotplugList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
