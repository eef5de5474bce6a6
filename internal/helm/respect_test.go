package helm

import (
	"context"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/kube"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The scale subresource write an HPA makes: kube-controller-manager's
// horizontal-pod-autoscaler controller, whose field manager is
// "kube-controller-manager".
const hpaManager = "kube-controller-manager"

// TestUpgradeKeepsFieldsOfRespectedManagers upgrades and rolls back a
// Deployment whose replicas an autoscaler set through /scale: before, Helm's
// unforced server-side apply failed with a conflict on spec.replicas, for
// every upgrade and for the rollback, for ever.
func TestUpgradeKeepsFieldsOfRespectedManagers(t *testing.T) {
	t.Parallel()
	e := start(t, Options{})

	t.Run("upgrade keeps the autoscaled replicas", func(t *testing.T) {
		ctx := testCtx(t)
		const ns = "hpa-upgrade"
		e.installWeb(ctx, t, ns, "1.27.0")
		e.scale(ctx, t, ns, "web", 5, hpaManager)

		up, err := e.client.Upgrade(ctx, webRequest(t, ns, "1.1.0", "1.28.0", nil))
		if err != nil {
			t.Fatalf("Upgrade of a Deployment scaled by %s: %v", hpaManager, err)
		}
		wantRelease(t, up, 2, "deployed")
		e.wantWeb(ctx, t, ns, 5, "nginx:1.28.0")

		// And again: the field stays the autoscaler's.
		up, err = e.client.Upgrade(ctx, webRequest(t, ns, "1.2.0", "1.29.0", nil))
		if err != nil {
			t.Fatalf("second Upgrade: %v", err)
		}
		wantRelease(t, up, 3, "deployed")
		e.wantWeb(ctx, t, ns, 5, "nginx:1.29.0")
	})

	t.Run("failed upgrade is rolled back keeping the autoscaled replicas", func(t *testing.T) {
		ctx := testCtx(t)
		const ns = "hpa-rollback"
		e.installWeb(ctx, t, ns, "1.27.0")
		e.scale(ctx, t, ns, "web", 4, hpaManager)

		// The Deployment is applied (new image), then the Job after it fails.
		_, err := e.client.Upgrade(ctx, webRequest(t, ns, "2.0.0", "1.28.0", invalidJob))
		if err == nil {
			t.Fatal("Upgrade with an invalid Job succeeded")
		}
		if !strings.Contains(err.Error(), "Invalid_Name") || !strings.Contains(err.Error(), "rolled back to revision 1") {
			t.Fatalf("Upgrade error = %v; want the Job's failure, rolled back to revision 1", err)
		}
		g := e.mustGet(t, ns, "web")
		wantRelease(t, g, 3, "deployed")
		if g.ChartVersion != "1.0.0" {
			t.Errorf("serving chart %s after rollback, want 1.0.0", g.ChartVersion)
		}
		e.wantWeb(ctx, t, ns, 4, "nginx:1.27.0")
	})

	t.Run("interrupted upgrade is recovered keeping the autoscaled replicas", func(t *testing.T) {
		ctx := testCtx(t)
		const ns = "hpa-recover"
		e.installWeb(ctx, t, ns, "1.27.0")
		e.scale(ctx, t, ns, "web", 3, hpaManager)
		e.storeRevision(t, ns, "web", func(prev *release.Release) *release.Release {
			next := *prev
			info := *prev.Info
			next.Info = &info
			next.Version = 2
			next.SetStatus(rcommon.StatusPendingUpgrade, "Preparing upgrade")
			next.Info.LastDeployed = time.Now().Add(-time.Hour) // older than the timeout: abandoned
			return &next
		})
		rel, err := e.client.Recover(ctx, ns, "web")
		if err != nil {
			t.Fatalf("Recover of a Deployment scaled by %s: %v", hpaManager, err)
		}
		wantRelease(t, rel, 3, "deployed")
		e.wantWeb(ctx, t, ns, 3, "nginx:1.27.0")
	})

	t.Run("install over the objects of a lost release keeps the autoscaled replicas", func(t *testing.T) {
		ctx := testCtx(t)
		const ns = "hpa-adopt"
		e.installWeb(ctx, t, ns, "1.27.0")
		e.scale(ctx, t, ns, "web", 6, hpaManager)
		// The release's record is lost; its objects, Helm's labels and
		// annotations on them, stay: Helm's install adopts them.
		if err := e.kube.CoreV1().Secrets(ns).DeleteCollection(ctx, metav1.DeleteOptions{},
			metav1.ListOptions{LabelSelector: "owner=helm,name=web"}); err != nil {
			t.Fatal(err)
		}
		rel, err := e.client.Install(ctx, webRequest(t, ns, "1.1.0", "1.28.0", nil))
		if err != nil {
			t.Fatalf("Install over a Deployment scaled by %s: %v", hpaManager, err)
		}
		wantRelease(t, rel, 1, "deployed")
		e.wantWeb(ctx, t, ns, 6, "nginx:1.28.0")
	})

	t.Run("a release applied client-side is upgraded client-side", func(t *testing.T) {
		// As the Helm v3 CLI made releases: Helm refuses forcing
		// conflicts without server-side apply.
		ctx := testCtx(t)
		const ns = "csa"
		cfg, err := e.client.configuration(ns)
		if err != nil {
			t.Fatal(err)
		}
		inst := action.NewInstall(cfg)
		inst.ReleaseName, inst.Namespace, inst.CreateNamespace = "web", ns, true
		inst.ServerSideApply = false
		inst.WaitStrategy = kube.HookOnlyStrategy
		req := webRequest(t, ns, "1.0.0", "1.27.0", nil)
		if _, err := inst.RunWithContext(ctx, req.Chart, req.Values); err != nil {
			t.Fatalf("client-side install: %v", err)
		}
		up, err := e.client.Upgrade(ctx, webRequest(t, ns, "1.1.0", "1.28.0", nil))
		if err != nil {
			t.Fatalf("Upgrade of a client-side release: %v", err)
		}
		wantRelease(t, up, 2, "deployed")
		e.wantWeb(ctx, t, ns, 1, "nginx:1.28.0")
	})

	t.Run("a field kubectl-edit took does not fail the upgrade", func(t *testing.T) {
		ctx := testCtx(t)
		const ns = "edited"
		e.installWeb(ctx, t, ns, "1.27.0")
		e.setImage(ctx, t, ns, "web", "evil:1", "kubectl-edit")

		up, err := e.client.Upgrade(ctx, webRequest(t, ns, "1.1.0", "1.28.0", nil))
		if err != nil {
			t.Fatalf("Upgrade of a Deployment whose image kubectl-edit owns: %v", err)
		}
		wantRelease(t, up, 2, "deployed")
		// Not a respected manager: the chart's image is applied, and the
		// replicas, nobody else's, are still the chart's.
		e.wantWeb(ctx, t, ns, 1, "nginx:1.28.0")
	})
}

// webRequest is the webapp chart at chartVersion as release "web" in ns,
// with the image tag, one replica and extra templates.
func webRequest(t *testing.T, ns, chartVersion, tag string, extra *common.File) Request {
	t.Helper()
	ch := chart(t, "webapp", "web", chartVersion)
	if extra != nil {
		ch.Templates = append(ch.Templates, extra)
	}
	return Request{Name: "web", Namespace: ns, Chart: ch, Values: map[string]any{"replicaCount": 1, "image": map[string]any{"tag": tag}}}
}

// invalidJob is a template the API server refuses (an invalid name), of a
// kind Helm applies after Deployments.
var invalidJob = &common.File{Name: "templates/invalid-job.yaml", Data: []byte(`apiVersion: batch/v1
kind: Job
metadata:
  name: Invalid_Name
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
`)}

// installWeb installs chart webapp 1.0.0 as release "web" in ns.
func (e *testEnv) installWeb(ctx context.Context, t *testing.T, ns, tag string) {
	t.Helper()
	rel, err := e.client.Install(ctx, webRequest(t, ns, "1.0.0", tag, nil))
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
	wantRelease(t, rel, 1, "deployed")
}

// scale sets ns/name's replicas through the scale subresource under manager,
// as an HPA (kube-controller-manager) or `kubectl scale` does.
func (e *testEnv) scale(ctx context.Context, t *testing.T, ns, name string, replicas int32, manager string) {
	t.Helper()
	deps := e.kube.AppsV1().Deployments(ns)
	s, err := deps.GetScale(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Spec.Replicas = replicas
	if _, err := deps.UpdateScale(ctx, name, s, metav1.UpdateOptions{FieldManager: manager}); err != nil {
		t.Fatalf("scale %s/%s as %s: %v", ns, name, manager, err)
	}
}

// setImage changes the web container's image of ns/name under manager, as
// `kubectl edit` does.
func (e *testEnv) setImage(ctx context.Context, t *testing.T, ns, name, image, manager string) {
	t.Helper()
	patch := `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"` + image + `"}]}}}}`
	if _, err := e.kube.AppsV1().Deployments(ns).Patch(ctx, name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: manager}); err != nil {
		t.Fatalf("set image of %s/%s as %s: %v", ns, name, manager, err)
	}
}

// wantWeb checks the replicas and image of Deployment ns/web.
func (e *testEnv) wantWeb(ctx context.Context, t *testing.T, ns string, replicas int32, image string) *appsv1.Deployment {
	t.Helper()
	dep, err := e.kube.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := *dep.Spec.Replicas; got != replicas {
		t.Errorf("Deployment %s/web has %d replicas, want %d", ns, got, replicas)
	}
	if got := dep.Spec.Template.Spec.Containers[0].Image; got != image {
		t.Errorf("Deployment %s/web runs %s, want %s", ns, got, image)
	}
	return dep
}
