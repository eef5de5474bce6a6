package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/config/samples"
	"github.com/kubecube-io/hotplug/internal/access"
	"github.com/kubecube-io/hotplug/internal/apimetrics"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/manifest"
)

// fleet is the running pivot, hub process and simulated members.
type fleet struct {
	cfg      config
	cp       *controlplane.Environment
	pivot    *controlplane.Cluster
	admin    client.Client
	hub      *exec.Cmd
	pprof    string
	apiPID   int
	etcdPID  int
	members  []*member
	cancel   context.CancelFunc
	mctx     context.Context
	dir      string
	binary   string
	commitID string
	retries  atomic.Int32 // registration requests the webhook refused or timed out
}

// result is what one fleet size measured.
type result struct {
	n                   int
	converge            time.Duration
	degrade, recover    []time.Duration
	reportPart, hubPart []time.Duration // of degrade: until the member's Cluster showed it; from there
	hubCPU, hubRSS      float64         // CPU s per minute over the idle window; MiB at its end
	apiCPU, etcdCPU     float64         // CPU s per minute over the idle window
	benchRSS            float64         // the members' process, MiB
	load                string          // the machine's load averages at the end of the idle window
	retries             int             // registration requests retried so far (admission timeouts)
	requests            apimetrics.Counts
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("reserving a port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startFleet(ctx context.Context, cfg config) (_ *fleet, err error) {
	f := &fleet{cfg: cfg}
	if f.dir, err = os.MkdirTemp("", "hotplug-benchfleet-"); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	defer func() {
		if err != nil {
			f.stop()
		}
	}()
	f.binary = filepath.Join(f.dir, "hotplug")
	logf("building hotplug")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", f.binary, "./cmd/hotplug").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %w: %s", err, out)
	}
	if out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		f.commitID = strings.TrimSpace(string(out))
	}
	logf("starting the pivot (etcd, kube-apiserver)")
	f.cp, err = controlplane.Start(ctx, controlplane.Options{Dir: filepath.Join(f.dir, "cp"),
		Clusters: []controlplane.ClusterOptions{{Name: "pivot-cluster"}}, Log: logr.Discard()})
	if err != nil {
		return nil, err
	}
	f.pivot = f.cp.Clusters[0]
	for _, pid := range f.cp.PIDs() {
		switch procName(pid) {
		case "kube-apiserver":
			f.apiPID = pid
		case "etcd":
			f.etcdPID = pid
		}
	}
	if f.admin, err = kube.NewClient(f.pivot.Config); err != nil {
		return nil, err
	}
	if err := f.startHub(ctx); err != nil {
		return nil, err
	}
	if err := manifest.Apply(ctx, f.admin, samples.MustRead("hotplug_v1_common.yaml")); err != nil {
		return nil, fmt.Errorf("applying common: %w", err)
	}
	f.mctx, f.cancel = context.WithCancel(ctx)
	return f, nil
}

// startHub runs `hotplug hub` as its own process, so that its CPU and
// memory are its own, and waits until it is ready.
func (f *fleet) startHub(ctx context.Context) error {
	ports := make([]int, 4)
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return err
		}
		ports[i] = p
	}
	f.pprof = fmt.Sprintf("127.0.0.1:%d", ports[3])
	logFile, err := os.Create(filepath.Join(f.dir, "hub.log"))
	if err != nil {
		return fmt.Errorf("hub log: %w", err)
	}
	f.hub = exec.Command(f.binary, "hub", "--kubeconfig", f.pivot.Kubeconfig, "--namespace", heartbeat.DefaultNamespace,
		"--webhook-host", "127.0.0.1", fmt.Sprintf("--webhook-port=%d", ports[0]),
		fmt.Sprintf("--webhook-url=https://127.0.0.1:%d", ports[0]), "--cert-dir", filepath.Join(f.dir, "certs"),
		fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", ports[1]), fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", ports[2]),
		"--pprof-bind-address", f.pprof)
	f.hub.Stdout, f.hub.Stderr = logFile, logFile
	f.hub.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := f.hub.Start(); err != nil {
		return fmt.Errorf("starting the hub: %w", err)
	}
	logf("hub started (pid %d, log %s)", f.hub.Process.Pid, logFile.Name())
	ready := fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[2])
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		resp, err := http.Get(ready) //nolint:noctx // a loopback probe
		if err != nil {
			return false, nil
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

func (f *fleet) stop() {
	if f.cancel != nil {
		f.cancel()
	}
	if f.hub != nil && f.hub.Process != nil {
		_ = f.hub.Process.Signal(syscall.SIGTERM)
		_ = f.hub.Wait()
	}
	if f.cp != nil {
		_ = f.cp.Stop()
	}
	_ = os.RemoveAll(f.dir)
}

// grow registers members until there are n, each with its Cluster, its
// Hotplug and its own least-privilege identity (access.MemberOnPivot), and
// starts them.
func (f *fleet) grow(ctx context.Context, n int) error {
	type job struct{ name string }
	jobs := make(chan job)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for j := range jobs {
				m, err := f.addMember(ctx, j.name)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					f.members = append(f.members, m)
				}
				mu.Unlock()
			}
		})
	}
	for i := len(f.members); i < n; i++ {
		jobs <- job{name: fmt.Sprintf("member-%03d", i+1)}
	}
	close(jobs)
	wg.Wait()
	slices.SortFunc(f.members, func(a, b *member) int { return strings.Compare(a.name, b.name) })
	return errors.Join(errs...)
}

