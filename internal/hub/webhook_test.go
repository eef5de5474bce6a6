package hub

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

func raw(t *testing.T, o any) runtime.RawExtension {
	t.Helper()
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return runtime.RawExtension{Raw: data}
}

// TestHandle sends admission requests as the API server does: a DELETE
// carries the object in oldObject only.
func TestHandle(t *testing.T) {
	ctx := context.Background()
	c := fakeClient()
	if err := c.Create(ctx, &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "member-1"}}); err != nil {
		t.Fatal(err)
	}
	common := hpWith("common", map[string]string{hotplugv1.SyncAnnotation: "true"},
		hotplugv1.ComponentSpec{Name: "logseer", Status: hotplugv1.StatusEnabled})
	common.TypeMeta = metav1.TypeMeta{APIVersion: "hotplug.kubecube.io/v1", Kind: "Hotplug"}
	if err := c.Create(ctx, common.DeepCopy()); err != nil {
		t.Fatal(err)
	}
	v := newValidator(c, limits.Default(), 0)
	hpKind := metav1.GroupVersionKind{Group: "hotplug.kubecube.io", Version: "v1", Kind: "Hotplug"}
	confirmed := common.DeepCopy()
	confirmed.Annotations[hotplugv1.ConfirmUninstallAnnotation] = "true"
	unsynced := common.DeepCopy()
	delete(unsynced.Annotations, hotplugv1.SyncAnnotation)
	badPkg := common.DeepCopy()
	badPkg.Spec.Component[0].PkgName = "../../../etc/shadow"
	badChart := common.DeepCopy()
	badChart.Spec.Component[0].Chart = &hotplugv1.ChartSource{Repository: "https://charts.example.com/a/../../etc", Name: "logseer", Version: "1.0.0"}
	cases := []struct {
		name    string
		req     admissionv1.AdmissionRequest
		allowed bool
		want    string
	}{
		{"delete common", admissionv1.AdmissionRequest{Operation: admissionv1.Delete, Kind: hpKind, Name: "common", OldObject: raw(t, common)}, false, "logseer"},
		{"delete confirmed common", admissionv1.AdmissionRequest{Operation: admissionv1.Delete, Kind: hpKind, Name: "common", OldObject: raw(t, confirmed)}, true, ""},
		{"remove sync annotation", admissionv1.AdmissionRequest{Operation: admissionv1.Update, Kind: hpKind, Name: "common", Object: raw(t, unsynced), OldObject: raw(t, common)}, false, hotplugv1.ConfirmUninstallAnnotation},
		{"pkgName traversal", admissionv1.AdmissionRequest{Operation: admissionv1.Update, Kind: hpKind, Name: "common", Object: raw(t, badPkg), OldObject: raw(t, common)}, false, "pkgName"},
		{"chart path traversal", admissionv1.AdmissionRequest{Operation: admissionv1.Update, Kind: hpKind, Name: "common", Object: raw(t, badChart), OldObject: raw(t, common)}, false,
			`component "logseer": spec.component[0].chart.repository: invalid value: the repository's path has a ".." segment`},
		{"metadata-only update", admissionv1.AdmissionRequest{Operation: admissionv1.Update, Kind: hpKind, Name: "common", Object: raw(t, confirmed), OldObject: raw(t, common)}, true, ""},
		{"cluster named common", admissionv1.AdmissionRequest{Operation: admissionv1.Create, Kind: metav1.GroupVersionKind{Group: "cluster.kubecube.io", Version: "v1", Kind: "Cluster"}, Name: "common",
			Object: raw(t, clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "common"}})}, false, `cluster "common": metadata.name`},
		{"cluster named member-2", admissionv1.AdmissionRequest{Operation: admissionv1.Create, Kind: metav1.GroupVersionKind{Group: "cluster.kubecube.io", Version: "v1", Kind: "Cluster"}, Name: "member-2",
			Object: raw(t, clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "member-2"}})}, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := v.Handle(ctx, admission.Request{AdmissionRequest: tc.req})
			msg := ""
			if resp.Result != nil {
				msg = resp.Result.Message
			}
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed=%v (%s), want %v", resp.Allowed, msg, tc.allowed)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q lacks %q", msg, tc.want)
			}
		})
	}
}
