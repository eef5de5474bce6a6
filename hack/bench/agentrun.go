package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/hack/bench/chartset"
	"github.com/kubecube-io/hotplug/internal/apimetrics"
	"github.com/kubecube-io/hotplug/internal/controlplane"
)

// phase is one measured step of a system's run.
type phase struct {
	Seconds float64
	API     apimetrics.Counts // API server requests by verb during the phase
}

// agentResult is the hotplug agent's part of the chart-set run.
type agentResult struct {
	Install, Edit phase
	Idle          phase
	IdleMinutes   float64
	IdleClient    apimetrics.Counts // the agent's own requests during idle, by method
	SettledClient apimetrics.Counts // the same after the idle period's first minute
	SettledMin    float64
	IdleRevisions int               // Helm revisions made during idle
	Background    apimetrics.Counts // API server requests by verb before the agent ran
	Revisions     int               // Helm revisions after the edit
	Usage         usage
	Load          string // load average when the install started
}

// components returns the Hotplug components of set for round n.
func components(set chartset.Set, round int, edited map[string]bool) []hotplugv1.ComponentSpec {
	var out []hotplugv1.ComponentSpec
	for _, c := range set.Components() {
		r := 1
		if edited[c.Name] || edited["*"] {
			r = round
		}
		out = append(out, hotplugv1.ComponentSpec{Name: c.Name, Namespace: c.Namespace, PkgName: c.Pkg,
			Status: hotplugv1.StatusEnabled, Env: "round: " + strconv.Itoa(r) + "\n"})
	}
	return out
}

// agentRun is what one run of the agent measures besides install and
// edit: the background before it, the idle period after (none when Idle is
// 0) and the profiles (none when ProfDir is empty).
type agentRun struct {
	Set        chartset.Set
	Background time.Duration
	Idle       time.Duration
	ProfDir    string
	Log        string // the agent's log file name in the work directory
}

// runAgentSystem measures the hotplug agent, a process of bin/hotplug, on
// a fresh cluster: install of the set, edit of two components, idle.
func runAgentSystem(ctx context.Context, work, chartDir, bin string, run agentRun) (agentResult, error) {
	var res agentResult
	env, cl, err := startCluster(ctx, filepath.Join(work, string(run.Set), "agent"))
	if err != nil {
		return res, err
	}
	defer func() { _ = env.Stop() }()
	if res.Background, err = background(ctx, cl, run.Background); err != nil {
		return res, err
	}
	c, err := newClient(cl)
	if err != nil {
		return res, err
	}
	cpuProfile := ""
	if run.ProfDir != "" {
		cpuProfile = filepath.Join(run.ProfDir, "agent-cpu.pprof")
	}
	ap, err := startAgent(ctx, cl, work, run.Log, bin, chartDir, cpuProfile)
	if err != nil {
		return res, err
	}
	defer ap.kill()
	cmd, metricsURL, pprofPort := ap.cmd, ap.metricsURL, ap.pprofPort

	hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{Component: components(run.Set, 1, nil)}}
	res.Load = loadAverage()
	if res.Install, err = measure(ctx, cl, func() error {
		if err := c.Create(ctx, hp); err != nil {
			return err
		}
		return waitRunning(ctx, c, hp.Generation)
	}); err != nil {
		return res, fmt.Errorf("agent install: %w", err)
	}
	logf("agent, %s set: install %.1fs", run.Set, res.Install.Seconds)

	edited := map[string]bool{}
	for _, n := range chartset.Edited {
		edited[n] = true
	}
	if res.Edit, err = measure(ctx, cl, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(hp), hp); err != nil {
			return err
		}
		hp.Spec.Component = components(run.Set, 2, edited)
		if err := c.Update(ctx, hp); err != nil {
			return err
		}
		if err := waitRunning(ctx, c, hp.Generation); err != nil {
			return err
		}
		want := len(run.Set.Components()) + len(chartset.Edited)
		return poll(ctx, 200*time.Millisecond, 5*time.Minute, "edit revisions", func() (bool, string, error) {
			n, err := helmRevisions(ctx, c)
			return n >= want, fmt.Sprintf("%d of %d Helm revisions", n, want), err
		})
	}); err != nil {
		return res, fmt.Errorf("agent edit: %w", err)
	}
	logf("agent, %s set: edit %.1fs", run.Set, res.Edit.Seconds)
	if run.ProfDir != "" {
		if err := fetch(ctx, "http://127.0.0.1:"+pprofPort+"/debug/pprof/heap", filepath.Join(run.ProfDir, "agent-heap.pprof")); err != nil {
			return res, err
		}
	}
	if res.Revisions, err = helmRevisions(ctx, c); err != nil {
		return res, err
	}
	if run.Idle > 0 {
		if err := measureIdle(ctx, cl, c, metricsURL, run.Idle, &res); err != nil {
			return res, err
		}
	}
	if res.Usage, err = procUsage(strconv.Itoa(cmd.Process.Pid)); err != nil {
		return res, err
	}
	ap.sampler.finish(&res.Usage)
	if rollup, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", cmd.Process.Pid)); err == nil {
		logf("agent memory at the end:\n%s", rollup)
	}
	// A clean stop writes the CPU profile.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case werr := <-done:
		logf("agent stopped (%v)", werr)
	case <-time.After(30 * time.Second):
		return res, fmt.Errorf("agent did not stop on SIGTERM")
	}
	return res, nil
}

