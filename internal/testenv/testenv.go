// Package testenv is what the integration and end-to-end tests share: the
// agent and the hub run in-process for the length of a test, a transport
// that counts the agent's writes and refusals, polling with an
// explanation, and the seed's chart stand-ins.
package testenv

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/inprocess"
	"github.com/kubecube-io/hotplug/internal/testcharts"
)

// recorder counts the requests that change something (events aside: they
// record actions, not state; dry runs aside: they change nothing) and
// collects the ones the API server refused.
type recorder struct {
	rt        http.RoundTripper
	writes    *atomic.Int64
	forbidden chan string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if r.writes != nil && !strings.Contains(req.URL.Path, "/events") && req.URL.Query().Get("dryRun") == "" {
			r.writes.Add(1)
		}
	}
	resp, err := r.rt.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusForbidden {
		select {
		case r.forbidden <- req.Method + " " + req.URL.Path:
		default:
		}
	}
	return resp, err
}

func wrap(cfg *rest.Config, r *recorder) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { r.rt = rt; return r })
	return cfg
}

// Agent is an agent running in the test's process.
type Agent struct {
	writes    atomic.Int64
	forbidden chan string
	stop      func()
}

// Writes is the number of writes the agent sent to its own cluster.
func (a *Agent) Writes() int64 { return a.writes.Load() }

// Forbidden returns the requests refused so far (in its own cluster or on
// the pivot), as "METHOD path".
func (a *Agent) Forbidden() []string {
	var out []string
	for {
		select {
		case s := <-a.forbidden:
			out = append(out, s)
		default:
			return out
		}
	}
}

// Stop stops the agent and waits for it; the test's cleanup does it too.
func (a *Agent) Stop() { a.stop() }

// RunAgent runs the agent with cfg (and opts.PivotConfig) until the test
// ends, logging to the test.
func RunAgent(t testing.TB, cfg *rest.Config, opts agent.Options) *Agent {
	t.Helper()
	a := &Agent{forbidden: make(chan string, 1000)}
	cfg = wrap(cfg, &recorder{writes: &a.writes, forbidden: a.forbidden})
	if opts.PivotConfig != nil {
		opts.PivotConfig = wrap(opts.PivotConfig, &recorder{forbidden: a.forbidden})
	}
	ctx, cancel := context.WithCancel(context.Background())
	p, err := inprocess.StartAgent(ctx, cfg, opts, Logger(t).WithName("agent"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var once atomic.Bool
	a.stop = func() {
		if once.CompareAndSwap(false, true) {
			cancel()
			if err := p.Wait(); err != nil {
				t.Errorf("agent stopped: %v", err)
			}
		}
	}
	t.Cleanup(a.stop)
	return a
}

// RunHub runs the hub against the pivot until the test ends; the pivot's
// kube-apiserver calls its webhook on a loopback port.
func RunHub(t testing.TB, cfg *rest.Config, opts hub.Options) {
	t.Helper()
	opts, err := inprocess.LoopbackWebhook(opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.CertDir = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	p, err := inprocess.StartHub(ctx, cfg, opts, Logger(t).WithName("hub"))
	t.Cleanup(func() {
		cancel()
		if p == nil {
			return
		}
		if err := p.Wait(); err != nil {
			t.Errorf("hub stopped: %v", err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Logger writes to the test's log.
func Logger(t testing.TB) logr.Logger {
	return zap.New(zap.UseDevMode(true), zap.WriteTo(writer{t}))
}

// LogWriter writes each line it gets to the test's log.
func LogWriter(t testing.TB) io.Writer { return writer{t} }

type writer struct{ t testing.TB }

func (w writer) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Eventually polls cond every 200ms until it holds or timeout passes, then
// fails the test with what and cond's last explanation.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
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

// SeedCharts fills dir with stand-ins for the seed's packages, plus a
// logagent v1.1.0 for upgrades: the configmap chart echoes its values so
// tests can read back what was installed.
func SeedCharts(t testing.TB, dir string) {
	testcharts.Package(t, "configmap", dir, "logseer", "1.0.0", "logseer-v1.0.0.tgz")
	testcharts.Package(t, "configmap", dir, "logagent", "1.0.0", "logagent-v1.0.0.tgz")
	testcharts.Package(t, "configmap", dir, "logagent", "1.1.0", "logagent-v1.1.0.tgz")
	testcharts.Package(t, "configmap", dir, "kubecube-monitoring", "15.4.7", "kubecube-monitoring-15.4.7.tgz")
	testcharts.Package(t, "configmap", dir, "thanos", "3.18.0", "thanos-3.18.0.tgz")
}
