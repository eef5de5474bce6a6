package agent_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// writeCounter counts the requests of one agent that change the cluster,
// leaving out the leader election's own (Lease reads and writes, and the
// creation of the Lease's namespace) and events.
type writeCounter struct {
	rt     http.RoundTripper
	writes atomic.Int64
}

func (w *writeCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	switch {
	case req.Method == http.MethodGet, req.Method == http.MethodHead,
		strings.Contains(req.URL.Path, "/leases"), strings.Contains(req.URL.Path, "/events"),
		req.Method == http.MethodPost && req.URL.Path == "/api/v1/namespaces":
	default:
		w.writes.Add(1)
	}
	return w.rt.RoundTrip(req)
}

// electing is an agent started through agent.Run with leader election.
type electing struct {
	name   string
	writes *writeCounter
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error // Run's result, once stopped
}

// Lease timings of the test: short, so failover is measured in seconds.
const (
	leaseDuration = 4 * time.Second
	renewDeadline = 3 * time.Second
	retryPeriod   = 500 * time.Millisecond
	leaseNS       = "kubecube-system"
	leaseName     = "hotplug-agent-one"
)

// startElecting runs an agent of cluster "one" as `hotplug agent` does,
// leader election on. release says whether a stop hands the Lease over (a
// clean stop) or leaves it to expire (a crash).
func startElecting(t *testing.T, cfg *rest.Config, name, chartDir string, release bool) *electing {
	t.Helper()
	e := &electing{name: name, writes: &writeCounter{}, done: make(chan error, 1)}
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { e.writes.rt = rt; return e.writes })
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	log := testenv.Logger(t).WithName(name)
	mopts := manager.Options{
		Scheme:                        kube.Scheme,
		Metrics:                       metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:        "0",
		Controller:                    config.Controller{SkipNameValidation: ptr.To(true)},
		Logger:                        log,
		LeaderElection:                true,
		LeaderElectionID:              leaseName,
		LeaderElectionNamespace:       leaseNS,
		LeaderElectionReleaseOnCancel: release,
		LeaseDuration:                 ptr.To(leaseDuration),
		RenewDeadline:                 ptr.To(renewDeadline),
		RetryPeriod:                   ptr.To(retryPeriod),
		GracefulShutdownTimeout:       ptr.To(5 * time.Second),
	}
	opts := agent.Options{ClusterName: "one", ChartDir: chartDir, Namespace: leaseNS, Resync: time.Hour, HeartbeatInterval: time.Hour, Timeout: 30 * time.Second}
	go func() { e.done <- agent.Run(ctx, cfg, opts, mopts) }()
	t.Cleanup(e.stop)
	return e
}

func (e *electing) stop() {
	e.once.Do(func() {
		e.cancel()
		select {
		case e.err = <-e.done:
		case <-time.After(30 * time.Second):
			e.err = errors.New("did not stop within 30s")
		}
	})
}

// holder returns the Lease's holder, "" when none.
func holder(t *testing.T, c client.Client) string {
	t.Helper()
	l := &coordinationv1.Lease{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: leaseNS, Name: leaseName}, l); err != nil {
		return ""
	}
	return ptr.Deref(l.Spec.HolderIdentity, "")
}