// measureIdle leaves the agent idle for idle after the edit converged and
// records the API server's and the agent's own requests and the Helm
// revisions made meanwhile.
func measureIdle(ctx context.Context, cl *controlplane.Cluster, c client.Client, metricsURL string, idle time.Duration, res *agentResult) error {
	clientBefore, err := apimetrics.ScrapeClient(ctx, metricsURL)
	if err != nil {
		return err
	}
	logf("agent: idle for %s", idle)
	var settled apimetrics.Counts
	if res.Idle, err = measure(ctx, cl, func() error {
		// The first minute holds the edit's aftermath (the first drift
		// check of the upgraded objects, pods of the old revision going);
		// the rest is the steady state.
		first := min(time.Minute, idle/2)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(first):
		}
		if settled, err = apimetrics.ScrapeClient(ctx, metricsURL); err != nil {
			return err
		}
		res.SettledMin = (idle - first).Minutes()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(idle - first):
			return nil
		}
	}); err != nil {
		return err
	}
	res.IdleMinutes = idle.Minutes()
	clientAfter, err := apimetrics.ScrapeClient(ctx, metricsURL)
	if err != nil {
		return err
	}
	res.IdleClient = clientAfter.Sub(clientBefore)
	res.SettledClient = clientAfter.Sub(settled)
	revs, err := helmRevisions(ctx, c)
	if err != nil {
		return err
	}
	res.IdleRevisions = revs - res.Revisions
	return nil
}

// measure runs fn and returns its duration and the API server's requests
// by verb during it.
func measure(ctx context.Context, cl *controlplane.Cluster, fn func() error) (phase, error) {
	before, err := apimetrics.Scrape(ctx, cl.Config)
	if err != nil {
		return phase{}, err
	}
	start := time.Now()
	if err := fn(); err != nil {
		return phase{}, err
	}
	p := phase{Seconds: time.Since(start).Seconds()}
	after, err := apimetrics.Scrape(ctx, cl.Config)
	if err != nil {
		return phase{}, err
	}
	p.API = after.Sub(before)
	return p, nil
}

// waitRunning waits until common's status is running for generation.
func waitRunning(ctx context.Context, c client.Client, generation int64) error {
	return poll(ctx, 200*time.Millisecond, 15*time.Minute, "common running", func() (bool, string, error) {
		hp := &hotplugv1.Hotplug{}
		if err := c.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, hp); err != nil {
			return false, err.Error(), nil
		}
		msg := fmt.Sprintf("phase %s, observed generation %d of %d: %s", hp.Status.Phase, hp.Status.ObservedGeneration, generation, hp.Status.Message)
		return hp.Status.Phase == hotplugv1.PhaseRunning && hp.Status.ObservedGeneration >= generation, msg, nil
	})
}

