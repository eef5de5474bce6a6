package helm

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	rcommon "helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

func storedRelease(name string, version int) *rspb.Release {
	return &rspb.Release{Name: name, Namespace: "store", Version: version, Manifest: "kind: ConfigMap\n",
		Config: map[string]any{"replicas": 2.0}, Labels: map[string]string{"hotplug.kubecube.io/cluster": "m1"},
		Info:  &rspb.Info{Status: rcommon.StatusPendingInstall, Description: "Initial install underway"},
		Hooks: []*rspb.Hook{{Name: "create", Kind: "Job", Path: "hooks/create.yaml", Events: []rspb.HookEvent{rspb.HookPreInstall}}}}
}

// TestReleaseStore: the records releaseStore writes are the Secrets Helm's
// own driver writes (name, type, labels) and Helm's driver reads them back;
// a hook's progress alone is not written, and the next write of the
// release carries it.
func TestReleaseStore(t *testing.T) {
	e := start(t, Options{})
	ctx := context.Background()
	if _, err := e.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "store"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	impl := e.kube.CoreV1().Secrets("store")
	helmDriver := driver.NewSecrets(impl)
	ours := newReleaseStore(helmDriver, func() (corev1client.SecretInterface, error) { return impl, nil })

	// Ours and Helm's, the same release under two keys.
	rel := storedRelease("ours", 1)
	if err := ours.Create("sh.helm.release.v1.ours.v1", rel); err != nil {
		t.Fatal(err)
	}
	theirs := storedRelease("ours", 1)
	if err := helmDriver.Create("sh.helm.release.v1.theirs.v1", theirs); err != nil {
		t.Fatal(err)
	}
	a, _ := impl.Get(ctx, "sh.helm.release.v1.ours.v1", metav1.GetOptions{})
	b, _ := impl.Get(ctx, "sh.helm.release.v1.theirs.v1", metav1.GetOptions{})
	la, lb := maps.Clone(a.Labels), maps.Clone(b.Labels)
	delete(la, "createdAt")
	delete(lb, "createdAt")
	if a.Type != b.Type || !maps.Equal(la, lb) || a.Labels["createdAt"] == "" {
		t.Errorf("our record: type %q labels %v; Helm's: type %q labels %v", a.Type, a.Labels, b.Type, b.Labels)
	}
	got, err := helmDriver.Get("sh.helm.release.v1.ours.v1")
	if err != nil {
		t.Fatalf("Helm's driver cannot read our record: %v", err)
	}
	if r := got.(*rspb.Release); r.Name != "ours" || r.Version != 1 || r.Manifest != rel.Manifest || r.Config["replicas"] != 2.0 || r.Info.Status != rcommon.StatusPendingInstall {
		t.Errorf("Helm's driver read %+v", r)
	}

	// Hook progress: the same object, only the hook's LastRun changed.
	before := a.ResourceVersion
	rel.Hooks[0].LastRun = rspb.HookExecution{StartedAt: time.Now(), Phase: rspb.HookPhaseRunning}
	if err := ours.Update("sh.helm.release.v1.ours.v1", rel); err != nil {
		t.Fatal(err)
	}
	rel.Hooks[0].LastRun.Phase = rspb.HookPhaseSucceeded
	if err := ours.Update("sh.helm.release.v1.ours.v1", rel); err != nil {
		t.Fatal(err)
	}
	if now, _ := impl.Get(ctx, "sh.helm.release.v1.ours.v1", metav1.GetOptions{}); now.ResourceVersion != before || ours.skipped != 2 {
		t.Errorf("hook progress was written (resourceVersion %s -> %s, %d skipped)", before, now.ResourceVersion, ours.skipped)
	}
	// The release's own change is written, with the hook's run.
	rel.Info.Status, rel.Info.Description = rcommon.StatusDeployed, "Install complete"
	if err := ours.Update("sh.helm.release.v1.ours.v1", rel); err != nil {
		t.Fatal(err)
	}
	got, err = helmDriver.Get("sh.helm.release.v1.ours.v1")
	if err != nil {
		t.Fatal(err)
	}
	if r := got.(*rspb.Release); r.Info.Status != rcommon.StatusDeployed || r.Hooks[0].LastRun.Phase != rspb.HookPhaseSucceeded {
		t.Errorf("after the status change Helm reads status %s, hook phase %q", r.Info.Status, r.Hooks[0].LastRun.Phase)
	}
	if list, err := helmDriver.Query(map[string]string{"name": "ours", "owner": "helm", "status": "deployed"}); err != nil || len(list) != 1 {
		t.Errorf("Helm's query by labels found %d records (%v)", len(list), err)
	}
	// Create on an existing key is Helm's ErrReleaseExists.
	if err := ours.Create("sh.helm.release.v1.ours.v1", storedRelease("ours", 1)); !errors.Is(err, driver.ErrReleaseExists) {
		t.Errorf("create over an existing record: %v, want driver.ErrReleaseExists", err)
	}
}
