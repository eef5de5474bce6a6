package drift

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestStripRespected(t *testing.T) {
	raw := func(s string) *metav1.FieldsV1 { f := &metav1.FieldsV1{}; f.SetRawBytes([]byte(s)); return f }
	const deploy = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"ns","labels":{"a":"1"}},
	  "spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"nginx:1","resources":{"limits":{"cpu":"1"}}}]}}}}`
	scale := metav1.ManagedFieldsEntry{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "scale",
		FieldsV1: raw(`{"f:spec":{"f:replicas":{}}}`)}
	for _, tc := range []struct {
		name    string
		managed []metav1.ManagedFieldsEntry
		respect func(string) bool
		want    string
		removed []string
		wantErr bool
	}{
		{name: "nothing managed", want: deploy},
		{name: "autoscaled replicas", managed: []metav1.ManagedFieldsEntry{scale},
			want: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"ns","labels":{"a":"1"}},
			  "spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1","resources":{"limits":{"cpu":"1"}}}]}}}}`,
			removed: []string{"spec.replicas"}},
		{name: "VPA's container resources, key kept", managed: []metav1.ManagedFieldsEntry{{Manager: "vpa-updater", Operation: metav1.ManagedFieldsOperationUpdate,
			FieldsV1: raw(`{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{"f:resources":{"f:limits":{"f:cpu":{}}}}}}}}}`)}},
			want: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"ns","labels":{"a":"1"}},
			  "spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"nginx:1"}]}}}}`,
			removed: []string{"spec.template.spec.containers[name=web].resources.limits.cpu"}},
		{name: "kubectl is not respected", managed: []metav1.ManagedFieldsEntry{{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate,
			FieldsV1: raw(`{"f:spec":{"f:replicas":{}}}`)}}, want: deploy},
		{name: "status is not in a manifest", managed: []metav1.ManagedFieldsEntry{{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate,
			Subresource: "status", FieldsV1: raw(`{"f:spec":{"f:replicas":{}}}`)}}, want: deploy},
		{name: "Helm's own fields", managed: []metav1.ManagedFieldsEntry{{Manager: "helm-controller", Operation: metav1.ManagedFieldsOperationApply,
			FieldsV1: raw(`{"f:spec":{"f:replicas":{}}}`)}}, want: deploy},
		{name: "custom respect", managed: []metav1.ManagedFieldsEntry{scale, {Manager: "manager", Operation: metav1.ManagedFieldsOperationUpdate,
			FieldsV1: raw(`{"f:metadata":{"f:labels":{"f:a":{}}}}`)}}, respect: func(m string) bool { return m == "manager" },
			want: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"ns"},
			  "spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"nginx:1","resources":{"limits":{"cpu":"1"}}}]}}}}`,
			removed: []string{`metadata.labels.a`}},
		{name: "identity kept", managed: []metav1.ManagedFieldsEntry{scale, {Manager: "x-operator", Operation: metav1.ManagedFieldsOperationUpdate,
			FieldsV1: raw(`{"f:metadata":{"f:name":{},"f:namespace":{}},"f:kind":{},"f:apiVersion":{}}`)}},
			want: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"ns","labels":{"a":"1"}},
			  "spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1","resources":{"limits":{"cpu":"1"}}}]}}}}`,
			removed: []string{"apiVersion", "kind", "metadata.name", "metadata.namespace", "spec.replicas"}},
		{name: "corrupt managed fields", managed: []metav1.ManagedFieldsEntry{{Manager: "a-controller", FieldsV1: raw(`{`)}}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &unstructured.Unstructured{Object: obj(t, deploy)}
			got, removed, err := StripRespected(in, tc.managed, "helm-controller", tc.respect)
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Object, obj(t, tc.want)) {
				j, _ := json.Marshal(got.Object)
				t.Errorf("stripped\n got %s\nwant %s", j, tc.want)
			}
			slices.Sort(removed)
			if !reflect.DeepEqual(removed, tc.removed) {
				t.Errorf("removed %q, want %q", removed, tc.removed)
			}
			if !reflect.DeepEqual(in.Object, obj(t, deploy)) {
				t.Error("StripRespected modified its input")
			}
		})
	}
}