// fetch saves url's body to path.
func fetch(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// agentProcess is a running `hotplug agent`.
type agentProcess struct {
	sampler    *sampler
	cmd        *exec.Cmd
	metricsURL string
	pprofPort  string
	log        *os.File
}

func (a *agentProcess) kill() {
	select {
	case <-a.sampler.stop:
	default:
		close(a.sampler.stop)
	}
	_ = a.cmd.Process.Kill()
	_ = a.cmd.Wait()
	_ = a.log.Close()
}

// startAgent starts bin as the agent of cl, with its metrics and pprof
// endpoints on free loopback ports and, when cpuProfile is set, a CPU
// profile of its whole run; it returns once the metrics endpoint answers.
func startAgent(ctx context.Context, cl *controlplane.Cluster, work, logName, bin, chartDir, cpuProfile string) (*agentProcess, error) {
	metricsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	pprofPort, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(work, logName))
	if err != nil {
		return nil, err
	}
	args := []string{"agent", "--kubeconfig", cl.Kubeconfig, "--cluster-name", clusterName,
		"--chart-dir", chartDir, "--leader-elect=false", "--health-probe-bind-address=0",
		"--metrics-bind-address=127.0.0.1:" + metricsPort, "--pprof-bind-address=127.0.0.1:" + pprofPort}
	if cpuProfile != "" {
		args = append(args, "--cpu-profile", cpuProfile)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, err
	}
	a := &agentProcess{sampler: startSampler(strconv.Itoa(cmd.Process.Pid)), cmd: cmd, metricsURL: "http://127.0.0.1:" + metricsPort + "/metrics", pprofPort: pprofPort, log: logFile}
	if err := poll(ctx, 200*time.Millisecond, time.Minute, "agent metrics endpoint", func() (bool, string, error) {
		_, err := apimetrics.ScrapeClient(ctx, a.metricsURL)
		return err == nil, fmt.Sprint(err), nil
	}); err != nil {
		a.kill()
		return nil, err
	}
	return a, nil
}

// smallComponents is the number of components of the small-set run.
const smallComponents = 10

// runAgentSmall measures the agent's peak RSS with 10 small components
// (each the loggie-shaped chart: a DaemonSet, RBAC, a ConfigMap) on a
// fresh cluster, after they converged.
func runAgentSmall(ctx context.Context, work, chartDir, bin string) (phase, usage, error) {
	env, cl, err := startCluster(ctx, filepath.Join(work, "small"))
	if err != nil {
		return phase{}, usage{}, err
	}
	defer func() { _ = env.Stop() }()
	c, err := newClient(cl)
	if err != nil {
		return phase{}, usage{}, err
	}
	ap, err := startAgent(ctx, cl, work, "agent-small.log", bin, chartDir, "")
	if err != nil {
		return phase{}, usage{}, err
	}
	defer ap.kill()
	small := chartset.Light.Components()[3] // loggie, the same in both sets
	var comps []hotplugv1.ComponentSpec
	for i := range smallComponents {
		comps = append(comps, hotplugv1.ComponentSpec{Name: fmt.Sprintf("%s-%02d", small.Name, i), Namespace: fmt.Sprintf("%s-%02d", small.Namespace, i),
			PkgName: small.Pkg, Status: hotplugv1.StatusEnabled, Env: "round: 1\n"})
	}
	hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{Component: comps}}
	p, err := measure(ctx, cl, func() error {
		if err := c.Create(ctx, hp); err != nil {
			return err
		}
		return waitRunning(ctx, c, hp.Generation)
	})
	if err != nil {
		return p, usage{}, fmt.Errorf("small set: %w", err)
	}
	time.Sleep(30 * time.Second) // a resync's worth of quiet after converging
	u, err := procUsage(strconv.Itoa(ap.cmd.Process.Pid))
	ap.sampler.finish(&u)
	return p, u, err
}
