package helm

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/kube"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"

	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/controlplane"
)

// TestAdoptCLIRelease installs the way the helm CLI does (kubeconfig flags, no
// labels) and checks the Client finds the release with a matching digest.
func TestAdoptCLIRelease(t *testing.T) {
	t.Parallel()
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "helm"})
	cl := env.Cluster("helm")
	ctx := testCtx(t)

	const ns = "legacy"
	kubeconfig, namespace := cl.Kubeconfig, ns
	flags := genericclioptions.NewConfigFlags(true)
	flags.KubeConfig, flags.Namespace = &kubeconfig, &namespace
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.NewTextHandler(io.Discard, nil)))
	if err := cfg.Init(flags, ns, ""); err != nil {
		t.Fatal(err)
	}
	ch := chart(t, "configmap", "logagent", "0.9.0")
	values := map[string]any{"replicaCount": 3, "ratio": 0.5, "big": 1 << 40, "list": []any{1, "two"}}
	inst := action.NewInstall(cfg)
	inst.ReleaseName, inst.Namespace, inst.CreateNamespace = "logagent", ns, true
	inst.WaitStrategy = kube.HookOnlyStrategy // the CLI's default without --wait
	if _, err := inst.RunWithContext(ctx, ch, values); err != nil {
		t.Fatalf("CLI-style install: %v", err)
	}

	c, err := New(cl.Config, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rel, err := c.Get(ctx, ns, "logagent")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	wantRelease(t, rel, 1, "deployed")
	if len(rel.Labels) != 0 {
		t.Errorf("labels = %v, want none", rel.Labels)
	}
	if want := chartpkg.Digest(ch, values); rel.Digest != want {
		t.Errorf("digest of CLI release = %s, want chartpkg.Digest(chart, values) = %s", rel.Digest, want)
	}
	if all, _ := c.List(ctx, nil); len(all) != 1 {
		t.Errorf("List = %v", names(all))
	}

	// Adopt: upgrade with hotplug's labels.
	up, err := c.Upgrade(ctx, Request{Name: "logagent", Namespace: ns, Chart: ch, Values: values, Labels: map[string]string{"hotplug.kubecube.io/addon": "logagent"}})
	if err != nil {
		t.Fatalf("Upgrade: %v", err)
	}
	wantRelease(t, up, 2, "deployed")
	if up.Digest != rel.Digest || up.Labels["hotplug.kubecube.io/addon"] != "logagent" {
		t.Errorf("adopted release digest %s labels %v", up.Digest, up.Labels)
	}
}

func TestMaxHistoryUninstallAndCRDs(t *testing.T) {
	t.Parallel()
	e := start(t, Options{MaxHistory: 3})
	ctx := testCtx(t)
	const ns = "history"

	if _, err := e.client.Install(ctx, Request{Name: "cm", Namespace: ns, Chart: chart(t, "configmap", "cm", "1.0.0")}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if _, err := e.client.Upgrade(ctx, Request{Name: "cm", Namespace: ns, Chart: chart(t, "configmap", "cm", "1.0.0"), Values: map[string]any{"i": i}}); err != nil {
			t.Fatalf("Upgrade %d: %v", i, err)
		}
	}
	hist, err := e.client.History(ctx, ns, "cm")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0].Revision != 4 || hist[2].Revision != 6 {
		t.Fatalf("history = %d revisions %v, want 4..6", len(hist), revisions(hist))
	}

	// withcrd installs its CRD, usable right away.
	if _, err := e.client.Install(ctx, Request{Name: "widgets", Namespace: ns, Chart: chart(t, "withcrd", "widgets", "1.0.0")}); err != nil {
		t.Fatalf("Install withcrd: %v", err)
	}
	crds, err := apiextclient.NewForConfig(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	crd, err := crds.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "widgets.example.hotplug.io", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("CRD not installed: %v", err)
	}
	established := false
	for _, c := range crd.Status.Conditions {
		established = established || (c.Type == apiextv1.Established && c.Status == apiextv1.ConditionTrue)
	}
	if !established {
		t.Errorf("CRD not established")
	}
	dyn, err := dynamic.NewForConfig(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.hotplug.io/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w1"}, "spec": map[string]any{"color": "red"},
	}}
	if _, err := dyn.Resource(schema.GroupVersionResource{Group: "example.hotplug.io", Version: "v1", Resource: "widgets"}).Namespace(ns).Create(ctx, w, metav1.CreateOptions{}); err != nil {
		t.Errorf("create Widget: %v", err)
	}

	// Uninstall removes resources and history, keeps the CRD; twice is fine.
	for i := 0; i < 2; i++ {
		if err := e.client.Uninstall(ctx, ns, "widgets"); err != nil {
			t.Fatalf("Uninstall #%d: %v", i+1, err)
		}
	}
	if e.configMap(t, ns, "widgets") != nil {
		t.Errorf("configmap survived uninstall")
	}
	if _, err := crds.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "widgets.example.hotplug.io", metav1.GetOptions{}); err != nil {
		t.Errorf("CRD removed by uninstall: %v", err)
	}
	if _, err := e.client.History(ctx, ns, "widgets"); err == nil {
		t.Errorf("history survived uninstall")
	}
}

// TestConcurrent runs operations on many releases at once, and conflicting
// operations on one release, through one Client.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	e := start(t, Options{})
	ctx := testCtx(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	charts := make([]*chartv2.Chart, n)
	for i := range n {
		charts[i] = chart(t, "configmap", fmt.Sprintf("rel-%d", i), "1.0.0")
	}
	shared := chart(t, "configmap", "shared", "1.0.0")
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name, ns := fmt.Sprintf("rel-%d", i), fmt.Sprintf("ns-%d", i%3)
			ch := charts[i]
			if _, err := e.client.Install(ctx, Request{Name: name, Namespace: ns, Chart: ch, Labels: map[string]string{"batch": "yes"}}); err != nil {
				errs <- err
				return
			}
			if _, err := e.client.Upgrade(ctx, Request{Name: name, Namespace: ns, Chart: ch, Values: map[string]any{"i": i}, Labels: map[string]string{"batch": "yes"}}); err != nil {
				errs <- err
			}
			if _, err := e.client.List(ctx, nil); err != nil {
				errs <- err
			}
		}()
	}
	// Same release from several goroutines: serialized, all succeed.
	if _, err := e.client.Install(ctx, Request{Name: "shared", Namespace: "shared", Chart: shared}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.client.Upgrade(ctx, Request{Name: "shared", Namespace: "shared", Chart: shared, Values: map[string]any{"i": i}}); err != nil {
				errs <- err
			}
			if _, err := e.client.Get(ctx, "shared", "shared"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	list, err := e.client.List(ctx, labelsBatch())
	if err != nil || len(list) != n {
		t.Fatalf("List = %v, %v", names(list), err)
	}
	for _, r := range list {
		wantRelease(t, r, 2, "deployed")
	}
	wantRelease(t, e.mustGet(t, "shared", "shared"), n+1, "deployed")
}
