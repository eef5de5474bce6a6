package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/crds"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// TestCRDDeletionKeepsReleases: deleting the Hotplug CRD on the pivot's
// own agent cluster deletes its Hotplugs without admission; the agent
// holds instead of uninstalling (the release stays deployed, its Helm
// secrets stay, no uninstall for 15 s), and once the CRD is reinstalled and
// the Hotplugs re-created it converges on the same release revision.
func TestCRDDeletionKeepsReleases(t *testing.T) {
	const cluster = "pivot-cluster"
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: cluster})
	cfg := env.Cluster(cluster).Config
	c := newClient(t, cfg)
	dir := t.TempDir()
	testcharts.Package(t, "configmap", dir, "cm", "1.0.0", "cm-1.0.0.tgz")
	h := runOneComponent(t, cfg, c, cluster, dir, "cm", "cm-1.0.0.tgz")
	deployed := keepsRelease(t, h, c, "cm")
	deleteHotplugCRD(t, cfg, deployed)

	// Reinstall the CRD and re-create the Hotplugs: same release revision.
	if err := crds.Install(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, "the Hotplugs are re-created", func() (bool, string) {
		for _, obj := range oneComponent(cluster, "cm", "cm-1.0.0.tgz") {
			if err := c.Create(context.Background(), obj); err != nil && !apierrors.IsAlreadyExists(err) {
				return false, err.Error()
			}
		}
		return true, ""
	})
	convergesKeeping(t, c, cluster, deployed)
}

// TestMemberCRDDeletionKeepsReleases: the same on a member, whose mirrors
// the CRD's deletion removes; once the CRD is reinstalled, the mirror
// controller re-creates the mirrors from the pivot and the agent converges
// on the same release revision, no one re-creating anything by hand.
func TestMemberCRDDeletionKeepsReleases(t *testing.T) {
	const member = "member-1"
	env := controlplane.StartForTest(t,
		controlplane.ClusterOptions{Name: "pivot-cluster"},
		controlplane.ClusterOptions{Name: member})
	ctx := context.Background()
	pivotCfg, memberCfg := env.Cluster("pivot-cluster").Config, env.Cluster(member).Config
	pivot, c := newClient(t, pivotCfg), newClient(t, memberCfg)
	dir := t.TempDir()
	testcharts.Package(t, "configmap", dir, "cm", "1.0.0", "cm-1.0.0.tgz")
	sources := append(oneComponent(member, "cm", "cm-1.0.0.tgz"),
		&clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: member}, Spec: clusterv1.ClusterSpec{IsMemberCluster: true}})
	for _, obj := range sources {
		if _, ok := obj.(*hotplugv1.Hotplug); ok {
			obj.SetAnnotations(map[string]string{hotplugv1.SyncAnnotation: "true"})
		}
		if err := pivot.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	testenv.RunAgent(t, memberCfg, agent.Options{ClusterName: member, ChartDir: dir, PivotConfig: pivotCfg, HeartbeatInterval: time.Hour})
	h, err := helm.New(memberCfg, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 90*time.Second, "cm runs on the member", func() (bool, string) { return runs(c, member) })
	deployed := keepsRelease(t, h, c, "cm")
	deleteHotplugCRD(t, memberCfg, deployed)

	if err := crds.Install(ctx, memberCfg); err != nil {
		t.Fatal(err)
	}
	convergesKeeping(t, c, member, deployed)
}

// keepsRelease returns a check that the component name's release (in the
// namespace of the same name) is still deployed at its current revision
// with the very Helm secrets it has now: a release uninstalled and
// installed again has new ones.
func keepsRelease(t *testing.T, h *helm.Client, c client.Client, name string) func() error {
	t.Helper()
	ctx := context.Background()
	secretUIDs := func() (string, error) {
		secrets := &corev1.SecretList{}
		if err := c.List(ctx, secrets, client.InNamespace(name), client.MatchingLabels{"owner": "helm", "name": name}); err != nil {
			return "", err
		}
		var uids []string
		for _, s := range secrets.Items {
			uids = append(uids, s.Name+"="+string(s.UID))
		}
		slices.Sort(uids)
		return strings.Join(uids, " "), nil
	}
	rel, err := h.Get(ctx, name, name)
	if err != nil {
		t.Fatal(err)
	}
	revision := rel.Revision
	before, err := secretUIDs()
	if err != nil || before == "" {
		t.Fatalf("Helm secrets of %s/%s: %q %v", name, name, before, err)
	}
	return func() error {
		r, err := h.Get(ctx, name, name)
		if err != nil {
			return fmt.Errorf("release %s/%s: %w", name, name, err)
		}
		if r.Status != "deployed" || r.Revision != revision {
			return fmt.Errorf("release %s/%s is %s at revision %d, was deployed at %d", name, name, r.Status, r.Revision, revision)
		}
		now, err := secretUIDs()
		if err != nil {
			return err
		}
		if now != before {
			return fmt.Errorf("the Helm secrets of %s/%s changed (reinstalled?): %q, were %q", name, name, now, before)
		}
		return nil
	}
}

// convergesKeeping waits until cluster's own Hotplug runs again, checking
// deployed at every look.
func convergesKeeping(t *testing.T, c client.Client, cluster string, deployed func() error) {
	t.Helper()
	testenv.Eventually(t, 2*time.Minute, cluster+" runs again", func() (bool, string) {
		if err := deployed(); err != nil {
			t.Fatalf("after the CRD's return: %v", err)
		}
		return runs(c, cluster)
	})
}

// deleteHotplugCRD deletes the Hotplug CRD of cfg's cluster (the API
// server deletes every Hotplug, no admission), waits until it is gone, then
// checks deployed for 15 s: the agent sees the Hotplugs vanish meanwhile.
func deleteHotplugCRD(t *testing.T, cfg *rest.Config, deployed func() error) {
	t.Helper()
	ctx := context.Background()
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
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		if err := deployed(); err != nil {
			t.Fatalf("after the CRD's deletion: %v", err)
		}
	}
}