func (f *fleet) addMember(ctx context.Context, name string) (*member, error) {
	cl := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clusterv1.ClusterSpec{IsMemberCluster: true}}
	hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{"kubecube.io/sync": "true"}},
		Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "audit", Status: hotplugv1.StatusEnabled}}}}
	user := "hotplug-agent:" + name
	subject := rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}
	role, binding := access.MemberOnPivot(name, subject)
	for _, o := range []client.Object{cl, hp, role, binding, access.RevisionsOnPivot(name, heartbeat.DefaultNamespace, subject)} {
		// The hub's webhook (failurePolicy Fail) may time out under load, as
		// any admission may: retry like an operator would, and count it.
		var last error
		err := wait.ExponentialBackoffWithContext(ctx, wait.Backoff{Duration: time.Second, Factor: 2, Steps: 6}, func(ctx context.Context) (bool, error) {
			last = f.admin.Create(ctx, o)
			if last != nil && !apierrors.IsAlreadyExists(last) {
				f.retries.Add(1)
				return false, nil
			}
			return true, nil
		})
		if err != nil {
			return nil, fmt.Errorf("registering %s: %w", name, errors.Join(err, last))
		}
	}
	cfg, err := f.pivot.UserConfig(user)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 5, 10 // client-go's defaults, as a member's agent has
	uc, err := kube.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		return uc.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, &hotplugv1.Hotplug{}) == nil, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s cannot read common: %w", name, err)
	}
	return startMember(f.mctx, name, cfg, f.cfg.interval, heartbeat.DefaultNamespace)
}

// common reads common's status.
func (f *fleet) common(ctx context.Context) (*hotplugv1.Hotplug, error) {
	hp := &hotplugv1.Hotplug{}
	return hp, f.admin.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, hp)
}

// waitCommon polls common (every 20 ms) until ok.
func (f *fleet) waitCommon(ctx context.Context, timeout time.Duration, what string, ok func(*hotplugv1.Hotplug) bool) error {
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		hp, err := f.common(ctx)
		return err == nil && ok(hp), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for common: %s: %w", what, err)
	}
	return nil
}

// allRunning is common's status once n clusters run.
func allRunning(n int) func(*hotplugv1.Hotplug) bool {
	want := fmt.Sprintf("all %d clusters are running", n)
	return func(hp *hotplugv1.Hotplug) bool {
		c := meta.FindStatusCondition(hp.Status.Conditions, hotplugv1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionTrue && c.Message == want
	}
}

// names reports whether common's logagent is not ready naming member.
func names(member string) func(*hotplugv1.Hotplug) bool {
	return func(hp *hotplugv1.Hotplug) bool {
		for _, cs := range hp.Status.Components {
			if cs.Name == "logagent" {
				c := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady)
				return c != nil && c.Status == metav1.ConditionFalse && strings.Contains(cs.Message, member+":")
			}
		}
		return false
	}
}

