package health_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/manifest"
)

// deployment renders a release-like manifest: a ConfigMap, a Service and a
// Deployment of one replica requesting cpu.
func deployment(name, cpu string) string {
	return `---
# Source: demo/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: ` + name + `
data: {a: b}
---
# Source: demo/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: ` + name + `
spec:
  selector: {app: ` + name + `}
  ports: [{port: 80}]
---
# Source: demo/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
spec:
  replicas: 1
  selector:
    matchLabels: {app: ` + name + `}
  template:
    metadata:
      labels: {app: ` + name + `}
    spec:
      containers:
      - name: app
        image: nginx
        resources:
          requests: {cpu: "` + cpu + `"}
`
}

// withNamespace sets metadata.namespace on every object of a manifest, as
// Helm's install does for the release namespace.
func withNamespace(m, ns string) string {
	return strings.ReplaceAll(m, "metadata:\n  name:", "metadata:\n  namespace: "+ns+"\n  name:")
}

// TestHealthOnRealCluster runs the Checker against a control plane with
// controller-manager, scheduler and kwok (one node of 32 cpu): a Deployment
// that rolls out reads Ready; one requesting more cpu than any node reads
// Progressing with the pod's Unschedulable reason and Failed once the timeout
// after the action passes; deleting a running Deployment reads Failed
// (NotFound) at once.
func TestHealthOnRealCluster(t *testing.T) {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "health", Workloads: true})
	cfg := env.Cluster("health").Config
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const ns = "demo"
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	checker := health.NewChecker(c, c.RESTMapper())

	// waitFor checks the release until want accepts its summary and
	// returns that summary and how long it took.
	waitFor := func(t *testing.T, m string, sinceAction func() time.Duration, timeout time.Duration, want func(health.Summary) bool) (health.Summary, time.Duration) {
		t.Helper()
		start := time.Now()
		var last health.Summary
		err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
			objs, err := checker.Check(ctx, m, ns)
			if err != nil {
				return false, err
			}
			last = health.Summarize(objs, sinceAction(), timeout)
			return want(last), nil
		})
		if err != nil {
			t.Fatalf("last summary %+v: %v", last, err)
		}
		return last, time.Since(start)
	}
	apply := func(t *testing.T, m string) time.Time {
		t.Helper()
		if err := manifest.Apply(ctx, c, []byte(withNamespace(m, ns))); err != nil {
			t.Fatal(err)
		}
		return time.Now()
	}

	t.Run("ready", func(t *testing.T) {
		m := deployment("web", "100m")
		at := apply(t, m)
		s, took := waitFor(t, m, func() time.Duration { return time.Since(at) }, 5*time.Minute,
			func(s health.Summary) bool { return s.State == health.Ready })
		if s.Message != health.RunningMessage {
			t.Errorf("ready message %q", s.Message)
		}
		t.Logf("Ready %s after apply", took.Round(time.Millisecond))

		// A running Deployment deleted by hand fails at once.
		if err := c.Delete(ctx, &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}); err != nil {
			t.Fatal(err)
		}
		s, took = waitFor(t, m, func() time.Duration { return 0 }, 5*time.Minute,
			func(s health.Summary) bool { return s.State != health.Ready })
		if s.State != health.Failed || s.Message != "Deployment demo/web: not found" {
			t.Errorf("after deletion: %+v", s)
		}
		t.Logf("Failed %s after deletion: %s", took.Round(time.Millisecond), s.Message)
	})

	t.Run("unschedulable", func(t *testing.T) {
		m := deployment("hog", "64")
		at := apply(t, m)
		s, took := waitFor(t, m, func() time.Duration { return time.Since(at) }, 5*time.Minute,
			func(s health.Summary) bool { return strings.Contains(s.Message, "Unschedulable") })
		if s.State != health.Progressing || !strings.HasPrefix(s.Message, "Deployment demo/hog: ") ||
			!strings.Contains(s.Message, "; pod hog-") || !strings.Contains(s.Message, "Insufficient cpu") {
			t.Errorf("unschedulable: %+v", s)
		}
		t.Logf("Progressing %s after apply: %s", took.Round(time.Millisecond), s.Message)

		// The same observation, past a short timeout after the action.
		const timeout = 2 * time.Second
		s, _ = waitFor(t, m, func() time.Duration { return time.Since(at) }, timeout,
			func(s health.Summary) bool { return s.State == health.Failed })
		if !strings.HasPrefix(s.Message, "not ready 2s after the last action: Deployment demo/hog: ") || !strings.Contains(s.Message, "Unschedulable") {
			t.Errorf("timed out: %+v", s)
		}
		t.Logf("Failed %s after apply with timeout %s: %s", time.Since(at).Round(time.Millisecond), timeout, s.Message)

		// Fixing the request makes it Ready again.
		m = deployment("hog", "100m")
		at = apply(t, m)
		_, took = waitFor(t, m, func() time.Duration { return time.Since(at) }, 5*time.Minute,
			func(s health.Summary) bool { return s.State == health.Ready })
		t.Logf("Ready %s after the fix", took.Round(time.Millisecond))
	})

	t.Run("objects for a watcher", func(t *testing.T) {
		refs, err := health.Objects(deployment("web", "1"))
		if err != nil {
			t.Fatal(err)
		}
		resolved, unserved, err := checker.Resolve(refs, ns)
		if err != nil || len(unserved) != 0 || len(resolved) != 3 {
			t.Fatalf("Resolve: %v %v %v", resolved, unserved, err)
		}
		for _, r := range resolved {
			if r.Namespace != ns {
				t.Errorf("%s not in the release namespace", r)
			}
		}
	})
}
