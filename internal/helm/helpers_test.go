package helm

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/testcharts"
)

// testEnv is one control plane with a Client on it.
type testEnv struct {
	cfg    *rest.Config
	client *Client
	kube   kubernetes.Interface
}

// start starts a control plane for t and a Client with opts (Log defaults to t's).
func start(t *testing.T, opts Options) *testEnv {
	t.Helper()
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "helm"})
	cfg := env.Cluster("helm").Config
	if opts.Log.GetSink() == nil {
		opts.Log = testLogger(t)
	}
	if opts.Timeout == 0 {
		opts.Timeout = time.Minute
	}
	c, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{cfg: cfg, client: c, kube: cs}
}

// chart packages test/charts/src as name-version.tgz and loads it back the way
// the agent will, through chartpkg.
func chart(t *testing.T, src, name, version string) *chartv2.Chart {
	t.Helper()
	dir := t.TempDir()
	file := testcharts.Package(t, src, dir, name, version, "")
	ch, err := chartpkg.Load(dir, file)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// ctx returns a context bounded by the test's deadline and a minute.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// configMapValues reads back the merged values the configmap chart wrote.
func (e *testEnv) configMapValues(t *testing.T, namespace, name string) (map[string]any, string) {
	t.Helper()
	cm := e.configMap(t, namespace, name)
	if cm == nil {
		t.Fatalf("configmap %s/%s not found", namespace, name)
	}
	var v map[string]any
	if err := yaml.Unmarshal([]byte(cm.Data["values.yaml"]), &v); err != nil {
		t.Fatalf("configmap values: %v", err)
	}
	return v, cm.Data["chartVersion"]
}

// configMap returns namespace/name or nil when absent.
func (e *testEnv) configMap(t *testing.T, namespace, name string) *corev1.ConfigMap {
	t.Helper()
	cm, err := e.kube.CoreV1().ConfigMaps(namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return nil
		}
		t.Fatal(err)
	}
	return cm
}

// mustGet returns the release or fails.
func (e *testEnv) mustGet(t *testing.T, namespace, name string) *Release {
	t.Helper()
	rel, err := e.client.Get(testCtx(t), namespace, name)
	if err != nil {
		t.Fatalf("Get %s/%s: %v", namespace, name, err)
	}
	return rel
}

// wantRelease checks the essentials of rel.
func wantRelease(t *testing.T, rel *Release, revision int, status string) {
	t.Helper()
	if rel == nil {
		t.Fatalf("release is nil, want revision %d %s", revision, status)
	}
	if rel.Revision != revision || rel.Status != status {
		t.Fatalf("release %s/%s is revision %d %s, want revision %d %s", rel.Namespace, rel.Name, rel.Revision, rel.Status, revision, status)
	}
}

// labelsBatch selects the releases TestConcurrent labels.
func labelsBatch() labels.Selector {
	return labels.SelectorFromSet(labels.Set{"batch": "yes"})
}

// testLogger logs to t, including the client's V(1) messages.
func testLogger(t *testing.T) logr.Logger {
	return testr.NewWithOptions(t, testr.Options{Verbosity: 1})
}