// measure grows the fleet to n members, waits until common says they all
// run, then measures an idle window and the roll-up latency.
func (f *fleet) measure(ctx context.Context, n int, profile bool) (result, error) {
	r := result{n: n}
	logf("N=%d: registering and starting members", n)
	start := time.Now()
	if err := f.grow(ctx, n); err != nil {
		return r, err
	}
	if err := f.waitCommon(ctx, 10*time.Minute, fmt.Sprintf("all %d clusters running", n), allRunning(n)); err != nil {
		return r, err
	}
	r.converge = time.Since(start)
	r.retries = int(f.retries.Load())
	logf("N=%d: converged in %s; settling one heartbeat interval, then %s idle", n, r.converge.Round(time.Second), f.cfg.idle)
	select {
	case <-time.After(f.cfg.interval):
	case <-ctx.Done():
		return r, ctx.Err()
	}

	// Idle window: nothing changes; every request is the fleet at rest.
	var cpuProfile []byte
	var profErr error
	var pwg sync.WaitGroup
	if profile {
		pwg.Go(func() {
			cpuProfile, profErr = f.fetch(ctx, fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(f.cfg.idle.Seconds())))
		})
	}
	before, err := apimetrics.Scrape(ctx, f.pivot.Config)
	if err != nil {
		return r, err
	}
	hubCPU, apiCPU, etcdCPU := startCPU(f.hub.Process.Pid), startCPU(f.apiPID), startCPU(f.etcdPID)
	select {
	case <-time.After(f.cfg.idle):
	case <-ctx.Done():
		return r, ctx.Err()
	}
	r.hubCPU, r.apiCPU, r.etcdCPU = hubCPU.perMinute(), apiCPU.perMinute(), etcdCPU.perMinute()
	after, err := apimetrics.Scrape(ctx, f.pivot.Config)
	if err != nil {
		return r, err
	}
	r.requests = after.Sub(before)
	r.load = loadAvg()
	r.hubRSS, _ = memMiB(f.hub.Process.Pid)
	r.benchRSS, _ = memMiB(os.Getpid())
	pwg.Wait()

	// Latency: one member at a time degrades, then recovers.
	for i := range f.cfg.rounds {
		m := f.members[(i*37)%len(f.members)]
		t0 := time.Now()
		reported := f.watchCluster(ctx, m.name, hotplugv1.PhaseProgressing)
		m.setDegraded(ctx, true)
		if err := f.waitCommon(ctx, 2*time.Minute, m.name+" named not ready", names(m.name)); err != nil {
			return r, err
		}
		r.degrade = append(r.degrade, time.Since(t0))
		if at := <-reported; !at.IsZero() {
			r.reportPart = append(r.reportPart, at.Sub(t0))
			r.hubPart = append(r.hubPart, r.degrade[len(r.degrade)-1]-at.Sub(t0))
		}
		t0 = time.Now()
		m.setDegraded(ctx, false)
		if err := f.waitCommon(ctx, 2*time.Minute, "all running again", allRunning(n)); err != nil {
			return r, err
		}
		r.recover = append(r.recover, time.Since(t0))
	}
	if profile {
		if profErr != nil {
			return r, profErr
		}
		heap, err := f.fetch(ctx, "/debug/pprof/heap")
		if err != nil {
			return r, err
		}
		dir := filepath.Dir(f.cfg.out)
		for name, data := range map[string][]byte{"fleet-hub-cpu.pprof": cpuProfile, "fleet-hub-heap.pprof": heap} {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return r, err
			}
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				return r, fmt.Errorf("saving %s: %w", name, err)
			}
		}
	}
	return r, nil
}

// watchCluster polls member's Cluster (every 20 ms, up to 2 minutes) and
// sends when its report shows phase (zero when it never did): the member's
// part of the roll-up latency.
func (f *fleet) watchCluster(ctx context.Context, member, phase string) <-chan time.Time {
	out := make(chan time.Time, 1)
	go func() {
		var at time.Time
		_ = wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
			cl := &clusterv1.Cluster{}
			if f.admin.Get(ctx, client.ObjectKey{Name: member}, cl) == nil && cl.Status.HotplugPhase == phase {
				at = time.Now()
				return true, nil
			}
			return false, nil
		})
		out <- at
	}()
	return out
}

// fetch GETs a path of the hub's pprof endpoint.
func (f *fleet) fetch(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+f.pprof+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("hub pprof %s: %w", path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("hub pprof %s: %s: %w", path, resp.Status, err)
	}
	return data, nil
}
