package helm

import (
	"io"
	"log/slog"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/kube"
	"k8s.io/cli-runtime/pkg/genericclioptions"

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
