package health

import (
	"context"
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// fakeMapper knows the kinds the fake tests use.
func fakeMapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "Service"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}, meta.RESTScopeRoot)
	return m
}

const fakeManifest = `
apiVersion: v1
kind: ConfigMap
metadata: {name: conf}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: web, namespace: ignored}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
---
apiVersion: v1
kind: Service
metadata: {name: gone}
`

// TestCheckFake runs Check against a fake API: a current ConfigMap and
// ClusterRole (cluster-scoped, its written namespace dropped), a Deployment in
// progress explained by its unschedulable pod (and not by a pod of another
// workload), a kind that is not served and a missing object.
func TestCheckFake(t *testing.T) {
	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "rel", Generation: 1},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}}},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 1, UpdatedReplicas: 1},
	}
	stuck := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-abc", Namespace: "rel", Labels: labels},
		Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled,
			Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes are available: 1 Insufficient cpu."}}}}
	other := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "aaa-other", Namespace: "rel", Labels: map[string]string{"app": "other"}},
		Status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted"}}
	objs := []client.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "conf", Namespace: "rel"}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "web"}},
		dep, stuck, other,
	}
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(objs...).WithStatusSubresource(dep, stuck, other).Build()
	got, err := NewChecker(c, fakeMapper()).Check(context.Background(), fakeManifest, "rel")
	if err != nil {
		t.Fatal(err)
	}
	want := []ObjectHealth{
		{Ref: ObjectRef{schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}, "", "web"}, Status: status.CurrentStatus},
		{Ref: ObjectRef{schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, "rel", "conf"}, Status: status.CurrentStatus},
		{Ref: ObjectRef{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, "rel", "web"}, Status: status.InProgressStatus,
			Reason: "pod web-abc: Unschedulable: 0/1 nodes are available: 1 Insufficient cpu."},
		{Ref: ObjectRef{schema.GroupVersionKind{Version: "v1", Kind: "Service"}, "rel", "gone"}, Status: status.NotFoundStatus, Message: "not found"},
		{Ref: ObjectRef{schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}, "", "w"}, Status: status.NotFoundStatus,
			Message: "kind example.com/v1 Widget is not served by the API server"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d objects, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g := got[i]
		if want[i].Message == "" {
			g.Message = "" // kstatus' own wording is not this package's contract
		}
		if g != want[i] {
			t.Errorf("object %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	s := Summarize(got, 0, 0)
	if s.State != Failed || !strings.HasPrefix(s.Message, "Service rel/gone: not found; Widget w: kind example.com/v1 Widget is not served") {
		t.Errorf("summary %+v", s)
	}
}

// TestCheckReadErrorIsError checks that a read failing for another reason
// than NotFound is an error naming the object, not a health verdict.
func TestCheckReadErrorIsError(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "conf", errors.New("no"))
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
			return forbidden
		},
	}).Build()
	_, err := NewChecker(c, fakeMapper()).Check(context.Background(), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: conf}\n", "rel")
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "reading ConfigMap rel/conf") {
		t.Fatalf("got %v, want a wrapped Forbidden naming the object", err)
	}
	if _, err := NewChecker(c, fakeMapper()).Check(context.Background(), "kind: [", "rel"); err == nil {
		t.Fatal("a broken manifest gave no error")
	}
}
