package mirror

import (
	"fmt"
	"testing"
	"time"

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/crds"
)

// TestCRDDeletionKeepsMirrors: deleting the Hotplug CRD on the pivot
// deletes every Hotplug there at once, past admission. The member keeps
// both mirrors (so its agent uninstalls nothing), through the CRD's
// termination and after it, and marks them held; with the CRD installed
// again and the sources still absent, the mirrors stay. A source created
// again releases its mirror, and a later real deletion of it is mirrored
// as before.
func TestCRDDeletionKeepsMirrors(t *testing.T) {
	f := newPivotFixture(t, time.Second)
	cfg := f.env.Cluster("pivot").Config
	ext, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	name := "hotplugs." + hotplugv1.GroupVersion.Group
	if err := ext.ApiextensionsV1().CustomResourceDefinitions().Delete(f.ctx, name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the pivot's Hotplug CRD gone", func() (bool, string) {
		_, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(f.ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	both := func(what string, wantHeld bool) {
		t.Helper()
		for _, n := range []string{hotplugv1.CommonName, "m1"} {
			hp, err := f.mirrorOf(n)
			if err != nil {
				t.Fatalf("%s: mirror %s: %v", what, n, err)
			}
			if held := hp.Annotations[AnnotationKindVanished] == "true"; wantHeld && !held {
				t.Errorf("%s: mirror %s not held", what, n)
			}
		}
	}
	// Several confirmation delays with the kind gone.
	for end := time.Now().Add(4 * ConfirmDelay); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		both("CRD deleted", false)
	}
	heldBy := time.Now().Add(30 * time.Second)
	for time.Now().Before(heldBy) && !held(f) {
		time.Sleep(200 * time.Millisecond)
	}
	if !held(f) {
		t.Error("mirrors not marked held after the CRD's deletion")
	}

	// The CRD back, the sources still absent: authorized NotFounds naming
	// them, which would otherwise confirm a deletion.
	if err := crds.Install(f.ctx, cfg); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(4 * ConfirmDelay); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		both("CRD installed again, sources absent", false)
	}

	both("CRD installed again, sources absent", true)

	// common created again: its mirror is applied and released; deleted
	// again, the deletion is mirrored.
	if err := f.pivot.Create(f.ctx, enabled(hotplugv1.CommonName)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "common's mirror released", func() (bool, string) {
		hp, err := f.mirrorOf(hotplugv1.CommonName)
		return err == nil && hp.Annotations[AnnotationKindVanished] == "", fmt.Sprint(err)
	})
	if err := f.pivot.Delete(f.ctx, enabled(hotplugv1.CommonName)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "common's mirror deleted", func() (bool, string) {
		_, err := f.mirrorOf(hotplugv1.CommonName)
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	both2, err := f.mirrorOf("m1")
	if err != nil || both2.Annotations[AnnotationKindVanished] != "true" {
		t.Errorf("m1's mirror: %v held=%q", err, both2.Annotations[AnnotationKindVanished])
	}
}

// held reports whether both mirrors are marked held.
func held(f *pivotFixture) bool {
	for _, n := range []string{hotplugv1.CommonName, "m1"} {
		if hp, err := f.mirrorOf(n); err != nil || hp.Annotations[AnnotationKindVanished] != "true" {
			return false
		}
	}
	return true
}
