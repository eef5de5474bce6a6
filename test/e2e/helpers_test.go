package e2e

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/kube"
)

// writeCounter counts the requests a client sends that change something.
type writeCounter struct {
	rt     http.RoundTripper
	writes atomic.Int64
}

func (w *writeCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		// Events are the agent's record of actions, not state; count the rest.
		if !strings.Contains(req.URL.Path, "/events") {
			w.writes.Add(1)
		}
	}
	return w.rt.RoundTrip(req)
}

// runAgent runs the agent in-process for cluster until the test ends and
// returns a counter of the API writes it makes.
func runAgent(t testing.TB, cfg *rest.Config, opts agent.Options) *writeCounter {
	t.Helper()
	counter := &writeCounter{}
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { counter.rt = rt; return counter })
	ctx, cancel := context.WithCancel(context.Background())
	log := zap.New(zap.UseDevMode(true), zap.WriteTo(testWriter{t}))
	ctx = ctrl.LoggerInto(ctx, log)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:     kube.Scheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
		Logger:     log,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Setup(ctx, mgr, cfg, opts); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("agent stopped: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return counter
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// eventually polls cond every 200ms until it returns true or the timeout
// passes, then fails the test with the last explanation.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		ok, why := cond()
		last = why
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: %v; last: %s", what, err, last)
	}
}

func getHotplug(t *testing.T, c client.Client, name string) *hotplugv1.Hotplug {
	t.Helper()
	hp := &hotplugv1.Hotplug{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: name}, hp); err != nil {
		t.Fatalf("reading Hotplug %s: %v", name, err)
	}
	return hp
}

// editHotplug changes a Hotplug's spec with f and writes it back.
func editHotplug(t *testing.T, c client.Client, name string, f func(*hotplugv1.HotplugSpec)) {
	t.Helper()
	hp := getHotplug(t, c, name)
	f(&hp.Spec)
	if err := c.Update(context.Background(), hp); err != nil {
		t.Fatalf("updating Hotplug %s: %v", name, err)
	}
}

// componentIndex returns the index of the named component in spec.
func componentIndex(t *testing.T, spec *hotplugv1.HotplugSpec, name string) int {
	t.Helper()
	for i, c := range spec.Component {
		if c.Name == name {
			return i
		}
	}
	t.Fatalf("component %s not in spec", name)
	return -1
}

// releaseValues reads back the values a configmap-chart release rendered.
func releaseValues(t *testing.T, c client.Client, namespace, name string) (map[string]any, string, bool) {
	t.Helper()
	cm := &corev1.ConfigMap{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, cm); err != nil {
		return nil, "", false
	}
	vals := map[string]any{}
	if err := yaml.Unmarshal([]byte(cm.Data["values.yaml"]), &vals); err != nil {
		t.Fatalf("values of %s/%s: %v", namespace, name, err)
	}
	return vals, cm.Data["chartVersion"], true
}

// dig walks nested maps.
func dig(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

func newClient(t testing.TB, cfg *rest.Config) client.Client {
	t.Helper()
	c, err := kube.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func init() {
	// Components that log before a test hands them a logger (client-go
	// reflectors) would otherwise print a warning with a stack trace.
	ctrl.SetLogger(logr.Discard())
}
