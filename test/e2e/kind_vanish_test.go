package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/crds"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// TestCRDDeletionKeepsReleases: deleting the Hotplug CRD on an agent's
// cluster deletes its Hotplugs without admission; the agent holds instead
// of uninstalling (the release stays deployed, its Helm secrets stay, no
// uninstall for 15 s), and once the CRD is reinstalled and the Hotplugs
// re-created it converges on the same release revision.
func TestCRDDeletionKeepsReleases(t *testing.T) {
	const cluster = "pivot-cluster"
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: cluster})
	cfg := env.Cluster(cluster).Config
	c := newClient(t, cfg)
	ctx := context.Background()
	dir := t.TempDir()
	testcharts.Package(t, "configmap", dir, "cm", "1.0.0", "cm-1.0.0.tgz")
	h := runOneComponent(t, cfg, c, cluster, dir, "cm", "cm-1.0.0.tgz")
	rel, err := h.Get(ctx, "cm", "cm")
	if err != nil {
		t.Fatal(err)
	}
	revision := rel.Revision
	deployed := func() error {
		r, err := h.Get(ctx, "cm", "cm")
		if err != nil {
			return fmt.Errorf("release cm/cm: %w", err)
		}
		if r.Status != "deployed" || r.Revision != revision {
			return fmt.Errorf("release cm/cm is %s at revision %d, was deployed at %d", r.Status, r.Revision, revision)
		}
		secrets := &corev1.SecretList{}
		if err := c.List(ctx, secrets, client.InNamespace("cm"), client.MatchingLabels{"owner": "helm", "name": "cm"}); err != nil {
			return err
		}
		if len(secrets.Items) == 0 {
			return fmt.Errorf("no Helm secret of cm/cm left")
		}
		return nil
	}

	// Delete the CRD: the API server deletes every Hotplug, no admission.
	ax, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	crd := "hotplugs." + hotplugv1.GroupVersion.Group
	if err := ax.ApiextensionsV1().CustomResourceDefinitions().Delete(ctx, crd, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, "the CRD is gone", func() (bool, string) {
		_, err := ax.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd, metav1.GetOptions{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	// The agent saw the Hotplugs vanish; it must keep the release.
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		if err := deployed(); err != nil {
			t.Fatalf("after the CRD's deletion: %v", err)
		}
	}

	// Reinstall the CRD and re-create the Hotplugs: same release revision.
	if err := crds.Install(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, "the Hotplugs are re-created", func() (bool, string) {
		for _, obj := range oneComponent(cluster, "cm", "cm-1.0.0.tgz") {
			if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
				return false, err.Error()
			}
		}
		return true, ""
	})
	testenv.Eventually(t, 90*time.Second, "cm runs again", func() (bool, string) { return runs(c, cluster) })
	if err := deployed(); err != nil {
		t.Fatalf("after the CRD's return: %v", err)
	}
}
