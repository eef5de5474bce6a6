package cli

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/config/samples"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/manifest"
	"github.com/kubecube-io/hotplug/internal/testcharts"
)

// startAgent runs the agent in-process (as test/e2e's runAgent does) and
// returns a function that stops it and waits until it has stopped; the
// test's cleanup stops it too.
func startAgent(t *testing.T, cfg *rest.Config, opts agent.Options) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := zap.New(zap.UseDevMode(true), zap.WriteTo(testWriter{t}))
	ctx = ctrl.LoggerInto(ctx, log)
	mgr, err := ctrl.NewManager(rest.CopyConfig(cfg), ctrl.Options{
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
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// seedCharts fills dir with stand-ins for the seed's packages (the
// configmap chart echoes its values), as test/e2e does.
func seedCharts(t *testing.T, dir string) {
	testcharts.Package(t, "configmap", dir, "logseer", "1.0.0", "logseer-v1.0.0.tgz")
	testcharts.Package(t, "configmap", dir, "logagent", "1.0.0", "logagent-v1.0.0.tgz")
	testcharts.Package(t, "configmap", dir, "logagent", "1.1.0", "logagent-v1.1.0.tgz")
	testcharts.Package(t, "configmap", dir, "kubecube-monitoring", "15.4.7", "kubecube-monitoring-15.4.7.tgz")
	testcharts.Package(t, "configmap", dir, "thanos", "3.18.0", "thanos-3.18.0.tgz")
}

func applySamples(t *testing.T, c client.Client) {
	t.Helper()
	for _, name := range samples.Names() {
		if err := manifest.Apply(context.Background(), c, samples.MustRead(name)); err != nil {
			t.Fatal(err)
		}
	}
}

// eventually polls cond every 200ms until it holds or timeout passes.
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

// waitConverged waits until the agent reports both Hotplugs running for
// their current generation.
func waitConverged(t *testing.T, c client.Client, names ...string) {
	t.Helper()
	eventually(t, 90*time.Second, "agent converges", func() (bool, string) {
		for _, n := range names {
			hp := &hotplugv1.Hotplug{}
			if err := c.Get(context.Background(), client.ObjectKey{Name: n}, hp); err != nil {
				return false, err.Error()
			}
			if hp.Status.Phase != hotplugv1.PhaseRunning || hp.Status.ObservedGeneration != hp.Generation {
				return false, n + ": " + hp.Status.Phase + " " + hp.Status.Message
			}
		}
		return true, ""
	})
}

// revisions maps namespace/name of every release to its revision.
func revisions(t *testing.T, h *helm.Client) map[string]int {
	t.Helper()
	rels, err := h.List(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rels {
		out[r.Namespace+"/"+r.Name] = r.Revision
	}
	return out
}

func releaseAbsent(t *testing.T, h *helm.Client, ns, name string) bool {
	t.Helper()
	_, err := h.Get(context.Background(), ns, name)
	return errors.Is(err, helm.ErrNotFound)
}

func init() {
	// client-go reflectors log before a test hands them a logger.
	ctrl.SetLogger(logr.Discard())
}
