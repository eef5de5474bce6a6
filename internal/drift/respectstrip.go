package drift

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// StripRespected returns a copy of obj, an object as it is about to be
// applied under field manager self, without the fields that the managers
// respect accepts (other than self) own in managed, the managedFields of the
// live object; and the paths removed, in the form Drift.Fields uses
// ("spec.replicas"). Ownership is read as the Detector reads it: the main
// resource and the scale subresource count, status does not. respect nil
// means RespectedManager. The copy keeps obj's apiVersion, kind, name and
// namespace whatever the managers own. obj is not modified; with nothing to
// remove the copy equals obj and the paths are nil. An error means a
// managedFields entry could not be decoded; it names the manager.
//
// It is the rule Detect and Repair apply, for appliers outside this package
// (Helm's upgrade and rollback), so an upgrade takes back no field that drift
// repair leaves to its manager.
func StripRespected(obj *unstructured.Unstructured, managed []metav1.ManagedFieldsEntry, self string, respect func(string) bool) (*unstructured.Unstructured, []string, error) {
	if respect == nil {
		respect = RespectedManager
	}
	out := obj.DeepCopy()
	owned, err := respectedFields(managed, self, respect)
	if err != nil {
		return nil, nil, err
	}
	var removed []string
	for _, f := range owned {
		removed = append(removed, strip(out.Object, f)...)
	}
	if len(removed) == 0 {
		return out, nil, nil
	}
	// What stripping must never lose: the object's identity.
	out.SetAPIVersion(obj.GetAPIVersion())
	out.SetKind(obj.GetKind())
	out.SetName(obj.GetName())
	if ns := obj.GetNamespace(); ns != "" {
		out.SetNamespace(ns)
	}
	return out, removed, nil
}
