package agent

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

func TestTrimForCache(t *testing.T) {
	pod := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{
		Name: "web-0", Namespace: "web", UID: "u1", ResourceVersion: "42", Generation: 3,
		Labels:          map[string]string{"app": "web"},
		Annotations:     map[string]string{AnnotationReleaseName: "web", AnnotationReleaseNamespace: "web", "checksum/config": "abc"},
		OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-1"}},
		ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "helm"}},
	}}
	got, err := trimForCache(pod)
	if err != nil {
		t.Fatal(err)
	}
	m := got.(*metav1.PartialObjectMetadata)
	if m.Name != "web-0" || m.Namespace != "web" || m.UID != "u1" || m.ResourceVersion != "42" || m.Generation != 3 {
		t.Errorf("identity lost: %+v", m.ObjectMeta)
	}
	if len(m.Annotations) != 2 || m.Annotations[AnnotationReleaseName] != "web" || m.Annotations[AnnotationReleaseNamespace] != "web" {
		t.Errorf("annotations = %v, want only the release's", m.Annotations)
	}
	if m.Labels != nil || m.OwnerReferences != nil || m.ManagedFields != nil {
		t.Errorf("kept %v %v %v", m.Labels, m.OwnerReferences, m.ManagedFields)
	}

	plain := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "x", Annotations: map[string]string{"a": "b"}}}
	if got, _ := trimForCache(plain); got.(*metav1.PartialObjectMetadata).Annotations != nil {
		t.Error("an object of no release kept annotations")
	}

	hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: "common", ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}},
		Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "a"}}}}
	got, _ = trimForCache(hp)
	if h := got.(*hotplugv1.Hotplug); h.ManagedFields != nil || len(h.Spec.Component) != 1 {
		t.Errorf("Hotplug trimmed wrong: %+v", h)
	}
	if got, _ := trimForCache("tombstone"); got != "tombstone" {
		t.Errorf("other values must pass through, got %v", got)
	}
}