// TestOneWriterPerCluster starts agents of one cluster against one API
// server with leader election on: only the Lease holder acts, a second agent
// waits and does not write; when the leader dies without releasing the Lease
// the other takes over within the lease duration, and after a clean stop
// (ReleaseOnCancel) at once.
func TestOneWriterPerCluster(t *testing.T) {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "one"})
	cfg := env.Cluster("one").Config
	ctx := context.Background()
	c, err := client.New(cfg, client.Options{Scheme: kube.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	h, err := helm.New(cfg, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	testcharts.Package(t, "configmap", dir, "web", "1.0.0", "web-1.0.0.tgz")
	hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{
		{Name: "web", Namespace: "web", PkgName: "web-1.0.0.tgz", Status: hotplugv1.StatusEnabled, Env: "greeting: a\n"},
	}}}
	if err := c.Create(ctx, hp); err != nil {
		t.Fatal(err)
	}
	// converged waits for the release at greeting and returns its revision.
	converged := func(greeting string) int {
		t.Helper()
		rev := 0
		testenv.Eventually(t, 60*time.Second, "release web at greeting "+greeting, func() (bool, string) {
			r, err := h.Get(ctx, "web", "web")
			if err != nil {
				return false, err.Error()
			}
			rev = r.Revision
			return r.Status == "deployed" && r.Values["greeting"] == greeting, r.Status
		})
		return rev
	}
	edit := func(greeting string) {
		t.Helper()
		cur := &hotplugv1.Hotplug{}
		if err := c.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, cur); err != nil {
			t.Fatal(err)
		}
		cur.Spec.Component[0].Env = "greeting: " + greeting + "\n"
		if err := c.Update(ctx, cur); err != nil {
			t.Fatal(err)
		}
	}

	// The first agent takes the Lease and installs; a second one, started by
	// hand, waits without writing through an edit.
	first := startElecting(t, cfg, "first", dir, false)
	converged("a")
	leader := holder(t, c)
	second := startElecting(t, cfg, "second", dir, true)
	time.Sleep(2 * leaseDuration) // long enough for the second to try many times
	edit("b")
	if rev := converged("b"); rev != 2 {
		t.Errorf("release revision %d after one edit, want 2 (one writer)", rev)
	}
	if got := holder(t, c); got != leader || leader == "" {
		t.Errorf("Lease holder %q, want the first agent's %q", got, leader)
	}
	if n := second.writes.writes.Load(); n != 0 {
		t.Errorf("the waiting agent wrote %d times", n)
	}
	if first.writes.writes.Load() == 0 {
		t.Error("the leader wrote nothing")
	}

	// The leader dies without releasing the Lease (as a SIGKILL would): the
	// second takes over once the Lease expires.
	firstWrites := first.writes.writes.Load()
	killed := time.Now()
	first.stop()
	testenv.Eventually(t, 3*leaseDuration, "the second agent holds the Lease", func() (bool, string) {
		h := holder(t, c)
		return h != "" && h != leader, h
	})
	failover := time.Since(killed)
	t.Logf("failover after the leader died: %s (lease duration %s)", failover.Round(10*time.Millisecond), leaseDuration)
	// The standby counts the lease from when it last saw it renewed and
	// retries with jitter, and two busy cores delay both: the bound is the
	// lease plus one renew deadline, not a benchmark.
	if bound := leaseDuration + renewDeadline + 2*retryPeriod; failover > bound {
		t.Errorf("failover took %s, more than the lease duration %s plus a renew deadline and two retries (%s)", failover, leaseDuration, bound)
	}
	edit("c")
	converged("c")
	if second.writes.writes.Load() == 0 {
		t.Error("the new leader wrote nothing")
	}
	if n := first.writes.writes.Load(); n != firstWrites {
		t.Errorf("the stopped agent wrote %d times after it stopped", n-firstWrites)
	}

	// A clean stop hands the Lease over at once.
	third := startElecting(t, cfg, "third", dir, true)
	secondHolder := holder(t, c)
	time.Sleep(leaseDuration)
	if third.writes.writes.Load() != 0 {
		t.Errorf("the third agent wrote while the second led")
	}
	stopped := time.Now()
	second.stop()
	testenv.Eventually(t, 3*leaseDuration, "the third agent holds the Lease", func() (bool, string) {
		h := holder(t, c)
		return h != "" && h != secondHolder, h
	})
	handover := time.Since(stopped)
	t.Logf("handover after a clean stop: %s", handover.Round(10*time.Millisecond))
	if handover > leaseDuration {
		t.Errorf("handover after a clean stop took %s, want less than the lease duration %s", handover, leaseDuration)
	}
	edit("d")
	converged("d")
	if third.writes.writes.Load() == 0 {
		t.Error("the third leader wrote nothing")
	}
	for _, e := range []*electing{first, second} {
		if e.err != nil && !errors.Is(e.err, context.Canceled) {
			t.Errorf("the %s agent stopped with %v", e.name, e.err)
		}
	}
}
